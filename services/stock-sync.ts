import { Histogram, register } from 'prom-client';
import { createHash } from 'node:crypto';
import { Queue, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { availableToSell, channelSkusOf, type ConnectionView } from '../domain/connection';
import { buildConnector } from '../connectors/registry';
import type { StockLevel } from '../connectors/types';
import { nextAvailableDate } from '../domain/promise';
import type { Connections } from '../store/connections';
import type { OrdersView } from '../store/orders';
import type { PurchaseOrders } from '../store/purchasing';
import type { StockLedger } from '../store/stock-ledger';
import type { StockSyncLog } from '../store/stock-sync';
import type { Logger } from '../domain/logger';

export const STOCK_PUSH_QUEUE = 'orderhub-stock-push';

// In the process's default prom-client registry: the worker serves it at WORKER_METRICS_ADDRESS.
const stockPushLag = new Histogram({
  name: 'orderhub_stock_push_lag_seconds',
  help: 'Time from a stock change to its push to the channels being done (debounce and retries included)',
  buckets: [0.5, 1, 2, 5, 10, 30, 60, 300, 900],
  registers: [register],
});
const DEBOUNCE_MS = 1_000; // changes within this window become one push with the latest value
const BATCH = 500;

export interface StockSyncDeps {
  connections: Pick<Connections, 'list' | 'withCredentials'>;
  ledger: Pick<StockLedger, 'balance'>;
  stockSync: Pick<StockSyncLog, 'recordPushed'>;
  // For channels that show a sold-out listing's restock date; without them no date is sent.
  orders?: Pick<OrdersView, 'waitingForSku'>;
  purchaseOrders?: Pick<PurchaseOrders, 'inboundForSku'>;
  redis: Redis;
  log: Logger;
  now?: () => Date;
}

const dirtyKey = (connectionId: string) => `orderhub:stock-dirty:${connectionId}`;
const lockKey = (connectionId: string) => `orderhub:stock-push-lock:${connectionId}`;
// Reconciliations in flight for a connection: a sorted set of run tokens scored by when each lapses.
const reconcilingKey = (connectionId: string) => `orderhub:stock-reconciling:${connectionId}`;
// Skus a change push sent while a reconciliation was in flight: sent again once it is done.
const resendKey = (connectionId: string) => `orderhub:stock-resend:${connectionId}`;

/*
 * Ordering: what Amazon (or any channel) holds for an sku is always the latest value Orderhub sent it.
 *
 * - Change pushes for one connection run one at a time under a Redis lock that is renewed for as long as
 *   the push runs (LOCK_TTL_MS, renewed every LOCK_RENEW_MS), so a slow push never outlives its lock and
 *   two change pushes never overlap. Each reads the ledger under the lock, so later pushes carry newer values.
 * - A reconciliation (an Amazon listings feed can take ten minutes) does not take that lock: changes keep
 *   landing within seconds. Instead it registers itself before it reads any value. A change push that sees a
 *   reconciliation in flight also records its skus in a resend set. When the feed is done (processed by
 *   Amazon, or failed) the reconciliation unregisters and, if it was the last one in flight, takes the
 *   change lock and pushes the resend skus again with their current values.
 * So a feed holding an older value than a change that overlapped it is always followed by a push of the
 * current value: a change before the registration was read before the feed's snapshot (the feed's value is
 * as new); a change during it is re-sent after the feed; a change after it lands after the feed.
 * This relies on the channel applying one seller's submissions for an sku in the order they were accepted.
 */
const LOCK_TTL_MS = 30_000;
const LOCK_RENEW_MS = 10_000;
const RECONCILE_TTL_MS = 60_000;
const DRAIN_LOCK_WAIT_MS = 10 * 60_000;

// Renews a key while its holder runs; the owner token guards against renewing someone else's key.
const RENEW_IF_OWNER = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) else return 0 end`;
const DELETE_IF_OWNER = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end`;

// The consumer of the debounced pushes; runs in the worker process.
export function startStockPushConsumer(
  deps: StockSyncDeps,
  opts: { prefix: string; concurrency?: number },
): { worker: Worker; close(): Promise<void> } {
  const connection = deps.redis.duplicate({ maxRetriesPerRequest: null });
  const queue = new Queue(STOCK_PUSH_QUEUE, { connection, prefix: opts.prefix });
  const worker = new Worker(STOCK_PUSH_QUEUE, stockFlushProcessor(deps, queue), {
    connection,
    prefix: opts.prefix,
    concurrency: opts.concurrency ?? 10,
  });
  // From the first change of a debounce window (the job's creation) to its push being done, retries included.
  worker.on('completed', (job) => stockPushLag.observe(Math.max(0, (job.finishedOn ?? Date.now()) - job.timestamp) / 1000));
  worker.on('failed', (job, err) =>
    deps.log.warn('stock push failed, will retry', {
      connectionId: job?.data.connectionId,
      attempt: job?.attemptsMade,
      error: err.message,
    }),
  );
  return {
    worker,
    async close() {
      await worker.close();
      await queue.close();
      await connection.quit().catch(() => undefined);
    },
  };
}

