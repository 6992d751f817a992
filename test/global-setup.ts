import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { workflowBundlePath } from './support/paths';

// Bundle the workflows once per run; every suite's worker loads this file instead of bundling again.
export default async function globalSetup(): Promise<void> {
  const path = workflowBundlePath();
  mkdirSync(dirname(path), { recursive: true });
  const { code } = await bundleWorkflowCode({ workflowsPath: require.resolve('../workflows'), logger: quietLogger });
  writeFileSync(path, code);
}

const noop = () => {};
const quietLogger = { trace: noop, debug: noop, info: noop, warn: noop, error: (m: string) => console.error(m), log: noop };
