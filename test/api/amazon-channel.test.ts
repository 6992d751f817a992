import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import nock from 'nock';
import { reconcileStock } from '../../services/stock-sync';
import { silentLogger } from '../../domain/logger';
import { createTestContext, type TestContext } from '../support/stack';
import { apiFor } from '../support/api';
import { syncScheduleId } from '../../domain/ids';
import { eventually, location, orderBody } from '../support/fixtures';
import { nockAmazonListings, nockLwa, SP_NA } from '../support/amazon-listings';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- vendor JSON, read field by field
type Json = Record<string, any>;
const fixture = (name: string): Json =>
  JSON.parse(readFileSync(join(__dirname, '..', 'connectors', 'fixtures', 'amazon', `${name}.json`), 'utf8'));

const runId = (Date.now() % 1_000_000_000).toString(36).toUpperCase();
let ctx: TestContext;
let api: Awaited<ReturnType<typeof apiFor>>;

beforeAll(async () => {
  nock.disableNetConnect();
  nock.enableNetConnect(/127\.0\.0\.1|localhost/);
  ctx = await createTestContext('amazon-channel');
  api = await apiFor(ctx, { activityMaxAttempts: 2, activityInitialIntervalMs: 100 });
  await ctx.startWorker();
  await ctx.startConsumers();
  await api.post('/locations', location('BER-1', 1));
  nockLwa();
});
afterAll(async () => {
  await ctx.close();
  nock.cleanAll();
  nock.enableNetConnect();
});

// Each connection is its own seller, so one test's listings never land in another's fake.
const sellerOf = (id: string) => `A${runId}${id.replace(/[^A-Z0-9]/gi, '').toUpperCase()}`.slice(0, 20);
const amazonConnection = (id: string) => ({
  id,
  kind: 'amazon',
  name: `Amazon ${id}`,
  options: { region: 'na', marketplaceIds: ['ATVPDKIKX0DER'], sellerId: sellerOf(id) },
  credentials: { clientId: 'amzn1.application-oa2-client.test', clientSecret: 'client-secret-do-not-log', refreshToken: 'Atzr|do-not-log' },
  stockFeeds: [{ channelLocationId: 'DEFAULT', locationIds: ['BER-1'] }],
});
const receive = (sku: string, quantity: number, key: string) =>
  api.post('/stock/receipts', { sku, locationId: 'BER-1', quantity, idempotencyKey: `${key}-${runId}` });

describe('Amazon stock lanes', () => {
  test('a change that overlaps a slow reconciliation feed is what Amazon holds in the end', async () => {
    const id = 'amz-order';
    const sku = `ORD-${runId}`;
    expect((await api.post('/connections', amazonConnection(id))).status).toBe(201);
    // This test reconciles by hand: the connection's own stock schedule (every N minutes on the clock's
    // boundaries) would add a feed of its own when the test runs across one.
    await ctx.temporal.schedule.getHandle(syncScheduleId(id, 'stock')).pause('the test reconciles by hand');
    expect((await api.post('/items', { sku, name: 'Ordering mug' })).status).toBe(201);
    const amazon = nockAmazonListings(sellerOf(id));

    // A change goes out in seconds through patchListingsItem.
    expect((await receive(sku, 10, 'first')).status).toBe(201);
    await eventually(
      async () => amazon.quantities.get(sku),
      (q) => q === 10,
      30_000,
      'the first change on Amazon',
    );

    // The reconciliation reads 10 and submits a feed that Amazon keeps processing...
    const deps = { ...ctx.stores, redis: ctx.redis, log: silentLogger };
    const reconciling = reconcileStock(deps, id, [sku]);
    await eventually(
      async () => amazon.feedsSubmitted(),
      (n) => n === 1,
      30_000,
      'the feed to be submitted',
    );

    // ...while 5 more arrive: that change is patched within seconds, before the feed is done.
    expect((await receive(sku, 5, 'second')).status).toBe(201);
    await eventually(
      async () => amazon.quantities.get(sku),
      (q) => q === 15,
      30_000,
      'the second change on Amazon',
    );

    // The feed finishes after the newer change and applies its older 10; the reconciliation then sends
    // the current value again, so Amazon ends with 15.
    amazon.finishFeeds();
    await expect(reconciling).resolves.toEqual({ pushed: 1, resent: 1 });
    expect(amazon.applied).toEqual([
      { via: 'patch', sku, quantity: 10 },
      { via: 'patch', sku, quantity: 15 },
      { via: 'feed', sku, quantity: 10 },
      { via: 'patch', sku, quantity: 15 },
    ]);
    expect(amazon.quantities.get(sku)).toBe((await api.get(`/stock/${sku}`)).body.total.available);

    // Without an overlapping change, a reconciliation sends nothing more.
    await expect(reconcileStock(deps, id, [sku])).resolves.toEqual({ pushed: 1, resent: 0 });
    expect(amazon.applied.at(-1)).toEqual({ via: 'feed', sku, quantity: 15 });
  });
});

