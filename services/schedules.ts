import { randomUUID } from 'node:crypto';
import { ScheduleAlreadyRunning, ScheduleNotFoundError, type Client, type ScheduleOptions } from '@temporalio/client';
import { isCarrierKind, type ConnectionView } from '../domain/connection';
import type { Logger } from '../domain/logger';
import { maintenanceScheduleId, syncScheduleId, type SyncKind } from '../domain/ids';
import {
  importChannelCatalogWorkflow,
  pollChannelOrdersWorkflow,
  pullErpReceiptsWorkflow,
  reconcileChannelStockWorkflow,
} from '../workflows/channel-sync';
import { CATALOG_KINDS } from './catalog-import';
import { reconcileReservationsWorkflow } from '../workflows/maintenance';
import { replenishmentWorkflow } from '../workflows/replenishment';

const WORKFLOWS = {
  orders: pollChannelOrdersWorkflow,
  stock: reconcileChannelStockWorkflow,
  'erp-receipts': pullErpReceiptsWorkflow,
  catalog: importChannelCatalogWorkflow,
} as const;
const ALL_KINDS: SyncKind[] = ['orders', 'stock', 'erp-receipts', 'catalog'];

// Which syncs a connection kind has: storefronts and marketplaces sell (orders, stock) and list a catalogue;
// an ERP receives; a carrier has nothing to poll (it pushes tracking by webhook).
export function syncKindsOf(connection: Pick<ConnectionView, 'kind'>): SyncKind[] {
  if (isCarrierKind(connection.kind) || connection.kind === 'supplier_http') return [];
  if (connection.kind === 'erp') return ['erp-receipts'];
  return CATALOG_KINDS.includes(connection.kind) ? ['orders', 'stock', 'catalog'] : ['orders', 'stock'];
}

function everyMinutes(connection: ConnectionView, kind: SyncKind): number {
  if (kind === 'orders') return connection.sync.ordersEveryMinutes;
  // Connections stored before the catalogue had a schedule have no interval for it: daily.
  if (kind === 'catalog') return connection.sync.catalogEveryMinutes ?? 1440;
  return connection.sync.stockEveryMinutes;
}

// Make the connection's schedules match it: created, interval updated, paused when the connection is.
export async function applySchedules(temporal: Client, taskQueue: string, connection: ConnectionView): Promise<string[]> {
  const ids: string[] = [];
  for (const kind of syncKindsOf(connection)) {
    const scheduleId = syncScheduleId(connection.id, kind);
    ids.push(scheduleId);
    const spec = { intervals: [{ every: everyMinutes(connection, kind) * 60_000 }] };
    const action = {
      type: 'startWorkflow' as const,
      workflowType: WORKFLOWS[kind],
      args: [{ connectionId: connection.id }] as [{ connectionId: string }],
      taskQueue,
      workflowId: `${scheduleId}:run`,
    };
    const note = connection.enabled ? 'connection enabled' : 'connection paused';
    const created = await createOnce(temporal, { scheduleId, spec, action, state: { paused: !connection.enabled, note } });
    if (!created)
      await temporal.schedule
        .getHandle(scheduleId)
        .update((prev) => ({ ...prev, spec, action, state: { ...prev.state, paused: !connection.enabled, note } }));
  }
  return ids;
}

// Every connection's schedules made to match it, at worker start: a schedule added by a newer Orderhub
// (such as the catalogue's) reaches connections created before it. One connection failing does not stop the rest.
export async function ensureConnectionSchedules(
  temporal: Client,
  taskQueue: string,
  connections: ConnectionView[],
  log: Logger,
): Promise<number> {
  let applied = 0;
  for (const connection of connections) {
    try {
      await applySchedules(temporal, taskQueue, connection);
      applied++;
    } catch (err) {
      log.error('could not bring the schedules of a connection up to date', { connectionId: connection.id, error: String(err) });
    }
  }
  return applied;
}

// The housekeeping schedules, created by every worker at start (the first one wins, the rest find them).
export async function ensureMaintenanceSchedules(
  temporal: Client,
  taskQueue: string,
  opts: { reservationsEveryMinutes?: number; replenishmentCron?: string } = {},
): Promise<string[]> {
  const scheduleId = maintenanceScheduleId('reservations');
  const spec = { intervals: [{ every: (opts.reservationsEveryMinutes ?? 10) * 60_000 }] };
  const action = {
    type: 'startWorkflow' as const,
    workflowType: reconcileReservationsWorkflow,
    args: [{}] as Parameters<typeof reconcileReservationsWorkflow>,
    taskQueue,
    workflowId: `${scheduleId}:run`,
  };
  await createOnce(temporal, { scheduleId, spec, action, state: { note: 'gives back stock held for orders that ended' } });
  // Nightly at 02:00 UTC, once the day's shipments are in: demand counted, forecasts and reorder levels, low-stock alerts.
  const replenishmentId = maintenanceScheduleId('replenishment');
  await createOnce(temporal, {
    scheduleId: replenishmentId,
    spec: { cronExpressions: [opts.replenishmentCron ?? '0 2 * * *'] },
    action: {
      type: 'startWorkflow' as const,
      workflowType: replenishmentWorkflow,
      args: [{}] as Parameters<typeof replenishmentWorkflow>,
      taskQueue,
      workflowId: `${replenishmentId}:run`,
    },
    state: { note: 'recomputes forecasts, reorder points and low-stock alerts' },
  });
  return [scheduleId, replenishmentId];
}

// Create a schedule (a run still going when the next is due is skipped; a missed one is caught up within
// 10 minutes); false when it exists already.
async function createOnce(temporal: Client, options: Omit<ScheduleOptions, 'policies'>): Promise<boolean> {
  try {
    await temporal.schedule.create({ ...options, policies: { overlap: 'SKIP', catchupWindow: '10m' } });
    return true;
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
    return false;
  }
}

export async function deleteSchedules(temporal: Client, connectionId: string): Promise<void> {
  for (const kind of ALL_KINDS) {
    try {
      await temporal.schedule.getHandle(syncScheduleId(connectionId, kind)).delete();
    } catch (err) {
      if (!(err instanceof ScheduleNotFoundError)) throw err;
    }
  }
}

// "Sync now": start each of the connection's sync workflows once, now. Started directly rather than through
// schedule.trigger(): Temporal names a triggered run after the second it was triggered in, so a second click
// within the same second would be silently dropped. The syncs are idempotent, so a run overlapping a scheduled
// one only re-reads what is already captured.
// The catalogue is not among them: it has its own call (POST /connections/:id/catalog/import).
export async function startSyncsNow(temporal: Client, taskQueue: string, connection: ConnectionView): Promise<string[]> {
  const kinds = syncKindsOf(connection).filter((kind) => kind !== 'catalog');
  const ids = kinds.map((kind) => syncScheduleId(connection.id, kind));
  const stamp = `${Date.now()}-${randomUUID().slice(0, 8)}`;
  for (const kind of kinds) {
    await temporal.workflow.start(WORKFLOWS[kind], {
      taskQueue,
      workflowId: `${syncScheduleId(connection.id, kind)}:now-${stamp}`,
      args: [{ connectionId: connection.id }],
    });
  }
  return ids;
}
