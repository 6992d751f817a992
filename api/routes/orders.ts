import { Router, type Request, type Response } from 'express';
import type { UpdateDefinition } from '@temporalio/common';
import { z } from 'zod';
import { orderIdSchema, orderInputSchema } from '../../domain/order';
import { parcelSchema } from '../../domain/carrier';
import { locationIdSchema, skuSchema } from '../../domain/catalog';
import { NotFoundError, ValidationError } from '../../domain/errors';
import { parseOrThrow } from '../../domain/validation';
import { FULFILLMENT_EVENTS, ORDER_STATUSES } from '../../domain/status';
import type { OrderState, OrderView } from '../../domain/order-state';
import { captureOrder } from '../../services/order-intake';
import { commandOrder } from '../../services/order-commands';
import {
  cancelOrderUpdate,
  confirmPaymentUpdate,
  declinePaymentUpdate,
  fulfillmentEventUpdate,
  holdOrderUpdate,
  pickupConfirmedUpdate,
  rejectAllocationUpdate,
  releaseOrderUpdate,
  retryOrderUpdate,
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

  // Commands: the order's workflow decides and answers (services/order-commands.ts).
  const send = sender(deps);
  router.post('/orders/:id/cancel', async (req, res) => {
    const body = parseOrThrow(reasonSchema, req.body ?? {}, 'cancel request');
    await send(req, res, 'cancel', cancelOrderUpdate, [{ reason: body.reason ?? `cancelled by ${req.actor}` }]);
  });
  router.post('/orders/:id/hold', async (req, res) => {
    const body = parseOrThrow(reasonSchema, req.body ?? {}, 'hold request');
    await send(req, res, 'hold', holdOrderUpdate, [{ reason: body.reason ?? `held by ${req.actor}` }]);
  });
  router.post('/orders/:id/release', async (req, res) => {
    await send(req, res, 'release', releaseOrderUpdate, []);
  });
  router.post('/orders/:id/retry', async (req, res) => {
    await send(req, res, 'retry', retryOrderUpdate, []);
  });
  // The location cannot fill the allocation: the order is routed again without it.
  router.post('/orders/:id/allocation/reject', async (req, res) => {
    const body = parseOrThrow(allocationRejectionSchema, req.body, 'allocation rejection');
    await send(req, res, 'reject_allocation', rejectAllocationUpdate, [body], 'reject the allocation of');
  });
  // The customer collected a pickup order at the store.
  router.post('/orders/:id/pickup', async (req, res) => {
    parseOrThrow(z.strictObject({ by: z.string().min(1).max(200).optional() }), req.body ?? {}, 'pickup confirmation');
    await send(req, res, 'pickup', pickupConfirmedUpdate, [{ ...(req.actor && { by: req.actor }) }], 'confirm the pickup of');
  });
  router.post('/orders/:id/events', async (req, res) => {
    const event = parseOrThrow(fulfillmentEventSchema, req.body, 'event');
    await send(req, res, event.type, fulfillmentEventUpdate, [event], `record ${event.type} for`);
  });
  router.post('/orders/:id/payment/confirm', async (req, res) => {
    const body = parseOrThrow(paymentConfirmSchema, req.body ?? {}, 'payment confirmation');
    await send(req, res, 'confirm_payment', confirmPaymentUpdate, [body.reference !== undefined ? { reference: body.reference } : {}]);
  });
  router.post('/orders/:id/payment/decline', async (req, res) => {
    const body = parseOrThrow(reasonSchema, req.body ?? {}, 'payment decline');
    await send(req, res, 'decline_payment', declinePaymentUpdate, [{ reason: body.reason ?? `declined by ${req.actor}` }]);
  });

  return router;
}

// Sends a command and answers: 200 with the order's state once the workflow acted on it, 409 with its
// reason when it refused, 202 with the command id when it has not answered in time (repeat the request
// with that id as Idempotency-Key for the answer; Temporal applies one id once).
function sender(deps: ApiDeps) {
  return async <Args extends unknown[]>(
    req: Request,
    res: Response,
    accepted: string,
    update: UpdateDefinition<OrderState, Args>,
    args: Args,
    action = accepted.replace(/_/g, ' '),
  ): Promise<void> => {
    const orderId = parseOrThrow(orderIdSchema, req.params.id, 'order id', 'id');
    const commandId = commandIdOf(req);
    const answer = await commandOrder(
      { temporal: deps.temporal, orders: deps.stores.orders, answerWithinMs: deps.commandAnswerWithinMs },
      orderId,
      {
        update,
        args,
        action,
        ...(commandId && { commandId }),
      },
    );
    if (answer.done) res.status(200).json({ ...answer.state, accepted, commandId: answer.commandId });
    else res.status(202).json({ orderId, accepted, commandId: answer.commandId, pending: true });
  };
}

function commandIdOf(req: Request): string | undefined {
  const header = req.get('idempotency-key');
  if (header !== undefined && !/^[\x21-\x7e]{8,200}$/.test(header))
    throw new ValidationError('Invalid Idempotency-Key header', [
      { path: 'headers.idempotency-key', message: 'must be 8 to 200 printable ASCII characters without spaces' },
    ]);
  return header;
}
