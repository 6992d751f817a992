import { createTestContext, type TestContext } from '../support/stack';
import { apiFor } from '../support/api';
import { eventually, orderBody } from '../support/fixtures';

// Warehouse capacity over the real stack: two warehouses that each pick and pack 100 units a day. A large
// B2B order neither can take in what is left of its day is split between them by capacity, each part
// reserved at its warehouse; the simulator shows the day's capacity and names it as the reason; capacity
// taken is counted per warehouse and day, and a cancelled order gives its share back.
let ctx: TestContext;
let api: Awaited<ReturnType<typeof apiFor>>;

const warehouse = (id: string, priority: number, city: string, postalCode: string) => ({
  id,
  name: `Warehouse ${city}`,
  type: 'warehouse',
  address: { line1: 'Lagerstrasse 1', city, postalCode, country: 'DE' },
  priority,
  capacity: { unitsPerDay: 100, timeZone: 'Europe/Berlin' },
});

beforeAll(async () => {
  ctx = await createTestContext('e2e_capacity');
  api = await apiFor(ctx, { activityMaxAttempts: 2, activityInitialIntervalMs: 100 });
  await ctx.startWorker();
  for (const [id, priority, city, zip] of [
    ['CAP-A', 1, 'Berlin', '10117'],
    ['CAP-B', 2, 'Hamburg', '20095'],
  ] as const) {
    expect((await api.post('/locations', warehouse(id, priority, city, zip))).status).toBe(201);
  }
  for (const sku of ['CRATE', 'PALLET']) expect((await api.post('/items', { sku, name: `Item ${sku}` })).status).toBe(201);
  for (const locationId of ['CAP-A', 'CAP-B'])
    for (const sku of ['CRATE', 'PALLET']) expect((await api.post('/stock/receipts', { sku, locationId, quantity: 500 })).status).toBe(201);
  const rules = [{ id: 'split-by-capacity', name: 'By priority, split when needed', sort: ['priority'], whenNothingFits: 'split' }];
  expect((await api.put('/routing/rules', { rules })).status).toBe(200);
});
afterAll(async () => ctx.close());

const orderOf = async (id: string) => (await api.get(`/orders/${encodeURIComponent(id)}`)).body;
const waitFor = (id: string, status: string) =>
  eventually(
    () => orderOf(id),
    (o) => o.status === status,
    30_000,
    `${id} to be ${status}`,
  );
const place = async (lines: { sku: string; quantity: number }[]) =>
  (await api.post('/orders', orderBody({ lines }))).body.orderId as string;
const reservedAt = async (sku: string, locationId: string) =>
  ((await api.get(`/stock/${sku}`)).body.locations as { locationId: string; reserved: number }[]).find((l) => l.locationId === locationId)
    ?.reserved;
const bulk = [
  { sku: 'CRATE', quantity: 80 },
  { sku: 'PALLET', quantity: 60 },
];

test('a location keeps its declared capacity, and a bad one is refused naming each field', async () => {
  expect((await api.get('/locations/CAP-A')).body.capacity).toEqual({ unitsPerDay: 100, timeZone: 'Europe/Berlin' });
  const bad = await api.post('/locations', { ...warehouse('CAP-X', 3, 'Köln', '50667'), capacity: { unitsPerDay: 0, timeZone: 'Berlin' } });
  expect(bad.status).toBe(400);
  expect(bad.body.error.details.map((d: { path: string }) => d.path).sort()).toEqual(['capacity.timeZone', 'capacity.unitsPerDay']);
});

test('a large order neither warehouse can take in what is left of its day is split between them by capacity', async () => {
  // A first order takes 30 of CAP-A's 100 units today.
  const small = await place([{ sku: 'CRATE', quantity: 30 }]);
  expect((await waitFor(small, 'released_to_fulfillment')).allocation.locationId).toBe('CAP-A');

  // The simulator: CAP-A has the stock but 70 units of its day left, so the 140-unit order is split.
  const simulated = await api.post('/routing/simulate', {
    channel: 'manual',
    lines: bulk,
    shippingAddress: { country: 'DE', postalCode: '10117' },
  });
  expect(simulated.status).toBe(200);
  expect(simulated.body.capacity).toEqual({
    'CAP-A': { unitsPerDay: 100, used: 30, left: 70 },
    'CAP-B': { unitsPerDay: 100, used: 0, left: 100 },
  });
  const expectedParts = [
    { locationId: 'CAP-A', lines: [{ sku: 'PALLET', quantity: 60 }] },
    { locationId: 'CAP-B', lines: [{ sku: 'CRATE', quantity: 80 }] },
  ];
  expect(simulated.body.decision).toEqual({ kind: 'split', parts: expectedParts });
  const step = simulated.body.explanation.steps[0];
  expect(step.message).toMatch(/over today's capacity: CAP-A, CAP-B/);
  const a = step.locations.find((l: { locationId: string }) => l.locationId === 'CAP-A');
  expect(a.capacityLeft).toBe(70);
  expect(a.reasons).toContainEqual(expect.objectContaining({ code: 'over_capacity', requested: 140, remaining: 70, unitsPerDay: 100 }));

  // The order itself: each part reserved at its warehouse, as the simulator said.
  const big = await place(bulk);
  const released = await waitFor(big, 'released_to_fulfillment');
  expect(released.parts.map((p: { locationId: string; lines: unknown }) => ({ locationId: p.locationId, lines: p.lines }))).toEqual(
    expectedParts,
  );
  expect(released.routing.steps[0].message).toMatch(/over today's capacity/);
  expect(await reservedAt('PALLET', 'CAP-A')).toBe(60);
  expect(await reservedAt('CRATE', 'CAP-B')).toBe(80);
  expect(await reservedAt('CRATE', 'CAP-A')).toBe(30);

  const after = await api.post('/routing/simulate', {
    channel: 'manual',
    lines: [{ sku: 'CRATE', quantity: 20 }],
    shippingAddress: { country: 'DE', postalCode: '10117' },
  });
  expect(after.body.capacity).toEqual({
    'CAP-A': { unitsPerDay: 100, used: 90, left: 10 },
    'CAP-B': { unitsPerDay: 100, used: 80, left: 20 },
  });
  // CAP-A ranks first and has the stock, but only 10 units of its day: CAP-B takes the next order whole.
  expect(after.body.decision).toEqual({ kind: 'single', locationId: 'CAP-B' });
});

test('a cancelled order gives its share of the day back', async () => {
  const id = await place([{ sku: 'CRATE', quantity: 20 }]);
  expect((await waitFor(id, 'released_to_fulfillment')).allocation.locationId).toBe('CAP-B');
  const full = await api.post('/routing/simulate', {
    channel: 'manual',
    lines: [{ sku: 'CRATE', quantity: 1 }],
    shippingAddress: { country: 'DE', postalCode: '10117' },
  });
  expect(full.body.capacity['CAP-B']).toEqual({ unitsPerDay: 100, used: 100, left: 0 });

  expect((await api.post(`/orders/${id}/cancel`, { reason: 'customer called' })).status).toBe(200);
  await waitFor(id, 'cancelled');
  const freed = await eventually(
    () =>
      api.post('/routing/simulate', {
        channel: 'manual',
        lines: [{ sku: 'CRATE', quantity: 1 }],
        shippingAddress: { country: 'DE', postalCode: '10117' },
      }),
    (r) => r.body.capacity['CAP-B'].used === 80,
    15_000,
    'CAP-B capacity given back',
  );
  expect(freed.body.capacity['CAP-B']).toEqual({ unitsPerDay: 100, used: 80, left: 20 });
});
