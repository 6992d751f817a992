// Connections to channels, ERPs and carriers: created and changed with their settings checked by the
// connector's own schema and their Temporal schedules kept in step, tested against the system behind
// them, synced on demand, and their stock-push log read.
import type { Client } from '@temporalio/client';
import type { Redis } from 'ioredis';
import type { ConnectionInput, ConnectionPatch, ConnectionView, SkuMapEntry } from '../domain/connection';
import { NotFoundError, OrderhubError, ValidationError } from '../domain/errors';
import type { Logger } from '../domain/logger';
import { buildConnector, validateConnectionSettings } from '../connectors/registry';
import type { Items, Locations } from '../store/catalog';
import type { Connections } from '../store/connections';
import type { StockSyncLog } from '../store/stock-sync';
import { importCatalog } from './catalog-import';
import { applySchedules, deleteSchedules, startSyncsNow } from './schedules';

export interface ConnectionServiceDeps {
  connections: Pick<Connections, 'view' | 'list' | 'create' | 'update' | 'remove' | 'withCredentials' | 'replaceSkuMap'>;
  items: Pick<Items, 'missing' | 'create' | 'get' | 'recordChannelListing' | 'update'>;
  locations: Pick<Locations, 'get'>;
  stockSync: Pick<StockSyncLog, 'forConnection'>;
  temporal: Client;
  taskQueue: string;
  redis: Redis;
  log: Logger;
}

export function createConnectionService(deps: ConnectionServiceDeps) {
  const { connections, locations, stockSync, temporal, taskQueue } = deps;

  async function viewOrThrow(id: string): Promise<ConnectionView> {
    const view = await connections.view(id);
    if (!view) throw new NotFoundError(`Connection ${id} does not exist`, { id });
    return view;
  }

  // Every Orderhub location a stock feed names must exist.
  async function checkFeeds(feeds: ConnectionInput['stockFeeds']): Promise<void> {
    const problems = [];
    for (const [i, feed] of feeds.entries())
      for (const [j, loc] of feed.locationIds.entries())
        if (!(await locations.get(loc))) problems.push({ path: `stockFeeds.${i}.locationIds.${j}`, message: `unknown location ${loc}` });
    if (problems.length) throw new ValidationError(`Invalid connection: ${problems.length} problem(s)`, problems);
  }

  return {
    async create(input: ConnectionInput, actor: string | undefined) {
      const settings = validateConnectionSettings(input.kind, input.options, input.credentials);
      await checkFeeds(input.stockFeeds);
      const view = await connections.create({
        ...input,
        options: settings.options as Record<string, unknown>,
        credentials: settings.credentials as Record<string, unknown>,
      });
      const schedules = await applySchedules(temporal, taskQueue, view);
      deps.log.info('connection created', { connectionId: view.id, kind: view.kind, by: actor });
      return { ...view, schedules, webhookUrl: `/webhooks/${view.id}` };
    },

    list: () => connections.list(),
    get: viewOrThrow,

    async update(id: string, patch: ConnectionPatch) {
      const current = await viewOrThrow(id);
      const settings = validateConnectionSettings(current.kind, patch.options ?? current.options, patch.credentials);
      if (patch.stockFeeds) await checkFeeds(patch.stockFeeds);
      const view = await connections.update(id, {
        ...patch,
        ...(patch.options && { options: settings.options as Record<string, unknown> }),
        ...(patch.credentials && { credentials: settings.credentials as Record<string, unknown> }),
      });
      return { ...view, schedules: await applySchedules(temporal, taskQueue, view) };
    },

    async remove(id: string): Promise<void> {
      await viewOrThrow(id);
      await deleteSchedules(temporal, id);
      await connections.remove(id);
    },

    // One cheap authenticated call to the system behind the connection.
    async test(id: string): Promise<{ ok: true; latencyMs: number }> {
      const connection = await connections.withCredentials(id);
      if (!connection) throw new NotFoundError(`Connection ${id} does not exist`, { id });
      const started = Date.now();
      try {
        await buildConnector(connection, { redis: deps.redis, log: deps.log }).testConnection();
      } catch (err) {
        // The channel refusing our credentials is not the caller's API key being refused: 502, not 401.
        if (err instanceof OrderhubError && err.code === 'unauthorized')
          throw new OrderhubError('upstream_rejected', `${connection.kind} refused the connection's credentials: ${err.message}`);
        throw err;
      }
      return { ok: true, latencyMs: Date.now() - started };
    },

    // Run its order poll and stock reconciliation (or ERP receipt pull) now, beside its schedules.
    async syncNow(id: string) {
      return { triggered: await startSyncsNow(temporal, taskQueue, await viewOrThrow(id)) };
    },

    async skuMap(id: string) {
      const view = await viewOrThrow(id);
      return { connectionId: id, entries: view.skuMap ?? [] };
    },

    // Replaces the map whole; every Orderhub sku it names must be in the catalogue.
    async replaceSkuMap(id: string, entries: SkuMapEntry[]) {
      await viewOrThrow(id);
      const missing = new Set(await deps.items.missing([...new Set(entries.map((e) => e.sku))]));
      const problems = entries.flatMap((e, i) =>
        missing.has(e.sku) ? [{ path: `entries.${i}.sku`, message: `unknown sku ${e.sku}` }] : [],
      );
      if (problems.length) throw new ValidationError(`Invalid sku map: ${problems.length} problem(s)`, problems);
      if (!(await connections.replaceSkuMap(id, entries))) throw new NotFoundError(`Connection ${id} does not exist`, { id });
      return { connectionId: id, entries };
    },

    async importCatalog(id: string) {
      const connection = await connections.withCredentials(id);
      if (!connection) throw new NotFoundError(`Connection ${id} does not exist`, { id });
      return importCatalog(deps, connection);
    },

    async stockPushes(id: string, sku?: string) {
      await viewOrThrow(id);
      const pushes = await stockSync.forConnection(id, sku);
      return { connectionId: id, pushes: pushes.map(({ _id, ...p }) => (void _id, p)) };
    },
  };
}
