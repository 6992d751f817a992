import { createHmac } from 'node:crypto';
import nock from 'nock';
import { UnauthorizedError, ValidationError } from '../../domain/errors';
import { totalsOf } from '../../domain/order';
import { newestStableShopifyVersion, shopifyConnector, supportedShopifyVersions } from '../../connectors/shopify';
import { toMinorUnits } from '../../connectors/shopify/money';
import type { ChannelOrder, Connector, ConnectorContext } from '../../connectors/types';
import { silentLogger } from '../../domain/logger';
import { testConnectorContext } from '../support/connectors';
import { nockShopify, nockShopifyInventory } from '../support/shopify-stock';
import { PLUS_PLAN, type ShopPlan } from '../../bench/shopify-shop';
import { UpstreamError } from '../../connectors/http';
import documentedOrder from './fixtures/shopify/order-cod.json';
import graphqlDocumentedOrder from './fixtures/shopify/order-cod.graphql.json';

const SHOP = 'orderhub-test.myshopify.com';
const ORIGIN = `https://${SHOP}`;
const API = `/admin/api/${newestStableShopifyVersion()}`;
const SECRET = 'shpss_test_client_secret';
const TOKEN = 'shpat_test_access_token';
const ORDER_ID = String(documentedOrder.id);

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- vendor JSON, read field by field in assertions
type Json = Record<string, any>;
const orderFixture = (changes: Json = {}): Json => ({ ...structuredClone(documentedOrder), ...changes });
// The same order as the GraphQL Admin API's orders query returns it.
const graphqlOrder = (changes: Json = {}): Json => ({ ...structuredClone(graphqlDocumentedOrder), ...changes });
// extensions.cost as Shopify sends it with every answer (a Standard shop with its bucket nearly full).
const COST = {
  requestedQueryCost: 10,
  actualQueryCost: 10,
  throttleStatus: { maximumAvailable: 2000, currentlyAvailable: 1990, restoreRate: 100 },
};

let closers: (() => void)[] = [];
let warnings: { msg: string; fields?: Record<string, unknown> }[];

// A connection over the test Redis with a fresh connection id; warnings are collected for assertions.
function connect(options: Json = {}): { connector: Connector; ctx: ConnectorContext } {
  const test = testConnectorContext('shopify');
  closers.push(test.close);
  warnings = [];
  const ctx: ConnectorContext = { ...test.ctx, log: { ...silentLogger, warn: (msg, fields) => warnings.push({ msg, fields }) } };
  const connector = shopifyConnector.create(
    shopifyConnector.optionsSchema.parse({ shopDomain: SHOP, ...options }),
    shopifyConnector.credentialsSchema.parse({ accessToken: TOKEN, webhookSecret: SECRET }),
    ctx,
  );
  return { connector, ctx };
}

const sign = (body: Buffer, secret = SECRET) => createHmac('sha256', secret).update(body).digest('base64');
const webhookHeaders = (body: Buffer, topic = 'orders/create', extra: Record<string, string> = {}) => ({
  'x-shopify-hmac-sha256': sign(body),
  'x-shopify-topic': topic,
  'x-shopify-shop-domain': SHOP,
  'x-shopify-webhook-id': 'b54557e4-bdd9-4b37-8a5f-bf7d70bcd043',
  'x-shopify-api-version': '2024-10',
  ...extra,
});

function parseOrder(connector: Connector, order: Json, topic = 'orders/create'): ChannelOrder {
  const event = connector.orders!.webhooks!.parse(topic, Buffer.from(JSON.stringify(order)));
  if (event.kind !== 'order') throw new Error(`expected an order, got ${event.kind}`);
  return event.order;
}

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected an error');
}

beforeAll(() => {
  nock.disableNetConnect();
  nock.enableNetConnect(/127\.0\.0\.1|localhost/); // Redis, FerretDB and Temporal of the test stack
});
afterEach(() => {
  nock.cleanAll();
  for (const close of closers) close();
  closers = [];
});
afterAll(() => {
  nock.enableNetConnect();
  nock.restore();
});

