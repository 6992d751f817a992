import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import nock from 'nock';
import { createTestContext, type TestContext } from '../support/stack';
import { apiFor } from '../support/api';
import { nockShopify } from '../support/shopify-stock';
import { newestStableShopifyVersion } from '../../connectors/shopify';
import { eventually, location } from '../support/fixtures';
import { PLUS_PLAN } from '../../bench/shopify-shop';

// A return made in Shopify, over the real stack: Shopify's signed returns/request and returns/approve
// webhooks (each delivered twice) become one Orderhub return; the items come back to the warehouse, one
// line restocked (pushed to Shopify's inventory) and one scrapped; the refund goes through the payment
// journal and is reported to Shopify as one refundCreate. Shopify is the nock stand-in of bench/shopify-shop.ts.
const SHOP = 'orderhub-returns.myshopify.com';
const SECRET = 'shopify-app-client-secret-returns';
const SHOPIFY_LOCATION = '655441492';
const runId = Date.now() % 1_000_000_000;
const ORDER_NUMBER = String(8_000_000_000_000 + runId);
const RETURN_NUMBER = String(9_100_000_000_000_000_000n + BigInt(runId));
const fixture = JSON.parse(readFileSync(join(__dirname, '..', 'connectors', 'fixtures', 'shopify', 'order-cod.json'), 'utf8'));
// The same order, paid at Shopify (a card sale), with its line item ids as Shopify gave them.
const orderBodyText = JSON.stringify({ ...fixture, id: Number(ORDER_NUMBER), financial_status: 'paid', gateway: 'shopify_payments' });
const TEE_LINE = '13412345678901';
const MUG_LINE = '13412345678902';

let ctx: TestContext;
let api: Awaited<ReturnType<typeof apiFor>>;
let shop: ReturnType<typeof nockShopify>;

beforeAll(async () => {
  nock.disableNetConnect();
  nock.enableNetConnect(/127\.0\.0\.1|localhost/);
  ctx = await createTestContext('e2e_shopify_returns');
  api = await apiFor(ctx, { activityMaxAttempts: 2, activityInitialIntervalMs: 100 });
  await ctx.startWorker();
  await ctx.startConsumers();
  shop = nockShopify(`https://${SHOP}`, `/admin/api/${newestStableShopifyVersion()}`, {
    variants: { 'TEE-M': 'gid://shopify/InventoryItem/818950810', 'MUG-1': 'gid://shopify/InventoryItem/818950811' },
    plan: PLUS_PLAN,
  });
});
afterAll(async () => {
  await ctx.close();
  nock.cleanAll();
  nock.enableNetConnect();
});

const sign = (body: string) => createHmac('sha256', SECRET).update(body, 'utf8').digest('base64');
const deliver = (topic: string, body: string, webhookId: string) =>
  api.raw
    .post('/webhooks/shop-rt')
    .set({
      'content-type': 'application/json',
      'x-shopify-topic': topic,
      'x-shopify-shop-domain': SHOP,
      'x-shopify-hmac-sha256': sign(body),
      'x-shopify-webhook-id': webhookId,
      'x-shopify-triggered-at': new Date().toISOString(),
    })
    .send(body);

// Shopify's return payload (returns/request, returns/approve): line items by id, no skus.
const returnBody = (status: string) =>
  `{"id":${RETURN_NUMBER},"admin_graphql_api_id":"gid://shopify/Return/${RETURN_NUMBER}","status":"${status}",` +
  `"order":{"id":${ORDER_NUMBER},"admin_graphql_api_id":"gid://shopify/Order/${ORDER_NUMBER}"},"name":"#1001-R1",` +
  `"total_return_line_items":2,"return_line_items":[` +
  `{"id":77001,"admin_graphql_api_id":"gid://shopify/ReturnLineItem/77001","fulfillment_line_item":{"id":88001,"line_item":{"id":${TEE_LINE}}},"quantity":1,"return_reason":"size_too_small","return_reason_note":"","customer_note":"Too tight"},` +
  `{"id":77002,"admin_graphql_api_id":"gid://shopify/ReturnLineItem/77002","fulfillment_line_item":{"id":88002,"line_item":{"id":${MUG_LINE}}},"quantity":1,"return_reason":"defective","return_reason_note":"","customer_note":null}` +
  `],"return_shipping_fees":[],"exchange_line_items":[],"total_exchange_line_items":0}`;

