// Seed 003's order metrics, computed from stored facts over a period (orders received in it) and an
// optional channel. Pure: services/order-metrics.ts reads the facts, this file only counts. Every metric
// says how it was computed (its formula in words and the numbers that went in), and a metric an order
// management system cannot know says so instead of guessing.
import { z } from 'zod';
import { currencySchema, minorUnitsSchema } from './money';
import type { OrderView } from './order-state';
import type { FlowStatus } from './status';

export interface MetricBreakdown {
  key: string; // a currency, a picker
  value: number | null;
  inputs: Record<string, number>;
}

export interface Metric {
  name: string;
  label: string;
  value: number | null; // null when it cannot be computed (see unavailable or note)
  unit: string;
  formula: string;
  inputs: Record<string, number | string | null>;
  unavailable?: string; // why an OMS cannot compute it (no fact for it is stored)
  note?: string;
  breakdown?: MetricBreakdown[];
  distribution?: { bucket: string; count: number }[];
}

/** What is stored about one order received in the period. */
export interface OrderFacts {
  view: Pick<
    OrderView,
    'orderId' | 'status' | 'history' | 'lateStages' | 'parts' | 'deliveredAt' | 'cancelledLines' | 'backorder' | 'order' | 'attention'
  >;
  returns: {
    status: string;
    lines: { sku: string; quantity: number }[]; // asked to be returned
    inspected: { quantity: number; disposition: string }[];
  }[];
  refunded: number; // minor units refunded on the order (cancelled lines and returns)
  labels: { amount: number; currency: string }[]; // label prices of labels bought and not voided
}

/** One picklist that held orders of the period, as its log shows it. */
export interface PicklistFacts {
  picklistId: string;
  createdAt: string;
  lastScanAt?: string; // the log's last picked or short scan
  ordersPicked: number; // pick units (orders, or parts of split orders) whose every unit was picked
  unitsByPicker: Record<string, number>; // units scanned as picked, by who scanned them
}

/** A cost an admin configured for a month (PUT /metrics/order-costs): spread over the month's days. */
export interface MonthlyCost {
  month: string; // YYYY-MM
  label: string;
  amount: number; // minor units
  currency: string;
}

export interface MetricsInput {
  from: string; // ISO, inclusive
  to: string; // ISO, exclusive
  channel?: string;
  orders: OrderFacts[];
  picklists: PicklistFacts[];
  costs: MonthlyCost[];
  slaMs: Record<'picked' | 'packed' | 'shipped' | 'delivered', number>;
}

export interface DailyFigures {
  day: string; // YYYY-MM-DD (UTC) the orders were received
  orders: number; // sold (not cancelled or rejected)
  revenue: Record<string, number>; // order totals by currency, minor units
}

export interface OrderMetrics {
  period: { from: string; to: string };
  channel: string | null;
  ordersReceived: number;
  metrics: Metric[];
  daily: DailyFigures[];
}

const HOUR = 3_600_000;
const round = (n: number, digits = 4) => Math.round(n * 10 ** digits) / 10 ** digits;
const ratio = (num: number, den: number) => (den === 0 ? null : round(num / den));
const sum = (ns: number[]) => ns.reduce((a, b) => a + b, 0);

// ---- Facts of one order --------------------------------------------------------------------------------

const firstAt = (v: OrderFacts['view'], status: string) => v.history.find((h) => h.status === status)?.at;
const isSold = (v: OrderFacts['view']) => v.status !== 'cancelled' && v.status !== 'rejected';
const unitsOrdered = (v: OrderFacts['view']) => sum(v.order.lines.map((l) => l.quantity));
const unitsCancelled = (v: OrderFacts['view']) => sum((v.cancelledLines ?? []).flatMap((c) => c.lines.map((l) => l.quantity)));
const SHIPPED_STAGES: readonly FlowStatus[] = ['shipped', 'delivered', 'completed'];

/** When the whole order shipped (its status reached shipped: every part has), if it has. */
export const shippedAtOf = (v: OrderFacts['view']) => firstAt(v, 'shipped');
/** When the customer had everything: the order's delivery (a pickup: its collection). */
export const deliveredAtOf = (v: OrderFacts['view']) =>
  v.deliveredAt ?? v.history.find((h) => h.status === 'delivered' || h.status === 'completed')?.at;

