import { spawn, spawnSync, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { existsSync, mkdirSync, openSync, closeSync, promises as fs } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { encodeSearchAttributeIndexedValueType } from '@temporalio/common/lib/search-attributes';
import Redis from 'ioredis';
import { MongoClient } from 'mongodb';
import { ORDER_SEARCH_ATTRIBUTES } from '../workflows/search-attributes';
import { ensureTool, findOnPath } from './tools';

// The local stack: Temporal dev server, FerretDB on SQLite (MongoDB wire protocol) and Redis.
// Each service is taken from a URL, reused when already healthy on its port, or spawned here.

export type ServiceName = 'temporal' | 'mongo' | 'redis';

export interface StackPorts {
  temporal: number;
  temporalUi: number;
  mongo: number;
  redis: number;
}

export const DEFAULT_PORTS: StackPorts = { temporal: 7233, temporalUi: 8233, mongo: 27027, redis: 6390 };

export interface StackEnv {
  TEMPORAL_ADDRESS: string;
  TEMPORAL_UI_URL: string;
  MONGODB_URL: string;
  REDIS_URL: string;
}

/** What startStack spawned, enough for a drill test to kill and restart one service. */
export interface SpawnedService {
  service: ServiceName | string;
  command: string[];
  cwd: string;
  pid: number;
  logFile: string;
}

export interface StartStackOptions {
  dataDir: string;
  ports?: Partial<StackPorts>;
  /** Use a healthy server already answering on a port instead of failing. */
  reuse: boolean;
  /** Where TEMPORAL_ADDRESS, MONGODB_URL and REDIS_URL are looked up; pass {} to ignore the developer's. */
  env?: NodeJS.ProcessEnv;
  log?: (msg: string) => void;
}

export interface Stack {
  env: StackEnv;
  spawned: SpawnedService[];
  stop(): Promise<void>;
}

const START_TIMEOUT_MS = 90_000; // a cold Temporal start on a busy 2-core CI machine
const URL_CHECK_TIMEOUT_MS = 15_000; // a server someone else runs should already be up
const STOP_GRACE_MS = 10_000;

export async function startStack(opts: StartStackOptions): Promise<Stack> {
  const ports = { ...DEFAULT_PORTS, ...opts.ports };
  const env = opts.env ?? {};
  const log = opts.log ?? ((msg: string) => console.log(`[stack] ${msg}`));
  const ctx: ServiceContext = { dataDir: path.resolve(opts.dataDir), reuse: opts.reuse, log };
  const namespace = env.TEMPORAL_NAMESPACE || 'default';

  const results = await Promise.allSettled([
    provideTemporal(ctx, ports, namespace, env.TEMPORAL_ADDRESS, env.TEMPORAL_UI_URL),
    provideService(ctx, mongoSpec(ctx, ports.mongo), env.MONGODB_URL),
    provideService(ctx, redisSpec(ctx, ports.redis), env.REDIS_URL),
  ]);

  const running = results.flatMap((r) => (r.status === 'fulfilled' && r.value.process ? [r.value.process] : []));
  const stop = () => stopAll(running);
  const failures = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as Error] : []));
  if (failures.length > 0) {
    await stop();
    throw failures.length === 1
      ? failures[0]
      : new Error(`local stack failed to start:\n- ${failures.map((e) => e.message).join('\n- ')}`);
  }

  const [temporal, mongo, redis] = results.map((r) => (r as PromiseFulfilledResult<Provided>).value);
  return {
    env: {
      TEMPORAL_ADDRESS: temporal.url,
      TEMPORAL_UI_URL: temporal.uiUrl ?? '',
      MONGODB_URL: mongo.url,
      REDIS_URL: redis.url,
    },
    spawned: running.map((p) => p.info),
    stop,
  };
}

// ---------------------------------------------------------------------------------------------
// One service: from a URL, reused, or spawned.

interface ServiceContext {
  dataDir: string;
  reuse: boolean;
  log: (msg: string) => void;
}

