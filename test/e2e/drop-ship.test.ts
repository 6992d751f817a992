import { createHmac } from 'node:crypto';
import nock from 'nock';
import { createTestContext, type TestContext } from '../support/stack';
import { apiFor, TEST_API_KEY } from '../support/api';
import { eventually, orderBody } from '../support/fixtures';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { nockShopify } from '../support/shopify-stock';
import { newestStableShopifyVersion } from '../../connectors/shopify';
import { PLUS_PLAN } from '../../bench/shopify-shop';

// Drop-ship orders over the real stack (Temporal, FerretDB, Redis, the API, the webhook consumer): the
// supplier's system is a nock stand-in speaking the supplier_http contract (connectors/supplier-http),
// or an email supplier whose answers an operator records. The goods never touch Orderhub's ledger.
const SUPPLIER_API = 'https://supplier-api.example.test';
const SECRET = 'drop-ship-shared-secret-e2e';
const run = String(Date.now()).slice(-8);
const CONNECTION = `dsup${run}`;
const SOFA = `DS${run}-SOFA`;
const LAMP = `DS${run}-LAMP`;
const RUG = `DS${run}-RUG`;
const HTTP_SUPPLIER = `sofa-co-${run}`;
const EMAIL_SUPPLIER = `lamp-co-${run}`;
const PLAIN_SUPPLIER = `plain-co-${run}`;

let ctx: TestContext;
let api: Awaited<ReturnType<typeof apiFor>>;

beforeAll(async () => {
  nock.disableNetConnect();
  nock.enableNetConnect(/127\.0\.0\.1|localhost/);
  ctx = await createTestContext('e2e_drop_ship');
  api = await apiFor(ctx, { activityMaxAttempts: 2, activityInitialIntervalMs: 100 });
  await ctx.startWorker();
  await ctx.startConsumers();
  for (const sku of [SOFA, LAMP, RUG]) expect((await api.post('/items', { sku, name: `Item ${sku}` })).status).toBe(201);
  const connection = await api.post('/connections', {
    id: CONNECTION,
    kind: 'supplier_http',
    name: 'Sofa Co API',
    options: { baseUrl: SUPPLIER_API },
    credentials: { secret: SECRET },
  });
  expect(connection.status).toBe(201);
  const supplier = (id: string, extra: object) => ({
    id,
    name: `Supplier ${id}`,
    leadTimeDays: 5,
    currency: 'EUR',
    contact: { email: `orders@${id}.example`, name: 'Order desk' },
    ...extra,
  });
  expect((await api.post('/suppliers', supplier(HTTP_SUPPLIER, { dropShip: { connectionId: CONNECTION } }))).status).toBe(201);
  expect((await api.post('/suppliers', supplier(EMAIL_SUPPLIER, { dropShip: {} }))).status).toBe(201);
  expect((await api.post('/suppliers', supplier(PLAIN_SUPPLIER, {}))).status).toBe(201);
});
afterAll(async () => {
  await ctx.close();
  nock.cleanAll();
  nock.enableNetConnect();
});

const sign = (body: string, secret = SECRET) => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
const supplierHook = (event: object, signature?: string) => {
  const body = JSON.stringify(event);
  return api.raw
    .post(`/webhooks/${CONNECTION}`)
    .set({ 'content-type': 'application/json', 'x-orderhub-signature': signature ?? sign(body) })
    .send(body);
};
const orderOf = async (id: string) => (await api.get(`/orders/${encodeURIComponent(id)}`)).body;
const waitFor = (id: string, ok: (o: Awaited<ReturnType<typeof orderOf>>) => boolean, what: string) =>
  eventually(() => orderOf(id), ok, 30_000, what);
const poOf = async (id: string) => (await api.get(`/purchase-orders/${id}`)).body;
const dropShipLine = (sku: string, supplierId: string, quantity = 1) => ({ sku, quantity, unitPrice: 49_900, dropShip: { supplierId } });
const onInvoice = { method: 'invoice', terms: { netDays: 30 } };

// The supplier stand-in takes purchase orders: each request's body, headers and raw text are kept.
function supplierTakesPurchaseOrders() {
  const received: { body: Record<string, unknown>; raw: string; headers: Record<string, string | string[] | undefined> }[] = [];
  const scope = nock(SUPPLIER_API)
    .post('/purchase-orders')
    .reply(function (_uri, body) {
      const raw = typeof body === 'string' ? body : JSON.stringify(body);
      received.push({ body: JSON.parse(raw), raw, headers: this.req.headers });
      return [201, { accepted: true }];
    });
  return { received, scope };
}

