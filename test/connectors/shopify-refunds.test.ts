import nock from 'nock';
import { createAmazonConnector } from '../../connectors/amazon';
import { UpstreamError } from '../../connectors/http';
import { newestStableShopifyVersion, shopifyConnector } from '../../connectors/shopify';
import type { Connector, RefundReport } from '../../connectors/types';
import { ValidationError } from '../../domain/errors';
import { testConnectorContext } from '../support/connectors';

// Refunds reported to Shopify over GraphQL refundCreate, against a nock stand-in answering as the GraphQL
// Admin API documents: the order's refunds, transactions (with maximumRefundableV2) and line items
// (with refundableQuantity); refundCreate with @idempotent, answering the refund or userErrors.

const SHOP = 'orderhub-test.myshopify.com';
const ORIGIN = `https://${SHOP}`;
const API = `/admin/api/${newestStableShopifyVersion()}`;
const ORDER_ID = '5123456789012';
const ORDER_GID = `gid://shopify/Order/${ORDER_ID}`;
const SALE_GID = 'gid://shopify/OrderTransaction/6712345678901';
const RETURN_ID = `return:order:shop-eu:${ORDER_ID}:1`;
const COST = {
  requestedQueryCost: 12,
  actualQueryCost: 12,
  throttleStatus: { maximumAvailable: 2000, currentlyAvailable: 1988, restoreRate: 100 },
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- vendor JSON, read field by field in assertions
type Json = Record<string, any>;

let closers: (() => void)[] = [];

function connect(options: Json = {}): Connector {
  const test = testConnectorContext('shop-eu');
  closers.push(test.close);
  return shopifyConnector.create(
    shopifyConnector.optionsSchema.parse({ shopDomain: SHOP, ...options }),
    shopifyConnector.credentialsSchema.parse({ accessToken: 'shpat_test_access_token', webhookSecret: 'shpss_test_client_secret' }),
    test.ctx,
  );
}

// One Shopify order as the stand-in holds it; refundCreate adds to its refunds.
function shopOrder() {
  return {
    id: ORDER_GID,
    currencyCode: 'EUR',
    presentmentCurrencyCode: 'EUR',
    refunds: [] as { id: string; note: string | null }[],
    transactions: [
      {
        id: 'gid://shopify/OrderTransaction/6712345678900',
        kind: 'AUTHORIZATION',
        status: 'SUCCESS',
        gateway: 'shopify_payments',
        maximumRefundableV2: null,
      },
      {
        id: SALE_GID,
        kind: 'SALE',
        status: 'SUCCESS',
        gateway: 'shopify_payments',
        maximumRefundableV2: { amount: '92.37', currencyCode: 'EUR' },
      },
    ] as Json[],
    lineItems: {
      nodes: [
        { id: 'gid://shopify/LineItem/13412345678901', sku: 'TEE-M', refundableQuantity: 2 },
        { id: 'gid://shopify/LineItem/13412345678902', sku: 'MUG-1', refundableQuantity: 1 },
        { id: 'gid://shopify/LineItem/13412345678903', sku: 'TEE-M', refundableQuantity: 1 },
      ],
      pageInfo: { hasNextPage: false, endCursor: null as string | null },
    },
  };
}

// The stand-in: every request body kept; refundCreate answered with `answer` (default: the refund made).
function nockShop(order: ReturnType<typeof shopOrder>, answer?: (variables: Json) => Json, morePages: Record<string, Json> = {}) {
  const requests: { query: string; variables: Json }[] = [];
  let made = 0;
  nock(ORIGIN)
    .persist()
    .post(`${API}/graphql.json`)
    .reply((_uri, body) => {
      const { query, variables } = body as { query: string; variables: Json };
      requests.push({ query, variables });
      if (/\brefundCreate\s*\(/.test(query)) {
        const data = answer?.(variables) ?? {
          refundCreate: { refund: { id: `gid://shopify/Refund/92912345678${++made}`, note: variables.input.note }, userErrors: [] },
        };
        if (data.refundCreate.refund) order.refunds.push(data.refundCreate.refund);
        return [200, { data, extensions: { cost: COST } }];
      }
      if (/\border\s*\(id: \$id\)/.test(query)) {
        expect(variables.id).toBe(ORDER_GID);
        // The next page of line items, after the cursor the first read ended on.
        if (variables.after) return [200, { data: { order: { lineItems: morePages[variables.after] } }, extensions: { cost: COST } }];
        return [200, { data: { order }, extensions: { cost: COST } }];
      }
      return [400, { errors: [{ message: `unexpected query ${query}` }] }];
    });
  return { requests, refundCreates: () => requests.filter((r) => /\brefundCreate\s*\(/.test(r.query)) };
}

const report = (changes: Partial<RefundReport> = {}): RefundReport => ({
  returnId: RETURN_ID,
  channelOrderId: ORDER_ID,
  lines: [
    { sku: 'TEE-M', quantity: 3 },
    { sku: 'MUG-1', quantity: 1 },
  ],
  amount: 7437, // 3 tees and a mug less their discounts, plus 4.90 shipping
  currency: 'EUR',
  shipping: { amount: 490 },
  note: 'Customer return, arrived unworn',
  ...changes,
});

beforeAll(() => {
  nock.disableNetConnect();
  nock.enableNetConnect(/127\.0\.0\.1|localhost/); // Redis of the test stack
});
afterEach(() => {
  nock.cleanAll();
  for (const close of closers) close();
  closers = [];
});
afterAll(() => nock.enableNetConnect());

describe('Shopify connector: refunds', () => {
  test('a refund is one refundCreate with the returned line items unrestocked, the shipping and a REFUND against the sale, in decimal strings; the same return again creates nothing', async () => {
    const connector = connect({ notifyCustomer: false });
    const order = shopOrder();
    const shop = nockShop(order);

    const outcome = await connector.refunds!.reportRefund(report());
    expect(outcome).toEqual({ status: 'reported', channelRefundId: '929123456781' });
    const [created] = shop.refundCreates();
    expect(created.query).toMatch(/refundCreate\(input: \$input\) @idempotent\(key: \$idempotencyKey\)/);
    expect(created.variables).toEqual({
      input: {
        orderId: ORDER_GID,
        note: `Orderhub return ${RETURN_ID}: Customer return, arrived unworn`,
        notify: false,
        // TEE-M is on two line items: 2 from the first, 1 from the second.
        refundLineItems: [
          { lineItemId: 'gid://shopify/LineItem/13412345678901', quantity: 2, restockType: 'NO_RESTOCK' },
          { lineItemId: 'gid://shopify/LineItem/13412345678903', quantity: 1, restockType: 'NO_RESTOCK' },
          { lineItemId: 'gid://shopify/LineItem/13412345678902', quantity: 1, restockType: 'NO_RESTOCK' },
        ],
        shipping: { amount: '4.90' },
        transactions: [{ orderId: ORDER_GID, parentId: SALE_GID, gateway: 'shopify_payments', kind: 'REFUND', amount: '74.37' }],
      },
      idempotencyKey: expect.stringMatching(/^[0-9a-f]{64}$/),
    });

    // A retry (the answer was lost, the activity ran again) finds the refund by its note and sends none.
    await expect(connector.refunds!.reportRefund(report())).resolves.toEqual({ status: 'reported', channelRefundId: '929123456781' });
    expect(shop.refundCreates()).toHaveLength(1);
    expect(order.refunds).toHaveLength(1);

    // Another return on the same order is a refund of its own, under its own idempotency key.
    const second = await connector.refunds!.reportRefund(
      report({
        returnId: `return:order:shop-eu:${ORDER_ID}:2`,
        lines: [{ sku: 'MUG-1', channelLineId: '13412345678902', quantity: 1 }],
        amount: 1250,
        shipping: undefined,
        note: undefined,
      }),
    );
    expect(second).toEqual({ status: 'reported', channelRefundId: '929123456782' });
    const [, next] = shop.refundCreates();
    expect(next.variables.input).toEqual({
      orderId: ORDER_GID,
      note: `Orderhub return return:order:shop-eu:${ORDER_ID}:2`,
      notify: false,
      refundLineItems: [{ lineItemId: 'gid://shopify/LineItem/13412345678902', quantity: 1, restockType: 'NO_RESTOCK' }],
      transactions: [{ orderId: ORDER_GID, parentId: SALE_GID, gateway: 'shopify_payments', kind: 'REFUND', amount: '12.50' }],
    });
    expect(next.variables.idempotencyKey).not.toBe(created.variables.idempotencyKey);
  });

  test('a refund larger than one payment can give back is spread over the sales and captures, each up to its maximumRefundable', async () => {
    const connector = connect();
    const order = shopOrder();
    order.transactions = [
      {
        id: 'gid://shopify/OrderTransaction/1',
        kind: 'SALE',
        status: 'SUCCESS',
        gateway: 'gift_card',
        maximumRefundableV2: { amount: '20.00', currencyCode: 'EUR' },
      },
      {
        id: 'gid://shopify/OrderTransaction/2',
        kind: 'SALE',
        status: 'FAILURE',
        gateway: 'shopify_payments',
        maximumRefundableV2: { amount: '99.00', currencyCode: 'EUR' },
      },
      {
        id: 'gid://shopify/OrderTransaction/3',
        kind: 'CAPTURE',
        status: 'SUCCESS',
        gateway: 'shopify_payments',
        maximumRefundableV2: { amount: '80.00', currencyCode: 'EUR' },
      },
    ];
    const shop = nockShop(order);
    await connector.refunds!.reportRefund(report());
    const sent = shop.refundCreates()[0].variables.input;
    expect(sent.notify).toBe(true); // the connection's notifyCustomer, true by default
    expect(sent.transactions).toEqual([
      { orderId: ORDER_GID, parentId: 'gid://shopify/OrderTransaction/1', gateway: 'gift_card', kind: 'REFUND', amount: '20.00' },
      { orderId: ORDER_GID, parentId: 'gid://shopify/OrderTransaction/3', gateway: 'shopify_payments', kind: 'REFUND', amount: '54.37' },
    ]);
  });

  test('an order with more line items than one read carries has the rest read, 100 at a time, before the skus are matched', async () => {
    const connector = connect();
    const order = shopOrder();
    order.lineItems = {
      nodes: Array.from({ length: 100 }, (_, i) => ({ id: `gid://shopify/LineItem/${2000 + i}`, sku: `SKU-${i}`, refundableQuantity: 1 })),
      pageInfo: { hasNextPage: true, endCursor: 'eyJsYXN0X2lkIjoyMDk5fQ==' },
    };
    const shop = nockShop(order, undefined, {
      'eyJsYXN0X2lkIjoyMDk5fQ==': {
        nodes: [{ id: 'gid://shopify/LineItem/3000', sku: 'MUG-1', refundableQuantity: 1 }],
        pageInfo: { hasNextPage: false, endCursor: null },
      },
    });
    await connector.refunds!.reportRefund(report({ lines: [{ sku: 'MUG-1', quantity: 1 }], amount: 1250, shipping: undefined }));
    const [first, more] = shop.requests;
    expect(first.variables).toEqual({ id: ORDER_GID, lines: 100 });
    expect(more.variables).toEqual({ id: ORDER_GID, lines: 100, after: 'eyJsYXN0X2lkIjoyMDk5fQ==' });
    expect(shop.refundCreates()[0].variables.input.refundLineItems).toEqual([
      { lineItemId: 'gid://shopify/LineItem/3000', quantity: 1, restockType: 'NO_RESTOCK' },
    ]);
  });

  test('userErrors from refundCreate are reported in an error naming each, and the refund is not taken as made', async () => {
    const connector = connect();
    const shop = nockShop(shopOrder(), () => ({
      refundCreate: {
        refund: null,
        userErrors: [
          { field: ['transactions', '0', 'amount'], message: 'Amount cannot be greater than the refundable amount' },
          { field: null, message: 'Refund could not be processed' },
        ],
      },
    }));
    const refused = (await connector.refunds!.reportRefund(report()).catch((e: unknown) => e)) as UpstreamError;
    expect(refused).toBeInstanceOf(UpstreamError);
    expect(refused.code).toBe('upstream_rejected');
    expect(refused.message).toBe(
      `Shopify refused the refund for order ${ORDER_ID} (${RETURN_ID}): at transactions.0.amount: Amount cannot be greater than the refundable amount; Refund could not be processed`,
    );
    expect(shop.refundCreates()).toHaveLength(1);
  });

  test('lines that do not fit the order, more money than its payments hold, or another currency are refused naming each, and nothing is sent', async () => {
    const connector = connect();
    const shop = nockShop(shopOrder());
    const lines = (await connector
      .refunds!.reportRefund(
        report({
          lines: [
            { sku: 'TEE-M', quantity: 4 },
            { sku: 'HAT-1', quantity: 1 },
            { sku: 'MUG-1', channelLineId: '999', quantity: 1 },
          ],
        }),
      )
      .catch((e: unknown) => e)) as ValidationError;
    expect(lines).toBeInstanceOf(ValidationError);
    expect(lines.problems).toEqual([
      { path: 'lines.0.quantity', message: `1 more than Shopify can still refund of TEE-M on order ${ORDER_ID}` },
      { path: 'lines.1.sku', message: `HAT-1 is not on Shopify order ${ORDER_ID}` },
      { path: 'lines.2.channelLineId', message: `line item 999 is not on Shopify order ${ORDER_ID}` },
    ]);

    const money = (await connector.refunds!.reportRefund(report({ amount: 9238 })).catch((e: unknown) => e)) as ValidationError;
    expect(money.problems).toEqual([{ path: 'amount', message: '92.38 EUR asked, 92.37 EUR can still be refunded against its payments' }]);

    const currency = (await connector.refunds!.reportRefund(report({ currency: 'USD' })).catch((e: unknown) => e)) as ValidationError;
    expect(currency.problems).toEqual([{ path: 'currency', message: "must be the order's currency EUR" }]);
    expect(shop.refundCreates()).toHaveLength(0);
  });
});

describe('Amazon connector: refunds', () => {
  test('a refund is answered not_supported with the documented reason, and nothing is sent to Amazon', async () => {
    const test = testConnectorContext('amazon');
    closers.push(test.close);
    const connector = createAmazonConnector(
      { region: 'na', marketplaceIds: ['ATVPDKIKX0DER'], sellerId: 'A2EXAMPLE1SELLR' },
      { clientId: 'amzn1.application-oa2-client.0123456789abcdef', clientSecret: 'secret', refreshToken: 'Atzr|token' },
      test.ctx,
    );
    const outcome = await connector.refunds!.reportRefund(
      report({ returnId: 'return:order:amazon:113-1234567-1234567:1', channelOrderId: '113-1234567-1234567', currency: 'USD' }),
    );
    expect(outcome).toEqual({ status: 'not_supported', why: expect.stringContaining('POST_PAYMENT_ADJUSTMENT_DATA') });
    expect(outcome.status === 'not_supported' && outcome.why).toContain('Seller Central');
    expect(nock.pendingMocks()).toEqual([]); // and nock refuses any request: none was made
  });
});