interface ServiceSpec {
  service: ServiceName;
  label: string;
  urlEnv: string;
  port: number;
  url: string;
  check(url: string): Promise<void>;
  /** Resolves the binary (building it if needed) and the argv to run it with. */
  command(): Promise<string[]>;
}

interface Provided {
  url: string;
  uiUrl?: string;
  process?: ManagedProcess;
}

async function provideService(ctx: ServiceContext, spec: ServiceSpec, fromEnv: string | undefined): Promise<Provided> {
  if (fromEnv) {
    await waitFor(() => spec.check(fromEnv), URL_CHECK_TIMEOUT_MS, `${spec.label} at ${spec.urlEnv}=${fromEnv}`);
    ctx.log(`${spec.label}: using ${spec.urlEnv}=${fromEnv}`);
    return { url: fromEnv };
  }
  if (await isPortOpen(spec.port)) {
    if (ctx.reuse && (await succeeds(() => spec.check(spec.url)))) {
      ctx.log(`${spec.label}: reusing the one already running at ${spec.url}`);
      return { url: spec.url };
    }
    throw new Error(
      `${spec.label}: port ${spec.port} is already in use` +
        (ctx.reuse ? ` by something that is not a healthy ${spec.label}` : '') +
        `; stop it, or set ${spec.urlEnv} to a server you run yourself`,
    );
  }

  const argv = await spec.command();
  const logFile = path.join(ctx.dataDir, 'logs', `${spec.service}.log`);
  const started = Date.now();
  const proc = spawnManaged(spec.service, argv, { cwd: ctx.dataDir, logFile, log: ctx.log });
  try {
    await waitFor(() => spec.check(spec.url), START_TIMEOUT_MS, `${spec.label} on port ${spec.port}`, {
      giveUpIf: () => (proc.exited ? `it exited (${proc.exitReason})` : undefined),
    });
  } catch (err) {
    await proc.stop();
    const tail = await logTail(logFile);
    throw new Error(`${(err as Error).message}\n--- last lines of ${logFile} ---\n${tail}`);
  }
  ctx.log(`${spec.label}: started on ${spec.url} in ${((Date.now() - started) / 1000).toFixed(1)} s (log: ${logFile})`);
  return { url: spec.url, process: proc };
}

// ---------------------------------------------------------------------------------------------
// Temporal dev server (SQLite file, UI on its own port).

async function provideTemporal(
  ctx: ServiceContext,
  ports: StackPorts,
  namespace: string,
  fromEnv: string | undefined,
  uiFromEnv: string | undefined,
): Promise<Provided> {
  const dir = path.join(ctx.dataDir, 'temporal');
  const spec: ServiceSpec = {
    service: 'temporal',
    label: 'Temporal',
    urlEnv: 'TEMPORAL_ADDRESS',
    port: ports.temporal,
    url: `127.0.0.1:${ports.temporal}`,
    check: (address) => checkTemporal(address, namespace),
    async command() {
      const bin = await ensureTool('temporal', ctx.log);
      mkdirSync(dir, { recursive: true });
      return [
        bin, 'server', 'start-dev',
        '--ip', '127.0.0.1',
        '--port', String(ports.temporal),
        '--ui-port', String(ports.temporalUi),
        '--db-filename', path.join(dir, 'temporal.db'),
        // WAL lets the UI and the worker read while history is written; NORMAL is safe with WAL.
        '--sqlite-pragma', 'journal_mode=wal',
        '--sqlite-pragma', 'synchronous=normal',
        ...(namespace === 'default' ? [] : ['--namespace', namespace]),
        ...Object.entries(ORDER_SEARCH_ATTRIBUTES).flatMap(([name, type]) => ['--search-attribute', `${name}=${type}`]),
        '--log-level', 'warn',
      ];
    },
  };
  const provided = await provideService(ctx, spec, fromEnv);
  try {
    // The flags only register attributes in a fresh db file, and a reused or external server may lack them.
    await withTemporal(provided.url, (conn) => ensureSearchAttributes(conn, namespace, ctx.log));
  } catch (err) {
    await provided.process?.stop();
    throw err;
  }
  const uiUrl = uiFromEnv ?? `http://127.0.0.1:${ports.temporalUi}`;
  return { ...provided, uiUrl };
}