test('a drop-ship order is sent to the supplier, confirmed and shipped by its signed webhooks (a resend applied once), then delivered; no stock moves', async () => {
  const supplier = supplierTakesPurchaseOrders();
  const placed = await api.post('/orders', orderBody({ lines: [dropShipLine(SOFA, HTTP_SUPPLIER)], payment: onInvoice }));
  expect(placed.status).toBe(202);
  const orderId = placed.body.orderId as string;

  let order = await waitFor(orderId, (o) => o.dropShip?.purchaseOrders?.[0]?.status === 'sent', 'the purchase order to be sent');
  expect(order.type).toBe('drop_ship');
  expect(order.status).toBe('payment_authorized');
  const [sent] = order.dropShip.purchaseOrders;
  expect(sent).toMatchObject({ supplierId: HTTP_SUPPLIER, part: '1', via: 'http', lines: [{ sku: SOFA, quantity: 1 }] });
  expect(supplier.scope.isDone()).toBe(true);
  const request = supplier.received[0];
  expect(request.headers['idempotency-key']).toBe(sent.purchaseOrderId);
  expect(request.headers['x-orderhub-signature']).toBe(sign(request.raw));
  expect(request.body).toMatchObject({
    id: sent.purchaseOrderId,
    orderReference: orderId,
    lines: [{ sku: SOFA, quantity: 1 }],
    shipTo: { line1: 'Friedrichstrasse 43', postalCode: '10117', country: 'DE' },
  });
  expect(await poOf(sent.purchaseOrderId)).toMatchObject({
    supplierId: HTTP_SUPPLIER,
    status: 'open',
    dropShip: { orderId, part: '1', via: 'http', connectionId: CONNECTION, status: 'sent' },
  });

  // A forged answer is refused; the supplier's signed confirmation is noted on the order.
  const confirmed = { id: `evt-${run}-1`, type: 'confirmed', purchaseOrderId: sent.purchaseOrderId };
  expect((await supplierHook(confirmed, sign(JSON.stringify(confirmed), 'not-the-shared-secret'))).status).toBe(401);
  expect((await supplierHook(confirmed)).status).toBe(200);
  order = await waitFor(orderId, (o) => o.dropShip.purchaseOrders[0].status === 'confirmed', 'the confirmation');
  expect(order.history.map((h: { reason?: string }) => h.reason)).toContain(
    `supplier ${HTTP_SUPPLIER} confirmed purchase order ${sent.purchaseOrderId}`,
  );

  // Shipped with tracking, delivered twice: applied once.
  const shipped = {
    id: `evt-${run}-2`,
    type: 'shipped',
    purchaseOrderId: sent.purchaseOrderId,
    carrier: 'DHL',
    trackingNumber: `00340434${run}`,
  };
  const first = await supplierHook(shipped);
  expect(first.body).toEqual({ received: true, duplicate: false });
  expect((await supplierHook(shipped)).body).toEqual({ received: true, duplicate: true });
  order = await waitFor(orderId, (o) => o.status === 'shipped', 'the order to ship');
  expect(order.shipment).toMatchObject({ carrier: 'DHL', trackingNumber: `00340434${run}` });
  expect(order.dropShip.purchaseOrders[0]).toMatchObject({ status: 'shipped', carrier: 'DHL', trackingNumber: `00340434${run}` });
  expect(order.payment).toMatchObject({ status: 'captured', captured: order.order.totals.total });
  const po = await poOf(sent.purchaseOrderId);
  expect(po.dropShip).toMatchObject({ status: 'shipped', trackingNumber: `00340434${run}` });
  expect(po.history.filter((h: { event: string }) => h.event.startsWith('supplier shipped'))).toHaveLength(1);
  const notices = await eventually(
    async () => (await api.get(`/customer-notifications?orderId=${encodeURIComponent(orderId)}`)).body.notifications,
    (list) => list.length > 0,
    30_000,
    'the customer to be told',
  );
  expect(notices.map((n: { kind: string }) => n.kind)).toEqual(['shipped']);
  expect(notices[0].details).toMatchObject({ carrier: 'DHL', trackingNumber: `00340434${run}` });

  // Gone: it can no longer be cancelled; delivery is reported as for any shipped order.
  expect((await api.post(`/orders/${encodeURIComponent(orderId)}/cancel`, { reason: 'too late' })).status).toBe(409);
  expect((await api.post(`/orders/${encodeURIComponent(orderId)}/events`, { type: 'delivered' })).status).toBe(200);
  order = await waitFor(orderId, (o) => o.status === 'completed', 'the order to complete');
  expect(order.deliveredAt).toBeDefined();

  // The sofa never passed through a location of ours.
  expect((await api.get(`/stock/${SOFA}/ledger`)).body.entries).toEqual([]);
  expect((await api.get(`/stock/${SOFA}`)).body.total).toMatchObject({ onHand: 0, reserved: 0, available: 0 });
  expect((await api.get(`/stock/${SOFA}`)).body.inbound).toEqual([]);
  // Its purchase order takes no receipts.
  const receipt = await api.post(`/purchase-orders/${sent.purchaseOrderId}/receipts`, {
    receiptId: `dock-${run}-1`,
    lines: [{ sku: SOFA, quantity: 1 }],
  });
  expect(receipt.status).toBe(409);
});

