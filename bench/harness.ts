import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode } from '@temporalio/worker';
import { Redis } from 'ioredis';
import { MongoClient, type Db } from 'mongodb';
import { freePort, freeStackPorts, spawnManaged, startStack, waitFor, type ManagedProcess, type Stack } from '../scripts/stack';
import { REPO_ROOT } from '../scripts/tools';
import { EMBEDDED_MONGO_POOL_SIZE } from '../scripts/tuning';
import { FakeShopify } from './fake-shopify';
import { ApiClient } from './api-client';

// The bench's own world: a stack on free ports in a throwaway directory, the real API and worker
// processes (node --import tsx), a worker for the no-op baseline workflow, and the Shopify stand-in.

export const BENCH_API_KEY = 'bench-api-key-0123456789abcdef';
export const BENCH_DB = 'orderhub_bench';
export const ORDER_TASK_QUEUE = 'orderhub-orders';
export const BASELINE_TASK_QUEUE = 'bench-baseline';
export const BULLMQ_PREFIX = 'orderhub';

export interface WorkerTuning {
  activities: number; // WORKER_MAX_CONCURRENT_ACTIVITIES
  workflowTasks: number; // WORKER_MAX_CONCURRENT_WORKFLOW_TASKS
  cachedWorkflows: number; // WORKER_MAX_CACHED_WORKFLOWS
}

export const tuningLabel = (t: WorkerTuning) => `activities ${t.activities}, workflow tasks ${t.workflowTasks}, cache ${t.cachedWorkflows}`;

export interface Bench {
  dataDir: string;
  stack: Stack;
  api: ApiClient;
  apiProcess: ManagedProcess;
  worker: ManagedProcess;
  baselineWorker: ManagedProcess;
  /** Stops the order worker and starts a fresh one (an empty workflow cache), once it polls its task queue. */
  restartWorker(): Promise<void>;
  tuning: WorkerTuning;
  temporal: Client;
  mongo: MongoClient;
  db: Db;
  redis: Redis;
  shopify: FakeShopify;
  stop(): Promise<void>;
}

const APP_VARS = /^(PORT|API_HOST|NODE_ENV|LOG_LEVEL|TEMPORAL_|MONGODB_|REDIS_URL|ORDERHUB_|BULLMQ_PREFIX|WORKER_|WORKFLOW_BUNDLE_PATH)/;