/** Units that left: the shipped parts' lines, or (one shipment) the order's units less those cancelled. */
export function unitsShipped(v: OrderFacts['view']): number {
  if (v.parts?.length)
    return sum(v.parts.filter((p) => p.shipment || SHIPPED_STAGES.includes(p.stage)).flatMap((p) => p.lines.map((l) => l.quantity)));
  return shippedAtOf(v) ? Math.max(0, unitsOrdered(v) - unitsCancelled(v)) : 0;
}
const shippedAny = (v: OrderFacts['view']) => unitsShipped(v) > 0;

const WAREHOUSE_STAGES: readonly FlowStatus[] = ['picked', 'packed', 'shipped'];
const lateToShip = (v: OrderFacts['view']) => v.lateStages.some((s) => WAREHOUSE_STAGES.includes(s.stage));
const counted = (r: OrderFacts['returns'][number]) => r.status !== 'rejected' && r.status !== 'cancelled';
const returned = (f: OrderFacts) => f.returns.some(counted);
/** Who bought: the channel's customer id, else the email; null when the order names neither. */
export const customerKeyOf = (v: OrderFacts['view']) =>
  v.order.customer.id ? `id:${v.order.customer.id}` : v.order.customer.email ? `email:${v.order.customer.email.toLowerCase()}` : null;

// ---- Helpers ------------------------------------------------------------------------------------------

function perCurrency(entries: { currency: string; amount: number }[], denominators: (currency: string) => number): MetricBreakdown[] {
  const totals = new Map<string, number>();
  for (const e of entries) totals.set(e.currency, (totals.get(e.currency) ?? 0) + e.amount);
  return [...totals]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([currency, total]) => {
      const den = denominators(currency);
      return { key: currency, value: den === 0 ? null : Math.round(total / den), inputs: { sum: total, count: den } };
    });
}

// One currency: its figure is the metric's; several: per currency only (amounts are never converted).
function currencyMetric(base: Omit<Metric, 'value' | 'unit' | 'inputs'>, breakdown: MetricBreakdown[], emptyNote: string): Metric {
  if (breakdown.length === 0)
    return { ...base, value: null, unit: 'minor units', inputs: { sum: 0, count: 0 }, note: emptyNote, breakdown };
  if (breakdown.length === 1) {
    const [only] = breakdown;
    return { ...base, value: only.value, unit: `minor units of ${only.key}`, inputs: { currency: only.key, ...only.inputs }, breakdown };
  }
  return {
    ...base,
    value: null,
    unit: 'minor units per currency',
    inputs: { currencies: breakdown.length },
    note: `the orders are in ${breakdown.length} currencies (${breakdown.map((b) => b.key).join(', ')}): computed per currency in breakdown, never converted`,
    breakdown,
  };
}

function durationStats(hours: number[]) {
  const sorted = [...hours].sort((a, b) => a - b);
  const at = (q: number) => (sorted.length ? round(sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]) : null);
  return { orders: sorted.length, totalHours: round(sum(sorted)), medianHours: at(0.5), p90Hours: at(0.9) };
}

const DURATION_BUCKETS: { bucket: string; upToHours: number }[] = [
  { bucket: '< 1 h', upToHours: 1 },
  { bucket: '1-4 h', upToHours: 4 },
  { bucket: '4-24 h', upToHours: 24 },
  { bucket: '1-3 days', upToHours: 72 },
  { bucket: '3-7 days', upToHours: 168 },
  { bucket: '> 7 days', upToHours: Infinity },
];
const distributionOf = (hours: number[]) =>
  DURATION_BUCKETS.map(({ bucket, upToHours }, i) => ({
    bucket,
    count: hours.filter((h) => h < upToHours && (i === 0 || h >= DURATION_BUCKETS[i - 1].upToHours)).length,
  }));

function cycleTime(name: string, label: string, formula: string, spans: (number | undefined)[], emptyNote: string): Metric {
  const hours = spans.filter((h): h is number => h !== undefined && h >= 0).map((ms) => ms / HOUR);
  const stats = durationStats(hours);
  return {
    name,
    label,
    value: hours.length ? round(sum(hours) / hours.length) : null,
    unit: 'hours (mean)',
    formula,
    inputs: stats,
    ...(hours.length === 0 && { note: emptyNote }),
    distribution: distributionOf(hours),
  };
}

