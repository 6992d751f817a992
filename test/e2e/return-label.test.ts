import nock from 'nock';
import { createTestContext, type TestContext } from '../support/stack';
import { apiFor } from '../support/api';
import { eventually, orderBody } from '../support/fixtures';
import { EP_NOT_FOUND, epBought, epShipment, epSign, epTrackerEvent } from '../support/easypost';
import { parsePdf } from '../support/pdf-text';
import { deliveryKey } from '../../store/webhook-deliveries';

// Getting a return's items back by carrier, over the real stack: the policy issues a return label, bought
// through the carrier rules from EasyPost (nock, shaped on its v2 documentation: POST /shipments with
// is_return, the addresses as on the outbound shipment); EasyPost's signed tracking webhooks then reach the
// return, not an order. A rule whose only carrier is a manual one buys nothing: an operator enters the
// parcel's tracking number. A cancelled return voids its unused label.
const EP = 'https://returns-easypost.example';
const SECRET = 'easypost-return-webhook-secret';
const run = String(Date.now()).slice(-8);
const customer = { name: 'Steve Brule', line1: '179 N Harbor Dr', city: 'Redondo Beach', region: 'CA', postalCode: '90277', country: 'US' };
const WAREHOUSE = {
  id: 'RL-WH',
  name: 'San Francisco',
  type: 'warehouse',
  address: {
    name: 'Orderhub Returns',
    line1: '417 Montgomery Street',
    city: 'San Francisco',
    region: 'CA',
    postalCode: '94104',
    country: 'US',
  },
  priority: 1,
};

let ctx: TestContext;
let api: Awaited<ReturnType<typeof apiFor>>;

beforeAll(async () => {
  nock.disableNetConnect();
  nock.enableNetConnect(/127\.0\.0\.1|localhost/);
  ctx = await createTestContext('e2e_return_label');
  api = await apiFor(ctx, { activityMaxAttempts: 2, activityInitialIntervalMs: 100 });
  await ctx.startWorker();
  await ctx.startConsumers();
  expect((await api.post('/locations', WAREHOUSE)).status).toBe(201);
  expect((await api.post('/items', { sku: 'RL-BOOT', name: 'Boot', weightGrams: 1200 })).status).toBe(201);
  expect((await api.post('/stock/receipts', { sku: 'RL-BOOT', locationId: 'RL-WH', quantity: 50 })).status).toBe(201);
  const ep = await api.post('/connections', {
    id: 'ep-returns',
    kind: 'easypost',
    name: 'EasyPost returns',
    options: { baseUrl: `${EP}/v2` },
    credentials: { apiKey: 'EZTK_test_returns', webhookSecret: SECRET },
  });
  expect(ep.status).toBe(201);
  const courier = await api.post('/connections', {
    id: 'courier-returns',
    kind: 'manual_carrier',
    name: 'Local courier',
    options: { carrierName: 'Local courier', rates: [{ service: 'Courier', amount: 900, currency: 'USD' }] },
    credentials: {},
  });
  expect(courier.status).toBe(201);
  expect((await api.put('/return-policy', { returnLabel: 'carrier' })).status).toBe(200);
});
afterAll(async () => {
  await ctx.close();
  nock.cleanAll();
  nock.enableNetConnect();
});

const getOrder = async (id: string) => (await api.get(`/orders/${id}`)).body;
const getReturn = async (id: string) => (await api.get(`/returns/${id}`)).body;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;
const waitReturn = (id: string, pred: (r: Json) => boolean, what: string): Promise<Json> =>
  eventually(() => getReturn(id), pred, 30_000, what);
const track = (body: string, signature?: string) =>
  api.raw
    .post('/webhooks/ep-returns')
    .set({ 'content-type': 'application/json', ...(signature && { 'x-hmac-signature': signature }) })
    .send(body);

