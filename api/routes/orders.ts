import { Router } from 'express';
import { z } from 'zod';
import { orderIdSchema, orderInputSchema } from '../../domain/order';
import { parcelSchema } from '../../domain/carrier';
import { skuSchema } from '../../domain/catalog';
import { ConflictError, NotFoundError, ValidationError } from '../../domain/errors';
import { parseOrThrow } from '../../domain/validation';
import { acceptsEvent, canCancel, FULFILLMENT_EVENTS, isTerminal, ORDER_STATUSES } from '../../domain/status';
import type { OrderView } from '../../domain/order-state';
import { captureOrder, signalOrder } from '../../worker/order-intake';
import {
  cancelOrderSignal,
  confirmPaymentSignal,
  declinePaymentSignal,
  fulfillmentEventSignal,
  holdOrderSignal,
  releaseOrderSignal,
  pickupConfirmedSignal,
  rejectAllocationSignal,
  retryOrderSignal,
} from '../../workflows/order';
import type { ApiDeps } from '../app';


const listQuerySchema = z.strictObject({
  status: z.enum(ORDER_STATUSES).optional(),
  channel: z.string().regex(/^[a-z0-9_-]{1,32}$/).optional(),
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().regex(/^[A-Za-z0-9_-]{1,400}$/, 'is not a cursor returned by this API').optional(),
});

const reasonSchema = z.strictObject({ reason: z.string().min(1).max(500).optional() }).default({});
const rejectionSchema = z.strictObject({
  reason: z.enum(['not_in_stock', 'damaged']),
  skus: z.array(skuSchema).min(1).max(500).optional(),
  note: z.string().max(500).optional(),
});

const eventSchema = z
  .strictObject({
    type: z.enum(FULFILLMENT_EVENTS),
    carrier: z.string().min(1).max(64).optional(),
    trackingNumber: z.string().regex(/^[A-Za-z0-9-]{4,64}$/, 'must be 4 to 64 letters, digits or -').optional(),
    // With "packed": the parcels, for the label bought through the carrier rules.
    parcels: z.array(parcelSchema).min(1).max(50).optional(),
  })
  .superRefine((e, ctx) => {
    if (e.parcels && e.type !== 'packed') ctx.addIssue({ code: 'custom', path: ['parcels'], message: 'only goes with "packed"' });
    if (e.type !== 'shipped') return;
    if (!e.carrier) ctx.addIssue({ code: 'custom', path: ['carrier'], message: 'is required when the order is shipped' });
    if (!e.trackingNumber) ctx.addIssue({ code: 'custom', path: ['trackingNumber'], message: 'is required when the order is shipped' });
  });
const paymentConfirmSchema = z.strictObject({ reference: z.string().min(1).max(128).optional() }).default({});

