import { Router } from 'express';
import { z } from 'zod';
import { connectionIdSchema, connectionInputSchema, connectionPatchSchema, type ConnectionInput } from '../../domain/connection';
import { NotFoundError, OrderhubError, ValidationError } from '../../domain/errors';
import { skuSchema } from '../../domain/catalog';
import { parseOrThrow } from '../../domain/validation';
import { buildConnector, validateConnectionSettings } from '../../connectors/registry';
import { applySchedules, deleteSchedules, startSyncsNow } from '../../worker/schedules';
import type { ApiDeps } from '../app';

const stockSyncQuery = z.strictObject({ sku: skuSchema.optional() });

export function connectionsRouter(deps: ApiDeps): Router {
  const router = Router();
  const { connections, locations, stockSync } = deps.stores;

  const idOf = (raw: string) => parseOrThrow(connectionIdSchema, raw, 'connection id', 'id');
  const mustExist = async (id: string) => {
    const view = await connections.view(id);
    if (!view) throw new NotFoundError(`Connection ${id} does not exist`, { id });
    return view;
  };
  // Every Orderhub location a stock feed names must exist.
  const checkFeeds = async (feeds: ConnectionInput['stockFeeds']) => {
    const problems = [];
    for (const [i, feed] of feeds.entries()) {
      for (const [j, loc] of feed.locationIds.entries()) {
        if (!(await locations.get(loc))) problems.push({ path: `stockFeeds.${i}.locationIds.${j}`, message: `unknown location ${loc}` });
      }
    }
    if (problems.length) throw new ValidationError(`Invalid connection: ${problems.length} problem(s)`, problems);
  };

  router.post('/connections', async (req, res) => {
    const input = parseOrThrow(connectionInputSchema, req.body, 'connection');
    const settings = validateConnectionSettings(input.kind, input.options, input.credentials);
    await checkFeeds(input.stockFeeds);
    const view = await connections.create({
      ...input,
      options: settings.options as Record<string, unknown>,
      credentials: settings.credentials as Record<string, unknown>,
    });
    const schedules = await applySchedules(deps.temporal, deps.taskQueue, view);
    deps.log.info('connection created', { connectionId: view.id, kind: view.kind, by: req.actor });
    res.status(201).json({ ...view, schedules, webhookUrl: `/webhooks/${view.id}` });
  });

  router.get('/connections', async (_req, res) => {
    res.json({ connections: await connections.list() });
  });

  router.get('/connections/:id', async (req, res) => {
    res.json(await mustExist(idOf(req.params.id)));
  });

  router.patch('/connections/:id', async (req, res) => {
    const id = idOf(req.params.id);
    const patch = parseOrThrow(connectionPatchSchema, req.body, 'connection change');
    const current = await mustExist(id);
    const settings = validateConnectionSettings(current.kind, patch.options ?? current.options, patch.credentials);
    if (patch.stockFeeds) await checkFeeds(patch.stockFeeds);
    const view = await connections.update(id, {
      ...patch,
      ...(patch.options && { options: settings.options as Record<string, unknown> }),
      ...(patch.credentials && { credentials: settings.credentials as Record<string, unknown> }),
    });
    const schedules = await applySchedules(deps.temporal, deps.taskQueue, view);
    res.json({ ...view, schedules });
  });

  router.delete('/connections/:id', async (req, res) => {
    const id = idOf(req.params.id);
    await mustExist(id);
    await deleteSchedules(deps.temporal, id);
    await connections.remove(id);
    res.status(204).end();
  });

  // One cheap authenticated call to the system behind the connection.
  router.post('/connections/:id/test', async (req, res) => {
    const id = idOf(req.params.id);
    const connection = await connections.withCredentials(id);
    if (!connection) throw new NotFoundError(`Connection ${id} does not exist`, { id });
    const started = Date.now();
    try {
      await buildConnector(connection, { redis: deps.redis, log: deps.log }).testConnection();
    } catch (err) {
      // The channel refusing our credentials is not the caller's API key being refused: answer 502, not 401.
      if (err instanceof OrderhubError && err.code === 'unauthorized')
        throw new OrderhubError('upstream_rejected', `${connection.kind} refused the connection's credentials: ${err.message}`);
      throw err;
    }
    res.json({ ok: true, latencyMs: Date.now() - started });
  });

  // Run its order poll and stock reconciliation (or ERP receipt pull) now, beside its schedules.
  router.post('/connections/:id/sync', async (req, res) => {
    const view = await mustExist(idOf(req.params.id));
    res.status(202).json({ triggered: await startSyncsNow(deps.temporal, deps.taskQueue, view) });
  });

  router.get('/connections/:id/stock-sync', async (req, res) => {
    const id = idOf(req.params.id);
    await mustExist(id);
    const q = parseOrThrow(stockSyncQuery, req.query, 'query');
    const pushes = await stockSync.forConnection(id, q.sku);
    res.json({ connectionId: id, pushes: pushes.map(({ _id, ...p }) => (void _id, p)) });
  });

  return router;
}
