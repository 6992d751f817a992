import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import nock from 'nock';
import { amazonConnector, createAmazonConnector, type AmazonCredentials, type AmazonOptions } from '../../connectors/amazon';
import { packageReferenceIdFor, toChannelOrder, toMinorUnits } from '../../connectors/amazon/mapper';
import { UpstreamError } from '../../connectors/http';
import type { ChannelOrder, Connector, ConnectorContext } from '../../connectors/types';
import { UnauthorizedError, ValidationError } from '../../domain/errors';
import { totalsOf } from '../../domain/order';
import { testConnectorContext } from '../support/connectors';

const SP = 'https://sellingpartnerapi-na.amazon.com';
const LWA = 'https://api.amazon.com';
const S3 = 'https://tortuga-prod-na.s3-external-1.amazonaws.com';
const NOW = new Date('2026-03-05T12:00:00.000Z');

const OPTIONS: AmazonOptions = { region: 'na', marketplaceIds: ['ATVPDKIKX0DER'], sellerId: 'A2EXAMPLE1SELLR' };
const CREDENTIALS: AmazonCredentials = {
  clientId: 'amzn1.application-oa2-client.0123456789abcdef',
  clientSecret: 'amzn1.oa2-cs.v1.test-client-secret-do-not-log',
  refreshToken: 'Atzr|test-refresh-token-do-not-log',
};

// Vendor JSON as nock reply bodies.
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- vendor JSON, read field by field in assertions
type Json = Record<string, any>;
const fixture = (name: string): Json => JSON.parse(readFileSync(join(__dirname, 'fixtures', 'amazon', `${name}.json`), 'utf8'));

let ctx: ConnectorContext;
let close: () => void;
let connector: Connector;

const build = (options: AmazonOptions = OPTIONS) =>
  createAmazonConnector(options, CREDENTIALS, ctx, { now: () => NOW, feedPolling: { intervalMs: 10, maxPolls: 5 } });

// One LWA token exchange; the form body must carry exactly the documented fields.
function lwaIssues(accessToken: string, expiresIn = 3600) {
  return nock(LWA)
    .post('/auth/o2/token', (body: Record<string, string>) => {
      expect(body).toEqual({
        grant_type: 'refresh_token',
        refresh_token: CREDENTIALS.refreshToken,
        client_id: CREDENTIALS.clientId,
        client_secret: CREDENTIALS.clientSecret,
      });
      return true;
    })
    .matchHeader('content-type', /application\/x-www-form-urlencoded/)
    .reply(200, { access_token: accessToken, refresh_token: CREDENTIALS.refreshToken, token_type: 'bearer', expires_in: expiresIn });
}

beforeAll(() => {
  nock.disableNetConnect();
  nock.enableNetConnect(/127\.0\.0\.1|localhost/);
});
afterAll(() => nock.enableNetConnect());

beforeEach(() => {
  const t = testConnectorContext('amazon');
  ctx = t.ctx;
  close = t.close;
  connector = build();
});
afterEach(() => {
  nock.cleanAll();
  close();
});

describe('Amazon connection settings', () => {
  test('options and credentials are validated when the connection is created', () => {
    expect(amazonConnector.kind).toBe('amazon');
    expect(amazonConnector.optionsSchema.parse(OPTIONS)).toEqual(OPTIONS);
    const bad = amazonConnector.optionsSchema.safeParse({ region: 'us', marketplaceIds: [], extra: 1 });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues.map((i) => i.path.join('.') || i.code).sort()).toEqual([
      'marketplaceIds',
      'region',
      'sellerId',
      'unrecognized_keys',
    ]);
    const creds = amazonConnector.credentialsSchema.safeParse({ clientId: 'x' });
    expect(creds.error?.issues.map((i) => i.path.join('.')).sort()).toEqual(['clientSecret', 'refreshToken']);
  });

  test('the connector polls orders and offers no webhooks (Amazon notifies through SQS/EventBridge)', () => {
    expect(connector.orders).toBeDefined();
    expect(connector.orders?.webhooks).toBeUndefined();
    expect(connector.fulfillment).toBeDefined();
    expect(connector.stock).toBeDefined();
  });
});

