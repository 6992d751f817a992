import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import nock from 'nock';
import { amazonConnector, createAmazonConnector, type AmazonCredentials, type AmazonOptions } from '../../connectors/amazon';
import { packageReferenceIdFor, parseOrder, toChannelOrder, toMinorUnits } from '../../connectors/amazon/mapper';
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
  const DATASETS = 'BUYER,RECIPIENT,PROCEEDS,FULFILLMENT,CANCELLATION';
  // searchOrders as the connector must call it: the filters and datasets repeated on every page.
  const search = (lastUpdatedAfter: string, paginationToken?: string) => ({
    lastUpdatedAfter,
    marketplaceIds: 'ATVPDKIKX0DER',
    fulfilledBy: 'MERCHANT',
    includedData: DATASETS,
    maxResultsPerPage: '100',
    ...(paginationToken && { paginationToken }),
  });

  test('an order that cannot be mapped is handed back (reasons, and what Amazon sent) and the page goes on', async () => {
    lwaIssues('Atza|unmapped');
    const page = fixture('search-orders-page-1');
    delete page.pagination;
    const good = page.orders[0];
    const noAddress = {
      ...structuredClone(good),
      orderId: '902-0000000-0000002',
      recipient: { deliveryAddress: { city: 'Seattle', postalCode: '98101', countryCode: 'US' } },
    };
    // Missing what the model requires: the page still goes on, and every missing field is named.
    const broken = { orderId: '902-0000000-0000003', createdTime: '2026-03-02T19:00:00Z', orderItems: [{ orderItemId: '1', product: {} }] };
    page.orders = [noAddress, broken, good];
    nock(SP).get('/orders/2026-01-01/orders').query(search(SINCE)).reply(200, page);

    const result = await connector.orders!.fetchOrdersUpdatedSince(SINCE);
    expect(result.orders.map((o) => o.order.channelOrderId)).toEqual(['902-3159896-1390916']);
    expect(result.unmapped).toEqual([
      {
        channelOrderId: '902-0000000-0000002',
        raw: noAddress,
        reason: expect.stringContaining('902-0000000-0000002 cannot be mapped'),
        problems: expect.arrayContaining([expect.objectContaining({ path: 'shippingAddress.line1' })]),
        updatedAt: '2026-03-02T20:10:00.000Z', // the poll's cursor may move past it
      },
      {
        channelOrderId: '902-0000000-0000003',
        raw: broken,
        reason: expect.stringContaining('902-0000000-0000003 does not match the documented shape'),
        problems: expect.any(Array), // no lastUpdatedTime: no updatedAt either
      },
    ]);
    expect(result.unmapped![1].problems.map((p) => p.path).sort()).toEqual([
      'amazon.fulfillment',
      'amazon.lastUpdatedTime',
      'amazon.orderItems.0.quantityOrdered',
      'amazon.salesChannel',
    ]);
    // Replayed as it was kept, it is refused the same way; with the address fixed, it maps.
    const kept = result.unmapped![0].raw as Json;
    expect(() => connector.orders!.mapPolled!(kept)).toThrow(ValidationError);
    const fixed = { ...kept, recipient: good.recipient };
    expect(connector.orders!.mapPolled!(fixed).order.channelOrderId).toBe('902-0000000-0000002');
    expect(nock.isDone()).toBe(true);
  });

  test('merchant orders come with buyer, address and items in one call per page, followed to the last page; pending ones are skipped', async () => {
    lwaIssues('Atza|orders');
    const sp = nock(SP)
      .get('/orders/2026-01-01/orders')
      .matchHeader('x-amz-access-token', 'Atza|orders')
      .query(search(SINCE))
      .reply(200, fixture('search-orders-page-1'))
      // The next page repeats every filter with the same values, as Amazon requires.
      .get('/orders/2026-01-01/orders')
      .query(search(SINCE, '2YgYW55IGNhcm5hbCBwbGVhc3VyZS4/+='))
      .reply(200, fixture('search-orders-page-2'));

    const seen: ChannelOrder[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await connector.orders!.fetchOrdersUpdatedSince(SINCE, token);
      seen.push(...page.orders);
      expect(page.unmapped).toEqual([]);
      token = page.nextPageToken;
      pages++;
    } while (token && pages < 5);

    expect(sp.isDone()).toBe(true);
    expect(nock.isDone()).toBe(true); // no call per order: items, buyer and address came with the page
    expect(pages).toBe(2);
    expect(seen.map((o) => [o.order.channelOrderId, o.cancelled])).toEqual([
      ['902-3159896-1390916', false],
      ['113-1234567-7654321', true],
      ['113-7654321-1234567', false],
    ]);

    const [paid, cancelled, cod] = seen;
    // Field by field, money in exact cents: 3 + 1 shirts for 29.99 + 10.00 make one line of 4 at 10.00
    // with the 1 cent rounding back as discount on top of the 1.00 promotion; the shipping's tax goes
    // with the shipping.
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
    // The mapped order adds up to Amazon's grandTotal of 74.58.
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
    const sp = nock(SP).get('/orders/2026-01-01/orders').query(search('2026-02-26T12:00:00.000Z')).reply(200, { orders: [] });

    await expect(connector.orders!.fetchOrdersUpdatedSince(undefined)).resolves.toEqual({ orders: [], unmapped: [] });
    expect(sp.isDone()).toBe(true);
  });

  test('a page token this connector did not make is refused', async () => {
    const err = await connector.orders!.fetchOrdersUpdatedSince(SINCE, 'not-ours').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).problems).toEqual([{ path: 'pageToken', message: 'is not a token this connector returned' }]);
  });

  test('a 429 with Retry-After is waited out, then the call succeeds', async () => {
    lwaIssues('Atza|orders');
    const sp = nock(SP)
      .get('/orders/2026-01-01/orders')
      .query(true)
      .reply(
        429,
        { errors: [{ code: 'QuotaExceeded', message: 'You exceeded your quota for the requested resource.' }] },
        { 'Retry-After': '1' },
      )
      .get('/orders/2026-01-01/orders')
      .query(true)
      .reply(200, { orders: [] }, { 'x-amzn-RateLimit-Limit': '0.0056' });

    const started = Date.now();
    await expect(connector.orders!.fetchOrdersUpdatedSince(SINCE)).resolves.toEqual({ orders: [], unmapped: [] });
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(sp.isDone()).toBe(true);
  });

  test('a 5xx is retried, then the call succeeds', async () => {
    lwaIssues('Atza|orders');
    const sp = nock(SP)
      .get('/orders/2026-01-01/orders')
      .query(true)
      .reply(503, { errors: [{ code: 'ServiceUnavailable', message: 'Service is temporarily unavailable.' }] })
      .get('/orders/2026-01-01/orders')
      .query(true)
      .reply(200, { orders: [fixture('search-orders-page-2').orders[1]] });

    const page = await connector.orders!.fetchOrdersUpdatedSince(SINCE);
    expect(page.orders.map((o) => o.order.channelOrderId)).toEqual(['113-7654321-1234567']);
    expect(sp.isDone()).toBe(true);
  });

  test('a page that is not the documented shape fails the call naming what is wrong', async () => {
    lwaIssues('Atza|orders');
    nock(SP)
      .get('/orders/2026-01-01/orders')
      .query(true)
      .reply(200, { payload: { Orders: [] } });
    const err = await connector.orders!.fetchOrdersUpdatedSince(SINCE).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).problems.map((p) => p.path)).toEqual(['amazon.orders']);
  });
});