// Available-to-sell for each sku at each channel location the connection feeds.
export async function levelsFor(connection: ConnectionView, skus: string[], ledger: Pick<StockLedger, 'balance'>): Promise<StockLevel[]> {
  const levels: StockLevel[] = [];
  for (const feed of connection.stockFeeds) {
    for (const sku of skus) {
      const balances = await Promise.all(feed.locationIds.map((loc) => ledger.balance(sku, loc)));
      levels.push({
        sku,
        channelLocationId: feed.channelLocationId,
        available: availableToSell(
          balances.map((b) => b.available),
          connection.safetyBuffer,
        ),
      });
    }
  }
  return levels;
}

// For each sku sold out at every channel location of the connection: the date one more unit is promised,
// behind the orders waiting for it, from the purchase orders expected at the feeds' locations (what is left
// there below the safety buffer counts as available now). Skus with nothing inbound get none.
async function restockDatesFor(deps: StockSyncDeps, connection: ConnectionView, levels: StockLevel[]): Promise<Map<string, string>> {
  const dates = new Map<string, string>();
  if (!deps.orders || !deps.purchaseOrders) return dates;
  const soldOut = [...new Set(levels.map((l) => l.sku))].filter((sku) => levels.every((l) => l.sku !== sku || l.available <= 0));
  const fed = [...new Set(connection.stockFeeds.flatMap((f) => f.locationIds))];
  const today = (deps.now?.() ?? new Date()).toISOString().slice(0, 10);
  for (const sku of soldOut) {
    const inbound = (await deps.purchaseOrders.inboundForSku(sku)).filter((i) => fed.includes(i.locationId));
    if (inbound.length === 0) continue;
    const balances = await Promise.all(fed.map((loc) => deps.ledger.balance(sku, loc)));
    const availableNow = balances.reduce((n, b) => n + Math.max(0, b.available), 0);
    const date = nextAvailableDate({ today, sku, availableNow, inbound, waiting: await deps.orders.waitingForSku(sku) });
    if (date && date > today) dates.set(sku, date);
  }
  return dates;
}

// Push the current available-to-sell of these skus to one channel and record what was sent; a channel that
// shows restock dates gets one with each sold-out sku that has stock on its way.
export async function pushStock(
  deps: StockSyncDeps,
  connectionId: string,
  skus: string[],
  trigger: 'change' | 'reconcile',
): Promise<number> {
  const connection = await deps.connections.withCredentials(connectionId);
  if (!connection || !connection.enabled || connection.stockFeeds.length === 0) return 0;
  const connector = buildConnector(connection, { redis: deps.redis, log: deps.log });
  if (!connector.stock) return 0;
  let pushed = 0;
  for (let i = 0; i < skus.length; i += BATCH) {
    const levels = await levelsFor(connection, skus.slice(i, i + BATCH), deps.ledger);
    const restock = connector.stock.carriesRestockDate ? await restockDatesFor(deps, connection, levels) : new Map<string, string>();
    // Sent under the channel's own skus where the connection maps them; recorded under Orderhub's.
    const channelLevels = levels.flatMap((l) =>
      channelSkusOf(connection.skuMap, l.sku).map((sku) => ({
        ...l,
        sku,
        ...(restock.has(l.sku) && { restockDate: restock.get(l.sku)! }),
      })),
    );
    await connector.stock.setAvailable(channelLevels, { mode: trigger });
    await deps.stockSync.recordPushed(levels.map((l) => ({ connectionId, ...l, trigger })));
    pushed += levels.length;
  }
  return pushed;
}

// Marks skus as changed for every connection that sells them and schedules a debounced push.
export class StockChangeNotifier {
  private readonly queue: Queue;
  private cached: { at: number; connections: ConnectionView[] } | undefined;

  constructor(
    private readonly deps: Pick<StockSyncDeps, 'connections' | 'redis' | 'log'>,
    prefix: string,
  ) {
    this.queue = new Queue(STOCK_PUSH_QUEUE, { connection: deps.redis, prefix });
  }

  async markChanged(sku: string): Promise<void> {
    const targets = (await this.stockConnections()).filter((c) => c.enabled && c.stockFeeds.length > 0);
    await Promise.all(
      targets.map(async (c) => {
        await this.deps.redis.sadd(dirtyKey(c.id), sku);
        await scheduleFlush(this.queue, c.id, DEBOUNCE_MS);
      }),
    );
  }

  close(): Promise<void> {
    return this.queue.close();
  }

  private async stockConnections(): Promise<ConnectionView[]> {
    // A short cache: a new connection starts receiving change pushes within two seconds.
    if (!this.cached || Date.now() - this.cached.at > 2_000)
      this.cached = { at: Date.now(), connections: await this.deps.connections.list() };
    return this.cached.connections;
  }
}

// One flush job per connection and time bucket: a burst collapses into one job; a later change gets a new one.
async function scheduleFlush(queue: Queue, connectionId: string, delayMs: number): Promise<void> {
  const bucket = Math.floor((Date.now() + delayMs) / DEBOUNCE_MS);
  const jobId = createHash('sha1').update(`${connectionId}|${bucket}`).digest('hex');
  await queue.add(
    'flush',
    { connectionId },
    { jobId, delay: delayMs, attempts: 10, backoff: { type: 'exponential', delay: 1_000 }, removeOnComplete: true, removeOnFail: 1000 },
  );
}

