import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freeStackPorts, startStack, type Stack } from './stack';
import { REPO_ROOT } from './tools';

// `npm test [-- jest args]`: type-check, then jest against a stack of its own in a throwaway
// directory on free ports, so a running `npm start` and the developer's URLs are never touched.

const log = (msg: string) => console.log(`[test] ${msg}`);
const bin = (name: string) => path.join(REPO_ROOT, 'node_modules', '.bin', name);

/**
 * Contents of $ORDERHUB_TEST_STACK_INFO. A drill test that restarts a service should write the new
 * pid back into this file: npm test stops whatever pids it lists when the run ends.
 */
export interface TestStackInfo {
  dataDir: string;
  env: Stack['env'];
  services: Record<string, { command: string[]; cwd: string; pid: number; logFile: string }>;
}

let stack: Stack | undefined;
let jest: ChildProcess | undefined;
let dataDir: string | undefined;
let interrupted = false;

async function main(): Promise<number> {
  const jestArgs = process.argv.slice(2);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => onSignal(signal));

  if (existsSync(path.join(REPO_ROOT, 'tsconfig.json'))) {
    log('type-checking (tsc --noEmit -p .)');
    const tsc = spawnSync(bin('tsc'), ['--noEmit', '-p', '.'], { cwd: REPO_ROOT, stdio: 'inherit' });
    if (tsc.status !== 0) return tsc.status ?? 1;
    // The console (React, DOM) has a tsconfig of its own.
    if (existsSync(path.join(REPO_ROOT, 'api', 'console', 'tsconfig.json'))) {
      log('type-checking the console (tsc --noEmit -p api/console)');
      const consoleTsc = spawnSync(bin('tsc'), ['--noEmit', '-p', 'api/console'], { cwd: REPO_ROOT, stdio: 'inherit' });
      if (consoleTsc.status !== 0) return consoleTsc.status ?? 1;
    }
  } else {
    log('no tsconfig.json: skipping the type check');
  }
  if (existsSync(path.join(REPO_ROOT, 'eslint.config.mjs'))) {
    log('linting (npm run lint: ESLint, then Prettier --check)');
    const lint = spawnSync('npm', ['run', '--silent', 'lint'], { cwd: REPO_ROOT, stdio: 'inherit' });
    if (lint.status !== 0) {
      log('lint failed: `npx prettier --write "**/*.{ts,mjs,cjs,js}"` fixes formatting; ESLint names the rest');
      return lint.status ?? 1;
    }
  }

  dataDir = mkdtempSync(path.join(os.tmpdir(), 'orderhub-test-'));
  const started = Date.now();
  stack = await startStack({ dataDir, ports: await freeStackPorts(), reuse: false, env: {}, durability: 'throwaway', log });
  log(`stack ready in ${((Date.now() - started) / 1000).toFixed(1)} s (data: ${dataDir})`);

  const infoFile = path.join(dataDir, 'stack.json');
  const info: TestStackInfo = {
    dataDir,
    env: stack.env,
    services: Object.fromEntries(stack.spawned.map(({ service, ...rest }) => [service, rest])),
  };
  writeFileSync(infoFile, JSON.stringify(info, null, 2));
  if (interrupted) return 130;

  const resultsFile = path.join(dataDir, 'jest-results.json');
  jest = spawn(bin('jest'), ['--json', `--outputFile=${resultsFile}`, ...jestArgs], {
    cwd: REPO_ROOT,
    stdio: 'inherit',
    env: {
      ...process.env,
      ...stack.env,
      NODE_ENV: 'test',
      ORDERHUB_TEST_DATA_DIR: dataDir,
      ORDERHUB_TEST_STACK_INFO: infoFile,
    },
  });
  return new Promise((resolve) => {
    jest!.on('error', (err) => {
      console.error(`[test] could not run jest: ${err.message}`);
      resolve(1);
    });
    jest!.on('exit', (code) => {
      printTotals(resultsFile);
      resolve(code ?? 1);
    });
  });
}

// One plain closing line that any CI reader understands.
function printTotals(resultsFile: string): void {
  try {
    const r = JSON.parse(readFileSync(resultsFile, 'utf8')) as {
      numPassedTests: number;
      numFailedTests: number;
      numPendingTests: number;
      numTodoTests: number;
    };
    console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + r.numTodoTests} skipped`);
  } catch {
    // jest did not get far enough to write results; its own output says why
  }
}

// A terminal Ctrl-C reaches jest too (same process group); SIGTERM from elsewhere is passed on.
function onSignal(signal: NodeJS.Signals): void {
  if (interrupted) return;
  interrupted = true;
  if (jest && jest.exitCode === null) {
    jest.kill(signal);
    return; // main() resolves when jest exits, then cleanup runs
  }
  if (!stack) {
    // Still type-checking or starting the stack: the stack's exit hook signals anything it spawned.
    removeDataDir();
    process.exit(130);
  }
}

async function cleanup(): Promise<void> {
  if (stack) {
    await stack.stop();
    stopRestartedServices(stack);
  }
  removeDataDir();
}

// Services a drill test restarted are not ours to await, but they must not outlive the run.
function stopRestartedServices(ours: Stack): void {
  if (!dataDir) return;
  try {
    const info = JSON.parse(readFileSync(path.join(dataDir, 'stack.json'), 'utf8')) as TestStackInfo;
    const spawnedPids = new Set(ours.spawned.map((s) => s.pid));
    for (const { pid } of Object.values(info.services)) {
      if (spawnedPids.has(pid)) continue;
      for (const target of [-pid, pid]) {
        try {
          process.kill(target, 'SIGTERM');
        } catch {
          // already gone, or not a group leader
        }
      }
    }
  } catch {
    // no stack.json: nothing was restarted
  }
}

function removeDataDir(): void {
  if (!dataDir) return;
  if (process.env.ORDERHUB_KEEP_TEST_DATA) {
    log(`keeping ${dataDir} (ORDERHUB_KEEP_TEST_DATA is set)`);
    return;
  }
  rmSync(dataDir, { recursive: true, force: true });
}

main()
  .catch((err: Error) => {
    console.error(`[test] ${err.message}`);
    return 1;
  })
  .then(async (code) => {
    await cleanup();
    process.exit(code);
  });