test('an email supplier gets the purchase order in the outbox; its refusal parks the order, and after a retry its late shipment ships it', async () => {
  const placed = await api.post('/orders', orderBody({ lines: [dropShipLine(LAMP, EMAIL_SUPPLIER, 2)], payment: onInvoice }));
  expect(placed.status).toBe(202);
  const orderId = placed.body.orderId as string;
  let order = await waitFor(orderId, (o) => o.dropShip?.purchaseOrders?.[0]?.status === 'sent', 'the purchase order to be sent');
  const poId = order.dropShip.purchaseOrders[0].purchaseOrderId as string;
  expect(order.dropShip.purchaseOrders[0].via).toBe('email');
  const outbox = (await api.get(`/customer-notifications?orderId=${encodeURIComponent(orderId)}`)).body.notifications;
  expect(outbox).toEqual([
    expect.objectContaining({
      kind: 'supplier_purchase_order',
      channel: 'supplier',
      to: { name: 'Order desk', email: `orders@${EMAIL_SUPPLIER}.example` },
      details: expect.objectContaining({ purchaseOrderId: poId, items: `${LAMP} ×2` }),
    }),
  ]);

  // A refusal without a reason names the field and writes nothing.
  const versionBefore = (await poOf(poId)).version;
  const bare = await api.post(`/purchase-orders/${poId}/supplier-events`, { type: 'refused' });
  expect(bare.status).toBe(400);
  expect(bare.body.error.details.map((d: { path: string }) => d.path)).toEqual(['reason']);
  expect((await poOf(poId)).version).toBe(versionBefore);

  const refusal = { eventId: `mail-${run}-refused`, type: 'refused', reason: 'lamp discontinued' };
  expect((await api.post(`/purchase-orders/${poId}/supplier-events`, refusal)).status).toBe(201);
  const again = await api.post(`/purchase-orders/${poId}/supplier-events`, refusal);
  expect(again.status).toBe(200);
  expect(again.body.duplicate).toBe(true);
  order = await waitFor(orderId, (o) => o.status === 'needs_attention', 'the refusal to park the order');
  expect(order.attention).toMatchObject({ step: 'supplier_refused', error: 'lamp discontinued' });
  expect(order.history.at(-1).reason).toBe(`supplier ${EMAIL_SUPPLIER} refused purchase order ${poId}: lamp discontinued`);
  expect(order.dropShip.purchaseOrders[0]).toMatchObject({ status: 'refused', reason: 'lamp discontinued' });
  expect((await poOf(poId)).dropShip).toMatchObject({ status: 'refused', reason: 'lamp discontinued' });

  // The operator settles it with the supplier by phone and retries; the supplier then ships after all.
  expect((await api.post(`/orders/${encodeURIComponent(orderId)}/retry`)).status).toBe(200);
  order = await waitFor(orderId, (o) => o.status === 'payment_authorized', 'the order to wait for the supplier again');
  expect(order.attention).toBeUndefined();
  const shipped = await api.raw
    .post(`/purchase-orders/${poId}/supplier-events`)
    .set('Authorization', `Bearer ${TEST_API_KEY}`)
    .set('Idempotency-Key', `mail-${run}-shipped`)
    .send({ type: 'shipped', carrier: 'GLS', trackingNumber: `GLS${run}` });
  expect(shipped.status).toBe(201);
  expect(shipped.body.eventId).toBe(`mail-${run}-shipped`);
  order = await waitFor(orderId, (o) => o.status === 'shipped', 'the late shipment to ship the order');
  expect(order.shipment).toMatchObject({ carrier: 'GLS', trackingNumber: `GLS${run}` });
  // Nothing more can be said about a shipped purchase order.
  const late = await api.post(`/purchase-orders/${poId}/supplier-events`, { type: 'refused', reason: 'changed our mind' });
  expect(late.status).toBe(409);
  expect((await api.get(`/stock/${LAMP}/ledger`)).body.entries).toEqual([]);
});