describe('Shopify connector: mapping orders', () => {
  test('a documented Shopify order maps to the canonical order: minor units, merged sku lines, discounts, taxes, shipping, addresses, cash on delivery', () => {
    const { connector } = connect();
    const mapped = parseOrder(connector, orderFixture());

    expect(mapped.cancelled).toBe(false);
    expect(mapped.updatedAt).toBe('2024-10-14T07:20:03.000Z');
    expect(mapped.order).toEqual({
      channel: 'shopify',
      channelOrderId: '5123456789012',
      type: 'standard',
      currency: 'EUR',
      fulfillment: { method: 'ship' },
      customer: { id: '7012345678901', name: 'Ada Lovelace', email: 'ada@example.com', phone: '+4930123456' },
      shippingAddress: {
        name: 'Ada Lovelace',
        company: 'Analytical Engines GmbH',
        line1: 'Friedrichstraße 43',
        line2: '3. OG',
        city: 'Berlin',
        region: 'BE',
        postalCode: '10117',
        country: 'DE',
        phone: '+49 30 123456',
        latitude: 52.5069,
        longitude: 13.3904,
      },
      billingAddress: {
        name: 'Ada Lovelace',
        line1: 'Unter den Linden 5',
        city: 'Berlin',
        region: 'BE',
        postalCode: '10117',
        country: 'DE',
      },
      lines: [
        // Two Shopify lines of TEE-M (19.99 × 2 and 24.99 × 1) become one: 64.97 over 3 units is 21.6567,
        // so the unit price rounds up to 21.66 and the extra cent goes into the discount.
        { sku: 'TEE-M', name: 'T-Shirt - M', quantity: 3, unitPrice: 2166, discount: 419 + 1, tax: 680 + 475 },
        { sku: 'MUG-1', name: 'Mug', quantity: 1, unitPrice: 1250, discount: 131, tax: 213 },
      ],
      // The shipping discount is not on any line: it is an order-level discount with its code.
      discounts: [{ code: 'SHIP3', amount: 300 }],
      shippingAmount: 490 + 36, // price plus its tax: the canonical order has no separate shipping tax
      payment: { method: 'cash_on_delivery', provider: 'manual', alreadyPaid: false, reference: '#1042' },
      notes: 'Please leave the parcel with the neighbour.',
      tags: ['vip', 'gift', 'repeat'],
      placedAt: '2024-10-14T07:12:45.000Z',
    });
    // What the customer is charged on Shopify (total_price 87.91) is what Orderhub computes.
    expect(totalsOf(mapped.order).total).toBe(toMinorUnits(documentedOrder.total_price, 'EUR'));
    expect(totalsOf(mapped.order).taxTotal + 36).toBe(toMinorUnits(documentedOrder.total_tax, 'EUR'));
  });

  test('a paid order is prepaid and already paid, even when its gateway was cash on delivery; an authorized card order is not yet paid', () => {
    const { connector } = connect();
    for (const status of ['paid', 'partially_refunded', 'refunded']) {
      expect(parseOrder(connector, orderFixture({ financial_status: status })).order.payment).toEqual({
        method: 'prepaid',
        provider: 'manual',
        alreadyPaid: true,
        reference: '#1042',
      });
    }
    const card = orderFixture({ financial_status: 'authorized', gateway: 'shopify_payments', payment_gateway_names: ['shopify_payments'] });
    expect(parseOrder(connector, card).order.payment).toMatchObject({ method: 'prepaid', alreadyPaid: false });
  });

  test('money follows the currency exponent without floating point: JPY has no minor unit, KWD has three', () => {
    expect(toMinorUnits('19.99', 'EUR')).toBe(1999);
    expect(toMinorUnits('0.10', 'USD')).toBe(10);
    expect(toMinorUnits('1500', 'JPY')).toBe(1500);
    expect(toMinorUnits('1500.00', 'JPY')).toBe(1500);
    expect(toMinorUnits('12.345', 'KWD')).toBe(12345);
    expect(toMinorUnits('1.5', 'BHD')).toBe(1500);
    expect(toMinorUnits('4.005', 'EUR')).toBe(401); // never sent by Shopify; rounded half up rather than lost
    expect(() => toMinorUnits('12,50', 'EUR')).toThrow();

    const { connector } = connect();
    const yen = orderFixture({
      currency: 'JPY',
      total_discounts: '0',
      line_items: [
        {
          ...documentedOrder.line_items[1],
          price: '1500',
          discount_allocations: [],
          tax_lines: [{ price: '150', rate: 0.1, title: '消費税' }],
        },
      ],
      shipping_lines: [{ price: '800', discount_allocations: [], tax_lines: [] }],
    });
    const mapped = parseOrder(connector, yen).order;
    expect(mapped.lines).toEqual([{ sku: 'MUG-1', name: 'Mug', quantity: 1, unitPrice: 1500, discount: 0, tax: 150 }]);
    expect(mapped.shippingAmount).toBe(800);
    expect(totalsOf(mapped).total).toBe(2450);
  });

  test('prices that include tax are restated net so that the order total stays what the customer paid', () => {
    const { connector } = connect();
    const vatIncluded = orderFixture({
      taxes_included: true,
      total_discounts: '19.00',
      line_items: [
        {
          ...documentedOrder.line_items[1],
          price: '119.00',
          discount_allocations: [{ amount: '19.00', discount_application_index: 0 }],
          tax_lines: [{ price: '15.97', rate: 0.19 }],
        },
      ],
      shipping_lines: [{ price: '5.95', discount_allocations: [], tax_lines: [{ price: '0.95', rate: 0.19 }] }],
    });
    const mapped = parseOrder(connector, vatIncluded).order;
    expect(mapped.lines).toEqual([{ sku: 'MUG-1', name: 'Mug', quantity: 1, unitPrice: 10000, discount: 1597, tax: 1597 }]);
    expect(mapped.shippingAmount).toBe(595);
    expect(mapped.discounts).toEqual([]);
    expect(totalsOf(mapped).total).toBe(10000 + 595); // 119.00 − 19.00 + 5.95, tax included
  });
});

// Shopify's own test payloads carry 64-bit ids past 2^53 (order 820982911946154508, customer
// 115310627314723954): written as bare JSON numbers, as Shopify sends them.
const BIG = { order: '820982911946154508', customer: '115310627314723954', lineItem: '866550311766439020' };
function bigIdOrderText(): string {
  const order = orderFixture({ id: 1, customer: { ...documentedOrder.customer, id: 2 } });
  order.line_items = order.line_items.map((li: Json, i: number) => ({ ...li, id: 3 + i }));
  return JSON.stringify(order)
    .replace('"id":1,', `"id":${BIG.order},`)
    .replace('"id":2,', `"id":${BIG.customer},`)
    .replace('"id":3,', `"id":${BIG.lineItem},`);
}

describe('Shopify connector: ids past 2^53', () => {
  test('a signed webhook with 64-bit ids is accepted, and the order and customer keep their exact ids', () => {
    const { connector } = connect();
    const body = Buffer.from(bigIdOrderText());
    expect(body.toString()).toContain(`"id":${BIG.order}`);
    expect(connector.orders!.webhooks!.verify(body, webhookHeaders(body))).toMatchObject({ topic: 'orders/create' });
    const event = connector.orders!.webhooks!.parse('orders/create', body);
    if (event.kind !== 'order') throw new Error(`expected an order, got ${event.kind}`);
    expect(event.order.order.channelOrderId).toBe(BIG.order);
    expect(event.order.order.customer.id).toBe(BIG.customer);
  });

  test('a polled GraphQL order with 64-bit ids maps to the same order id as its webhook', async () => {
    const { connector } = connect();
    const shop = nockShopify(ORIGIN, API);
    shop.shop.orderNodes.push(
      graphqlOrder({
        id: `gid://shopify/Order/${BIG.order}`,
        legacyResourceId: BIG.order,
        customer: { ...graphqlDocumentedOrder.customer, id: `gid://shopify/Customer/${BIG.customer}` },
      }),
    );
    const { orders } = await connector.orders!.fetchOrdersUpdatedSince('2024-10-01T00:00:00Z', undefined);
    expect(orders.map((o) => [o.order.channelOrderId, o.order.customer.id])).toEqual([[BIG.order, BIG.customer]]);
    // Without legacyResourceId, the GID's digits are the id.
    const { legacyResourceId: _dropped, ...withoutLegacy } = shop.shop.orderNodes[0];
    expect(connector.orders!.mapPolled!(withoutLegacy).order.channelOrderId).toBe(BIG.order);
  });
});

