// Entry point for `npm start` and `npm test`: plain Node, so it works on a fresh clone.
// Installs npm dependencies (npm ci, exactly as package-lock.json says) when tsx is missing, then runs
// scripts/<name>.ts with tsx's loader.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
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

// The console (api/console) is served by the API from its built files: built when they are missing or
// older than its sources, so a fresh clone needs nothing more than `npm start` or `npm test`.
if (['start', 'test'].includes(name)) buildConsoleIfStale();

function buildConsoleIfStale() {
  const dir = path.join(root, 'api', 'console');
  if (!existsSync(path.join(dir, 'vite.config.ts'))) return;
  const built = path.join(dir, 'dist', 'index.html');
  const newest = (p) => {
    const s = statSync(p);
    return s.isDirectory() ? Math.max(0, ...readdirSync(p).map((f) => newest(path.join(p, f)))) : s.mtimeMs;
  };
  const sources = ['index.html', 'vite.config.ts', 'src', '../../domain/status.ts'] // the bundle takes the statuses from domain/
    .map((f) => path.join(dir, f))
    .filter(existsSync);
  if (existsSync(built) && statSync(built).mtimeMs >= Math.max(...sources.map(newest))) return;
  console.log('[bootstrap] building the console (npm run console:build)');
  const vite = spawnSync(
    process.execPath,
    [path.join(root, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--config', path.join(dir, 'vite.config.ts')],
    {
      cwd: root,
      stdio: 'inherit',
    },
  );
  if (vite.status !== 0) {
    console.error('[bootstrap] the console did not build (see above)');
    process.exit(vite.status ?? 1);
  }
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
