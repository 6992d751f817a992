import { Router } from 'express';
import { z } from 'zod';
import { itemPatchSchema, itemSchema, locationIdSchema, locationSchema, skuSchema } from '../../domain/catalog';
import { parseOrThrow } from '../../domain/validation';
import { createCatalogService } from '../../services/catalog';
import type { ApiDeps } from '../app';
import { requires } from '../auth';

const itemListQuery = z.strictObject({
  search: z.string().trim().min(1).max(100).optional(),
  cursor: skuSchema.optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

export function catalogRouter(deps: ApiDeps): Router {
  const router = Router();
  const catalog = createCatalogService(deps.stores);
  router.post('/locations', requires('catalog:write'), async (req, res) => {
    res.status(201).json(await catalog.createLocation(parseOrThrow(locationSchema, req.body, 'location')));
  });
  router.get('/locations', requires('catalog:read'), async (_req, res) => {
    res.json({ locations: await catalog.locations() });
  });
  router.get('/locations/:id', requires('catalog:read'), async (req, res) => {
    res.json(await catalog.location(parseOrThrow(locationIdSchema, req.params.id, 'location id', 'id')));
  });
  router.post('/items', requires('catalog:write'), async (req, res) => {
    res.status(201).json(await catalog.createItem(parseOrThrow(itemSchema, req.body, 'item')));
  });
  router.get('/items', requires('catalog:read'), async (req, res) => {
    res.json(await catalog.items(parseOrThrow(itemListQuery, req.query, 'query')));
  });
  router.patch('/items/:sku', requires('catalog:write'), async (req, res) => {
    const sku = parseOrThrow(skuSchema, req.params.sku, 'sku', 'sku');
    res.json(await catalog.updateItem(sku, parseOrThrow(itemPatchSchema, req.body, 'item change')));
  });
  router.get('/items/:sku', requires('catalog:read'), async (req, res) => {
    res.json(await catalog.item(parseOrThrow(skuSchema, req.params.sku, 'sku', 'sku')));
  });
  return router;
}
