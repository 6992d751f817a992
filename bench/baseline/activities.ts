import type { Order } from '../../domain/order';
import type { OrderState } from '../../domain/order-state';

// The order workflow's activities up to release, doing nothing: what is left of an order's cost
// when the store, the ledger and the payment provider take no time at all.
export function createBaselineActivities() {
  return {
    async recordOrderState(_order: Order, _state: OrderState): Promise<void> {},
    async validateOrder(_order: Order): Promise<void> {},
    async authorizePayment(order: Order): Promise<{ status: 'captured'; reference: string }> {
      return { status: 'captured', reference: `${order.id}:payment` };
    },
    async reserveStock(order: Order, attempt: number): Promise<{ reserved: true; reservationId: string; locationId: string }> {
      return { reserved: true, reservationId: `${order.id}:alloc:${attempt}`, locationId: 'BASELINE' };
    },
  };
}

export type BaselineActivities = ReturnType<typeof createBaselineActivities>;