const span = (from: string | undefined, to: string | undefined) => (from && to ? Date.parse(to) - Date.parse(from) : undefined);
const hoursText = (ms: number) => `${round(ms / HOUR, 2)} h`;

// ---- The metrics ----------------------------------------------------------------------------------------

export function computeOrderMetrics(input: MetricsInput): OrderMetrics {
  const all = input.orders;
  const views = all.map((f) => f.view);
  const sold = views.filter(isSold);
  const shipped = views.filter(shippedAny);
  const delivered = all.filter((f) => deliveredAtOf(f.view));
  const { slaMs } = input;

  const aov = currencyMetric(
    {
      name: 'average_order_value',
      label: 'Average order value',
      formula: 'sum(order totals, with tax and shipping) / count(orders); cancelled and rejected orders left out; per currency',
    },
    perCurrency(
      sold.map((v) => ({ currency: v.order.currency, amount: v.order.totals.total })),
      (c) => sold.filter((v) => v.order.currency === c).length,
    ),
    'no orders sold in the period',
  );

  const internal = cycleTime(
    'order_cycle_time_internal',
    'Order cycle time (internal)',
    'mean(shipped at - released to fulfilment at) over orders of the period that shipped: the time the warehouse had the order',
    views.map((v) => span(firstAt(v, 'released_to_fulfillment'), shippedAtOf(v))),
    'no order of the period has been released and shipped yet',
  );
  const full = cycleTime(
    'order_cycle_time_full',
    'Order cycle time (full)',
    "mean(delivered at - placed at) over delivered orders of the period; placed at is the channel's placedAt, else when Orderhub received the order",
    views.map((v) => span(v.order.placedAt ?? v.order.receivedAt, deliveredAtOf(v))),
    'no order of the period has been delivered yet',
  );

  const shippedWhole = views.filter((v) => shippedAtOf(v));
  const lateShipped = shippedWhole.filter(lateToShip).length;
  const onTime: Metric = {
    name: 'on_time_shipping_rate',
    label: 'On-time shipping rate (SLA)',
    value: ratio(shippedWhole.length - lateShipped, shippedWhole.length),
    unit: 'ratio',
    formula:
      `count(shipped orders never marked late before shipping) / count(shipped orders); the SLA: picked within ${hoursText(slaMs.picked)} ` +
      `of release, packed ${hoursText(slaMs.packed)} after, shipped ${hoursText(slaMs.shipped)} after (the order workflow marks a stage late when its deadline passes)`,
    inputs: { shippedOrders: shippedWhole.length, onTime: shippedWhole.length - lateShipped, late: lateShipped },
    ...(shippedWhole.length === 0 && { note: 'no order of the period has shipped yet' }),
  };
  const onTimeChannel: Metric = {
    name: 'on_time_shipping_rate_channel_promise',
    label: "On-time shipping rate (channel's promise)",
    value: null,
    unit: 'ratio',
    formula: "count(orders shipped by the channel's latest ship date) / count(shipped orders)",
    inputs: {},
    unavailable:
      "no channel's promised ship-by date is stored with its orders: the Amazon connector does not map LatestShipDate and Shopify orders carry none",
  };

  const ordered = sum(shipped.map(unitsOrdered));
  const unitsOut = sum(shipped.map(unitsShipped));
  const fill: Metric = {
    name: 'fill_rate',
    label: 'Fill rate (units)',
    value: ratio(unitsOut, ordered),
    unit: 'ratio',
    formula:
      'sum(units shipped) / sum(units ordered) over orders of the period that shipped (whole or in part); units cancelled or still backordered count as not filled',
    inputs: { orders: shipped.length, unitsShipped: unitsOut, unitsOrdered: ordered },
    ...(shipped.length === 0 && { note: 'no order of the period has shipped yet' }),
  };

  const perfectness = delivered.map((f) => {
    const v = f.view;
    const complete = unitsShipped(v) === unitsOrdered(v) && !v.backorder?.lines.length;
    const inTime = v.lateStages.length === 0;
    const clean = !returned(f) && f.refunded === 0;
    return { complete, inTime, clean, attention: v.history.some((h) => h.status === 'needs_attention') };
  });
  const perfect = perfectness.filter((p) => p.complete && p.inTime && p.clean && !p.attention).length;
  const perfectOrder: Metric = {
    name: 'perfect_order_rate',
    label: 'Perfect order rate',
    value: ratio(perfect, delivered.length),
    unit: 'ratio',
    formula:
      'count(delivered orders that were complete, never late at any stage, never stuck (needs_attention), not returned and not refunded) / count(delivered orders)',
    inputs: {
      deliveredOrders: delivered.length,
      perfect,
      incomplete: perfectness.filter((p) => !p.complete).length,
      late: perfectness.filter((p) => !p.inTime).length,
      returnedOrRefunded: perfectness.filter((p) => !p.clean).length,
      neededAttention: perfectness.filter((p) => p.attention).length,
    },
    note:
      'documents are not checked: no stored fact records a wrong or missing document' +
      (delivered.length === 0 ? '; no order of the period has been delivered yet' : ''),
  };

  const picking = pickingRate(input.picklists);

  const returnedOrders = delivered.filter(returned);
  const unitsReturned = sum(delivered.flatMap((f) => f.returns.filter(counted).flatMap((r) => r.lines.map((l) => l.quantity))));
  const returnRate: Metric = {
    name: 'return_rate',
    label: 'Return rate',
    value: ratio(returnedOrders.length, delivered.length),
    unit: 'ratio',
    formula: 'count(delivered orders with a return not rejected or cancelled) / count(delivered orders)',
    inputs: {
      deliveredOrders: delivered.length,
      returnedOrders: returnedOrders.length,
      unitsReturned,
      unitsDelivered: sum(delivered.map((f) => unitsShipped(f.view))),
    },
    ...(delivered.length === 0 && { note: 'no order of the period has been delivered yet' }),
  };

  const inspected = all.flatMap((f) => f.returns.flatMap((r) => r.inspected));
  const unitsInspected = sum(inspected.map((l) => l.quantity));
  const unitsScrapped = sum(inspected.filter((l) => l.disposition === 'scrap').map((l) => l.quantity));
  const scrap: Metric = {
    name: 'scrap_rate',
    label: 'Scrap rate (returned units)',
    value: ratio(unitsScrapped, unitsInspected),
    unit: 'ratio',
    formula: "sum(returned units inspected as scrap) / sum(returned units inspected), over the returns of the period's orders",
    inputs: {
      unitsInspected,
      unitsScrapped,
      unitsQuarantined: sum(inspected.filter((l) => l.disposition === 'quarantine').map((l) => l.quantity)),
    },
    note:
      'quarantined units written off later (POST /stock/quarantine) and stock adjustments are not tied to an order in the ledger, so they are not counted' +
      (unitsInspected === 0 ? '; no returned unit of the period has been inspected yet' : ''),
  };

  const labelled = all.filter((f) => f.labels.length > 0);
  const shippingCost = currencyMetric(
    {
      name: 'shipping_cost_per_order',
      label: 'Shipping cost per order',
      formula: 'sum(prices of carrier labels bought and not voided) / count(orders with such a label); per currency',
    },
    perCurrency(
      labelled.flatMap((f) => f.labels),
      (c) => labelled.filter((f) => f.labels.some((l) => l.currency === c)).length,
    ),
    'no label with a price was bought for the orders of the period (labels of a manual carrier, or events reported by the warehouse, carry none)',
  );

  const customers = new Map<string, number>();
  for (const v of sold) {
    const key = customerKeyOf(v);
    if (key) customers.set(key, (customers.get(key) ?? 0) + 1);
  }
  const withCustomer = sum([...customers.values()]);
  const frequency: Metric = {
    name: 'purchasing_frequency',
    label: 'Purchasing frequency',
    value: ratio(withCustomer, customers.size),
    unit: 'orders per customer',
    formula: "count(orders) / count(distinct customers) in the period; a customer is the channel's customer id, else the email",
    inputs: {
      orders: withCustomer,
      customers: customers.size,
      repeatCustomers: [...customers.values()].filter((n) => n > 1).length,
      ordersWithoutCustomer: sold.length - withCustomer,
    },
    ...(customers.size === 0 && { note: 'no order of the period names a customer id or email' }),
  };

  return {
    period: { from: input.from, to: input.to },
    channel: input.channel ?? null,
    ordersReceived: all.length,
    metrics: [
      aov,
      internal,
      full,
      onTime,
      onTimeChannel,
      fill,
      perfectOrder,
      picking,
      returnRate,
      scrap,
      shippingCost,
      frequency,
      costPerOrder(input, sold.length),
      ...channelOnlyMetrics(),
    ],
    daily: dailyFigures(sold),
  };
}

