import { createHash } from 'node:crypto';
import { Queue, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { availableToSell, channelSkusOf, type ConnectionView } from '../domain/connection';
import { buildConnector } from '../connectors/registry';
import type { StockLevel } from '../connectors/types';
import type { Connections } from '../store/connections';
import type { StockLedger } from '../store/stock-ledger';
import type { StockSyncLog } from '../store/stock-sync';
import type { Logger } from '../domain/logger';

export const STOCK_PUSH_QUEUE = 'orderhub-stock-push';
const DEBOUNCE_MS = 1_000; // changes within this window become one push with the latest value
const BATCH = 500;

export interface StockSyncDeps {
  connections: Pick<Connections, 'list' | 'withCredentials'>;
  ledger: Pick<StockLedger, 'balance'>;
  stockSync: Pick<StockSyncLog, 'recordPushed'>;
  redis: Redis;
  log: Logger;
}

const dirtyKey = (connectionId: string) => `orderhub:stock-dirty:${connectionId}`;
const lockKey = (connectionId: string) => `orderhub:stock-push-lock:${connectionId}`;

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

// Push the current available-to-sell of these skus to one channel and record what was sent.
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
    // Sent under the channel's own skus where the connection maps them; recorded under Orderhub's.
    await connector.stock.setAvailable(levels.flatMap((l) => channelSkusOf(connection.skuMap, l.sku).map((sku) => ({ ...l, sku }))));
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

// The flush job: one at a time per connection (a Redis lock), takes the dirty skus, pushes their current value.
export function stockFlushProcessor(deps: StockSyncDeps, queue: Queue) {
  return async (job: Job<{ connectionId: string }>): Promise<{ pushed: number }> => {
    const { connectionId } = job.data;
    const token = `${job.id}:${Date.now()}`;
    const locked = await deps.redis.set(lockKey(connectionId), token, 'PX', 120_000, 'NX');
    if (!locked) {
      await scheduleFlush(queue, connectionId, DEBOUNCE_MS);
      return { pushed: 0 };
    }
    let skus: string[] = [];
    try {
      skus = (await deps.redis.spop(dirtyKey(connectionId), BATCH)) ?? [];
      const pushed = skus.length ? await pushStock(deps, connectionId, skus, 'change') : 0;
      if ((await deps.redis.scard(dirtyKey(connectionId))) > 0) await scheduleFlush(queue, connectionId, 0);
      return { pushed };
    } catch (err) {
      if (skus.length) await deps.redis.sadd(dirtyKey(connectionId), ...skus); // try these again
      throw err;
    } finally {
      if ((await deps.redis.get(lockKey(connectionId))) === token) await deps.redis.del(lockKey(connectionId));
    }
  };
}
