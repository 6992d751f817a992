import { createTestContext, type TestContext } from '../support/stack';
import { apiFor } from '../support/api';
import { address, eventually, orderBody } from '../support/fixtures';

let ctx: TestContext;
let api: Awaited<ReturnType<typeof apiFor>>;

// Two warehouses and a store: Berlin (priority 1), Munich (priority 5), a Munich store that only does pickup.
const at = (
  id: string,
  city: string,
  postalCode: string,
  latitude: number | undefined,
  longitude: number | undefined,
  priority: number,
  extra: Record<string, unknown> = {},
) => ({
  id,
  name: `${city} ${id}`,
  type: 'warehouse',
  address: { line1: 'Lagerstrasse 1', city, postalCode, country: 'DE', ...(latitude !== undefined && { latitude, longitude }) },
  priority,
  ...extra,
});
const munichCustomer = { ...address, line1: 'Marienplatz 1', city: 'München', postalCode: '80331', latitude: 48.1374, longitude: 11.5755 };

beforeAll(async () => {
  ctx = await createTestContext('api_routing');
  api = await apiFor(ctx, { activityMaxAttempts: 2, activityInitialIntervalMs: 100 });
  await ctx.startWorker();
  for (const l of [
    at('BER-1', 'Berlin', '10117', 52.5065, 13.3903, 1),
    at('MUC-1', 'München', '80939', 48.2122, 11.6246, 5),
    at('MUC-S', 'München', '80331', 48.1371, 11.5754, 0, { type: 'store', ships: false, pickup: true }),
  ]) {
    expect((await api.post('/locations', l)).status).toBe(201);
  }
  for (const sku of ['LAMP-1', 'DESK-1']) expect((await api.post('/items', { sku, name: sku })).status).toBe(201);
  for (const [sku, locationId, quantity] of [
    ['LAMP-1', 'BER-1', 10],
    ['LAMP-1', 'MUC-1', 3],
    ['LAMP-1', 'MUC-S', 50],
    ['DESK-1', 'BER-1', 2],
  ] as const) {
    expect((await api.post('/stock/receipts', { sku, locationId, quantity })).status).toBe(201);
  }
});
afterAll(async () => ctx.close());

const nearest = {
  id: 'nearest',
  name: 'Nearest warehouse that ships',
  filters: { locationTypes: ['warehouse'] },
  sort: ['distance', 'priority'],
  whenNothingFits: 'next_rule',
};
const byPriority = { id: 'priority', name: 'Priority first', sort: ['priority', 'distance'], whenNothingFits: 'wait_for_stock' };