/** Orders picked per hour of picking: the time from a picklist's creation to its last scan. */
function pickingRate(lists: PicklistFacts[]): Metric {
  const scanned = lists.filter((l) => l.lastScanAt);
  const hoursOf = (l: PicklistFacts) => Math.max(0, Date.parse(l.lastScanAt!) - Date.parse(l.createdAt)) / HOUR;
  const byPicker = new Map<string, { orders: number; hours: number; lists: number }>();
  for (const l of scanned) {
    // A list's orders and time go to whoever scanned most of its units (a list is normally one picker's).
    const picker = Object.entries(l.unitsByPicker).sort(([a, x], [b, y]) => y - x || a.localeCompare(b))[0]?.[0] ?? 'unknown';
    const p = byPicker.get(picker) ?? { orders: 0, hours: 0, lists: 0 };
    byPicker.set(picker, { orders: p.orders + l.ordersPicked, hours: p.hours + hoursOf(l), lists: p.lists + 1 });
  }
  const orders = sum(scanned.map((l) => l.ordersPicked));
  const hours = sum(scanned.map(hoursOf));
  const perHour = (o: number, h: number) => (h > 0 ? round(o / h, 2) : null);
  return {
    name: 'orders_picked_per_hour',
    label: 'Orders picked per hour',
    value: perHour(orders, hours),
    unit: 'orders per hour',
    formula:
      "count(orders picked in full on picklists) / sum(picking hours); a list's picking time runs from its creation to its last scan, and its orders go to the picker who scanned most of its units",
    inputs: { picklists: scanned.length, ordersPicked: orders, pickingHours: round(hours, 4) },
    breakdown: [...byPicker]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([key, p]) => ({
        key,
        value: perHour(p.orders, p.hours),
        inputs: { ordersPicked: p.orders, pickingHours: round(p.hours, 4), picklists: p.lists },
      })),
    ...(scanned.length === 0 && {
      note: 'no order of the period was picked on a picklist: picks reported as order events (POST /orders/:id/events) carry no picker or picking time',
    }),
  };
}

