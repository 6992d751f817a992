import { Router } from 'express';
import { z } from 'zod';
import { skuSchema } from '../../domain/catalog';
import { parseOrThrow } from '../../domain/validation';
import { createPromiseService, type PromiseService } from '../../services/promises';
import type { ApiDeps } from '../app';
import { requires } from '../auth';

// Promise dates over HTTP (services/promises.ts): GET /orders/:id shows them; this recomputes a sku's now.
const recomputeQuery = z.strictObject({ sku: skuSchema });

export const promiseServiceFor = (deps: ApiDeps): PromiseService => createPromiseService({ ...deps.stores, log: deps.log });

export function promisesRouter(deps: ApiDeps): Router {
  const router = Router();
  const promises = promiseServiceFor(deps);
  router.post('/promises/recompute', requires('settings:write'), async (req, res) => {
    parseOrThrow(z.strictObject({}), req.body ?? {}, 'body');
    const { sku } = parseOrThrow(recomputeQuery, req.query, 'query');
    res.json(await promises.recomputeForSkus([sku]));
  });
  return router;
}
