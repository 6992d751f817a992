import nock from 'nock';
import { apiFor } from '../support/api';
import { epBought, epShipment, EP_NOT_FOUND } from '../support/easypost';
import { eventually, location, orderBody } from '../support/fixtures';
import { createTestContext, uniqueId, type TestContext } from '../support/stack';

// GET /metrics/orders over orders run through the real workflows: placed, picked on a picklist or
// reported picked, packed (one labelled by EasyPost through the carrier rules, nock), shipped, delivered,
// returned and scrapped, one late against its SLA, one cancelled. Each expected figure is worked out here
// from the orders' own facts as GET /orders/:id shows them.
const EP = 'https://api.easypost.com';
const run = Date.now().toString(36).slice(-6);
const CHANNEL = `mx${run}`;
const OTHER = `my${run}`;
const US = { name: 'Steve Brule', line1: '179 N Harbor Dr', city: 'Redondo Beach', region: 'CA', postalCode: '90277', country: 'US' };
const READER_KEY = `metrics-reader-${run}-0123456789`;
const WAREHOUSE_KEY = `metrics-warehouse-${run}-0123456789`;

let ctx: TestContext;
let api: Awaited<ReturnType<typeof apiFor>>;
let lateApi: Awaited<ReturnType<typeof apiFor>>; // its orders must be picked within 1 s of release
const today = new Date().toISOString().slice(0, 10);
const ids: Record<'perfect' | 'returned' | 'late' | 'cancelled' | 'other', string> = {} as never;
let labelBuys = 0;

type Order = { status: string; late: boolean; history: { status: string; at: string }[]; label?: { trackingNumber: string } };
const orderOf = async (id: string): Promise<Order> => (await api.get(`/orders/${id}`)).body;
const waitFor = (id: string, ok: (o: Order) => boolean, what: string) => eventually(() => orderOf(id), ok, 30_000, `${id} ${what}`);
const status =
  (...st: string[]) =>
  (o: Order) =>
    st.includes(o.status);

async function place(client: typeof api, body: object): Promise<string> {
  const res = await client.post('/orders', orderBody({ channel: CHANNEL, ...body }));
  expect(res.status).toBe(202);
  return res.body.orderId as string;
}
const event = async (id: string, body: object) => {
  const res = await api.post(`/orders/${id}/events`, body);
  expect([res.status, res.body.error?.message]).toEqual([200, undefined]);
};
async function shipAndDeliver(id: string, deliver: boolean) {
  await event(id, { type: 'packed' });
  const packed = await waitFor(id, (o) => o.status === 'packed' && !o.history.some((h) => h.status === 'needs_attention'), 'packed');
  await event(id, { type: 'shipped', carrier: 'manual', trackingNumber: packed.label?.trackingNumber ?? `TRK${run}${id.slice(-4)}` });
  await waitFor(id, status('shipped', 'delivered', 'completed'), 'shipped');
  if (!deliver) return;
  await event(id, { type: 'delivered' });
  await waitFor(id, status('delivered', 'completed'), 'delivered');
}