/** The configured costs of the period (each month's spread evenly over its days) per order sold. */
function costPerOrder(input: MetricsInput, orders: number): Metric {
  const base = {
    name: 'cost_per_order',
    label: 'Cost per order',
    formula:
      "sum(configured monthly costs, each counted for the share of its month's days in the period) / count(orders sold in the period); per currency",
  };
  if (input.channel !== undefined)
    return {
      ...base,
      value: null,
      unit: 'minor units',
      inputs: {},
      unavailable: 'the configured costs are for the whole business, not split by channel: leave the channel out',
    };
  const from = Date.parse(input.from);
  const to = Date.parse(input.to);
  const shares = input.costs
    .map((c) => {
      const start = Date.parse(`${c.month}-01T00:00:00Z`);
      const end = new Date(start);
      end.setUTCMonth(end.getUTCMonth() + 1);
      const overlap = Math.max(0, Math.min(to, end.getTime()) - Math.max(from, start));
      return { currency: c.currency, amount: Math.round((c.amount * overlap) / (end.getTime() - start)) };
    })
    .filter((s) => s.amount > 0);
  if (shares.length === 0)
    return {
      ...base,
      value: null,
      unit: 'minor units',
      inputs: { costsConfigured: input.costs.length, orders },
      unavailable: 'no costs are configured for the months of the period: an admin sets them with PUT /metrics/order-costs',
    };
  return currencyMetric(
    base,
    perCurrency(shares, () => orders),
    'no costs',
  );
}

