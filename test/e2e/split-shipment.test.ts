import nock from 'nock';
import { createTestContext, type TestContext } from '../support/stack';
import { apiFor } from '../support/api';
import { eventually, orderBody } from '../support/fixtures';
import { EP_NOT_FOUND, epBought, epShipment, epSign, epTrackerEvent } from '../support/easypost';
import { parsePdf } from '../support/pdf-text';

// Split shipments over the real stack: no warehouse holds the whole order, the routing rule allows a split,
// so each warehouse reserves, picks, packs, labels (EasyPost through nock) and ships its part, tracked on
// its own; the order is shipped when both parts are and delivered when both are.
const EASYPOST = 'https://api.easypost.com';
const SECRET = 'easypost-webhook-secret-split';
const run = String(Date.now()).slice(-8);

let ctx: TestContext;
let api: Awaited<ReturnType<typeof apiFor>>;
const buys: { shipment: string; tracking: string; from: string }[] = [];

const warehouse = (id: string, priority: number, city: string, postalCode: string) => ({
  id,
  name: `Warehouse ${city}`,
  type: 'warehouse',
  address: { name: 'Orderhub Warehouse', line1: '1 Dock Street', city, region: 'CA', postalCode, country: 'US', phone: '4153334445' },
  priority,
});
const customer = { name: 'Steve Brule', line1: '179 N Harbor Dr', city: 'Redondo Beach', region: 'CA', postalCode: '90277', country: 'US' };

beforeAll(async () => {
  nock.disableNetConnect();
  nock.enableNetConnect(/127\.0\.0\.1|localhost/);
  ctx = await createTestContext('e2e_split');
  api = await apiFor(ctx, { activityMaxAttempts: 2, activityInitialIntervalMs: 100 });
  await ctx.startWorker();
  await ctx.startConsumers();

  for (const [id, priority, city, zip] of [
    ['SPL-A', 1, 'San Francisco', '94104'],
    ['SPL-B', 2, 'Oakland', '94607'],
    ['SPL-C', 3, 'San Jose', '95113'],
  ] as const) {
    expect((await api.post('/locations', warehouse(id, priority, city, zip))).status).toBe(201);
  }
  for (const sku of ['LAMP', 'SHADE', 'BULB'])
    expect((await api.post('/items', { sku, name: `Item ${sku}`, weightGrams: 300 })).status).toBe(201);
  expect(
    (
      await api.put('/routing/rules', {
        rules: [
          {
            id: 'split-when-needed',
            name: 'By priority, split when no warehouse has it all',
            sort: ['priority'],
            whenNothingFits: 'split',
          },
        ],
      })
    ).status,
  ).toBe(200);
  expect(
    (
      await api.post('/connections', {
        id: 'ep',
        kind: 'easypost',
        name: 'EasyPost',
        options: { baseUrl: `${EASYPOST}/v2` },
        credentials: { apiKey: 'EZTK_test_split', webhookSecret: SECRET },
      })
    ).status,
  ).toBe(201);
  expect(
    (
      await api.put('/carrier-rules', {
        rules: [{ id: 'us', regions: [{ country: 'US' }], mode: 'priority', services: [{ carrier: 'ep', service: 'Priority' }] }],
      })
    ).status,
  ).toBe(200);

  // EasyPost: no shipment exists under a reference yet; each created shipment is rated, and bought once.
  let created = 0;
  const froms = new Map<string, string>();
  nock(EASYPOST)
    .persist()
    .get(/\/v2\/shipments\/.+/)
    .reply(404, EP_NOT_FOUND)
    .post('/v2/shipments')
    .reply(201, (_uri, body) => {
      const id = `shp_split${++created}`;
      const sent = (body as { shipment: { reference?: string; from_address: { city: string } } }).shipment;
      froms.set(id, sent.from_address.city);
      return epShipment(id, true, sent.reference ?? null);
    })
    .post(/\/v2\/shipments\/shp_split\d+\/buy/)
    .reply(200, (uri) => {
      const id = uri.split('/')[3];
      const tracking = `SPL${run}${id.replace(/\D/g, '')}`;
      buys.push({ shipment: id, tracking, from: froms.get(id)! });
      return epBought(id, null, tracking);
    });
});
afterAll(async () => {
  await ctx.close();
  nock.cleanAll();
  nock.enableNetConnect();
});