export async function startBench(opts: { tuning: WorkerTuning; log: (msg: string) => void }): Promise<Bench> {
  const { log } = opts;
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'orderhub-bench-'));
  const cleanups: Array<() => Promise<void>> = [];
  const cleanup = async () => {
    for (const fn of cleanups.reverse()) await fn().catch((err: Error) => log(`cleanup: ${err.message}`));
    if (!process.env.ORDERHUB_KEEP_BENCH_DATA) rmSync(dataDir, { recursive: true, force: true });
    else log(`keeping ${dataDir} (ORDERHUB_KEEP_BENCH_DATA is set)`);
  };
  try {
    const stackPorts = await freeStackPorts();
    const apiPort = await freePortBesides(Object.values(stackPorts));
    const started = Date.now();
    // Bundling is CPU work and the stack mostly waits on Temporal's start: do both at once.
    const [stack, bundles] = await Promise.all([
      startStack({ dataDir, ports: stackPorts, reuse: false, env: {}, log: (m) => log(`[stack] ${m}`) }),
      bundleAll(dataDir),
    ]);
    cleanups.push(() => stack.stop());
    log(`stack and workflow bundles ready in ${((Date.now() - started) / 1000).toFixed(1)} s (data: ${dataDir})`);

    const shopify = new FakeShopify();
    await shopify.start();
    cleanups.push(() => shopify.stop());

    const baseEnv: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !APP_VARS.test(k)));
    const appEnv = (tuning: WorkerTuning): NodeJS.ProcessEnv => ({
      ...baseEnv,
      TEMPORAL_ADDRESS: stack.env.TEMPORAL_ADDRESS,
      MONGODB_URL: stack.env.MONGODB_URL,
      REDIS_URL: stack.env.REDIS_URL,
      SMTP_URL: stack.env.SMTP_URL,
      MONGODB_DB: BENCH_DB,
      PORT: String(apiPort),
      ORDERHUB_API_KEY: BENCH_API_KEY,
      LOG_LEVEL: 'warn',
      WORKFLOW_BUNDLE_PATH: bundles.orders,
      BASELINE_BUNDLE_PATH: bundles.baseline,
      BASELINE_TASK_QUEUE,
      WORKER_MAX_CONCURRENT_ACTIVITIES: String(tuning.activities),
      WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: String(tuning.workflowTasks),
      WORKER_MAX_CACHED_WORKFLOWS: String(tuning.cachedWorkflows),
      MONGODB_MAX_POOL_SIZE: String(EMBEDDED_MONGO_POOL_SIZE),
    });
    const spawnApp = (name: string, script: string, tuning: WorkerTuning) =>
      // BENCH_CPU_PROF=<dir>: each app process writes a V8 CPU profile there when it stops.
      spawnManaged(
        name,
        [
          process.execPath,
          ...(process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : []),
          '--import',
          'tsx',
          script,
        ],
        {
          cwd: REPO_ROOT,
          env: appEnv(tuning),
          logFile: path.join(dataDir, 'logs', `${name}.log`),
          log: (m) => log(`[${name}] ${m}`),
        },
      );

    const temporalConnection = await Connection.connect({ address: stack.env.TEMPORAL_ADDRESS });
    cleanups.push(() => temporalConnection.close());
    const temporal = new Client({ connection: temporalConnection });
    const mongo = new MongoClient(stack.env.MONGODB_URL, { maxPoolSize: 120 }); // reads and inserts only: no update, so no second PostgreSQL connection each
    await mongo.connect();
    cleanups.push(() => mongo.close());
    const redis = new Redis(stack.env.REDIS_URL, { maxRetriesPerRequest: null });
    cleanups.push(async () => void redis.disconnect());

    const apiProcess = spawnApp('api', 'api/server.ts', opts.tuning);
    cleanups.push(() => apiProcess.stop());
    let worker = spawnApp('worker', 'worker/main.ts', opts.tuning);
    const baselineWorker = spawnApp('baseline-worker', 'bench/baseline/worker.ts', opts.tuning);
    cleanups.push(() => Promise.all([worker.stop(), baselineWorker.stop()]).then(() => undefined));

    const api = new ApiClient(`http://127.0.0.1:${apiPort}`, BENCH_API_KEY);
    const ready = async (procs: ManagedProcess[]) => {
      const giveUpIf = () => procs.find((p) => p.exited)?.info.service.concat(' exited: see its log in ', dataDir, '/logs');
      await waitFor(async () => (await api.health()) === 200, 90_000, 'the API to answer /health', { giveUpIf });
      await waitFor(() => hasPollers(temporal, ORDER_TASK_QUEUE), 90_000, 'the worker to poll its task queue', { giveUpIf });
      await waitFor(() => hasPollers(temporal, BASELINE_TASK_QUEUE), 90_000, 'the baseline worker to poll its task queue', { giveUpIf });
    };
    await ready([apiProcess, worker, baselineWorker]);
    log(`API on ${api.baseUrl}, worker pid ${worker.info.pid}, API pid ${apiProcess.info.pid}, Shopify stand-in on ${shopify.url}`);

    const bench: Bench = {
      dataDir,
      stack,
      api,
      apiProcess,
      worker,
      baselineWorker,
      async restartWorker() {
        await worker.stop();
        worker = spawnApp('worker', 'worker/main.ts', opts.tuning);
        bench.worker = worker;
        const giveUpIf = () => (worker.exited ? `worker exited: see its log in ${dataDir}/logs` : undefined);
        await waitFor(() => hasPollers(temporal, ORDER_TASK_QUEUE, worker.info.pid), 90_000, 'the restarted worker to poll', { giveUpIf });
      },
      tuning: opts.tuning,
      temporal,
      mongo,
      db: mongo.db(BENCH_DB),
      redis,
      shopify,
      stop: cleanup,
    };
    return bench;
  } catch (err) {
    await cleanup();
    throw err;
  }
}

async function bundleAll(dataDir: string): Promise<{ orders: string; baseline: string }> {
  const logger = { trace: noop, debug: noop, info: noop, warn: noop, error: (m: string) => console.error(m), log: noop };
  const orders = path.join(dataDir, 'workflow-bundle.js');
  const baseline = path.join(dataDir, 'baseline-bundle.js');
  const [o, b] = await Promise.all([
    bundleWorkflowCode({ workflowsPath: path.join(REPO_ROOT, 'workflows', 'index.ts'), logger }),
    bundleWorkflowCode({ workflowsPath: path.join(REPO_ROOT, 'bench', 'baseline', 'workflows.ts'), logger }),
  ]);
  writeFileSync(orders, o.code);
  writeFileSync(baseline, b.code);
  return { orders, baseline };
}

const noop = () => {};

async function pollerIdentities(temporal: Client, taskQueue: string): Promise<string[]> {
  const res = await temporal.workflowService.describeTaskQueue({
    namespace: 'default',
    taskQueue: { name: taskQueue },
    taskQueueType: 1 /* WORKFLOW */,
  });
  return (res.pollers ?? []).map((p) => p.identity ?? '');
}

// Whether a worker polls the task queue (with pid: that process, whose identity Temporal's SDK starts with it).
async function hasPollers(temporal: Client, taskQueue: string, pid?: number): Promise<boolean> {
  const identities = await pollerIdentities(temporal, taskQueue);
  return pid === undefined ? identities.length > 0 : identities.some((id) => id.startsWith(`${pid}@`));
}

async function freePortBesides(taken: number[]): Promise<number> {
  for (;;) {
    const port = await freePort();
    if (!taken.includes(port)) return port;
  }
}

/** Resident and peak resident memory of a process, in MiB, from /proc/<pid>/status. */
export async function memoryOf(pid: number): Promise<{ rssMiB: number; peakMiB: number } | undefined> {
  try {
    const { readFile } = await import('node:fs/promises');
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN);
    return { rssMiB: kib('VmRSS') / 1024, peakMiB: kib('VmHWM') / 1024 };
  } catch {
    return undefined;
  }
}
