import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import nock from 'nock';
import { ScheduleNotFoundError } from '@temporalio/client';
import { createTestContext, type TestContext } from '../support/stack';
import { apiFor } from '../support/api';
import { eventually, location, orderBody } from '../support/fixtures';
import { nockShopify, nockShopifyInventory } from '../support/shopify-stock';
import { newestStableShopifyVersion } from '../../connectors/shopify';
import { ensureConnectionSchedules } from '../../services/schedules';
import { silentLogger } from '../../domain/logger';

const API = `/admin/api/${newestStableShopifyVersion()}`;

// Each connection is its own shop, so one test's pushes never land in another test's nock.
const shopOf = (id: string) => `${id}.myshopify.com`;
const shopify = (id: string) => `https://${shopOf(id)}`;
const ERP = 'https://erp.example.com';
const runId = Date.now() % 1_000_000_000;
// The documented order as the GraphQL Admin API's orders query returns it.
const shopifyOrder = JSON.parse(readFileSync(join(__dirname, '..', 'connectors', 'fixtures', 'shopify', 'order-cod.graphql.json'), 'utf8'));
const graphqlOrder = (id: number, updatedAt: string, changes: Record<string, unknown> = {}) => ({
  ...structuredClone(shopifyOrder),
  id: `gid://shopify/Order/${id}`,
  legacyResourceId: String(id),
  updatedAt,
  ...changes,
});
const hoursAgo = (h: number) => new Date(Math.floor(Date.now() / 60_000) * 60_000 - h * 3600_000).toISOString();
const COST = {
  requestedQueryCost: 1,
  actualQueryCost: 1,
  throttleStatus: { maximumAvailable: 2000, currentlyAvailable: 1999, restoreRate: 100 },
};

let ctx: TestContext;
let api: Awaited<ReturnType<typeof apiFor>>;

beforeAll(async () => {
  nock.disableNetConnect();
  nock.enableNetConnect(/127\.0\.0\.1|localhost/);
  ctx = await createTestContext('connections');
  api = await apiFor(ctx, { activityMaxAttempts: 2, activityInitialIntervalMs: 100 });
  await ctx.startWorker();
  await ctx.startConsumers();
  await api.post('/locations', location('BER-1', 1));
  for (const sku of ['TEE-M', 'MUG-1', 'CAP-1']) await api.post('/items', { sku, name: sku });
});
afterAll(async () => {
  await ctx.close();
  nock.cleanAll();
  nock.enableNetConnect();
});
afterEach(() => nock.cleanAll());

const shopifyConnection = (id: string, extra: object = {}) => ({
  id,
  kind: 'shopify',
  name: `Shop ${id}`,
  options: { shopDomain: shopOf(id) },
  credentials: { accessToken: `shpat_${id}_secret_token`, webhookSecret: 'whsec-conn-tests' },
  stockFeeds: [{ channelLocationId: '655441491', locationIds: ['BER-1'] }],
  ...extra,
});