async function withTemporal<T>(address: string, fn: (conn: Connection) => Promise<T>): Promise<T> {
  const conn = await Connection.connect({ address, connectTimeout: 2_000 });
  try {
    // The client retries UNAVAILABLE on its own; a deadline keeps one health probe short.
    return await conn.withDeadline(Date.now() + 5_000, () => fn(conn));
  } finally {
    await conn.close();
  }
}

async function checkTemporal(address: string, namespace: string): Promise<void> {
  await withTemporal(address, async (conn) => {
    await conn.workflowService.getSystemInfo({});
    await conn.workflowService.describeNamespace({ namespace });
  });
}

/** Registers ORDER_SEARCH_ATTRIBUTES that the namespace lacks; fails if one exists with another type. */
export async function ensureSearchAttributes(conn: Connection, namespace: string, log: (msg: string) => void): Promise<void> {
  const wanted = Object.entries(ORDER_SEARCH_ATTRIBUTES).map(([name, cliType]) => {
    // 'Keyword' -> 'KEYWORD', 'KeywordList' -> 'KEYWORD_LIST'
    const sdkType = cliType.replace(/(?<=[a-z])(?=[A-Z])/g, '_').toUpperCase() as Parameters<
      typeof encodeSearchAttributeIndexedValueType
    >[0];
    return { name, cliType, type: encodeSearchAttributeIndexedValueType(sdkType)! };
  });
  const listed = await conn.operatorService.listSearchAttributes({ namespace });
  const existing = { ...listed.customAttributes, ...listed.systemAttributes };
  const wrongType = wanted.filter((a) => a.name in existing && existing[a.name] !== a.type);
  if (wrongType.length > 0) {
    const names = wrongType.map((a) => `${a.name} (want ${a.cliType})`).join(', ');
    throw new Error(`Temporal namespace ${namespace} has search attributes of another type: ${names}`);
  }
  const missing = wanted.filter((a) => !(a.name in existing));
  if (missing.length === 0) return;
  try {
    await conn.operatorService.addSearchAttributes({
      namespace,
      searchAttributes: Object.fromEntries(missing.map((a) => [a.name, a.type])),
    });
  } catch (err) {
    // Another process registering the same attributes at the same moment is fine.
    if ((err as { code?: number }).code !== 6 /* ALREADY_EXISTS */) throw err;
  }
  log(`Temporal: registered search attributes ${missing.map((a) => a.name).join(', ')}`);
}

// ---------------------------------------------------------------------------------------------
// FerretDB v1 on SQLite, speaking the MongoDB wire protocol.

function mongoSpec(ctx: ServiceContext, port: number): ServiceSpec {
  const dir = path.join(ctx.dataDir, 'ferretdb');
  return {
    service: 'mongo',
    label: 'FerretDB',
    urlEnv: 'MONGODB_URL',
    port,
    url: `mongodb://127.0.0.1:${port}/`,
    check: checkMongo,
    async command() {
      const bin = await ensureTool('ferretdb', ctx.log);
      mkdirSync(path.join(dir, 'data'), { recursive: true });
      mkdirSync(path.join(dir, 'state'), { recursive: true });
      return [
        bin,
        '--handler=sqlite',
        // A directory URI: one <database>.sqlite file per MongoDB database; the trailing slash is required.
        `--sqlite-url=file:${path.join(dir, 'data')}/`,
        `--state-dir=${path.join(dir, 'state')}`,
        `--listen-addr=127.0.0.1:${port}`,
        // The debug/metrics listener defaults to a fixed port (8088), which a second stack would collide on.
        '--debug-addr=-',
        '--telemetry=disable',
        // WARN logs every unsupported command the driver sends (e.g. endSessions on close).
        '--log-level=error',
      ];
    },
  };
}