describe('routing rules through the API', () => {
  test('a rule set with mistakes is refused naming every bad field, and nothing is stored', async () => {
    const res = await api.put('/routing/rules', {
      rules: [
        { ...nearest, sort: ['distance', 'distance'] },
        {
          id: 'bad id!',
          name: '',
          sort: ['closeness'],
          whenNothingFits: 'give_up',
          filters: { ships: false, minRemainingAfterAllocation: 1.5 },
        },
      ],
    });
    expect(res.status).toBe(400);
    const paths = res.body.error.details.map((d: { path: string }) => d.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'rules.0.sort',
        'rules.1.id',
        'rules.1.name',
        'rules.1.sort.0',
        'rules.1.whenNothingFits',
        'rules.1.filters.ships',
        'rules.1.filters.minRemainingAfterAllocation',
      ]),
    );
    expect((await api.get('/routing/rules')).body.rules).toEqual([]);
  });

  test('simulate answers where an order would go and why, without reserving anything', async () => {
    expect((await api.put('/routing/rules', { rules: [nearest] })).status).toBe(200);
    const before = (await api.get('/stock/LAMP-1')).body.total;
    const sim = await api.post('/routing/simulate', {
      channel: 'manual',
      lines: [{ sku: 'LAMP-1', quantity: 2 }],
      shippingAddress: { country: 'DE', postalCode: '80331', latitude: 48.1374, longitude: 11.5755 },
    });
    expect(sim.status).toBe(200);
    expect(sim.body.decision).toEqual({ kind: 'single', locationId: 'MUC-1' });
    expect(sim.body.explanation.decidedBy).toEqual({ id: 'nearest', name: 'Nearest warehouse that ships' });
    const considered = sim.body.explanation.steps[0].locations as {
      locationId: string;
      chosen: boolean;
      eligible: boolean;
      distanceKm?: number;
      summary: string;
    }[];
    expect(considered.find((l) => l.locationId === 'MUC-1')).toMatchObject({ chosen: true });
    expect(considered.find((l) => l.locationId === 'BER-1')).toMatchObject({ chosen: false, eligible: true });
    expect(considered.find((l) => l.locationId === 'BER-1')!.distanceKm).toBeGreaterThan(400);
    expect(considered.find((l) => l.locationId === 'MUC-S')).toMatchObject({ eligible: false });
    expect((await api.get('/stock/LAMP-1')).body.total).toEqual(before);

    // A draft rule set can be tried without saving it: priority first sends the same order to Berlin.
    const draft = await api.post('/routing/simulate', {
      channel: 'manual',
      lines: [{ sku: 'LAMP-1', quantity: 2 }],
      shippingAddress: { country: 'DE', postalCode: '80331', latitude: 48.1374, longitude: 11.5755 },
      rules: [byPriority],
    });
    expect(draft.body).toMatchObject({ decision: { kind: 'single', locationId: 'BER-1' }, rulesUsed: 'draft' });
    expect((await api.get('/routing/rules')).body.rules.map((r: { id: string }) => r.id)).toEqual(['nearest']);

    const bad = await api.post('/routing/simulate', { lines: [{ sku: 'LAMP-1', quantity: 0 }], shippingAddress: { country: 'Germany' } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.map((d: { path: string }) => d.path)).toEqual(
      expect.arrayContaining(['channel', 'lines.0.quantity', 'shippingAddress.country', 'shippingAddress.postalCode']),
    );
  });

  test('a captured order is reserved at the nearest warehouse and its view explains the choice', async () => {
    expect((await api.put('/routing/rules', { rules: [nearest] })).status).toBe(200);
    await new Promise((r) => setTimeout(r, 2_100)); // the worker caches the rule set for 2 s
    const { body } = await api.post('/orders', orderBody({ shippingAddress: munichCustomer, lines: [{ sku: 'LAMP-1', quantity: 1 }] }));
    const released = await eventually(
      async () => (await api.get(`/orders/${body.orderId}`)).body,
      (o) => o.status === 'released_to_fulfillment',
      30_000,
      'the order to be released',
    );
    expect(released.allocation.locationId).toBe('MUC-1');
    expect(released.routing.decidedBy.id).toBe('nearest');
    expect(released.routing.summary).toMatch(/MUC-1/);
    expect((await api.get('/stock/LAMP-1')).body.locations.find((l: { locationId: string }) => l.locationId === 'MUC-1')).toMatchObject({
      reserved: 1,
    });
  });

  test('when the nearest warehouse cannot take the whole order, the next one does, and the reason is named', async () => {
    // DESK-1 is only in Berlin: Munich is short, so Berlin ships even to a Munich address.
    const { body } = await api.post(
      '/orders',
      orderBody({
        shippingAddress: munichCustomer,
        lines: [
          { sku: 'DESK-1', quantity: 1 },
          { sku: 'LAMP-1', quantity: 1 },
        ],
      }),
    );
    const released = await eventually(
      async () => (await api.get(`/orders/${body.orderId}`)).body,
      (o) => o.status === 'released_to_fulfillment',
      30_000,
      'the order to be released',
    );
    expect(released.allocation.locationId).toBe('BER-1');
    const munich = released.routing.steps[0].locations.find((l: { locationId: string }) => l.locationId === 'MUC-1');
    expect(munich.reasons).toEqual(
      expect.arrayContaining([expect.objectContaining({ code: 'short', sku: 'DESK-1', requested: 1, available: 0 })]),
    );
  });

  test('an address without coordinates is placed by the postal prefix table loaded as CSV', async () => {
    const bad = await api.putRaw(
      '/routing/postal-prefixes',
      'country,prefix,latitude,longitude\nDE,80,48.14,11.58\nDE,,91,200\n',
      'text/csv',
    );
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.map((d: { path: string }) => d.path)).toEqual(
      expect.arrayContaining(['line 3.prefix', 'line 3.latitude', 'line 3.longitude']),
    );
    expect((await api.get('/routing/postal-prefixes')).body.rows).toBe(0);

    const ok = await api.putRaw(
      '/routing/postal-prefixes',
      'country,prefix,latitude,longitude\nDE,80,48.14,11.58\nDE,10,52.52,13.40\n',
      'text/csv',
    );
    expect(ok.status).toBe(200);
    expect(ok.body.rows).toBe(2);
    expect((await api.get('/routing/postal-prefixes')).body).toEqual({ rows: 2, countries: { DE: 2 } });
    const sim = await api.post('/routing/simulate', {
      channel: 'manual',
      lines: [{ sku: 'LAMP-1', quantity: 1 }],
      shippingAddress: { country: 'DE', postalCode: '80469' },
      rules: [nearest],
    });
    expect(sim.body.decision).toEqual({ kind: 'single', locationId: 'MUC-1' });
    expect(sim.body.explanation.destination).toEqual({
      source: 'postal_prefix',
      prefix: '80',
      coordinates: { latitude: 48.14, longitude: 11.58 },
    });
  });

  test('safety stock keeps a location out when the order would leave too little behind', async () => {
    const safe = {
      ...nearest,
      id: 'safe',
      name: 'Nearest, keeping 3 behind',
      filters: { locationTypes: ['warehouse'], minRemainingAfterAllocation: 3 },
    };
    const sim = await api.post('/routing/simulate', {
      channel: 'manual',
      lines: [{ sku: 'LAMP-1', quantity: 1 }],
      shippingAddress: { country: 'DE', postalCode: '80331', latitude: 48.1374, longitude: 11.5755 },
      rules: [safe],
    });
    expect(sim.body.decision).toEqual({ kind: 'single', locationId: 'BER-1' });
    const munich = sim.body.explanation.steps[0].locations.find((l: { locationId: string }) => l.locationId === 'MUC-1');
    expect(munich.reasons).toEqual(
      expect.arrayContaining([expect.objectContaining({ code: 'below_safety_stock', sku: 'LAMP-1', minimum: 3 })]),
    );
  });

  test('a pickup order is reserved at the chosen store, waits there, and completes when collected', async () => {
    const refused = await api.post(
      '/orders',
      orderBody({ fulfillment: { method: 'pickup', pickupLocationId: 'BER-1' }, lines: [{ sku: 'LAMP-1', quantity: 1 }] }),
    );
    expect(refused.status).toBe(400);
    expect(refused.body.error.details).toEqual([{ path: 'fulfillment.pickupLocationId', message: 'location BER-1 does not offer pickup' }]);
    const noStore = await api.post('/orders', orderBody({ fulfillment: { method: 'pickup' }, lines: [{ sku: 'LAMP-1', quantity: 1 }] }));
    expect(noStore.body.error.details.map((d: { path: string }) => d.path)).toEqual(['fulfillment.pickupLocationId']);

    const before = (await api.get('/stock/LAMP-1')).body.locations.find((l: { locationId: string }) => l.locationId === 'MUC-S');
    const { body } = await api.post(
      '/orders',
      orderBody({
        shippingAddress: address,
        fulfillment: { method: 'pickup', pickupLocationId: 'MUC-S' },
        lines: [{ sku: 'LAMP-1', quantity: 2 }],
      }),
    );
    const released = await eventually(
      async () => (await api.get(`/orders/${body.orderId}`)).body,
      (o) => o.status === 'released_to_fulfillment',
      30_000,
      'the pickup order to be released',
    );
    expect(released.allocation.locationId).toBe('MUC-S'); // the customer's store, though Berlin is nearer to the address
    expect((await api.post(`/orders/${body.orderId}/pickup`)).status).toBe(409); // not ready yet
    await api.post(`/orders/${body.orderId}/events`, { type: 'picked' });
    await api.post(`/orders/${body.orderId}/events`, { type: 'packed' });
    const ready = await eventually(
      async () => (await api.get(`/orders/${body.orderId}`)).body,
      (o) => o.status === 'ready_for_pickup',
      30_000,
      'the order to be ready for pickup',
    );
    expect(ready.pickup).toMatchObject({ locationId: 'MUC-S', holdUntil: expect.any(String) });
    const outbox = await ctx.mongo.db.collection('customer_notifications').find({ orderId: body.orderId }).toArray();
    expect(outbox).toEqual([
      expect.objectContaining({
        kind: 'ready_for_pickup',
        status: 'pending',
        to: expect.objectContaining({ email: 'ada@example.com' }),
        details: expect.objectContaining({ locationId: 'MUC-S' }),
      }),
    ]);

    expect((await api.post(`/orders/${body.orderId}/pickup`, { by: 'till 3' })).status).toBe(200);
    const done = await eventually(
      async () => (await api.get(`/orders/${body.orderId}`)).body,
      (o) => o.status === 'completed',
      30_000,
      'the order to complete',
    );
    expect(done.pickup.collectedAt).toEqual(expect.any(String));
    expect(done.history.map((h: { status: string }) => h.status)).toEqual(
      expect.arrayContaining(['ready_for_pickup', 'delivered', 'completed']),
    );
    const after = (await api.get('/stock/LAMP-1')).body.locations.find((l: { locationId: string }) => l.locationId === 'MUC-S');
    expect(after).toMatchObject({ onHand: before.onHand - 2, reserved: before.reserved });
  });

  test('a pickup order nobody collects is cancelled when its hold ends, and its stock goes back on sale', async () => {
    const shortHold = await apiFor(ctx, { activityMaxAttempts: 2, activityInitialIntervalMs: 100, pickupHoldMs: 1_500 });
    const before = (await api.get('/stock/LAMP-1')).body.locations.find((l: { locationId: string }) => l.locationId === 'MUC-S');
    const { body } = await shortHold.post(
      '/orders',
      orderBody({ fulfillment: { method: 'pickup', pickupLocationId: 'MUC-S' }, lines: [{ sku: 'LAMP-1', quantity: 1 }] }),
    );
    await eventually(
      async () => (await api.get(`/orders/${body.orderId}`)).body.status,
      (s) => s === 'released_to_fulfillment',
      30_000,
      'the order to be released',
    );
    await api.post(`/orders/${body.orderId}/events`, { type: 'packed' });
    const cancelled = await eventually(
      async () => (await api.get(`/orders/${body.orderId}`)).body,
      (o) => o.status === 'cancelled',
      30_000,
      'the uncollected order to be cancelled',
    );
    expect(cancelled.cancellation.reason).toMatch(/^not collected by /);
    expect(cancelled.history.map((h: { status: string }) => h.status)).toContain('ready_for_pickup');
    expect((await api.get('/stock/LAMP-1')).body.locations.find((l: { locationId: string }) => l.locationId === 'MUC-S')).toMatchObject({
      onHand: before.onHand,
      reserved: before.reserved,
      available: before.available,
    });
    expect((await api.post(`/orders/${body.orderId}/pickup`)).status).toBe(409);
  });

  test('a location that rejects its allocation gets its stock corrected and the order goes to the next best location', async () => {
    const stockAt = async (loc: string) =>
      (await api.get('/stock/LAMP-1')).body.locations.find((l: { locationId: string }) => l.locationId === loc);
    const { body } = await api.post('/orders', orderBody({ shippingAddress: munichCustomer, lines: [{ sku: 'LAMP-1', quantity: 1 }] }));
    const first = await eventually(
      async () => (await api.get(`/orders/${body.orderId}`)).body,
      (o) => o.status === 'released_to_fulfillment',
      30_000,
      'the order to be released',
    );
    expect(first.allocation.locationId).toBe('MUC-1');
    const munichBefore = await stockAt('MUC-1');

    const bad = await api.post(`/orders/${body.orderId}/allocation/reject`, { reason: 'dropped', skus: ['DESK-1'] });
    expect(bad.status).toBe(400);
    expect(
      (await api.post(`/orders/${body.orderId}/allocation/reject`, { reason: 'damaged', skus: ['DESK-1'] })).body.error.details,
    ).toEqual([{ path: 'skus.0', message: `DESK-1 is not on order ${body.orderId}` }]);

    // Munich: the unit is damaged. It is written off there, and Berlin ships instead.
    expect((await api.post(`/orders/${body.orderId}/allocation/reject`, { reason: 'damaged', note: 'box crushed' })).status).toBe(200);
    const moved = await eventually(
      async () => (await api.get(`/orders/${body.orderId}`)).body,
      (o) => o.status === 'released_to_fulfillment' && o.allocation?.locationId === 'BER-1',
      30_000,
      'the order to be re-routed to Berlin',
    );
    expect(moved.rejections).toEqual([expect.objectContaining({ locationId: 'MUC-1', reason: 'damaged', note: 'box crushed' })]);
    expect(await stockAt('MUC-1')).toMatchObject({ onHand: munichBefore.onHand - 1, reserved: munichBefore.reserved - 1 });
    const ledger = (await api.get('/stock/LAMP-1/ledger?locationId=MUC-1')).body.entries as {
      type: string;
      reason?: string;
      quantity: number;
      reference?: string;
    }[];
    expect(ledger.filter((e) => e.reference === body.orderId).map((e) => [e.type, e.reason ?? null, e.quantity])).toEqual([
      ['reservation', null, 1],
      ['release', 'allocation rejected: damaged', 1],
      ['adjustment', 'damaged', -1],
    ]);

    // Berlin: nothing on the shelf. Its available stock is written off, and no warehouse is left to ship.
    expect((await api.post(`/orders/${body.orderId}/allocation/reject`, { reason: 'not_in_stock' })).status).toBe(200);
    const waiting = await eventually(
      async () => (await api.get(`/orders/${body.orderId}`)).body,
      (o) => o.status === 'awaiting_stock' && o.rejections?.length === 2,
      30_000,
      'the order to wait for stock',
    );
    expect(waiting.allocation).toBeUndefined();
    expect(await stockAt('BER-1')).toMatchObject({ available: 0 });
    expect((await api.post(`/orders/${body.orderId}/allocation/reject`, { reason: 'damaged' })).status).toBe(409);
  });
});