function channelOnlyMetrics(): Metric[] {
  return [
    {
      name: 'cart_abandonment_rate',
      label: 'Cart abandonment rate',
      value: null,
      unit: 'ratio',
      formula: 'count(carts abandoned) / count(carts created)',
      inputs: {},
      unavailable:
        'carts live in the sales channel, before an order exists: Orderhub receives orders only, and no connected channel reports its carts or checkouts',
    },
    {
      name: 'order_placement_percentage',
      label: 'Order placement percentage',
      value: null,
      unit: 'ratio',
      formula: 'count(orders placed) / count(visits or checkouts started)',
      inputs: {},
      unavailable: 'visits and checkouts started are counted by the storefront, not reported to Orderhub by any connected channel',
    },
  ];
}

function dailyFigures(sold: OrderFacts['view'][]): DailyFigures[] {
  const days = new Map<string, DailyFigures>();
  for (const v of sold) {
    const day = v.order.receivedAt.slice(0, 10);
    const d = days.get(day) ?? { day, orders: 0, revenue: {} };
    d.orders++;
    d.revenue[v.order.currency] = (d.revenue[v.order.currency] ?? 0) + v.order.totals.total;
    days.set(day, d);
  }
  return [...days.values()].sort((a, b) => a.day.localeCompare(b.day));
}

// ---- The query and the cost settings --------------------------------------------------------------------

export const MAX_PERIOD_DAYS = 92;
export const DEFAULT_PERIOD_DAYS = 30;
const DAY = 86_400_000;
const dateOrTime = z.union([z.iso.date(), z.iso.datetime({ offset: true })], {
  error: 'must be a date (YYYY-MM-DD) or an ISO date-time with its offset',
});

// GET /metrics/orders?from=&to=&channel=: `from` and `to` are days (UTC, both included) or exact times
// (`to` excluded); absent, the last 30 days up to now.
export const orderMetricsQuerySchema = z.strictObject({
  from: dateOrTime.optional(),
  to: dateOrTime.optional(),
  channel: z
    .string()
    .regex(/^[a-z0-9_-]{1,32}$/, 'must be a channel name: 1 to 32 lowercase letters, digits, _ or -')
    .optional(),
});
export type OrderMetricsQuery = z.infer<typeof orderMetricsQuerySchema>;

/** The period a query names, as [from, to), or the problems with it (each naming its field). */
export function periodOf(
  q: OrderMetricsQuery,
  now: Date,
): { from: Date; to: Date; problems?: undefined } | { problems: { path: string; message: string }[] } {
  const to = q.to === undefined ? now : q.to.length === 10 ? new Date(Date.parse(`${q.to}T00:00:00Z`) + DAY) : new Date(q.to);
  const from =
    q.from === undefined
      ? new Date(to.getTime() - DEFAULT_PERIOD_DAYS * DAY)
      : new Date(q.from.length === 10 ? `${q.from}T00:00:00Z` : q.from);
  if (Number.isNaN(from.getTime())) return { problems: [{ path: 'from', message: 'is not a real date' }] };
  if (Number.isNaN(to.getTime())) return { problems: [{ path: 'to', message: 'is not a real date' }] };
  if (from.getTime() >= to.getTime()) return { problems: [{ path: 'from', message: 'must be before to' }] };
  if (to.getTime() - from.getTime() > MAX_PERIOD_DAYS * DAY)
    return { problems: [{ path: 'from', message: `must be at most ${MAX_PERIOD_DAYS} days before to` }] };
  return { from, to };
}

// PUT /metrics/order-costs: the whole list of monthly costs (staff, rent, packaging...), replaced at once.
export const orderCostsSchema = z
  .strictObject({
    costs: z
      .array(
        z.strictObject({
          month: z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'must be a month: YYYY-MM'),
          label: z.string().trim().min(1).max(100),
          amount: minorUnitsSchema.max(1e13, 'must be at most 10^13 minor units'),
          currency: currencySchema,
        }),
      )
      .max(1000),
  })
  .superRefine((c, ctx) => {
    const seen = new Set<string>();
    c.costs.forEach((cost, i) => {
      const key = `${cost.month}|${cost.label}`;
      if (seen.has(key))
        ctx.addIssue({ code: 'custom', path: ['costs', i, 'label'], message: `${cost.label} appears twice for ${cost.month}` });
      seen.add(key);
    });
  });
export type OrderCosts = z.infer<typeof orderCostsSchema>;