describe('connections', () => {
  test('an invalid connection is refused naming every bad field, and nothing is stored', async () => {
    const res = await api.post('/connections', {
      id: 'Bad Id',
      kind: 'shopify',
      name: 'x',
      options: { shopDomain: 'example.com' },
      credentials: { accessToken: 5 },
      stockFeeds: [{ channelLocationId: '1', locationIds: ['NOWHERE'] }],
    });
    expect(res.status).toBe(400);
    expect(res.body.error.details.map((d: { path: string }) => d.path)).toEqual(['id']);
    const deeper = await api.post('/connections', {
      ...shopifyConnection('bad-shop'),
      options: { shopDomain: 'example.com' },
      credentials: { accessToken: 5 },
    });
    expect(deeper.status).toBe(400);
    const paths = deeper.body.error.details.map((d: { path: string }) => d.path);
    expect(paths).toEqual(expect.arrayContaining(['options.shopDomain', 'credentials.accessToken', 'credentials.webhookSecret']));
    const unknownLocation = await api.post('/connections', {
      ...shopifyConnection('bad-shop'),
      stockFeeds: [{ channelLocationId: '1', locationIds: ['NOWHERE'] }],
    });
    expect(unknownLocation.body.error.details).toEqual([{ path: 'stockFeeds.0.locationIds.0', message: 'unknown location NOWHERE' }]);
    expect((await api.get('/connections')).body.connections).toEqual([]);
  });

  test('credentials are encrypted at rest and never returned', async () => {
    const created = await api.post('/connections', shopifyConnection('shop-secret'));
    expect(created.status).toBe(201);
    const raw = await ctx.mongo.db.collection('connections').findOne({ _id: 'shop-secret' as never });
    expect(JSON.stringify(raw)).not.toContain('shpat_shop-secret_secret_token');
    expect(raw!.credentials).toMatchObject({ v: 1, iv: expect.any(String), tag: expect.any(String), data: expect.any(String) });
    for (const res of [created, await api.get('/connections/shop-secret'), await api.get('/connections')]) {
      expect(JSON.stringify(res.body)).not.toContain('shpat_');
      expect(JSON.stringify(res.body)).not.toContain('whsec');
    }
    expect((await api.get('/connections/shop-secret')).body.credentialFields).toEqual(['accessToken', 'webhookSecret']);
  });

  test('pausing a connection pauses its schedules, and deleting it deletes them', async () => {
    const created = await api.post(
      '/connections',
      shopifyConnection('shop-sched', { sync: { ordersEveryMinutes: 3, stockEveryMinutes: 10 } }),
    );
    expect(created.body.schedules).toEqual(['sync:shop-sched:orders', 'sync:shop-sched:stock', 'sync:shop-sched:catalog']);
    const orders = await ctx.temporal.schedule.getHandle('sync:shop-sched:orders').describe();
    expect(orders.spec.intervals?.[0]?.every).toBe(3 * 60_000);
    const catalog = await ctx.temporal.schedule.getHandle('sync:shop-sched:catalog').describe();
    expect(catalog.spec.intervals?.[0]?.every).toBe(24 * 60 * 60_000); // daily unless the connection says otherwise
    const paused = await api.raw
      .patch('/connections/shop-sched')
      .set('Authorization', 'Bearer test-api-key-0123456789')
      .send({ enabled: false });
    expect(paused.status).toBe(200);
    expect((await ctx.temporal.schedule.getHandle('sync:shop-sched:orders').describe()).state.paused).toBe(true);
    expect((await ctx.temporal.schedule.getHandle('sync:shop-sched:stock').describe()).state.paused).toBe(true);
    expect((await ctx.temporal.schedule.getHandle('sync:shop-sched:catalog').describe()).state.paused).toBe(true);
    const deleted = await api.raw.delete('/connections/shop-sched').set('Authorization', 'Bearer test-api-key-0123456789');
    expect(deleted.status).toBe(204);
    await expect(ctx.temporal.schedule.getHandle('sync:shop-sched:orders').describe()).rejects.toBeInstanceOf(ScheduleNotFoundError);
    await expect(ctx.temporal.schedule.getHandle('sync:shop-sched:catalog').describe()).rejects.toBeInstanceOf(ScheduleNotFoundError);
    expect((await api.get('/connections/shop-sched')).status).toBe(404);
  });

  test('a worker starting brings older connections up to date: a missing schedule is created again', async () => {
    await api.post('/connections', shopifyConnection('shop-older', { sync: { catalogEveryMinutes: 60 } }));
    // As a connection made before the catalogue had a schedule would be.
    await ctx.temporal.schedule.getHandle('sync:shop-older:catalog').delete();
    const view = (await api.get('/connections/shop-older')).body;
    expect(await ensureConnectionSchedules(ctx.temporal, ctx.taskQueue, [view], silentLogger)).toBe(1);
    const catalog = await ctx.temporal.schedule.getHandle('sync:shop-older:catalog').describe();
    expect(catalog.spec.intervals?.[0]?.every).toBe(60 * 60_000);
    expect(catalog.state.paused).toBe(false);
  });

  test('testing a connection makes one authenticated call and reports a refused token clearly', async () => {
    await api.post('/connections', shopifyConnection('shop-test'));
    nock(shopify('shop-test'))
      .post(`${API}/graphql.json`, (body) => /shop \{ name myshopifyDomain \}/.test(body.query))
      .matchHeader('x-shopify-access-token', 'shpat_shop-test_secret_token')
      .reply(200, { data: { shop: { name: 'Test', myshopifyDomain: shopOf('shop-test') } }, extensions: { cost: COST } });
    const ok = await api.post('/connections/shop-test/test');
    expect(ok.status).toBe(200);
    expect(ok.body.ok).toBe(true);
    nock(shopify('shop-test'))
      .post(`${API}/graphql.json`)
      .reply(401, { errors: '[API] Invalid API key or access token (unrecognized login or wrong password)' });
    const refused = await api.post('/connections/shop-test/test');
    expect(refused.status).toBe(502);
    expect(refused.body.error.code).toBe('upstream_rejected');
    expect(refused.body.error.message).toMatch(/access token/);
  });

  test('sync now polls Shopify over GraphQL, captures each order once, and reconciles stock', async () => {
    await api.post('/connections', shopifyConnection('shop-poll'));
    const pageOrders = [1, 2, 3].map((n) => graphqlOrder(9_000_000_000_000 + runId * 10 + n, hoursAgo(4 - n)));
    // Taken once: hoursAgo() moves with the clock's minute, and the poll must not be compared with a later one.
    const expectedCursor = new Date(Date.parse(pageOrders[2].updatedAt) - 60_000).toISOString();
    const shop = nockShopify(shopify('shop-poll'), API, {
      variants: {
        'TEE-M': 'gid://shopify/InventoryItem/1001',
        'MUG-1': 'gid://shopify/InventoryItem/1002',
        'CAP-1': 'gid://shopify/InventoryItem/1003',
      },
    });
    shop.shop.orderNodes.push(...pageOrders);
    const sync = await api.post('/connections/shop-poll/sync');
    expect(sync.status).toBe(202);
    expect(sync.body.triggered).toEqual(['sync:shop-poll:orders', 'sync:shop-poll:stock']);
    const listed = await eventually(
      async () => (await api.get('/orders?channel=shop-poll')).body.orders as { channelOrderId: string }[],
      (o) => o.length === 3,
      30_000,
      'three polled orders',
    );
    expect(listed.map((o) => o.channelOrderId).sort()).toEqual(pageOrders.map((o) => o.legacyResourceId).sort());
    await eventually(
      async () => (await api.get('/connections/shop-poll')).body.ordersCursor,
      (c) => c === expectedCursor,
      30_000,
      'the cursor to move past the last page, less the overlap',
    );
    // The console's channel sync shows when the orders were last polled and what it captured.
    const { lastOrdersPoll } = (await api.get('/connections/shop-poll')).body;
    expect(lastOrdersPoll).toEqual({ at: expect.any(String), lastSuccessAt: lastOrdersPoll.at, ok: true, captured: 3 });
    expect(Date.now() - Date.parse(lastOrdersPoll.at)).toBeLessThan(60_000);
    expect((await api.get('/connections')).body.connections.find((c: { id: string }) => c.id === 'shop-poll').lastOrdersPoll).toEqual(
      lastOrdersPoll,
    );
    await eventually(
      async () => shop.applied().length,
      (n) => n === 3,
      30_000,
      'the reconciliation to push all three skus',
    );
    expect(
      shop
        .applied()
        .map((i) => i.inventoryItemId)
        .sort(),
    ).toEqual(['1001', '1002', '1003']);
  });

  test("a poll the channel does not answer is kept as the connection's last error, and the cursor stays", async () => {
    await api.post('/connections', shopifyConnection('shop-down')); // no stub for this shop: every call is refused
    expect((await api.post('/connections/shop-down/sync')).status).toBe(202);
    const failed = await eventually(
      async () => (await api.get('/connections/shop-down')).body,
      (c) => c.lastOrdersPoll?.ok === false,
      30_000,
      'the failed poll to be recorded',
    );
    expect(failed.lastOrdersPoll).toEqual({ at: expect.any(String), ok: false, error: expect.stringMatching(/\S/) });
    expect(failed.ordersCursor).toBeUndefined();
    expect(JSON.stringify(failed)).not.toContain('shpat_');
    // Deleted (once its last retry is over: two attempts, 100 ms apart), the connection leaves no poll behind.
    await new Promise((r) => setTimeout(r, 1_000));
    expect((await api.raw.delete('/connections/shop-down').set('Authorization', 'Bearer test-api-key-0123456789')).status).toBe(204);
    expect(await ctx.mongo.db.collection('connection_polls').findOne({ _id: 'shop-down' as never })).toBeNull();
  });

  test('a polled order that cannot be mapped becomes a dead letter with its reason, the poll goes on, and it can be replayed', async () => {
    await api.post('/connections', shopifyConnection('shop-bad'));
    const good = graphqlOrder(9_100_000_000_000 + runId, hoursAgo(1));
    const broken = graphqlOrder(9_200_000_000_000 + runId, hoursAgo(2));
    broken.lineItems.nodes = broken.lineItems.nodes.map((li: { sku: string }) => ({ ...li, sku: '' }));
    // Polled twice (the sync, and the same page at the next poll): the shop answers the same each time.
    nockShopify(shopify('shop-bad'), API, { variants: {} }).shop.orderNodes.push(broken, good);
    expect((await api.post('/connections/shop-bad/sync')).status).toBe(202);
    await eventually(
      async () => (await api.get('/orders?channel=shop-bad')).body.orders as unknown[],
      (o) => o.length === 1,
      30_000,
      'the good order',
    );
    const letters = async () =>
      (
        (await api.get('/webhooks/dead-letters')).body.deadLetters as { id: string; topic: string; deadReason: string; replays: number }[]
      ).filter((d) => d.id.startsWith('shop-bad|'));
    const [letter] = await eventually(letters, (l) => l.length === 1, 30_000, 'a dead letter for the broken order');
    expect(letter).toMatchObject({ topic: 'poll/order', id: expect.stringContaining(`|poll:${broken.legacyResourceId}:`) });
    expect(letter.deadReason).toMatch(/cannot be mapped.*lineItems\.nodes\.0\.sku/);
    await eventually(
      async () => (await api.get('/connections/shop-bad')).body.ordersCursor,
      (c) => c === new Date(Date.parse(hoursAgo(1)) - 60_000).toISOString(),
      30_000,
      'the cursor to move past both orders',
    );
    // Polled again unchanged: the same letter, not a second one.
    expect((await api.post('/connections/shop-bad/sync')).status).toBe(202);
    await new Promise((r) => setTimeout(r, 2_000));
    expect(await letters()).toHaveLength(1);
    // Replayed, it is mapped again: still broken, it is a dead letter again, once more replayed.
    expect((await api.post(`/webhooks/dead-letters/${encodeURIComponent(letter.id)}/replay`)).status).toBe(202);
    await eventually(
      letters,
      (l) => l[0]?.replays === 1 && (l[0] as { status?: string }).status === 'dead',
      30_000,
      'the replay to end dead',
    );
  });

  test("the catalogue is imported from the shop's variants, page by page, once, through the sku map, and on its schedule", async () => {
    await api.post('/connections', shopifyConnection('shop-cat'));
    const sku = (n: string) => `IMP-${runId}-${n}`;
    expect((await api.post('/items', { sku: sku('OLD'), name: 'Already here' })).status).toBe(201);
    expect(
      (
        await api.raw
          .put('/connections/shop-cat/sku-map')
          .set('Authorization', 'Bearer test-api-key-0123456789')
          .send({ entries: [{ channelSku: `shop-${sku('OLD')}`, sku: sku('OLD') }] })
      ).status,
    ).toBe(200);
    const variant = (id: string, variantSku: string | null, name: string, extra: Record<string, unknown> = {}) => ({
      id: `gid://shopify/ProductVariant/${id}`,
      sku: variantSku,
      barcode: null,
      displayName: name,
      inventoryItem: { id: `gid://shopify/InventoryItem/${id}`, measurement: { weight: { unit: 'KILOGRAMS', value: 0.25 } } },
      ...extra,
    });
    // Ids past 2^53 stay exact all the way onto the item.
    const pages = [
      {
        nodes: [
          variant('9007199254740993', sku('A'), 'Linen shirt - White / M', { barcode: '4006381333931' }),
          variant('2', null, 'Gift card - 50'),
        ],
        pageInfo: { hasNextPage: true, endCursor: 'eyJsYXN0X2lkIjoyfQ==' },
      },
      {
        nodes: [variant('3', `shop-${sku('OLD')}`, 'Old thing'), variant('4', sku('B'), 'Wool scarf')],
        pageInfo: { hasNextPage: false, endCursor: null },
      },
    ];
    const afters: (string | null)[] = [];
    nock(shopify('shop-cat'))
      .persist()
      .post(`${API}/graphql.json`, (body) => /productVariants\(first: \$first, after: \$after\)/.test(body.query))
      .reply(200, (_uri, body) => {
        const { after } = (body as { variables: { after: string | null } }).variables;
        afters.push(after);
        return {
          data: { productVariants: pages[after ? 1 : 0] },
          extensions: {
            cost: { requestedQueryCost: 12, throttleStatus: { maximumAvailable: 2000, currentlyAvailable: 1990, restoreRate: 100 } },
          },
        };
      });
    const imported = await api.post('/connections/shop-cat/catalog/import');
    expect(imported.status).toBe(200);
    expect(imported.body).toMatchObject({
      connectionId: 'shop-cat',
      created: [sku('A'), sku('B')],
      existing: 1,
      linked: 1,
      skipped: [{ channelSku: '', variant: 'gid://shopify/ProductVariant/2', reason: expect.stringMatching(/^sku /) }],
    });
    expect(afters).toEqual([null, 'eyJsYXN0X2lkIjoyfQ==']);
    expect((await api.get(`/items/${sku('A')}`)).body).toEqual({
      sku: sku('A'),
      name: 'Linen shirt - White / M',
      barcode: '4006381333931',
      weightGrams: 250,
      channels: {
        'shop-cat': {
          channelSku: sku('A'),
          variantId: 'gid://shopify/ProductVariant/9007199254740993',
          inventoryItemId: 'gid://shopify/InventoryItem/9007199254740993',
        },
      },
    });
    // An item the merchant had keeps its fields, and learns where the shop lists it.
    expect((await api.get(`/items/${sku('OLD')}`)).body).toEqual({
      sku: sku('OLD'),
      name: 'Already here',
      channels: {
        'shop-cat': {
          channelSku: `shop-${sku('OLD')}`,
          variantId: 'gid://shopify/ProductVariant/3',
          inventoryItemId: 'gid://shopify/InventoryItem/3',
        },
      },
    });
    // Again: nothing new, nothing rewritten.
    expect((await api.post('/connections/shop-cat/catalog/import')).body).toMatchObject({ created: [], existing: 3, linked: 0 });

    // The shop adds a variant; the catalogue schedule (run now instead of tomorrow) brings it in.
    pages[1].nodes.push(variant('5', sku('C'), 'Cotton cap'));
    await ctx.temporal.schedule.getHandle('sync:shop-cat:catalog').trigger();
    const cap = await eventually(
      () => api.get(`/items/${sku('C')}`),
      (r) => r.status === 200,
      30_000,
      'the scheduled import to create the new variant',
    );
    expect(cap.body).toMatchObject({ name: 'Cotton cap', channels: { 'shop-cat': { variantId: 'gid://shopify/ProductVariant/5' } } });
  });

  test('a burst of 100 stock changes to one sku gives a few pushes carrying the latest value', async () => {
    await api.post('/connections', shopifyConnection('shop-burst', { safetyBuffer: 1 }));
    const shop = nockShopifyInventory(shopify('shop-burst'), API, { 'CAP-1': 'gid://shopify/InventoryItem/1003' });
    const pushes = () => shop.applied().map((a) => a.available);
    const started = Date.now();
    await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        api.post('/stock/receipts', { sku: 'CAP-1', locationId: 'BER-1', quantity: 1, idempotencyKey: `burst-${runId}-${i}` }),
      ),
    );
    const burstMs = Date.now() - started;
    const final = (await api.get('/stock/CAP-1')).body.total.available as number;
    await eventually(
      async () => pushes().at(-1),
      (last) => last === final - 1,
      30_000,
      `the last push to carry ${final - 1}`,
    );
    await new Promise((r) => setTimeout(r, 1_000)); // anything still queued would arrive now
    expect(pushes().length).toBeGreaterThanOrEqual(1);
    // At most one push per one-second window while the burst lasts (it takes a few seconds on FerretDB), plus the tail.
    expect(pushes().length).toBeLessThanOrEqual(Math.ceil(burstMs / 1_000) + 2);
    expect(pushes().length).toBeLessThan(20);
    expect(pushes().at(-1)).toBe(final - 1);
    const recorded = (await api.get('/connections/shop-burst/stock-sync?sku=CAP-1')).body.pushes;
    expect(recorded).toEqual([expect.objectContaining({ sku: 'CAP-1', available: final - 1, channelLocationId: '655441491' })]);
    // Measured: the consumers here share this process's default registry, which /metrics also serves.
    const metrics = (await api.get('/metrics')).text;
    expect(metrics).toMatch(/^orderhub_stock_push_lag_seconds_count [1-9]/m);
    expect(metrics).toMatch(/^orderhub_connector_calls_total\{connector="shopify",outcome="ok"\} [1-9]/m);
  });
});

