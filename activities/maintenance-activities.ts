import { Context } from '@temporalio/activity';
import { isTerminal } from '../domain/status';
import type { Allocations } from '../store/allocations';
import type { OrdersView } from '../store/orders';
import type { Logger } from '../domain/logger';

export interface MaintenanceActivityDeps {
  allocations: Pick<Allocations, 'openReservationsByOrder' | 'releaseEverythingOf'>;
  orders: Pick<OrdersView, 'get'>;
  log: Logger;
}

// Reservations younger than this are left alone: their order may still be deciding (a reservation attempt
// records itself before its first line is reserved).
export const RECONCILE_AFTER_MS = 10 * 60_000;

export interface ReconciledOrder {
  orderId: string;
  status: string; // the order's status, or 'unknown' when no order has this id
  reservations: number;
  units: number;
}

export function createMaintenanceActivities(deps: MaintenanceActivityDeps) {
  return {
    // Stock held for orders that ended (cancelled, completed, rejected) or that do not exist is given
    // back, each release in the ledger with the reason. Orders still running keep what they hold.
    async reconcileReservations(opts: { olderThanMs?: number } = {}): Promise<{ ordersChecked: number; released: ReconciledOrder[] }> {
      const byOrder = await deps.allocations.openReservationsByOrder(opts.olderThanMs ?? RECONCILE_AFTER_MS);
      const released: ReconciledOrder[] = [];
      let checked = 0;
      for (const orderId of byOrder.keys()) {
        const view = await deps.orders.get(orderId);
        checked++;
        heartbeat({ checked });
        if (view && !isTerminal(view.status)) continue;
        const status = view?.status ?? 'unknown';
        const given = await deps.allocations.releaseEverythingOf(orderId, {
          actor: 'reconciliation',
          reason: `reconciliation: order ${status}`,
        });
        if (given.length === 0) continue;
        const units = given.reduce((n, r) => n + r.lines.reduce((m, l) => m + l.quantity, 0), 0);
        released.push({ orderId, status, reservations: given.length, units });
        deps.log.warn('reconciliation released stock held for an order that ended', { orderId, status, units });
      }
      return { ordersChecked: checked, released };
    },
  };
}

function heartbeat(details: unknown): void {
  try {
    Context.current().heartbeat(details);
  } catch {
    // called outside an activity (a test)
  }
}

export type MaintenanceActivities = ReturnType<typeof createMaintenanceActivities>;