export function ordersRouter(deps: ApiDeps): Router {
  const router = Router();
  const { orders, items } = deps.stores;

  const load = async (rawId: string): Promise<OrderView> => {
    const id = parseOrThrow(orderIdSchema, rawId, 'order id', 'id');
    const view = await orders.get(id);
    if (!view) throw new NotFoundError(`Order ${id} does not exist`, { orderId: id });
    return view;
  };
  const notTerminal = (view: OrderView, action: string) => {
    if (isTerminal(view.status)) throw new ConflictError(`Cannot ${action} order ${view.orderId}: it is ${view.status}`, { status: view.status });
  };

  router.post('/orders', async (req, res) => {
    const input = parseOrThrow(orderInputSchema, req.body, 'order');
    const missing = new Set(await items.missing(input.lines.map((l) => l.sku)));
    const problems = input.lines.flatMap((l, i) => (missing.has(l.sku) ? [{ path: `lines.${i}.sku`, message: `unknown sku ${l.sku}: create it with POST /items first` }] : []));
    const storeId = input.fulfillment.pickupLocationId;
    if (storeId !== undefined) {
      const store = await deps.stores.locations.get(storeId);
      if (!store || !store.active || !store.pickup) problems.push({ path: 'fulfillment.pickupLocationId', message: !store ? `unknown location ${storeId}` : `location ${storeId} does not offer pickup` });
    }
    if (problems.length) throw new ValidationError(`Invalid order: ${problems.length} problem(s)`, problems);
    const result = await captureOrder({ temporal: deps.temporal, taskQueue: deps.taskQueue, orders, log: deps.log, ...(deps.orderSettings && { orderSettings: deps.orderSettings }) }, input);
    res.status(result.duplicate ? 200 : 202).json(result);
  });

  router.get('/orders', async (req, res) => {
    const q = parseOrThrow(listQuerySchema, req.query, 'query');
    const page = await orders.list({
      limit: q.limit,
      ...(q.status && { status: q.status }),
      ...(q.channel && { channel: q.channel }),
      ...(q.from && { from: new Date(q.from) }),
      ...(q.to && { to: new Date(q.to) }),
      ...(q.cursor && { cursor: q.cursor }),
    });
    res.json(page);
  });

  router.get('/orders/:id', async (req, res) => {
    res.json(await load(req.params.id));
  });

  router.post('/orders/:id/cancel', async (req, res) => {
    const body = parseOrThrow(reasonSchema, req.body ?? {}, 'cancel request');
    const view = await load(req.params.id);
    notTerminal(view, 'cancel');
    if (!canCancel(view.stage)) throw new ConflictError(`Cannot cancel order ${view.orderId}: it has already ${view.stage === 'shipped' ? 'shipped' : `reached ${view.stage}`}`, { stage: view.stage });
    await signalOrder(deps.temporal, view.orderId, cancelOrderSignal, { reason: body.reason ?? `cancelled by ${req.actor}` });
    res.status(202).json({ orderId: view.orderId, accepted: 'cancel' });
  });

  router.post('/orders/:id/hold', async (req, res) => {
    const body = parseOrThrow(reasonSchema, req.body ?? {}, 'hold request');
    const view = await load(req.params.id);
    notTerminal(view, 'hold');
    await signalOrder(deps.temporal, view.orderId, holdOrderSignal, { reason: body.reason ?? `held by ${req.actor}` });
    res.status(202).json({ orderId: view.orderId, accepted: 'hold' });
  });

  router.post('/orders/:id/release', async (req, res) => {
    const view = await load(req.params.id);
    notTerminal(view, 'release');
    await signalOrder(deps.temporal, view.orderId, releaseOrderSignal);
    res.status(202).json({ orderId: view.orderId, accepted: 'release' });
  });

  router.post('/orders/:id/retry', async (req, res) => {
    const view = await load(req.params.id);
    if (view.status !== 'needs_attention') throw new ConflictError(`Order ${view.orderId} is ${view.status}, not needs_attention: nothing to retry`, { status: view.status });
    await signalOrder(deps.temporal, view.orderId, retryOrderSignal);
    res.status(202).json({ orderId: view.orderId, accepted: 'retry' });
  });

  // The location cannot fill the allocation: the order is routed again without it.
  router.post('/orders/:id/allocation/reject', async (req, res) => {
    const body = parseOrThrow(rejectionSchema, req.body, 'allocation rejection');
    const view = await load(req.params.id);
    notTerminal(view, 'reject the allocation of');
    if (!view.allocation || !['stock_reserved', 'released_to_fulfillment'].includes(view.stage) || view.status === 'awaiting_stock') {
      throw new ConflictError(`Order ${view.orderId} is ${view.status} at ${view.stage}: only a reserved order not yet picked can be rejected by its location`, { status: view.status, stage: view.stage });
    }
    const onOrder = new Set(view.order.lines.map((l) => l.sku));
    const strangers = (body.skus ?? []).flatMap((sku, i) => (onOrder.has(sku) ? [] : [{ path: `skus.${i}`, message: `${sku} is not on order ${view.orderId}` }]));
    if (strangers.length) throw new ValidationError(`Invalid allocation rejection: ${strangers.length} problem(s)`, strangers);
    await signalOrder(deps.temporal, view.orderId, rejectAllocationSignal, { ...body, locationId: view.allocation.locationId });
    res.status(202).json({ orderId: view.orderId, accepted: 'reject_allocation', locationId: view.allocation.locationId });
  });

  // The customer collected a pickup order at the store.
  router.post('/orders/:id/pickup', async (req, res) => {
    parseOrThrow(z.strictObject({ by: z.string().min(1).max(200).optional() }), req.body ?? {}, 'pickup confirmation');
    const view = await load(req.params.id);
    if (view.order.fulfillment?.method !== 'pickup') throw new ConflictError(`Order ${view.orderId} is shipped, not collected`, { fulfillment: view.order.fulfillment ?? { method: 'ship' } });
    if (view.status !== 'ready_for_pickup') throw new ConflictError(`Order ${view.orderId} is ${view.status}, not ready_for_pickup`, { status: view.status });
    await signalOrder(deps.temporal, view.orderId, pickupConfirmedSignal, { ...(req.actor && { by: req.actor }) });
    res.status(202).json({ orderId: view.orderId, accepted: 'pickup' });
  });

  router.post('/orders/:id/events', async (req, res) => {
    const event = parseOrThrow(eventSchema, req.body, 'event');
    const view = await load(req.params.id);
    notTerminal(view, `record ${event.type} for`);
    if (!acceptsEvent(view.stage, event.type)) {
      throw new ConflictError(`Order ${view.orderId} is at ${view.stage}: "${event.type}" does not apply`, { stage: view.stage, type: event.type });
    }
    if (event.type === 'delivered' && view.stage !== 'shipped') throw new ConflictError(`Order ${view.orderId} has not shipped yet`, { stage: view.stage });
    await signalOrder(deps.temporal, view.orderId, fulfillmentEventSignal, event);
    res.status(202).json({ orderId: view.orderId, accepted: event.type });
  });

  router.post('/orders/:id/payment/confirm', async (req, res) => {
    const body = parseOrThrow(paymentConfirmSchema, req.body ?? {}, 'payment confirmation');
    const view = await load(req.params.id);
    if (view.status !== 'awaiting_payment') throw new ConflictError(`Order ${view.orderId} is ${view.status}, not awaiting_payment`, { status: view.status });
    await signalOrder(deps.temporal, view.orderId, confirmPaymentSignal, body.reference !== undefined ? { reference: body.reference } : {});
    res.status(202).json({ orderId: view.orderId, accepted: 'confirm_payment' });
  });

  router.post('/orders/:id/payment/decline', async (req, res) => {
    const body = parseOrThrow(reasonSchema, req.body ?? {}, 'payment decline');
    const view = await load(req.params.id);
    if (view.status !== 'awaiting_payment') throw new ConflictError(`Order ${view.orderId} is ${view.status}, not awaiting_payment`, { status: view.status });
    await signalOrder(deps.temporal, view.orderId, declinePaymentSignal, { reason: body.reason ?? `declined by ${req.actor}` });
    res.status(202).json({ orderId: view.orderId, accepted: 'decline_payment' });
  });

  return router;
}
