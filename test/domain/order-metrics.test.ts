import {
  computeOrderMetrics,
  orderCostsSchema,
  orderMetricsQuerySchema,
  periodOf,
  type Metric,
  type MetricsInput,
  type OrderFacts,
} from '../../domain/order-metrics';
import { toOrder } from '../../domain/order';
import { parsedOrder } from '../support/fixtures';

// The metrics over hand-made facts: each expectation is worked out by hand from the facts above it.
const H = 3_600_000;
const T0 = Date.parse('2026-12-01T08:00:00Z');
const at = (hours: number) => new Date(T0 + hours * H).toISOString();
const SLA = { picked: 4 * H, packed: 2 * H, shipped: 24 * H, delivered: 7 * 24 * H };

type Step = [status: string, hours: number];
function fact(opts: {
  id: string;
  currency?: string;
  lines?: { sku: string; quantity: number; unitPrice: number }[];
  steps: Step[];
  late?: string[];
  customer?: { id?: string; email?: string };
  returns?: OrderFacts['returns'];
  refunded?: number;
  labels?: OrderFacts['labels'];
}): OrderFacts {
  const input = parsedOrder({
    channelOrderId: opts.id,
    currency: opts.currency ?? 'EUR',
    lines: opts.lines ?? [{ sku: 'A', quantity: 1, unitPrice: 1000 }],
    shippingAmount: 0,
    customer: { name: 'Ada', ...(opts.customer ?? { email: 'ada@example.com' }) },
  });
  const order = toOrder(input, at(0));
  const history = [
    { status: 'received', at: at(0) },
    ...opts.steps.map(([status, h]) => ({ status, at: at(h) })),
  ] as OrderFacts['view']['history'];
  const status = history[history.length - 1].status;
  return {
    view: {
      orderId: order.id,
      status,
      history,
      lateStages: (opts.late ?? []).map((stage) => ({ stage, dueAt: at(1) })) as OrderFacts['view']['lateStages'],
      order,
      ...(status === 'delivered' && { deliveredAt: history[history.length - 1].at }),
    } as OrderFacts['view'],
    returns: opts.returns ?? [],
    refunded: opts.refunded ?? 0,
    labels: opts.labels ?? [],
  };
}

const flow = (shippedAt: number, deliveredAt?: number): Step[] => [
  ['released_to_fulfillment', 1],
  ['picked', 2],
  ['packed', 3],
  ['shipped', shippedAt],
  ...(deliveredAt !== undefined ? ([['delivered', deliveredAt]] as Step[]) : []),
];

const input = (orders: OrderFacts[], extra: Partial<MetricsInput> = {}): MetricsInput => ({
  from: '2026-12-01T00:00:00.000Z',
  to: '2026-12-02T00:00:00.000Z',
  orders,
  picklists: [],
  costs: [],
  slaMs: SLA,
  ...extra,
});
const metric = (m: ReturnType<typeof computeOrderMetrics>, name: string): Metric => m.metrics.find((x) => x.name === name)!;

// Four orders: two delivered (one returned with a scrapped unit), one shipped late, one cancelled.
const delivered = fact({
  id: 'M-1',
  lines: [{ sku: 'A', quantity: 2, unitPrice: 1500 }],
  steps: flow(5, 29),
  customer: { id: 'c1' },
  labels: [{ amount: 747, currency: 'EUR' }],
});
const returned = fact({
  id: 'M-2',
  lines: [{ sku: 'A', quantity: 4, unitPrice: 500 }],
  steps: flow(9, 57),
  customer: { id: 'c1' },
  returns: [
    {
      status: 'refunded',
      lines: [{ sku: 'A', quantity: 2 }],
      inspected: [
        { quantity: 1, disposition: 'scrap' },
        { quantity: 1, disposition: 'restock' },
      ],
    },
  ],
  refunded: 1000,
  labels: [{ amount: 553, currency: 'EUR' }],
});
const late = fact({
  id: 'M-3',
  lines: [{ sku: 'A', quantity: 1, unitPrice: 4000 }],
  steps: flow(40),
  late: ['shipped'],
  customer: { email: 'Bo@x.org' },
});
const cancelled = fact({ id: 'M-4', steps: [['cancelled', 1]] });
const all = computeOrderMetrics(input([delivered, returned, late, cancelled]));

test('average order value: order totals of the sold orders over their count, cancelled orders left out', () => {
  // (3000 + 2000 + 4000) / 3
  expect(metric(all, 'average_order_value')).toMatchObject({ value: 3000, unit: 'minor units of EUR', inputs: { sum: 9000, count: 3 } });
});

