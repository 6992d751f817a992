import { createHash } from 'node:crypto';
import { Queue, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { createPromiseService, type PromiseServiceDeps, type RecomputeResult } from '../services/promises';
import type { StockChanged } from '../store/stock-ledger';
import type { Logger } from './logger';

// Promise dates follow stock: a change to a sku's available stock (a receipt, an adjustment, a release, a
// return or a quarantine decision) asks for a recompute of the promises of the orders waiting for it.
// Changes within DEBOUNCE_MS become one recompute per sku, which runs after the stock offer round of the
// same change (worker/stock-offers.ts, 250 ms): the orders that round wakes have mostly reserved by then.
// A reservation does not ask (it happens at order rates); its effect shows at the sku's next recompute.

export const PROMISE_RECOMPUTE_QUEUE = 'orderhub-promise-recompute';
const DEBOUNCE_MS = 2_000;
const LOCK_MS = 60_000;

/** True when the change moved how much of the sku is available, other than by a reservation. */
export const movesPromiseDates = (c: Pick<StockChanged, 'type' | 'deltas'>) =>
  c.type !== 'reservation' && c.deltas.onHand - c.deltas.reserved - (c.deltas.quarantined ?? 0) !== 0;

const lockKey = (prefix: string, sku: string) => `${prefix}:promise-recompute-lock:${sku}`;

// One recompute per sku and time bucket: a burst of changes collapses into one job.
async function scheduleRecompute(queue: Queue, sku: string, delayMs: number): Promise<void> {
  const bucket = Math.floor((Date.now() + delayMs) / DEBOUNCE_MS);
  const jobId = createHash('sha1').update(`promise|${sku}|${bucket}`).digest('hex');
  await queue.add(
    'recompute',
    { sku },
    { jobId, delay: delayMs, attempts: 10, backoff: { type: 'exponential', delay: 1_000 }, removeOnComplete: true, removeOnFail: 1000 },
  );
}

/** The producer: asks for a recompute of a sku's promise dates after its stock changed. */
export class PromiseRecomputes {
  private readonly queue: Queue;
  constructor(redis: Redis, prefix: string) {
    this.queue = new Queue(PROMISE_RECOMPUTE_QUEUE, { connection: redis, prefix });
  }

  request(sku: string): Promise<void> {
    return scheduleRecompute(this.queue, sku, DEBOUNCE_MS);
  }

  close(): Promise<void> {
    return this.queue.close();
  }
}

export type PromiseRecomputeDeps = Omit<PromiseServiceDeps, 'log'> & { redis: Redis; log: Logger };

/** The consumer, in the worker process: one recompute at a time per sku. */
export function startPromiseRecomputeConsumer(
  deps: PromiseRecomputeDeps,
  opts: { prefix: string; concurrency?: number },
): { close(): Promise<void> } {
  const connection = deps.redis.duplicate({ maxRetriesPerRequest: null });
  const queue = new Queue(PROMISE_RECOMPUTE_QUEUE, { connection, prefix: opts.prefix });
  const promises = createPromiseService(deps);
  const processor = async (job: Job<{ sku: string }>): Promise<Partial<RecomputeResult>> => {
    const { sku } = job.data;
    const token = `${job.id}:${Date.now()}`;
    // Two recomputes of one sku at once would both write; the second waits for the next bucket instead.
    if (!(await deps.redis.set(lockKey(opts.prefix, sku), token, 'PX', LOCK_MS, 'NX'))) {
      await scheduleRecompute(queue, sku, DEBOUNCE_MS);
      return {};
    }
    try {
      return await promises.recomputeForSkus([sku]);
    } finally {
      if ((await deps.redis.get(lockKey(opts.prefix, sku))) === token) await deps.redis.del(lockKey(opts.prefix, sku));
    }
  };
  const worker = new Worker(PROMISE_RECOMPUTE_QUEUE, processor, { connection, prefix: opts.prefix, concurrency: opts.concurrency ?? 2 });
  worker.on('failed', (job, err) =>
    deps.log.warn('promise recompute failed, will retry', { sku: job?.data.sku, attempt: job?.attemptsMade, error: err.message }),
  );
  return {
    async close() {
      await worker.close();
      await queue.close();
      await connection.quit().catch(() => undefined);
    },
  };
}
