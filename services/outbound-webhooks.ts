// Outbound webhooks (domain/outbound-webhooks.ts): subscribers managed by admins; every order and return
// status change becomes an event (recorded where the state is projected, activities/), fanned out to the
// subscribers of its type, one delivery each, POSTed signed, retried with exponential backoff (BullMQ), each
// try logged; an operator may replay a delivery.
import { createHash, createHmac } from 'node:crypto';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { ConflictError, NotFoundError } from '../domain/errors';
import type { Logger } from '../domain/logger';
import { SIGNATURE_HEADER, type SubscriberRequest, type WebhookEvent } from '../domain/outbound-webhooks';
import type { OutboundWebhooks, WebhookDelivery } from '../store/outbound-webhooks';
import type { PostResult } from '../connectors/outbound-http';

export const OUTBOUND_WEBHOOK_QUEUE = 'orderhub-outbound-webhooks';
export const MAX_WEBHOOK_JOB_ATTEMPTS = 50;

export type OutboundJob = { kind: 'fanout'; eventId: string } | { kind: 'deliver'; deliveryId: string };

const jobId = (key: string) => createHash('sha1').update(key).digest('hex');

/** The producer: fans an event out, or (re)sends one delivery. Idempotent per event, and per delivery and round. */
export class OutboundWebhookRequests {
  private readonly queue: Queue;
  constructor(redis: Redis, prefix: string) {
    this.queue = new Queue(OUTBOUND_WEBHOOK_QUEUE, { connection: redis, prefix });
  }

  async fanOut(eventId: string): Promise<void> {
    await this.queue.add('fanout', { kind: 'fanout', eventId } satisfies OutboundJob, {
      jobId: jobId(`fanout|${eventId}`),
      attempts: 10,
      backoff: { type: 'exponential', delay: 1_000 },
      removeOnComplete: { age: 24 * 3600 },
      removeOnFail: true,
    });
  }

  async deliver(deliveryId: string, round: number): Promise<void> {
    await this.queue.add('deliver', { kind: 'deliver', deliveryId } satisfies OutboundJob, {
      jobId: jobId(`deliver|${deliveryId}|${round}`),
      attempts: MAX_WEBHOOK_JOB_ATTEMPTS,
      backoff: { type: 'webhook' }, // the consumer's backoffStrategy
      removeOnComplete: { age: 24 * 3600 },
      removeOnFail: true,
    });
  }

  close(): Promise<void> {
    return this.queue.close();
  }
}

/** The signature header's value for a body sent at unix time t. */
export function signatureOf(secret: string, t: number, body: string): string {
  return `t=${t},v1=${createHmac('sha256', secret).update(`${t}.${body}`).digest('hex')}`;
}

const deliveryJson = (d: WebhookDelivery) => ({
  id: d._id,
  eventId: d.eventId,
  eventType: d.eventType,
  subscriberId: d.subscriberId,
  orderId: d.orderId,
  status: d.status,
  replays: d.replays,
  createdAt: d.createdAt.toISOString(),
  ...(d.deliveredAt && { deliveredAt: d.deliveredAt.toISOString() }),
  ...(d.error && { error: d.error }),
  attempts: d.attempts.map((a) => ({ ...a, at: a.at.toISOString() })),
});

export interface SubscriberServiceDeps {
  outboundWebhooks: OutboundWebhooks; // its replay hook asks the worker to send (worker/wiring.ts)
}

// Admins' and operators' side: subscribers, deliveries per order, replays.
export function createSubscriberService(deps: SubscriberServiceDeps) {
  const store = deps.outboundWebhooks;
  const must = <T>(found: T | null, id: string, what: string): T => {
    if (!found) throw new NotFoundError(`${what} ${id} does not exist`, { id });
    return found;
  };
  return {
    create: (req: SubscriberRequest) => store.createSubscriber(req),
    list: async () => ({ subscribers: await store.listSubscribers() }),
    disable: async (id: string) => must(await store.disableSubscriber(id), id, 'Subscriber'),
    rotateSecret: async (id: string) => must(await store.rotateSecret(id), id, 'Subscriber'),
    deliveriesOf: async (orderId: string) =>
      (await store.deliveriesOf(orderId)).sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime()).map(deliveryJson),
    async replay(id: string) {
      const found = must(await store.delivery(id), id, 'Delivery');
      if (found.status === 'pending') throw new ConflictError(`Delivery ${id} is still being sent`, { id, status: found.status });
      return deliveryJson((await store.replay(id))!);
    },
  };
}

