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

// The whole path over the real stack: a signed Shopify webhook through the API, BullMQ and the order
// workflow; then a stock receipt through the ledger, the debounced push and Shopify's inventory API (nock).
const SHOP = 'orderhub-e2e.myshopify.com';
const SECRET = 'shopify-app-client-secret-e2e';
const SHOPIFY_LOCATION = '655441491';
// Each run its own Shopify order ids: workflow ids outlive a suite's database on a reused Temporal server.
const runId = Date.now() % 1_000_000_000;
const shopifyOrder = {
  ...JSON.parse(readFileSync(join(__dirname, '..', 'connectors', 'fixtures', 'shopify', 'order-cod.json'), 'utf8')),
  id: 7_000_000_000_000 + runId,
};
const fixture = JSON.stringify(shopifyOrder);

let ctx: TestContext;
let api: Awaited<ReturnType<typeof apiFor>>;
let shop: ReturnType<typeof nockShopify>;

beforeAll(async () => {
  nock.disableNetConnect();
  nock.enableNetConnect(/127\.0\.0\.1|localhost/);
  ctx = await createTestContext('e2e_shopify');
  api = await apiFor(ctx, { activityMaxAttempts: 2, activityInitialIntervalMs: 100 });
  await ctx.startWorker();
  await ctx.startConsumers();
  // Shopify, as its GraphQL Admin API documents it: sku -> inventory item, current levels, then
  // inventorySetQuantities with changeFromQuantity.
  shop = nockShopify(`https://${SHOP}`, `/admin/api/${newestStableShopifyVersion()}`, {
    variants: {
      'TEE-M': 'gid://shopify/InventoryItem/808950810',
      'MUG-1': 'gid://shopify/InventoryItem/808950811',
      'SHOP-MUG': 'gid://shopify/InventoryItem/808950812', // the shop's own sku for MUG-1 (see the sku map test)
    },
    // A Plus shop: stock pushes here do not wait for a Standard shop's budget (pacing has its own tests).
    plan: PLUS_PLAN,
  });
});
afterAll(async () => {
  await ctx.close();
  nock.cleanAll();
  nock.enableNetConnect();
});

const sign = (body: string, secret = SECRET) => createHmac('sha256', secret).update(body, 'utf8').digest('base64');
const postWebhook = (body: string, headers: Record<string, string>) =>
  api.raw
    .post('/webhooks/shop-eu')
    .set({ 'content-type': 'application/json', 'x-shopify-topic': 'orders/create', 'x-shopify-shop-domain': SHOP, ...headers })
    .send(body);

