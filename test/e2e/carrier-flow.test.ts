import nock from 'nock';
import { createTestContext, type TestContext } from '../support/stack';
import { apiFor } from '../support/api';
import { eventually, orderBody } from '../support/fixtures';
import { EP_NOT_FOUND, epBought, epShipment, epSign, epTrackerEvent } from '../support/easypost';

// An order over the real stack from release to delivery with a carrier: the label is bought through the
// carrier rules (EasyPost's API, nock, shaped on its v2 documentation), the first carrier does not serve the
// address so the next one sells the label, and EasyPost's signed tracking webhooks ship, park and deliver it.
const MAIN = 'https://api.easypost.com';
const BACKUP = 'https://backup-easypost.example';
const SECRET = 'easypost-webhook-secret-e2e';
const run = String(Date.now()).slice(-9);
const TRACKING = `9405500105440${run}`;
const customer = { name: 'Steve Brule', line1: '179 N Harbor Dr', city: 'Redondo Beach', region: 'CA', postalCode: '90277', country: 'US' };

let ctx: TestContext;
let api: Awaited<ReturnType<typeof apiFor>>;

beforeAll(async () => {
  nock.disableNetConnect();
  nock.enableNetConnect(/127\.0\.0\.1|localhost/);
  ctx = await createTestContext('e2e_carrier');
  api = await apiFor(ctx, { activityMaxAttempts: 2, activityInitialIntervalMs: 100 });
  await ctx.startWorker();
  await ctx.startConsumers();
});
afterAll(async () => {
  await ctx.close();
  nock.cleanAll();
  nock.enableNetConnect();
});

const shipment = epShipment;
const bought = (id: string, reference: string | null): Record<string, unknown> => epBought(id, reference, TRACKING);
const trackerEvent = (status: string, message: string, trackingCode = TRACKING) => epTrackerEvent(status, message, trackingCode);
const sign = (body: string, secret = SECRET) => epSign(body, secret);
const track = (body: string, signature?: string) =>
  api.raw
    .post('/webhooks/ep-backup')
    .set({ 'content-type': 'application/json', ...(signature && { 'x-hmac-signature': signature }) })
    .send(body);
const orderOf = async (id: string) => (await api.get(`/orders/${encodeURIComponent(id)}`)).body;
const waitFor = (id: string, status: string) =>
  eventually(
    () => orderOf(id),
    (o) => o.status === status,
    30_000,
    `${id} to be ${status}`,
  );

