import { Router } from 'express';
import { z } from 'zod';
import { orderIdSchema, orderInputSchema } from '../../domain/order';
import { parcelSchema } from '../../domain/carrier';
import { locationIdSchema, skuSchema } from '../../domain/catalog';
import { ConflictError, NotFoundError, ValidationError } from '../../domain/errors';
import { parseOrThrow } from '../../domain/validation';
import { acceptsEvent, canCancel, flowIndex, FULFILLMENT_EVENTS, isTerminal, ORDER_STATUSES } from '../../domain/status';
import type { OrderPart, OrderView } from '../../domain/order-state';
import { captureOrder, signalOrder } from '../../services/order-intake';
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
  channel: z
    .string()
    .regex(/^[a-z0-9_-]{1,32}$/)
    .optional(),
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,400}$/, 'is not a cursor returned by this API')
    .optional(),
});

const reasonSchema = z.strictObject({ reason: z.string().min(1).max(500).optional() }).default({});
export const allocationRejectionSchema = z.strictObject({
  reason: z.enum(['not_in_stock', 'damaged']),
  // The rejecting location: required for a split order (whose part it rejects), optional otherwise.
  locationId: locationIdSchema.optional(),
  skus: z.array(skuSchema).min(1).max(500).optional(),
  note: z.string().max(500).optional(),
});