test("a supplier's refusal by webhook parks the order; the operator re-routes the part to another supplier, which ships it", async () => {
  const supplier = supplierTakesPurchaseOrders();
  const placed = await api.post('/orders', orderBody({ lines: [dropShipLine(RUG, HTTP_SUPPLIER, 3)], payment: onInvoice }));
  const orderId = placed.body.orderId as string;
  let order = await waitFor(orderId, (o) => o.dropShip?.purchaseOrders?.[0]?.status === 'sent', 'the purchase order to be sent');
  expect(supplier.scope.isDone()).toBe(true);
  const refusedPo = order.dropShip.purchaseOrders[0].purchaseOrderId as string;
  const reroute = (body: object) => api.post(`/orders/${encodeURIComponent(orderId)}/drop-ship/reroute`, body);
  // Nothing to re-route while the supplier has not refused.
  expect((await reroute({ supplierId: EMAIL_SUPPLIER })).status).toBe(409);

  const refusal = { id: `evt-${run}-refused`, type: 'refused', purchaseOrderId: refusedPo, reason: 'no rugs left' };
  expect((await supplierHook(refusal)).status).toBe(200);
  order = await waitFor(orderId, (o) => o.status === 'needs_attention', 'the refusal to park the order');
  expect(order.attention).toMatchObject({ step: 'supplier_refused', error: 'no rugs left' });

  // Not to the supplier that refused, nor to one that does not drop-ship; both named, nothing changed.
  expect((await reroute({ supplierId: HTTP_SUPPLIER })).status).toBe(409);
  const plain = await reroute({ supplierId: PLAIN_SUPPLIER });
  expect(plain.status).toBe(400);
  expect(plain.body.error.details.map((d: { path: string }) => d.path)).toEqual(['supplierId']);
  expect((await orderOf(orderId)).status).toBe('needs_attention');

  const rerouted = await reroute({ supplierId: EMAIL_SUPPLIER });
  expect(rerouted.status).toBe(200);
  order = await waitFor(
    orderId,
    (o) => o.dropShip.purchaseOrders.length === 2 && o.dropShip.purchaseOrders[1].status === 'sent',
    'the new purchase order',
  );
  expect(order.status).toBe('payment_authorized');
  const [first, second] = order.dropShip.purchaseOrders;
  expect(first).toMatchObject({ supplierId: HTTP_SUPPLIER, status: 'refused', reason: 'no rugs left' });
  expect(second).toMatchObject({ supplierId: EMAIL_SUPPLIER, via: 'email', part: '1', lines: [{ sku: RUG, quantity: 3 }] });
  expect(order.history.map((h: { reason?: string }) => h.reason)).toContain(
    `re-routed from supplier ${HTTP_SUPPLIER} to ${EMAIL_SUPPLIER}`,
  );
  const answer = await api.post(`/purchase-orders/${second.purchaseOrderId}/supplier-events`, {
    eventId: `mail-${run}-rug`,
    type: 'shipped',
    carrier: 'UPS',
    trackingNumber: `1Z${run}`,
  });
  expect(answer.status).toBe(201);
  order = await waitFor(orderId, (o) => o.status === 'shipped', 'the re-routed part to ship');
  expect(order.shipment).toMatchObject({ carrier: 'UPS', trackingNumber: `1Z${run}` });
  expect(order.payment.status).toBe('captured');
});

