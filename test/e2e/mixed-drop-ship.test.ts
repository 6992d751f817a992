import { createHmac } from 'node:crypto';
import nock from 'nock';
import { createTestContext, type TestContext } from '../support/stack';
import { apiFor, capturesOf } from '../support/api';
import { eventually, location, orderBody } from '../support/fixtures';
import type { OrderView } from '../../domain/order-state';

// Orders mixing stocked and drop-shipped lines over the real stack (Temporal, FerretDB, Redis, the API, the
// webhook consumer): the stocked lines are reserved, released and shipped from a warehouse as a part of
// their own, the drop-shipped lines go to their supplier (a nock stand-in speaking the supplier_http
// contract) as a purchase order, each part capturing its own money.
const SUPPLIER_API = 'https://mixed-supplier.example.test';
const SECRET = 'mixed-drop-ship-shared-secret';
const run = String(Date.now()).slice(-8);
const CONNECTION = `mxsup${run}`;
const DC = `MX${run}-DC`;
const CHAIR = `MX${run}-CHAIR`;
const SOFA = `MX${run}-SOFA`;
const HTTP_SUPPLIER = `mx-sofa-${run}`;
const EMAIL_SUPPLIER = `mx-lamp-${run}`;

let ctx: TestContext;
let api: Awaited<ReturnType<typeof apiFor>>;

beforeAll(async () => {
  nock.disableNetConnect();
  nock.enableNetConnect(/127\.0\.0\.1|localhost/);
  ctx = await createTestContext('e2e_mixed_drop_ship');
  api = await apiFor(ctx, { activityMaxAttempts: 2, activityInitialIntervalMs: 100 });
  await ctx.startWorker();
  await ctx.startConsumers();
  expect((await api.post('/locations', location(DC, 1))).status).toBe(201);
  for (const sku of [CHAIR, SOFA]) expect((await api.post('/items', { sku, name: `Item ${sku}` })).status).toBe(201);
  expect((await api.post('/stock/receipts', { sku: CHAIR, locationId: DC, quantity: 20, reference: `GRN-${run}` })).status).toBe(201);
  const connection = await api.post('/connections', {
    id: CONNECTION,
    kind: 'supplier_http',
    name: 'Sofa Co API',
    options: { baseUrl: SUPPLIER_API },
    credentials: { secret: SECRET },
  });
  expect(connection.status).toBe(201);
  const supplier = (id: string, dropShip: object) => ({
    id,
    name: `Supplier ${id}`,
    leadTimeDays: 5,
    currency: 'EUR',
    contact: { email: `orders@${id}.example`, name: 'Order desk' },
    dropShip,
  });
  expect((await api.post('/suppliers', supplier(HTTP_SUPPLIER, { connectionId: CONNECTION }))).status).toBe(201);
  expect((await api.post('/suppliers', supplier(EMAIL_SUPPLIER, {}))).status).toBe(201);
});
afterAll(async () => {
  await ctx.close();
  nock.cleanAll();
  nock.enableNetConnect();
});

const sign = (body: string) => `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`;
const supplierHook = (event: object) => {
  const body = JSON.stringify(event);
  return api.raw
    .post(`/webhooks/${CONNECTION}`)
    .set({ 'content-type': 'application/json', 'x-orderhub-signature': sign(body) })
    .send(body);
};
const getOrder = async (id: string): Promise<OrderView> => (await api.get(`/orders/${encodeURIComponent(id)}`)).body;
const until = (id: string, ok: (o: OrderView) => boolean, what: string) => eventually(() => getOrder(id), ok, 30_000, `${id} ${what}`);
const stockOf = (sku: string) => api.stockAt(sku, DC);
const captures = (orderId: string) => capturesOf(ctx, orderId);
const event = (id: string, body: object) => api.post(`/orders/${encodeURIComponent(id)}/events`, body);

// The supplier stand-in takes purchase orders; each request's body is kept.
function supplierTakesPurchaseOrders() {
  const received: Record<string, unknown>[] = [];
  const scope = nock(SUPPLIER_API)
    .post('/purchase-orders')
    .reply(function (_uri, body) {
      received.push(typeof body === 'string' ? JSON.parse(body) : (body as Record<string, unknown>));
      return [201, { accepted: true }];
    });
  return { received, scope };
}

// Two chairs from stock and a sofa from the supplier, prepaid (confirmed by an operator).
async function placeMixed(supplierId = HTTP_SUPPLIER): Promise<string> {
  const body = orderBody({
    payment: { method: 'prepaid', alreadyPaid: false },
    lines: [
      { sku: CHAIR, quantity: 2, unitPrice: 9_900 },
      { sku: SOFA, quantity: 1, unitPrice: 49_900, dropShip: { supplierId } } as { sku: string; quantity: number },
    ],
  });
  const placed = await api.post('/orders', body);
  expect(placed.status).toBe(202);
  const id = placed.body.orderId as string;
  await until(id, (o) => o.status === 'awaiting_payment', 'to await payment');
  expect((await api.post(`/orders/${encodeURIComponent(id)}/payment/confirm`, {})).status).toBe(200);
  return id;
}

