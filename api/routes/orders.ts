import { Router, type Request, type Response } from 'express';
import type { UpdateDefinition } from '@temporalio/common';
import { z } from 'zod';
import { orderIdSchema, orderInputSchema } from '../../domain/order';
import { parcelSchema } from '../../domain/carrier';
import { locationIdSchema, skuSchema } from '../../domain/catalog';
import { parseOrThrow } from '../../domain/validation';
import { FULFILLMENT_EVENTS, ORDER_STATUSES } from '../../domain/status';
import type { OrderState } from '../../domain/order-state';
import { idempotencyKeyHeader } from '../idempotency';
import { createOrderService, orderLookup, type OrderService } from '../../services/orders';
import { promiseServiceFor } from './promises';
import { createPreorderService } from '../../services/preorders';
import {
  cancelLinesUpdate,
  cancelOrderUpdate,
  confirmPaymentUpdate,
  declinePaymentUpdate,
  fulfillmentEventUpdate,
  holdOrderUpdate,
  pickupConfirmedUpdate,
  rejectAllocationUpdate,
  releaseOrderUpdate,
  retryOrderUpdate,
  rerouteDropShipUpdate,
} from '../../workflows/order';
import { supplierIdSchema } from '../../domain/purchasing';
import { createDropShipService } from '../../services/drop-ship';
import type { ApiDeps } from '../app';
import { requires } from '../auth';
import { orderLocations, orderVisibleTo } from '../order-scope';

const listQuerySchema = z.strictObject({
  status: z.enum(ORDER_STATUSES).optional(),
  channel: z
    .string()
    .regex(/^[a-z0-9_-]{1,32}$/)
    .optional(),
  sku: skuSchema.optional(),
  // An email (any case) or the channel's customer id; never logged (personal data).
  customer: z
    .string()
    .trim()
    .max(254)
    .refine((v) => z.email().safeParse(v).success || /^[\x21-\x7e]{1,128}$/.test(v), {
      message: 'must be an email or a customer id (1 to 128 printable characters, no spaces)',
    })
    .optional(),
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,400}$/, 'is not a cursor returned by this API')
    .optional(),
});

const lateQuerySchema = z.strictObject({ limit: z.coerce.number().int().min(1).max(500).default(200) });

