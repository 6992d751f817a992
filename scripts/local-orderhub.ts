import { existsSync } from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { isPortOpen, spawnManaged, startStack, waitFor, type ManagedProcess, type Stack } from './stack';
import { REPO_ROOT } from './tools';
import { EMBEDDED_MONGO_POOL_SIZE, EMBEDDED_TUNING } from './tuning';

// Orderhub on this machine as `npm start` runs it (and `npm run demo` when nothing runs yet): the local
// stack (kept in .data/, services already healthy on their ports reused), then the worker and the API.

const APP_STOP_GRACE_MS = 20_000; // the worker lets running activities finish before it exits

const APPS = [
  { name: 'worker', entry: 'worker/main.ts' },
  { name: 'api', entry: 'api/server.ts' },
] as const;

export interface LocalOrderhubOptions {
  apiPort: number;
  log: (msg: string) => void;
  /** Called when an app exits without being asked to (the caller usually stops everything). */
  onAppExit: (name: string, reason: string) => void;
  /** Each app's stdout and stderr: to our own, each line prefixed with `[name] ` (default), or appended to `<dir>/<name>.log`. */
  appLogDir?: string;
}

export class LocalOrderhub {
  readonly apiUrl: string;
  temporalUiUrl = '';
  private stack?: Stack;
  private readonly apps: ManagedProcess[] = [];
  private stopping = false;

  constructor(private readonly opts: LocalOrderhubOptions) {
    this.apiUrl = `http://127.0.0.1:${opts.apiPort}`;
  }

  /** Starts the stack and the apps; false when stop() was called meanwhile (nothing is left running then once stop() resolves). */
  async start(): Promise<boolean> {
    const { apiPort, log } = this.opts;
    for (const app of APPS) {
      if (!existsSync(path.join(REPO_ROOT, app.entry))) throw new Error(`${app.entry} does not exist yet`);
    }
    // Fail before starting anything rather than have the API die on EADDRINUSE later.
    if (await isPortOpen(apiPort)) throw new Error(`port ${apiPort} is already in use (another npm start?); set PORT to use another`);

    const started = Date.now();
    this.stack = await startStack({ dataDir: path.join(REPO_ROOT, '.data'), reuse: true, env: process.env });
    this.temporalUiUrl = this.stack.env.TEMPORAL_UI_URL;
    log(`stack ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    if (this.stopping) return false; // Ctrl-C while the stack was starting

    const env = { ...process.env, ...this.stack.env, ...embeddedStoreTuning(process.env) };
    for (const app of APPS) {
      // Node with tsx's loader, not the tsx CLI: the CLI SIGKILLs a child that is slow to acknowledge
      // SIGTERM (30 ms), and a busy worker must be allowed to drain.
      const argv = [process.execPath, '--import', 'tsx', app.entry];
      const logFile = this.opts.appLogDir && path.join(this.opts.appLogDir, `${app.name}.log`);
      const proc = spawnManaged(app.name, argv, { cwd: REPO_ROOT, env, log, ...(logFile && { logFile }) });
      if (!logFile) {
        prefixLines(proc.child.stdout, process.stdout, app.name);
        prefixLines(proc.child.stderr, process.stderr, app.name);
      }
      proc.done.then(() => {
        if (!this.stopping) this.opts.onAppExit(app.name, proc.exitReason);
      });
      this.apps.push(proc);
    }

    const api = this.apps[1];
    await waitFor(() => isPortOpen(apiPort), 120_000, `the API on port ${apiPort}`, {
      giveUpIf: () => (api.exited ? `it exited (${api.exitReason})` : undefined),
    });
    return !this.stopping;
  }

  /**
   * Worker first so it stops taking tasks while the API and the stack are still up, then the API, then the
   * stack. While the stack is still starting there is nothing to await: the stack's exit hook signals its
   * children when the caller exits.
   */
  async stop(): Promise<void> {
    this.stopping = true;
    for (const app of this.apps) await app.stop(APP_STOP_GRACE_MS);
    await this.stack?.stop();
  }
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

function prefixLines(from: Readable | null, to: Writable, name: string): void {
  if (!from) return;
  const prefix = `[${name}] `;
  readline.createInterface({ input: from, crlfDelay: Infinity }).on('line', (line) => to.write(prefix + line + '\n'));
}