// Delivered through the API as a warehouse reports it, while no carrier rules are set (no outbound label).
async function deliveredOrder(quantity: number) {
  expect((await api.put('/carrier-rules', { rules: [] })).status).toBe(200);
  const created = await api.post(
    '/orders',
    orderBody({ currency: 'USD', shippingAddress: customer, lines: [{ sku: 'RL-BOOT', quantity, unitPrice: 8000 }] }),
  );
  expect(created.status).toBe(202);
  const id: string = created.body.orderId;
  await eventually(
    () => getOrder(id),
    (o) => o.status === 'released_to_fulfillment',
    30_000,
    `${id} released`,
  );
  for (const event of [
    { type: 'picked' },
    { type: 'packed' },
    { type: 'shipped', carrier: 'manual', trackingNumber: `OUT${id.slice(-8).replace(/[^A-Za-z0-9]/g, '')}` },
    { type: 'delivered' },
  ])
    expect((await api.post(`/orders/${id}/events`, event)).status).toBe(200);
  await eventually(
    () => getOrder(id),
    (o) => o.status === 'delivered' || o.status === 'completed',
    30_000,
    `${id} delivered`,
  );
  return id;
}

const useRules = async (carrier: string, service: string) =>
  expect(
    (
      await api.put('/carrier-rules', {
        rules: [{ id: 'us', regions: [{ country: 'US' }], mode: 'priority', services: [{ carrier, service }] }],
      })
    ).status,
  ).toBe(200);

// EasyPost sells one return label per shipment reference; the request bodies are kept for checks.
function easyPostSells(shipmentId: string, trackingCode: string) {
  const created: Record<string, unknown>[] = [];
  nock(EP)
    .get(/\/v2\/shipments\/orderhub-.+/)
    .reply(404, EP_NOT_FOUND)
    .post('/v2/shipments')
    .times(2) // rated, then created under its reference to buy
    .reply(201, (_u, body) => {
      created.push((body as { shipment: Record<string, unknown> }).shipment);
      return epShipment(shipmentId, true, (body as { shipment: { reference: string } }).shipment.reference);
    })
    .post(`/v2/shipments/${shipmentId}/buy`)
    .reply(200, () => epBought(shipmentId, null, trackingCode));
  return created;
}

