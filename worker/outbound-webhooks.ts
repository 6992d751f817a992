import { Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { postSigned } from '../connectors/outbound-http';
import { createWebhookSender, OUTBOUND_WEBHOOK_QUEUE, OutboundWebhookRequests, type OutboundJob } from '../services/outbound-webhooks';
import type { OutboundWebhooks } from '../store/outbound-webhooks';
import type { Logger } from './logger';

// The outbound webhook sender, in the worker process: fans events out to their subscribers and POSTs each
// delivery, retrying a failed one with exponential backoff (backoffMs, doubled each time) up to `attempts`.
// A sweep every sweepMs asks again for what a lost request left undone (at most SWEEP_BATCH events and
// deliveries at a time): delivery is at least once even when Redis loses its jobs.

const SWEEP_BATCH = 200;

export interface OutboundWebhookOptions {
  prefix: string;
  attempts: number;
  backoffMs: number;
  sweepMs: number;
  concurrency?: number;
}

export function startOutboundWebhookSender(
  deps: { outboundWebhooks: OutboundWebhooks; redis: Redis; log: Logger },
  opts: OutboundWebhookOptions,
): { close(): Promise<void> } {
  const connection = deps.redis.duplicate({ maxRetriesPerRequest: null });
  const requests = new OutboundWebhookRequests(connection, opts.prefix);
  const sender = createWebhookSender({ outboundWebhooks: deps.outboundWebhooks, requests, post: postSigned, log: deps.log });
  const processor = async (job: Job<OutboundJob>) => {
    if (job.data.kind === 'fanout') return { subscribers: await sender.fanOut(job.data.eventId) };
    const attempt = job.attemptsMade + 1;
    const last = attempt >= Math.min(opts.attempts, job.opts.attempts ?? opts.attempts);
    return { outcome: await sender.deliver(job.data.deliveryId, { attempt, last }) };
  };
  const worker = new Worker(OUTBOUND_WEBHOOK_QUEUE, processor, {
    connection,
    prefix: opts.prefix,
    concurrency: opts.concurrency ?? 8,
    settings: { backoffStrategy: (attemptsMade: number) => opts.backoffMs * 2 ** Math.max(0, attemptsMade - 1) },
  });
  worker.on('error', (err) => deps.log.warn('outbound webhook sender error', { error: err.message }));
  const sweep = () =>
    sender
      .sweep(SWEEP_BATCH)
      .then(() => undefined)
      .catch((err) => deps.log.warn('outbound webhook sweep failed', { error: String(err) }));
  let sweeping = sweep();
  const timer = setInterval(() => (sweeping = sweep()), opts.sweepMs);
  return {
    async close() {
      clearInterval(timer);
      await sweeping;
      await worker.close();
      await requests.close();
      await connection.quit().catch(() => undefined);
    },
  };
}