async function checkMongo(url: string): Promise<void> {
  const client = new MongoClient(url, { serverSelectionTimeoutMS: 2_000, connectTimeoutMS: 2_000 });
  try {
    await client.connect();
    await client.db('admin').command({ ping: 1 });
  } finally {
    await client.close();
  }
}

// ---------------------------------------------------------------------------------------------
// Redis with an append-only file, so BullMQ jobs survive a restart.

function redisSpec(ctx: ServiceContext, port: number): ServiceSpec {
  const dir = path.join(ctx.dataDir, 'redis');
  return {
    service: 'redis',
    label: 'Redis',
    urlEnv: 'REDIS_URL',
    port,
    url: `redis://127.0.0.1:${port}`,
    check: checkRedis,
    async command() {
      const bin = findOnPath('redis-server');
      if (!bin) {
        throw new Error(
          'redis-server is not installed: install Redis >= 6 (Debian/Ubuntu: apt-get install redis-server, ' +
            'macOS: brew install redis), or set REDIS_URL to a running server',
        );
      }
      mkdirSync(dir, { recursive: true });
      return [
        bin,
        '--bind', '127.0.0.1',
        '--port', String(port),
        '--appendonly', 'yes',
        '--appendfsync', 'everysec',
        // No RDB snapshots: the AOF is the only persistence, and forks for snapshots would slow tests.
        '--save', '',
        '--dir', dir,
      ];
    },
  };
}

async function checkRedis(url: string): Promise<void> {
  const redis = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 2_000,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  // ioredis reports ECONNREFUSED and friends only as events; connect() just says "Connection is closed".
  let lastError: Error | undefined;
  redis.on('error', (err: Error) => (lastError = err));
  try {
    await redis.connect().catch((err: Error) => {
      throw lastError ?? err;
    });
    const pong = await redis.ping();
    if (pong !== 'PONG') throw new Error(`unexpected PING reply ${pong}`);
  } finally {
    redis.disconnect();
  }
}

// ---------------------------------------------------------------------------------------------
// Child processes that are stopped in order and do not outlive us.

export interface ManagedProcess {
  info: SpawnedService;
  child: ChildProcess;
  readonly exited: boolean;
  readonly exitReason: string;
  /** Resolves once the process and everything in its process group is gone. */
  readonly done: Promise<void>;
  /** SIGTERM to the process group, SIGKILL after graceMs. */
  stop(graceMs?: number): Promise<void>;
}

export interface SpawnManagedOptions {
  cwd: string;
  env?: NodeJS.ProcessEnv;
  /** Append stdout and stderr to this file; without it they are piped (child.stdout / child.stderr). */
  logFile?: string;
  log?: (msg: string) => void;
}

const live = new Set<ManagedProcess>();
let exitHookInstalled = false;

/**
 * Spawns argv in its own process group, so a terminal Ctrl-C reaches only us and we decide the
 * shutdown order. On Linux the child also gets SIGTERM if we die without cleaning up (even SIGKILL).
 */
