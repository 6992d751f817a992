import { randomUUID } from 'node:crypto';
import { Router, type Request } from 'express';
import { z } from 'zod';
import { skuSchema } from '../../domain/catalog';
import { UnavailableError } from '../../domain/errors';
import {
  PURCHASE_ORDER_STATUSES,
  purchaseOrderCancelSchema,
  purchaseOrderIdSchema,
  purchaseOrderInputSchema,
  purchaseOrderPatchSchema,
  purchaseOrderReceiptSchema,
  supplierEventSchema,
  supplierIdSchema,
  supplierSchema,
} from '../../domain/purchasing';
import { createDropShipService } from '../../services/drop-ship';
import { parseOrThrow } from '../../domain/validation';
import { createPurchasingService, type PurchasingService } from '../../services/purchasing';
import { unavailableService } from '../errors';
import { promiseServiceFor } from './promises';
import { idempotencyKeyHeader } from '../idempotency';
import type { ApiDeps } from '../app';
import { requires } from '../auth';

const limitSchema = z.coerce.number().int().min(1).max(500).default(100);
const supplierListQuery = z.strictObject({ cursor: supplierIdSchema.optional(), limit: limitSchema });
const purchaseOrderListQuery = z.strictObject({
  status: z.enum(PURCHASE_ORDER_STATUSES).optional(),
  supplierId: supplierIdSchema.optional(),
  sku: skuSchema.optional(),
  cursor: purchaseOrderIdSchema.optional(),
  limit: limitSchema,
});

const actorOf = (req: Request) => req.actor ?? 'api';
const poIdOf = (req: Request) => parseOrThrow(purchaseOrderIdSchema, req.params.id, 'purchase order id', 'id');

export function purchasingRouter(deps: ApiDeps): Router {
  const router = Router();
  const promises = promiseServiceFor(deps);
  // A purchase order's change moves the promise dates of the orders waiting for its skus; a recompute that
  // fails does not undo the change (the next one, or POST /promises/recompute, catches up).
  const onInboundChange = (skus: string[]) =>
    promises.recomputeForSkus(skus).catch((err) => deps.log.warn('could not recompute promise dates', { skus, error: String(err) }));
  const purchasing = createPurchasingService({ ...deps.stores, onInboundChange });
  router.post('/suppliers', requires('purchasing:write'), async (req, res) => {
    res.status(201).json(await purchasing.createSupplier(parseOrThrow(supplierSchema, req.body, 'supplier')));
  });
  router.get('/suppliers', requires('purchasing:read'), async (req, res) => {
    res.json(await purchasing.suppliers(parseOrThrow(supplierListQuery, req.query, 'query')));
  });
  router.get('/suppliers/:id', requires('purchasing:read'), async (req, res) => {
    res.json(await purchasing.supplier(parseOrThrow(supplierIdSchema, req.params.id, 'supplier id', 'id')));
  });
  router.post('/purchase-orders', requires('purchasing:write'), async (req, res) => {
    const input = parseOrThrow(purchaseOrderInputSchema, req.body, 'purchase order');
    res.status(201).json(await purchasing.createPurchaseOrder(input, actorOf(req)));
  });
  router.get('/purchase-orders', requires('purchasing:read'), async (req, res) => {
    res.json(await purchasing.purchaseOrders(parseOrThrow(purchaseOrderListQuery, req.query, 'query')));
  });
  router.get('/purchase-orders/:id', requires('purchasing:read'), async (req, res) => {
    res.json(await purchasing.purchaseOrder(poIdOf(req)));
  });
  commandRoutes(router, purchasing);
  // A drop-ship supplier's answer, recorded by an operator (suppliers reached by email; or any supplier's
  // answer given by phone): applied once per eventId (or Idempotency-Key), then told to the order. 201 with
  // the purchase order; 200 with it for a repeat.
  const dropShip = createDropShipService({ ...deps.stores, redis: deps.redis, log: deps.log });
  router.post('/purchase-orders/:id/supplier-events', requires('purchasing:write'), async (req, res) => {
    const id = poIdOf(req);
    const { eventId: given, ...answer } = parseOrThrow(supplierEventSchema, req.body, 'supplier event');
    const eventId = given ?? idempotencyKeyHeader(req) ?? randomUUID();
    const result = await dropShip.recordAnswer(id, { eventId, ...answer }, actorOf(req), deps.temporal);
    res.status(result.duplicate ? 200 : 201).json({ ...result, eventId });
  });
  return router;
}

// Commands on one purchase order: 200 with the order and whether it changed (a repeat changes nothing).
function commandRoutes(router: Router, purchasing: PurchasingService): void {
  router.post('/purchase-orders/:id/open', requires('purchasing:write'), async (req, res) => {
    parseOrThrow(z.strictObject({}), req.body ?? {}, 'open');
    res.json(await purchasing.open(poIdOf(req), actorOf(req)));
  });
  router.post('/purchase-orders/:id/cancel', requires('purchasing:write'), async (req, res) => {
    const { reason } = parseOrThrow(purchaseOrderCancelSchema, req.body ?? {}, 'cancellation');
    res.json(await purchasing.cancel(poIdOf(req), actorOf(req), reason));
  });
  router.patch('/purchase-orders/:id', requires('purchasing:write'), async (req, res) => {
    const patch = parseOrThrow(purchaseOrderPatchSchema, req.body, 'purchase order change');
    res.json(await purchasing.moveExpectedDate(poIdOf(req), patch.expectedDate, actorOf(req), patch.reason));
  });
  // 201 with the receipt, the order after it and the ledger entries; 200 with the same for a repeated receipt id.
  router.post('/purchase-orders/:id/receipts', requires('purchasing:write'), async (req, res) => {
    const id = poIdOf(req);
    const input = parseOrThrow(purchaseOrderReceiptSchema, req.body, 'receipt');
    const receiptId = input.receiptId ?? idempotencyKeyHeader(req) ?? randomUUID();
    const result = await receiveOnce(receiptId, () => purchasing.receive(id, input, receiptId, actorOf(req)));
    res.status(result.duplicate ? 200 : 201).json({ ...result, receiptId });
  });
}

// A receipt the store could not finish answers 503 naming its receipt id: sent again with it, it applies once.
async function receiveOnce<T>(receiptId: string, receive: () => Promise<T>): Promise<T> {
  try {
    return await receive();
  } catch (err) {
    const away = err instanceof UnavailableError ? err.message : unavailableService(err) && `${unavailableService(err)} is not answering`;
    if (!away) throw err;
    throw new UnavailableError(
      `${away}: the receipt may be partly applied; send it again with receiptId ${receiptId}, which applies it once`,
      2,
      {
        receiptId,
      },
    );
  }
}