const orderOf = async (id: string) => (await api.get(`/orders/${encodeURIComponent(id)}`)).body;
const waitFor = (id: string, status: string) =>
  eventually(
    () => orderOf(id),
    (o) => o.status === status,
    30_000,
    `${id} to be ${status}`,
  );
const track = (body: string) =>
  api.raw
    .post('/webhooks/ep')
    .set({ 'content-type': 'application/json', 'x-hmac-signature': epSign(body, SECRET) })
    .send(body);
const stockAt = async (sku: string, locationId: string) =>
  ((await api.get(`/stock/${sku}`)).body.locations as { locationId: string; onHand: number; reserved: number }[]).find(
    (l) => l.locationId === locationId,
  );
type Part = {
  id: string;
  locationId: string;
  stage: string;
  lines: { sku: string; quantity: number }[];
  label?: { trackingNumber: string };
  shipment?: unknown;
  deliveredAt?: string;
};

test('an order no warehouse can fill alone ships in two parts, each picked, labelled and tracked on its own', async () => {
  await api.post('/stock/receipts', { sku: 'LAMP', locationId: 'SPL-A', quantity: 5 });
  await api.post('/stock/receipts', { sku: 'SHADE', locationId: 'SPL-B', quantity: 5 });

  // The customer asked for one shipment: it waits, and the explanation says why.
  const together = (
    await api.post(
      '/orders',
      orderBody({
        currency: 'USD',
        shippingAddress: customer,
        fulfillment: { method: 'ship', allowSplit: false },
        lines: [
          { sku: 'LAMP', quantity: 1 },
          { sku: 'SHADE', quantity: 1 },
        ],
      }),
    )
  ).body.orderId as string;
  const waiting = await waitFor(together, 'awaiting_stock');
  expect(waiting.routing.steps[0].outcome).toBe('split_not_allowed');
  expect(waiting.parts).toBeUndefined();
  // The simulator routes a stored order as the reserve step does (its own choice), or as asked.
  const asIs = await api.post('/routing/simulate', { orderId: together });
  expect(asIs.body.decision.kind).toBe('wait');
  expect(asIs.body.explanation.steps[0].outcome).toBe('split_not_allowed');
  const ifAllowed = await api.post('/routing/simulate', { orderId: together, allowSplit: true });
  expect(ifAllowed.body.decision).toEqual({
    kind: 'split',
    parts: [
      { locationId: 'SPL-A', lines: [{ sku: 'LAMP', quantity: 1 }] },
      { locationId: 'SPL-B', lines: [{ sku: 'SHADE', quantity: 1 }] },
    ],
  });
  expect(ifAllowed.body.reserved).toBe(false);

  const { body } = await api.post(
    '/orders',
    orderBody({
      currency: 'USD',
      shippingAddress: customer,
      lines: [
        { sku: 'LAMP', quantity: 2 },
        { sku: 'SHADE', quantity: 1 },
      ],
    }),
  );
  const orderId = body.orderId as string;
  const released = await waitFor(orderId, 'released_to_fulfillment');
  expect(released.allocation).toBeUndefined();
  expect(released.parts.map((p: Part) => ({ id: p.id, locationId: p.locationId, lines: p.lines }))).toEqual([
    { id: '1', locationId: 'SPL-A', lines: [{ sku: 'LAMP', quantity: 2 }] },
    { id: '2', locationId: 'SPL-B', lines: [{ sku: 'SHADE', quantity: 1 }] },
  ]);
  expect(released.routing.summary).toMatch(/split/i);
  expect(await stockAt('LAMP', 'SPL-A')).toMatchObject({ onHand: 5, reserved: 2 });
  expect(await stockAt('SHADE', 'SPL-B')).toMatchObject({ onHand: 5, reserved: 1 });

  // Events on a split order name their part.
  const vague = await api.post(`/orders/${orderId}/events`, { type: 'picked' });
  expect(vague.status).toBe(400);
  expect(vague.body.error.details).toEqual([{ path: 'part', message: expect.stringMatching(/is required: .* split into parts 1, 2/) }]);
  expect((await api.post(`/orders/${orderId}/events`, { type: 'picked', part: '3' })).status).toBe(400);

  // SPL-A picks its part from a picklist; SPL-B's picklist has only SPL-B's part.
  const listA = await api.post('/picklists', { locationId: 'SPL-A' });
  expect(listA.status).toBe(201);
  expect(listA.body.picklist.orderIds).toContain(`${orderId}|part:1`);
  expect([...listA.body.picklist.stops, ...listA.body.picklist.unlocated].map((s: { sku: string }) => s.sku)).toEqual(['LAMP']);
  const scan = await api.post(`/picklists/${listA.body.picklist.id}/scans`, { code: 'LAMP', quantity: 2 });
  expect(scan.body.pickedOrders).toEqual([`${orderId}|part:1`]);
  const onePicked = await eventually(
    () => orderOf(orderId),
    (o) => o.parts[0].stage === 'picked',
    30_000,
    'part 1 picked',
  );
  expect(onePicked.status).toBe('released_to_fulfillment'); // part 2 is not picked yet
  // Held while both parts wait (part 1 to be packed, part 2 to be picked), then released: the order is held
  // once and goes back to where it was.
  expect((await api.post(`/orders/${orderId}/hold`, { reason: 'address check' })).body).toMatchObject({ status: 'on_hold' });
  expect([200, 202]).toContain((await api.post(`/orders/${orderId}/release`)).status);
  const resumed = await eventually(
    () => orderOf(orderId),
    (o) => o.status !== 'on_hold',
    30_000,
    'the order released from its hold',
  );
  expect(resumed.status).toBe('released_to_fulfillment');
  expect(resumed.history.filter((h: { status: string }) => h.status === 'on_hold')).toHaveLength(1);
  expect((await api.post('/picklists', { locationId: 'SPL-A' })).status).toBe(409); // nothing left to pick there
  const listB = await api.post('/picklists', { locationId: 'SPL-B' });
  expect(listB.body.picklist.orderIds).toContain(`${orderId}|part:2`);
  expect([...listB.body.picklist.stops, ...listB.body.picklist.unlocated].map((s: { sku: string }) => s.sku)).toEqual(['SHADE']);
  await api.post(`/picklists/${listB.body.picklist.id}/scans`, { code: 'SHADE', quantity: 1 });
  await waitFor(orderId, 'picked');

  // Packed, each part gets a label of its own, bought from its own warehouse.
  expect((await api.post(`/orders/${orderId}/events`, { type: 'packed', part: '1' })).status).toBe(200);
  expect((await api.post(`/orders/${orderId}/events`, { type: 'packed', part: '2' })).status).toBe(200);
  const labelled = await eventually(
    () => orderOf(orderId),
    (o) => o.parts.every((p: Part) => p.label),
    30_000,
    'both labels',
  );
  expect(labelled.status).toBe('packed');
  expect(buys.map((b) => b.from).sort()).toEqual(['Oakland', 'San Francisco']);
  const trackingOf = (part: number) => labelled.parts[part - 1].label.trackingNumber as string;
  expect(new Set([trackingOf(1), trackingOf(2)]).size).toBe(2);
  expect(buys.find((b) => b.tracking === trackingOf(1))?.from).toBe('San Francisco');

  // Part 1's first scan ships part 1 only; the order can no longer be cancelled.
  expect((await track(epTrackerEvent('in_transit', 'Accepted at USPS Origin Facility', trackingOf(1)))).status).toBe(200);
  const half = await eventually(
    () => orderOf(orderId),
    (o) => o.parts[0].stage === 'shipped',
    30_000,
    'part 1 shipped',
  );
  expect(half.status).toBe('packed');
  expect(half.parts[1].stage).toBe('packed');
  expect(await stockAt('LAMP', 'SPL-A')).toMatchObject({ onHand: 3, reserved: 0 });
  expect(await stockAt('SHADE', 'SPL-B')).toMatchObject({ onHand: 5, reserved: 1 });
  expect(half.payment.status).toBe('captured');
  const cancel = await api.post(`/orders/${orderId}/cancel`, {});
  expect(cancel.status).toBe(409);
  expect(cancel.body.error.message).toMatch(/part 1 has already shipped/);

  expect((await track(epTrackerEvent('in_transit', 'Accepted at USPS Origin Facility', trackingOf(2)))).status).toBe(200);
  await waitFor(orderId, 'shipped');
  expect(await stockAt('SHADE', 'SPL-B')).toMatchObject({ onHand: 4, reserved: 0 });

  // Delivered with its last part.
  expect((await track(epTrackerEvent('delivered', 'Delivered, In/At Mailbox', trackingOf(2)))).status).toBe(200);
  const oneDelivered = await eventually(
    () => orderOf(orderId),
    (o) => o.parts[1].stage === 'delivered',
    30_000,
    'part 2 delivered',
  );
  expect(oneDelivered.status).toBe('shipped');
  expect(oneDelivered.parts[1].deliveredAt).toEqual(expect.any(String));
  expect((await track(epTrackerEvent('delivered', 'Delivered, Front Door', trackingOf(1)))).status).toBe(200);
  const done = await waitFor(orderId, 'completed');
  expect(done.history.map((h: { status: string }) => h.status)).toEqual(
    expect.arrayContaining(['stock_reserved', 'picked', 'packed', 'shipped', 'delivered', 'completed']),
  );
  expect(done.history.some((h: { reason?: string }) => /part 2 \(SPL-B\) delivered/.test(h.reason ?? ''))).toBe(true);
  expect(buys).toHaveLength(2);

  // The customer is told of each part's shipment and of the delivery, through the outbox a sender reads.
  const outbox = async (q: string) =>
    (await api.get(`/customer-notifications?orderId=${encodeURIComponent(orderId)}${q}`)).body.notifications as {
      id: string;
      kind: string;
      part?: string;
      status: string;
      details: Record<string, string>;
      sentAt?: string;
    }[];
  const told = await outbox('');
  expect(told.map((n) => `${n.kind}${n.part ? `:${n.part}` : ''}`).sort()).toEqual(['delivered', 'shipped:1', 'shipped:2']);
  const shipment1 = buys.find((b) => b.tracking === trackingOf(1))!.shipment;
  expect(told.find((n) => n.part === '1')!.details).toEqual({
    carrier: 'USPS',
    trackingNumber: trackingOf(1),
    trackingUrl: `https://track.easypost.com/${shipment1}`,
    shippedAt: expect.any(String),
    part: '1',
    parts: '2',
    items: 'LAMP ×2',
  });
  const first = told.find((n) => n.part === '1')!;
  const sent = await api.post(`/customer-notifications/${encodeURIComponent(first.id)}/sent`, {});
  expect(sent.status).toBe(200);
  expect(sent.body).toMatchObject({ id: `${orderId}|shipped|part:1`, status: 'sent', sentBy: 'test-operator', sentAt: expect.any(String) });
  const again = await api.post(`/customer-notifications/${encodeURIComponent(first.id)}/sent`, {});
  expect(again.body.sentAt).toBe(sent.body.sentAt);
  expect((await outbox('&status=pending')).map((n) => n.id).sort()).toEqual([`${orderId}|delivered`, `${orderId}|shipped|part:2`]);
  expect((await api.post(`/customer-notifications/${encodeURIComponent(`${orderId}|shipped|part:9`)}/sent`, {})).status).toBe(404);

  // Documents: a packing slip per part (its own lines), the invoice, the carrier's label per part, the picklists.
  const docs = (await api.get(`/orders/${encodeURIComponent(orderId)}/documents`)).body.documents as {
    id: string;
    kind: string;
    url: string;
    part?: string;
    source?: string;
  }[];
  expect(docs.map((d) => `${d.kind}${d.part ? `:${d.part}` : ''}`).sort()).toEqual([
    'invoice',
    'packing_slip:1',
    'packing_slip:2',
    'picklist',
    'picklist',
    'shipping_label:1',
    'shipping_label:2',
  ]);
  const slip2 = await api.getBinary(docs.find((d) => d.kind === 'packing_slip' && d.part === '2')!.url);
  expect(slip2.status).toBe(200);
  const slipText = (await parsePdf(slip2.body as Buffer)).text;
  expect(slipText).toContain('SHADE');
  expect(slipText).not.toContain('LAMP');
  expect(slipText).toContain('Oakland');
  const label1 = docs.find((d) => d.kind === 'shipping_label' && d.part === '1')!;
  expect(label1.source).toBe('carrier');
  const redirect = await api
    .get(label1.url)
    .redirects(0)
    .ok(() => true);
  expect(redirect.status).toBe(302);
  expect(redirect.headers.location).toMatch(/^https:\/\/easypost-files\.example\/shp_split\d+\.pdf$/);
});