describe('Login with Amazon', () => {
  test('the access token is cached and reused, and refreshed once it expires', async () => {
    const first = lwaIssues('Atza|first', 62); // cached for 2 s: 60 s before expires_in
    const sp = nock(SP)
      .get('/sellers/v1/marketplaceParticipations')
      .matchHeader('x-amz-access-token', 'Atza|first')
      .times(2)
      .reply(200, fixture('marketplace-participations'));

    await connector.testConnection();
    await connector.testConnection();
    expect(first.isDone()).toBe(true);

    await new Promise((r) => setTimeout(r, 2200));
    const second = lwaIssues('Atza|second');
    sp.get('/sellers/v1/marketplaceParticipations')
      .matchHeader('x-amz-access-token', 'Atza|second')
      .reply(200, fixture('marketplace-participations'));
    await connector.testConnection();

    expect(second.isDone()).toBe(true);
    expect(sp.isDone()).toBe(true);
  });

  test('a token Amazon calls expired is replaced and the call is retried once', async () => {
    lwaIssues('Atza|stale');
    const sp = nock(SP)
      .get('/sellers/v1/marketplaceParticipations')
      .matchHeader('x-amz-access-token', 'Atza|stale')
      .reply(403, {
        errors: [
          {
            code: 'Unauthorized',
            message: 'Access to requested resource is denied.',
            details: 'The access token you provided has expired.',
          },
        ],
      })
      .get('/sellers/v1/marketplaceParticipations')
      .matchHeader('x-amz-access-token', 'Atza|fresh')
      .reply(200, fixture('marketplace-participations'));
    lwaIssues('Atza|fresh');

    await expect(connector.testConnection()).resolves.toBeUndefined();
    expect(sp.isDone()).toBe(true);
    expect(nock.isDone()).toBe(true);
  });

  test('a 403 for a missing role is not retried and says what to check', async () => {
    lwaIssues('Atza|ok');
    nock(SP)
      .get('/sellers/v1/marketplaceParticipations')
      .reply(403, { errors: [{ code: 'Unauthorized', message: 'Access to requested resource is denied.', details: '' }] });

    const err = await connector.testConnection().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnauthorizedError);
    expect((err as Error).message).toMatch(/getMarketplaceParticipations.*403.*role/);
    expect(nock.isDone()).toBe(true);
  });

  test('a refused refresh token is reported without any secret in the message', async () => {
    nock(LWA)
      .post('/auth/o2/token')
      .reply(400, { error: 'invalid_grant', error_description: 'The request has an invalid grant parameter : refresh_token' });

    const err = await connector.testConnection().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnauthorizedError);
    const text = `${(err as Error).message} ${JSON.stringify(err)}`;
    expect(text).toMatch(/invalid_grant.*credentials\.refreshToken/);
    for (const secret of [CREDENTIALS.clientSecret, CREDENTIALS.refreshToken]) expect(text).not.toContain(secret);
    expect(nock.isDone()).toBe(true);
  });

  test('testConnection names a configured marketplace the seller does not sell in', async () => {
    lwaIssues('Atza|ok');
    nock(SP).get('/sellers/v1/marketplaceParticipations').reply(200, fixture('marketplace-participations'));
    connector = build({ ...OPTIONS, marketplaceIds: ['ATVPDKIKX0DER', 'A2EUQ1WTGCTBG2'] });

    const err = await connector.testConnection().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).problems).toEqual([
      { path: 'options.marketplaceIds.1', message: 'the seller does not sell in marketplace A2EUQ1WTGCTBG2' },
    ]);
  });
});