export const fulfillmentEventSchema = z
  .strictObject({
    type: z.enum(FULFILLMENT_EVENTS),
    carrier: z.string().min(1).max(64).optional(),
    trackingNumber: z
      .string()
      .regex(/^[A-Za-z0-9-]{4,64}$/, 'must be 4 to 64 letters, digits or -')
      .optional(),
    // With "packed": the parcels, for the label bought through the carrier rules.
    parcels: z.array(parcelSchema).min(1).max(50).optional(),
    // A split order's part the event is for (required for split orders, see the order's `parts`).
    part: z
      .string()
      .regex(/^[1-9][0-9]{0,2}$/, 'must be a part number such as "1"')
      .optional(),
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
    if (isTerminal(view.status))
      throw new ConflictError(`Cannot ${action} order ${view.orderId}: it is ${view.status}`, { status: view.status });
  };

  router.post('/orders', async (req, res) => {
    const input = parseOrThrow(orderInputSchema, req.body, 'order');
    const missing = new Set(await items.missing(input.lines.map((l) => l.sku)));
    const problems = input.lines.flatMap((l, i) =>
      missing.has(l.sku) ? [{ path: `lines.${i}.sku`, message: `unknown sku ${l.sku}: create it with POST /items first` }] : [],
    );
    const storeId = input.fulfillment.pickupLocationId;
    if (storeId !== undefined) {
      const store = await deps.stores.locations.get(storeId);
      if (!store || !store.active || !store.pickup)
        problems.push({
          path: 'fulfillment.pickupLocationId',
          message: !store ? `unknown location ${storeId}` : `location ${storeId} does not offer pickup`,
        });
    }
    if (problems.length) throw new ValidationError(`Invalid order: ${problems.length} problem(s)`, problems);
    const result = await captureOrder(
      {
        temporal: deps.temporal,
        taskQueue: deps.taskQueue,
        orders,
        log: deps.log,
        ...(deps.orderSettings && { orderSettings: deps.orderSettings }),
      },
      input,
    );
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
    if (!canCancel(view.stage))
      throw new ConflictError(
        `Cannot cancel order ${view.orderId}: it has already ${view.stage === 'shipped' ? 'shipped' : `reached ${view.stage}`}`,
        { stage: view.stage },
      );
    const gone = (view.parts ?? []).filter((p) => !canCancel(p.stage));
    if (gone.length)
      throw new ConflictError(`Cannot cancel order ${view.orderId}: part ${gone.map((p) => p.id).join(', ')} has already shipped`, {
        stage: view.stage,
        parts: gone.map((p) => ({ id: p.id, stage: p.stage })),
      });
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
    if (view.status !== 'needs_attention')
      throw new ConflictError(`Order ${view.orderId} is ${view.status}, not needs_attention: nothing to retry`, { status: view.status });
    await signalOrder(deps.temporal, view.orderId, retryOrderSignal);
    res.status(202).json({ orderId: view.orderId, accepted: 'retry' });
  });

  // The location cannot fill the allocation: the order is routed again without it.
  router.post('/orders/:id/allocation/reject', async (req, res) => {
    const body = parseOrThrow(allocationRejectionSchema, req.body, 'allocation rejection');
    const view = await load(req.params.id);
    notTerminal(view, 'reject the allocation of');
    const held = view.allocation ? [{ locationId: view.allocation.locationId, lines: view.order.lines }] : (view.parts ?? []);
    const pickedParts = (view.parts ?? []).filter((p) => flowIndex(p.stage) >= flowIndex('picked'));
    if (
      held.length === 0 ||
      !['stock_reserved', 'released_to_fulfillment'].includes(view.stage) ||
      view.status === 'awaiting_stock' ||
      pickedParts.length
    ) {
      throw new ConflictError(
        `Order ${view.orderId} is ${view.status} at ${view.stage}${pickedParts.length ? ` with part ${pickedParts.map((p) => p.id).join(', ')} picked` : ''}: only a reserved order not yet picked can be rejected by its location`,
        { status: view.status, stage: view.stage },
      );
    }
    const problems: { path: string; message: string }[] = [];
    if (body.locationId === undefined && held.length > 1)
      problems.push({
        path: 'locationId',
        message: `is required: order ${view.orderId} is split across ${held.map((h) => h.locationId).join(', ')}`,
      });
    const at = body.locationId === undefined ? held[0] : held.find((h) => h.locationId === body.locationId);
    if (body.locationId !== undefined && !at)
      problems.push({
        path: 'locationId',
        message: `order ${view.orderId} is not allocated at ${body.locationId} (it is at ${held.map((h) => h.locationId).join(', ')})`,
      });
    const onOrder = new Set((at ?? held[0]).lines.map((l) => l.sku));
    (body.skus ?? []).forEach((sku, i) => {
      if (!onOrder.has(sku))
        problems.push({
          path: `skus.${i}`,
          message: `${sku} is not on ${held.length > 1 ? `the part of order ${view.orderId} at ${at?.locationId ?? held[0].locationId}` : `order ${view.orderId}`}`,
        });
    });
    if (problems.length) throw new ValidationError(`Invalid allocation rejection: ${problems.length} problem(s)`, problems);
    await signalOrder(deps.temporal, view.orderId, rejectAllocationSignal, { ...body, locationId: at!.locationId });
    res.status(202).json({ orderId: view.orderId, accepted: 'reject_allocation', locationId: at!.locationId });
  });

  // The customer collected a pickup order at the store.
  router.post('/orders/:id/pickup', async (req, res) => {
    parseOrThrow(z.strictObject({ by: z.string().min(1).max(200).optional() }), req.body ?? {}, 'pickup confirmation');
    const view = await load(req.params.id);
    if (view.order.fulfillment?.method !== 'pickup')
      throw new ConflictError(`Order ${view.orderId} is shipped, not collected`, {
        fulfillment: view.order.fulfillment ?? { method: 'ship' },
      });
    if (view.status !== 'ready_for_pickup')
      throw new ConflictError(`Order ${view.orderId} is ${view.status}, not ready_for_pickup`, { status: view.status });
    await signalOrder(deps.temporal, view.orderId, pickupConfirmedSignal, { ...(req.actor && { by: req.actor }) });
    res.status(202).json({ orderId: view.orderId, accepted: 'pickup' });
  });

  router.post('/orders/:id/events', async (req, res) => {
    const event = parseOrThrow(fulfillmentEventSchema, req.body, 'event');
    const view = await load(req.params.id);
    notTerminal(view, `record ${event.type} for`);
    // A split order's events are per part: which part must be said, and it must be one of the order's.
    let part: OrderPart | undefined;
    if (view.parts?.length) {
      const ids = view.parts.map((p) => p.id).join(', ');
      part = view.parts.find((p) => p.id === event.part);
      if (!part)
        throw new ValidationError('Invalid event', [
          {
            path: 'part',
            message:
              event.part === undefined
                ? `is required: order ${view.orderId} is split into parts ${ids}`
                : `order ${view.orderId} has no part ${event.part} (its parts: ${ids})`,
          },
        ]);
    } else if (event.part !== undefined) {
      throw new ValidationError('Invalid event', [{ path: 'part', message: `order ${view.orderId} is not split: leave part out` }]);
    }
    const stage = part?.stage ?? view.stage;
    const what = part ? `Part ${part.id} of order ${view.orderId}` : `Order ${view.orderId}`;
    if (!acceptsEvent(stage, event.type)) {
      throw new ConflictError(`${what} is at ${stage}: "${event.type}" does not apply`, { stage, type: event.type });
    }
    if (event.type === 'delivered' && stage !== 'shipped') throw new ConflictError(`${what} has not shipped yet`, { stage });
    await signalOrder(deps.temporal, view.orderId, fulfillmentEventSignal, event);
    res.status(202).json({ orderId: view.orderId, accepted: event.type });
  });

  router.post('/orders/:id/payment/confirm', async (req, res) => {
    const body = parseOrThrow(paymentConfirmSchema, req.body ?? {}, 'payment confirmation');
    const view = await load(req.params.id);
    if (view.status !== 'awaiting_payment')
      throw new ConflictError(`Order ${view.orderId} is ${view.status}, not awaiting_payment`, { status: view.status });
    await signalOrder(deps.temporal, view.orderId, confirmPaymentSignal, body.reference !== undefined ? { reference: body.reference } : {});
    res.status(202).json({ orderId: view.orderId, accepted: 'confirm_payment' });
  });

  router.post('/orders/:id/payment/decline', async (req, res) => {
    const body = parseOrThrow(reasonSchema, req.body ?? {}, 'payment decline');
    const view = await load(req.params.id);
    if (view.status !== 'awaiting_payment')
      throw new ConflictError(`Order ${view.orderId} is ${view.status}, not awaiting_payment`, { status: view.status });
    await signalOrder(deps.temporal, view.orderId, declinePaymentSignal, { reason: body.reason ?? `declined by ${req.actor}` });
    res.status(202).json({ orderId: view.orderId, accepted: 'decline_payment' });
  });

  return router;
}