test('a Shopify order arrives by webhook exactly once, and a stock receipt reaches Shopify with the right quantity', async () => {
  expect((await api.post('/locations', location('BER-1', 1))).status).toBe(201);
  for (const sku of ['TEE-M', 'MUG-1']) expect((await api.post('/items', { sku, name: sku })).status).toBe(201);

  const created = await api.post('/connections', {
    id: 'shop-eu',
    kind: 'shopify',
    name: 'EU storefront',
    options: { shopDomain: SHOP },
    credentials: { accessToken: 'shpat_e2e_token_value', webhookSecret: SECRET },
    stockFeeds: [{ channelLocationId: SHOPIFY_LOCATION, locationIds: ['BER-1'] }],
    safetyBuffer: 2,
  });
  expect(created.status).toBe(201);
  expect(JSON.stringify(created.body)).not.toContain(SECRET);
  expect(created.body.credentialFields).toEqual(['accessToken', 'webhookSecret']);
  const schedule = await ctx.temporal.schedule.getHandle('sync:shop-eu:orders').describe();
  expect(schedule.state.paused).toBe(false);

  // A bad signature is refused and nothing is stored.
  const forged = await postWebhook(fixture, {
    'x-shopify-hmac-sha256': sign(fixture, 'not-the-secret'),
    'x-shopify-webhook-id': 'forged-1',
  });
  expect(forged.status).toBe(401);
  expect(await ctx.mongo.db.collection('webhook_deliveries').countDocuments()).toBe(0);

  // The same delivery eight times (Shopify retries) gives one order.
  const headers = { 'x-shopify-hmac-sha256': sign(fixture), 'x-shopify-webhook-id': `b54557e4-bdd9-4b37-8a5f-${runId}` };
  const answers = [];
  for (let i = 0; i < 8; i++) answers.push(await postWebhook(fixture, headers));
  expect(answers.map((a) => a.status)).toEqual(Array(8).fill(200));
  expect(answers.filter((a) => a.body.duplicate === false)).toHaveLength(1);

  const orderId = `order:shop-eu:${shopifyOrder.id}`;
  const waiting = await eventually(
    async () => (await api.get(`/orders/${orderId}`)).body,
    (o) => o.status === 'awaiting_stock',
    30_000,
    'the order to wait for stock',
  );
  expect(waiting.order.payment.method).toBe('cash_on_delivery');
  // The delivery is remembered (a later resend is still recognised) but its body is not kept once processed.
  const stored = await eventually(
    () => ctx.stores.webhooks.get(`shop-eu|${headers['x-shopify-webhook-id']}`),
    (d) => d?.status === 'processed',
    30_000,
    'the delivery to be settled',
  );
  expect(stored).toMatchObject({ status: 'processed', resends: 7, bodyBytes: Buffer.byteLength(fixture) });
  expect(stored).not.toHaveProperty('body');
  const listed = await api.get('/orders?channel=shop-eu');
  expect(listed.body.orders.map((o: { orderId: string }) => o.orderId)).toEqual([orderId]);

  // Stock arrives: the order reserves it, and Shopify is told what is left to sell (minus the buffer).
  await api.post('/stock/receipts', { sku: 'TEE-M', locationId: 'BER-1', quantity: 10, reference: 'PO-7' });
  await api.post('/stock/receipts', { sku: 'MUG-1', locationId: 'BER-1', quantity: 4, reference: 'PO-7' });
  await eventually(
    async () => (await api.get(`/orders/${orderId}`)).body.status,
    (s) => s === 'released_to_fulfillment',
    30_000,
    'the order to be released',
  );
  // TEE-M: 10 on hand - 3 reserved - 2 buffer = 5; MUG-1: 4 - 1 - 2 = 1.
  const pushed = await eventually(
    async () =>
      (await api.get('/connections/shop-eu/stock-sync')).body.pushes as { sku: string; available: number; channelLocationId: string }[],
    (p) => p.find((x) => x.sku === 'TEE-M')?.available === 5 && p.find((x) => x.sku === 'MUG-1')?.available === 1,
    30_000,
    'stock pushes to settle',
  );
  expect(pushed.every((p) => p.channelLocationId === SHOPIFY_LOCATION)).toBe(true);
  expect(shop.levels.get(`gid://shopify/InventoryItem/808950810|gid://shopify/Location/${SHOPIFY_LOCATION}`)).toBe(5);
  expect(
    shop
      .applied()
      .filter((a) => a.inventoryItemId === '808950810')
      .at(-1),
  ).toEqual({ inventoryItemId: '808950810', available: 5 });

  // Repeats of the same webhook did not reserve twice.
  expect((await api.get('/stock/TEE-M')).body.total).toEqual({ onHand: 10, reserved: 3, quarantined: 0, available: 7 });
});