export function spawnManaged(name: string, argv: string[], opts: SpawnManagedOptions): ManagedProcess {
  installExitHook();
  let stdio: SpawnOptions['stdio'] = ['ignore', 'pipe', 'pipe'];
  let fd: number | undefined;
  if (opts.logFile) {
    mkdirSync(path.dirname(opts.logFile), { recursive: true });
    fd = openSync(opts.logFile, 'a');
    stdio = ['ignore', fd, fd];
  }
  const [cmd, ...args] = withParentDeathSignal(argv);
  const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio, detached: true });
  if (fd !== undefined) closeSync(fd); // the child holds its own copy

  let exited = false;
  let exitReason = '';
  let stopping = false;
  const exitedPromise = new Promise<void>((resolve) => {
    child.on('error', (err) => {
      exited = true;
      exitReason = err.message;
      resolve();
    });
    child.on('exit', (code, signal) => {
      exited = true;
      exitReason = signal ? `signal ${signal}` : `exit code ${code}`;
      if (!stopping) opts.log?.(`${name} exited unexpectedly (${exitReason})`);
      resolve();
    });
  });
  const pid = child.pid ?? -1;
  const done = exitedPromise.then(() => waitGroupGone(pid, STOP_GRACE_MS));

  const proc: ManagedProcess = {
    info: { service: name, command: argv, cwd: opts.cwd, pid, logFile: opts.logFile ?? '' },
    child,
    get exited() {
      return exited;
    },
    get exitReason() {
      return exitReason;
    },
    done,
    async stop(graceMs = STOP_GRACE_MS) {
      stopping = true;
      if (pid > 0 && groupAlive(pid)) {
        signalGroup(pid, 'SIGTERM');
        let timer: NodeJS.Timeout | undefined;
        const gone = await Promise.race([
          done.then(() => true),
          new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), graceMs))),
        ]);
        clearTimeout(timer); // a pending grace timer would keep the caller alive for 10 s
        if (!gone) {
          opts.log?.(`${name} did not stop within ${graceMs / 1000} s, killing it`);
          signalGroup(pid, 'SIGKILL');
        }
      }
      await exitedPromise;
      live.delete(proc);
    },
  };
  live.add(proc);
  done.then(() => live.delete(proc));
  return proc;
}

async function stopAll(procs: ManagedProcess[]): Promise<void> {
  await Promise.all(procs.map((p) => p.stop()));
}

// setpriv ships with util-linux on every Debian/Ubuntu; elsewhere the exit hook is the fallback.
let pdeathsigPrefix: string[] | undefined;
function withParentDeathSignal(argv: string[]): string[] {
  if (pdeathsigPrefix === undefined) {
    const setpriv = process.platform === 'linux' ? findOnPath('setpriv') : undefined;
    const works = setpriv && spawnSync(setpriv, ['--pdeathsig', 'TERM', '--', 'true']).status === 0;
    pdeathsigPrefix = works ? [setpriv, '--pdeathsig', 'TERM', '--'] : [];
  }
  return [...pdeathsigPrefix, ...argv];
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Last resort when the caller exits without stop(): 'exit' handlers must be synchronous, so just signal.
  process.on('exit', () => {
    for (const p of live) if (p.info.pid > 0) signalGroup(p.info.pid, 'SIGTERM');
  });
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // ESRCH: already gone
  }
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

// Helpers fork (Redis AOF rewrites), so the leader exiting does not mean the group is gone.
async function waitGroupGone(pgid: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (pgid > 0 && groupAlive(pgid) && Date.now() < deadline) await sleep(50);
}

// ---------------------------------------------------------------------------------------------
// Small helpers.

/** Retries fn until it resolves (to anything but false) or timeoutMs passes; the error names `what`. */
export async function waitFor<T>(
  fn: () => Promise<T>,
  timeoutMs: number,
  what: string,
  opts: { intervalMs?: number; giveUpIf?: () => string | undefined } = {},
): Promise<Exclude<T, false>> {
  const deadline = Date.now() + timeoutMs;
  let lastError = 'no answer';
  for (;;) {
    const reason = opts.giveUpIf?.();
    if (reason) throw new Error(`gave up waiting for ${what}: ${reason}`);
    try {
      const result = await fn();
      if (result !== false) return result as Exclude<T, false>;
      lastError = 'not ready';
    } catch (err) {
      lastError = (err as Error).message;
    }
    if (Date.now() >= deadline) {
      throw new Error(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}: ${lastError}`);
    }
    await sleep(opts.intervalMs ?? 250);
  }
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** True when something accepts TCP connections on host:port. */
export function isPortOpen(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (open: boolean) => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(1_000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

async function succeeds(fn: () => Promise<unknown>): Promise<boolean> {
  try {
    await fn();
    return true;
  } catch {
    return false;
  }
}

async function logTail(file: string, lines = 30): Promise<string> {
  if (!existsSync(file)) return '(no log written)';
  const text = await fs.readFile(file, 'utf8');
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