test('an order from two suppliers is two parts, each with its purchase order, shipped and captured on its own', async () => {
  const supplier = supplierTakesPurchaseOrders();
  const body = orderBody({ lines: [dropShipLine(SOFA, HTTP_SUPPLIER), dropShipLine(LAMP, EMAIL_SUPPLIER, 2)], payment: onInvoice });
  const placed = await api.post('/orders', body);
  expect(placed.status).toBe(202);
  const orderId = placed.body.orderId as string;
  let order = await waitFor(
    orderId,
    (o) => o.dropShip?.purchaseOrders?.length === 2 && o.dropShip.purchaseOrders.every((p: { status: string }) => p.status === 'sent'),
    'both purchase orders to be sent',
  );
  expect(supplier.scope.isDone()).toBe(true);
  const byPart = Object.fromEntries(order.dropShip.purchaseOrders.map((p: { part: string }) => [p.part, p]));
  expect(byPart['1']).toMatchObject({ supplierId: HTTP_SUPPLIER, via: 'http', lines: [{ sku: SOFA, quantity: 1 }] });
  expect(byPart['2']).toMatchObject({ supplierId: EMAIL_SUPPLIER, via: 'email', lines: [{ sku: LAMP, quantity: 2 }] });
  expect(order.parts.map((p: { id: string; stage: string }) => [p.id, p.stage])).toEqual([
    ['1', 'payment_authorized'],
    ['2', 'payment_authorized'],
  ]);

  const sofa = {
    id: `evt-${run}-split`,
    type: 'shipped',
    purchaseOrderId: byPart['1'].purchaseOrderId,
    carrier: 'DHL',
    trackingNumber: `SPLIT${run}`,
  };
  expect((await supplierHook(sofa)).status).toBe(200);
  order = await waitFor(orderId, (o) => o.parts[0].stage === 'shipped', 'the first part to ship');
  expect(order.status).toBe('payment_authorized'); // the order follows its slowest part
  expect(order.parts[0].captured).toBeGreaterThan(0);
  expect(order.payment.status).toBe('authorized');
  const lamp = await api.post(`/purchase-orders/${byPart['2'].purchaseOrderId}/supplier-events`, {
    type: 'shipped',
    carrier: 'GLS',
    trackingNumber: `LAMP${run}`,
  });
  expect(lamp.status).toBe(201);
  order = await waitFor(orderId, (o) => o.status === 'shipped', 'every part to ship');
  expect(order.payment).toMatchObject({ status: 'captured', captured: order.order.totals.total });
  for (const part of ['1', '2'])
    expect((await api.post(`/orders/${encodeURIComponent(orderId)}/events`, { type: 'delivered', part })).status).toBe(200);
  await waitFor(orderId, (o) => o.status === 'completed', 'the order to complete');
});

test('an order cancelled before the supplier shipped withdraws its purchase order at the supplier; a late shipment webhook changes nothing', async () => {
  const supplier = supplierTakesPurchaseOrders();
  const placed = await api.post('/orders', orderBody({ lines: [dropShipLine(RUG, HTTP_SUPPLIER)], payment: onInvoice }));
  const orderId = placed.body.orderId as string;
  const order = await waitFor(orderId, (o) => o.dropShip?.purchaseOrders?.[0]?.status === 'sent', 'the purchase order to be sent');
  expect(supplier.scope.isDone()).toBe(true);
  const poId = order.dropShip.purchaseOrders[0].purchaseOrderId as string;
  let cancelRaw = '';
  const cancel = nock(SUPPLIER_API)
    .post(`/purchase-orders/${poId}/cancel`, (body) => ((cancelRaw = JSON.stringify(body)), true))
    .matchHeader('idempotency-key', `${poId}:cancel`)
    .reply(200, {});
  // Cancelling the purchase order alone is refused: it belongs to the order.
  expect((await api.post(`/purchase-orders/${poId}/cancel`, {})).status).toBe(409);
  const cancelled = await api.post(`/orders/${encodeURIComponent(orderId)}/cancel`, { reason: 'customer changed their mind' });
  expect(cancelled.status).toBe(200);
  expect(cancelled.body.status).toBe('cancelled');
  expect(cancel.isDone()).toBe(true);
  expect(JSON.parse(cancelRaw)).toEqual({ reason: 'customer changed their mind' });
  expect(cancelled.body.dropShip.purchaseOrders[0].status).toBe('cancelled');
  expect(await poOf(poId)).toMatchObject({ status: 'cancelled', dropShip: { status: 'cancelled' } });
  expect(cancelled.body.payment.status).toBe('voided');

  const late = { id: `evt-${run}-late`, type: 'shipped', purchaseOrderId: poId, carrier: 'DHL', trackingNumber: `LATE${run}` };
  expect((await supplierHook(late)).status).toBe(200);
  await eventually(
    async () => (await ctx.stores.webhooks.get(`${CONNECTION}|${late.id}`))?.status,
    (s) => s === 'ignored',
    30_000,
    'the late shipment to be ignored',
  );
  expect((await poOf(poId)).dropShip.status).toBe('cancelled');
  expect((await orderOf(orderId)).status).toBe('cancelled');
});

