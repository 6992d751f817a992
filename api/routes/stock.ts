import { randomUUID } from 'node:crypto';
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { locationIdSchema, skuSchema } from '../../domain/catalog';
import { NotFoundError, UnavailableError, ValidationError } from '../../domain/errors';
import { unavailableService } from '../errors';
import type { StockChange } from '../../store/stock-ledger';
import { adjustmentSchema, receiptSchema } from '../../domain/stock';
import { parseOrThrow } from '../../domain/validation';
import type { ApiDeps } from '../app';

const ledgerQuerySchema = z.strictObject({
  locationId: locationIdSchema.optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

// The caller's key (body field or Idempotency-Key header) makes a repeated request apply once. Without
// one, a key is made up and answered (also with a 503), so the caller can send the same change again safely.
function idempotencyKeyOf(req: Request, bodyKey: string | undefined, kind: string): { stored: string; idempotencyKey: string } {
  const header = req.get('idempotency-key');
  if (header !== undefined && !/^[\x21-\x7e]{8,200}$/.test(header)) {
    throw new ValidationError('Invalid Idempotency-Key header', [
      { path: 'headers.idempotency-key', message: 'must be 8 to 200 printable ASCII characters without spaces' },
    ]);
  }
  const idempotencyKey = bodyKey ?? header ?? randomUUID();
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
  const { ledger, items, locations } = deps.stores;

  const mustExist = async (sku: string, locationId: string) => {
    const [item, location] = await Promise.all([items.get(sku), locations.get(locationId)]);
    const problems = [
      ...(item ? [] : [{ path: 'sku', message: `unknown sku ${sku}` }]),
      ...(location ? [] : [{ path: 'locationId', message: `unknown location ${locationId}` }]),
    ];
    if (problems.length) throw new ValidationError(`Invalid stock change: ${problems.length} problem(s)`, problems);
  };

  // How many orders wait for this sku. The stock a change frees is offered to them, first come, first
  // served, within about a second (worker/stock-offers.ts), not by this request. A lookup that fails
  // does not fail the change, which is already applied.
  const waiting = async (sku: string): Promise<{ waitingOrders?: number }> => {
    const orders = await deps.stores.orders.waitingForSku(sku).catch(() => undefined);
    return orders ? { waitingOrders: orders.length } : {};
  };

  // One ledger change from the API: applied once per idempotency key; the answer names the key and how
  // many orders wait for the sku.
  const change = async (
    req: Request,
    res: Response,
    kind: 'receipt' | 'adjustment',
    c: Omit<StockChange, 'idempotencyKey' | 'actor'>,
    bodyKey: string | undefined,
  ) => {
    await mustExist(c.sku, c.locationId);
    const key = idempotencyKeyOf(req, bodyKey, kind);
    const applied = await applyOnce(key.idempotencyKey, () =>
      ledger.apply({ ...c, idempotencyKey: key.stored, actor: req.actor ?? 'api' }),
    );
    res
      .status(applied.duplicate ? 200 : 201)
      .json({ entry: applied.entry, duplicate: applied.duplicate, idempotencyKey: key.idempotencyKey, ...(await waiting(c.sku)) });
  };

  router.post('/stock/receipts', async (req, res) => {
    const r = parseOrThrow(receiptSchema, req.body, 'receipt');
    await change(
      req,
      res,
      'receipt',
      {
        sku: r.sku,
        locationId: r.locationId,
        type: 'receipt',
        quantity: r.quantity,
        ...(r.reference !== undefined && { reference: r.reference }),
      },
      r.idempotencyKey,
    );
  });

  router.post('/stock/adjustments', async (req, res) => {
    const a = parseOrThrow(adjustmentSchema, req.body, 'adjustment');
    const extra = { ...(a.note !== undefined && { note: a.note }), ...(a.reference !== undefined && { reference: a.reference }) };
    await change(
      req,
      res,
      'adjustment',
      { sku: a.sku, locationId: a.locationId, type: 'adjustment', quantity: a.delta, reason: a.reason, ...extra },
      a.idempotencyKey,
    );
  });

  router.get('/stock/:sku', async (req, res) => {
    const sku = parseOrThrow(skuSchema, req.params.sku, 'sku', 'sku');
    if (!(await items.get(sku))) throw new NotFoundError(`Item ${sku} does not exist`, { sku });
    const perLocation = await ledger.balancesForSku(sku);
    const total = perLocation.reduce(
      (t, b) => ({ onHand: t.onHand + b.onHand, reserved: t.reserved + b.reserved, available: t.available + b.available }),
      { onHand: 0, reserved: 0, available: 0 },
    );
    res.json({ sku, total, locations: perLocation });
  });

  router.get('/stock/:sku/ledger', async (req, res) => {
    const sku = parseOrThrow(skuSchema, req.params.sku, 'sku', 'sku');
    const q = parseOrThrow(ledgerQuerySchema, req.query, 'query');
    if (!(await items.get(sku))) throw new NotFoundError(`Item ${sku} does not exist`, { sku });
    const entries = await ledger.entriesForSku(sku, { limit: q.limit, ...(q.locationId && { locationId: q.locationId }) });
    res.json({ sku, entries: entries.map(({ _id, ...e }) => ({ id: _id, ...e })) });
  });

  return router;
}
