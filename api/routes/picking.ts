import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { locationIdSchema, skuSchema } from '../../domain/catalog';
import { ValidationError, type FieldProblem } from '../../domain/errors';
import { binCode, binSchema, picklistCriteriaSchema } from '../../domain/picking';
import { parseOrThrow, problemsOf } from '../../domain/validation';
import { createPickingService, type PickingService } from '../../services/picking';
import { locationOfPicklist } from '../../domain/access';
import type { ApiDeps } from '../app';
import { requires } from '../auth';

// Warehouse work over HTTP: bin locations, picklists built from released orders, scans and short picks
// (services/picking.ts does the work; these parse, call and answer).

const MAX_BINS = 10_000;
const binsBody = z.strictObject({
  bins: z.record(z.string(), binSchema).refine((bins) => Object.keys(bins).length <= MAX_BINS, `may hold at most ${MAX_BINS} skus`),
});

const picklistsQuery = z.strictObject({ limit: z.coerce.number().int().min(1).max(100).default(20) });
const picklistBody = z.strictObject({ locationId: locationIdSchema, criteria: picklistCriteriaSchema.optional() });

const idempotencyKeySchema = z
  .string()
  .min(8)
  .max(200)
  .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces');
const quantitySchema = z.number().int('must be a whole number').positive('must be at least 1').max(100_000);
const scanBody = z.strictObject({
  // What the scanner read: a barcode, or the sku typed in.
  code: z
    .string()
    .trim()
    .min(1, 'must be a barcode or sku')
    .max(64)
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'must be a barcode or sku: letters, digits and . _ -'),
  quantity: quantitySchema,
  idempotencyKey: idempotencyKeySchema.optional(),
});
const closeBody = z.strictObject({ reason: z.string().min(1).max(500).optional() }).default({});
const shortBody = z.strictObject({ sku: skuSchema, missingQuantity: quantitySchema, idempotencyKey: idempotencyKeySchema.optional() });

export const picklistIdSchema = z
  .string()
  .regex(/^PL-[A-Za-z0-9_-]{1,64}-\d{8}T\d{6}-[0-9a-f]{6}$/, 'must look like PL-<location>-<yyyymmddThhmmss>-<6 hex digits>');

const actorOf = (req: Request) => req.actor ?? 'api';
const picklistIdOf = (req: Request) => parseOrThrow(picklistIdSchema, req.params.id, 'picklist id', 'id');
const locationIdOf = (req: Request) => parseOrThrow(locationIdSchema, req.params.id, 'location id', 'id');

export function picklistsRouter(deps: ApiDeps): Router {
  const router = Router();
  const picking = createPickingService({ ...deps.stores, temporal: deps.temporal, log: deps.log });
  router.get('/locations/:id/bins', requires('picking:read', { location: (req) => req.params.id }), async (req, res) => {
    res.json(await picking.bins(locationIdOf(req)));
  });
  router.put('/locations/:id/bins', requires('picking:write', { location: (req) => req.params.id }), (req, res) =>
    replaceBins(picking, req, res),
  );
  router.get('/locations/:id/picklists', requires('picking:read', { location: (req) => req.params.id }), async (req, res) => {
    const { limit } = parseOrThrow(picklistsQuery, req.query, 'query');
    res.json(await picking.listAt(locationIdOf(req), limit));
  });
  router.post('/picklists', requires('picking:write', { location: (req) => req.body?.locationId }), async (req, res) => {
    const body = parseOrThrow(picklistBody, req.body, 'picklist request');
    const criteria = picklistCriteriaSchema.parse(body.criteria ?? {});
    res.status(201).json(await picking.create(body.locationId, criteria, actorOf(req)));
  });
  // A warehouse key acts on a picklist only at its locations (the location is part of the picklist id).
  const atPicklistLocation = { location: (req: Request) => locationOfPicklist(String(req.params.id)) };
  router.get('/picklists/:id', requires('picking:read', atPicklistLocation), async (req, res) => {
    res.json(await picking.get(picklistIdOf(req)));
  });
  router.post('/picklists/:id/scans', requires('picking:write', atPicklistLocation), async (req, res) => {
    const scan = parseOrThrow(scanBody, req.body, 'scan');
    const out = await picking.scan(picklistIdOf(req), scan, actorOf(req));
    res.status(out.duplicate ? 200 : 201).json(out);
  });
  router.post('/picklists/:id/short', requires('picking:write', atPicklistLocation), async (req, res) => {
    const body = parseOrThrow(shortBody, req.body, 'short pick');
    const out = await picking.short(picklistIdOf(req), body, actorOf(req));
    res.status(out.duplicate ? 200 : 201).json(out);
  });
  router.post('/picklists/:id/close', requires('picking:write', atPicklistLocation), async (req, res) => {
    const body = parseOrThrow(closeBody, req.body ?? {}, 'close request');
    const out = await picking.close(picklistIdOf(req), actorOf(req), body.reason);
    res.status(out.duplicate ? 200 : 201).json(out);
  });
  return router;
}

// Replace the whole sku → bin map of a location. Every key that is not a sku is named.
async function replaceBins(picking: PickingService, req: Request, res: Response): Promise<void> {
  const id = locationIdOf(req);
  const parsed = binsBody.safeParse(req.body);
  const problems: FieldProblem[] = parsed.success ? [] : problemsOf(parsed.error);
  const keys =
    req.body && typeof req.body.bins === 'object' && req.body.bins !== null && !Array.isArray(req.body.bins)
      ? Object.keys(req.body.bins)
      : [];
  for (const sku of keys) {
    const r = skuSchema.safeParse(sku);
    if (!r.success) problems.push({ path: `bins.${sku}`, message: `is not a sku: ${r.error.issues[0].message}` });
  }
  if (problems.length || !parsed.success) throw new ValidationError(`Invalid bin locations: ${problems.length} problem(s)`, problems);
  const codes = Object.fromEntries(Object.entries(parsed.data.bins).map(([sku, bin]) => [sku, binCode(bin)]));
  res.json(await picking.replaceBins(id, codes, actorOf(req)));
}
