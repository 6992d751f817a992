// Entry point for `npm run drill` and `npm run drill:smoke`: plain Node, so it works on a fresh clone.
// Installs npm dependencies (npm ci) when tsx is missing, as scripts/bootstrap.mjs does, then runs bench/drill.ts.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const tsx = path.join(root, 'node_modules', '.bin', process.platform === 'win32' ? 'tsx.cmd' : 'tsx');
if (!existsSync(tsx)) {
  console.log('[drill] node_modules is missing: running npm ci');
  const npm = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit', shell: process.platform === 'win32' });
  if (npm.status !== 0) process.exit(npm.status ?? 1);
}

const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'bench', 'drill.ts'), ...process.argv.slice(2)], {
  cwd: root,
  stdio: 'inherit',
});
// The drill stops what it started on SIGINT/SIGTERM; wait for it rather than dying first.
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('error', (err) => {
  console.error(`[drill] could not run bench/drill.ts: ${err.message}`);
  process.exit(1);
});
child.on('exit', (code, signal) => process.exit(code ?? 128 + (os.constants.signals[signal] ?? 0)));
