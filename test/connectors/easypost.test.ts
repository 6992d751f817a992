import { createHmac } from 'node:crypto';
import nock from 'nock';
import { easypostConnector } from '../../connectors/easypost';
import { shipmentReference } from '../../connectors/easypost/mapper';
import type { CarrierGateway } from '../../connectors/types';
import { RateChangedError, RateUnavailableError, type LabelPurchase, type ParcelShipment } from '../../domain/carrier';
import { OrderhubError, UnauthorizedError, UpstreamUnavailableError, ValidationError } from '../../domain/errors';
import { testConnectorContext } from '../support/connectors';
import { uniqueId } from '../support/stack';

// Payloads follow EasyPost's API v2 documentation (docs.easypost.com: Shipment, Rate, PostageLabel,
// Tracker, Event) with only the fields that matter here and a few they add freely.

const API = 'https://api.easypost.com';
const API_KEY = 'EZTK_test_0123456789abcdef';
const WEBHOOK_SECRET = 'whsec-ﬁle-café'; // a ligature and an accent: EasyPost NFKD-normalises the secret
const BASIC = `Basic ${Buffer.from(`${API_KEY}:`).toString('base64')}`;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- vendor JSON, read field by field in assertions
type Json = Record<string, any>;

const closers: (() => void)[] = [];
let carrier: CarrierGateway;

beforeAll(() => {
  nock.disableNetConnect();
  nock.enableNetConnect(/127\.0\.0\.1|localhost/);
});
afterAll(() => nock.enableNetConnect());

function connect(options: Json = {}, credentials: Json = { webhookSecret: WEBHOOK_SECRET }): CarrierGateway {
  const t = testConnectorContext('easypost');
  closers.push(t.close);
  const connector = easypostConnector.create(
    easypostConnector.optionsSchema.parse(options),
    easypostConnector.credentialsSchema.parse({ apiKey: API_KEY, ...credentials }),
    t.ctx,
  );
  return connector.carrier!;
}

beforeEach(() => {
  carrier = connect();
});
afterEach(() => {
  nock.cleanAll();
  closers.splice(0).forEach((close) => close());
});

const SHIPMENT: ParcelShipment = {
  from: {
    name: 'Orderhub Warehouse',
    line1: '417 Montgomery Street',
    line2: '5th Floor',
    city: 'San Francisco',
    region: 'CA',
    postalCode: '94104',
    country: 'US',
    phone: '4153334445',
  },
  to: { name: 'Steve Brule', line1: '179 N Harbor Dr', city: 'Redondo Beach', region: 'CA', postalCode: '90277', country: 'US' },
  parcel: { weightGrams: 1000, lengthMm: 300, widthMm: 200, heightMm: 100 },
};

const rate = (id: string, shipmentId: string, carrierName: string, service: string, amount: string, extra: Json = {}): Json => ({
  id,
  object: 'Rate',
  created_at: '2026-03-02T09:00:01Z',
  updated_at: '2026-03-02T09:00:01Z',
  mode: 'test',
  service,
  carrier: carrierName,
  rate: amount,
  currency: 'USD',
  retail_rate: null,
  retail_currency: null,
  list_rate: amount,
  list_currency: 'USD',
  billing_type: 'easypost',
  delivery_days: null,
  delivery_date: null,
  delivery_date_guaranteed: false,
  est_delivery_days: null,
  shipment_id: shipmentId,
  carrier_account_id: 'ca_b25657e9896e4d63ac8151ac346ac41e',
  ...extra,
});

// POST /v2/shipments answer: rated, not bought.
function shipment(id: string, reference: string | null = null): Json {
  return {
    id,
    object: 'Shipment',
    mode: 'test',
    reference,
    status: 'unknown',
    created_at: '2026-03-02T09:00:00Z',
    is_return: false,
    options: { label_format: 'PDF', currency: 'USD', payment: { type: 'SENDER' }, date_advance: 0 },
    messages: [{ carrier: 'FedEx', type: 'rate_error', message: 'FedEx: account not enabled for test mode' }],
    parcel: { id: 'prcl_1', object: 'Parcel', length: 11.9, width: 7.9, height: 4.0, weight: 35.3, predefined_package: null, mode: 'test' },
    rates: [
      rate('rate_priority', id, 'USPS', 'Priority', '7.47', { delivery_days: 2, est_delivery_days: 2 }),
      rate('rate_ground', id, 'USPS', 'GroundAdvantage', '4.35', { est_delivery_days: 5 }),
      rate('rate_ups', id, 'UPS', 'NextDayAir', '46.85', {
        delivery_days: 1,
        delivery_date: '2026-03-03T23:59:00Z',
        delivery_date_guaranteed: true,
      }),
    ],
    selected_rate: null,
    postage_label: null,
    tracking_code: null,
    tracker: null,
    refund_status: null,
    fees: [],
  };
}