test('an approved return gets a return label through the carrier rules (EasyPost is_return), on its authorisation and notice; signed tracking webhooks move the return, not an order', async () => {
  const [orderId, other] = [await deliveredOrder(2), await deliveredOrder(1)];
  await useRules('ep-returns', 'Priority');
  const tracking = `9405500105441${run}`;
  const created = easyPostSells(`shp_ret${run}`, tracking);

  const asked = await api.post(`/orders/${orderId}/returns`, {
    lines: [{ sku: 'RL-BOOT', quantity: 1 }],
    reason: 'wrong_size',
    resolution: 'refund',
  });
  expect(asked.status).toBe(201);
  const returnId: string = asked.body.returnId;
  const waiting = await waitReturn(returnId, (r) => r.status === 'awaiting_items', 'the return to wait for its items');
  expect(waiting.label).toEqual({
    source: 'bought',
    carrier: 'USPS',
    service: 'Priority',
    trackingNumber: tracking,
    carrierConnectionId: 'ep-returns',
    labelUrl: `https://easypost-files.example/shp_ret${run}.pdf`,
    trackingUrl: `https://track.easypost.com/shp_ret${run}`,
    price: { amount: 747, currency: 'USD' },
  });
  expect(waiting.history.map((h: { reason?: string }) => h.reason)).toContainEqual(
    expect.stringMatching(new RegExp(`^return label USPS Priority ${tracking} \\(rule us`)),
  );
  // Rated, then bought as EasyPost documents returns: is_return, the addresses as on the outbound shipment.
  expect(created).toHaveLength(2);
  expect(created[0].reference).toBeUndefined();
  expect(created[1].reference).toMatch(/^orderhub-/);
  for (const shipment of created)
    expect(shipment).toMatchObject({
      is_return: true,
      to_address: { name: 'Steve Brule', street1: '179 N Harbor Dr', zip: '90277', country: 'US' },
      from_address: { name: 'Orderhub Returns', street1: '417 Montgomery Street', zip: '94104', country: 'US' },
      parcel: { weight: '42.4' }, // one 1.2 kg boot in ounces, rounded up
    });
  expect(nock.isDone()).toBe(true);

  // The customer's notice and the return authorisation carry the label.
  const approved = await eventually(
    () => ctx.stores.notifications.forOrder(orderId),
    (n) => n.some((x) => x.kind === 'return_approved'),
    30_000,
    'the approval notice',
  );
  expect(approved.find((n) => n.kind === 'return_approved')!.details).toMatchObject({
    carrier: 'USPS',
    trackingNumber: tracking,
    labelUrl: `https://easypost-files.example/shp_ret${run}.pdf`,
  });
  const ra = await api.getBinary(`/documents/${encodeURIComponent(`doc:return_authorisation:${returnId}`)}`);
  expect(ra.status).toBe(200);
  expect((await parsePdf(ra.body as Buffer)).text).toContain(tracking);

  // Tracking: unsigned is refused; signed scans show on the return; the order's own status is untouched.
  const inTransit = epTrackerEvent('in_transit', 'Accepted at USPS Origin Facility', tracking);
  expect((await track(inTransit)).status).toBe(401);
  expect((await track(inTransit, epSign(inTransit, SECRET))).status).toBe(200);
  await waitReturn(returnId, (r) => (r.tracking as { status?: string } | undefined)?.status === 'in_transit', 'in transit on the return');
  const delivered = epTrackerEvent('delivered', 'Delivered to the returns desk', tracking);
  expect((await track(delivered, epSign(delivered, SECRET))).status).toBe(200);
  const back = await waitReturn(returnId, (r) => (r.tracking as { status?: string } | undefined)?.status === 'delivered', 'delivered');
  expect(back.status).toBe('awaiting_items');
  expect(back.tracking).toMatchObject({ status: 'delivered', detail: 'Delivered to the returns desk' });
  expect((await getOrder(orderId)).status).toMatch(/^(delivered|completed)$/);
  for (const [body, outcome] of [
    [inTransit, `in_transit -> ${returnId}`],
    [delivered, `delivered -> ${returnId}`],
  ]) {
    const key = deliveryKey('ep-returns', (JSON.parse(body) as { id: string }).id);
    const settled = await eventually(
      () => ctx.stores.webhooks.get(key),
      (d) => d?.status === 'processed',
      30_000,
      `${key} processed`,
    );
    expect(settled?.outcome).toBe(outcome);
  }

  // Scanned in at the warehouse: received, restocked and refunded as any return.
  expect(
    (
      await api.post(`/returns/${returnId}/receive`, {
        locationId: 'RL-WH',
        scanned: [{ sku: 'RL-BOOT', quantity: 1 }],
        inspection: { lines: [{ sku: 'RL-BOOT', quantity: 1, disposition: 'restock' }] },
      })
    ).status,
  ).toBe(200);
  await waitReturn(returnId, (r) => r.status === 'refunded', 'refunded');
  // A second order's return gets a label of its own, under its own key.
  const secondTracking = `9405500105442${run}`;
  const secondCreated = easyPostSells(`shp_ret2${run}`, secondTracking);
  const second = await api.post(`/orders/${other}/returns`, {
    lines: [{ sku: 'RL-BOOT', quantity: 1 }],
    reason: 'damaged',
    resolution: 'refund',
  });
  const secondWaiting = await waitReturn(second.body.returnId, (r) => r.status === 'awaiting_items', 'the second return');
  expect(secondWaiting.label.trackingNumber).toBe(secondTracking);
  expect(secondCreated[1].reference).not.toEqual(created[1].reference);

  // Cancelled before the parcel left: its unused label is voided at EasyPost.
  const refunds: string[] = [];
  nock(EP)
    .post(`/v2/shipments/shp_ret2${run}/refund`)
    .reply(200, () => {
      refunds.push(`shp_ret2${run}`);
      return { ...epBought(`shp_ret2${run}`, null, secondTracking), refund_status: 'submitted' };
    });
  const cancelled = await api.post(`/returns/${second.body.returnId}/cancel`, { reason: 'kept the boots' });
  expect(cancelled.status).toBe(200);
  const gone = await waitReturn(second.body.returnId, (r) => r.status === 'cancelled', 'cancelled');
  expect(refunds).toEqual([`shp_ret2${run}`]);
  expect(gone.label.voided).toEqual({ status: 'pending', detail: expect.any(String) });
});