test('average order value in two currencies is given per currency and never converted', () => {
  const usd = fact({ id: 'M-5', currency: 'USD', lines: [{ sku: 'A', quantity: 1, unitPrice: 999 }], steps: [] });
  const m = metric(computeOrderMetrics(input([delivered, usd])), 'average_order_value');
  expect(m.value).toBeNull();
  expect(m.note).toMatch(/2 currencies \(EUR, USD\).*never converted/);
  expect(m.breakdown).toEqual([
    { key: 'EUR', value: 3000, inputs: { sum: 3000, count: 1 } },
    { key: 'USD', value: 999, inputs: { sum: 999, count: 1 } },
  ]);
});

test('cycle times: release to shipped inside, placed to delivered in full, with their spread', () => {
  // Released at 1 h; shipped at 5, 9 and 40 h: 4 + 8 + 39 = 51 h over 3.
  expect(metric(all, 'order_cycle_time_internal')).toMatchObject({ value: 17, inputs: { orders: 3, totalHours: 51, medianHours: 8 } });
  // Received at 0, delivered at 29 and 57 h.
  const full = metric(all, 'order_cycle_time_full');
  expect(full).toMatchObject({ value: 43, inputs: { orders: 2, totalHours: 86 } });
  expect(full.distribution).toContainEqual({ bucket: '1-3 days', count: 2 });
});

test('on-time shipping counts shipped orders the workflow never marked late before they left; the channel promise is unavailable', () => {
  expect(metric(all, 'on_time_shipping_rate')).toMatchObject({ value: 0.6667, inputs: { shippedOrders: 3, onTime: 2, late: 1 } });
  expect(metric(all, 'on_time_shipping_rate')!.formula).toMatch(/picked within 4 h of release, packed 2 h after, shipped 24 h after/);
  expect(metric(all, 'on_time_shipping_rate_channel_promise')).toMatchObject({
    value: null,
    unavailable: expect.stringMatching(/LatestShipDate/),
  });
});

test('fill rate counts units shipped over units ordered, a cancelled line as unfilled', () => {
  const partly = fact({ id: 'M-6', lines: [{ sku: 'A', quantity: 5, unitPrice: 100 }], steps: flow(6) });
  partly.view.cancelledLines = [
    {
      commandId: 'c',
      at: at(1),
      reason: 'oos',
      lines: [{ sku: 'A', quantity: 2, amount: 200 }],
      released: [],
      amount: 200,
      money: { kind: 'none', amount: 0 },
    },
  ];
  // 2 + 4 + 1 + 3 shipped of 2 + 4 + 1 + 5 ordered.
  expect(metric(computeOrderMetrics(input([delivered, returned, late, partly, cancelled])), 'fill_rate')).toMatchObject({
    value: 0.8333,
    inputs: { orders: 4, unitsShipped: 10, unitsOrdered: 12 },
  });
});

test('a perfect order is delivered complete, never late, not returned and not refunded', () => {
  expect(metric(all, 'perfect_order_rate')).toMatchObject({
    value: 0.5,
    inputs: { deliveredOrders: 2, perfect: 1, returnedOrRefunded: 1, late: 0, incomplete: 0 },
    note: expect.stringMatching(/documents are not checked/),
  });
});

test('return rate is over delivered orders, scrap rate over the returned units inspected', () => {
  expect(metric(all, 'return_rate')).toMatchObject({
    value: 0.5,
    inputs: { deliveredOrders: 2, returnedOrders: 1, unitsReturned: 2, unitsDelivered: 6 },
  });
  expect(metric(all, 'scrap_rate')).toMatchObject({ value: 0.5, inputs: { unitsInspected: 2, unitsScrapped: 1 } });
});

test('shipping cost per order is the label prices over the orders that had a label', () => {
  expect(metric(all, 'shipping_cost_per_order')).toMatchObject({ value: 650, inputs: { sum: 1300, count: 2, currency: 'EUR' } });
});

test('purchasing frequency: orders per distinct customer (id, else email)', () => {
  // c1 twice, bo@x.org once; the cancelled order is not a purchase.
  expect(metric(all, 'purchasing_frequency')).toMatchObject({ value: 1.5, inputs: { orders: 3, customers: 2, repeatCustomers: 1 } });
});