// POST /v2/shipments/:id/buy answer: the same shipment with postage.
function bought(id: string, rateId = 'rate_priority', reference: string | null = null): Json {
  const s = shipment(id, reference);
  return {
    ...s,
    selected_rate: s.rates.find((r: Json) => r.id === rateId),
    tracking_code: '9405500105440232839154',
    postage_label: {
      object: 'PostageLabel',
      id: 'pl_ed73e71d2910440bac0eae34a6e4c9fa',
      label_date: '2026-03-02T09:00:03Z',
      label_resolution: 300,
      label_size: '4x6',
      label_type: 'default',
      label_file_type: 'application/pdf',
      label_url: 'https://easypost-files.s3.us-west-2.amazonaws.com/files/postage_label/20260302/label.pdf',
      label_pdf_url: 'https://easypost-files.s3.us-west-2.amazonaws.com/files/postage_label/20260302/label.pdf',
      label_zpl_url: null,
      label_epl2_url: null,
      label_file: null,
    },
    tracker: {
      id: 'trk_618b',
      object: 'Tracker',
      tracking_code: '9405500105440232839154',
      status: 'unknown',
      carrier: 'USPS',
      public_url: 'https://track.easypost.com/djE6dHJrXzYxOGI',
    },
    fees: [{ object: 'Fee', type: 'PostageFee', amount: '7.47000', charged: true, refunded: false }],
  };
}

const PURCHASE: LabelPurchase = { shipment: SHIPMENT, carrier: 'USPS', service: 'Priority' };

const LABEL = {
  labelId: 'shp_bought1',
  carrier: 'USPS',
  service: 'Priority',
  trackingNumber: '9405500105440232839154',
  price: { amount: 747, currency: 'USD' },
  labelUrl: 'https://easypost-files.s3.us-west-2.amazonaws.com/files/postage_label/20260302/label.pdf',
  labelFormat: 'PDF',
  trackingUrl: 'https://track.easypost.com/djE6dHJrXzYxOGI',
};

// A tracker as EasyPost sends it inside an Event.
function tracker(status: string, extra: Json = {}): Json {
  return {
    id: 'trk_c8e0edb5bb284caa934a0d3db23a148z',
    object: 'Tracker',
    mode: 'test',
    tracking_code: '9400110898825022579493',
    status,
    status_detail: 'arrived_at_destination',
    created_at: '2026-03-02T10:00:00Z',
    updated_at: '2026-03-04T14:05:00Z',
    signed_by: 'John Tester',
    weight: 17.6,
    est_delivery_date: '2026-03-04T14:05:00Z',
    shipment_id: null,
    carrier: 'USPS',
    tracking_details: [
      {
        object: 'TrackingDetail',
        message: 'Pre-Shipment Info Sent to USPS',
        status: 'pre_transit',
        datetime: '2026-03-02T10:00:00Z',
        source: 'USPS',
      },
      { object: 'TrackingDetail', message: 'Delivered, In/At Mailbox', status, datetime: '2026-03-04T13:59:00Z', source: 'USPS' },
    ],
    public_url: 'https://track.easypost.com/djE6dHJrX2M4ZTA',
    ...extra,
  };
}

function event(result: Json, description = 'tracker.updated', id = `evt_${uniqueId('x').replace(/[^a-z0-9]/gi, '')}`): Buffer {
  return Buffer.from(
    JSON.stringify({
      id,
      object: 'Event',
      mode: 'test',
      description,
      previous_attributes: { status: 'out_for_delivery' },
      created_at: '2026-03-04T14:05:01.000Z',
      updated_at: '2026-03-04T14:05:01.000Z',
      pending_urls: ['https://orderhub.example/webhooks/easypost'],
      completed_urls: [],
      user_id: 'user_060ab38db3c04ffaa60f262e5781a9be',
      status: 'pending',
      result,
    }),
  );
}