const reasonSchema = z.strictObject({ reason: z.string().min(1).max(500).optional() }).default({});
export const allocationRejectionSchema = z.strictObject({
  reason: z.enum(['not_in_stock', 'damaged']),
  // The rejecting location: required for a split order (whose part it rejects), optional otherwise.
  locationId: locationIdSchema.optional(),
  skus: z.array(skuSchema).min(1).max(500).optional(),
  note: z.string().max(500).optional(),
  // A part filled from the backorder, when the location holds several not yet picked.
  part: z
    .string()
    .regex(/^[1-9][0-9]{0,2}$/, 'must be a part number such as "1"')
    .optional(),
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
// Some lines or units cancelled before they ship; the order decides whether they still can be.
export const cancelLinesSchema = z
  .strictObject({
    lines: z
      .array(
        z.strictObject({
          sku: skuSchema,
          quantity: z.number().int('must be a whole number').positive('must be at least 1').max(100_000),
        }),
      )
      .min(1, 'name at least one line')
      .max(500),
    reason: z.string().min(1).max(500).optional(),
  })
  .superRefine((b, ctx) => {
    const seen = new Set<string>();
    b.lines.forEach((l, i) => {
      if (seen.has(l.sku)) ctx.addIssue({ code: 'custom', path: ['lines', i, 'sku'], message: `repeats ${l.sku}: give each sku once` });
      seen.add(l.sku);
    });
  });
// A drop-ship part its supplier refused, sent to another drop-ship supplier.
export const dropShipRerouteSchema = z.strictObject({
  supplierId: supplierIdSchema,
  part: z
    .string()
    .regex(/^[1-9][0-9]{0,2}$/, 'must be a part number such as "1"')
    .optional(),
});
const paymentConfirmSchema = z.strictObject({ reference: z.string().min(1).max(128).optional() }).default({});

export function ordersRouter(deps: ApiDeps): Router {
  const router = Router();
  const orders = createOrderService({
    ...deps.stores,
    ...deps,
    promiseDates: promiseServiceFor(deps),
    preorders: createPreorderService(deps.stores),
  });
  const send = sender(orders);
  const at = orderLocations(orderLookup(deps.stores));
  router.post('/orders', requires('orders:write'), async (req, res) => {
    const result = await orders.place(parseOrThrow(orderInputSchema, req.body, 'order'));
    res.status(result.duplicate ? 200 : 202).json(result);
  });
  router.get('/orders', requires('orders:read'), async (req, res) => {
    const q = parseOrThrow(listQuerySchema, req.query, 'query');
    const { from, to, ...rest } = q;
    const page = await orders.list({ ...rest, ...(from && { from: new Date(from) }), ...(to && { to: new Date(to) }) });
    // A warehouse sees the orders at its locations: a page may then hold fewer than `limit` (follow nextCursor).
    res.json({ ...page, orders: page.orders.filter(orderVisibleTo(req.principal)) });
  });
  // Before /orders/:id: "late" is not an order id.
  router.get('/orders/late', requires('orders:read'), async (req, res) => {
    const late = await orders.late(parseOrThrow(lateQuerySchema, req.query, 'query').limit);
    res.json({ ...late, orders: late.orders.filter(orderVisibleTo(req.principal)) });
  });
  router.get('/orders/:id', requires('orders:read', at), async (req, res) => {
    res.json(await orders.get(orderIdOf(req)));
  });
  commandRoutes(router, send, at);
  const dropShip = createDropShipService({ ...deps.stores, redis: deps.redis, log: deps.log });
  router.post('/orders/:id/drop-ship/reroute', requires('orders:write'), async (req, res) => {
    const body = parseOrThrow(dropShipRerouteSchema, req.body, 're-route');
    await dropShip.checkSupplier(body.supplierId);
    await send(req, res, 'reroute', rerouteDropShipUpdate, [body], 're-route');
  });
  return router;
}

// Commands: the order's workflow decides and answers.
function commandRoutes(router: Router, send: ReturnType<typeof sender>, at: ReturnType<typeof orderLocations>): void {
  router.post('/orders/:id/cancel', requires('orders:cancel'), async (req, res) => {
    const body = parseOrThrow(reasonSchema, req.body ?? {}, 'cancel request');
    await send(req, res, 'cancel', cancelOrderUpdate, [{ reason: body.reason ?? `cancelled by ${req.actor}` }]);
  });
  router.post('/orders/:id/lines/cancel', requires('orders:cancel'), async (req, res) => {
    const body = parseOrThrow(cancelLinesSchema, req.body, 'line cancel');
    await send(
      req,
      res,
      'cancel_lines',
      cancelLinesUpdate,
      [{ lines: body.lines, reason: body.reason ?? `cancelled by ${req.actor}` }],
      'cancel lines of',
    );
  });
  router.post('/orders/:id/hold', requires('orders:hold'), async (req, res) => {
    const body = parseOrThrow(reasonSchema, req.body ?? {}, 'hold request');
    await send(req, res, 'hold', holdOrderUpdate, [{ reason: body.reason ?? `held by ${req.actor}` }]);
  });
  router.post('/orders/:id/release', requires('orders:hold'), (req, res) => send(req, res, 'release', releaseOrderUpdate, []));
  router.post('/orders/:id/retry', requires('orders:retry'), (req, res) => send(req, res, 'retry', retryOrderUpdate, []));
  // The location cannot fill the allocation: the order is routed again without it.
  router.post('/orders/:id/allocation/reject', requires('orders:fulfil', at), async (req, res) => {
    const body = parseOrThrow(allocationRejectionSchema, req.body, 'allocation rejection');
    await send(req, res, 'reject_allocation', rejectAllocationUpdate, [body], 'reject the allocation of');
  });
  // The customer collected a pickup order at the store.
  router.post('/orders/:id/pickup', requires('orders:fulfil', at), async (req, res) => {
    parseOrThrow(z.strictObject({ by: z.string().min(1).max(200).optional() }), req.body ?? {}, 'pickup confirmation');
    await send(req, res, 'pickup', pickupConfirmedUpdate, [{ ...(req.actor && { by: req.actor }) }], 'confirm the pickup of');
  });
  router.post('/orders/:id/events', requires('orders:fulfil', at), async (req, res) => {
    const event = parseOrThrow(fulfillmentEventSchema, req.body, 'event');
    await send(req, res, event.type, fulfillmentEventUpdate, [event], `record ${event.type} for`);
  });
  router.post('/orders/:id/payment/confirm', requires('orders:write'), async (req, res) => {
    const body = parseOrThrow(paymentConfirmSchema, req.body ?? {}, 'payment confirmation');
    await send(req, res, 'confirm_payment', confirmPaymentUpdate, [body.reference !== undefined ? { reference: body.reference } : {}]);
  });
  router.post('/orders/:id/payment/decline', requires('orders:write'), async (req, res) => {
    const body = parseOrThrow(reasonSchema, req.body ?? {}, 'payment decline');
    await send(req, res, 'decline_payment', declinePaymentUpdate, [{ reason: body.reason ?? `declined by ${req.actor}` }]);
  });
}

const orderIdOf = (req: Request) => parseOrThrow(orderIdSchema, req.params.id, 'order id', 'id');

// Sends a command and answers: 200 with the order's state once the workflow acted on it, 409 with its
// reason when it refused, 202 with the command id when it has not answered in time (repeat the request
// with that id as Idempotency-Key for the answer; Temporal applies one id once).
function sender(orders: OrderService) {
  return async <Args extends unknown[]>(
    req: Request,
    res: Response,
    accepted: string,
    update: UpdateDefinition<OrderState, Args>,
    args: Args,
    action = accepted.replace(/_/g, ' '),
  ): Promise<void> => {
    const orderId = orderIdOf(req);
    const commandId = idempotencyKeyHeader(req);
    const answer = await orders.command(orderId, { update, args, action, ...(commandId && { commandId }) });
    if (answer.done) res.status(200).json({ ...answer.state, accepted, commandId: answer.commandId });
    else res.status(202).json({ orderId, accepted, commandId: answer.commandId, pending: true });
  };
}
