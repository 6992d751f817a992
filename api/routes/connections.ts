import { Router, type Request } from 'express';
import { z } from 'zod';
import { connectionIdSchema, connectionInputSchema, connectionPatchSchema, skuMapSchema } from '../../domain/connection';
import { skuSchema } from '../../domain/catalog';
import { parseOrThrow } from '../../domain/validation';
import { createConnectionService } from '../../services/connections';
import type { ApiDeps } from '../app';

const stockSyncQuery = z.strictObject({ sku: skuSchema.optional() });

export function connectionsRouter(deps: ApiDeps): Router {
  const router = Router();
  const connections = createConnectionService({ ...deps.stores, ...deps });
  const idOf = (req: Request) => parseOrThrow(connectionIdSchema, req.params.id, 'connection id', 'id');
  router.post('/connections', async (req, res) => {
    res.status(201).json(await connections.create(parseOrThrow(connectionInputSchema, req.body, 'connection'), req.actor));
  });
  router.get('/connections', async (_req, res) => {
    res.json({ connections: await connections.list() });
  });
  router.get('/connections/:id', async (req, res) => {
    res.json(await connections.get(idOf(req)));
  });
  router.patch('/connections/:id', async (req, res) => {
    const id = idOf(req);
    res.json(await connections.update(id, parseOrThrow(connectionPatchSchema, req.body, 'connection change')));
  });
  router.delete('/connections/:id', async (req, res) => {
    await connections.remove(idOf(req));
    res.status(204).end();
  });
  router.post('/connections/:id/test', async (req, res) => {
    res.json(await connections.test(idOf(req)));
  });
  router.post('/connections/:id/sync', async (req, res) => {
    res.status(202).json(await connections.syncNow(idOf(req)));
  });
  router.post('/connections/:id/catalog/import', async (req, res) => {
    res.json(await connections.importCatalog(idOf(req)));
  });
  router.get('/connections/:id/sku-map', async (req, res) => {
    res.json(await connections.skuMap(idOf(req)));
  });
  router.put('/connections/:id/sku-map', async (req, res) => {
    const id = idOf(req);
    res.json(await connections.replaceSkuMap(id, parseOrThrow(skuMapSchema, req.body, 'sku map').entries));
  });
  router.get('/connections/:id/stock-sync', async (req, res) => {
    const id = idOf(req);
    res.json(await connections.stockPushes(id, parseOrThrow(stockSyncQuery, req.query, 'query').sku));
  });
  return router;
}