const released = (o: OrderView) =>
  o.dropShip?.purchaseOrders?.[0]?.status === 'sent' && o.parts?.find((p) => p.id === '2')?.stage === 'released_to_fulfillment';

test('an order of a stocked and a drop-shipped line ships in two parts: the warehouse ships the stocked part, the supplier confirms and ships its own, the captures add up to the total and the order completes', async () => {
  const supplier = supplierTakesPurchaseOrders();
  const before = await stockOf(CHAIR);
  const id = await placeMixed();
  let order = await until(id, released, 'to send the purchase order and release the stocked part');
  expect(order.order.type).toBe('standard');
  expect(order.status).toBe('released_to_fulfillment');
  expect(order.allocation).toBeUndefined();
  expect(order.parts).toEqual([
    expect.objectContaining({ id: '1', locationId: `supplier:${HTTP_SUPPLIER}`, lines: [{ sku: SOFA, quantity: 1 }] }),
    expect.objectContaining({ id: '2', locationId: DC, lines: [{ sku: CHAIR, quantity: 2 }], stage: 'released_to_fulfillment' }),
  ]);
  // The supplier gets the sofa alone; the warehouse holds the chairs alone.
  expect(supplier.scope.isDone()).toBe(true);
  expect(supplier.received[0]).toMatchObject({ orderReference: id, lines: [{ sku: SOFA, quantity: 1 }] });
  const po = order.dropShip!.purchaseOrders[0];
  expect(po).toMatchObject({ supplierId: HTTP_SUPPLIER, part: '1', via: 'http', lines: [{ sku: SOFA, quantity: 1 }] });
  expect(await stockOf(CHAIR)).toMatchObject({ onHand: before.onHand, reserved: before.reserved + 2 });
  // A warehouse event for the supplier's part does not apply.
  expect((await event(id, { type: 'picked', part: '1' })).status).toBe(409);

  // The warehouse picks and ships the chairs: part 2 ships and captures its share; the order waits for the sofa.
  expect((await event(id, { type: 'picked', part: '2' })).status).toBe(200);
  expect((await event(id, { type: 'shipped', part: '2', carrier: 'dhl', trackingNumber: `MX-${run}-2` })).status).toBe(200);
  order = await until(id, (o) => (o.payment.captured ?? 0) > 0, 'to capture the stocked part');
  expect(order.parts![1]).toMatchObject({ stage: 'shipped', shipment: { carrier: 'dhl', trackingNumber: `MX-${run}-2` } });
  expect(order.payment.status).toBe('authorized');
  expect(order.status).toBe('released_to_fulfillment'); // the order follows its slowest part
  await eventually(
    () => stockOf(CHAIR),
    (s) => s.onHand === before.onHand - 2 && s.reserved === before.reserved,
    30_000,
    'the chairs to leave the ledger',
  );
  // Gone in part: the order can no longer be cancelled.
  expect((await api.post(`/orders/${encodeURIComponent(id)}/cancel`, { reason: 'too late' })).status).toBe(409);

  // The supplier confirms, then ships with tracking: the sofa's part ships and captures the rest.
  expect((await supplierHook({ id: `mx-${run}-c`, type: 'confirmed', purchaseOrderId: po.purchaseOrderId })).status).toBe(200);
  await until(id, (o) => o.dropShip!.purchaseOrders[0].status === 'confirmed', 'the confirmation');
  const shipped = { id: `mx-${run}-s`, type: 'shipped', purchaseOrderId: po.purchaseOrderId, carrier: 'UPS', trackingNumber: `1ZMX${run}` };
  expect((await supplierHook(shipped)).status).toBe(200);
  order = await until(id, (o) => o.status === 'shipped', 'every part to ship');
  expect(order.parts![0]).toMatchObject({ stage: 'shipped', shipment: { carrier: 'UPS', trackingNumber: `1ZMX${run}` } });
  const total = order.order.totals.total;
  expect(order.payment).toMatchObject({ status: 'captured', captured: total });
  const all = await captures(id);
  expect(all.map((c) => c.key)).toEqual(['payment:capture:part:1', 'payment:capture:part:2']);
  expect(all.reduce((s, c) => s + c.amount, 0)).toBe(total);
  // The chairs' share: their money and their part of the shipping.
  const chairs = 2 * 9_900;
  expect(all[1].amount).toBe(chairs + Math.trunc((495 * chairs) / (chairs + 49_900)));
  expect(order.parts!.map((p) => p.captured)).toEqual([all[0].amount, all[1].amount]);

  for (const part of ['1', '2']) expect((await event(id, { type: 'delivered', part })).status).toBe(200);
  await until(id, (o) => o.status === 'completed', 'to complete');
  // The sofa never passed through a location of ours.
  expect((await api.get(`/stock/${SOFA}/ledger`)).body.entries).toEqual([]);
});

