import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { REPO_ROOT } from './tools';

// `npm run test:unit [-- jest args]`: the suites that need no services (jest.unit.config.js), without
// starting a stack or type-checking first. `npm test` runs them too, with everything else.
const jest = spawnSync(path.join(REPO_ROOT, 'node_modules', '.bin', 'jest'), ['-c', 'jest.unit.config.js', ...process.argv.slice(2)], {
  cwd: REPO_ROOT,
  stdio: 'inherit',
  // Without the stack's variables, a suite that reaches for a service fails instead of finding one.
  env: { ...process.env, TEMPORAL_ADDRESS: '', MONGODB_URL: '', REDIS_URL: '' },
});
process.exit(jest.status ?? 1);
