// Entry point for `npm start` and `npm test`: plain Node, so it works on a fresh clone.
// Installs npm dependencies (npm ci, exactly as package-lock.json says) when tsx is missing, then runs
// scripts/<name>.ts with tsx's loader.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const [name, ...rest] = process.argv.slice(2);
const script = path.join(root, 'scripts', `${name}.ts`);
if (!name || !/^[\w-]+$/.test(name) || !existsSync(script)) {
  console.error('usage: node scripts/bootstrap.mjs <script> [args...]   (runs scripts/<script>.ts)');
  process.exit(2);
}

const tsx = path.join(root, 'node_modules', '.bin', process.platform === 'win32' ? 'tsx.cmd' : 'tsx');
if (!existsSync(tsx)) {
  console.log('[bootstrap] node_modules is missing: running npm ci');
  const npm = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit', shell: process.platform === 'win32' });
  if (npm.status !== 0) process.exit(npm.status ?? 1);
}

// `node --import tsx` rather than the tsx CLI: the CLI's signal relay SIGKILLs a child that takes
// over 30 ms to acknowledge a repeated Ctrl-C, which cuts our orderly shutdown short.
const child = spawn(process.execPath, ['--import', 'tsx', script, ...rest], { cwd: root, stdio: 'inherit' });
// Without these handlers a Ctrl-C would kill us before the script has stopped what it started.
// A terminal Ctrl-C also reaches the child directly; the scripts treat a repeated signal as one.
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => child.kill(signal));
}
child.on('error', (err) => {
  console.error(`[bootstrap] could not run ${script}: ${err.message}`);
  process.exit(1);
});
child.on('exit', (code, signal) => {
  process.exit(code ?? 128 + (os.constants.signals[signal] ?? 0));
});