describe('Shopify connector: polling orders', () => {
  test('a GraphQL order maps to exactly the order its webhook gives', () => {
    const { connector } = connect();
    const fromWebhook = parseOrder(connector, orderFixture());
    expect(connector.orders!.mapPolled!(graphqlOrder())).toEqual(fromWebhook);
  });

  test('polling asks orders(query: updated_at) sorted by UPDATED_AT and follows endCursor through three pages, looking back 7 days by default', async () => {
    const { connector } = connect();
    const shop = nockShopify(ORIGIN, API);
    for (let i = 1; i <= 12; i++)
      shop.shop.orderNodes.push(
        graphqlOrder({ id: `gid://shopify/Order/${1000 + i}`, legacyResourceId: String(1000 + i), name: `#${1000 + i}` }),
      );
    // Updated recently: inside the default look-back (the fixture's own date is long past).
    for (const node of shop.shop.orderNodes) node.updatedAt = new Date(Date.now() - 3600_000).toISOString();

    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const result = await connector.orders!.fetchOrdersUpdatedSince(undefined, token);
      seen.push(...result.orders.map((o) => o.order.channelOrderId));
      token = result.nextPageToken;
      pages++;
    } while (token && pages < 10);

    expect(pages).toBe(3);
    expect(seen).toEqual(Array.from({ length: 12 }, (_, i) => String(1001 + i))); // 5, 5 and 2
    const asked = shop.requestsFor('orders');
    expect(asked.map((r) => r.variables.after ?? null)).toEqual([null, expect.any(String), expect.any(String)]);
    expect(asked[0].query).toMatch(/orders\(first: \$first, after: \$after, query: \$query, sortKey: UPDATED_AT\)/);
    // Every page asks the same question, from 7 days back.
    expect(new Set(asked.map((r) => r.variables.query)).size).toBe(1);
    const from = Date.parse(/updated_at:>='([^']+)'/.exec(asked[0].variables.query)![1]);
    expect(Math.abs(Date.now() - 7 * 24 * 3600 * 1000 - from)).toBeLessThan(60_000);

    // A REST page_info heartbeated before the move to GraphQL starts the poll again from its cursor.
    const restarted = await connector.orders!.fetchOrdersUpdatedSince('2024-10-01T00:00:00Z', 'cGFnZTI');
    expect(restarted.orders.map((o) => o.order.channelOrderId)).toEqual(['1001', '1002', '1003', '1004', '1005']);
  });

  test('an order that cannot be mapped is handed back with its problems named by GraphQL field (a dead letter for the poll), and the rest of the page arrives', async () => {
    const { connector, ctx } = connect();
    const errors: Record<string, unknown>[] = [];
    ctx.log.error = (_msg, fields) => void errors.push(fields ?? {});
    const broken = graphqlOrder({ id: 'gid://shopify/Order/2002', legacyResourceId: '2002' });
    broken.lineItems.nodes[1].sku = '';
    broken.shippingAddress.zip = null;
    broken.lineItems.nodes[0].originalUnitPriceSet.shopMoney.amount = 'nineteen';
    const shop = nockShopify(ORIGIN, API);
    shop.shop.orderNodes.push(graphqlOrder({ id: 'gid://shopify/Order/2001', legacyResourceId: '2001' }), broken);
    shop.shop.orderNodes.push(graphqlOrder({ id: 'gid://shopify/Order/2003', legacyResourceId: '2003' }));

    const result = await connector.orders!.fetchOrdersUpdatedSince('2024-10-01T00:00:00Z');
    expect(result.orders.map((o) => o.order.channelOrderId)).toEqual(['2001', '2003']);
    expect(result.nextPageToken).toBeUndefined();
    const paths = ['lineItems.nodes.0.originalUnitPriceSet.shopMoney.amount', 'lineItems.nodes.1.sku', 'shippingAddress.zip'];
    expect(errors).toEqual([expect.objectContaining({ channelOrderId: '2002' })]);
    expect(result.unmapped).toEqual([
      {
        channelOrderId: '2002',
        raw: broken,
        reason: expect.stringMatching(/^Shopify order 2002 cannot be mapped/),
        problems: expect.any(Array),
        updatedAt: '2024-10-14T07:20:03.000Z', // the poll's cursor may move past it
      },
    ]);
    expect(result.unmapped![0].problems.map((p) => p.path).sort()).toEqual(paths);
    // Replaying the dead letter maps what it stored, and fails the same way until the order is fixed.
    const replayed = thrown(() => connector.orders!.mapPolled!(result.unmapped![0].raw)) as ValidationError;
    expect(replayed.problems.map((p) => p.path).sort()).toEqual(paths);
    // A dead letter kept before the move to GraphQL (a REST order) still replays.
    expect(connector.orders!.mapPolled!(orderFixture({ id: 2004 })).order.channelOrderId).toBe('2004');
    // A node that is not an order at all is named as such.
    const junk = thrown(() => connector.orders!.mapPolled!({ id: 'gid://shopify/Order/x', lineItems: {} })) as ValidationError;
    expect(junk.problems.map((p) => p.path)).toEqual(expect.arrayContaining(['id', 'currencyCode', 'lineItems.nodes']));
  });

  test('an order with more lines than a page carries has the rest read before it is mapped', async () => {
    const { connector } = connect();
    const node = graphqlOrder({ id: 'gid://shopify/Order/3001', legacyResourceId: '3001' });
    const [first, ...rest] = node.lineItems.nodes;
    node.lineItems = { nodes: [first], pageInfo: { hasNextPage: true, endCursor: 'bGluZTE' } };
    nock(ORIGIN)
      .post(`${API}/graphql.json`, (b) => /orders\(/.test(b.query))
      .reply(200, {
        data: { orders: { nodes: [node], pageInfo: { hasNextPage: false, endCursor: 'b3JkZXIx' } } },
        extensions: { cost: COST },
      })
      .post(
        `${API}/graphql.json`,
        (b) => /order\(id: \$id\)/.test(b.query) && b.variables.id === node.id && b.variables.after === 'bGluZTE',
      )
      .reply(200, {
        data: { order: { lineItems: { nodes: rest, pageInfo: { hasNextPage: false, endCursor: 'bGluZTM' } } } },
        extensions: { cost: COST },
      });
    const { orders } = await connector.orders!.fetchOrdersUpdatedSince('2024-10-01T00:00:00Z');
    expect(orders[0].order.lines).toEqual(parseOrder(connector, orderFixture()).order.lines);
    expect(nock.isDone()).toBe(true);
  });
});