test('a packed order gets its label from the next carrier when the first does not serve the address, and tracking webhooks carry it to delivered', async () => {
  const warehouse = {
    id: 'SFO-1',
    name: 'San Francisco',
    type: 'warehouse',
    address: {
      name: 'Orderhub Warehouse',
      line1: '417 Montgomery Street',
      city: 'San Francisco',
      region: 'CA',
      postalCode: '94104',
      country: 'US',
      phone: '4153334445',
    },
    priority: 1,
  };
  expect((await api.post('/locations', warehouse)).status).toBe(201);
  expect((await api.post('/items', { sku: 'GADGET', name: 'Gadget', weightGrams: 400 })).status).toBe(201);
  expect((await api.post('/stock/receipts', { sku: 'GADGET', locationId: 'SFO-1', quantity: 5 })).status).toBe(201);

  for (const [id, baseUrl] of [
    ['ep-main', `${MAIN}/v2`],
    ['ep-backup', `${BACKUP}/v2`],
  ]) {
    const created = await api.post('/connections', {
      id,
      kind: 'easypost',
      name: id,
      options: { baseUrl },
      credentials: { apiKey: `EZTK_test_${id}`, webhookSecret: SECRET },
    });
    expect(created.status).toBe(201);
    expect(created.body.schedules).toEqual([]);
  }
  // Carrier rules name carrier connections only.
  const wrong = await api.put('/carrier-rules', {
    rules: [{ id: 'us', regions: [{ country: 'US' }], services: [{ carrier: 'nope', service: 'Priority' }] }],
  });
  expect(wrong.status).toBe(400);
  expect(wrong.body.error.details).toEqual([{ path: 'rules.0.services.0.carrier', message: expect.stringMatching(/no connection nope/) }]);
  const rules = await api.put('/carrier-rules', {
    rules: [
      {
        id: 'us',
        regions: [{ country: 'US' }],
        mode: 'priority',
        services: [
          { carrier: 'ep-main', service: 'Priority' },
          { carrier: 'ep-backup', service: 'Priority' },
        ],
      },
    ],
  });
  expect(rules.status).toBe(200);

  // EasyPost: the main account rates nothing for this address; the backup rates and sells.
  const buys: string[] = [];
  nock(MAIN)
    .persist()
    .post('/v2/shipments')
    .reply(201, () => shipment('shp_main', false));
  nock(BACKUP)
    .persist()
    .get(/\/v2\/shipments\/.+/)
    .reply(404, EP_NOT_FOUND)
    .post('/v2/shipments')
    .reply(201, (_u, body) =>
      shipment('shp_backup', true, ((body as { shipment: { reference?: string } }).shipment.reference ?? null) as string | null),
    )
    .post(/\/v2\/shipments\/shp_backup\/buy/)
    .reply(200, () => (buys.push('shp_backup'), bought('shp_backup', null)));

  const { body } = await api.post(
    '/orders',
    orderBody({ currency: 'USD', shippingAddress: customer, lines: [{ sku: 'GADGET', quantity: 2 }] }),
  );
  const orderId = body.orderId as string;
  await waitFor(orderId, 'released_to_fulfillment');
  expect((await api.post(`/orders/${orderId}/events`, { type: 'picked' })).status).toBe(200);
  expect(
    (
      await api.post(`/orders/${orderId}/events`, {
        type: 'packed',
        parcels: [{ weightGrams: 900, lengthMm: 250, widthMm: 200, heightMm: 120 }],
      })
    ).status,
  ).toBe(200);
  const labelled = await eventually(
    () => orderOf(orderId),
    (o) => o.label !== undefined,
    30_000,
    'the label',
  );
  expect(labelled.label).toMatchObject({
    carrierConnectionId: 'ep-backup',
    carrier: 'USPS',
    service: 'Priority',
    trackingNumber: TRACKING,
  });
  expect(labelled.label.explanation.join(' | ')).toMatch(/ep-main/);
  expect(buys).toEqual(['shp_backup']);

  // Tracking: an unsigned or tampered update is refused; signed ones move the order.
  const inTransit = trackerEvent('in_transit', 'Accepted at USPS Origin Facility');
  expect((await track(inTransit)).status).toBe(401);
  expect((await track(inTransit, sign(inTransit, 'not-the-secret'))).status).toBe(401);
  expect((await orderOf(orderId)).status).toBe('packed');
  expect((await track(inTransit, sign(inTransit))).status).toBe(200);
  const shipped = await waitFor(orderId, 'shipped');
  expect(shipped.shipment).toMatchObject({ carrier: 'USPS', trackingNumber: TRACKING });
  expect((await api.get('/stock/GADGET')).body.total).toEqual({ onHand: 3, reserved: 0, quarantined: 0, available: 3 });

  // The carrier cannot deliver: an operator looks at it, then the parcel arrives.
  const exception = trackerEvent('failure', 'Address not found');
  expect((await track(exception, sign(exception))).status).toBe(200);
  const parked = await waitFor(orderId, 'needs_attention');
  expect(parked.attention).toMatchObject({ step: 'carrier_delivery', error: 'Address not found' });
  expect((await api.post(`/orders/${orderId}/retry`)).status).toBe(200);
  await waitFor(orderId, 'shipped');
  // Out for delivery: the order shows the carrier's latest word on the parcel, and stays shipped.
  const outForDelivery = trackerEvent('out_for_delivery', 'Out for Delivery, Expected Delivery by 8:00pm');
  expect((await track(outForDelivery, sign(outForDelivery))).status).toBe(200);
  const onTheVan = await eventually(
    () => orderOf(orderId),
    (o) => o.tracking?.[0]?.status === 'out_for_delivery',
    30_000,
    'out for delivery on the order',
  );
  expect(onTheVan.status).toBe('shipped');
  expect(onTheVan.tracking).toEqual([
    expect.objectContaining({
      trackingNumber: TRACKING,
      carrier: 'USPS',
      status: 'out_for_delivery',
      detail: 'Out for Delivery, Expected Delivery by 8:00pm',
    }),
  ]);
  const delivered = trackerEvent('delivered', 'Delivered, In/At Mailbox');
  expect((await track(delivered, sign(delivered))).status).toBe(200);
  const done = await waitFor(orderId, 'completed');
  expect(done.tracking).toEqual([expect.objectContaining({ trackingNumber: TRACKING, status: 'delivered' })]);
  expect(done.history.map((h: { status: string }) => h.status)).toEqual(
    expect.arrayContaining(['packed', 'shipped', 'needs_attention', 'delivered', 'completed']),
  );
  expect(buys).toEqual(['shp_backup']);
});

