import { existsSync } from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { DEV_API_KEY } from '../worker/config';
import { isPortOpen, spawnManaged, startStack, waitFor, type ManagedProcess, type Stack } from './stack';
import { REPO_ROOT } from './tools';
import { EMBEDDED_MONGO_POOL_SIZE, EMBEDDED_TUNING } from './tuning';

// `npm start`: the local stack (kept in .data/), then the worker and the API with prefixed output.

const log = (msg: string) => console.log(`[start] ${msg}`);
const APP_STOP_GRACE_MS = 20_000; // the worker lets running activities finish before it exits

const APPS = [
  { name: 'worker', entry: 'worker/main.ts' },
  { name: 'api', entry: 'api/server.ts' },
] as const;

let stack: Stack | undefined;
const apps: ManagedProcess[] = [];
let shuttingDown = false;

async function main(): Promise<void> {
  process.on('SIGINT', () => void shutdown(0, 'SIGINT'));
  process.on('SIGTERM', () => void shutdown(0, 'SIGTERM'));

  const apiPort = Number(process.env.PORT || 3000);
  const apiUrl = `http://127.0.0.1:${apiPort}`;
  for (const app of APPS) {
    if (!existsSync(path.join(REPO_ROOT, app.entry))) throw new Error(`${app.entry} does not exist yet`);
  }
  // Fail before starting anything rather than have the API die on EADDRINUSE later.
  if (await isPortOpen(apiPort)) throw new Error(`port ${apiPort} is already in use (another npm start?); set PORT to use another`);

  const started = Date.now();
  stack = await startStack({ dataDir: path.join(REPO_ROOT, '.data'), reuse: true, env: process.env });
  log(`stack ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  if (shuttingDown) return; // Ctrl-C while the stack was starting

  const env = { ...process.env, ...stack.env, ...embeddedStoreTuning(process.env) };
  for (const app of APPS) {
    // Node with tsx's loader, not the tsx CLI: the CLI SIGKILLs a child that is slow to acknowledge
    // SIGTERM (30 ms), and a busy worker must be allowed to drain.
    const argv = [process.execPath, '--import', 'tsx', app.entry];
    const proc = spawnManaged(app.name, argv, { cwd: REPO_ROOT, env, log });
    prefixLines(proc.child.stdout, process.stdout, app.name);
    prefixLines(proc.child.stderr, process.stderr, app.name);
    proc.done.then(() => {
      if (!shuttingDown) void shutdown(1, `${app.name} exited (${proc.exitReason})`);
    });
    apps.push(proc);
  }

  const api = apps[1];
  await waitFor(() => isPortOpen(apiPort), 120_000, `the API on port ${apiPort}`, {
    giveUpIf: () => (api.exited ? `it exited (${api.exitReason})` : undefined),
  });
  if (shuttingDown) return;

  const lines = [
    '',
    'Orderhub is running',
    `  API:          ${apiUrl}`,
    `  API docs:     ${apiUrl}/docs`,
    `  OpenAPI:      ${apiUrl}/openapi.json`,
    `  Temporal UI:  ${stack.env.TEMPORAL_UI_URL}`,
    ...(process.env.ORDERHUB_API_KEY ? [] : [`  dev API key:  ${DEV_API_KEY}`]),
    'Press Ctrl-C to stop.',
    '',
  ];
  console.log(lines.join('\n'));
}

/**
 * Worker settings for the embedded store (FerretDB on PostgreSQL on this machine): fewer activities at once
 * than the MongoDB defaults, since each waits on the same local database and more only queue there (see
 * README, Performance). Only when the store is ours and the developer set nothing.
 */
export function embeddedStoreTuning(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  if (env.MONGODB_URL) return {};
  return {
    WORKER_MAX_CONCURRENT_ACTIVITIES: env.WORKER_MAX_CONCURRENT_ACTIVITIES ?? String(EMBEDDED_TUNING.activities),
    WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: env.WORKER_MAX_CONCURRENT_WORKFLOW_TASKS ?? String(EMBEDDED_TUNING.workflowTasks),
    WORKER_MAX_CACHED_WORKFLOWS: env.WORKER_MAX_CACHED_WORKFLOWS ?? String(EMBEDDED_TUNING.cachedWorkflows),
    MONGODB_MAX_POOL_SIZE: env.MONGODB_MAX_POOL_SIZE ?? String(EMBEDDED_MONGO_POOL_SIZE),
  };
}

// Worker first so it stops taking tasks while the API and the stack are still up, then the API, then the stack.
async function shutdown(code: number, reason: string): Promise<void> {
  // The terminal, npm and tsx may each deliver the same Ctrl-C: act on the first only.
  if (shuttingDown) return;
  shuttingDown = true;
  log(`${reason}: stopping`);
  try {
    for (const app of apps) await app.stop(APP_STOP_GRACE_MS);
    await stack?.stop();
  } catch (err) {
    console.error(err);
    code = code || 1;
  }
  // While the stack is still starting there is nothing to await: the stack's exit hook signals its children.
  process.exit(code);
}

function prefixLines(from: Readable | null, to: Writable, name: string): void {
  if (!from) return;
  const prefix = `[${name}] `;
  readline.createInterface({ input: from, crlfDelay: Infinity }).on('line', (line) => to.write(prefix + line + '\n'));
}

main().catch(async (err: Error) => {
  console.error(`[start] ${err.message}`);
  await shutdown(1, 'start failed');
});
