import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function workflowBundlePath(): string {
  return join(process.env.ORDERHUB_TEST_DATA_DIR ?? join(tmpdir(), 'orderhub-test'), 'workflow-bundle.js');
}