test('orders picked per hour: per picker, from each list creation to its last scan', () => {
  const m = computeOrderMetrics(
    input([delivered], {
      picklists: [
        { picklistId: 'PL-1', createdAt: at(0), lastScanAt: at(0.5), ordersPicked: 6, unitsByPicker: { ann: 10, bob: 2 } },
        { picklistId: 'PL-2', createdAt: at(1), lastScanAt: at(2), ordersPicked: 3, unitsByPicker: { bob: 4 } },
        { picklistId: 'PL-3', createdAt: at(1), ordersPicked: 0, unitsByPicker: {} }, // never scanned: not counted
      ],
    }),
  );
  expect(metric(m, 'orders_picked_per_hour')).toMatchObject({
    value: 6, // 9 orders in 1.5 h
    inputs: { picklists: 2, ordersPicked: 9, pickingHours: 1.5 },
    breakdown: [
      { key: 'ann', value: 12, inputs: { ordersPicked: 6, pickingHours: 0.5, picklists: 1 } },
      { key: 'bob', value: 3, inputs: { ordersPicked: 3, pickingHours: 1, picklists: 1 } },
    ],
  });
});

test('cost per order spreads each configured month over its days in the period; unavailable without costs or with a channel', () => {
  const costs = [
    { month: '2026-12', label: 'staff', amount: 3_100_000, currency: 'EUR' }, // 100,000 a day
    { month: '2026-11', label: 'staff', amount: 9_999_999, currency: 'EUR' }, // not in the period
  ];
  // One day of December over 3 sold orders.
  expect(metric(computeOrderMetrics(input([delivered, returned, late, cancelled], { costs })), 'cost_per_order')).toMatchObject({
    value: 33_333,
    inputs: { sum: 100_000, count: 3 },
  });
  expect(metric(all, 'cost_per_order')).toMatchObject({ value: null, unavailable: expect.stringMatching(/PUT \/metrics\/order-costs/) });
  expect(metric(computeOrderMetrics(input([delivered], { costs, channel: 'shop' })), 'cost_per_order').unavailable).toMatch(
    /not split by channel/,
  );
});

test('cart abandonment and order placement percentage are unavailable, with the reason, never invented', () => {
  for (const name of ['cart_abandonment_rate', 'order_placement_percentage'])
    expect(metric(all, name)).toMatchObject({ value: null, unavailable: expect.stringMatching(/channel|storefront/) });
});

test('no orders: every metric is null or zero with a reason, none divides by zero', () => {
  const empty = computeOrderMetrics(input([]));
  expect(empty.ordersReceived).toBe(0);
  for (const m of empty.metrics) {
    expect(m.value).toBeNull();
    expect(m.note ?? m.unavailable).toBeTruthy();
  }
});

test('daily figures: sold orders and revenue per currency by the day received', () => {
  expect(all.daily).toEqual([{ day: '2026-12-01', orders: 3, revenue: { EUR: 9000 } }]);
});

describe('the period', () => {
  const now = new Date('2026-12-07T12:00:00Z');
  const parse = (q: Record<string, string>) => periodOf(orderMetricsQuerySchema.parse(q), now);
  test('days are whole UTC days, both included; nothing given is the last 30 days', () => {
    expect(parse({ from: '2026-12-01', to: '2026-12-01' })).toEqual({
      from: new Date('2026-12-01T00:00:00Z'),
      to: new Date('2026-12-02T00:00:00Z'),
    });
    expect(parse({})).toEqual({ from: new Date('2026-11-07T12:00:00Z'), to: now });
  });
  test('from after to, or a period over 92 days, names from', () => {
    expect(parse({ from: '2026-12-05', to: '2026-12-01' }).problems).toEqual([{ path: 'from', message: 'must be before to' }]);
    expect(parse({ from: '2026-01-01', to: '2026-12-01' }).problems).toEqual([
      { path: 'from', message: 'must be at most 92 days before to' },
    ]);
  });
  test('bad dates, unknown fields and a bad channel are named', () => {
    const r = orderMetricsQuerySchema.safeParse({ from: '2026-13-45', to: 'yesterday', channel: 'Bad Channel!', extra: '1' });
    expect(r.success).toBe(false);
    const paths = r.error!.issues.map((i) => (i.code === 'unrecognized_keys' ? i.keys.join() : i.path.join('.')));
    expect(paths.sort()).toEqual(['channel', 'extra', 'from', 'to']);
  });
  test('costs name a repeated month and label', () => {
    const r = orderCostsSchema.safeParse({
      costs: [
        { month: '2026-12', label: 'rent', amount: 1, currency: 'EUR' },
        { month: '2026-12', label: 'rent', amount: 2, currency: 'EUR' },
      ],
    });
    expect(r.error!.issues.map((i) => i.path.join('.'))).toEqual(['costs.1.label']);
  });
});