describe('Shopify connector: calls and limits', () => {
  test('testConnection asks GraphQL for the shop; a 429 with Retry-After is waited out, then the call succeeds', async () => {
    const { connector } = connect();
    nock(ORIGIN, { reqheaders: { 'x-shopify-access-token': TOKEN } })
      .post(`${API}/graphql.json`)
      .reply(429, { errors: 'Too Many Requests' }, { 'retry-after': '1.0' })
      .post(`${API}/graphql.json`, (b) => /shop \{ name myshopifyDomain \}/.test(b.query))
      .reply(200, { data: { shop: { name: 'Orderhub Test', myshopifyDomain: SHOP } }, extensions: { cost: COST } });

    const started = Date.now();
    await connector.testConnection();
    expect(Date.now() - started).toBeGreaterThanOrEqual(990);
    expect(nock.isDone()).toBe(true);
  });

  test("calls are paced by the shop's own GraphQL budget: a Plus shop's 1,000 points a second go ten times further than a Standard shop's 100", async () => {
    // 30 reads of 100 points each after the bucket is spent: 3,000 points.
    const timeFor = async (plan: ShopPlan) => {
      const { connector } = connect();
      const shop = nockShopify(ORIGIN, API, { plan });
      const skus = Array.from({ length: 33 }, (_, i) => `PACE-${i}`);
      shop.shop.drain();
      const started = Date.now();
      // Each lookup of 25 skus asks for 502 points (productVariants(first: 250)).
      await connector.stock!.setAvailable(skus.map((sku) => ({ sku, channelLocationId: '655441491', available: 1 })));
      nock.cleanAll();
      return { ms: Date.now() - started, throttled: shop.shop.calls.filter((c) => c.throttled).length };
    };
    const standard = await timeFor({ maximumAvailable: 2_000, restoreRate: 100 });
    const plus = await timeFor({ maximumAvailable: 20_000, restoreRate: 1_000 });
    // Standard: the first lookup learns the plan from a THROTTLED answer, then waits for its 502 points.
    expect(standard.ms).toBeGreaterThanOrEqual(4_000);
    expect(plus.ms).toBeLessThan(standard.ms / 3);
    expect(standard.throttled + plus.throttled).toBeLessThanOrEqual(2); // only the first, which learns the plan
  });

  test('the cost bucket is shared through Redis: a second connector on the same connection waits for the points the first spent', async () => {
    const { connector, ctx } = connect();
    const shop = nockShopify(ORIGIN, API, { plan: { maximumAvailable: 1_000, restoreRate: 200 } });
    await connector.testConnection(); // learns the plan: 1,000 points, 200 a second
    const again = shopifyConnector.create(
      shopifyConnector.optionsSchema.parse({ shopDomain: SHOP }),
      shopifyConnector.credentialsSchema.parse({ accessToken: TOKEN, webhookSecret: SECRET }),
      ctx, // same connection id and Redis: another worker process
    );
    shop.shop.drain(); // another app spent the shop's points
    await connector.testConnection(); // Shopify answers that nothing is left (THROTTLED first, perhaps): the shared bucket now holds 0
    const started = Date.now();
    await again.testConnection(); // 50 points (its first estimate) at 200 a second
    expect(Date.now() - started).toBeGreaterThanOrEqual(200);
    expect(shop.shop.calls.filter((c) => c.at >= started && c.throttled)).toEqual([]); // it waited instead of being throttled
  });

  test('a 5xx is retried with backoff, then the call succeeds', async () => {
    const { connector } = connect();
    nock(ORIGIN)
      .post(`${API}/graphql.json`)
      .reply(503, 'Service Unavailable')
      .post(`${API}/graphql.json`)
      .reply(502, 'Bad Gateway')
      .post(`${API}/graphql.json`)
      .reply(200, { data: { shop: { name: 'Orderhub Test', myshopifyDomain: SHOP } }, extensions: { cost: COST } });

    await expect(connector.testConnection()).resolves.toBeUndefined();
    expect(nock.isDone()).toBe(true);
  });

  test('a refused access token is reported as such; a GraphQL error is named', async () => {
    const { connector } = connect();
    nock(ORIGIN)
      .post(`${API}/graphql.json`)
      .reply(401, { errors: '[API] Invalid API key or access token (unrecognized login or wrong password)' });

    const error = await connector.testConnection().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnauthorizedError);
    expect((error as Error).message).toMatch(/refused the access token/);
    expect((error as Error).message).not.toContain(TOKEN);

    nock(ORIGIN)
      .post(`${API}/graphql.json`)
      .reply(200, {
        errors: [
          {
            message: "Field 'nope' doesn't exist on type 'Shop'",
            extensions: { code: 'undefinedField', typeName: 'Shop', fieldName: 'nope' },
          },
        ],
      });
    await expect(connector.testConnection()).rejects.toThrow(/Shopify GraphQL Shop failed: undefinedField: Field 'nope' doesn't exist/);
  });

  test('options are validated when the connection is created', () => {
    const bad = shopifyConnector.optionsSchema.safeParse({ shopDomain: 'https://example.com', notifyCustomer: 'yes', extra: 1 });
    expect(bad.success).toBe(false);
    expect(bad.error!.issues.map((i) => i.path.join('.') || i.code).sort()).toEqual(['notifyCustomer', 'shopDomain', 'unrecognized_keys']);
    expect(shopifyConnector.optionsSchema.parse({ shopDomain: 'My-Shop.myshopify.com' })).toEqual({
      shopDomain: 'my-shop.myshopify.com',
      notifyCustomer: true,
    });
    // A version Shopify no longer supports is refused with the ones it does; absent, the newest is used.
    const old = shopifyConnector.optionsSchema.safeParse({ shopDomain: 'my-shop.myshopify.com', apiVersion: '2024-10' });
    expect(old.error!.issues).toEqual([
      expect.objectContaining({
        path: ['apiVersion'],
        message: expect.stringMatching(/^2024-10 is no longer supported by Shopify \(supported now: 20\d\d-\d\d/),
      }),
    ]);
    expect(
      shopifyConnector.optionsSchema.parse({ shopDomain: 'my-shop.myshopify.com', apiVersion: newestStableShopifyVersion() }).apiVersion,
    ).toBe(newestStableShopifyVersion());
    expect(shopifyConnector.credentialsSchema.safeParse({ accessToken: '' }).success).toBe(false);
  });
});

describe('Shopify connector: webhooks', () => {
  test('a webhook with a wrong or missing signature is rejected, and a correctly signed one is accepted', () => {
    const { connector } = connect();
    const webhooks = connector.orders!.webhooks!;
    const body = Buffer.from(JSON.stringify(orderFixture()));

    expect(webhooks.verify(body, webhookHeaders(body))).toEqual({
      deliveryId: 'b54557e4-bdd9-4b37-8a5f-bf7d70bcd043',
      topic: 'orders/create',
    });
    // Header names as another framework might pass them.
    expect(
      webhooks.verify(body, { 'X-Shopify-Hmac-Sha256': sign(body), 'X-Shopify-Topic': 'orders/updated', 'X-Shopify-Webhook-Id': 'w-2' }),
    ).toEqual({ deliveryId: 'w-2', topic: 'orders/updated' });

    expect(
      thrown(() => webhooks.verify(body, webhookHeaders(body, 'orders/create', { 'x-shopify-hmac-sha256': sign(body, 'another-secret') }))),
    ).toBeInstanceOf(UnauthorizedError);
    const tampered = Buffer.from(body.toString().replace('"TEE-M"', '"TEE-L"'));
    expect(thrown(() => webhooks.verify(tampered, webhookHeaders(body)))).toBeInstanceOf(UnauthorizedError);
    const { 'x-shopify-hmac-sha256': _dropped, ...unsigned } = webhookHeaders(body);
    expect(thrown(() => webhooks.verify(body, unsigned))).toBeInstanceOf(UnauthorizedError);
    expect(thrown(() => webhooks.verify(body, webhookHeaders(body, 'orders/create', { 'x-shopify-hmac-sha256': 'short' })))).toBeInstanceOf(
      UnauthorizedError,
    );
    expect(
      thrown(() => webhooks.verify(body, webhookHeaders(body, 'orders/create', { 'x-shopify-shop-domain': 'someone-else.myshopify.com' }))),
    ).toBeInstanceOf(UnauthorizedError);

    const { 'x-shopify-webhook-id': _id, ...withoutId } = webhookHeaders(body);
    const missingId = thrown(() => webhooks.verify(body, withoutId));
    expect(missingId).toBeInstanceOf(ValidationError);
    expect((missingId as ValidationError).problems).toEqual([{ path: 'headers.x-shopify-webhook-id', message: 'is missing' }]);
  });

  test('a webhook for an order that cannot be mapped is refused with every Shopify field named', () => {
    const { connector } = connect();
    const order = orderFixture();
    order.line_items.push({ ...order.line_items[1], id: 13412345678904, sku: null });
    order.shipping_address.zip = null;
    order.line_items[0].price = 'nineteen';

    const error = thrown(() => connector.orders!.webhooks!.parse('orders/create', Buffer.from(JSON.stringify(order))));
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).message).toMatch(/Shopify order 5123456789012 cannot be mapped/);
    // Every problem at once, named by its Shopify field.
    expect((error as ValidationError).problems.map((p) => p.path).sort()).toEqual([
      'line_items.0.price',
      'line_items.3.sku',
      'shipping_address.zip',
    ]);
    expect((error as ValidationError).problems).toContainEqual({ path: 'line_items.3.sku', message: expect.stringMatching(/^is missing/) });

    const notJson = thrown(() => connector.orders!.webhooks!.parse('orders/create', Buffer.from('{"id": 1,'))) as ValidationError;
    expect(notJson).toBeInstanceOf(ValidationError);
    expect(notJson.problems).toEqual([{ path: '(body)', message: 'is not valid JSON' }]);
  });

  test('orders/cancelled marks the order cancelled with its reason; topics other than orders are ignored', () => {
    const { connector } = connect();
    const cancelled = parseOrder(
      connector,
      orderFixture({ cancelled_at: '2024-10-15T10:00:00+02:00', cancel_reason: 'customer' }),
      'orders/cancelled',
    );
    expect(cancelled).toMatchObject({ cancelled: true, cancelReason: 'customer' });
    expect(cancelled.order.channelOrderId).toBe(ORDER_ID);

    expect(connector.orders!.webhooks!.parse('products/update', Buffer.from('{"id": 632910392}'))).toEqual({
      kind: 'ignored',
      reason: expect.stringContaining('products/update'),
    });
  });
});

