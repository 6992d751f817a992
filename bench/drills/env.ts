import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode } from '@temporalio/worker';
import Redis from 'ioredis';
import { MongoClient, type Db } from 'mongodb';
import pg from 'pg';
import {
  freePort,
  freeStackPorts,
  isPortOpen,
  sleep,
  spawnManaged,
  startStack,
  stopSignal,
  waitFor,
  type ManagedProcess,
  type Stack,
} from '../../scripts/stack';
import { REPO_ROOT } from '../../scripts/tools';
import { EMBEDDED_MONGO_POOL_SIZE, EMBEDDED_TUNING } from '../../scripts/tuning';

// The drills' own world: a stack on free ports in a throwaway directory, plus the real API and worker
// processes. Every service can be stopped and started again with the same command and data directory.

export type ServiceName = 'temporal' | 'postgres' | 'mongo' | 'redis';
export type AppName = 'api' | 'worker';

export const DRILL_API_KEY = 'drill-api-key-0123456789abcdef';
// The worker settings npm start uses for the embedded store (scripts/tuning.ts): on a small machine fewer
// activities at a time finish sooner than the MongoDB default of 100.
const WORKER_MAX_CONCURRENT_ACTIVITIES = process.env.DRILL_WORKER_MAX_CONCURRENT_ACTIVITIES ?? String(EMBEDDED_TUNING.activities);

/** Each drill gets its own database, task queue and BullMQ prefix: its checks see only its own orders. */
export interface DrillScope {
  db: string;
  taskQueue: string;
  bullPrefix: string;
}

interface ServiceSlot {
  name: ServiceName;
  command: string[];
  cwd: string;
  logFile: string;
  pid: number; // process group of the current incarnation
  uid?: number; // PostgreSQL runs as the postgres user when we are root
  gid?: number;
  proc?: ManagedProcess; // set once we spawned it ourselves (after a restart)
}

export interface Outage {
  stoppedAt: number; // the process group is gone
  restartedAt: number; // the new process was spawned (the fault ends here)
  healthyAt: number; // it answers its protocol again
}

export class DrillEnv {
  readonly apiUrl: string;
  readonly temporal: Client;
  private scope: DrillScope = { db: 'orderhub_drills', taskQueue: 'orderhub-drills', bullPrefix: 'drills' };
  private readonly apps = new Map<AppName, ManagedProcess>();
  private readonly services: Map<ServiceName, ServiceSlot>;

  private constructor(
    readonly dataDir: string,
    private readonly stack: Stack,
    private readonly appEnv: NodeJS.ProcessEnv,
    apiPort: number,
    private readonly temporalConnection: Connection,
    private readonly mongo: MongoClient,
    readonly workflowBundleSeconds: number,
    private readonly log: (msg: string) => void,
  ) {
    this.apiUrl = `http://127.0.0.1:${apiPort}`;
    this.temporal = new Client({ connection: temporalConnection });
    this.services = new Map(
      stack.spawned.map((s) => [
        s.service as ServiceName,
        { name: s.service as ServiceName, command: s.command, cwd: s.cwd, logFile: s.logFile, pid: s.pid, uid: s.uid, gid: s.gid },
      ]),
    );
  }