test('a warehouse rejecting its part sends the whole order back to routing without it', async () => {
  await api.post('/stock/receipts', { sku: 'BULB', locationId: 'SPL-B', quantity: 4 });
  const { body } = await api.post(
    '/orders',
    orderBody({
      currency: 'USD',
      shippingAddress: customer,
      lines: [
        { sku: 'LAMP', quantity: 1 },
        { sku: 'BULB', quantity: 2 },
      ],
    }),
  );
  const orderId = body.orderId as string;
  const released = await waitFor(orderId, 'released_to_fulfillment');
  expect(released.parts.map((p: Part) => p.locationId)).toEqual(['SPL-A', 'SPL-B']);
  const lampBefore = await stockAt('LAMP', 'SPL-A');

  const unnamed = await api.post(`/orders/${orderId}/allocation/reject`, { reason: 'damaged' });
  expect(unnamed.status).toBe(400);
  expect(unnamed.body.error.details).toEqual([
    { path: 'locationId', message: expect.stringMatching(/is required: .* split across SPL-A, SPL-B/) },
  ]);
  expect((await api.post(`/orders/${orderId}/allocation/reject`, { reason: 'damaged', locationId: 'SPL-C' })).status).toBe(400);
  expect((await api.post(`/orders/${orderId}/allocation/reject`, { reason: 'damaged', locationId: 'SPL-B', skus: ['LAMP'] })).status).toBe(
    400,
  );

  // SPL-B's bulbs are damaged: written off there, SPL-A's part released, and no one else has bulbs.
  expect((await api.post(`/orders/${orderId}/allocation/reject`, { reason: 'damaged', locationId: 'SPL-B' })).status).toBe(200);
  const waiting = await waitFor(orderId, 'awaiting_stock');
  expect(waiting.parts).toBeUndefined();
  expect(waiting.rejections).toEqual([expect.objectContaining({ locationId: 'SPL-B', reason: 'damaged' })]);
  expect(await stockAt('BULB', 'SPL-B')).toMatchObject({ onHand: 2, reserved: 0 });
  expect(await stockAt('LAMP', 'SPL-A')).toMatchObject({ onHand: lampBefore!.onHand, reserved: lampBefore!.reserved - 1 });
  // Simulated as stored, the order is routed without the location that rejected it.
  const sim = await api.post('/routing/simulate', { orderId });
  expect(sim.body.explanation.steps[0].locations.find((l: { locationId: string }) => l.locationId === 'SPL-B').reasons[0].code).toBe(
    'excluded',
  );

  // Bulbs arrive at SPL-C: the order is split again, without SPL-B.
  await api.post('/stock/receipts', { sku: 'BULB', locationId: 'SPL-C', quantity: 2 });
  const again = await waitFor(orderId, 'released_to_fulfillment');
  expect(again.parts.map((p: Part) => ({ locationId: p.locationId, lines: p.lines }))).toEqual([
    { locationId: 'SPL-A', lines: [{ sku: 'LAMP', quantity: 1 }] },
    { locationId: 'SPL-C', lines: [{ sku: 'BULB', quantity: 2 }] },
  ]);
  expect(await stockAt('BULB', 'SPL-C')).toMatchObject({ onHand: 2, reserved: 2 });

  // Cancelled before anything shipped: both parts give their stock back.
  expect((await api.post(`/orders/${orderId}/cancel`, { reason: 'customer changed their mind' })).status).toBe(200);
  await waitFor(orderId, 'cancelled');
  expect(await stockAt('BULB', 'SPL-C')).toMatchObject({ onHand: 2, reserved: 0 });
  expect(await stockAt('LAMP', 'SPL-A')).toMatchObject({ onHand: lampBefore!.onHand, reserved: lampBefore!.reserved - 1 });
});