const ITEM = (id: number) => `gid://shopify/InventoryItem/${id}`;
const LOCATION = (id: number) => `gid://shopify/Location/${id}`;

describe('Shopify connector: stock', () => {
  afterEach(() => nock.cleanAll());

  test('setAvailable resolves skus to inventory items once (cached for a day), sets each location in one call from the quantities Shopify holds, and skips skus Shopify does not know', async () => {
    const { connector, ctx } = connect();
    const shop = nockShopifyInventory(ORIGIN, API, { 'TEE-M': ITEM(808950810), 'MUG-10': ITEM(457924702), 'MUG-1': ITEM(39072856) });
    shop.levels.set(`${ITEM(808950810)}|${LOCATION(655441491)}`, 9);
    await connector.stock!.setAvailable([
      { sku: 'TEE-M', channelLocationId: '655441491', available: 7 },
      { sku: 'MUG-1', channelLocationId: '655441491', available: 0 },
      { sku: 'TEE-M', channelLocationId: '487838322', available: 12 },
      { sku: 'GHOST-1', channelLocationId: '655441491', available: 3 },
    ]);
    expect(shop.searches).toEqual(['sku:"TEE-M" OR sku:"MUG-1" OR sku:"GHOST-1"']);
    expect(shop.sets.map((c) => c.quantities)).toEqual([
      [
        { inventoryItemId: ITEM(808950810), locationId: LOCATION(655441491), quantity: 7, changeFromQuantity: 9 },
        { inventoryItemId: ITEM(39072856), locationId: LOCATION(655441491), quantity: 0, changeFromQuantity: null },
      ],
      [{ inventoryItemId: ITEM(808950810), locationId: LOCATION(487838322), quantity: 12, changeFromQuantity: null }],
    ]);
    expect(shop.sets.every((c) => /^[0-9a-f]{64}$/.test(c.idempotencyKey))).toBe(true);
    expect(warnings).toEqual([
      expect.objectContaining({ msg: expect.stringMatching(/unknown to Shopify/), fields: expect.objectContaining({ sku: 'GHOST-1' }) }),
    ]);
    expect(await ctx.cache.get('shopify:inventory-item:TEE-M')).toBe('808950810');

    // Second sync: no lookup; what Shopify already holds is not sent again.
    await connector.stock!.setAvailable([
      { sku: 'TEE-M', channelLocationId: '655441491', available: 6 },
      { sku: 'MUG-1', channelLocationId: '655441491', available: 0 },
      { sku: 'GHOST-1', channelLocationId: '655441491', available: 1 },
    ]);
    expect(shop.searches).toHaveLength(1);
    expect(shop.sets.at(-1)!.quantities).toEqual([
      { inventoryItemId: ITEM(808950810), locationId: LOCATION(655441491), quantity: 6, changeFromQuantity: 7 },
    ]);
  });

  test('a quantity Shopify changed between the read and the write (a sale) is read again, alone, and the batch sent again', async () => {
    const { connector } = connect();
    let sold = false;
    const shop = nockShopifyInventory(ORIGIN, API, { 'TEE-M': ITEM(808950810), 'MUG-1': ITEM(39072856) }, (levels) => {
      if (sold) return;
      sold = true;
      levels.set(`${ITEM(39072856)}|${LOCATION(655441491)}`, 4); // 5 -> 4: sold in the shop a moment ago
    });
    shop.levels.set(`${ITEM(808950810)}|${LOCATION(655441491)}`, 1);
    shop.levels.set(`${ITEM(39072856)}|${LOCATION(655441491)}`, 5);
    await connector.stock!.setAvailable([
      { sku: 'TEE-M', channelLocationId: '655441491', available: 3 },
      { sku: 'MUG-1', channelLocationId: '655441491', available: 8 },
    ]);
    expect(shop.sets.map((c) => [c.stale, c.quantities.map((q) => q.changeFromQuantity)])).toEqual([
      [1, [1, 5]],
      [0, [1, 4]],
    ]);
    expect(shop.reads).toEqual([[ITEM(808950810), ITEM(39072856)], [ITEM(39072856)]]);
    expect(shop.sets[0].idempotencyKey).not.toBe(shop.sets[1].idempotencyKey);
    expect(shop.levels.get(`${ITEM(39072856)}|${LOCATION(655441491)}`)).toBe(8);
  });

  test('600 skus at one location go in three sets of at most 250, each read in one query just before', async () => {
    const { connector } = connect();
    const skus = Array.from({ length: 600 }, (_, i) => `BULK-${String(i).padStart(3, '0')}`);
    // A Plus shop, so that the 600 items' reads do not wait for a Standard shop's budget.
    const shop = nockShopifyInventory(ORIGIN, API, Object.fromEntries(skus.map((sku, i) => [sku, ITEM(700_000 + i)])), undefined, {
      plan: PLUS_PLAN,
    });
    await connector.stock!.setAvailable(skus.map((sku, i) => ({ sku, channelLocationId: '655441491', available: i % 7 })));
    expect(shop.sets.map((c) => c.quantities.length)).toEqual([250, 250, 100]);
    expect(shop.reads.map((r) => r.length)).toEqual([250, 250, 100]); // each set's items read just before it
    expect(shop.levels.get(`${ITEM(700_599)}|${LOCATION(655441491)}`)).toBe(599 % 7);
  });

  test("batches follow the shop's bucket: with room for 600 points and reads at 3 points an item, no read asks for more than the bucket holds", async () => {
    const { connector } = connect();
    const skus = Array.from({ length: 600 }, (_, i) => `SMALL-${String(i).padStart(3, '0')}`);
    const shop = nockShopifyInventory(ORIGIN, API, Object.fromEntries(skus.map((sku, i) => [sku, ITEM(710_000 + i)])), undefined, {
      plan: { maximumAvailable: 600, restoreRate: 1_000 },
    });
    await connector.stock!.setAvailable(skus.map((sku) => ({ sku, channelLocationId: '655441491', available: 5 })));
    const sizes = shop.sets.map((c) => c.quantities.length);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(600);
    expect(sizes.length).toBeGreaterThan(3);
    expect(Math.max(...shop.reads.map((r) => 1 + r.length * 3))).toBeLessThanOrEqual(600);
    expect(shop.shop.calls.filter((c) => c.throttled)).toEqual([]);
  });

  test('a throttled GraphQL lookup waits for the cost bucket to refill and asks again', async () => {
    const { connector } = connect();
    nock(ORIGIN)
      .post(`${API}/graphql.json`)
      .reply(200, {
        errors: [{ message: 'Throttled', extensions: { code: 'THROTTLED', documentation: 'https://shopify.dev/api/usage/rate-limits' } }],
        extensions: {
          cost: {
            requestedQueryCost: 12,
            actualQueryCost: null,
            throttleStatus: { maximumAvailable: 2000, currentlyAvailable: 2, restoreRate: 100 },
          },
        },
      });
    const shop = nockShopifyInventory(ORIGIN, API, { 'TEE-M': ITEM(808950810) });
    await connector.stock!.setAvailable([{ sku: 'TEE-M', channelLocationId: '655441491', available: 4 }]);
    expect(shop.searches).toHaveLength(1);
    expect(shop.sets.map((c) => c.quantities.map((q) => q.quantity))).toEqual([[4]]);
  });

  test('a stock level for a location that is not a Shopify location id is refused naming the level', async () => {
    const { connector } = connect();
    const error = await connector
      .stock!.setAvailable([{ sku: 'TEE-M', channelLocationId: 'BER-1', available: 4 }])
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).problems).toEqual([
      { path: 'levels.0.channelLocationId', message: 'must be the numeric Shopify location id' },
    ]);
  });
});