test('a verified delivery that cannot be mapped becomes a dead letter with its reason, and can be replayed', async () => {
  const order = JSON.parse(fixture);
  order.id = 8_000_000_000_000 + runId;
  order.line_items[0].sku = null;
  const body = JSON.stringify(order);
  const res = await postWebhook(body, { 'x-shopify-hmac-sha256': sign(body), 'x-shopify-webhook-id': `dead-letter-${runId}` });
  expect(res.status).toBe(200);
  const dead = await eventually(
    async () => (await api.get('/webhooks/dead-letters')).body.deadLetters as { id: string; deadReason: string }[],
    (d) => d.length === 1,
    30_000,
    'a dead letter',
  );
  expect(dead[0]).toMatchObject({ connectionId: 'shop-eu', deliveryId: `dead-letter-${runId}`, topic: 'orders/create' });
  expect(dead[0].deadReason).toMatch(/line_items\.0\.sku/);
  const replay = await api.post(`/webhooks/dead-letters/${encodeURIComponent(dead[0].id)}/replay`);
  expect(replay.status).toBe(202);
  await eventually(
    async () => (await api.get('/webhooks/dead-letters')).body.deadLetters,
    (d: { replays: number }[]) => d.length === 1 && d[0].replays === 1,
    30_000,
    'the replay to dead-letter again',
  );
  expect((await api.get(`/orders/order:shop-eu:${order.id}`)).status).toBe(404);
});

test("a connection's sku map takes the shop's own skus in as Orderhub's, and sends Orderhub's stock out under the shop's", async () => {
  const put = (entries: unknown) =>
    api.raw.put('/connections/shop-eu/sku-map').set('Authorization', 'Bearer test-api-key-0123456789').send({ entries });
  const unknown = await put([{ channelSku: 'SHOP-GHOST', sku: 'GHOST-1' }]);
  expect(unknown.status).toBe(400);
  expect(unknown.body.error.details).toEqual([{ path: 'entries.0.sku', message: 'unknown sku GHOST-1' }]);
  const twice = await put([
    { channelSku: 'SHOP-MUG', sku: 'MUG-1' },
    { channelSku: 'SHOP-MUG', sku: 'TEE-M' },
  ]);
  expect(twice.status).toBe(400);
  expect((await put([{ channelSku: 'SHOP-MUG', sku: 'MUG-1' }])).status).toBe(200);
  expect((await api.get('/connections/shop-eu/sku-map')).body).toEqual({
    connectionId: 'shop-eu',
    entries: [{ channelSku: 'SHOP-MUG', sku: 'MUG-1' }],
  });
  try {
    const order = JSON.parse(fixture);
    order.id = 6_000_000_000_000 + runId;
    order.line_items = order.line_items.map((li: { sku: string }) => (li.sku === 'MUG-1' ? { ...li, sku: 'SHOP-MUG' } : li));
    const body = JSON.stringify(order);
    expect(body).toContain('"SHOP-MUG"');
    expect((await postWebhook(body, { 'x-shopify-hmac-sha256': sign(body), 'x-shopify-webhook-id': `sku-map-${runId}` })).status).toBe(200);
    const captured = await eventually(
      async () => (await api.get(`/orders/order:shop-eu:${order.id}`)).body,
      (o) => Array.isArray(o.order?.lines),
      30_000,
      'the mapped order',
    );
    expect(captured.order.lines.map((l: { sku: string }) => l.sku).sort()).toEqual(['MUG-1', 'TEE-M']);

    // Stock for MUG-1 goes out as SHOP-MUG.
    await api.post('/stock/receipts', { sku: 'MUG-1', locationId: 'BER-1', quantity: 5, idempotencyKey: `sku-map-mug-${runId}` });
    // The level Shopify holds for SHOP-MUG settles on MUG-1's available stock less the connection's buffer
    // (orders waiting for MUG-1 may take some of the receipt meanwhile: compared as they are now).
    await eventually(
      async () => [
        shop.levels.get(`gid://shopify/InventoryItem/808950812|gid://shopify/Location/${SHOPIFY_LOCATION}`),
        Math.max(0, (await api.get('/stock/MUG-1')).body.total.available - 2),
      ],
      ([level, expected]) => level === expected,
      30_000,
      'SHOP-MUG to carry MUG-1 stock',
    );
  } finally {
    expect((await put([])).status).toBe(200);
  }
});