beforeAll(async () => {
  nock.disableNetConnect();
  nock.enableNetConnect(/127\.0\.0\.1|localhost/);
  ctx = await createTestContext('api_order_metrics');
  api = await apiFor(ctx, { activityMaxAttempts: 2, activityInitialIntervalMs: 100 });
  lateApi = await apiFor(ctx, { activityMaxAttempts: 2, activityInitialIntervalMs: 100, slaMs: { picked: 1000 } });
  await ctx.stores.apiKeys.register(READER_KEY, 'metrics reader', { role: 'read_only' });
  await ctx.stores.apiKeys.register(WAREHOUSE_KEY, 'metrics warehouse', { role: 'warehouse', locations: ['MX-WH'] });
  await ctx.startWorker();
  expect((await api.post('/locations', location('MX-WH', 1))).status).toBe(201);
  for (const sku of ['MX-TEE', 'MX-MUG', 'MX-CAP']) {
    expect((await api.post('/items', { sku, name: `Item ${sku}`, weightGrams: 300 })).status).toBe(201);
    expect((await api.post('/stock/receipts', { sku, locationId: 'MX-WH', quantity: 50 })).status).toBe(201);
  }
  expect(
    (await api.put('/return-policy', { reasons: [{ code: 'damaged', label: 'Arrived damaged', approval: 'auto' }], returnLabel: 'none' }))
      .status,
  ).toBe(200);
  // EasyPost labels parcels to the US (7.47 USD each); other destinations have no rule and no label.
  expect(
    (
      await api.post('/connections', {
        id: 'ep-mx',
        kind: 'easypost',
        name: 'EasyPost',
        options: { baseUrl: `${EP}/v2` },
        credentials: { apiKey: 'EZTK_test_mx', webhookSecret: 'mx-webhook-secret' },
      })
    ).status,
  ).toBe(201);
  expect(
    (
      await api.put('/carrier-rules', {
        rules: [{ id: 'us', regions: [{ country: 'US' }], services: [{ carrier: 'ep-mx', service: 'Priority' }] }],
      })
    ).status,
  ).toBe(200);
  nock(EP)
    .persist()
    .get(/\/v2\/shipments\/.+/)
    .reply(404, EP_NOT_FOUND)
    .post('/v2/shipments')
    .reply(201, (_u, body) =>
      epShipment('shp_mx', true, ((body as { shipment: { reference?: string } }).shipment.reference ?? null) as string | null),
    )
    .post(/\/v2\/shipments\/shp_mx\/buy/)
    .reply(200, () => epBought('shp_mx', null, `94055001054${run}${++labelBuys}`));

  // 1. Perfect: picked on a picklist by scans, shipped and delivered on time. 2 x 20.00 + 4.95 shipping.
  ids.perfect = await place(api, {
    customer: { name: 'Ada', email: 'ada@example.com' },
    lines: [{ sku: 'MX-TEE', quantity: 2, unitPrice: 2000 }],
  });
  await waitFor(ids.perfect, status('released_to_fulfillment'), 'released');
  const made = await api.post('/picklists', { locationId: 'MX-WH' });
  expect(made.status).toBe(201);
  const list = made.body.picklist;
  expect(list.orderIds).toEqual([ids.perfect]);
  for (const stop of [...list.stops, ...list.unlocated])
    expect((await api.post(`/picklists/${list.id}/scans`, { code: stop.sku, quantity: stop.totalQuantity })).status).toBe(201);
  await waitFor(ids.perfect, status('picked'), 'picked');
  await shipAndDeliver(ids.perfect, true);

  // 2. Shipped to the US with a bought label, delivered, then returned and the unit scrapped. 15.00 + 4.95.
  ids.returned = await place(api, {
    customer: { name: 'Ada', email: 'ADA@example.com' }, // the same customer: emails compare without case
    shippingAddress: US,
    lines: [{ sku: 'MX-MUG', quantity: 1, unitPrice: 1500 }],
  });
  await waitFor(ids.returned, status('released_to_fulfillment'), 'released');
  await event(ids.returned, { type: 'picked' });
  await shipAndDeliver(ids.returned, true);
  const asked = await api.post(`/orders/${ids.returned}/returns`, {
    lines: [{ sku: 'MX-MUG', quantity: 1 }],
    reason: 'damaged',
    resolution: 'refund',
  });
  expect(asked.status).toBe(201);
  const returnId = asked.body.returnId as string;
  const returnIs = (st: string) =>
    eventually(
      async () => (await api.get(`/returns/${returnId}`)).body,
      (r) => r.status === st,
      30_000,
      `${returnId} ${st}`,
    );
  await returnIs('awaiting_items');
  expect((await api.post(`/returns/${returnId}/receive`, { locationId: 'MX-WH', scanned: [{ sku: 'MX-MUG', quantity: 1 }] })).status).toBe(
    200,
  );
  expect(
    (await api.post(`/returns/${returnId}/inspect`, { lines: [{ sku: 'MX-MUG', quantity: 1, disposition: 'scrap', reason: 'cracked' }] }))
      .status,
  ).toBe(200);
  await returnIs('refunded');

  // 3. Late: its SLA gives it 1 s to be picked; shipped, not delivered. 10.00 + 4.95.
  ids.late = await place(lateApi, {
    customer: { name: 'Bo', email: 'bo@example.com' },
    lines: [{ sku: 'MX-CAP', quantity: 1, unitPrice: 1000 }],
  });
  await waitFor(ids.late, (o) => o.late, 'marked late');
  await event(ids.late, { type: 'picked' });
  await shipAndDeliver(ids.late, false);

  // 4. Cancelled before it shipped; 5. another channel's order.
  ids.cancelled = await place(api, {
    customer: { name: 'Cy', email: 'cy@example.com' },
    lines: [{ sku: 'MX-TEE', quantity: 1, unitPrice: 9900 }],
  });
  await waitFor(ids.cancelled, status('released_to_fulfillment'), 'released');
  expect((await api.post(`/orders/${ids.cancelled}/cancel`, { reason: 'customer asked' })).status).toBe(200);
  await waitFor(ids.cancelled, status('cancelled'), 'cancelled');
  ids.other = (
    await api.post('/orders', orderBody({ channel: OTHER, lines: [{ sku: 'MX-CAP', quantity: 1, unitPrice: 500 }] }))
  ).body.orderId;
}, 240_000);
afterAll(async () => {
  await ctx.close();
  nock.cleanAll();
  nock.enableNetConnect();
});