describe('Amazon restock dates', () => {
  test('a sku sold out with purchase orders inbound is patched with the date the next buyer is promised, after the orders waiting', async () => {
    const id = 'amz-restock';
    const seller = sellerOf(id);
    const sku = `RST-${runId}`;
    const [D1, D2] = ['2030-06-01', '2030-06-15'];
    // The listings as Amazon receives them: every patch body, in order.
    const bodies: Json[] = [];
    nock(SP_NA)
      .persist()
      .patch(new RegExp(`^/listings/2021-08-01/items/${seller}/${sku}`))
      .query(true)
      .reply(
        200,
        (_uri, body) => (bodies.push(body as Json), { sku, status: 'ACCEPTED', submissionId: `sub-${bodies.length}`, issues: [] }),
      );
    expect((await api.post('/connections', amazonConnection(id))).status).toBe(201);
    // Stock changes reach a new connection within two seconds (the notifier's cache of connections).
    await new Promise((r) => setTimeout(r, 2_100));
    expect((await api.post('/items', { sku, name: 'Restocked lamp' })).status).toBe(201);
    const supplier = {
      id: `rst-${runId}`.toLowerCase(),
      name: 'Lamps Ltd',
      leadTimeDays: 10,
      currency: 'EUR',
      contact: { email: 'po@lamps.test' },
    };
    expect((await api.post('/suppliers', supplier)).status).toBe(201);
    for (const [po, quantity, expectedDate] of [
      [`PO-${runId}-R1`, 3, D1],
      [`PO-${runId}-R2`, 10, D2],
    ] as const) {
      const body = {
        id: po,
        supplierId: supplier.id,
        locationId: 'BER-1',
        expectedDate,
        status: 'open',
        lines: [{ sku, quantity, unitCost: 900 }],
      };
      expect((await api.post('/purchase-orders', body)).status).toBe(201);
    }
    const merge = (value: Json) => ({
      productType: 'PRODUCT',
      patches: [{ op: 'merge', path: '/attributes/fulfillment_availability', value: [value] }],
    });

    // In stock: the quantity only.
    expect((await receive(sku, 2, 'restock-in')).status).toBe(201);
    await eventually(
      async () => bodies.at(-1),
      (b) => b?.patches[0].value[0].quantity === 2,
      30_000,
      'the quantity on Amazon',
    );
    expect(bodies.at(-1)).toEqual(merge({ fulfillment_channel_code: 'DEFAULT', quantity: 2 }));

    // An order of 3 waits (2 in stock); then the 2 are written off. The waiting order is promised D1's 3,
    // so the next buyer, and the listing, are promised D2.
    const waiting = (await api.post('/orders', orderBody({ lines: [{ sku, quantity: 3 }] }))).body.orderId as string;
    await eventually(
      async () => (await api.get(`/orders/${encodeURIComponent(waiting)}`)).body.status,
      (s) => s === 'awaiting_stock',
      30_000,
      'the order to wait',
    );
    const adjusted = await api.post('/stock/adjustments', {
      sku,
      locationId: 'BER-1',
      delta: -2,
      reason: 'damaged',
      idempotencyKey: `rst-${runId}`,
    });
    expect(adjusted.status).toBe(201);
    await eventually(
      async () => bodies.at(-1),
      (b) => b?.patches[0].value[0].quantity === 0,
      30_000,
      'the sell-out on Amazon',
    );
    expect(bodies.at(-1)).toEqual(merge({ fulfillment_channel_code: 'DEFAULT', quantity: 0, restock_date: D2 }));
  });
});