test('an order cancelled after its label was bought gets the label voided, its stock back and its payment voided', async () => {
  const refunds: string[] = [];
  nock(BACKUP)
    .post('/v2/shipments/shp_backup/refund')
    .reply(200, () => (refunds.push('shp_backup'), { ...bought('shp_backup', null), refund_status: 'submitted' }));
  const before = (await api.get('/stock/GADGET')).body.total;
  const { body } = await api.post(
    '/orders',
    orderBody({ currency: 'USD', shippingAddress: customer, lines: [{ sku: 'GADGET', quantity: 1 }] }),
  );
  const orderId = body.orderId as string;
  await waitFor(orderId, 'released_to_fulfillment');
  await api.post(`/orders/${orderId}/events`, { type: 'packed' });
  await eventually(
    () => orderOf(orderId),
    (o) => o.label !== undefined,
    30_000,
    'the label',
  );
  expect((await api.post(`/orders/${orderId}/cancel`, { reason: 'customer changed their mind' })).status).toBe(200);
  const cancelled = await waitFor(orderId, 'cancelled');
  expect(cancelled.label.voided).toBe('pending');
  expect(refunds).toEqual(['shp_backup']);
  expect(cancelled.payment.status).toMatch(/voided|refunded/);
  expect((await api.get('/stock/GADGET')).body.total).toEqual(before);
  expect(await ctx.mongo.db.collection('shipping_labels').findOne({ _id: orderId as never })).toMatchObject({
    voided: { status: 'pending' },
  });
});

test('a two-parcel order gets a label per parcel from the same carrier, and is delivered with its last parcel', async () => {
  nock.cleanAll();
  let created = 0;
  const buys: string[] = [];
  const trackingOf = (id: string) => `TRK${run}${id.replace(/\D/g, '')}`;
  nock(MAIN)
    .persist()
    .post('/v2/shipments')
    .reply(201, () => shipment('shp_main', false));
  nock(BACKUP)
    .persist()
    .get(/\/v2\/shipments\/.+/)
    .reply(404, EP_NOT_FOUND)
    .post('/v2/shipments')
    .reply(201, () => shipment(`shp_mp${++created}`, true))
    .post(/\/v2\/shipments\/shp_mp\d+\/buy/)
    .reply(200, (uri) => {
      const id = uri.split('/')[3];
      buys.push(id);
      return { ...bought(id, null), tracking_code: trackingOf(id) };
    });
  const { body } = await api.post(
    '/orders',
    orderBody({ currency: 'USD', shippingAddress: customer, lines: [{ sku: 'GADGET', quantity: 2 }] }),
  );
  const orderId = body.orderId as string;
  await waitFor(orderId, 'released_to_fulfillment');
  const parcels = [
    { weightGrams: 500, lengthMm: 200, widthMm: 150, heightMm: 100 },
    { weightGrams: 700, lengthMm: 300, widthMm: 200, heightMm: 100 },
  ];
  expect((await api.post(`/orders/${orderId}/events`, { type: 'packed', parcels })).status).toBe(200);
  const labelled = await eventually(
    () => orderOf(orderId),
    (o) => o.label !== undefined,
    30_000,
    'the labels',
  );
  expect(buys).toHaveLength(2);
  const [first, second] = buys.map(trackingOf);
  expect(labelled.label).toMatchObject({
    carrierConnectionId: 'ep-backup',
    trackingNumber: first,
    moreParcels: [{ trackingNumber: second }],
  });

  const scan = trackerEvent('in_transit', 'Accepted at USPS Origin Facility', first);
  expect((await track(scan, sign(scan))).status).toBe(200);
  await waitFor(orderId, 'shipped');
  const one = trackerEvent('delivered', 'Delivered, In/At Mailbox', first);
  expect((await track(one, sign(one))).status).toBe(200);
  await eventually(
    () => ctx.mongo.db.collection('webhook_deliveries').findOne({ _id: `ep-backup|${JSON.parse(one).id}` as never }),
    (d) => d?.status === 'processed',
    30_000,
    'the first delivery to be processed',
  );
  expect((await orderOf(orderId)).status).toBe('shipped'); // one parcel of two
  const two = trackerEvent('delivered', 'Delivered, Front Door', second);
  expect((await track(two, sign(two))).status).toBe(200);
  await waitFor(orderId, 'completed');
  expect(buys).toHaveLength(2);
});