describe('Amazon orders', () => {
  const SINCE = '2026-03-01T00:00:00Z';

  test('an unshipped order that cannot be mapped is handed back (reason, and what Amazon sent) and the page goes on', async () => {
    lwaIssues('Atza|unmapped');
    const page = fixture('orders-page-1');
    delete page.payload.NextToken;
    const good = page.payload.Orders[0];
    const bad = {
      ...structuredClone(good),
      AmazonOrderId: '902-0000000-0000002',
      ShippingAddress: { City: 'Seattle', PostalCode: '98101', CountryCode: 'US' },
    };
    page.payload.Orders = [bad, good];
    nock(SP)
      .get('/orders/v0/orders')
      .query(true)
      .reply(200, page)
      .get('/orders/v0/orders/902-0000000-0000002/orderItems')
      .reply(200, fixture('order-items-7654321'))
      .get('/orders/v0/orders/902-3159896-1390916/orderItems')
      .reply(200, fixture('order-items-1390916-page-1'))
      .get('/orders/v0/orders/902-3159896-1390916/orderItems')
      .query({ NextToken: 'items-page-2' })
      .reply(200, fixture('order-items-1390916-page-2'));
    const result = await connector.orders!.fetchOrdersUpdatedSince(SINCE);
    expect(result.orders.map((o) => o.order.channelOrderId)).toEqual(['902-3159896-1390916']);
    expect(result.unmapped).toEqual([
      {
        channelOrderId: '902-0000000-0000002',
        raw: { order: bad, items: expect.any(Array) },
        reason: expect.stringContaining('902-0000000-0000002 cannot be mapped'),
        problems: expect.arrayContaining([expect.objectContaining({ path: 'shippingAddress.line1' })]),
      },
    ]);
    // Replayed as it was kept, it is refused the same way; with the address fixed, it maps.
    const kept = result.unmapped![0].raw as { order: Json; items: Json[] };
    expect(() => connector.orders!.mapPolled!(kept)).toThrow(ValidationError);
    const fixed = { ...kept, order: { ...kept.order, ShippingAddress: good.ShippingAddress } };
    expect(connector.orders!.mapPolled!(fixed).order.channelOrderId).toBe('902-0000000-0000002');
    expect(nock.isDone()).toBe(true);
  });

  test('orders are followed through NextToken to the end, with every order item page, Pending and FBA orders skipped', async () => {
    lwaIssues('Atza|orders');
    const sp = nock(SP)
      .get('/orders/v0/orders')
      .query({ MarketplaceIds: 'ATVPDKIKX0DER', LastUpdatedAfter: SINCE })
      .reply(200, fixture('orders-page-1'))
      .get('/orders/v0/orders/902-3159896-1390916/orderItems')
      .reply(200, fixture('order-items-1390916-page-1'))
      .get('/orders/v0/orders/902-3159896-1390916/orderItems')
      .query({ NextToken: 'items-page-2' })
      .reply(200, fixture('order-items-1390916-page-2'))
      // The next page repeats the filters: MarketplaceIds is always required.
      .get('/orders/v0/orders')
      .query({ MarketplaceIds: 'ATVPDKIKX0DER', LastUpdatedAfter: SINCE, NextToken: '2YgYW55IGNhcm5hbCBwbGVhc3VyZS4/+=' })
      .reply(200, fixture('orders-page-2'))
      .get('/orders/v0/orders/113-1234567-7654321/orderItems')
      .reply(200, fixture('order-items-7654321'))
      .get('/orders/v0/orders/113-7654321-1234567/orderItems')
      .reply(200, fixture('order-items-1234567'));

    const seen: ChannelOrder[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await connector.orders!.fetchOrdersUpdatedSince(SINCE, token);
      seen.push(...page.orders);
      token = page.nextPageToken;
      pages++;
    } while (token && pages < 5);

    expect(sp.isDone()).toBe(true);
    expect(nock.isDone()).toBe(true); // no order items fetched for the Pending or the FBA order
    expect(pages).toBe(2);
    expect(seen.map((o) => [o.order.channelOrderId, o.cancelled])).toEqual([
      ['902-3159896-1390916', false],
      ['113-1234567-7654321', true],
      ['113-7654321-1234567', false],
    ]);

    const [paid, cancelled, cod] = seen;
    // Field by field, money in exact cents: 3 + 1 shirts for 29.99 + 10.00 make one line of 4 at 10.00
    // with the 1 cent rounding back as discount on top of the 1.00 promotion.
    expect(paid).toEqual({
      cancelled: false,
      updatedAt: '2026-03-02T20:10:00Z',
      order: {
        channel: 'amazon',
        channelOrderId: '902-3159896-1390916',
        type: 'standard',
        currency: 'USD',
        fulfillment: { method: 'ship' },
        customer: { name: 'Ada Lovelace', email: 'zh1yvb1qj4hgm1q@marketplace.amazon.com', phone: '+1 480-386-0930' },
        shippingAddress: {
          name: 'Ada Lovelace',
          line1: '2201 Westlake Ave',
          line2: 'Suite 200',
          city: 'Seattle',
          region: 'WA',
          postalCode: '98121-2778',
          country: 'US',
          phone: '+1 480-386-0930',
        },
        lines: [
          { sku: 'TEE-M', name: 'Organic cotton T-shirt, size M', quantity: 4, unitPrice: 1000, discount: 101, tax: 320 },
          { sku: 'MUG-01', name: 'Enamel mug', quantity: 2, unitPrice: 1250, discount: 0, tax: 200 },
        ],
        discounts: [],
        shippingAmount: 539,
        payment: { method: 'prepaid', provider: 'manual', alreadyPaid: true, reference: 'amazon:902-3159896-1390916' },
        tags: [],
        placedAt: '2026-03-02T19:49:35Z',
      },
    });
    // The mapped order adds up to Amazon's OrderTotal of 74.58.
    expect(totalsOf(paid.order).total).toBe(7458);

    expect(cancelled.cancelReason).toBe('cancelled on Amazon: Order placed by mistake');
    expect(cancelled.order.lines).toEqual([
      { sku: 'TEE-M', name: 'Organic cotton T-shirt, size M', quantity: 1, unitPrice: 999, discount: 0, tax: 0 },
    ]);

    expect(cod.order).toMatchObject({
      customer: { name: 'Charles Babbage' },
      shippingAddress: {
        company: 'Analytical Engines Inc.',
        line1: '500 Pine St',
        line2: 'Floor 3',
        city: 'Seattle',
        region: 'WA',
        postalCode: '98101',
        country: 'US',
      },
      lines: [{ sku: 'MUG-01', quantity: 1, unitPrice: 1250, discount: 0, tax: 0 }],
      shippingAmount: 300,
      discounts: [{ code: 'amazon-shipping-discount', amount: 300 }],
      payment: { method: 'cash_on_delivery', provider: 'manual', alreadyPaid: false },
      tags: ['b2b'],
    });
    expect(cod.order.customer.email).toBeUndefined();
    expect(totalsOf(cod.order).total).toBe(1250);
  });

  test('without a since the first poll looks back 7 days', async () => {
    lwaIssues('Atza|orders');
    const sp = nock(SP)
      .get('/orders/v0/orders')
      .query({ MarketplaceIds: 'ATVPDKIKX0DER', LastUpdatedAfter: '2026-02-26T12:00:00.000Z' })
      .reply(200, { payload: { Orders: [] } });

    await expect(connector.orders!.fetchOrdersUpdatedSince(undefined)).resolves.toEqual({ orders: [], unmapped: [] });
    expect(sp.isDone()).toBe(true);
  });

  test('a 429 with Retry-After is waited out, then the call succeeds', async () => {
    lwaIssues('Atza|orders');
    const sp = nock(SP)
      .get('/orders/v0/orders')
      .query(true)
      .reply(
        429,
        { errors: [{ code: 'QuotaExceeded', message: 'You exceeded your quota for the requested resource.' }] },
        { 'Retry-After': '1' },
      )
      .get('/orders/v0/orders')
      .query(true)
      .reply(200, { payload: { Orders: [] } }, { 'x-amzn-RateLimit-Limit': '0.0167' });

    const started = Date.now();
    await expect(connector.orders!.fetchOrdersUpdatedSince(SINCE)).resolves.toEqual({ orders: [], unmapped: [] });
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(sp.isDone()).toBe(true);
  });

  test('a 5xx is retried, then the call succeeds', async () => {
    lwaIssues('Atza|orders');
    const sp = nock(SP)
      .get('/orders/v0/orders')
      .query(true)
      .reply(200, { payload: { Orders: [fixture('orders-page-2').payload.Orders[1]] } })
      .get('/orders/v0/orders/113-7654321-1234567/orderItems')
      .reply(503, { errors: [{ code: 'ServiceUnavailable', message: 'Service is temporarily unavailable.' }] })
      .get('/orders/v0/orders/113-7654321-1234567/orderItems')
      .reply(200, fixture('order-items-1234567'));

    const page = await connector.orders!.fetchOrdersUpdatedSince(SINCE);
    expect(page.orders.map((o) => o.order.channelOrderId)).toEqual(['113-7654321-1234567']);
    expect(sp.isDone()).toBe(true);
  });
});