// The flush job: one at a time per connection (a renewed Redis lock), takes the dirty skus, pushes their
// current value; while a reconciliation is in flight the skus are also kept for resending after it.
export function stockFlushProcessor(deps: StockSyncDeps, queue: Queue) {
  return async (job: Job<{ connectionId: string }>): Promise<{ pushed: number }> => {
    const { connectionId } = job.data;
    const lock = await takeLock(deps.redis, connectionId, `${job.id}:${Date.now()}`);
    if (!lock) {
      await scheduleFlush(queue, connectionId, DEBOUNCE_MS);
      return { pushed: 0 };
    }
    let skus: string[] = [];
    try {
      skus = (await deps.redis.spop(dirtyKey(connectionId), BATCH)) ?? [];
      if (skus.length && (await reconciliationsInFlight(deps.redis, connectionId)) > 0)
        await deps.redis.sadd(resendKey(connectionId), ...skus);
      const pushed = skus.length ? await pushStock(deps, connectionId, skus, 'change') : 0;
      if ((await deps.redis.scard(dirtyKey(connectionId))) > 0) await scheduleFlush(queue, connectionId, 0);
      return { pushed };
    } catch (err) {
      if (skus.length) await deps.redis.sadd(dirtyKey(connectionId), ...skus); // try these again
      throw err;
    } finally {
      await lock.release();
    }
  };
}

// The scheduled reconciliation: every given sku's current value through the channel's reconcile lane,
// ordered against change pushes as described at the top. `alive` is called at least every LOCK_RENEW_MS
// while it runs (the activity heartbeats through it: a feed can take minutes).
export async function reconcileStock(
  deps: StockSyncDeps,
  connectionId: string,
  skus: string[],
  alive: () => void = () => undefined,
): Promise<{ pushed: number; resent: number }> {
  const token = `${process.pid}:${Date.now()}:${Math.random().toString(36).slice(2)}`;
  // Registered (and kept registered) with a lapse time; runs that died without unregistering lapse and go.
  const register = async () => {
    await deps.redis.zremrangebyscore(reconcilingKey(connectionId), '-inf', Date.now());
    await deps.redis.zadd(reconcilingKey(connectionId), Date.now() + RECONCILE_TTL_MS, token);
  };
  await register();
  const timer = setInterval(() => {
    alive();
    register().catch(() => undefined);
  }, LOCK_RENEW_MS);
  let pushed: number;
  try {
    pushed = await pushStock(deps, connectionId, skus, 'reconcile');
  } finally {
    clearInterval(timer);
    await deps.redis.zrem(reconcilingKey(connectionId), token);
  }
  // The last reconciliation in flight re-sends what changed while feeds were out; an earlier one leaves
  // that to the last, whose feed may still carry older values of those skus.
  if ((await reconciliationsInFlight(deps.redis, connectionId)) > 0) return { pushed, resent: 0 };
  const lock = await waitForLock(deps.redis, connectionId, `reconcile:${token}`, alive);
  try {
    const resend = (await deps.redis.smembers(resendKey(connectionId))) ?? [];
    if (resend.length === 0) return { pushed, resent: 0 };
    const resent = await pushStock(deps, connectionId, resend, 'change');
    await deps.redis.srem(resendKey(connectionId), ...resend);
    return { pushed, resent };
  } finally {
    await lock.release();
  }
}

async function reconciliationsInFlight(redis: Redis, connectionId: string): Promise<number> {
  return redis.zcount(reconcilingKey(connectionId), Date.now(), '+inf');
}

interface HeldLock {
  release(): Promise<void>;
}

// The per-connection change lock, renewed every LOCK_RENEW_MS until released; undefined when it is taken.
async function takeLock(redis: Redis, connectionId: string, token: string): Promise<HeldLock | undefined> {
  const key = lockKey(connectionId);
  if (!(await redis.set(key, token, 'PX', LOCK_TTL_MS, 'NX'))) return undefined;
  const timer = setInterval(() => {
    redis.eval(RENEW_IF_OWNER, 1, key, token, LOCK_TTL_MS).catch(() => undefined);
  }, LOCK_RENEW_MS);
  return {
    async release() {
      clearInterval(timer);
      await redis.eval(DELETE_IF_OWNER, 1, key, token);
    },
  };
}

async function waitForLock(redis: Redis, connectionId: string, token: string, alive: () => void): Promise<HeldLock> {
  const deadline = Date.now() + DRAIN_LOCK_WAIT_MS;
  for (;;) {
    const lock = await takeLock(redis, connectionId, token);
    if (lock) return lock;
    if (Date.now() > deadline) throw new Error(`stock push lock of connection ${connectionId} stayed taken for ${DRAIN_LOCK_WAIT_MS} ms`);
    alive();
    await new Promise((r) => setTimeout(r, 250));
  }
}