test('a purchase whose outcome was unknown at the first carrier is looked up after the next carrier sold the label, and voided', async () => {
  nock.cleanAll();
  const refunds: string[] = [];
  let reference: string | null = null;
  const stray = `STRAY${run}`;
  nock(MAIN)
    .get(/\/v2\/shipments\/.+/)
    .reply(404, EP_NOT_FOUND) // before buying: nothing under this reference yet
    .get(/\/v2\/shipments\/.+/)
    .reply(200, () => epBought('shp_lost', reference, stray)) // afterwards: the purchase went through after all
    .post('/v2/shipments')
    .twice() // rates, then the shipment bought under our reference
    .reply(201, (_u, body) => {
      reference = (body as { shipment: { reference?: string } }).shipment.reference ?? null;
      return shipment('shp_lost', true, reference);
    })
    .post('/v2/shipments/shp_lost/buy')
    .reply(502, { error: { code: 'BAD_GATEWAY', message: 'upstream timed out', errors: [] } })
    .post('/v2/shipments/shp_lost/refund')
    .reply(200, () => (refunds.push('shp_lost'), { ...epBought('shp_lost', reference, stray), refund_status: 'submitted' }));
  nock(BACKUP)
    .get(/\/v2\/shipments\/.+/)
    .reply(404, EP_NOT_FOUND)
    .post('/v2/shipments')
    .twice()
    .reply(201, () => shipment('shp_ok', true))
    .post('/v2/shipments/shp_ok/buy')
    .reply(200, () => ({ ...bought('shp_ok', null), tracking_code: `OK${run}` }));

  const { body } = await api.post(
    '/orders',
    orderBody({ currency: 'USD', shippingAddress: customer, lines: [{ sku: 'GADGET', quantity: 1 }] }),
  );
  const orderId = body.orderId as string;
  await waitFor(orderId, 'released_to_fulfillment');
  expect((await api.post(`/orders/${orderId}/events`, { type: 'packed' })).status).toBe(200);
  const labelled = await eventually(
    () => orderOf(orderId),
    (o) => o.label !== undefined,
    30_000,
    'the label',
  );
  expect(labelled.label).toMatchObject({ carrierConnectionId: 'ep-backup', trackingNumber: `OK${run}` });
  expect(labelled.label.explanation.join(' | ')).toMatch(
    /uncertain purchase at ep-main .* had bought a label after all: void requested \(STRAY/,
  );
  expect(refunds).toEqual(['shp_lost']);
  const record = await ctx.mongo.db.collection('shipping_labels').findOne({ _id: orderId as never });
  expect(record?.strays).toEqual([
    {
      carrierConnectionId: 'ep-main',
      idempotencyKey: expect.stringContaining(orderId),
      outcome: 'void_pending',
      trackingNumber: stray,
      detail: expect.any(String),
    },
  ]);
  expect(nock.isDone()).toBe(true);
});