  static async start(log: (msg: string) => void): Promise<DrillEnv> {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'orderhub-drill-'));
    let stack: Stack | undefined;
    try {
      stack = await startStack({ dataDir, ports: await freeStackPorts(), reuse: false, env: {}, log: (m) => log(`[stack] ${m}`) });
      // The worker would bundle the workflows at every start; bundle once so a restart measures recovery, not webpack.
      const bundleStarted = Date.now();
      const { code } = await bundleWorkflowCode({ workflowsPath: path.join(REPO_ROOT, 'workflows', 'index.ts'), logger: quietLogger });
      const bundlePath = path.join(dataDir, 'workflow-bundle.js');
      writeFileSync(bundlePath, code);
      const workflowBundleSeconds = (Date.now() - bundleStarted) / 1000;
      const apiPort = await freePort();
      const appEnv: NodeJS.ProcessEnv = {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        NODE_ENV: 'development',
        ...stack.env,
        TEMPORAL_NAMESPACE: 'default',
        PORT: String(apiPort),
        API_HOST: '127.0.0.1',
        ORDERHUB_API_KEY: DRILL_API_KEY,
        LOG_LEVEL: 'warn',
        WORKER_MAX_CONCURRENT_ACTIVITIES,
        MONGODB_MAX_POOL_SIZE: String(EMBEDDED_MONGO_POOL_SIZE),
        WORKFLOW_BUNDLE_PATH: bundlePath,
      };
      const temporalConnection = await Connection.connect({ address: stack.env.TEMPORAL_ADDRESS });
      const mongo = new MongoClient(stack.env.MONGODB_URL, { serverSelectionTimeoutMS: 5_000 });
      await mongo.connect();
      return new DrillEnv(dataDir, stack, appEnv, apiPort, temporalConnection, mongo, workflowBundleSeconds, log);
    } catch (err) {
      await stack?.stop();
      rmSync(dataDir, { recursive: true, force: true });
      throw err;
    }
  }

  /** The current drill's database. */
  get db(): Db {
    return this.mongo.db(this.scope.db);
  }

  /** Moves to a new drill's database, task queue and BullMQ prefix; the apps must be (re)started after. */
  useScope(scope: DrillScope): void {
    this.scope = scope;
  }

  // ---- The API and worker processes --------------------------------------------------------------------

  /** Starts the API (ready when /health answers 200) or the worker (ready when Temporal lists it among its task queue's pollers); wait: false returns at once. */
  async startApp(name: AppName, opts: { wait?: boolean } = {}): Promise<ManagedProcess> {
    const entry = name === 'api' ? 'api/server.ts' : 'worker/main.ts';
    const logFile = path.join(this.dataDir, 'logs', `${this.scope.db}-${name}.log`);
    const proc = spawnManaged(name, [process.execPath, '--import', 'tsx', path.join(REPO_ROOT, entry)], {
      cwd: REPO_ROOT,
      env: { ...this.appEnv, MONGODB_DB: this.scope.db, TEMPORAL_TASK_QUEUE: this.scope.taskQueue, BULLMQ_PREFIX: this.scope.bullPrefix },
      logFile,
      log: (m) => this.log(`[${name}] ${m}`),
    });
    this.apps.set(name, proc);
    const giveUpIf = () => (proc.exited ? `it exited (${proc.exitReason}); see ${logFile}` : undefined);
    if (opts.wait === false) return proc;
    if (name === 'api') {
      await waitFor(() => this.apiHealthy(), 90_000, 'the API to answer /health', { giveUpIf });
    } else {
      // Temporal lists this process among its task queue's pollers (the SDK's identity starts with the pid).
      const running = async () => {
        const { pollers } = await this.temporal.workflowService.describeTaskQueue({
          namespace: 'default',
          taskQueue: { name: this.scope.taskQueue },
          taskQueueType: 1 /* WORKFLOW */,
        });
        return (pollers ?? []).some((p) => p.identity?.startsWith(`${proc.info.pid}@`));
      };
      await waitFor(running, 90_000, 'the worker to poll Temporal', { giveUpIf });
    }
    return proc;
  }

  async stopApps(): Promise<void> {
    await Promise.all([...this.apps.values()].map((p) => p.stop()));
    this.apps.clear();
  }

  /** A real crash: SIGKILL to the whole process group, no shutdown hooks. */
  async killApp(name: AppName): Promise<void> {
    const proc = this.apps.get(name);
    if (!proc) return;
    try {
      process.kill(-proc.info.pid, 'SIGKILL');
    } catch {
      // already gone
    }
    await proc.done;
  }

  async apiHealthy(): Promise<boolean> {
    try {
      const res = await fetch(`${this.apiUrl}/health`, { signal: AbortSignal.timeout(3_000) });
      return res.status === 200;
    } catch {
      return false;
    }
  }

  // ---- The stack's services ----------------------------------------------------------------------------

  /**
   * Stops a service (SIGTERM to its process group, so Redis flushes its AOF and Temporal closes its SQLite
   * file; PostgreSQL a fast shutdown), waits downMs, then starts it again with the same command line and data directory.
   */
  async restartService(name: ServiceName, downMs = 0): Promise<Outage> {
    const slot = this.services.get(name);
    if (!slot) throw new Error(`${name} was not started by the drills, so it cannot be restarted`);
    await stopGroup(name, slot.pid, 20_000);
    const stoppedAt = Date.now();
    this.log(`${name} stopped (pid ${slot.pid})`);
    if (downMs > 0) await sleep(downMs);
    const proc = spawnManaged(name, slot.command, {
      cwd: slot.cwd,
      logFile: slot.logFile,
      log: (m) => this.log(`[${name}] ${m}`),
      ...(slot.uid !== undefined && { uid: slot.uid, gid: slot.gid }),
    });
    const restartedAt = Date.now();
    slot.pid = proc.info.pid;
    slot.proc = proc;
    await waitFor(() => this.serviceHealthy(name), 120_000, `${name} to come back`, {
      intervalMs: 100,
      giveUpIf: () => (proc.exited ? `it exited (${proc.exitReason}); see ${slot.logFile}` : undefined),
    });
    const healthyAt = Date.now();
    this.log(`${name} back after ${((healthyAt - stoppedAt) / 1000).toFixed(1)} s down (pid ${proc.info.pid})`);
    return { stoppedAt, restartedAt, healthyAt };
  }

  async serviceHealthy(name: ServiceName): Promise<boolean> {
    const env = this.stack.env;
    if (name === 'redis') {
      const redis = new Redis(env.REDIS_URL, {
        lazyConnect: true,
        connectTimeout: 1_000,
        maxRetriesPerRequest: 0,
        enableOfflineQueue: false,
        retryStrategy: () => null,
      });
      redis.on('error', () => undefined);
      try {
        await redis.connect();
        return (await redis.ping()) === 'PONG';
      } catch {
        return false;
      } finally {
        redis.disconnect();
      }
    }
    if (name === 'postgres') {
      const client = new pg.Client({ connectionString: env.POSTGRES_URL, connectionTimeoutMillis: 1_000 });
      client.on('error', () => undefined);
      try {
        await client.connect();
        await client.query('SELECT 1');
        return true;
      } catch {
        return false;
      } finally {
        await client.end().catch(() => undefined);
      }
    }
    if (name === 'mongo') {
      const client = new MongoClient(env.MONGODB_URL, { serverSelectionTimeoutMS: 1_000, connectTimeoutMS: 1_000 });
      try {
        await client.connect();
        await client.db('admin').command({ ping: 1 });
        return true;
      } catch {
        return false;
      } finally {
        await client.close().catch(() => undefined);
      }
    }
    if (!(await isPortOpen(Number(env.TEMPORAL_ADDRESS.split(':').pop())))) return false;
    let conn: Connection | undefined;
    try {
      conn = await Connection.connect({ address: env.TEMPORAL_ADDRESS, connectTimeout: 1_000 });
      await conn.withDeadline(Date.now() + 3_000, async () => {
        await conn!.workflowService.getSystemInfo({});
        await conn!.workflowService.describeNamespace({ namespace: 'default' });
      });
      return true;
    } catch {
      return false;
    } finally {
      await conn?.close().catch(() => undefined);
    }
  }

  // ---- Teardown ----------------------------------------------------------------------------------------

  async stop(opts: { keepData?: boolean } = {}): Promise<void> {
    // The app processes first (they would only log connection errors), then the services.
    await Promise.all([...this.apps.values()].map((p) => p.stop()));
    await this.temporalConnection.close().catch(() => undefined);
    await this.mongo.close().catch(() => undefined);
    const restarted = [...this.services.values()].flatMap((s) => (s.proc ? [s.proc] : []));
    await Promise.all([this.stack.stop(), ...restarted.map((p) => p.stop())]);
    if (!opts.keepData) rmSync(this.dataDir, { recursive: true, force: true });
  }
}

async function stopGroup(service: ServiceName, pgid: number, graceMs: number): Promise<void> {
  const alive = () => {
    try {
      process.kill(-pgid, 0);
      return true;
    } catch (err) {
      return (err as NodeJS.ErrnoException).code === 'EPERM';
    }
  };
  if (!alive()) return;
  stopSignal(service, pgid);
  const deadline = Date.now() + graceMs;
  while (alive() && Date.now() < deadline) await sleep(50);
  if (alive()) {
    process.kill(-pgid, 'SIGKILL');
    while (alive()) await sleep(50);
  }
}

const noop = () => {};
const quietLogger = { trace: noop, debug: noop, info: noop, warn: noop, error: (m: string) => console.error(m), log: noop };