export interface WebhookSenderDeps {
  outboundWebhooks: OutboundWebhooks;
  requests: Pick<OutboundWebhookRequests, 'deliver' | 'fanOut'>;
  post: (url: string, body: string, headers: Record<string, string>) => Promise<PostResult>;
  log: Logger;
  now?: () => number;
}

// The worker's side: fan an event out to its subscribers, and make one try at a delivery.
export function createWebhookSender(deps: WebhookSenderDeps) {
  const store = deps.outboundWebhooks;
  return {
    async fanOut(eventId: string): Promise<number> {
      const event = await store.event(eventId);
      if (!event) return 0;
      const subscribers = await store.subscribersOf(event.type);
      for (const subscriberId of subscribers) {
        const delivery = await store.openDelivery(event, subscriberId);
        if (delivery.status === 'pending') await deps.requests.deliver(delivery._id, delivery.replays);
      }
      await store.fannedOut(eventId);
      return subscribers.length;
    },

    /**
     * Asks again for what a lost request left undone (Redis restarted without its jobs): the fan-out of every
     * event not yet fanned out, the sending of every pending delivery; at most `batch` of each. A request
     * still queued is not doubled (the same job id), so the sweep may run any time.
     */
    async sweep(batch: number): Promise<{ events: number; deliveries: number }> {
      const events = await store.eventsToFanOut(batch);
      for (const id of events) await deps.requests.fanOut(id);
      const deliveries = await store.pendingDeliveries(batch);
      for (const d of deliveries) await deps.requests.deliver(d.id, d.replays);
      return { events: events.length, deliveries: deliveries.length };
    },

    /** One try. Throws to be retried unless it was the last try (then the delivery is failed). */
    async deliver(deliveryId: string, try_: { attempt: number; last: boolean }): Promise<'delivered' | 'failed' | 'skipped'> {
      const delivery = await store.delivery(deliveryId);
      if (!delivery || delivery.status !== 'pending') return 'skipped';
      const [event, subscriber] = await Promise.all([store.event(delivery.eventId), store.subscriber(delivery.subscriberId)]);
      if (!event || !subscriber) return 'skipped';
      if (!subscriber.enabled) {
        await store.recordAttempt(
          deliveryId,
          { at: new Date(), ms: 0, error: 'subscriber disabled' },
          { status: 'failed', error: 'subscriber disabled' },
        );
        return 'failed';
      }
      const body = JSON.stringify({ id: event.id, type: event.type, createdAt: event.at, data: { orderId: event.orderId, ...event.data } });
      const t = Math.floor((deps.now ?? Date.now)() / 1000);
      const result = await deps.post(subscriber.url, body, {
        [SIGNATURE_HEADER]: signatureOf(subscriber.secret, t, body),
        'Orderhub-Event-Id': event.id,
        'Orderhub-Event-Type': event.type,
        'Orderhub-Delivery-Id': deliveryId,
      });
      const attempt = {
        at: new Date(),
        ms: result.ms,
        ...(result.statusCode !== undefined && { statusCode: result.statusCode }),
        ...(result.error && { error: result.error }),
      };
      if (!result.error) {
        await store.recordAttempt(deliveryId, attempt, { status: 'delivered' });
        return 'delivered';
      }
      deps.log.warn('webhook delivery failed', { deliveryId, orderId: event.orderId, attempt: try_.attempt, error: result.error });
      await store.recordAttempt(deliveryId, attempt, try_.last ? { status: 'failed', error: result.error } : undefined);
      if (try_.last) return 'failed';
      throw new Error(`delivery ${deliveryId}: ${result.error}`);
    },
  };
}

export type { WebhookEvent };