test('bad drop-ship input is refused naming every problem, and nothing is written', async () => {
  const refused = async (body: object, paths: string[]) => {
    const res = await api.post('/orders', body);
    expect(res.status).toBe(400);
    expect(res.body.error.details.map((d: { path: string }) => d.path)).toEqual(paths);
    expect(
      (await api.get(`/orders/${encodeURIComponent(`order:manual:${(body as { channelOrderId: string }).channelOrderId}`)}`)).status,
    ).toBe(404);
  };
  // A drop_ship order with a stocked line: the line is named (without the type it ships from stock, in parts).
  await refused(orderBody({ type: 'drop_ship', lines: [dropShipLine(SOFA, HTTP_SUPPLIER), { sku: LAMP, quantity: 1 }] }), [
    'lines.1.dropShip',
  ]);
  // An unknown supplier, and one that does not drop-ship.
  await refused(orderBody({ lines: [dropShipLine(SOFA, 'nobody-at-all'), dropShipLine(LAMP, PLAIN_SUPPLIER)] }), [
    'lines.0.dropShip.supplierId',
    'lines.1.dropShip.supplierId',
  ]);
  // Suppliers ship, nobody collects.
  await refused(orderBody({ lines: [dropShipLine(SOFA, HTTP_SUPPLIER)], fulfillment: { method: 'pickup', pickupLocationId: 'BER-1' } }), [
    'fulfillment.method',
  ]);
  // A bulk import names the line of each order whose supplier does not drop-ship; none is imported.
  const imported = await api.post('/orders/import', {
    orders: [orderBody({ lines: [dropShipLine(SOFA, PLAIN_SUPPLIER)] }), orderBody({ lines: [dropShipLine(LAMP, 'nobody-at-all')] })],
  });
  expect(imported.status).toBe(400);
  expect(imported.body.error.details.map((d: { path: string }) => d.path)).toEqual([
    'rows.1.lines.0.dropShip.supplierId',
    'rows.2.lines.0.dropShip.supplierId',
  ]);
  // A supplier naming a connection that is not a supplier's.
  const badSupplier = await api.post('/suppliers', {
    id: `ghost-${run}`,
    name: 'Ghost',
    leadTimeDays: 1,
    currency: 'EUR',
    contact: { email: 'g@example.com' },
    dropShip: { connectionId: 'no-such-connection' },
  });
  expect(badSupplier.status).toBe(400);
  expect(badSupplier.body.error.details.map((d: { path: string }) => d.path)).toEqual(['dropShip.connectionId']);
  expect((await api.get(`/suppliers/ghost-${run}`)).status).toBe(404);
  // A supplier answer for a purchase order that does not exist; one missing what a shipment needs.
  expect((await api.post('/purchase-orders/DS-NOPE/supplier-events', { type: 'confirmed' })).status).toBe(404);
  const supplierEvent = await api.post('/purchase-orders/DS-NOPE/supplier-events', { type: 'shipped', carrier: 'DHL' });
  expect(supplierEvent.status).toBe(400);
  expect(supplierEvent.body.error.details.map((d: { path: string }) => d.path)).toEqual(['trackingNumber']);
  // A webhook from the supplier connection without a signature.
  const unsigned = await api.raw
    .post(`/webhooks/${CONNECTION}`)
    .set('content-type', 'application/json')
    .send(JSON.stringify({ id: 'evt-unsigned', type: 'confirmed', purchaseOrderId: 'DS-X' }));
  expect(unsigned.status).toBe(401);
  expect(await ctx.stores.webhooks.get(`${CONNECTION}|evt-unsigned`)).toBeNull();
});