describe('Amazon order mapping', () => {
  const usd = (amount: string) => ({ amount, currencyCode: 'EUR' });
  const order = (items: Json[], over: Json = {}) =>
    parseOrder({
      orderId: '171-0000000-0000001',
      createdTime: '2026-03-01T08:00:00Z',
      lastUpdatedTime: '2026-03-01T09:00:00Z',
      salesChannel: { channelName: 'AMAZON', marketplaceId: 'A1PA6795UKMFR9' },
      buyer: { buyerName: 'Ada' },
      recipient: {
        deliveryAddress: { name: 'Ada', addressLine1: 'Friedrichstr. 43', city: 'Berlin', postalCode: '10117', countryCode: 'DE' },
      },
      proceeds: { grandTotal: usd('10.00') },
      fulfillment: { fulfillmentStatus: 'UNSHIPPED', fulfilledBy: 'MERCHANT' },
      orderItems: items,
      ...over,
    });
  const item = (over: Json = {}, total = '10.00') => ({
    orderItemId: '1',
    quantityOrdered: 3,
    product: { sellerSku: 'TEE-M' },
    proceeds: { breakdowns: [{ type: 'ITEM', subtotal: usd(total) }] },
    ...over,
  });

  test('a total that does not divide by the quantity keeps the line total exact', () => {
    const mapped = toChannelOrder(order([item()]), 'amazon');
    expect(mapped.order.lines).toEqual([{ sku: 'TEE-M', quantity: 3, unitPrice: 334, discount: 2, tax: 0 }]);
    expect(totalsOf(mapped.order).total).toBe(1000);
  });

  test('without proceeds the unit price times the quantity is the line total', () => {
    const mapped = toChannelOrder(
      order([{ ...item(), proceeds: undefined, product: { sellerSku: 'TEE-M', price: { unitPrice: usd('3.50') } } }]),
      'amazon',
    );
    expect(mapped.order.lines).toEqual([{ sku: 'TEE-M', quantity: 3, unitPrice: 350, discount: 0, tax: 0 }]);
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
          order([item({ product: {} }), item({ orderItemId: '2', product: { sellerSku: 'MUG' } }, '1.005')], {
            buyer: {},
            recipient: { deliveryAddress: { city: 'Berlin', postalCode: '10117', countryCode: 'DE' } },
          }),
          'amazon',
        );
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).problems.map((p) => p.path).sort()).toEqual([
      'amazon.orderItems.0.product.sellerSku',
      'amazon.orderItems.1.proceeds.breakdowns.0.subtotal',
      'customer.name',
      'shippingAddress.line1',
    ]);
    expect((err as Error).message).toContain('171-0000000-0000001');
  });

  test('a body missing what the model requires is refused naming every missing field', () => {
    const err = (() => {
      try {
        parseOrder({ orderId: '171-0000000-0000009', orderItems: [{ quantityOrdered: '2', product: { sellerSku: 'TEE-M' } }] });
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as Error).message).toContain('171-0000000-0000009');
    expect((err as ValidationError).problems.map((p) => p.path).sort()).toEqual([
      'amazon.createdTime',
      'amazon.fulfillment',
      'amazon.lastUpdatedTime',
      'amazon.orderItems.0.orderItemId',
      'amazon.orderItems.0.quantityOrdered',
      'amazon.salesChannel',
    ]);
  });
});