test('a return made in Shopify is taken once, received, restocked and scrapped, refunded once and reported to Shopify once', async () => {
  expect((await api.post('/locations', location('RT-WH', 1))).status).toBe(201);
  for (const sku of ['TEE-M', 'MUG-1']) expect((await api.post('/items', { sku, name: sku })).status).toBe(201);
  for (const sku of ['TEE-M', 'MUG-1'])
    expect((await api.post('/stock/receipts', { sku, locationId: 'RT-WH', quantity: 20 })).status).toBe(201);
  expect((await api.put('/return-policy', { returnLabel: 'none' })).status).toBe(200);
  const created = await api.post('/connections', {
    id: 'shop-rt',
    kind: 'shopify',
    name: 'Returns storefront',
    options: { shopDomain: SHOP },
    credentials: { accessToken: 'shpat_returns_token_value', webhookSecret: SECRET },
    stockFeeds: [{ channelLocationId: SHOPIFY_LOCATION, locationIds: ['RT-WH'] }],
  });
  expect(created.status).toBe(201);
  // Stock changes reach a new connection from two seconds after it was made (the notifier's cache of them).
  await new Promise((r) => setTimeout(r, 2_100));

  // The order, paid at Shopify, taken by webhook and delivered.
  shop.shop.placeOrder(
    ORDER_NUMBER,
    [
      { sku: 'TEE-M', quantity: 2, lineItemId: TEE_LINE },
      { sku: 'MUG-1', quantity: 1, lineItemId: MUG_LINE },
      { sku: 'TEE-M', quantity: 1, lineItemId: '13412345678903' },
    ],
    SHOPIFY_LOCATION,
    { currencyCode: fixture.currency, paidCents: 8791 },
  );
  expect((await deliver('orders/create', orderBodyText, `wh-order-${runId}`)).status).toBe(200);
  const orderId = `order:shop-rt:${ORDER_NUMBER}`;
  const getOrder = async () => (await api.get(`/orders/${orderId}`)).body;
  await eventually(getOrder, (o) => o.status === 'released_to_fulfillment', 30_000, 'the Shopify order released');
  for (const event of [
    { type: 'picked' },
    { type: 'packed' },
    { type: 'shipped', carrier: 'DHL', trackingNumber: `RT${runId}` },
    { type: 'delivered' },
  ])
    expect((await api.post(`/orders/${orderId}/events`, event)).status).toBe(200);
  await eventually(getOrder, (o) => o.status === 'delivered' || o.status === 'completed', 30_000, 'the order delivered');

  // Asked for in Shopify: one return, however often the webhook comes; Shopify approves or declines it.
  for (const attempt of [1, 2])
    expect((await deliver('returns/request', returnBody('requested'), `wh-ret-req-${runId}-${attempt}`)).status).toBe(200);
  const returnId = `return:${orderId}:1`;
  const requested = await eventually(
    async () => (await api.get(`/returns/${returnId}`)).body,
    (r) => r.status === 'requested',
    30_000,
    'the return from Shopify',
  );
  expect(requested).toMatchObject({
    source: 'channel',
    channelReturnId: RETURN_NUMBER,
    request: {
      lines: [
        { sku: 'TEE-M', quantity: 1 },
        { sku: 'MUG-1', quantity: 1 },
      ],
      reason: 'size_too_small',
      resolution: 'refund',
    },
    decision: { outcome: 'review', rule: 'channel_decides' },
  });
  for (const attempt of [1, 2])
    expect((await deliver('returns/approve', returnBody('open'), `wh-ret-ok-${runId}-${attempt}`)).status).toBe(200);
  await eventually(
    async () => (await api.get(`/returns/${returnId}`)).body,
    (r) => r.status === 'awaiting_items',
    30_000,
    'the return approved at Shopify',
  );
  expect((await api.get(`/orders/${orderId}/returns`)).body.returns).toHaveLength(1);

  // Back at the warehouse: the tee is sellable again (and Shopify hears of it), the mug is scrapped.
  const teeBefore = await ctx.stores.ledger.balance('TEE-M', 'RT-WH');
  const received = await api.post(`/returns/${returnId}/receive`, {
    locationId: 'RT-WH',
    scanned: [
      { sku: 'TEE-M', quantity: 1 },
      { sku: 'MUG-1', quantity: 1 },
    ],
    inspection: {
      lines: [
        { sku: 'TEE-M', quantity: 1, disposition: 'restock' },
        { sku: 'MUG-1', quantity: 1, disposition: 'scrap', reason: 'cracked glaze' },
      ],
    },
  });
  expect(received.status).toBe(200);
  const refunded = await eventually(
    async () => (await api.get(`/returns/${returnId}`)).body,
    (r) => r.status === 'refunded' && !!r.refund?.channel,
    30_000,
    'the return refunded and reported',
  );
  // The goods (the tee at the merged TEE-M line's price less its discount share, and the mug) and their
  // tax back; the default policy keeps no restocking fee.
  expect(refunded.refund).toMatchObject({ restockingFee: 0, shipping: 0, status: 'refunded', channel: { status: 'reported' } });
  const { goods, tax, total } = refunded.refund;
  expect([goods > 1250, total]).toEqual([true, goods + tax]);
  const tee = await ctx.stores.ledger.balance('TEE-M', 'RT-WH');
  expect(tee.available - teeBefore.available).toBe(1);
  await eventually(
    async () =>
      shop
        .applied()
        .filter((a) => a.inventoryItemId === '818950810')
        .at(-1)?.available,
    (available) => available === tee.available,
    30_000,
    'the restocked tee pushed to Shopify',
  );
  expect((await ctx.stores.payments.forOrder(orderId)).filter((p) => p.operation === 'refund').map((p) => p.amount)).toEqual([total]);
  const refundCalls = shop.requestsFor('refundCreate');
  expect(refundCalls).toHaveLength(1);
  expect(refundCalls[0].variables.input).toMatchObject({
    orderId: `gid://shopify/Order/${ORDER_NUMBER}`,
    refundLineItems: expect.arrayContaining([{ lineItemId: `gid://shopify/LineItem/${MUG_LINE}`, quantity: 1, restockType: 'NO_RESTOCK' }]),
    transactions: [expect.objectContaining({ amount: (total / 100).toFixed(2), kind: 'REFUND' })],
  });
  expect(refundCalls[0].variables.input.note).toContain(returnId);
});