describe('Amazon order mapping', () => {
  const order = {
    AmazonOrderId: '171-0000000-0000001',
    PurchaseDate: '2026-03-01T08:00:00Z',
    LastUpdateDate: '2026-03-01T09:00:00Z',
    OrderStatus: 'Unshipped',
    OrderTotal: { CurrencyCode: 'EUR', Amount: '10.00' },
    ShippingAddress: { Name: 'Ada', AddressLine1: 'Friedrichstr. 43', City: 'Berlin', PostalCode: '10117', CountryCode: 'DE' },
  };
  const item = (over: Record<string, unknown>) => ({
    OrderItemId: '1',
    SellerSKU: 'TEE-M',
    QuantityOrdered: 3,
    ItemPrice: { CurrencyCode: 'EUR', Amount: '10.00' },
    ...over,
  });

  test('a total that does not divide by the quantity keeps the line total exact', () => {
    const mapped = toChannelOrder(order, [item({})], 'amazon');
    expect(mapped.order.lines).toEqual([{ sku: 'TEE-M', quantity: 3, unitPrice: 334, discount: 2, tax: 0 }]);
    expect(totalsOf(mapped.order).total).toBe(1000);
  });

  test('amounts are converted with the currency own decimals, without floats', () => {
    expect(toMinorUnits('19.99', 'USD')).toBe(1999);
    expect(toMinorUnits('0.10', 'EUR')).toBe(10);
    expect(toMinorUnits('1500', 'JPY')).toBe(1500);
    expect(toMinorUnits('1500.00', 'JPY')).toBe(1500);
    expect(toMinorUnits('1.234', 'KWD')).toBe(1234);
    expect(toMinorUnits('1.005', 'USD')).toMatch(/more decimals/);
    expect(toMinorUnits('abc', 'USD')).toMatch(/not a decimal/);
  });

  test('an order that cannot be mapped is refused naming every bad field', () => {
    const err = (() => {
      try {
        toChannelOrder(
          { ...order, ShippingAddress: { City: 'Berlin', PostalCode: '10117', CountryCode: 'DE' } },
          [item({ SellerSKU: undefined }), item({ OrderItemId: '2', SellerSKU: 'MUG', ItemPrice: { Amount: '1.005' } })],
          'amazon',
        );
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).problems.map((p) => p.path).sort()).toEqual([
      'amazon.OrderItems.0.SellerSKU',
      'amazon.OrderItems.1.ItemPrice',
      'customer.name',
      'shippingAddress.line1',
    ]);
    expect((err as Error).message).toContain('171-0000000-0000001');
  });
});

describe('Amazon fulfillment', () => {
  const ORDER_ID = '902-3159896-1390916';
  const itemsBody = () => {
    const page1 = fixture('order-items-1390916-page-1');
    const page2 = fixture('order-items-1390916-page-2');
    return { payload: { AmazonOrderId: ORDER_ID, OrderItems: [...page1.payload.OrderItems, ...page2.payload.OrderItems] } };
  };

  test('a shipment is confirmed with the package, tracking and Amazon order item ids of the shipped skus', async () => {
    lwaIssues('Atza|ship');
    let sent: unknown;
    const sp = nock(SP)
      .get(`/orders/v0/orders/${ORDER_ID}/orderItems`)
      .reply(200, itemsBody())
      .post(`/orders/v0/orders/${ORDER_ID}/shipmentConfirmation`, (body) => ((sent = body), true))
      .matchHeader('x-amz-access-token', 'Atza|ship')
      .reply(204);

    const key = `order:amazon:${ORDER_ID}:shipment-1`;
    await connector.fulfillment!.reportShipment({
      channelOrderId: ORDER_ID,
      carrier: 'ups',
      trackingNumber: '1Z999AA10123456784',
      lines: [
        { sku: 'TEE-M', quantity: 4 },
        { sku: 'MUG-01', quantity: 1 },
      ],
      idempotencyKey: key,
    });

    expect(sp.isDone()).toBe(true);
    expect(sent).toEqual({
      marketplaceId: 'ATVPDKIKX0DER',
      packageDetail: {
        packageReferenceId: packageReferenceIdFor(key),
        carrierCode: 'UPS',
        trackingNumber: '1Z999AA10123456784',
        shipDate: NOW.toISOString(),
        orderItems: [
          { orderItemId: '68828574383266', quantity: 3 },
          { orderItemId: '68828574383267', quantity: 1 },
          { orderItemId: '68828574383268', quantity: 1 },
        ],
      },
    });
    expect(packageReferenceIdFor(key)).toMatch(/^[1-9]\d*$/);
    expect(packageReferenceIdFor(key)).toBe(packageReferenceIdFor(key));
  });

  test('a carrier Amazon has no code for goes as Other with its name; an order in several marketplaces is looked up first', async () => {
    lwaIssues('Atza|ship');
    connector = build({ ...OPTIONS, marketplaceIds: ['ATVPDKIKX0DER', 'A2EUQ1WTGCTBG2'] });
    let sent: { marketplaceId?: string; packageDetail?: Record<string, unknown> } = {};
    const sp = nock(SP)
      .get(`/orders/v0/orders/${ORDER_ID}/orderItems`)
      .reply(200, itemsBody())
      .get(`/orders/v0/orders/${ORDER_ID}`)
      .reply(200, { payload: fixture('orders-page-1').payload.Orders[0] })
      .post(`/orders/v0/orders/${ORDER_ID}/shipmentConfirmation`, (body) => ((sent = body), true))
      .reply(204);

    await connector.fulfillment!.reportShipment({
      channelOrderId: ORDER_ID,
      carrier: 'Hermes Germany',
      trackingNumber: 'H100',
      lines: [{ sku: 'MUG-01', quantity: 2 }],
      idempotencyKey: 'k-2',
    });

    expect(sp.isDone()).toBe(true);
    expect(sent.marketplaceId).toBe('ATVPDKIKX0DER');
    expect(sent.packageDetail).toMatchObject({
      carrierCode: 'Other',
      carrierName: 'Hermes Germany',
      orderItems: [{ orderItemId: '68828574383268', quantity: 2 }],
    });
  });

  test('a shipment Amazon already has is success, and a sku not on the order is refused before calling Amazon', async () => {
    lwaIssues('Atza|ship');
    const sp = nock(SP)
      .get(`/orders/v0/orders/${ORDER_ID}/orderItems`)
      .times(2)
      .reply(200, itemsBody())
      .post(`/orders/v0/orders/${ORDER_ID}/shipmentConfirmation`)
      // Wording as reported in amzn/selling-partner-api-models#5037; the docs list no error text for this.
      .reply(400, {
        errors: [
          {
            code: 'InvalidInput',
            message: 'Failed to create package due to not finding a matching package or order already fulfilled.',
            details: '',
          },
        ],
      });

    const shipment = {
      channelOrderId: ORDER_ID,
      carrier: 'UPS',
      trackingNumber: '1Z1',
      lines: [{ sku: 'MUG-01', quantity: 1 }],
      idempotencyKey: 'k-3',
    };
    await expect(connector.fulfillment!.reportShipment(shipment)).resolves.toBeUndefined();

    const err = await connector
      .fulfillment!.reportShipment({ ...shipment, lines: [{ sku: 'SOCKS', quantity: 1 }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).problems).toEqual([{ path: 'lines.0', message: 'sku SOCKS is not on the Amazon order' }]);
    expect(sp.isDone()).toBe(true);
  });

  test('a cancellation cannot be sent through the API and says to use Seller Central', async () => {
    const err = await connector
      .fulfillment!.reportCancellation({ channelOrderId: ORDER_ID, reason: 'customer asked', idempotencyKey: 'c-1' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UpstreamError);
    expect((err as Error).message).toMatch(new RegExp(`${ORDER_ID}.*Seller Central`));
    expect(nock.pendingMocks()).toEqual([]);
  });
});

describe('Amazon stock', () => {
  const UPLOAD_PATH = '/NinetyDays/amzn1.tortuga.4.na.3d4e42b5-1d6e-44e8-a89c-2abfca0625bb.T3YUVYPGKE9BMY';
  const SIGNED = {
    'X-Amz-Algorithm': 'AWS4-HMAC-SHA256',
    'X-Amz-Date': '20260305T120000Z',
    'X-Amz-SignedHeaders': 'content-type;host',
    'X-Amz-Expires': '300',
    'X-Amz-Credential': 'AKIAEXAMPLE/20260305/us-east-1/s3/aws4_request',
    'X-Amz-Signature': 'f1e2d3c4b5a6',
  };
  const presignedUrl = `${S3}${UPLOAD_PATH}?${new URLSearchParams(SIGNED).toString()}`;

  function feedDocumentAndUpload(onUpload: (body: unknown) => void) {
    nock(SP)
      .post('/feeds/2021-06-30/documents', { contentType: 'application/json; charset=UTF-8' })
      .reply(201, { feedDocumentId: '3d4e42b5-1d6e-44e8-a89c-2abfca0625bb', url: presignedUrl });
    // The upload goes to S3 with the signed query untouched, and never carries the SP-API token.
    nock(S3, { badheaders: ['x-amz-access-token'] })
      .put(UPLOAD_PATH, (body) => (onUpload(body), true))
      .query(SIGNED)
      .matchHeader('content-type', 'application/json; charset=UTF-8')
      .reply(200);
  }

  test('stock goes out as one JSON_LISTINGS_FEED: document, upload, feed, then polled until DONE', async () => {
    lwaIssues('Atza|feeds');
    let uploaded: unknown;
    feedDocumentAndUpload((b) => (uploaded = b));
    const sp = nock(SP)
      .post('/feeds/2021-06-30/feeds', {
        feedType: 'JSON_LISTINGS_FEED',
        marketplaceIds: ['ATVPDKIKX0DER'],
        inputFeedDocumentId: '3d4e42b5-1d6e-44e8-a89c-2abfca0625bb',
      })
      .reply(202, { feedId: '23492394' })
      .get('/feeds/2021-06-30/feeds/23492394')
      .reply(200, { feedId: '23492394', feedType: 'JSON_LISTINGS_FEED', createdTime: '2026-03-05T12:00:01Z', processingStatus: 'IN_QUEUE' })
      .get('/feeds/2021-06-30/feeds/23492394')
      .reply(200, {
        feedId: '23492394',
        feedType: 'JSON_LISTINGS_FEED',
        createdTime: '2026-03-05T12:00:01Z',
        processingStatus: 'IN_PROGRESS',
      })
      .get('/feeds/2021-06-30/feeds/23492394')
      .reply(200, {
        feedId: '23492394',
        feedType: 'JSON_LISTINGS_FEED',
        marketplaceIds: ['ATVPDKIKX0DER'],
        createdTime: '2026-03-05T12:00:01Z',
        processingStatus: 'DONE',
        processingStartTime: '2026-03-05T12:00:30Z',
        processingEndTime: '2026-03-05T12:01:10Z',
        resultFeedDocumentId: '0356cf79-b8b0-4226-b4b9-0ee058ea5760',
      });

    await connector.stock!.setAvailable([
      { sku: 'TEE-M', channelLocationId: 'BER-1', available: 12 },
      { sku: 'TEE-M', channelLocationId: 'HAM-1', available: 3 }, // merchant stock is one number per marketplace
      { sku: 'MUG-01', channelLocationId: 'BER-1', available: -2 },
    ]);

    expect(nock.isDone()).toBe(true);
    expect(sp.isDone()).toBe(true);
    expect(uploaded).toEqual({
      header: { sellerId: 'A2EXAMPLE1SELLR', version: '2.0', issueLocale: 'en_US' },
      messages: [
        {
          messageId: 1,
          sku: 'TEE-M',
          operationType: 'PATCH',
          productType: 'PRODUCT',
          patches: [
            { op: 'merge', path: '/attributes/fulfillment_availability', value: [{ fulfillment_channel_code: 'DEFAULT', quantity: 15 }] },
          ],
        },
        {
          messageId: 2,
          sku: 'MUG-01',
          operationType: 'PATCH',
          productType: 'PRODUCT',
          patches: [
            { op: 'merge', path: '/attributes/fulfillment_availability', value: [{ fulfillment_channel_code: 'DEFAULT', quantity: 0 }] },
          ],
        },
      ],
    });
  });

  test('a FATAL feed is reported as an error naming the feed', async () => {
    lwaIssues('Atza|feeds');
    feedDocumentAndUpload(() => undefined);
    nock(SP).post('/feeds/2021-06-30/feeds').reply(202, { feedId: '50001' }).get('/feeds/2021-06-30/feeds/50001').reply(200, {
      feedId: '50001',
      feedType: 'JSON_LISTINGS_FEED',
      createdTime: '2026-03-05T12:00:01Z',
      processingStatus: 'FATAL',
      resultFeedDocumentId: 'report-1',
    });

    const err = await connector.stock!.setAvailable([{ sku: 'TEE-M', channelLocationId: 'BER-1', available: 1 }]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UpstreamError);
    expect((err as Error).message).toMatch(/feed 50001 ended FATAL/);
    expect(nock.isDone()).toBe(true);
  });
});
