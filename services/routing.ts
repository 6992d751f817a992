// Routing as the API sets it up and tries it: the rule set and the postal-prefix table, each replaced
// whole, and a simulation of where an order would ship from and why (nothing is reserved).
import { NotFoundError, ValidationError, type FieldProblem } from '../domain/errors';
import type { PostalPrefixRow } from '../domain/geo';
import { routeOrder, routingOrderOf, type RoutingOrder, type RoutingRule } from '../domain/routing';
import type { LocationCapacityLedger } from '../store/capacity';
import type { Items, Locations } from '../store/catalog';
import type { OrdersView } from '../store/orders';
import type { RoutingSetup } from '../store/routing';
import type { StockLedger } from '../store/stock-ledger';

export interface RoutingServiceDeps {
  routing: Pick<RoutingSetup, 'rules' | 'replaceRules' | 'postalRows' | 'replacePostalRows' | 'inputFor'>;
  ledger: Pick<StockLedger, 'balancesForSku'>;
  locations: Pick<Locations, 'list'>;
  capacity: Pick<LocationCapacityLedger, 'usedToday'>;
  orders: Pick<OrdersView, 'get'>;
  items: Pick<Items, 'missing'>;
}

// What to simulate: a stored order (orderId) or one described, with optional overrides and draft rules.
export interface Simulation {
  orderId?: string;
  channel?: string;
  lines?: { sku: string; quantity: number }[];
  shippingAddress?: RoutingOrder['shippingAddress'];
  pickupLocationId?: string;
  allowSplit?: boolean;
  excludedLocationIds?: string[];
  rules?: RoutingRule[];
}

export function createRoutingService(deps: RoutingServiceDeps) {
  const { routing, ledger, locations, capacity, orders, items } = deps;

  // The order as routing sees it, and the locations it must not go to.
  async function orderOf(s: Simulation): Promise<{ order: RoutingOrder; excluded: string[] }> {
    let order: RoutingOrder;
    let excluded = s.excludedLocationIds;
    if (s.orderId !== undefined) {
      const stored = await orders.get(s.orderId);
      if (!stored) throw new NotFoundError(`Order ${s.orderId} does not exist`, { orderId: s.orderId });
      order = routingOrderOf(stored.order);
      // As the reserve step would route it again: without the locations that rejected it.
      excluded ??= stored.rejections?.map((r) => r.locationId);
    } else {
      order = { channel: s.channel!, lines: s.lines!, shippingAddress: s.shippingAddress!, allowSplit: true };
    }
    if (s.allowSplit !== undefined) order = { ...order, allowSplit: s.allowSplit };
    if (s.pickupLocationId !== undefined) order = { ...order, pickupLocationId: s.pickupLocationId };
    return { order, excluded: excluded ?? [] };
  }

  // Unknown skus and locations are mistakes in the request, not orders that would wait.
  async function unknownsOf(s: Simulation, order: RoutingOrder, known: Set<string>): Promise<FieldProblem[]> {
    const missing = new Set(await items.missing(order.lines.map((l) => l.sku)));
    return [
      ...(s.orderId === undefined
        ? order.lines.flatMap((l, i) => (missing.has(l.sku) ? [{ path: `lines.${i}.sku`, message: `unknown sku ${l.sku}` }] : []))
        : []),
      ...(s.pickupLocationId !== undefined && !known.has(s.pickupLocationId)
        ? [{ path: 'pickupLocationId', message: `unknown location ${s.pickupLocationId}` }]
        : []),
      ...(s.excludedLocationIds ?? []).flatMap((id, i) =>
        known.has(id) ? [] : [{ path: `excludedLocationIds.${i}`, message: `unknown location ${id}` }],
      ),
    ];
  }

  return {
    rules: () => routing.rules(),
    replaceRules: (rules: RoutingRule[], actor: string) => routing.replaceRules(rules, actor),

    async postalSummary() {
      const rows = await routing.postalRows();
      const countries: Record<string, number> = {};
      for (const row of rows) countries[row.country] = (countries[row.country] ?? 0) + 1;
      return { rows: rows.length, countries };
    },
    replacePostalRows: (rows: PostalPrefixRow[], actor: string) => routing.replacePostalRows(rows, actor),

    async simulate(s: Simulation) {
      const { order, excluded } = await orderOf(s);
      const input = await routing.inputFor(order, { ledger, locations, capacity }, excluded);
      if (s.rules) input.rules = s.rules;
      const unknown = await unknownsOf(s, order, new Set(input.locations.map((l) => l.id)));
      if (unknown.length) throw new ValidationError(`Invalid routing simulation: ${unknown.length} problem(s)`, unknown);
      if (input.locations.length === 0)
        throw new ValidationError('No locations exist yet: create one with POST /locations first', [
          { path: '(body)', message: 'no locations to route to' },
        ]);
      const { decision, explanation } = routeOrder(input);
      // Today's capacity of each location that declares one: per day, what orders took, what is left.
      const capacityToday = Object.fromEntries(
        input.locations.flatMap((l) => {
          if (!l.capacity) return [];
          const used = input.capacityUsed?.[l.id] ?? 0;
          return [[l.id, { unitsPerDay: l.capacity.unitsPerDay, used, left: Math.max(0, l.capacity.unitsPerDay - used) }]];
        }),
      );
      return {
        decision,
        explanation,
        stock: input.stock,
        capacity: capacityToday,
        rulesUsed: s.rules ? 'draft' : 'stored',
        reserved: false,
      };
    },
  };
}