// Ids past 2^53, unique to this run, as Shopify writes them: bare JSON numbers.
const big = (offset: number) => String(9_007_199_254_740_993n + BigInt(runId) * 2_000n + BigInt(offset) * 2n); // odd: no double holds it
function bigIdOrder(ids: { order: string; customer: string; lines: string[]; variants: string[] }): string {
  const order = JSON.parse(fixture);
  order.id = '@order';
  order.admin_graphql_api_id = `gid://shopify/Order/${ids.order}`;
  order.customer.id = '@customer';
  order.customer.admin_graphql_api_id = `gid://shopify/Customer/${ids.customer}`;
  order.line_items = order.line_items.map((li: Record<string, unknown>, i: number) => ({
    ...li,
    id: `@line${i}`,
    variant_id: `@variant${i}`,
    admin_graphql_api_id: `gid://shopify/LineItem/${ids.lines[i]}`,
  }));
  return JSON.stringify(order).replace(/"@(order|customer|line\d|variant\d)"/g, (_m, key: string) =>
    key === 'order'
      ? ids.order
      : key === 'customer'
        ? ids.customer
        : key.startsWith('line')
          ? ids.lines[Number(key.slice(4))]
          : ids.variants[Number(key.slice(7))],
  );
}

test('ids past 2^53 in a Shopify webhook come back digit for digit: in the order view, and in the fulfillmentCreate and orderCancel calls made to Shopify', async () => {
  const ids = { order: big(1), customer: big(2), lines: [big(3), big(4), big(5)], variants: [big(6), big(7), big(6)] };
  const rounded = String(Number(ids.order));
  expect(rounded).not.toBe(ids.order); // JSON.parse would have made it another order
  const body = bigIdOrder(ids);
  expect(body).toContain(`"id":${ids.order},`);
  expect(body).toContain(`"variant_id":${ids.variants[0]},`);
  // Shopify has the order, with one fulfillment order over its three lines.
  const lines = JSON.parse(fixture).line_items.map((li: { sku: string; quantity: number }, i: number) => ({
    sku: li.sku,
    quantity: li.quantity,
    lineItemId: ids.lines[i],
  }));
  const shopOrder = shop.shop.placeOrder(ids.order, lines, SHOPIFY_LOCATION);
  await api.post('/stock/receipts', { sku: 'TEE-M', locationId: 'BER-1', quantity: 10, idempotencyKey: `big-ids-tee-${runId}` });

  const res = await postWebhook(body, { 'x-shopify-hmac-sha256': sign(body), 'x-shopify-webhook-id': `big-ids-${runId}` });
  expect(res.status).toBe(200);
  const orderId = `order:shop-eu:${ids.order}`;
  const released = await eventually(
    async () => (await api.raw.get(`/orders/${orderId}`).set('Authorization', 'Bearer test-api-key-0123456789')).text,
    (text) => /"status":"released_to_fulfillment"/.test(text),
    30_000,
    'the big-id order to be released',
  );
  const view = JSON.parse(released);
  expect(view.orderId).toBe(orderId);
  expect(view.order.channelOrderId).toBe(ids.order);
  expect(view.order.customer.id).toBe(ids.customer);
  expect(released).not.toContain(rounded);

  for (const event of [{ type: 'picked' }, { type: 'packed' }, { type: 'shipped', carrier: 'DHL', trackingNumber: `BIG${runId}` }])
    expect((await api.post(`/orders/${orderId}/events`, event)).status).toBe(200);
  const [created] = await eventually(
    async () => shop.requestsFor('fulfillmentCreate').filter((r) => r.variables.fulfillment.trackingInfo.number === `BIG${runId}`),
    (found) => found.length === 1,
    30_000,
    'the shipment to reach Shopify',
  );
  const fo = shopOrder.fulfillmentOrders[0];
  expect(created.variables.fulfillment).toEqual({
    lineItemsByFulfillmentOrder: [
      {
        fulfillmentOrderId: fo.id,
        fulfillmentOrderLineItems: [
          { id: fo.lineItems[0].id, quantity: 2 },
          { id: fo.lineItems[1].id, quantity: 1 },
          { id: fo.lineItems[2].id, quantity: 1 },
        ],
      },
    ],
    trackingInfo: { company: 'DHL', number: `BIG${runId}` },
    notifyCustomer: true,
  });
  expect(shop.requests.some((r) => r.variables.id === `gid://shopify/Order/${ids.order}`)).toBe(true);
  expect(shopOrder.fulfillments).toHaveLength(1);

  // A second order, cancelled in Orderhub: Shopify is asked to cancel exactly that order.
  const cancelIds = { order: big(11), customer: big(2), lines: [big(13), big(14), big(15)], variants: ids.variants };
  const cancelBody = bigIdOrder(cancelIds);
  shop.shop.placeOrder(cancelIds.order, lines, SHOPIFY_LOCATION);
  expect(
    (await postWebhook(cancelBody, { 'x-shopify-hmac-sha256': sign(cancelBody), 'x-shopify-webhook-id': `big-ids-cancel-${runId}` }))
      .status,
  ).toBe(200);
  const cancelId = `order:shop-eu:${cancelIds.order}`;
  await eventually(
    async () => (await api.get(`/orders/${cancelId}`)).status,
    (status) => status === 200,
    30_000,
    'the second big-id order',
  );
  expect((await api.post(`/orders/${cancelId}/cancel`, { reason: 'customer changed their mind' })).status).toBe(200);
  const [cancel] = await eventually(
    async () => shop.requestsFor('orderCancel').filter((r) => r.variables.orderId === `gid://shopify/Order/${cancelIds.order}`),
    (found) => found.length === 1,
    30_000,
    'the cancellation to reach Shopify',
  );
  expect(cancel.variables).toMatchObject({ reason: 'OTHER', staffNote: 'Cancelled in Orderhub: customer changed their mind' });
  expect(shop.shop.orders.get(cancelIds.order)!.cancelledAt).not.toBeNull();
});

