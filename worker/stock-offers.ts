import { createHash } from 'node:crypto';
import { Queue, Worker, type Job } from 'bullmq';
import type { Client } from '@temporalio/client';
import type { Redis } from 'ioredis';
import { chooseOffers } from '../domain/stock';
import type { OrdersView } from '../store/orders';
import type { StockLedger } from '../store/stock-ledger';
import type { PreorderClaims } from '../store/preorder-claims';
import { stockChangedSignal } from '../workflows/order';
import type { Logger } from './logger';
import { signalOrder } from '../services/order-intake';

// Freed stock goes to the orders waiting for it, first come, first served, within about a second.
//
// Any change that makes more of a sku available (a receipt, a positive count, a cancelled order's or a
// rejected allocation's release) asks for an offer round for that sku. A round (one at a time per sku)
// reads the orders waiting for the sku, the longest waiting first, and wakes only as many of them as the
// available stock covers (domain/stock.ts chooseOffers): a receipt of 150 units wakes the first 150
// one-unit orders, not all 2,000 waiting ones. An order that was offered stock and still waits (another
// of its lines is short, or its location rules rule the stock out) is passed over by the follow-up round
// a few seconds later, which offers what is left to the next in line. The orders' own 15-minute recheck
// remains the safety net if a round is lost.

export const STOCK_OFFER_QUEUE = 'orderhub-stock-offers';
const DEBOUNCE_MS = 250; // changes within this window become one round
const FOLLOW_UP_MS = 3_000; // after a round that woke orders: is stock left for the next in line?
const PASSED_OVER_TTL_S = 60;

export interface StockOfferDeps {
  orders: OrdersView;
  ledger: StockLedger;
  preorderClaims: Pick<PreorderClaims, 'active'>;
  temporal: Client;
  redis: Redis;
  log: Logger;
}

const lockKey = (prefix: string, sku: string) => `${prefix}:stock-offer-lock:${sku}`;
const offeredKey = (prefix: string, sku: string) => `${prefix}:stock-offered:${sku}`;

// One round per sku and time bucket: a burst of changes collapses into one job.
async function scheduleRound(queue: Queue, sku: string, delayMs: number, followUp = false): Promise<void> {
  const bucket = Math.floor((Date.now() + delayMs) / DEBOUNCE_MS);
  const jobId = createHash('sha1').update(`${sku}|${bucket}|${followUp}`).digest('hex');
  await queue.add(
    'offer',
    { sku, followUp },
    { jobId, delay: delayMs, attempts: 10, backoff: { type: 'exponential', delay: 500 }, removeOnComplete: true, removeOnFail: 1000 },
  );
}

/** The producer: asks for an offer round when a sku's available stock went up. */
export class StockOffers {
  private readonly queue: Queue;
  constructor(redis: Redis, prefix: string) {
    this.queue = new Queue(STOCK_OFFER_QUEUE, { connection: redis, prefix });
  }

  offer(sku: string): Promise<void> {
    return scheduleRound(this.queue, sku, DEBOUNCE_MS);
  }

  close(): Promise<void> {
    return this.queue.close();
  }
}

/** One offer round for a sku; returns the orders woken. */
export async function offerStock(
  deps: StockOfferDeps,
  prefix: string,
  sku: string,
  opts: { followUp: boolean },
): Promise<{ offered: string[]; waiting: number }> {
  const waiting = await deps.orders.waitingForSku(sku);
  if (waiting.length === 0) return { offered: [], waiting: 0 };
  const skus = [...new Set(waiting.flatMap((w) => w.lines.map((l) => l.sku)))];
  const available: Record<string, number> = {};
  // Pre-orders holding a claim on the sku are first in line for it; units claimed by pre-orders not waiting
  // here (still being paid for) are not offered to anyone.
  const claims = new Map<string, number>();
  const waitingIds = new Set(waiting.map((w) => w.orderId));
  for (const s of skus) {
    const active = await deps.preorderClaims.active(s);
    if (s === sku) for (const c of active) claims.set(c.orderId, c.seq);
    const held = active.filter((c) => !waitingIds.has(c.orderId)).reduce((n, c) => n + c.quantity, 0);
    available[s] = Math.max(0, (await deps.ledger.balancesForSku(s)).reduce((n, b) => n + Math.max(0, b.available), 0) - held);
  }
  const waiters = waiting.map((w) => (claims.has(w.orderId) ? { ...w, claim: claims.get(w.orderId) } : w));
  // A first round after a change offers to everyone in line; a follow-up passes over those who were
  // offered stock a moment ago and still wait.
  const passOver = opts.followUp ? new Set(await deps.redis.smembers(offeredKey(prefix, sku))) : new Set<string>();
  const offered = chooseOffers(waiters, available, passOver);
  for (const orderId of offered) {
    await signalOrder(deps.temporal, orderId, stockChangedSignal).catch((err) =>
      deps.log.warn('could not offer stock to a waiting order', { orderId, sku, error: String(err) }),
    );
  }
  if (offered.length) {
    await deps.redis
      .multi()
      .sadd(offeredKey(prefix, sku), ...offered)
      .expire(offeredKey(prefix, sku), PASSED_OVER_TTL_S)
      .exec();
    deps.log.info('stock offered to waiting orders', { sku, offered: offered.length, waiting: waiters.length, followUp: opts.followUp });
  }
  return { offered, waiting: waiters.length };
}

export function startStockOfferConsumer(deps: StockOfferDeps, opts: { prefix: string; concurrency?: number }): { close(): Promise<void> } {
  const connection = deps.redis.duplicate({ maxRetriesPerRequest: null });
  const queue = new Queue(STOCK_OFFER_QUEUE, { connection, prefix: opts.prefix });
  const processor = async (job: Job<{ sku: string; followUp: boolean }>) => {
    const { sku, followUp } = job.data;
    const token = `${job.id}:${Date.now()}`;
    // One round at a time per sku: a second one waits for the first's offers to count.
    if (!(await deps.redis.set(lockKey(opts.prefix, sku), token, 'PX', 60_000, 'NX'))) {
      await scheduleRound(queue, sku, DEBOUNCE_MS, followUp);
      return { offered: 0 };
    }
    try {
      const { offered, waiting } = await offerStock(deps, opts.prefix, sku, { followUp });
      if (offered.length > 0 && waiting > offered.length) await scheduleRound(queue, sku, FOLLOW_UP_MS, true);
      return { offered: offered.length };
    } finally {
      if ((await deps.redis.get(lockKey(opts.prefix, sku))) === token) await deps.redis.del(lockKey(opts.prefix, sku));
    }
  };
  const worker = new Worker(STOCK_OFFER_QUEUE, processor, { connection, prefix: opts.prefix, concurrency: opts.concurrency ?? 5 });
  worker.on('failed', (job, err) =>
    deps.log.warn('stock offer failed, will retry', { sku: job?.data.sku, attempt: job?.attemptsMade, error: err.message }),
  );
  return {
    async close() {
      await worker.close();
      await queue.close();
      await connection.quit().catch(() => undefined);
    },
  };
}
