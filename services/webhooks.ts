// Webhook intake and its dead letters: a delivery is verified first (nothing is stored for one that is
// not), stored raw once, and queued for the worker's consumer (worker/webhook-consumer.ts); a delivery the
// consumer gave up on is a dead letter an operator can replay.
import { createHash } from 'node:crypto';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { NotFoundError, UnauthorizedError, ValidationError } from '../domain/errors';
import type { Logger } from '../domain/logger';
import { buildConnector } from '../connectors/registry';
import type { Connections } from '../store/connections';
import { deliveryKey, type WebhookDeliveries } from '../store/webhook-deliveries';

export const WEBHOOK_QUEUE = 'orderhub-webhooks';

export interface WebhookJob {
  delivery: string; // webhook_deliveries _id
}

// One job per delivery: the job id is derived from the delivery, so a resend never queues twice.
export async function enqueueDelivery(queue: Queue, key: string, replay = 0): Promise<void> {
  const jobId = createHash('sha1').update(`${key}|${replay}`).digest('hex');
  await queue.add('delivery', { delivery: key } satisfies WebhookJob, {
    jobId,
    attempts: 12,
    backoff: { type: 'exponential', delay: 1_000 },
    removeOnComplete: { age: 24 * 3600 },
    removeOnFail: { age: 7 * 24 * 3600 },
  });
}

export interface WebhookServiceDeps {
  connections: Pick<Connections, 'withCredentials'>;
  webhooks: Pick<WebhookDeliveries, 'record' | 'deadLetters' | 'get' | 'requeue'>;
  webhookQueue: Queue;
  redis: Redis;
  log: Logger;
}

export function createWebhookService(deps: WebhookServiceDeps) {
  const { connections, webhooks, webhookQueue } = deps;
  return {
    async receive(connectionId: string, raw: Buffer, headers: Record<string, string | undefined>) {
      const connection = await connections.withCredentials(connectionId);
      if (!connection || !connection.enabled) throw new NotFoundError(`No enabled connection ${connectionId} takes webhooks`);
      const connector = buildConnector(connection, { redis: deps.redis, log: deps.log });
      const intake = connector.orders?.webhooks ?? connector.carrier?.webhooks ?? connector.supplier?.webhooks;
      if (!intake) throw new NotFoundError(`Connection ${connectionId} (${connection.kind}) takes no webhooks`);
      let verified;
      try {
        verified = intake.verify(raw, headers);
      } catch (err) {
        deps.log.warn('webhook refused', { connectionId, reason: (err as Error).message });
        // A ValidationError comes after the signature matched (a header is missing): 400 naming the header.
        throw err instanceof UnauthorizedError || err instanceof ValidationError
          ? err
          : new UnauthorizedError('Webhook signature could not be verified');
      }
      const fresh = await webhooks.record({
        connectionId,
        deliveryId: verified.deliveryId,
        topic: verified.topic,
        body: raw.toString('utf8'),
      });
      // Enqueue even for a repeat: if the first attempt stored but crashed before queueing, this heals it;
      // the job id derived from the delivery makes it a no-op otherwise.
      await enqueueDelivery(webhookQueue, deliveryKey(connectionId, verified.deliveryId));
      return { received: true, duplicate: !fresh };
    },

    async deadLetters(limit: number) {
      const dead = await webhooks.deadLetters(limit);
      return {
        deadLetters: dead.map(({ _id, body, ...d }) => ({ id: _id, ...d, bodyBytes: d.bodyBytes ?? Buffer.byteLength(body ?? '') })),
      };
    },

    async replay(id: string) {
      const current = await webhooks.get(id);
      if (!current || current.status !== 'dead') throw new NotFoundError(`No dead letter ${id}`);
      const requeued = (await webhooks.requeue(id))!;
      await enqueueDelivery(webhookQueue, id, requeued.replays);
      return { id, replay: requeued.replays };
    },
  };
}