describe('ERP', () => {
  test('a released order is pushed as a sales order and invoiced on shipment, and receipts are applied once', async () => {
    const created = await api.post('/connections', {
      id: 'erp-main',
      kind: 'erp',
      name: 'ERP',
      options: { baseUrl: `${ERP}/api/v1` },
      credentials: { apiKey: 'erp-api-key-123456' },
    });
    expect(created.status).toBe(201);
    expect(created.body.schedules).toEqual(['sync:erp-main:erp-receipts']);

    // Receipts: pulled twice (sync now, twice), applied once.
    const receipts = {
      receipts: [
        {
          id: `R-${runId}-1`,
          sku: 'MUG-1',
          warehouse: 'BER-1',
          quantity: 12,
          purchaseOrder: 'PO-7001',
          receivedAt: '2026-11-21T08:00:00Z',
        },
      ],
      nextCursor: null,
    };
    nock(ERP).get('/api/v1/stock-receipts').query(true).times(2).reply(200, receipts);
    const before = (await api.get('/stock/MUG-1')).body.total.onHand as number;
    await api.post('/connections/erp-main/sync');
    await eventually(
      async () => (await api.get('/stock/MUG-1')).body.total.onHand,
      (n) => n === before + 12,
      30_000,
      'the receipt to land',
    );
    await api.post('/connections/erp-main/sync');
    await eventually(
      async () => nock.isDone(),
      (done) => done,
      30_000,
      'the second pull',
    );
    await new Promise((r) => setTimeout(r, 1_000)); // let the second pull finish applying what it read
    expect((await api.get('/stock/MUG-1')).body.total.onHand).toBe(before + 12);

    const salesOrders: { number: string }[] = [];
    const invoices: { orderNumber: string; trackingNumber: string }[] = [];
    nock(ERP)
      .post('/api/v1/sales-orders')
      .reply(201, (_u, body) => (salesOrders.push(body as (typeof salesOrders)[number]), { id: 'SO-1' }))
      .post('/api/v1/invoices')
      .reply(201, (_u, body) => (invoices.push(body as (typeof invoices)[number]), { id: 'INV-1' }));
    const { body } = await api.post('/orders', orderBody({ lines: [{ sku: 'MUG-1', quantity: 1 }] }));
    await eventually(
      async () => salesOrders.length,
      (n) => n === 1,
      30_000,
      'the sales order push',
    );
    expect(salesOrders[0].number).toBe(body.orderId);
    await api.post(`/orders/${body.orderId}/events`, { type: 'shipped', carrier: 'dhl', trackingNumber: 'JJD0001' });
    await eventually(
      async () => invoices.length,
      (n) => n === 1,
      30_000,
      'the invoice push',
    );
    expect(invoices[0]).toMatchObject({ orderNumber: body.orderId, trackingNumber: 'JJD0001' });
  });
});