test('a rule whose only carrier is manual buys no label: the return says why, and the tracking number an operator enters routes that carrier’s webhooks to it', async () => {
  const orderId = await deliveredOrder(1);
  await useRules('courier-returns', 'Courier');
  const asked = await api.post(`/orders/${orderId}/returns`, {
    lines: [{ sku: 'RL-BOOT', quantity: 1 }],
    reason: 'damaged',
    resolution: 'refund',
  });
  expect(asked.status).toBe(201);
  const returnId: string = asked.body.returnId;
  const waiting = await waitReturn(returnId, (r) => r.status === 'awaiting_items', 'waiting for its items');
  expect(waiting.label).toBeUndefined();
  expect(waiting.history.map((h: { reason?: string }) => h.reason)).toContainEqual(
    expect.stringMatching(
      /^no return label: rule us \(priority\) covers US 90277; courier-returns Courier: buying .* tracking number is required.*POST \/returns\/:id\/label/,
    ),
  );

  // Bad input names the field, and nothing is written.
  const unknown = await api.post(`/returns/${returnId}/label`, { trackingNumber: 'JJD000390007835413', carrierConnectionId: 'nope' });
  expect(unknown.status).toBe(400);
  expect(unknown.body.error.details).toEqual([{ path: 'carrierConnectionId', message: 'unknown connection nope' }]);
  const noCarrier = await api.post(`/returns/${returnId}/label`, { trackingNumber: 'JJD000390007835413' });
  expect(noCarrier.status).toBe(400);
  expect(noCarrier.body.error.details).toEqual([{ path: 'carrier', message: 'is required when no carrierConnectionId names the carrier' }]);
  expect((await getReturn(returnId)).label).toBeUndefined();

  // The customer dropped it at a USPS counter: the operator enters it under the EasyPost connection.
  const tracking = `9405500105443${run}`;
  const entered = await api.post(`/returns/${returnId}/label`, {
    trackingNumber: tracking,
    carrierConnectionId: 'ep-returns',
    carrier: 'USPS',
  });
  expect(entered.status).toBe(200);
  expect(entered.body.label).toEqual({ source: 'attached', carrier: 'USPS', trackingNumber: tracking, carrierConnectionId: 'ep-returns' });
  const again = await api.post(`/returns/${returnId}/label`, { trackingNumber: 'OTHER123', carrier: 'DHL' });
  expect(again.status).toBe(409);
  expect(again.body.error.message).toBe(`Return ${returnId} has a return label already (USPS ${tracking})`);

  const scan = epTrackerEvent('in_transit', 'Accepted at USPS Origin Facility', tracking);
  expect((await track(scan, epSign(scan, SECRET))).status).toBe(200);
  await waitReturn(returnId, (r) => (r.tracking as { status?: string } | undefined)?.status === 'in_transit', 'in transit');

  // Received: no parcel can be entered any more.
  expect((await api.post(`/returns/${returnId}/receive`, { locationId: 'RL-WH', scanned: [{ sku: 'RL-BOOT', quantity: 1 }] })).status).toBe(
    200,
  );
  const late = await api.post(`/returns/${returnId}/label`, { trackingNumber: 'OTHER123', carrier: 'DHL' });
  expect(late.status).toBe(409);
  expect(late.body.error.message).toMatch(/is received: a parcel can be entered only while the return waits for its items/);
});