describe('Amazon fulfillment', () => {
  const ORDER_ID = '902-3159896-1390916';
  const getOrderBody = (marketplaceId = 'ATVPDKIKX0DER') => {
    const order = fixture('search-orders-page-1').orders[0];
    order.salesChannel.marketplaceId = marketplaceId;
    return { order };
  };

  test('a shipment is confirmed with the package, tracking and Amazon order item ids of the shipped skus', async () => {
    lwaIssues('Atza|ship');
    let sent: unknown;
    const sp = nock(SP)
      .get(`/orders/2026-01-01/orders/${ORDER_ID}`)
      .reply(200, getOrderBody())
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

  test('a carrier Amazon has no code for goes as Other with its name; the marketplace is the order own', async () => {
    lwaIssues('Atza|ship');
    connector = build({ ...OPTIONS, marketplaceIds: ['ATVPDKIKX0DER', 'A2EUQ1WTGCTBG2'] });
    let sent: { marketplaceId?: string; packageDetail?: Record<string, unknown> } = {};
    const sp = nock(SP)
      .get(`/orders/2026-01-01/orders/${ORDER_ID}`)
      .reply(200, getOrderBody('A2EUQ1WTGCTBG2'))
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
    expect(sent.marketplaceId).toBe('A2EUQ1WTGCTBG2');
    expect(sent.packageDetail).toMatchObject({
      carrierCode: 'Other',
      carrierName: 'Hermes Germany',
      orderItems: [{ orderItemId: '68828574383268', quantity: 2 }],
    });
  });

  test('a shipment Amazon already has is success, and a sku not on the order is refused before calling Amazon', async () => {
    lwaIssues('Atza|ship');
    const sp = nock(SP)
      .get(`/orders/2026-01-01/orders/${ORDER_ID}`)
      .times(2)
      .reply(200, getOrderBody())
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

  test('a change goes out as one patchListingsItem per sku and marketplace, within seconds, and no feed', async () => {
    lwaIssues('Atza|patch');
    connector = build({ ...OPTIONS, marketplaceIds: ['ATVPDKIKX0DER', 'A2EUQ1WTGCTBG2'] });
    const sent: { sku: string; marketplace: string; body: unknown }[] = [];
    const patch = (sku: string, marketplace: string) =>
      nock(SP)
        .patch(
          `/listings/2021-08-01/items/A2EXAMPLE1SELLR/${encodeURIComponent(sku)}`,
          (body) => (sent.push({ sku, marketplace, body }), true),
        )
        .query({ marketplaceIds: marketplace, issueLocale: 'en_US' })
        .matchHeader('x-amz-access-token', 'Atza|patch')
        .matchHeader('content-type', /application\/json/);
    for (const marketplace of ['ATVPDKIKX0DER', 'A2EUQ1WTGCTBG2']) {
      patch('TEE-M', marketplace).reply(200, { sku: 'TEE-M', status: 'ACCEPTED', submissionId: `s-tee-${marketplace}`, issues: [] });
      patch('MUG/01 blue', marketplace).reply(200, {
        sku: 'MUG/01 blue',
        status: 'ACCEPTED',
        submissionId: `s-mug-${marketplace}`,
        issues: [],
      });
    }

    const started = Date.now();
    await connector.stock!.setAvailable(
      [
        { sku: 'TEE-M', channelLocationId: 'BER-1', available: 12 },
        { sku: 'TEE-M', channelLocationId: 'HAM-1', available: 3 },
        { sku: 'MUG/01 blue', channelLocationId: 'BER-1', available: -2 },
      ],
      { mode: 'change' },
    );
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(nock.isDone()).toBe(true);
    const merge = (quantity: number) => ({
      productType: 'PRODUCT',
      patches: [{ op: 'merge', path: '/attributes/fulfillment_availability', value: [{ fulfillment_channel_code: 'DEFAULT', quantity }] }],
    });
    expect(sent.sort((a, b) => (a.sku + a.marketplace).localeCompare(b.sku + b.marketplace))).toEqual([
      { sku: 'MUG/01 blue', marketplace: 'A2EUQ1WTGCTBG2', body: merge(0) },
      { sku: 'MUG/01 blue', marketplace: 'ATVPDKIKX0DER', body: merge(0) },
      { sku: 'TEE-M', marketplace: 'A2EUQ1WTGCTBG2', body: merge(15) },
      { sku: 'TEE-M', marketplace: 'ATVPDKIKX0DER', body: merge(15) },
    ]);
  });

  test('a sold-out sku with stock on its way is patched with its restock_date next to the quantity; a sku in stock is not', async () => {
    lwaIssues('Atza|restock');
    connector = build(OPTIONS);
    expect(connector.stock!.carriesRestockDate).toBe(true);
    const sent = new Map<string, unknown>();
    for (const sku of ['LAMP-1', 'VASE-2'])
      nock(SP)
        .patch(`/listings/2021-08-01/items/A2EXAMPLE1SELLR/${sku}`, (body) => (sent.set(sku, body), true))
        .query({ marketplaceIds: 'ATVPDKIKX0DER', issueLocale: 'en_US' })
        .matchHeader('x-amz-access-token', 'Atza|restock')
        .reply(200, { sku, status: 'ACCEPTED', submissionId: `s-${sku}`, issues: [] });

    await connector.stock!.setAvailable(
      [
        { sku: 'LAMP-1', channelLocationId: 'BER-1', available: 0, restockDate: '2030-04-10' },
        { sku: 'LAMP-1', channelLocationId: 'HAM-1', available: 0, restockDate: '2030-04-24' },
        // Another location still has some: Amazon gets the quantity only.
        { sku: 'VASE-2', channelLocationId: 'BER-1', available: 0, restockDate: '2030-04-10' },
        { sku: 'VASE-2', channelLocationId: 'HAM-1', available: 4 },
      ],
      { mode: 'change' },
    );
    expect(nock.isDone()).toBe(true);
    // As the Listings Items API documents a merge of fulfillment_availability: the DEFAULT entry's selector,
    // the quantity, and restock_date (YYYY-MM-DD, the earliest the levels give).
    expect(sent.get('LAMP-1')).toEqual({
      productType: 'PRODUCT',
      patches: [
        {
          op: 'merge',
          path: '/attributes/fulfillment_availability',
          value: [{ fulfillment_channel_code: 'DEFAULT', quantity: 0, restock_date: '2030-04-10' }],
        },
      ],
    });
    expect(sent.get('VASE-2')).toEqual({
      productType: 'PRODUCT',
      patches: [
        { op: 'merge', path: '/attributes/fulfillment_availability', value: [{ fulfillment_channel_code: 'DEFAULT', quantity: 4 }] },
      ],
    });
  });

  test('a change Amazon refuses for one sku (not listed, INVALID) leaves the others sent; a 5xx that persists fails the push', async () => {
    lwaIssues('Atza|patch');
    const sp = nock(SP)
      .patch('/listings/2021-08-01/items/A2EXAMPLE1SELLR/GONE')
      .query(true)
      .reply(404, { errors: [{ code: 'NOT_FOUND', message: 'Resource not found' }] })
      .patch('/listings/2021-08-01/items/A2EXAMPLE1SELLR/BAD')
      .query(true)
      .reply(200, {
        sku: 'BAD',
        status: 'INVALID',
        submissionId: 'a1c562c2-1695-11ee-be56-0242ac120002',
        issues: [
          { code: '90000900', message: 'The attributes are invalid.', severity: 'ERROR', attributeNames: ['fulfillment_availability'] },
        ],
      })
      .patch('/listings/2021-08-01/items/A2EXAMPLE1SELLR/TEE-M')
      .query(true)
      .reply(200, { sku: 'TEE-M', status: 'ACCEPTED', submissionId: 'f1dc2914-75dd-11ea-bc55-0242ac130003', issues: [] });
    const levels = ['GONE', 'BAD', 'TEE-M'].map((sku) => ({ sku, channelLocationId: 'BER-1', available: 1 }));
    await expect(connector.stock!.setAvailable(levels, { mode: 'change' })).resolves.toBeUndefined();
    expect(sp.isDone()).toBe(true);

    connector = createAmazonConnector(OPTIONS, CREDENTIALS, { ...ctx, http: (o) => ctx.http({ ...o, maxAttempts: 2, baseDelayMs: 10 }) });
    nock(SP).patch('/listings/2021-08-01/items/A2EXAMPLE1SELLR/TEE-M').query(true).times(2).reply(503, {});
    const err = await connector.stock!.setAvailable([levels[2]], { mode: 'change' }).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/PATCH .*TEE-M failed after 2 attempts/);
  });

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

    await connector.stock!.setAvailable(
      [
        { sku: 'TEE-M', channelLocationId: 'BER-1', available: 12 },
        { sku: 'TEE-M', channelLocationId: 'HAM-1', available: 3 }, // merchant stock is one number per marketplace
        { sku: 'MUG-01', channelLocationId: 'BER-1', available: -2 },
      ],
      { mode: 'reconcile' },
    );

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

    const err = await connector
      .stock!.setAvailable([{ sku: 'TEE-M', channelLocationId: 'BER-1', available: 1 }], { mode: 'reconcile' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UpstreamError);
    expect((err as Error).message).toMatch(/feed 50001 ended FATAL/);
    expect(nock.isDone()).toBe(true);
  });
});

describe('Amazon catalogue', () => {
  test('listings are read page by page (summaries and attributes) into variants with ASIN, name, barcode and weight', async () => {
    lwaIssues('Atza|listings');
    const query = {
      marketplaceIds: 'ATVPDKIKX0DER',
      includedData: 'summaries,attributes',
      pageSize: '20',
      sortBy: 'sku',
      sortOrder: 'ASC',
    };
    const sp = nock(SP)
      .get('/listings/2021-08-01/items/A2EXAMPLE1SELLR')
      .query(query)
      .reply(200, fixture('search-listings-page-1'))
      .get('/listings/2021-08-01/items/A2EXAMPLE1SELLR')
      .query({ ...query, pageToken: 'xsdflkj324lkjsdlkj3423klkjsdfkljlk2j34klj2l3k4jlksdjl234' })
      .reply(200, fixture('search-listings-page-2'));

    const first = await connector.catalog!.variants();
    expect(first).toEqual({
      variants: [
        {
          sku: 'MUG-01',
          name: 'Enamel mug, 350 ml',
          barcode: '4006381333931',
          weightGrams: 340,
          dimensionsMm: { length: 114, width: 91, height: 107 }, // inches, one given as digits
          channelIds: { variant: 'B00MUG0001' },
        },
        { sku: 'TEE-M', name: 'Organic cotton T-shirt, size M', channelIds: { variant: 'BT0093TELA' } },
      ],
      nextPageToken: 'xsdflkj324lkjsdlkj3423klkjsdfkljlk2j34klj2l3k4jlksdjl234',
    });
    const second = await connector.catalog!.variants(first.nextPageToken);
    expect(second).toEqual({
      variants: [{ sku: 'GM ZDPI/9B4E', name: 'Hardside Carry-On Spinner Suitcase Luggage', channelIds: { variant: 'B071VG5N9D' } }],
    });
    expect(sp.isDone()).toBe(true);
  });

  test('a listings page that is not the documented shape is refused naming what is missing', async () => {
    lwaIssues('Atza|listings');
    nock(SP)
      .get('/listings/2021-08-01/items/A2EXAMPLE1SELLR')
      .query(true)
      .reply(200, { items: [{ summaries: [] }] });
    const err = await connector.catalog!.variants().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).problems.map((p) => p.path).sort()).toEqual(['amazon.items.0.sku', 'amazon.numberOfResults']);
  });
});