describe('Amazon catalogue and orders', () => {
  test("the catalogue is imported from the seller's listings, page by page, with ASIN, barcode and weight", async () => {
    const id = 'amz-cat';
    await api.post('/connections', amazonConnection(id));
    const seller = sellerOf(id);
    const sku = (n: string) => `AMZ-${runId}-${n}`;
    expect((await api.post('/items', { sku: sku('OLD'), name: 'Already here' })).status).toBe(201);
    const page1 = fixture('search-listings-page-1');
    page1.items[0].sku = sku('MUG');
    page1.items[1].sku = sku('OLD');
    const tokens: (string | undefined)[] = [];
    nock(SP_NA)
      .persist()
      .get(`/listings/2021-08-01/items/${seller}`)
      .query(true)
      .reply(200, (uri) => {
        const token = new URL(uri, SP_NA).searchParams.get('pageToken') ?? undefined;
        tokens.push(token);
        return token ? fixture('search-listings-page-2') : page1;
      });

    const imported = await api.post(`/connections/${id}/catalog/import`);
    expect(imported.status).toBe(200);
    expect(imported.body).toMatchObject({
      connectionId: id,
      created: [sku('MUG')],
      existing: 1,
      skipped: [{ channelSku: 'GM ZDPI/9B4E', variant: 'B071VG5N9D', reason: expect.stringMatching(/^sku /) }],
    });
    expect(tokens).toEqual([undefined, page1.pagination.nextToken]);
    expect((await api.get(`/items/${sku('MUG')}`)).body).toEqual({
      sku: sku('MUG'),
      name: 'Enamel mug, 350 ml',
      barcode: '4006381333931',
      weightGrams: 340,
      dimensionsMm: { length: 114, width: 91, height: 107 },
      channels: { [id]: { channelSku: sku('MUG'), variantId: 'B00MUG0001' } }, // the ASIN
    });
    expect((await api.get(`/items/${sku('OLD')}`)).body.name).toBe('Already here');
  });

  test('a polled Amazon order missing fields becomes a dead letter naming each of them, and the poll goes on', async () => {
    const id = 'amz-poll';
    await api.post('/connections', amazonConnection(id));
    const amazon = nockAmazonListings(sellerOf(id));
    amazon.finishFeeds(); // the sync also reconciles stock
    const broken = {
      orderId: `903-${runId.padStart(7, '0').slice(-7)}-0000001`,
      createdTime: '2026-11-24T10:00:00Z',
      lastUpdatedTime: '2026-11-24T10:05:00Z',
      salesChannel: { channelName: 'AMAZON', marketplaceId: 'ATVPDKIKX0DER' },
      orderItems: [{ orderItemId: '1', product: { sellerSku: 'MUG-01' } }],
    };
    const good = { ...fixture('search-orders-page-2').orders[1], lastUpdatedTime: '2026-11-25T10:00:00Z' };
    nock(SP_NA)
      .get('/orders/2026-01-01/orders')
      .query((q) => q.marketplaceIds === 'ATVPDKIKX0DER' && q.includedData === 'BUYER,RECIPIENT,PROCEEDS,FULFILLMENT,CANCELLATION')
      .reply(200, { orders: [broken, good], lastUpdatedBefore: '2026-11-26T00:00:00Z' });

    expect((await api.post(`/connections/${id}/sync`)).status).toBe(202);
    const orders = await eventually(
      async () => (await api.get(`/orders?channel=${id}`)).body.orders as { channelOrderId: string }[],
      (o) => o.length === 1,
      30_000,
      'the good order',
    );
    expect(orders[0].channelOrderId).toBe(good.orderId);
    const letters = async () =>
      ((await api.get('/webhooks/dead-letters')).body.deadLetters as { id: string; topic: string; deadReason: string }[]).filter((d) =>
        d.id.startsWith(`${id}|`),
      );
    const [letter] = await eventually(letters, (l) => l.length === 1, 30_000, 'a dead letter for the broken order');
    expect(letter).toMatchObject({ topic: 'poll/order', id: expect.stringContaining(broken.orderId) });
    expect(letter.deadReason).toMatch(/does not match the documented shape/);
    for (const field of ['amazon.fulfillment', 'amazon.orderItems.0.quantityOrdered']) expect(letter.deadReason).toContain(field);
    await eventually(
      async () => (await api.get(`/connections/${id}`)).body.ordersCursor as string | undefined,
      (c) => c === '2026-11-25T09:59:00.000Z',
      30_000,
      'the cursor to move past both orders',
    );
  });

  test('a poll that finds only an order it cannot map still moves its cursor past it (the order is a dead letter)', async () => {
    const id = 'amz-poll-bad';
    await api.post('/connections', amazonConnection(id));
    const amazon = nockAmazonListings(sellerOf(id));
    amazon.finishFeeds();
    const broken = {
      orderId: `904-${runId.padStart(7, '0').slice(-7)}-0000002`,
      createdTime: '2026-11-26T08:00:00Z',
      lastUpdatedTime: '2026-11-26T08:30:00Z',
      salesChannel: { channelName: 'AMAZON', marketplaceId: 'ATVPDKIKX0DER' },
    };
    nock(SP_NA)
      .get('/orders/2026-01-01/orders')
      .query((q) => q.marketplaceIds === 'ATVPDKIKX0DER')
      .times(5) // a poll tried again (a slow first try under load) gets the same answer
      .reply(200, { orders: [broken], lastUpdatedBefore: '2026-11-27T00:00:00Z' });
    expect((await api.post(`/connections/${id}/sync`)).status).toBe(202);
    await eventually(
      async () => (await api.get(`/connections/${id}`)).body.ordersCursor as string | undefined,
      (c) => c === '2026-11-26T08:29:00.000Z',
      60_000,
      'the cursor to move past the order that became a dead letter',
    );
    const letters = ((await api.get('/webhooks/dead-letters')).body.deadLetters as { id: string }[]).filter((d) =>
      d.id.startsWith(`${id}|`),
    );
    expect(letters).toHaveLength(1);
    expect((await api.get(`/orders?channel=${id}`)).body.orders).toEqual([]);
  });
});