// A ProductVariant node as the catalogue query reads it, sold under the given selling plans (each a
// SellingPlan with its category and delivery policy; a policy that is not a fixed one answers {} to the
// query's `... on SellingPlanFixedDeliveryPolicy`).
const variantNode = (id: string, sku: string, plans: Record<string, unknown>[]) => ({
  id: `gid://shopify/ProductVariant/${id}`,
  sku,
  barcode: null,
  displayName: sku,
  inventoryPolicy: 'DENY',
  inventoryItem: { id: `gid://shopify/InventoryItem/${id}`, measurement: { weight: { unit: 'GRAMS', value: 300 } } },
  sellingPlanGroups: { nodes: plans.length ? [{ sellingPlans: { nodes: plans } }] : [] },
});
const preorderPlan = (at: string) => ({
  category: 'PRE_ORDER',
  deliveryPolicy: { fulfillmentTrigger: 'EXACT_TIME', fulfillmentExactTime: at },
});
const subscriptionPlan = { category: 'SUBSCRIPTION', deliveryPolicy: {} };

test("a Shopify pre-order selling plan marks its item a pre-order through the catalogue import, the shop's orders for it become pre-orders, and the mark follows the plan", async () => {
  const day = 24 * 3600_000;
  const releaseAt = new Date(Math.floor((Date.now() + 30 * day) / 1000) * 1000).toISOString();
  const later = new Date(Math.floor((Date.now() + 60 * day) / 1000) * 1000).toISOString();
  const sku = (n: string) => `PRE-${runId}-${n}`;
  // The merchant's own pre-order date on an item the shop also sells under a plan: left as the merchant set it.
  expect((await api.post('/items', { sku: sku('MINE'), name: 'Mine', preorder: { releaseAt: '2099-01-01' } })).status).toBe(201);
  expect((await api.post('/items', { sku: sku('OLD'), name: 'Already here' })).status).toBe(201);
  shop.shop.variantNodes.push(
    variantNode(`${runId}1`, sku('NEW'), [subscriptionPlan, preorderPlan(releaseAt)]),
    variantNode(`${runId}2`, sku('OLD'), [preorderPlan(releaseAt)]),
    variantNode(`${runId}3`, sku('MINE'), [preorderPlan(releaseAt)]),
    variantNode(`${runId}4`, sku('SUB'), [subscriptionPlan]),
    // A pre-order whose date is unknown yet (or passed) marks nothing.
    variantNode(`${runId}5`, sku('SOON'), [
      { category: 'PRE_ORDER', deliveryPolicy: { fulfillmentTrigger: 'UNKNOWN', fulfillmentExactTime: null } },
    ]),
    variantNode(`${runId}6`, sku('PAST'), [preorderPlan('2020-01-01T00:00:00Z')]),
  );
  try {
    const imported = await api.post('/connections/shop-eu/catalog/import');
    expect(imported.status).toBe(200);
    expect(imported.body.created).toEqual(expect.arrayContaining([sku('NEW'), sku('SUB'), sku('SOON'), sku('PAST')]));
    expect(imported.body.preorders).toEqual({ marked: [sku('OLD')], cleared: [] });
    // Asked for the selling plans in Shopify's shape, 40 variants a page.
    const asked = shop.requestsFor('productVariants').filter((r) => r.variables.query === undefined);
    expect(asked.at(-1)!.variables.first).toBe(40);
    expect(asked.at(-1)!.query).toMatch(
      /sellingPlanGroups\(first: 2\)[\s\S]*sellingPlans\(first: 3\)[\s\S]*category[\s\S]*\.\.\. on SellingPlanFixedDeliveryPolicy \{ fulfillmentTrigger fulfillmentExactTime \}/,
    );
    const preorderOf = async (s: string) => (await api.get(`/items/${s}`)).body.preorder;
    expect(await preorderOf(sku('NEW'))).toEqual({ releaseAt });
    expect(await preorderOf(sku('OLD'))).toEqual({ releaseAt });
    expect(await preorderOf(sku('MINE'))).toEqual({ releaseAt: '2099-01-01' });
    for (const s of ['SUB', 'SOON', 'PAST']) expect(await preorderOf(sku(s))).toBeUndefined();
    expect((await api.get(`/items/${sku('NEW')}`)).body.channels['shop-eu']).toMatchObject({ preorderReleaseAt: releaseAt });
    // Again: nothing changes.
    expect((await api.post('/connections/shop-eu/catalog/import')).body).toMatchObject({
      linked: 0,
      preorders: { marked: [], cleared: [] },
    });

    // The shop sells the new item: its order arrives a pre-order, released on the plan's date.
    const order = JSON.parse(fixture);
    order.id = 5_000_000_000_000 + runId;
    order.line_items = [{ ...order.line_items[0], sku: sku('NEW'), quantity: 2 }];
    const body = JSON.stringify(order);
    expect((await postWebhook(body, { 'x-shopify-hmac-sha256': sign(body), 'x-shopify-webhook-id': `pre-${runId}` })).status).toBe(200);
    const captured = await eventually(
      async () => (await api.get(`/orders/order:shop-eu:${order.id}`)).body,
      (o) => Array.isArray(o.order?.lines),
      30_000,
      'the pre-order from Shopify',
    );
    expect(captured.order.type).toBe('pre_order');
    expect(captured.order.lines).toEqual([expect.objectContaining({ sku: sku('NEW'), quantity: 2, preorder: { releaseAt } })]);

    // The shop moves the date for one and ends the pre-order of the other: the items follow; the merchant's is left.
    shop.shop.variantNodes[0].sellingPlanGroups = { nodes: [{ sellingPlans: { nodes: [preorderPlan(later)] } }] };
    shop.shop.variantNodes[1].sellingPlanGroups = { nodes: [] };
    shop.shop.variantNodes[2].sellingPlanGroups = { nodes: [] };
    const again = await api.post('/connections/shop-eu/catalog/import');
    expect(again.body.preorders).toEqual({ marked: [sku('NEW')], cleared: [sku('OLD')] });
    expect(await preorderOf(sku('NEW'))).toEqual({ releaseAt: later });
    expect(await preorderOf(sku('OLD'))).toBeUndefined();
    expect(await preorderOf(sku('MINE'))).toEqual({ releaseAt: '2099-01-01' });
  } finally {
    shop.shop.variantNodes.length = 0;
  }
});
