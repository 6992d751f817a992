// The order metrics (GET /metrics/orders): the facts of the orders received in a period read from the
// store, then counted by domain/order-metrics.ts. The period is read through the orders listing's day
// buckets (equality reads, bounded by MAX_ORDERS_PER_PERIOD); each order's further facts by its id.
import { ValidationError } from '../domain/errors';
import { pickUnitId } from '../domain/ids';
import {
  computeOrderMetrics,
  periodOf,
  type MonthlyCost,
  type OrderFacts,
  type OrderMetrics,
  type OrderMetricsQuery,
  type PicklistFacts,
} from '../domain/order-metrics';
import type { OrderView } from '../domain/order-state';
import { pickedByOrder, replayPicking } from '../domain/picking';
import { flowIndex, type FlowStatus } from '../domain/status';
import type { CarrierSetup } from '../store/carriers';
import type { OrderCostSetup, OrderCostsView } from '../store/order-costs';
import type { OrdersView } from '../store/orders';
import type { Picklists } from '../store/picking';
import type { RefundLedger } from '../store/refunds';
import type { ReturnsView } from '../store/returns';
import { DEFAULT_ORDER_SETTINGS, type OrderWorkflowInput } from '../workflows/order';

// More orders than this in one period (and channel) is refused: ask for a shorter period.
export const MAX_ORDERS_PER_PERIOD = 20_000;
// Orders whose facts are read at once.
const ORDERS_AT_ONCE = 16;

export interface OrderMetricsDeps {
  orders: Pick<OrdersView, 'receivedBetween'>;
  returnsView: Pick<ReturnsView, 'forOrder'>;
  refunds: Pick<RefundLedger, 'refundedTotal'>;
  carriers: Pick<CarrierSetup, 'labelsOf'>;
  picklists: Pick<Picklists, 'recordsOf'>;
  orderCosts: Pick<OrderCostSetup, 'get' | 'replace'>;
  orderSettings?: OrderWorkflowInput['settings'];
  now?: () => Date;
  maxOrders?: number;
}

const reached = (v: OrderView, stage: FlowStatus) => flowIndex(v.stage) >= flowIndex(stage);

export function createOrderMetricsService(deps: OrderMetricsDeps) {
  const now = deps.now ?? (() => new Date());
  const slaMs = { ...DEFAULT_ORDER_SETTINGS.slaMs, ...deps.orderSettings?.slaMs };

  // One order's facts beyond its view, read only where they can exist (a label once packed, a return once delivered).
  async function factsOf(view: OrderView): Promise<OrderFacts> {
    const parts = (view.parts ?? []).map((p) => p.id);
    const delivered = reached(view, 'delivered');
    const [returns, refunded, labels] = await Promise.all([
      delivered ? deps.returnsView.forOrder(view.orderId) : [],
      delivered || view.cancelledLines?.length ? deps.refunds.refundedTotal(view.orderId) : 0,
      reached(view, 'packed') ? deps.carriers.labelsOf(view.orderId, parts) : [],
    ]);
    return {
      view,
      returns: returns.map((r) => ({
        status: r.status,
        lines: r.request.lines.map((l) => ({ sku: l.sku, quantity: l.quantity })),
        inspected: (r.inspection?.lines ?? []).map((l) => ({ quantity: l.quantity, disposition: l.disposition })),
      })),
      refunded,
      labels: labels
        .filter((l) => l.voided?.status !== 'voided')
        .flatMap((l) => [l.label, ...(l.more ?? [])])
        .flatMap((l) => (l.price ? [{ amount: l.price.amount, currency: l.price.currency }] : [])),
    };
  }

  // The picklists that held the period's picked orders, each as its log tells it.
  async function picklistsOf(views: OrderView[]): Promise<PicklistFacts[]> {
    const units = views
      .filter((v) => reached(v, 'picked'))
      .flatMap((v) => (v.parts?.length ? v.parts.map((p) => pickUnitId(v.orderId, p.id)) : [v.orderId]));
    const records = await deps.picklists.recordsOf(units);
    return records.map(({ picklist, createdAt, log }) => {
      const state = replayPicking(
        picklist,
        log.map((e) => e.event),
      );
      const scans = log.filter((e) => e.event.kind !== 'closed');
      const unitsByPicker: Record<string, number> = {};
      for (const e of scans) if (e.event.kind === 'picked') unitsByPicker[e.actor] = (unitsByPicker[e.actor] ?? 0) + e.event.quantity;
      const last = scans[scans.length - 1];
      return {
        picklistId: picklist.id,
        createdAt: createdAt.toISOString(),
        ...(last && { lastScanAt: last.at.toISOString() }),
        ordersPicked: pickedByOrder(state).filter((o) => o.lines.every((l) => l.picked >= l.quantity)).length,
        unitsByPicker,
      };
    });
  }

  return {
    async compute(query: OrderMetricsQuery): Promise<OrderMetrics> {
      const period = periodOf(query, now());
      if (period.problems) throw new ValidationError(`Invalid metrics query: ${period.problems.length} problem(s)`, period.problems);
      const { from, to } = period;
      const max = deps.maxOrders ?? MAX_ORDERS_PER_PERIOD;
      const { orders: views, tooMany } = await deps.orders.receivedBetween(from, to, query.channel, max);
      if (tooMany)
        throw new ValidationError('Invalid metrics query: 1 problem(s)', [
          { path: 'from', message: `the period holds more than ${max} orders: choose a shorter period` },
        ]);
      const orders: OrderFacts[] = [];
      for (let i = 0; i < views.length; i += ORDERS_AT_ONCE)
        orders.push(...(await Promise.all(views.slice(i, i + ORDERS_AT_ONCE).map(factsOf))));
      const [picklists, costs] = await Promise.all([picklistsOf(views), deps.orderCosts.get()]);
      return computeOrderMetrics({
        from: from.toISOString(),
        to: to.toISOString(),
        ...(query.channel !== undefined && { channel: query.channel }),
        orders,
        picklists,
        costs: costs.costs,
        slaMs,
      });
    },
    costs: (): Promise<OrderCostsView> => deps.orderCosts.get(),
    replaceCosts: (costs: MonthlyCost[], actor: string): Promise<OrderCostsView> => deps.orderCosts.replace(costs, actor),
  };
}

export type OrderMetricsService = ReturnType<typeof createOrderMetricsService>;
