import { Router, type Request } from 'express';
import { z } from 'zod';
import { connectionIdSchema, connectionInputSchema, connectionPatchSchema, skuMapSchema } from '../../domain/connection';
import { skuSchema } from '../../domain/catalog';
import { parseOrThrow } from '../../domain/validation';
import { createConnectionService } from '../../services/connections';
import type { ApiDeps } from '../app';
import { requires } from '../auth';
import { inScope } from '../../domain/access';

const stockSyncQuery = z.strictObject({ sku: skuSchema.optional() });

export function connectionsRouter(deps: ApiDeps): Router {
  const router = Router();
  const connections = createConnectionService({ ...deps.stores, ...deps });
  const idOf = (req: Request) => parseOrThrow(connectionIdSchema, req.params.id, 'connection id', 'id');
  router.post('/connections', requires('connections:manage'), async (req, res) => {
    res.status(201).json(await connections.create(parseOrThrow(connectionInputSchema, req.body, 'connection'), req.actor));
  });
  router.get('/connections', requires('connections:read'), async (req, res) => {
    // A principal scoped to connections sees only those.
    const all = await connections.list();
    res.json({ connections: all.filter((c) => !req.principal || inScope(req.principal, 'connection', c.id)) });
  });
  router.get('/connections/:id', requires('connections:read', { connection: (req) => req.params.id }), async (req, res) => {
    res.json(await connections.get(idOf(req)));
  });
  router.patch('/connections/:id', requires('connections:manage', { connection: (req) => req.params.id }), async (req, res) => {
    const id = idOf(req);
    res.json(await connections.update(id, parseOrThrow(connectionPatchSchema, req.body, 'connection change')));
  });
  router.delete('/connections/:id', requires('connections:manage', { connection: (req) => req.params.id }), async (req, res) => {
    await connections.remove(idOf(req));
    res.status(204).end();
  });
  router.post('/connections/:id/test', requires('connections:sync', { connection: (req) => req.params.id }), async (req, res) => {
    res.json(await connections.test(idOf(req)));
  });
  router.post('/connections/:id/sync', requires('connections:sync', { connection: (req) => req.params.id }), async (req, res) => {
    res.status(202).json(await connections.syncNow(idOf(req)));
  });
  router.post('/connections/:id/catalog/import', requires('connections:sync', { connection: (req) => req.params.id }), async (req, res) => {
    res.json(await connections.importCatalog(idOf(req)));
  });
  router.get('/connections/:id/sku-map', requires('connections:read', { connection: (req) => req.params.id }), async (req, res) => {
    res.json(await connections.skuMap(idOf(req)));
  });
  router.put('/connections/:id/sku-map', requires('connections:sync', { connection: (req) => req.params.id }), async (req, res) => {
    const id = idOf(req);
    res.json(await connections.replaceSkuMap(id, parseOrThrow(skuMapSchema, req.body, 'sku map').entries));
  });
  router.get('/connections/:id/stock-sync', requires('connections:read', { connection: (req) => req.params.id }), async (req, res) => {
    const id = idOf(req);
    res.json(await connections.stockPushes(id, parseOrThrow(stockSyncQuery, req.query, 'query').sku));
  });
  return router;
}
