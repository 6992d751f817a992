import nock from 'nock';
import { createTestContext, type TestContext } from '../support/stack';
import { apiFor, TEST_API_KEY } from '../support/api';
import { eventually, location, orderBody } from '../support/fixtures';

// Purchasing as an operator drives it through the API, over the real stack: a supplier and a purchase
// order, the expected stock on GET /stock/:sku, a waiting order served by a partial receipt, a repeated
// receipt, an ERP receipt naming the purchase order (the ERP stubbed with nock), and the rest cancelled.
let ctx: TestContext;
let api: Awaited<ReturnType<typeof apiFor>>;
const run = String(Date.now()).slice(-7);
const BRICK = `PU${run}-BRICK`;
const TILE = `PU${run}-TILE`;
const ERP = 'https://erp.purchasing.example.com';

beforeAll(async () => {
  nock.disableNetConnect();
  nock.enableNetConnect(/127\.0\.0\.1|localhost/);
  ctx = await createTestContext('e2e_purchasing');
  api = await apiFor(ctx, { activityMaxAttempts: 2, activityInitialIntervalMs: 100 });
  await ctx.startWorker();
  await ctx.startConsumers();
});
afterAll(async () => {
  await ctx.close();
  nock.cleanAll();
  nock.enableNetConnect();
});

interface Inbound {
  locationId: string;
  quantity: number;
  expectedDate: string;
  purchaseOrderId: string;
}
const stockOf = async (sku: string) =>
  (await api.get(`/stock/${sku}`)).body as {
    total: { onHand: number; reserved: number; available: number };
    inbound: Inbound[];
    inboundByLocation: { locationId: string; quantity: number; nextExpectedDate: string }[];
  };
const orderStatus = async (id: string) => (await api.get(`/orders/${encodeURIComponent(id)}`)).body.status as string;
const poOf = async (id: string) => (await api.get(`/purchase-orders/${id}`)).body;

