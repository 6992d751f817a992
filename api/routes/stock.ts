import { randomUUID } from 'node:crypto';
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { locationIdSchema, skuSchema } from '../../domain/catalog';
import { UnavailableError } from '../../domain/errors';
import { createStockService } from '../../services/stock';
import { idempotencyKeyHeader } from '../idempotency';
import { unavailableService } from '../errors';
import type { StockChange } from '../../store/stock-ledger';
import { adjustmentSchema, quarantineDecisionSchema, receiptSchema } from '../../domain/stock';
import { parseOrThrow } from '../../domain/validation';
import type { ApiDeps } from '../app';
import { requires } from '../auth';

const ledgerQuerySchema = z.strictObject({
  locationId: locationIdSchema.optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});
const locationLedgerQuerySchema = z.strictObject({
  before: z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(25),
});

// The caller's key (body field or Idempotency-Key header) makes a repeated request apply once. Without
// one, a key is made up and answered (also with a 503), so the caller can send the same change again safely.
function idempotencyKeyOf(req: Request, bodyKey: string | undefined, kind: string): { stored: string; idempotencyKey: string } {
  const idempotencyKey = bodyKey ?? idempotencyKeyHeader(req) ?? randomUUID();
  return { stored: `api:${kind}:${idempotencyKey}`, idempotencyKey };
}

// A ledger change either applied once or not at all: when the store cannot answer, the caller gets 503
// with the key to send the change again under.
async function applyOnce<T>(idempotencyKey: string, apply: () => Promise<T>): Promise<T> {
  try {
    return await apply();
  } catch (err) {
    const away =
      err instanceof UnavailableError
        ? err.message
        : unavailableService(err) &&
          `${unavailableService(err) === 'the store' ? 'The store' : unavailableService(err)} is not answering right now`;
    if (!away) throw err;
    throw new UnavailableError(
      `${away}: the change may not have been applied; send it again with idempotencyKey ${idempotencyKey}, which applies it once`,
      2,
      { idempotencyKey },
    );
  }
}

export function stockRouter(deps: ApiDeps): Router {
  const router = Router();
  const stock = createStockService(deps.stores);
  // One ledger change from the API: applied once per idempotency key; the answer names the key and how
  // many orders wait for the sku.
  const change = async (req: Request, res: Response, c: Omit<StockChange, 'idempotencyKey' | 'actor'>, bodyKey: string | undefined) => {
    const key = idempotencyKeyOf(req, bodyKey, c.type);
    const applied = await applyOnce(key.idempotencyKey, () =>
      stock.change({ ...c, idempotencyKey: key.stored, actor: req.actor ?? 'api' }),
    );
    const waitingOrders = await stock.waitingOrders(c.sku);
    res.status(applied.duplicate ? 200 : 201).json({
      entry: applied.entry,
      duplicate: applied.duplicate,
      idempotencyKey: key.idempotencyKey,
      ...(waitingOrders !== undefined && { waitingOrders }),
    });
  };
  router.post('/stock/receipts', requires('stock:write', { location: (req) => req.body?.locationId }), async (req, res) => {
    const r = parseOrThrow(receiptSchema, req.body, 'receipt');
    const reference = r.reference !== undefined && { reference: r.reference };
    await change(req, res, { sku: r.sku, locationId: r.locationId, type: 'receipt', quantity: r.quantity, ...reference }, r.idempotencyKey);
  });
  router.post('/stock/adjustments', requires('stock:write', { location: (req) => req.body?.locationId }), async (req, res) => {
    const a = parseOrThrow(adjustmentSchema, req.body, 'adjustment');
    const extra = { ...(a.note !== undefined && { note: a.note }), ...(a.reference !== undefined && { reference: a.reference }) };
    const adjustment = { sku: a.sku, locationId: a.locationId, type: 'adjustment' as const, quantity: a.delta, reason: a.reason, ...extra };
    await change(req, res, adjustment, a.idempotencyKey);
  });
  // Quarantined units (from a return's inspection) made sellable again, or written off with the reason.
  router.post('/stock/quarantine', requires('stock:write', { location: (req) => req.body?.locationId }), async (req, res) => {
    const d = parseOrThrow(quarantineDecisionSchema, req.body, 'quarantine decision');
    const type = d.decision === 'release' ? ('quarantine_release' as const) : ('quarantine_scrap' as const);
    const extra = { ...(d.reason !== undefined && { reason: d.reason }), ...(d.reference !== undefined && { reference: d.reference }) };
    await change(req, res, { sku: d.sku, locationId: d.locationId, type, quantity: d.quantity, ...extra }, d.idempotencyKey);
  });
  router.get('/stock/:sku', requires('stock:read'), async (req, res) => {
    res.json(await stock.balances(parseOrThrow(skuSchema, req.params.sku, 'sku', 'sku')));
  });
  router.get('/stock/:sku/ledger', requires('stock:read'), async (req, res) => {
    const sku = parseOrThrow(skuSchema, req.params.sku, 'sku', 'sku');
    res.json(await stock.entries(sku, parseOrThrow(ledgerQuerySchema, req.query, 'query')));
  });
  router.get('/stock/:sku/locations/:locationId/ledger', requires('stock:read'), async (req, res) => {
    const sku = parseOrThrow(skuSchema, req.params.sku, 'sku', 'sku');
    const locationId = parseOrThrow(locationIdSchema, req.params.locationId, 'location id', 'locationId');
    res.json(await stock.locationEntries(sku, locationId, parseOrThrow(locationLedgerQuerySchema, req.query, 'query')));
  });
  return router;
}
