import { ApplicationFailure } from '@temporalio/activity';
import type { DropShipGroup } from '../domain/drop-ship';
import { OrderhubError } from '../domain/errors';
import type { Order } from '../domain/order';
import { createDropShipService, type DropShipDeps, type SentPurchaseOrder } from '../services/drop-ship';

export type DropShipActivityDeps = Omit<DropShipDeps, 'now'>;

// A supplier that does not exist or does not drop-ship, a connection that is gone, a supplier refusing
// the request: asking again will not change it, so the order parks for an operator at once.
function settled<T>(work: () => Promise<T>): Promise<T> {
  return work().catch((err: unknown) => {
    if (
      err instanceof OrderhubError &&
      ['validation_failed', 'not_found', 'conflict', 'upstream_rejected', 'unauthorized'].includes(err.code)
    )
      throw ApplicationFailure.nonRetryable(err.message, 'SupplierRefused');
    throw err;
  });
}

export function createDropShipActivities(deps: DropShipActivityDeps) {
  const dropShip = createDropShipService(deps);
  return {
    // One supplier's lines of a drop-ship order as its purchase order, sent once (services/drop-ship.ts).
    sendSupplierPurchaseOrder(order: Order, group: DropShipGroup, part: string, attempt?: number): Promise<SentPurchaseOrder> {
      return settled(() => dropShip.send(order, group, part, attempt));
    },
    // The order was cancelled before the supplier shipped: the purchase order is withdrawn at the supplier.
    cancelSupplierPurchaseOrder(order: Order, purchaseOrderId: string, reason: string): Promise<'cancelled' | 'shipped'> {
      return settled(() => dropShip.cancel(order, purchaseOrderId, reason));
    },
  };
}

export type DropShipActivities = ReturnType<typeof createDropShipActivities>;