test('a purchase order is expected stock until received: a waiting order gets what arrives, the rest stays inbound, then is cancelled', async () => {
  expect((await api.post('/locations', location('PU-DC', 1))).status).toBe(201);
  for (const sku of [BRICK, TILE]) expect((await api.post('/items', { sku, name: `Item ${sku}` })).status).toBe(201);
  const supplier = { id: 'bricks-and-co', name: 'Bricks & Co', leadTimeDays: 14, currency: 'EUR', contact: { email: 'sales@bricks.test' } };
  expect((await api.post('/suppliers', supplier)).status).toBe(201);
  expect((await api.post('/suppliers', supplier)).status).toBe(409);
  expect((await api.get('/suppliers/bricks-and-co')).body).toEqual(supplier);

  // Bad purchase orders: every problem named, nothing stored.
  const shape = await api.post('/purchase-orders', {
    supplierId: 'bricks-and-co',
    locationId: 'PU-DC',
    expectedDate: '2030-02-30',
    lines: [{ sku: BRICK, quantity: 0, unitCost: 120 }],
  });
  expect(shape.status).toBe(400);
  expect(shape.body.error.details.map((d: { path: string }) => d.path).sort()).toEqual(['expectedDate', 'lines.0.quantity']);
  const facts = await api.post('/purchase-orders', {
    supplierId: 'nobody',
    locationId: 'NOWHERE',
    lines: [
      { sku: BRICK, quantity: 5, unitCost: 120 },
      { sku: 'GHOST', quantity: 1, unitCost: 1 },
    ],
  });
  expect(facts.status).toBe(400);
  expect(facts.body.error.details.map((d: { path: string }) => d.path)).toEqual(['supplierId', 'locationId', 'lines.1.sku']);
  expect((await api.get('/purchase-orders')).body.purchaseOrders).toEqual([]);

  const PO = `PO-${run}`;
  const created = await api.post('/purchase-orders', {
    id: PO,
    supplierId: 'bricks-and-co',
    locationId: 'PU-DC',
    expectedDate: '2030-03-01',
    status: 'open',
    lines: [
      { sku: BRICK, quantity: 10, unitCost: 120 },
      { sku: TILE, quantity: 4, unitCost: 300 },
    ],
  });
  expect(created.status).toBe(201);
  expect(created.body).toMatchObject({ id: PO, status: 'open', currency: 'EUR', total: 2400 });

  // Expected, and when; the balances are untouched.
  let stock = await stockOf(BRICK);
  expect(stock.total).toEqual({ onHand: 0, reserved: 0, quarantined: 0, available: 0 });
  expect(stock.inbound).toEqual([{ locationId: 'PU-DC', quantity: 10, expectedDate: '2030-03-01', purchaseOrderId: PO }]);
  expect(stock.inboundByLocation).toEqual([{ locationId: 'PU-DC', quantity: 10, nextExpectedDate: '2030-03-01' }]);
  // The supplier slips a week.
  const moved = await api.raw
    .patch(`/purchase-orders/${PO}`)
    .set('Authorization', `Bearer ${TEST_API_KEY}`)
    .send({ expectedDate: '2030-03-08', reason: 'supplier delay' });
  expect(moved.status).toBe(200);
  expect((await stockOf(BRICK)).inbound[0].expectedDate).toBe('2030-03-08');

  // An order for 3 waits: nothing is on hand.
  const order = await api.post('/orders', orderBody({ lines: [{ sku: BRICK, quantity: 3 }] }));
  expect(order.status).toBe(202);
  await eventually(
    () => orderStatus(order.body.orderId),
    (s) => s === 'awaiting_stock',
    30_000,
    'the order to wait for stock',
  );

  // 4 arrive: the order takes 3, 1 is left to sell, 6 are still expected.
  const receipt = { receiptId: `dock-${run}-1`, lines: [{ sku: BRICK, quantity: 4 }], reference: 'DN-1' };
  const first = await api.post(`/purchase-orders/${PO}/receipts`, receipt);
  expect(first.status).toBe(201);
  expect(first.body).toMatchObject({ duplicate: false, receiptId: receipt.receiptId, purchaseOrder: { status: 'partially_received' } });
  await eventually(
    () => orderStatus(order.body.orderId),
    (s) => s === 'released_to_fulfillment',
    30_000,
    'the order to get its stock',
  );
  stock = await stockOf(BRICK);
  expect(stock.total).toEqual({ onHand: 4, reserved: 3, quarantined: 0, available: 1 });
  expect(stock.inbound).toEqual([{ locationId: 'PU-DC', quantity: 6, expectedDate: '2030-03-08', purchaseOrderId: PO }]);

  // The same receipt again: its first answer, nothing new.
  const again = await api.post(`/purchase-orders/${PO}/receipts`, receipt);
  expect(again.status).toBe(200);
  expect(again.body.duplicate).toBe(true);
  expect(again.body.entries).toEqual(first.body.entries);
  expect((await stockOf(BRICK)).total.onHand).toBe(4);
  expect((await poOf(PO)).lines[0]).toMatchObject({ sku: BRICK, received: 4, outstanding: 6 });
  // More than is expected is refused naming the line.
  const over = await api.post(`/purchase-orders/${PO}/receipts`, { receiptId: `dock-${run}-2`, lines: [{ sku: TILE, quantity: 5 }] });
  expect(over.status).toBe(400);
  expect(over.body.error.details.map((d: { path: string }) => d.path)).toEqual(['lines.0.quantity']);

  // The ERP took in 2 more against our purchase order (and 7 against one that is not ours).
  expect(
    (
      await api.post('/connections', {
        id: `erp-${run}`,
        kind: 'erp',
        name: 'ERP',
        options: { baseUrl: `${ERP}/api/v1` },
        credentials: { apiKey: 'erp-api-key-123456' },
      })
    ).status,
  ).toBe(201);
  const erpReceipt = (id: string, purchaseOrder: string, quantity: number) => ({
    id,
    sku: BRICK,
    warehouse: 'PU-DC',
    quantity,
    purchaseOrder,
    receivedAt: '2030-03-08T09:00:00Z',
  });
  nock(ERP)
    .get('/api/v1/stock-receipts')
    .query(true)
    .times(2)
    .reply(200, { receipts: [erpReceipt(`R-${run}-1`, PO, 2), erpReceipt(`R-${run}-2`, 'PO-ELSEWHERE-1', 7)], nextCursor: null });
  await api.post(`/connections/erp-${run}/sync`);
  await eventually(
    () => poOf(PO),
    (po) => po.lines[0].received === 6,
    30_000,
    'the ERP receipt to count against the purchase order',
  );
  expect((await stockOf(BRICK)).inbound[0].quantity).toBe(4);
  // Pulled again: counted once.
  await api.post(`/connections/erp-${run}/sync`);
  await eventually(async () => nock.isDone(), Boolean, 30_000, 'the second pull');
  await eventually(
    () => stockOf(BRICK),
    (s) => s.total.onHand === 13,
    30_000,
    'both ERP receipts in the ledger',
  );
  await new Promise((r) => setTimeout(r, 1_000)); // let the second pull finish what it read
  expect((await stockOf(BRICK)).total.onHand).toBe(13);
  const afterErp = await poOf(PO);
  expect(afterErp.lines[0]).toMatchObject({ received: 6, outstanding: 4 });
  expect(afterErp.receipts.map((r: { source: string }) => r.source)).toEqual(['api', 'erp']);

  // The rest is cancelled: nothing is expected any more, and nothing more is received.
  const cancelled = await api.post(`/purchase-orders/${PO}/cancel`, { reason: 'supplier out of stock' });
  expect(cancelled.status).toBe(200);
  expect(cancelled.body.purchaseOrder).toMatchObject({
    status: 'cancelled',
    lines: [
      { sku: BRICK, received: 6, cancelled: 4, outstanding: 0 },
      { sku: TILE, received: 0, cancelled: 4, outstanding: 0 },
    ],
  });
  expect((await stockOf(BRICK)).inbound).toEqual([]);
  expect((await stockOf(TILE)).inboundByLocation).toEqual([]);
  expect(
    (await api.post(`/purchase-orders/${PO}/receipts`, { receiptId: `dock-${run}-3`, lines: [{ sku: BRICK, quantity: 1 }] })).status,
  ).toBe(409);
  const listed = await api.get(`/purchase-orders?supplierId=bricks-and-co&status=cancelled&sku=${TILE}`);
  expect(listed.body.purchaseOrders.map((p: { id: string }) => p.id)).toEqual([PO]);
  expect((await api.get('/purchase-orders?status=open')).body.purchaseOrders).toEqual([]);
});
