import { createTestContext, type TestContext } from '../support/stack';
import { apiFor } from '../support/api';
import { eventually, location, orderBody } from '../support/fixtures';

// Promise dates follow stock over the real stack: stock written off at the warehouse (two adjustments in
// a burst) moves a waiting order's promised date later without anyone asking for a recompute, and the
// customer's notice is queued once.
let ctx: TestContext;
let api: Awaited<ReturnType<typeof apiFor>>;
const run = String(Date.now()).slice(-7);
const SKU = `PF${run}-VASE`;
const [D1, D2] = ['2030-05-04', '2030-05-20'];

beforeAll(async () => {
  ctx = await createTestContext('e2e_promise_stock');
  api = await apiFor(ctx, { activityMaxAttempts: 2, activityInitialIntervalMs: 100 });
  await ctx.startWorker();
});
afterAll(async () => ctx.close());

const orderOf = async (id: string) =>
  (await api.get(`/orders/${encodeURIComponent(id)}`)).body as { status: string; promise?: { date: string | null } };
const notices = async (orderId: string) =>
  (
    (await api.get(`/customer-notifications?orderId=${encodeURIComponent(orderId)}`)).body.notifications as {
      id: string;
      kind: string;
      details: Record<string, string>;
    }[]
  ).filter((n) => n.kind === 'promise_date_changed');

test('stock written off moves a waiting order’s promised date, with one notice for the burst', async () => {
  expect((await api.post('/locations', location('PF-DC', 1))).status).toBe(201);
  expect((await api.post('/items', { sku: SKU, name: 'Vase' })).status).toBe(201);
  const supplier = { id: `vases-${run}`, name: 'Vases Ltd', leadTimeDays: 10, currency: 'EUR', contact: { email: 'po@vases.test' } };
  expect((await api.post('/suppliers', supplier)).status).toBe(201);
  expect((await api.post('/stock/receipts', { sku: SKU, locationId: 'PF-DC', quantity: 3 })).status).toBe(201);
  for (const [id, quantity, expectedDate] of [
    [`PO-${run}-1`, 2, D1],
    [`PO-${run}-2`, 10, D2],
  ] as const) {
    const po = {
      id,
      supplierId: supplier.id,
      locationId: 'PF-DC',
      expectedDate,
      status: 'open',
      lines: [{ sku: SKU, quantity, unitCost: 500 }],
    };
    expect((await api.post('/purchase-orders', po)).status).toBe(201);
  }

  // 3 in stock and 2 expected on D1 cover an order of 5 on D1.
  const id = (await api.post('/orders', orderBody({ lines: [{ sku: SKU, quantity: 5 }] }))).body.orderId as string;
  await eventually(
    async () => (await orderOf(id)).status,
    (s) => s === 'awaiting_stock',
    30_000,
    `${id} to wait for stock`,
  );
  expect((await orderOf(id)).promise?.date).toBe(D1);

  // The 3 in stock are found broken, in two counts a moment apart: only D2's lot covers the order now.
  for (const [delta, key] of [
    [-1, 'a'],
    [-2, 'b'],
  ] as const) {
    const adjusted = await api.post('/stock/adjustments', {
      sku: SKU,
      locationId: 'PF-DC',
      delta,
      reason: 'damaged',
      idempotencyKey: `pf-${run}-${key}`,
    });
    expect(adjusted.status).toBe(201);
  }
  const moved = await eventually(
    () => orderOf(id),
    (o) => o.promise?.date === D2,
    15_000,
    `${id} promised ${D2}`,
  );
  expect(moved.status).toBe('awaiting_stock');
  // However the burst was recomputed, the customer hears of the move once.
  await new Promise((r) => setTimeout(r, 3_000));
  const queued = await notices(id);
  expect(queued).toHaveLength(1);
  expect(queued[0]).toMatchObject({ details: { date: D2, previousDate: D1 } });
});