type Metric = {
  name: string;
  value: number | null;
  unit: string;
  formula: string;
  inputs: Record<string, unknown>;
  unavailable?: string;
  breakdown?: unknown[];
};
const metricsOf = async (query: string, key?: string) => {
  const req = key ? api.raw.get(`/metrics/orders?${query}`).set('Authorization', `Bearer ${key}`) : api.get(`/metrics/orders?${query}`);
  const res = await req;
  expect([res.status, res.body.error]).toEqual([200, undefined]);
  return { ...res.body, metric: (name: string) => (res.body.metrics as Metric[]).find((m) => m.name === name)! };
};
const hoursBetween = (from: string, to: string) => (Date.parse(to) - Date.parse(from)) / 3_600_000;
const firstAt = (o: Order, st: string) => o.history.find((h) => h.status === st)!.at;

test("a channel's day: each figure is what its orders' facts give, with its formula and inputs", async () => {
  const m = await metricsOf(`from=${today}&to=${today}&channel=${CHANNEL}`);
  expect(m.ordersReceived).toBe(4);
  expect(m.channel).toBe(CHANNEL);
  // 4495, 1995 and 1495; the cancelled order is not a sale.
  expect(m.metric('average_order_value')).toMatchObject({
    value: Math.round(7985 / 3),
    unit: 'minor units of EUR',
    inputs: { sum: 7985, count: 3 },
  });
  expect(m.metric('average_order_value').formula).toMatch(/sum\(order totals.*\/ count\(orders\)/);

  const [perfect, returned, late] = await Promise.all([orderOf(ids.perfect), orderOf(ids.returned), orderOf(ids.late)]);
  const internal = [perfect, returned, late].map((o) => hoursBetween(firstAt(o, 'released_to_fulfillment'), firstAt(o, 'shipped')));
  expect(m.metric('order_cycle_time_internal').inputs.orders).toBe(3);
  expect(m.metric('order_cycle_time_internal').value).toBeCloseTo(internal.reduce((a, b) => a + b) / 3, 3);
  const delivered = (o: Order) => o.history.find((h) => h.status === 'delivered' || h.status === 'completed')!.at;
  const full = [perfect, returned].map((o) => hoursBetween(o.history[0].at, delivered(o)));
  expect(m.metric('order_cycle_time_full').value).toBeCloseTo((full[0] + full[1]) / 2, 3);

  expect(m.metric('on_time_shipping_rate')).toMatchObject({ value: 0.6667, inputs: { shippedOrders: 3, onTime: 2, late: 1 } });
  expect(m.metric('on_time_shipping_rate_channel_promise')).toMatchObject({
    value: null,
    unavailable: expect.stringMatching(/LatestShipDate/),
  });
  expect(m.metric('fill_rate')).toMatchObject({ value: 1, inputs: { orders: 3, unitsShipped: 4, unitsOrdered: 4 } });
  expect(m.metric('perfect_order_rate')).toMatchObject({ value: 0.5, inputs: { deliveredOrders: 2, perfect: 1, returnedOrRefunded: 1 } });
  expect(m.metric('return_rate')).toMatchObject({ value: 0.5, inputs: { deliveredOrders: 2, returnedOrders: 1, unitsReturned: 1 } });
  expect(m.metric('scrap_rate')).toMatchObject({ value: 1, inputs: { unitsInspected: 1, unitsScrapped: 1 } });
  // One EasyPost label at 7.47 USD, for the order shipped to the US.
  expect(labelBuys).toBe(1);
  expect(m.metric('shipping_cost_per_order')).toMatchObject({ value: 747, unit: 'minor units of USD', inputs: { sum: 747, count: 1 } });
  // ada@ twice (any case), bo@ once.
  expect(m.metric('purchasing_frequency')).toMatchObject({ value: 1.5, inputs: { orders: 3, customers: 2, repeatCustomers: 1 } });

  // The picklist: its one order, from the list's creation to its last scan, by the key that scanned.
  const [record] = await ctx.stores.picklists.recordsOf([ids.perfect]);
  const hours = (record.log[record.log.length - 1].at.getTime() - record.createdAt.getTime()) / 3_600_000;
  expect(m.metric('orders_picked_per_hour')).toMatchObject({
    value: Math.round((1 / hours) * 100) / 100,
    inputs: { picklists: 1, ordersPicked: 1 },
    breakdown: [{ key: 'test-operator', value: Math.round((1 / hours) * 100) / 100, inputs: { ordersPicked: 1, picklists: 1 } }],
  });
  expect(m.metric('cost_per_order').unavailable).toMatch(/not split by channel/);
  for (const name of ['cart_abandonment_rate', 'order_placement_percentage'])
    expect(m.metric(name)).toMatchObject({ value: null, unavailable: expect.any(String) });
  expect(m.daily).toEqual([{ day: today, orders: 3, revenue: { EUR: 7985 } }]);
});

test('cost per order spreads the month an admin configured over the days asked for, over every channel', async () => {
  const [y, mo] = today.split('-').map(Number);
  const days = new Date(Date.UTC(y, mo, 0)).getUTCDate();
  const put = await api.put('/metrics/order-costs', {
    costs: [{ month: today.slice(0, 7), label: 'warehouse staff', amount: 3000 * days, currency: 'EUR' }],
  });
  expect(put.status).toBe(200);
  expect(put.body).toMatchObject({ costs: [{ label: 'warehouse staff' }], updatedBy: 'test-operator' });
  expect((await api.get('/metrics/order-costs')).body.costs).toHaveLength(1);
  const m = await metricsOf(`from=${today}&to=${today}`);
  expect(m.ordersReceived).toBe(5);
  // One day's 30.00 over the 4 orders sold on every channel.
  expect(m.metric('cost_per_order')).toMatchObject({ value: 750, inputs: { sum: 3000, count: 4, currency: 'EUR' } });
});

test('read-only keys read the metrics; a warehouse key is refused naming reports:read', async () => {
  expect((await metricsOf(`channel=${CHANNEL}`, READER_KEY)).ordersReceived).toBe(4);
  const refused = await api.raw.get('/metrics/orders').set('Authorization', `Bearer ${WAREHOUSE_KEY}`);
  expect(refused.status).toBe(403);
  expect(refused.body.error).toMatchObject({ code: 'forbidden', details: { permission: 'reports:read' } });
  const put = await api.raw.put('/metrics/order-costs').set('Authorization', `Bearer ${READER_KEY}`).send({ costs: [] });
  expect(put.status).toBe(403);
});

test('a bad period or channel is a 400 naming each field', async () => {
  const bad = async (query: string) => (await api.get(`/metrics/orders?${query}`)).body.error;
  expect(await bad('from=2026-12-05&to=2026-12-01')).toMatchObject({
    code: 'validation_failed',
    details: [{ path: 'from', message: 'must be before to' }],
  });
  expect((await bad('from=2026-02-30&to=tomorrow&channel=No!')).details.map((d: { path: string }) => d.path).sort()).toEqual([
    'channel',
    'from',
    'to',
  ]);
  expect((await bad('from=2025-01-01&to=2026-12-01')).details).toEqual([{ path: 'from', message: 'must be at most 92 days before to' }]);
  expect((await bad(`sku=${uniqueId('x')}`)).details).toEqual([{ path: 'sku', message: 'is not a known field' }]);
});
