import { Worker, type Job } from 'bullmq';
import { WEBHOOK_QUEUE, type WebhookJob } from '../services/webhooks';
import type { Redis } from 'ioredis';
import { ConflictError, NotFoundError, ValidationError } from '../domain/errors';
import { POLLED_ORDER_TOPIC, type CarrierGateway, type SupplierGateway } from '../connectors/types';
import { createDropShipService } from '../services/drop-ship';
import { deadReasonOf, type WebhookDelivery } from '../store/webhook-deliveries';
import { parseReturnId } from '../domain/ids';
import { returnTrackingSignal } from '../workflows/return/api';
import { carrierExceptionSignal, fulfillmentEventSignal, trackingUpdateSignal, type FulfillmentEvent } from '../workflows/order';
import { buildConnector } from '../connectors/registry';
import type { Stores } from './deps';
import { signalOrder, type IntakeDeps } from '../services/order-intake';
import { ingestChannelOrder } from '../services/channel-orders';
import { describeChannelReturn, loggingChannelReturns, type ChannelReturns } from '../services/channel-returns';
import type { Logger } from './logger';

export interface WebhookConsumerDeps {
  stores: Pick<Stores, 'connections' | 'webhooks' | 'orders' | 'carriers' | 'suppliers' | 'purchaseOrders' | 'notifications'>;
  intake: IntakeDeps;
  redis: Redis;
  log: Logger;
  // Returns and refunds made at a channel. Absent: logged only (loggingChannelReturns), until the return
  // service implements ChannelReturns and worker/main.ts passes it here.
  channelReturns?: ChannelReturns;
}

// Maps a stored delivery and starts or signals the order workflow. A delivery that verified but cannot
// be mapped becomes a dead letter with its reason; anything else (Temporal or MongoDB away) is retried.
export function webhookProcessor(deps: WebhookConsumerDeps) {
  const channelReturns = deps.channelReturns ?? loggingChannelReturns(deps.log);
  return async (job: Job<WebhookJob>): Promise<string> => {
    const delivery = await deps.stores.webhooks.getForProcessing(job.data.delivery);
    if (!delivery) return 'missing';
    // A job run again after its delivery was settled (the worker died in between): nothing left to do.
    if (delivery.status !== 'queued' || delivery.body === undefined) return `already ${delivery.status}`;
    const connection = await deps.stores.connections.withCredentials(delivery.connectionId);
    if (!connection) {
      await deps.stores.webhooks.settle(delivery._id, 'dead', `connection ${delivery.connectionId} no longer exists`);
      return 'dead';
    }
    const connector = buildConnector(connection, { redis: deps.redis, log: deps.log });
    if (connector.carrier?.webhooks) return processTrackingDelivery(deps, delivery, connector.carrier.webhooks);
    if (connector.supplier) return processSupplierDelivery(deps, delivery, connector.supplier.webhooks);
    let event;
    try {
      if (delivery.topic === POLLED_ORDER_TOPIC) {
        // A polled order kept as a dead letter, replayed: mapped as the poll would map it.
        if (!connector.orders?.mapPolled) throw new ValidationError(`${connection.kind} connections cannot map a polled order again`, []);
        event = { kind: 'order' as const, order: connector.orders.mapPolled(JSON.parse(delivery.body)) };
      } else {
        if (!connector.orders?.webhooks) throw new ValidationError(`${connection.kind} connections take no webhooks`, []);
        event = connector.orders.webhooks.parse(delivery.topic, Buffer.from(delivery.body, 'utf8'));
      }
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      await deps.stores.webhooks.settle(delivery._id, 'dead', deadReasonOf(err.message, err.problems));
      deps.log.warn('webhook dead-lettered', {
        connectionId: delivery.connectionId,
        deliveryId: delivery.deliveryId,
        topic: delivery.topic,
      });
      return 'dead';
    }
    if (event.kind === 'ignored') {
      await deps.stores.webhooks.settle(delivery._id, 'ignored', event.reason);
      return 'ignored';
    }
    // Returns and refunds made at the channel (issue 12) go to the return service, not the order intake.
    if (event.kind === 'return') {
      let applied;
      try {
        applied = await channelReturns.apply(delivery.connectionId, event.event);
      } catch (err) {
        if (!(err instanceof ValidationError)) throw err;
        await deps.stores.webhooks.settle(delivery._id, 'dead', deadReasonOf(err.message, err.problems));
        return 'dead';
      }
      const outcome = `${describeChannelReturn(event.event)}: ${applied}`;
      await deps.stores.webhooks.settle(delivery._id, applied === 'ignored' ? 'ignored' : 'processed', outcome);
      return outcome;
    }
    const outcome = await ingestChannelOrder(deps.intake, event.order, connection.skuMap);
    await deps.stores.webhooks.settle(delivery._id, 'processed', outcome);
    return outcome;
  };
}

