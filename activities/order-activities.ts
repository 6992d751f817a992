import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Order } from '../domain/order';
import { paymentProviderOf } from '../domain/order-state';
import type { OrderState } from '../domain/order-state';
import { stepKey } from '../domain/ids';
import type { Allocations, AllocationLine } from '../store/allocations';
import type { Items, Locations } from '../store/catalog';
import type { OrdersView } from '../store/orders';
import type { StockLedger } from '../store/stock-ledger';
import type { PaymentOutcome, PaymentProviders } from '../connectors/payments/types';
import type { Logger } from '../worker/logger';

export interface OrderActivityDeps {
  orders: OrdersView;
  items: Items;
  locations: Locations;
  allocations: Allocations;
  ledger: StockLedger;
  payments: PaymentProviders;
  log: Logger;
}

export type ReserveOutcome =
  | { reserved: true; reservationId: string; locationId: string }
  | { reserved: false; shortfall?: { sku: string; requested: number; available: number }; tried: string[] };

const ACTOR = 'order-workflow';

// True inside a retried activity attempt, and outside any activity (callers in tests): the careful path.
function isRetriedActivity(): boolean {
  try {
    return Context.current().info.attempt > 1;
  } catch {
    return true;
  }
}

export function createOrderActivities(deps: OrderActivityDeps) {
  const provider = (order: Order) => {
    const p = deps.payments[paymentProviderOf(order)];
    // A provider that does not exist will not appear by retrying.
    if (!p) throw ApplicationFailure.nonRetryable(`No payment provider "${paymentProviderOf(order)}" is configured`, 'UnknownPaymentProvider');
    return p;
  };
  const paymentRequest = (order: Order, step: string) => ({
    orderId: order.id,
    amount: order.totals.total,
    currency: order.currency,
    idempotencyKey: stepKey(order.id, step),
  });

  return {
    // Project the workflow's state into the `orders` view (older versions are ignored).
    async recordOrderState(order: Order, state: OrderState): Promise<void> {
      await deps.orders.project(order, state);
    },

    // Rules that need stored facts: every sku must be in the catalogue.
    async validateOrder(order: Order): Promise<void> {
      const missing = await deps.items.missing(order.lines.map((l) => l.sku));
      if (missing.length > 0) {
        const details = order.lines
          .map((l, i) => ({ path: `lines.${i}.sku`, message: `unknown sku ${l.sku}` }))
          .filter((p) => missing.some((sku) => p.message.endsWith(` ${sku}`)));
        throw ApplicationFailure.nonRetryable(`Unknown sku(s): ${missing.join(', ')}`, 'InvalidOrder', details);
      }
    },

    async authorizePayment(order: Order): Promise<PaymentOutcome> {
      const outcome = await provider(order).authorize({
        ...paymentRequest(order, 'payment:authorize'),
        alreadyPaid: order.payment.alreadyPaid,
        ...(order.payment.reference !== undefined && { reference: order.payment.reference }),
      });
      deps.log.info('payment authorisation', { orderId: order.id, status: outcome.status });
      return outcome;
    },

    async confirmPayment(order: Order, reference?: string): Promise<PaymentOutcome> {
      return provider(order).confirm({ ...paymentRequest(order, 'payment:confirm'), ...(reference !== undefined && { reference }) });
    },

    async capturePayment(order: Order): Promise<PaymentOutcome> {
      return provider(order).capture(paymentRequest(order, 'payment:capture'));
    },

    // Give the money back the right way: void what was only authorised, refund what was taken.
    async cancelPayment(order: Order, status: OrderState['payment']['status']): Promise<PaymentOutcome | undefined> {
      if (status === 'authorized' || status === 'pending') return provider(order).void(paymentRequest(order, 'payment:void'));
      if (status === 'captured') return provider(order).refund(paymentRequest(order, 'payment:refund'));
      return undefined;
    },

    // Reserve the whole order at the first location, by priority, that can take all of it.
    async reserveStock(order: Order, attempt: number): Promise<ReserveOutcome> {
      const lines: AllocationLine[] = order.lines.map((l) => ({ sku: l.sku, quantity: l.quantity }));
      const candidates = (await deps.locations.list()).filter((l) => l.active && l.ships);
      let shortfall: { sku: string; requested: number; available: number } | undefined;
      const tried: string[] = [];
      for (const location of candidates) {
        tried.push(location.id);
        // A read first, so locations that plainly cannot take the order leave no reserve/release noise.
        const balances = await Promise.all(lines.map((l) => deps.ledger.balance(l.sku, location.id)));
        const short = lines.findIndex((l, i) => balances[i].available < l.quantity);
        const reservation = { reservationId: stepKey(order.id, `alloc:${attempt}:${location.id}`), orderId: order.id, locationId: location.id, lines, actor: ACTOR };
        if (short >= 0) {
          const seen = { sku: lines[short].sku, requested: lines[short].quantity, available: balances[short].available };
          if (!isRetriedActivity()) {
            shortfall ??= seen;
            continue;
          }
          // A retry may run beside its timed-out first attempt, whose own reservation is what makes the
          // location look short. Write the decision (rolled back) so that attempt follows it and releases,
          // or follow the decision it already wrote.
          const decided = await deps.allocations.decideShort({ ...reservation, shortfall: seen });
          if (decided.reserved) return decided;
          shortfall ??= decided.shortfall;
          continue;
        }
        const result = await deps.allocations.reserveAll(reservation);
        if (result.reserved) return result;
        shortfall ??= result.shortfall;
      }
      return { reserved: false, tried, ...(shortfall && { shortfall }) };
    },

    async releaseStock(order: Order, allocation: { reservationId: string; locationId: string }, reason: string): Promise<void> {
      await deps.allocations.releaseAll({
        ...allocation,
        orderId: order.id,
        lines: order.lines.map((l) => ({ sku: l.sku, quantity: l.quantity })),
        actor: ACTOR,
        reason,
      });
    },

    async shipStock(order: Order, allocation: { reservationId: string; locationId: string }, trackingNumber: string): Promise<void> {
      await deps.allocations.shipAll({
        ...allocation,
        orderId: order.id,
        lines: order.lines.map((l) => ({ sku: l.sku, quantity: l.quantity })),
        actor: ACTOR,
        reference: `${order.id} tracking ${trackingNumber}`,
      });
    },
  };
}

export type OrderActivities = ReturnType<typeof createOrderActivities>;