// What EasyPost sends: HMAC-SHA256 hex over the raw body, keyed with the NFKD form of the secret.
const sign = (body: Buffer, secret = WEBHOOK_SECRET) =>
  `hmac-sha256-hex=${createHmac('sha256', Buffer.from(secret.normalize('NFKD'), 'utf8'))
    .update(body)
    .digest('hex')}`;

describe('EasyPost carrier connector', () => {
  test('options are validated when the connection is created, every bad field named', () => {
    expect(easypostConnector.optionsSchema.parse({})).toEqual({
      baseUrl: 'https://api.easypost.com/v2',
      labelFormat: 'PDF',
      requestsPerSecond: 5,
      burst: 10,
      timeoutMs: 20_000,
    });
    const bad = easypostConnector.optionsSchema.safeParse({ labelFormat: 'GIF', carrierAccountIds: ['acct_1'], timeoutMs: 5 });
    expect(bad.error?.issues.map((i) => i.path.join('.')).sort()).toEqual(['carrierAccountIds.0', 'labelFormat', 'timeoutMs']);
    expect(easypostConnector.credentialsSchema.safeParse({ apiKey: ' ' }).success).toBe(false);
  });

  test('rates come back in integer minor units, sizes go out in ounces and inches rounded up', async () => {
    let sent: Json | undefined;
    const scope = nock(API)
      .post('/v2/shipments', (body) => ((sent = body), true))
      .matchHeader('authorization', BASIC)
      .reply(201, shipment('shp_rates1'));

    const rates = await carrier.rates(SHIPMENT);

    expect(scope.isDone()).toBe(true);
    expect(sent).toEqual({
      shipment: {
        to_address: { name: 'Steve Brule', street1: '179 N Harbor Dr', city: 'Redondo Beach', state: 'CA', zip: '90277', country: 'US' },
        from_address: {
          name: 'Orderhub Warehouse',
          street1: '417 Montgomery Street',
          street2: '5th Floor',
          city: 'San Francisco',
          state: 'CA',
          zip: '94104',
          country: 'US',
          phone: '4153334445',
        },
        // 1000 g = 35.27 oz; 300 x 200 x 100 mm = 11.81 x 7.87 x 3.94 in
        parcel: { weight: '35.3', length: '11.9', width: '7.9', height: '4.0' },
        options: { label_format: 'PDF' },
      },
    });
    expect(rates).toEqual([
      {
        rateId: 'rate_priority',
        carrier: 'USPS',
        service: 'Priority',
        price: { amount: 747, currency: 'USD' },
        deliveryDays: 2,
        deliveryDateGuaranteed: false,
      },
      // 4.35 * 100 is 434.99999999999994 as a float: the decimal string is parsed, not multiplied
      {
        rateId: 'rate_ground',
        carrier: 'USPS',
        service: 'GroundAdvantage',
        price: { amount: 435, currency: 'USD' },
        deliveryDays: 5,
        deliveryDateGuaranteed: false,
      },
      {
        rateId: 'rate_ups',
        carrier: 'UPS',
        service: 'NextDayAir',
        price: { amount: 4685, currency: 'USD' },
        deliveryDays: 1,
        deliveryDate: '2026-03-03',
        deliveryDateGuaranteed: true,
      },
    ]);
  });

  test('a rate request answered 500 is retried and then succeeds', async () => {
    const scope = nock(API)
      .post('/v2/shipments')
      .reply(500, { error: { code: 'INTERNAL_SERVER_ERROR', message: 'Something went wrong', errors: [] } })
      .post('/v2/shipments')
      .reply(201, shipment('shp_rates2'));

    const rates = await carrier.rates(SHIPMENT);

    expect(scope.isDone()).toBe(true);
    expect(rates.map((r) => [r.service, r.price.amount])).toEqual([
      ['Priority', 747],
      ['GroundAdvantage', 435],
      ['NextDayAir', 4685],
    ]);
  });

  test('a label is bought for the requested service on a shipment carrying the purchase reference, as a PDF', async () => {
    const key = `order:shopify:${uniqueId('o')}:label:easypost`;
    const reference = shipmentReference(key);
    let created: Json | undefined;
    let boughtRate: Json | undefined;
    const scope = nock(API)
      .get(`/v2/shipments/${reference}`)
      .reply(404, { error: { code: 'NOT_FOUND', message: 'The requested resource could not be found.', errors: [] } })
      .post('/v2/shipments', (body) => ((created = body), true))
      .reply(201, shipment('shp_bought1', reference))
      .post('/v2/shipments/shp_bought1/buy', (body) => ((boughtRate = body), true))
      .matchHeader('authorization', BASIC)
      .reply(200, bought('shp_bought1', 'rate_priority', reference));

    const label = await carrier.buyLabel(PURCHASE, { idempotencyKey: key });

    expect(scope.isDone()).toBe(true);
    expect(created?.shipment.reference).toBe(reference);
    expect(created?.shipment.options).toEqual({ label_format: 'PDF' });
    expect(boughtRate).toEqual({ rate: { id: 'rate_priority' } });
    expect(label).toEqual(LABEL);
  });

  test('a return label is a shipment with is_return and the outbound addresses unchanged (EasyPost swaps them); an outbound one never says is_return', async () => {
    const key = `return:order:shopify:${uniqueId('o')}:1:return-label:easypost`;
    const reference = shipmentReference(key);
    let created: Json | undefined;
    nock(API)
      .get(`/v2/shipments/${reference}`)
      .reply(404, { error: { code: 'NOT_FOUND', message: 'The requested resource could not be found.', errors: [] } })
      .post('/v2/shipments', (body) => ((created = body), true))
      .reply(201, shipment('shp_return1', reference))
      .post('/v2/shipments/shp_return1/buy')
      .reply(200, bought('shp_return1', 'rate_priority', reference));

    await carrier.buyLabel({ ...PURCHASE, shipment: { ...SHIPMENT, isReturn: true } }, { idempotencyKey: key });

    expect(created?.shipment.is_return).toBe(true);
    expect(created?.shipment.to_address).toMatchObject({ name: 'Steve Brule', zip: '90277' });
    expect(created?.shipment.from_address).toMatchObject({ name: 'Orderhub Warehouse', zip: '94104' });
    let rated: Json | undefined;
    nock(API)
      .post('/v2/shipments', (body) => ((rated = body), true))
      .reply(201, shipment('shp_rates1', null));
    await carrier.rates(SHIPMENT);
    expect(rated?.shipment).not.toHaveProperty('is_return');
  });

  test('the same label purchase retried buys once and returns the same label', async () => {
    const key = `order:shopify:${uniqueId('o')}:label:easypost`;
    const reference = shipmentReference(key);
    let buys = 0;
    nock(API)
      .get(`/v2/shipments/${reference}`)
      .reply(404, { error: { code: 'NOT_FOUND', message: 'The requested resource could not be found.', errors: [] } })
      .post('/v2/shipments')
      .reply(201, shipment('shp_bought1', reference))
      .post('/v2/shipments/shp_bought1/buy')
      .times(2)
      .reply(200, () => (buys++, bought('shp_bought1', 'rate_priority', reference)))
      .get(`/v2/shipments/${reference}`)
      .reply(200, bought('shp_bought1', 'rate_priority', reference));

    const first = await carrier.buyLabel(PURCHASE, { idempotencyKey: key });
    const second = await carrier.buyLabel(PURCHASE, { idempotencyKey: key });

    expect(buys).toBe(1);
    expect(second).toEqual(first);
    expect(second.trackingNumber).toBe('9405500105440232839154');
  });

  test('a purchase whose response was lost fails retryably, and the retry finds the label instead of buying again', async () => {
    carrier = connect({ timeoutMs: 300 });
    const key = `order:shopify:${uniqueId('o')}:label:easypost`;
    const reference = shipmentReference(key);
    let buys = 0;
    let purchased = false; // EasyPost's side of the story
    nock(API)
      .get(`/v2/shipments/${reference}`)
      .reply(404, { error: { code: 'NOT_FOUND', message: 'The requested resource could not be found.', errors: [] } })
      .post('/v2/shipments')
      .reply(201, shipment('shp_lost1', reference))
      // EasyPost buys, but the answer arrives after the client gave up.
      .post('/v2/shipments/shp_lost1/buy')
      .times(2)
      .delay(1_500)
      .reply(200, () => (buys++, (purchased = true), bought('shp_lost1', 'rate_priority', reference)))
      .get(`/v2/shipments/${reference}`)
      .reply(200, () => (purchased ? bought('shp_lost1', 'rate_priority', reference) : shipment('shp_lost1', reference)));

    const err = await carrier.buyLabel(PURCHASE, { idempotencyKey: key }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UpstreamUnavailableError);
    expect((err as Error).message).toMatch(/may or may not have gone through.*same idempotency key/);
    expect(purchased).toBe(true);

    const label = await carrier.buyLabel(PURCHASE, { idempotencyKey: key });

    expect(buys).toBe(1);
    expect(label).toMatchObject({
      labelId: 'shp_lost1',
      trackingNumber: '9405500105440232839154',
      price: { amount: 747, currency: 'USD' },
    });
  });

  test('findLabel answers the label bought under a key, and nothing for a key never used or a shipment never bought', async () => {
    const [used, unbought, unused] = [1, 2, 3].map((i) => `order:shopify:${uniqueId('o')}:label:easypost:${i}`);
    const notFound = { error: { code: 'NOT_FOUND', message: 'The requested resource could not be found.', errors: [] } };
    const scope = nock(API)
      .get(`/v2/shipments/${shipmentReference(used)}`)
      .reply(200, bought('shp_found1', 'rate_priority', shipmentReference(used)))
      .get(`/v2/shipments/${shipmentReference(unbought)}`)
      .reply(200, shipment('shp_unbought2', shipmentReference(unbought)))
      .get(`/v2/shipments/${shipmentReference(unused)}`)
      .reply(404, notFound);

    expect(await carrier.findLabel(used)).toMatchObject({ labelId: 'shp_found1', trackingNumber: '9405500105440232839154' });
    expect(await carrier.findLabel(unbought)).toBeUndefined();
    expect(await carrier.findLabel(unused)).toBeUndefined();
    expect(scope.isDone()).toBe(true);
  });

  test('a retry that finds its shipment created but not bought buys on that shipment, not a new one', async () => {
    const key = `order:shopify:${uniqueId('o')}:label:easypost`;
    const reference = shipmentReference(key);
    const scope = nock(API)
      .get(`/v2/shipments/${reference}`)
      .reply(200, shipment('shp_unbought1', reference))
      .post('/v2/shipments/shp_unbought1/buy', { rate: { id: 'rate_ground' } })
      .reply(200, bought('shp_unbought1', 'rate_ground', reference));

    const label = await carrier.buyLabel({ ...PURCHASE, service: 'GroundAdvantage' }, { idempotencyKey: key });

    expect(scope.isDone()).toBe(true);
    expect(label).toMatchObject({ labelId: 'shp_unbought1', service: 'GroundAdvantage', price: { amount: 435, currency: 'USD' } });
  });

  test('a service EasyPost does not offer for the shipment is refused as unavailable without buying anything', async () => {
    const key = `order:shopify:${uniqueId('o')}:label:easypost`;
    nock(API)
      .get(`/v2/shipments/${shipmentReference(key)}`)
      .reply(404, { error: { code: 'NOT_FOUND', message: 'not found', errors: [] } })
      .post('/v2/shipments')
      .reply(201, shipment('shp_nofedex', shipmentReference(key)));

    const err = await carrier
      .buyLabel({ ...PURCHASE, carrier: 'FedEx', service: 'FEDEX_GROUND' }, { idempotencyKey: key })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RateUnavailableError);
    expect((err as OrderhubError).code).toBe('upstream_rejected');
    expect((err as Error).message).toMatch(/no FedEx FEDEX_GROUND rate.*account not enabled/);
  });

  test('a rate that went up since it was quoted is not bought', async () => {
    const key = `order:shopify:${uniqueId('o')}:label:easypost`;
    const scope = nock(API)
      .get(`/v2/shipments/${shipmentReference(key)}`)
      .reply(200, shipment('shp_dearer', shipmentReference(key)));

    const err = await carrier
      .buyLabel({ ...PURCHASE, maxPrice: { amount: 700, currency: 'USD' } }, { idempotencyKey: key })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RateChangedError);
    expect((err as RateChangedError).current).toEqual({ amount: 747, currency: 'USD' });
    expect(scope.isDone()).toBe(true);
  });

  test("a purchase EasyPost refuses (422) is an upstream_rejected error carrying EasyPost's reason", async () => {
    const key = `order:shopify:${uniqueId('o')}:label:easypost`;
    nock(API)
      .get(`/v2/shipments/${shipmentReference(key)}`)
      .reply(200, shipment('shp_refused', shipmentReference(key)))
      .post('/v2/shipments/shp_refused/buy')
      .reply(422, { error: { code: 'SHIPMENT.POSTAGE.FAILURE', message: 'Missing or invalid ship to attention name', errors: [] } });

    const err = await carrier.buyLabel(PURCHASE, { idempotencyKey: key }).catch((e: unknown) => e);
    expect((err as OrderhubError).code).toBe('upstream_rejected');
    expect((err as Error).message).toMatch(
      /EasyPost refused POST \/shipments\/shp_refused\/buy with 422: SHIPMENT\.POSTAGE\.FAILURE; Missing or invalid ship to attention name/,
    );
  });

  test('a key EasyPost refuses (401) says the API key is wrong', async () => {
    nock(API)
      .post('/v2/shipments')
      .reply(401, { error: { code: 'APIKEY.INACTIVE', message: 'This api key is no longer active.', errors: [] } });
    const err = await carrier.rates(SHIPMENT).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnauthorizedError);
    expect((err as Error).message).toMatch(/EasyPost refused the API key.*APIKEY\.INACTIVE.*apiKey/);
  });

  test('a label is voided through a refund, and voiding it again reports the refund instead of failing', async () => {
    const refunded = (status: string) => ({ ...bought('shp_void1'), refund_status: status });
    const scope = nock(API)
      .post('/v2/shipments/shp_void1/refund')
      .matchHeader('authorization', BASIC)
      .reply(200, refunded('submitted'))
      .post('/v2/shipments/shp_void1/refund')
      .reply(422, { error: { code: 'SHIPMENT.REFUND.UNAVAILABLE', message: 'Refund already requested', errors: [] } })
      .get('/v2/shipments/shp_void1')
      .reply(200, refunded('refunded'));

    await expect(carrier.voidLabel('shp_void1')).resolves.toEqual({ status: 'pending', detail: expect.stringMatching(/submitted/) });
    await expect(carrier.voidLabel('shp_void1')).resolves.toEqual({ status: 'voided' });
    expect(scope.isDone()).toBe(true);
  });

  test('a tracking number is followed through a tracker', async () => {
    let sent: Json | undefined;
    nock(API)
      .post('/v2/trackers', (body) => ((sent = body), true))
      .reply(200, tracker('in_transit', { tracking_code: 'EZ2000000002', est_delivery_date: '2026-03-05T12:00:00Z' }));

    const tracking = await carrier.track('EZ2000000002', 'USPS');

    expect(sent).toEqual({ tracker: { tracking_code: 'EZ2000000002', carrier: 'USPS' } });
    expect(tracking).toEqual({
      trackingNumber: 'EZ2000000002',
      carrier: 'USPS',
      status: 'in_transit',
      carrierStatus: 'in_transit',
      estimatedDeliveryAt: '2026-03-05T12:00:00Z',
      trackingUrl: 'https://track.easypost.com/djE6dHJrX2M4ZTA',
    });
  });
});