test('an item the catalogue has drop-shipped by a supplier routes its order lines there: the order is a drop-ship order without naming the supplier; mixed with stocked items only its own lines are', async () => {
  const VASE = `DS${run}-VASE`;
  const CHAIR = `DS${run}-CHAIR`;
  expect((await api.post('/items', { sku: VASE, name: 'Vase', dropShip: { supplierId: EMAIL_SUPPLIER, unitCost: 1500 } })).status).toBe(
    201,
  );
  expect((await api.post('/items', { sku: CHAIR, name: 'Chair' })).status).toBe(201);

  const placed = await api.post('/orders', orderBody({ lines: [{ sku: VASE, quantity: 2, unitPrice: 3900 }], payment: onInvoice }));
  expect(placed.status).toBe(202);
  const orderId = placed.body.orderId as string;
  const order = await waitFor(orderId, (o) => o.dropShip?.purchaseOrders?.[0]?.status === 'sent', 'the purchase order to be sent');
  expect(order.order.type).toBe('drop_ship');
  expect(order.order.lines[0].dropShip).toEqual({ supplierId: EMAIL_SUPPLIER, unitCost: 1500 });
  expect(order.dropShip.purchaseOrders[0]).toMatchObject({ supplierId: EMAIL_SUPPLIER, via: 'email', lines: [{ sku: VASE, quantity: 2 }] });
  expect((await api.get(`/stock/${VASE}/ledger`)).body.entries).toEqual([]);

  // A vase and a stocked chair in one order: the vase goes to its supplier, the chair stays stocked
  // (test/e2e/mixed-drop-ship.test.ts ships such orders); such an order cannot ship in one shipment.
  const mixedLines = [
    { sku: VASE, quantity: 1, unitPrice: 3900 },
    { sku: CHAIR, quantity: 1, unitPrice: 9900 },
  ];
  const mixed = await api.post('/orders', orderBody({ lines: mixedLines, payment: onInvoice }));
  expect(mixed.status).toBe(202);
  const mixedOrder = await orderOf(mixed.body.orderId);
  expect(mixedOrder.order.type).toBe('standard');
  expect(mixedOrder.order.lines.map((l: { dropShip?: unknown }) => l.dropShip)).toEqual([
    { supplierId: EMAIL_SUPPLIER, unitCost: 1500 },
    undefined,
  ]);
  const inOneShipment = orderBody({ lines: mixedLines, fulfillment: { method: 'ship', allowSplit: false } });
  const refused = await api.post('/orders', inOneShipment);
  expect(refused.status).toBe(400);
  expect(refused.body.error.details).toEqual([
    {
      path: 'fulfillment.allowSplit',
      message: `cannot be false: 1 line(s) ship from stock and the others from supplier ${EMAIL_SUPPLIER}, each shipping its own`,
    },
  ]);
  expect((await api.get(`/orders/${encodeURIComponent(`order:manual:${inOneShipment.channelOrderId}`)}`)).status).toBe(404);

  // The item's supplier removed: its lines are stocked again.
  expect((await api.raw.patch(`/items/${VASE}`).set('Authorization', `Bearer ${TEST_API_KEY}`).send({ dropShip: null })).status).toBe(200);
  const stocked = await api.post('/orders', orderBody({ lines: [{ sku: VASE, quantity: 1, unitPrice: 3900 }] }));
  expect(stocked.status).toBe(202);
  expect((await orderOf(stocked.body.orderId)).order.type).toBe('standard');
});