test("another order taking a part's stock between routing and reserving: the parts held are given back and the order waits, then splits when stock comes", async () => {
  for (const sku of ['DESK', 'CHAIR']) expect((await api.post('/items', { sku, name: `Item ${sku}` })).status).toBe(201);
  await api.post('/stock/receipts', { sku: 'DESK', locationId: 'SPL-A', quantity: 1 });
  await api.post('/stock/receipts', { sku: 'CHAIR', locationId: 'SPL-B', quantity: 1 });
  // Fault injection with the real ledger: just before this order's CHAIR part reserves at SPL-B, a walk-in
  // sale takes SPL-B's only chair (the routing snapshot still counted it).
  const allocations = ctx.stores.allocations;
  const reserveAll = allocations.reserveAll.bind(allocations);
  let raced = false;
  allocations.reserveAll = async (args) => {
    if (!raced && args.reservationId.includes(':part:SPL-B') && args.lines.some((l) => l.sku === 'CHAIR')) {
      raced = true;
      await ctx.stores.ledger.apply({
        sku: 'CHAIR',
        locationId: 'SPL-B',
        type: 'adjustment',
        quantity: -1,
        reason: 'sold',
        idempotencyKey: `walk-in-${run}`,
        actor: 'pos',
      });
    }
    return reserveAll(args);
  };
  try {
    const { body } = await api.post(
      '/orders',
      orderBody({
        currency: 'USD',
        shippingAddress: customer,
        lines: [
          { sku: 'DESK', quantity: 1 },
          { sku: 'CHAIR', quantity: 1 },
        ],
      }),
    );
    const orderId = body.orderId as string;
    const waiting = await waitFor(orderId, 'awaiting_stock');
    expect(raced).toBe(true);
    expect(waiting.parts).toBeUndefined();
    expect(waiting.awaitingStock.shortfall).toMatchObject({ sku: 'CHAIR', available: 0 });
    // The DESK part that had been reserved at SPL-A was given back.
    expect(await stockAt('DESK', 'SPL-A')).toMatchObject({ onHand: 1, reserved: 0 });
    const desk = (await api.get('/stock/DESK/ledger')).body.entries as { type: string; reference?: string }[];
    expect(
      desk
        .filter((e) => e.reference === orderId)
        .map((e) => e.type)
        .sort(),
    ).toEqual(['release', 'reservation']);

    await api.post('/stock/receipts', { sku: 'CHAIR', locationId: 'SPL-B', quantity: 1 });
    const released = await waitFor(orderId, 'released_to_fulfillment');
    expect(released.parts.map((p: Part) => p.locationId)).toEqual(['SPL-A', 'SPL-B']);
    expect(await stockAt('DESK', 'SPL-A')).toMatchObject({ onHand: 1, reserved: 1 });
    expect(await stockAt('CHAIR', 'SPL-B')).toMatchObject({ onHand: 1, reserved: 1 });
  } finally {
    allocations.reserveAll = reserveAll;
  }
});