describe('EasyPost tracking webhooks', () => {
  test('a signed tracker.updated event verifies and parses to delivered', () => {
    const body = event(tracker('delivered'), 'tracker.updated', 'evt_5b2fd9c4a1e611f0');

    const verified = carrier.webhooks!.verify(body, { 'x-hmac-signature': sign(body), 'content-type': 'application/json' });
    expect(verified).toEqual({ deliveryId: 'evt_5b2fd9c4a1e611f0', topic: 'tracker.updated' });

    expect(carrier.webhooks!.parse(body)).toEqual({
      kind: 'tracking',
      event: {
        eventId: 'evt_5b2fd9c4a1e611f0',
        trackingNumber: '9400110898825022579493',
        carrier: 'USPS',
        status: 'delivered',
        carrierStatus: 'delivered',
        detail: 'Delivered, In/At Mailbox',
        occurredAt: '2026-03-04T13:59:00Z',
        estimatedDeliveryAt: '2026-03-04T14:05:00Z',
      },
    });
  });

  test('the header name may come in any case, as EasyPost writes it', () => {
    const body = event(tracker('delivered'));
    expect(() => carrier.webhooks!.verify(body, { 'X-Hmac-Signature': sign(body) })).not.toThrow();
  });

  test('a signature made with the secret as typed, not NFKD-normalised, is refused', () => {
    const body = event(tracker('delivered'));
    const raw = `hmac-sha256-hex=${createHmac('sha256', WEBHOOK_SECRET).update(body).digest('hex')}`;
    expect(raw).not.toBe(sign(body)); // the secret really changes under NFKD
    expect(() => carrier.webhooks!.verify(body, { 'x-hmac-signature': raw })).toThrow(UnauthorizedError);
  });

  test.each([
    [
      'a tampered body',
      (body: Buffer) => ({
        body: Buffer.from(body.toString().replace('"delivered"', '"return_to_sender"')),
        headers: { 'x-hmac-signature': sign(body) },
      }),
      /does not match the body/,
    ],
    ['an unsigned delivery', (body: Buffer) => ({ body, headers: {} }), /no X-Hmac-Signature header/],
    [
      'a signature with another secret',
      (body: Buffer) => ({ body, headers: { 'x-hmac-signature': sign(body, 'another-secret') } }),
      /does not match the body/,
    ],
    [
      'a bare hex signature without its prefix',
      (body: Buffer) => ({ body, headers: { 'x-hmac-signature': sign(body).replace('hmac-sha256-hex=', '') } }),
      /does not match the body/,
    ],
  ])('%s is refused with a clear error', (_name, make, message) => {
    const { body, headers } = make(event(tracker('delivered')));
    const err = (() => {
      try {
        carrier.webhooks!.verify(body, headers);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(UnauthorizedError);
    expect((err as Error).message).toMatch(message);
  });

  test('a connection without a webhook secret refuses every webhook', () => {
    const unsecured = connect({}, {});
    const body = event(tracker('delivered'));
    expect(() => unsecured.webhooks!.verify(body, { 'x-hmac-signature': sign(body) })).toThrow(/no webhookSecret credential/);
  });

  test.each([
    ['in_transit', 'in_transit'],
    ['out_for_delivery', 'out_for_delivery'],
    ['available_for_pickup', 'out_for_delivery'],
    ['delivered', 'delivered'],
    ['return_to_sender', 'exception'],
    ['failure', 'exception'],
    ['error', 'exception'],
    ['cancelled', 'exception'],
  ])('EasyPost status %s becomes the tracking event %s', (easypostStatus, status) => {
    const parsed = carrier.webhooks!.parse(event(tracker(easypostStatus)));
    expect(parsed).toMatchObject({ kind: 'tracking', event: { status, carrierStatus: easypostStatus } });
  });

  test.each([['pre_transit'], ['unknown']])('EasyPost status %s (nothing moved yet) is ignored', (easypostStatus) => {
    expect(carrier.webhooks!.parse(event(tracker(easypostStatus)))).toEqual({
      kind: 'ignored',
      reason: expect.stringMatching(/nothing has moved/),
    });
  });

  test('events other than tracker updates are ignored', () => {
    expect(carrier.webhooks!.parse(event({ id: 'batch_1', object: 'Batch' }, 'batch.updated'))).toEqual({
      kind: 'ignored',
      reason: 'EasyPost event batch.updated is not acted on',
    });
  });

  test('a tracker event missing its tracking code is a validation error naming the field', () => {
    const { tracking_code: _dropped, ...incomplete } = tracker('delivered');
    const err = (() => {
      try {
        carrier.webhooks!.parse(event(incomplete));
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).problems.map((p) => p.path)).toEqual(['result.tracking_code']);
  });
});