test('a mixed order held and released waits as one; cancelled before anything shipped it gives the stocked part its stock back and withdraws the purchase order at the supplier', async () => {
  const supplier = supplierTakesPurchaseOrders();
  const before = await stockOf(CHAIR);
  const id = await placeMixed();
  const order = await until(id, released, 'to send the purchase order and release the stocked part');
  expect(supplier.scope.isDone()).toBe(true);
  expect(await stockOf(CHAIR)).toMatchObject({ reserved: before.reserved + 2 });
  const poId = order.dropShip!.purchaseOrders[0].purchaseOrderId;
  // Held and released while both sides wait: held once, and back where it was.
  const path = `/orders/${encodeURIComponent(id)}`;
  expect((await api.post(`${path}/hold`, { reason: 'address check' })).body).toMatchObject({ status: 'on_hold' });
  expect((await api.post(`${path}/release`)).body.status).toBe('released_to_fulfillment');
  const afterHold = await until(id, (o) => o.status === 'released_to_fulfillment' && o.hold === undefined, 'to be released');
  expect(afterHold.history.filter((h) => h.status === 'on_hold')).toHaveLength(1);
  const cancel = nock(SUPPLIER_API).post(`/purchase-orders/${poId}/cancel`).matchHeader('idempotency-key', `${poId}:cancel`).reply(200, {});

  const cancelled = await api.post(`/orders/${encodeURIComponent(id)}/cancel`, { reason: 'customer changed their mind' });
  expect(cancelled.status).toBe(200);
  expect(cancelled.body.status).toBe('cancelled');
  expect(cancel.isDone()).toBe(true);
  expect(cancelled.body.dropShip.purchaseOrders[0].status).toBe('cancelled');
  expect((await api.get(`/purchase-orders/${poId}`)).body).toMatchObject({ status: 'cancelled', dropShip: { status: 'cancelled' } });
  expect(cancelled.body.payment.status).toBe('voided');
  expect(await stockOf(CHAIR)).toMatchObject({ onHand: before.onHand, reserved: before.reserved });
  expect(await captures(id)).toEqual([]);
});

test("a supplier's refusal parks the order without stopping the stocked part, which ships meanwhile; re-routed, the other supplier ships the rest", async () => {
  supplierTakesPurchaseOrders();
  const id = await placeMixed();
  let order = await until(id, released, 'to send the purchase order and release the stocked part');
  const refusedPo = order.dropShip!.purchaseOrders[0].purchaseOrderId;
  expect((await supplierHook({ id: `mx-${run}-r`, type: 'refused', purchaseOrderId: refusedPo, reason: 'no sofas' })).status).toBe(200);
  order = await until(id, (o) => o.status === 'needs_attention', 'the refusal to park the order');
  expect(order.attention).toMatchObject({ step: 'supplier_refused', error: 'no sofas' });

  // The warehouse ships the chairs meanwhile: noted, and the order stays parked for the operator.
  expect((await event(id, { type: 'picked', part: '2' })).status).toBe(200);
  expect((await event(id, { type: 'shipped', part: '2', carrier: 'dhl', trackingNumber: `MX-${run}-R2` })).status).toBe(200);
  order = await until(id, (o) => o.parts![1].stage === 'shipped', 'the stocked part to ship');
  expect(order.status).toBe('needs_attention');
  expect(order.attention).toMatchObject({ step: 'supplier_refused' });

  const rerouted = await api.post(`/orders/${encodeURIComponent(id)}/drop-ship/reroute`, { supplierId: EMAIL_SUPPLIER, part: '1' });
  expect(rerouted.status).toBe(200);
  order = await until(id, (o) => o.dropShip!.purchaseOrders[1]?.status === 'sent', 'the new purchase order');
  expect(order.status).toBe('released_to_fulfillment');
  const answer = await api.post(`/purchase-orders/${order.dropShip!.purchaseOrders[1].purchaseOrderId}/supplier-events`, {
    eventId: `mx-${run}-mail`,
    type: 'shipped',
    carrier: 'GLS',
    trackingNumber: `GLSMX${run}`,
  });
  expect(answer.status).toBe(201);
  order = await until(id, (o) => o.status === 'shipped', 'the re-routed part to ship');
  expect(order.payment).toMatchObject({ status: 'captured', captured: order.order.totals.total });
});

test('a mixed order that must ship in one shipment, or a drop_ship order with a stocked line, is refused naming the field; nothing is written', async () => {
  const lines = [
    { sku: CHAIR, quantity: 1 },
    { sku: SOFA, quantity: 1, dropShip: { supplierId: HTTP_SUPPLIER } } as { sku: string; quantity: number },
  ];
  for (const [body, paths] of [
    [orderBody({ lines, fulfillment: { method: 'ship', allowSplit: false } }), ['fulfillment.allowSplit']],
    [orderBody({ lines, type: 'drop_ship' }), ['lines.0.dropShip']],
  ] as const) {
    const res = await api.post('/orders', body);
    expect(res.status).toBe(400);
    expect(res.body.error.details.map((d: { path: string }) => d.path)).toEqual(paths);
    expect((await api.get(`/orders/${encodeURIComponent(`order:manual:${body.channelOrderId}`)}`)).status).toBe(404);
  }
});
