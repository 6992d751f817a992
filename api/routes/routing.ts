import express, { Router } from 'express';
import { z } from 'zod';
import { addressSchema } from '../../domain/address';
import { orderIdSchema } from '../../domain/order';
import { skuSchema, locationIdSchema } from '../../domain/catalog';
import { ValidationError, type FieldProblem } from '../../domain/errors';
import { parsePostalPrefixCsv } from '../../domain/geo';
import { routingRulesSchema } from '../../domain/routing';
import { createRoutingService } from '../../services/routing';
import { parseOrThrow, problemsOf } from '../../domain/validation';
import type { ApiDeps } from '../app';
import { requires } from '../auth';

const rulesBody = z.strictObject({ rules: routingRulesSchema });
const postalBody = z.strictObject({ csv: z.string().min(1, 'must not be empty').max(5_000_000) });

// What would happen to an order: a stored one (orderId) or one described here. `rules` tries a draft set.
const simulateBody = z.strictObject({
  orderId: orderIdSchema.optional(),
  channel: z
    .string()
    .regex(/^[a-z0-9_-]{1,32}$/, 'must be 1 to 32 lowercase letters, digits, _ or -')
    .optional(),
  lines: z
    .array(z.strictObject({ sku: skuSchema, quantity: z.number().int('must be a whole number').positive().max(1_000_000) }))
    .min(1)
    .max(500)
    .optional(),
  shippingAddress: addressSchema.pick({ country: true, postalCode: true, latitude: true, longitude: true }).strict().optional(),
  pickupLocationId: locationIdSchema.optional(),
  // Absent: as the order says (a stored order's own choice; a described order may be split).
  allowSplit: z.boolean().optional(),
  excludedLocationIds: z.array(locationIdSchema).max(500).optional(),
  rules: routingRulesSchema.optional(),
});

// Either orderId or the order itself; checked on the raw body so these problems come with the schema's own.
function shapeProblems(body: unknown): FieldProblem[] {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return [];
  const b = body as Record<string, unknown>;
  const fields = ['channel', 'lines', 'shippingAddress'] as const;
  if (b.orderId !== undefined)
    return fields
      .filter((f) => b[f] !== undefined)
      .map((f) => ({ path: f, message: 'give either orderId or the order (channel, lines, shippingAddress), not both' }));
  return fields.filter((f) => b[f] === undefined).map((f) => ({ path: f, message: 'is required when no orderId is given' }));
}

const actorOf = (req: express.Request) => req.actor ?? 'api';

export function routingRouter(deps: ApiDeps): Router {
  const router = Router();
  const routing = createRoutingService(deps.stores);
  router.get('/routing/rules', requires('settings:read'), async (_req, res) => {
    res.json(await routing.rules());
  });
  // Replace the whole rule set: rules run in the order given, per channel or for all.
  router.put('/routing/rules', requires('settings:write'), async (req, res) => {
    const { rules } = parseOrThrow(rulesBody, req.body, 'routing rules');
    res.json(await routing.replaceRules(rules, actorOf(req)));
  });
  router.get('/routing/postal-prefixes', requires('settings:read'), async (_req, res) => {
    res.json(await routing.postalSummary());
  });
  // Replace the postal-code prefix table: text/csv, or JSON { csv }. Header: country,prefix,latitude,longitude.
  router.put('/routing/postal-prefixes', requires('settings:write'), express.text({ type: 'text/csv', limit: '5mb' }), async (req, res) => {
    const csv = typeof req.body === 'string' ? req.body : parseOrThrow(postalBody, req.body, 'postal prefix upload').csv;
    res.json(await routing.replacePostalRows(postalRowsOf(csv), actorOf(req)));
  });
  router.post('/routing/simulate', requires('settings:read'), async (req, res) => {
    const parsed = simulateBody.safeParse(req.body);
    const problems = [...shapeProblems(req.body), ...(parsed.success ? [] : problemsOf(parsed.error))];
    if (problems.length || !parsed.success)
      throw new ValidationError(`Invalid routing simulation: ${problems.length} problem(s)`, problems);
    res.json(await routing.simulate(parsed.data));
  });
  return router;
}

// Problems carry line and field too; the API's error details are { path, message } everywhere.
function postalRowsOf(csv: string) {
  try {
    return parsePostalPrefixCsv(csv);
  } catch (err) {
    if (err instanceof ValidationError)
      throw new ValidationError(
        err.message,
        err.problems.map(({ path, message }) => ({ path, message })),
      );
    throw err;
  }
}
