import { Router } from 'express';
import { z } from 'zod';
import { locationIdSchema, skuSchema } from '../../domain/catalog';
import { supplierIdSchema } from '../../domain/purchasing';
import { replenishmentSettingsSchema } from '../../domain/replenishment';
import { parseOrThrow } from '../../domain/validation';
import { createPurchasingService } from '../../services/purchasing';
import { createReplenishmentService, startRecompute } from '../../services/replenishment';
import type { ApiDeps } from '../app';
import { requires } from '../auth';

// Replenishment over HTTP (services/replenishment.ts): settings per sku, the recompute, suggested purchase orders.
const recomputeSchema = z.strictObject({
  runId: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, 'may contain only letters, digits, _ and - (at most 64)')
    .optional(),
});
const orderSuggestionSchema = z.strictObject({ locationId: locationIdSchema });
const lowStockQuerySchema = z.strictObject({ locationId: locationIdSchema.optional() });

export function replenishmentRouter(deps: ApiDeps): Router {
  const router = Router();
  const replenishment = createReplenishmentService(deps.stores);
  const purchasing = createPurchasingService(deps.stores);
  const skuOf = (raw: unknown) => parseOrThrow(skuSchema, raw, 'sku', 'sku');

  router.get('/replenishment/settings/:sku', requires('settings:read'), async (req, res) => {
    res.json(await replenishment.settingsOf(skuOf(req.params.sku)));
  });
  router.put('/replenishment/settings/:sku', requires('settings:write'), async (req, res) => {
    const sku = skuOf(req.params.sku);
    const settings = parseOrThrow(replenishmentSettingsSchema, req.body, 'replenishment settings');
    res.json(await replenishment.putSettings(sku, settings, req.actor ?? 'api'));
  });
  router.get('/replenishment/suggestions', requires('purchasing:read'), async (req, res) => {
    parseOrThrow(z.strictObject({}), req.query, 'query');
    res.json(await replenishment.suggestions());
  });
  router.get('/low-stock', requires('stock:read'), async (req, res) => {
    res.json(await replenishment.lowStock(parseOrThrow(lowStockQuerySchema, req.query, 'query')));
  });
  // 201 with the draft purchase order made of what is suggested for that supplier and location now.
  router.post('/replenishment/suggestions/:supplierId/order', requires('purchasing:write'), async (req, res) => {
    const supplierId = parseOrThrow(supplierIdSchema, req.params.supplierId, 'supplier id', 'supplierId');
    const { locationId } = parseOrThrow(orderSuggestionSchema, req.body, 'order suggestion');
    const actor = req.actor ?? 'api';
    res
      .status(201)
      .json(await replenishment.orderSuggestion(supplierId, locationId, (input) => purchasing.createPurchaseOrder(input, actor)));
  });
  // 202: the recompute runs as a workflow; the same runId again answers the run it started.
  router.post('/replenishment/recompute', requires('settings:write'), async (req, res) => {
    const { runId } = parseOrThrow(recomputeSchema, req.body ?? {}, 'recompute');
    res.status(202).json(await startRecompute(deps.temporal, deps.taskQueue, runId));
  });
  return router;
}