describe('Shopify connector: fulfillment', () => {
  const shipment = {
    channelOrderId: ORDER_ID,
    carrier: 'DHL Express',
    trackingNumber: '00340434161094042557',
    lines: [
      { sku: 'TEE-M', quantity: 3 },
      { sku: 'MUG-1', quantity: 1 },
    ],
    idempotencyKey: `order:shopify:${ORDER_ID}:report-shipment`,
  };
  const LOCATION_GID = 'gid://shopify/Location/24826418';
  const placeDocumented = (shop: ReturnType<typeof nockShopify>['shop']) =>
    shop.placeOrder(
      ORDER_ID,
      documentedOrder.line_items.map((li) => ({ sku: li.sku, quantity: li.quantity, lineItemId: String(li.id) })),
      LOCATION_GID,
    );

  test('reportShipment creates one fulfillment with tracking over the open fulfillment orders, and reporting it again changes nothing', async () => {
    const { connector } = connect();
    const shop = nockShopify(ORIGIN, API);
    const order = placeDocumented(shop.shop);
    // A closed fulfillment order at the same location is left alone.
    order.fulfillmentOrders.push({
      id: 'gid://shopify/FulfillmentOrder/1046000790',
      status: 'CLOSED',
      locationId: LOCATION_GID,
      lineItems: [],
    });

    await connector.fulfillment!.reportShipment(shipment);
    const [created] = shop.requestsFor('fulfillmentCreate');
    expect(created.query).toMatch(/fulfillmentCreate\(fulfillment: \$fulfillment\)/);
    const fo = order.fulfillmentOrders[0];
    expect(created.variables).toEqual({
      fulfillment: {
        lineItemsByFulfillmentOrder: [
          {
            fulfillmentOrderId: fo.id,
            fulfillmentOrderLineItems: fo.lineItems.map((li, i) => ({ id: li.id, quantity: [2, 1, 1][i] })),
          },
        ],
        trackingInfo: { company: 'DHL Express', number: '00340434161094042557' },
        notifyCustomer: true,
      },
    });
    expect(shop.requestsFor('order')[0].variables).toEqual({ id: `gid://shopify/Order/${ORDER_ID}` });
    expect(order.fulfillments.map((f) => f.trackingNumber)).toEqual(['00340434161094042557']);
    expect(fo.status).toBe('CLOSED');

    // The retry finds the fulfillment with this tracking number on the order and creates nothing.
    await connector.fulfillment!.reportShipment(shipment);
    expect(shop.requestsFor('fulfillmentCreate')).toHaveLength(1);
    expect(order.fulfillments).toHaveLength(1);
  });

  test('a part of an order fulfils only its skus, and a refusal from Shopify is named with its userErrors', async () => {
    const { connector } = connect({ notifyCustomer: false });
    const shop = nockShopify(ORIGIN, API);
    const order = placeDocumented(shop.shop);
    await connector.fulfillment!.reportShipment({ ...shipment, trackingNumber: 'PART-1', lines: [{ sku: 'MUG-1', quantity: 1 }] });
    const sent = shop.requestsFor('fulfillmentCreate')[0].variables.fulfillment;
    expect(sent.notifyCustomer).toBe(false);
    expect(sent.lineItemsByFulfillmentOrder[0].fulfillmentOrderLineItems).toEqual([
      { id: order.fulfillmentOrders[0].lineItems[1].id, quantity: 1 },
    ]);
    expect(order.fulfillmentOrders[0].status).toBe('IN_PROGRESS');

    nock.cleanAll();
    nock(ORIGIN)
      .post(`${API}/graphql.json`, (b) => /fulfillmentOrders/.test(b.query))
      .reply(200, {
        data: {
          order: {
            id: `gid://shopify/Order/${ORDER_ID}`,
            cancelledAt: null,
            fulfillments: [],
            fulfillmentOrders: {
              nodes: [
                {
                  id: 'gid://shopify/FulfillmentOrder/1046000789',
                  status: 'OPEN',
                  supportedActions: [{ action: 'CREATE_FULFILLMENT' }],
                  assignedLocation: { location: { id: LOCATION_GID } },
                  lineItems: {
                    nodes: [
                      {
                        id: 'gid://shopify/FulfillmentOrderLineItem/1058737491',
                        remainingQuantity: 2,
                        lineItem: { id: 'gid://shopify/LineItem/1', sku: 'TEE-M' },
                      },
                    ],
                  },
                },
              ],
            },
          },
        },
        extensions: { cost: COST },
      })
      .post(`${API}/graphql.json`, (b) => /fulfillmentCreate/.test(b.query))
      .reply(200, {
        data: {
          fulfillmentCreate: {
            fulfillment: null,
            userErrors: [{ field: ['fulfillment', 'lineItemsByFulfillmentOrder', '0'], message: 'Fulfillment order is not open.' }],
          },
        },
        extensions: { cost: COST },
      });
    const refused = (await connector
      .fulfillment!.reportShipment({ ...shipment, trackingNumber: 'PART-2' })
      .catch((e: unknown) => e)) as UpstreamError;
    expect(refused).toBeInstanceOf(UpstreamError);
    expect(refused.code).toBe('upstream_rejected');
    expect(refused.message).toBe(
      `Shopify refused the fulfillment for order ${ORDER_ID}: at fulfillment.lineItemsByFulfillmentOrder.0: Fulfillment order is not open.`,
    );
  });

  test('reportCancellation cancels an open order once with orderCancel, refunding and not restocking, and leaves an already cancelled order alone', async () => {
    const { connector } = connect({ notifyCustomer: false });
    const shop = nockShopify(ORIGIN, API);
    const order = placeDocumented(shop.shop);
    await connector.fulfillment!.reportCancellation({ channelOrderId: ORDER_ID, reason: 'customer', idempotencyKey: 'k1' });
    const [cancel] = shop.requestsFor('orderCancel');
    expect(cancel.query).toMatch(/refundMethod: \{ originalPaymentMethodsRefund: true \}/);
    expect(cancel.query).toMatch(/restock: false/);
    expect(cancel.variables).toEqual({
      orderId: `gid://shopify/Order/${ORDER_ID}`,
      reason: 'CUSTOMER',
      notifyCustomer: false,
      staffNote: 'Cancelled in Orderhub: customer',
    });
    expect(order.cancelledAt).not.toBeNull();

    await connector.fulfillment!.reportCancellation({
      channelOrderId: ORDER_ID,
      reason: 'customer changed their mind',
      idempotencyKey: 'k1',
    });
    expect(shop.requestsFor('orderCancel')).toHaveLength(1);

    // Orderhub's own words are not one of Shopify's reasons: OTHER, with the words in the staff note.
    const other = placeDocumented(shop.shop);
    other.id = '5123456789013';
    shop.shop.orders.set(other.id, other);
    await connector.fulfillment!.reportCancellation({ channelOrderId: other.id, reason: 'out of stock for weeks', idempotencyKey: 'k2' });
    expect(shop.requestsFor('orderCancel')[1].variables).toMatchObject({
      reason: 'OTHER',
      staffNote: 'Cancelled in Orderhub: out of stock for weeks',
    });
  });

  test('a cancellation Shopify refuses is named with its orderCancelUserErrors; one refused because it was cancelled meanwhile is done', async () => {
    const { connector } = connect();
    const state = (cancelledAt: string | null) => ({
      data: { order: { id: `gid://shopify/Order/${ORDER_ID}`, cancelledAt } },
      extensions: { cost: COST },
    });
    const refusal = (message: string, code: string) => ({
      data: { orderCancel: { job: null, orderCancelUserErrors: [{ field: ['orderId'], message, code }] } },
      extensions: { cost: COST },
    });
    nock(ORIGIN)
      .post(`${API}/graphql.json`, (b) => /cancelledAt/.test(b.query) && !/orderCancel/.test(b.query))
      .reply(200, state(null))
      .post(`${API}/graphql.json`, (b) => /orderCancel/.test(b.query))
      .reply(200, refusal('Cannot cancel an order with an active return.', 'INVALID'))
      .post(`${API}/graphql.json`, (b) => /cancelledAt/.test(b.query) && !/orderCancel/.test(b.query))
      .reply(200, state(null));
    const refused = (await connector
      .fulfillment!.reportCancellation({ channelOrderId: ORDER_ID, reason: 'customer', idempotencyKey: 'k3' })
      .catch((e: unknown) => e)) as UpstreamError;
    expect(refused).toBeInstanceOf(UpstreamError);
    expect(refused.message).toBe(
      `Shopify refused to cancel order ${ORDER_ID}: INVALID at orderId: Cannot cancel an order with an active return.`,
    );
    expect(nock.isDone()).toBe(true);

    nock(ORIGIN)
      .post(`${API}/graphql.json`, (b) => /cancelledAt/.test(b.query) && !/orderCancel/.test(b.query))
      .reply(200, state(null))
      .post(`${API}/graphql.json`, (b) => /orderCancel/.test(b.query))
      .reply(200, refusal('Cannot cancel an order that has already been cancelled.', 'INVALID'))
      .post(`${API}/graphql.json`, (b) => /cancelledAt/.test(b.query) && !/orderCancel/.test(b.query))
      .reply(200, state('2024-10-15T08:00:00Z'));
    await expect(
      connector.fulfillment!.reportCancellation({ channelOrderId: ORDER_ID, reason: 'customer', idempotencyKey: 'k3' }),
    ).resolves.toBeUndefined();
    expect(nock.isDone()).toBe(true);
  });
});

describe('Shopify API versions', () => {
  test('each stable version is supported for 12 months from its release; the newest is the default', () => {
    expect(supportedShopifyVersions(new Date('2026-11-28T12:00:00Z'))).toEqual(['2026-01', '2026-04', '2026-07', '2026-10']);
    expect(supportedShopifyVersions(new Date('2027-01-01T00:00:00Z'))).toEqual(['2026-04', '2026-07', '2026-10', '2027-01']);
    expect(newestStableShopifyVersion(new Date('2026-12-31T23:59:59Z'))).toBe('2026-10');
  });
});
