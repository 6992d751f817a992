import { Router } from 'express';
import { itemSchema, locationIdSchema, locationSchema, skuSchema } from '../../domain/catalog';
import { NotFoundError } from '../../domain/errors';
import { parseOrThrow } from '../../domain/validation';
import type { ApiDeps } from '../app';

export function catalogRouter(deps: ApiDeps): Router {
  const router = Router();
  const { locations, items } = deps.stores;

  router.post('/locations', async (req, res) => {
    const location = parseOrThrow(locationSchema, req.body, 'location');
    res.status(201).json(await locations.create(location));
  });

  router.get('/locations', async (_req, res) => {
    res.json({ locations: await locations.list() });
  });

  router.get('/locations/:id', async (req, res) => {
    const id = parseOrThrow(locationIdSchema, req.params.id, 'location id', 'id');
    const location = await locations.get(id);
    if (!location) throw new NotFoundError(`Location ${id} does not exist`, { id });
    res.json(location);
  });

  router.post('/items', async (req, res) => {
    const item = parseOrThrow(itemSchema, req.body, 'item');
    res.status(201).json(await items.create(item));
  });

  router.get('/items/:sku', async (req, res) => {
    const sku = parseOrThrow(skuSchema, req.params.sku, 'sku', 'sku');
    const item = await items.get(sku);
    if (!item) throw new NotFoundError(`Item ${sku} does not exist`, { sku });
    res.json(item);
  });

  return router;
}