test("a channel order and a bulk import for items the catalogue drop-ships are drop-shipped by the item's supplier; beside stocked items they ship in parts, and an import refuses what cannot ship as sent, naming the row and column", async () => {
  const POT = `DS${run}-POT`;
  const STOOL = `DS${run}-STOOL`;
  expect((await api.post('/items', { sku: POT, name: 'Pot', dropShip: { supplierId: EMAIL_SUPPLIER } })).status).toBe(201);
  expect((await api.post('/items', { sku: STOOL, name: 'Stool' })).status).toBe(201);

  // A Shopify shop whose orders/create webhooks bring the orders (its API answered by the fake shop).
  const shopDomain = `ds-${run}.myshopify.com`;
  const shopSecret = `shopify-secret-${run}`;
  nockShopify(`https://${shopDomain}`, `/admin/api/${newestStableShopifyVersion()}`, { plan: PLUS_PLAN });
  const channel = `dshop${run}`;
  const created = await api.post('/connections', {
    id: channel,
    kind: 'shopify',
    name: 'Drop-ship storefront',
    options: { shopDomain },
    credentials: { accessToken: 'shpat_drop_ship_e2e_token', webhookSecret: shopSecret },
  });
  expect(created.status).toBe(201);
  const fixture = JSON.parse(readFileSync(join(__dirname, '..', 'connectors', 'fixtures', 'shopify', 'order-cod.json'), 'utf8'));
  const sendOrder = async (id: number, skus: string[]) => {
    const body = JSON.stringify({
      ...fixture,
      id,
      line_items: skus.map((sku) => ({ ...fixture.line_items[0], sku, quantity: 1, current_quantity: 1 })),
    });
    const res = await api.raw
      .post(`/webhooks/${channel}`)
      .set({
        'content-type': 'application/json',
        'x-shopify-topic': 'orders/create',
        'x-shopify-shop-domain': shopDomain,
        'x-shopify-hmac-sha256': createHmac('sha256', shopSecret).update(body, 'utf8').digest('base64'),
        'x-shopify-webhook-id': `ds-${run}-${id}`,
      })
      .send(body);
    expect(res.status).toBe(200);
    return `order:${channel}:${id}`;
  };
  const base = 8_000_000_000_000 + Number(run);

  // A channel order for the pot alone: drop-shipped by the pot's supplier, its purchase order in the outbox.
  const potOrder = await sendOrder(base, [POT]);
  const shipped = await waitFor(potOrder, (o) => o.dropShip?.purchaseOrders?.[0]?.status === 'sent', 'the purchase order to be sent');
  expect(shipped.order.type).toBe('drop_ship');
  expect(shipped.order.lines).toEqual([expect.objectContaining({ sku: POT, dropShip: { supplierId: EMAIL_SUPPLIER } })]);
  expect(shipped.dropShip.purchaseOrders[0]).toMatchObject({
    supplierId: EMAIL_SUPPLIER,
    via: 'email',
    lines: [{ sku: POT, quantity: 1 }],
  });

  // With a stocked stool beside it the channel order ships in parts: the pot by its supplier, the stool from stock.
  const mixedOrder = await sendOrder(base + 1, [POT, STOOL]);
  const mixed = await waitFor(
    mixedOrder,
    (o) => o.dropShip?.purchaseOrders?.[0]?.status === 'sent',
    'the mixed order to send its purchase order',
  );
  expect(mixed.order.lines).toEqual([
    expect.objectContaining({ sku: POT, dropShip: { supplierId: EMAIL_SUPPLIER } }),
    expect.not.objectContaining({ dropShip: expect.anything() }),
  ]);
  expect(mixed.order.lines[1].sku).toBe(STOOL);
  expect(mixed.dropShip.purchaseOrders[0].lines).toEqual([{ sku: POT, quantity: 1 }]);

  // A CSV import: no supplier column, the item decides; the pot beside the stool ships in parts too.
  const header = 'channel,order_ref,customer_name,ship_line1,ship_city,ship_postal_code,ship_country,currency,sku,quantity,unit_price';
  const row = (ref: string, sku: string) => `imp${run},${ref},Buyer GmbH,Industriestr. 1,Berlin,10115,DE,EUR,${sku},3,12.00`;
  const csv = [header, row(`C-${run}-1`, POT), row(`C-${run}-2`, POT), row(`C-${run}-2`, STOOL)].join('\n') + '\n';
  const imported = await api.raw
    .post('/orders/import')
    .set('Authorization', `Bearer ${TEST_API_KEY}`)
    .set('content-type', 'text/csv')
    .send(csv);
  expect(imported.status).toBe(202);
  expect(imported.body).toMatchObject({ orders: 2, refusedOrders: 0, invalidRows: 0 });
  const fromCsv = await waitFor(`order:imp${run}:C-${run}-1`, (o) => o.order?.type === 'drop_ship', 'the imported drop-ship order');
  expect(fromCsv.order.lines).toEqual([expect.objectContaining({ sku: POT, quantity: 3, dropShip: { supplierId: EMAIL_SUPPLIER } })]);
  const mixedCsv = await waitFor(`order:imp${run}:C-${run}-2`, (o) => !!o.order, 'the imported mixed order');
  expect(mixedCsv.order.lines.map((l: { sku: string; dropShip?: unknown }) => [l.sku, l.dropShip])).toEqual([
    [POT, { supplierId: EMAIL_SUPPLIER }],
    [STOOL, undefined],
  ]);

  // JSON: one shipment asked for a pot beside a stool cannot be kept, named by its path.
  const json = {
    orders: [
      orderBody({ channel: `imp${run}`, channelOrderId: `J-${run}-1`, lines: [{ sku: POT, quantity: 1, unitPrice: 1200 }] }),
      orderBody({
        channel: `imp${run}`,
        channelOrderId: `J-${run}-2`,
        fulfillment: { method: 'ship', allowSplit: false },
        lines: [
          { sku: STOOL, quantity: 1, unitPrice: 900 },
          { sku: POT, quantity: 1, unitPrice: 1200 },
        ],
      }),
    ],
  };
  const fromJson = await api.raw
    .post('/orders/import')
    .set('Authorization', `Bearer ${TEST_API_KEY}`)
    .set('content-type', 'application/json')
    .send(JSON.stringify(json));
  expect(fromJson.status).toBe(202);
  expect(fromJson.body.problems).toEqual([
    { row: 2, column: 'fulfillment.allowSplit', message: expect.stringMatching(/^cannot be false: 1 line\(s\) ship from stock/) },
  ]);
  expect((await api.get(`/orders/order:imp${run}:J-${run}-2`)).status).toBe(404);
  const jsonOrder = await waitFor(`order:imp${run}:J-${run}-1`, (o) => o.order?.type === 'drop_ship', 'the imported JSON drop-ship order');
  expect(jsonOrder.order.lines[0].dropShip).toEqual({ supplierId: EMAIL_SUPPLIER });
});
