import { createTestContext, type TestContext } from '../support/stack';
import { apiFor, TEST_API_KEY } from '../support/api';
import { eventually, location, orderBody } from '../support/fixtures';

// Promise dates through the API with the real order workflow: orders waiting for a sku with no stock are
// promised the dates purchase orders cover them, the dates move when a purchase order slips (one notice per
// order per move), and an order released by a receipt loses its promise.
let ctx: TestContext;
let api: Awaited<ReturnType<typeof apiFor>>;
const run = String(Date.now()).slice(-7);
const SKU = `PD${run}-LAMP`;
const [D1, D2, D3] = ['2030-04-01', '2030-04-10', '2030-04-24'];

beforeAll(async () => {
  ctx = await createTestContext('e2e_promise_dates');
  api = await apiFor(ctx, { activityMaxAttempts: 2, activityInitialIntervalMs: 100 });
  await ctx.startWorker();
  await ctx.startConsumers();
});
afterAll(async () => {
  await ctx.close();
});

interface Promised {
  date: string | null;
  reason?: string;
  basis: { sku: string; from: string; expectedDate: string; quantity: number }[];
  updatedAt: string;
}
const orderOf = async (id: string) => (await api.get(`/orders/${encodeURIComponent(id)}`)).body as { status: string; promise?: Promised };
const notices = async (orderId: string) =>
  (
    (await api.get(`/customer-notifications?orderId=${encodeURIComponent(orderId)}`)).body.notifications as {
      _id: string;
      kind: string;
      n?: number;
      details: Record<string, string>;
    }[]
  ).filter((n) => n.kind === 'promise_date_changed');
const waitFor = (id: string, status: string) =>
  eventually(
    async () => (await orderOf(id)).status,
    (s) => s === status,
    30_000,
    `${id} to be ${status}`,
  );
const patch = (path: string, body: object) => api.raw.patch(path).set('Authorization', `Bearer ${TEST_API_KEY}`).send(body);

test('waiting orders are promised the date purchase orders cover them, follow a slipped date with one notice each, and lose the promise once served', async () => {
  expect((await api.post('/locations', location('PD-DC', 1))).status).toBe(201);
  expect((await api.post('/items', { sku: SKU, name: 'Desk lamp' })).status).toBe(201);
  const supplier = { id: `lamps-${run}`, name: 'Lamps Ltd', leadTimeDays: 10, currency: 'EUR', contact: { email: 'po@lamps.test' } };
  expect((await api.post('/suppliers', supplier)).status).toBe(201);

  // An order of 5 with nothing in stock and nothing inbound waits, with no date.
  const a = (await api.post('/orders', orderBody({ lines: [{ sku: SKU, quantity: 5 }] }))).body.orderId as string;
  await waitFor(a, 'awaiting_stock');
  expect((await orderOf(a)).promise).toMatchObject({ date: null, reason: 'no promise: nothing inbound covers it', basis: [] });

  // 3 expected on D1 and 10 on D2: the order needs both.
  const po = (id: string, quantity: number, expectedDate: string) =>
    api.post('/purchase-orders', {
      id,
      supplierId: supplier.id,
      locationId: 'PD-DC',
      expectedDate,
      status: 'open',
      lines: [{ sku: SKU, quantity, unitCost: 900 }],
    });
  const [PO1, PO2] = [`PO-${run}-1`, `PO-${run}-2`];
  expect((await po(PO1, 3, D1)).status).toBe(201);
  expect((await po(PO2, 10, D2)).status).toBe(201);
  expect((await orderOf(a)).promise).toMatchObject({
    date: D2,
    basis: [
      { sku: SKU, from: PO1, expectedDate: D1, quantity: 3 },
      { sku: SKU, from: PO2, expectedDate: D2, quantity: 2 },
    ],
  });

  // A second order of 4 waits behind it: the 3 of D1 cover neither, so it is D2 as well.
  const b = (await api.post('/orders', orderBody({ lines: [{ sku: SKU, quantity: 4 }] }))).body.orderId as string;
  await waitFor(b, 'awaiting_stock');
  expect((await orderOf(b)).promise).toMatchObject({ date: D2, basis: [{ sku: SKU, from: PO2, expectedDate: D2, quantity: 4 }] });
  expect(await notices(a)).toEqual([]);
  expect(await notices(b)).toEqual([]);

  // The supplier slips PO 2 by two weeks: both promises move, one notice each.
  expect((await patch(`/purchase-orders/${PO2}`, { expectedDate: D3, reason: 'supplier delay' })).status).toBe(200);
  expect((await orderOf(a)).promise?.date).toBe(D3);
  expect((await orderOf(b)).promise?.date).toBe(D3);
  // The same date again and an explicit recompute change nothing and queue nothing more.
  expect((await patch(`/purchase-orders/${PO2}`, { expectedDate: D3 })).body.changed).toBe(false);
  const recomputed = await api.post(`/promises/recompute?sku=${SKU}`, {});
  expect(recomputed.status).toBe(200);
  expect(recomputed.body).toMatchObject({ waiting: 2, changed: 0, notified: 0 });
  for (const id of [a, b]) {
    const queued = await notices(id);
    expect(queued).toHaveLength(1);
    expect(queued[0]).toMatchObject({ id: `${id}|promise_date_changed|n:1`, n: 1, details: { date: D3, previousDate: D2 } });
  }

  // 5 of PO 2 arrive early: they cover the first order, which is released and loses its promise; the
  // second still waits for the rest, on the same date.
  const receipt = await api.post(`/purchase-orders/${PO2}/receipts`, { receiptId: `dock-${run}`, lines: [{ sku: SKU, quantity: 5 }] });
  expect(receipt.status).toBe(201);
  await waitFor(a, 'released_to_fulfillment');
  expect((await orderOf(a)).promise).toBeUndefined();
  // The receipt has the promises recomputed by itself (debounced); this one may find that done already.
  expect((await api.post(`/promises/recompute?sku=${SKU}`, {})).body).toMatchObject({ waiting: 1 });
  expect((await orderOf(b)).promise).toMatchObject({
    date: D3,
    basis: [
      { sku: SKU, from: PO1, expectedDate: D1, quantity: 3 },
      { sku: SKU, from: PO2, expectedDate: D3, quantity: 1 },
    ],
  });
  expect(await notices(a)).toHaveLength(1);
  expect(await notices(b)).toHaveLength(1);
});