// A carrier's tracking update becomes a signal on the order that owns the tracking number: the first
// scan ships it, delivered delivers it, an exception puts it in front of an operator.
async function processTrackingDelivery(
  deps: WebhookConsumerDeps,
  delivery: Omit<WebhookDelivery, 'resends'>,
  webhooks: NonNullable<CarrierGateway['webhooks']>,
): Promise<string> {
  let parsed;
  try {
    parsed = webhooks.parse(Buffer.from(delivery.body!, 'utf8'));
  } catch (err) {
    if (!(err instanceof ValidationError)) throw err;
    await deps.stores.webhooks.settle(delivery._id, 'dead', deadReasonOf(err.message, err.problems));
    return 'dead';
  }
  if (parsed.kind === 'ignored') {
    await deps.stores.webhooks.settle(delivery._id, 'ignored', parsed.reason);
    return 'ignored';
  }
  const { event } = parsed;
  const owner = await deps.stores.carriers.orderForTracking(delivery.connectionId, event.trackingNumber);
  if (!owner) {
    await deps.stores.webhooks.settle(delivery._id, 'ignored', `no order has tracking number ${event.trackingNumber}`);
    return 'ignored';
  }
  const { orderId, part } = owner;
  // A return's parcel on its way back: the return shows where it is (its items are received by scanning).
  if (parseReturnId(orderId)) {
    try {
      await signalOrder(deps.intake.temporal, orderId, returnTrackingSignal, {
        trackingNumber: event.trackingNumber,
        status: event.status,
        at: event.occurredAt,
        ...(event.detail !== undefined && { detail: event.detail }),
      });
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
      await deps.stores.webhooks.settle(delivery._id, 'ignored', `return ${orderId} is already closed`);
      return 'ignored';
    }
    const outcome = `${event.status} -> ${orderId}`;
    await deps.stores.webhooks.settle(delivery._id, 'processed', outcome);
    return outcome;
  }
  // A split order's parcel moves only its own part.
  const ofPart = part !== undefined ? { part } : {};
  const shipped: FulfillmentEvent = { type: 'shipped', carrier: event.carrier, trackingNumber: event.trackingNumber, ...ofPart };
  try {
    await signalOrder(deps.intake.temporal, orderId, trackingUpdateSignal, {
      trackingNumber: event.trackingNumber,
      carrier: event.carrier,
      status: event.status,
      carrierStatus: event.carrierStatus,
      at: event.occurredAt,
      ...(event.detail !== undefined && { detail: event.detail }),
      ...(event.estimatedDeliveryAt !== undefined && { estimatedDeliveryAt: event.estimatedDeliveryAt }),
      ...ofPart,
    });
    if (event.status === 'exception') {
      await signalOrder(deps.intake.temporal, orderId, carrierExceptionSignal, {
        trackingNumber: event.trackingNumber,
        message: event.detail ?? event.carrierStatus,
        at: event.occurredAt,
      });
    } else {
      // Any scan means the parcel left; the order ignores a second "shipped".
      await signalOrder(deps.intake.temporal, orderId, fulfillmentEventSignal, shipped);
      if (event.status === 'delivered') {
        // A multi-parcel label is delivered with its last parcel.
        const { delivered, of } = await deps.stores.carriers.parcelDelivered(delivery.connectionId, event.trackingNumber, orderId, part);
        if (delivered < of) {
          const outcome = `parcel ${event.trackingNumber} delivered (${delivered} of ${of}) -> ${orderId}`;
          await deps.stores.webhooks.settle(delivery._id, 'processed', outcome);
          return outcome;
        }
        await signalOrder(deps.intake.temporal, orderId, fulfillmentEventSignal, { type: 'delivered', ...ofPart });
      }
    }
  } catch (err) {
    if (!(err instanceof NotFoundError)) throw err;
    await deps.stores.webhooks.settle(delivery._id, 'ignored', `order ${orderId} is already closed`);
    return 'ignored';
  }
  const outcome = `${event.status} -> ${orderId}`;
  await deps.stores.webhooks.settle(delivery._id, 'processed', outcome);
  return outcome;
}

// A drop-ship supplier's answer: recorded on its purchase order once per event id, then told to the order.
// One about a purchase order that connection did not send, or that cannot take it now, is ignored with why.
async function processSupplierDelivery(
  deps: WebhookConsumerDeps,
  delivery: Omit<WebhookDelivery, 'resends'>,
  webhooks: SupplierGateway['webhooks'],
): Promise<string> {
  let parsed;
  try {
    parsed = webhooks.parse(Buffer.from(delivery.body!, 'utf8'));
  } catch (err) {
    if (!(err instanceof ValidationError)) throw err;
    await deps.stores.webhooks.settle(delivery._id, 'dead', deadReasonOf(err.message, err.problems));
    return 'dead';
  }
  if (parsed.kind === 'ignored') {
    await deps.stores.webhooks.settle(delivery._id, 'ignored', parsed.reason);
    return 'ignored';
  }
  const dropShip = createDropShipService({ ...deps.stores, redis: deps.redis, log: deps.log });
  const { kind: _kind, purchaseOrderId, ...answer } = parsed;
  try {
    const { duplicate } = await dropShip.recordAnswer(
      purchaseOrderId,
      answer,
      `supplier:${delivery.connectionId}`,
      deps.intake.temporal,
      delivery.connectionId,
    );
    const outcome = `${answer.type} -> ${purchaseOrderId}${duplicate ? ' (already recorded)' : ''}`;
    await deps.stores.webhooks.settle(delivery._id, 'processed', outcome);
    return outcome;
  } catch (err) {
    if (!(err instanceof NotFoundError || err instanceof ConflictError)) throw err;
    await deps.stores.webhooks.settle(delivery._id, 'ignored', err.message);
    return 'ignored';
  }
}

export function startWebhookConsumer(
  deps: WebhookConsumerDeps,
  opts: { prefix: string; concurrency?: number },
): { worker: Worker<WebhookJob>; close(): Promise<void> } {
  const connection = deps.redis.duplicate({ maxRetriesPerRequest: null });
  const worker = new Worker<WebhookJob>(WEBHOOK_QUEUE, webhookProcessor(deps), {
    connection,
    concurrency: opts.concurrency ?? 20,
    prefix: opts.prefix,
  });
  worker.on('failed', (job, err) =>
    deps.log.warn('webhook job failed, will retry', { delivery: job?.data.delivery, attempt: job?.attemptsMade, error: err.message }),
  );
  return {
    worker,
    async close() {
      await worker.close();
      await connection.quit().catch(() => undefined);
    },
  };
}
