import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import nock from 'nock';
import { createTestContext, type TestContext } from '../support/stack';
import { apiFor } from '../support/api';
import { eventually, location } from '../support/fixtures';

// Order edits made in Shopify, over the real stack: signed orders/updated webhooks through the API, BullMQ,
// the ingest and the order workflow's applyChannelEdit Update; stock checked in the real ledger. The
// bodies are Shopify's REST order (the webhook payload), edited as Shopify reports an order edit: line
// items stay as ordered and current_quantity says what is left (0: removed), added items are new lines.
const SHOP = 'orderhub-edits.myshopify.com';
const SECRET = 'shopify-app-client-secret-edits';
const CONNECTION = 'shop-ed';
// Each run its own Shopify order ids: workflow ids outlive a suite's database on a reused Temporal server.
const runId = Date.now() % 1_000_000_000;
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- vendor JSON, edited field by field
type ShopifyOrder = Record<string, any>;
const base: ShopifyOrder = JSON.parse(readFileSync(join(__dirname, '..', 'connectors', 'fixtures', 'shopify', 'order-cod.json'), 'utf8'));
// TEE-M twice (2 + 1) and MUG-1 once: the order holds TEE-M ×3 and MUG-1 ×1.
const orderNo = (n: number) => 9_100_000_000_000 + runId * 10 + n;
const newOrder = (n: number): ShopifyOrder => ({ ...structuredClone(base), id: orderNo(n), updated_at: '2026-11-29T09:00:00+00:00' });

// A line item Shopify adds in an order edit (a new line item id, its own quantity).
let items = 0;
const addedItem = (sku: string, quantity: number, price = '9.90') => ({
  ...structuredClone(base.line_items[1]),
  id: 13_500_000_000_000 + ++items,
  sku,
  name: sku,
  title: sku,
  quantity,
  current_quantity: quantity,
  price,
  discount_allocations: [],
  tax_lines: [],
});

let ctx: TestContext;
let api: Awaited<ReturnType<typeof apiFor>>;
let deliveries = 0;

beforeAll(async () => {
  nock.disableNetConnect();
  nock.enableNetConnect(/127\.0\.0\.1|localhost/);
  ctx = await createTestContext('e2e_edits');
  api = await apiFor(ctx, { activityMaxAttempts: 2, activityInitialIntervalMs: 100 });
  await ctx.startWorker();
  await ctx.startConsumers();
  expect((await api.post('/locations', location('BER-1', 1))).status).toBe(201);
  for (const sku of ['TEE-M', 'MUG-1', 'CAP-2']) expect((await api.post('/items', { sku, name: sku })).status).toBe(201);
  for (const [sku, quantity] of [
    ['TEE-M', 30],
    ['MUG-1', 20],
    ['CAP-2', 10],
  ] as const)
    expect((await api.post('/stock/receipts', { sku, locationId: 'BER-1', quantity, reference: 'PO-1' })).status).toBeLessThan(300);
  // No stock feeds: nothing is pushed to Shopify, so no Shopify HTTP is needed here.
  const created = await api.post('/connections', {
    id: CONNECTION,
    kind: 'shopify',
    name: 'Edits storefront',
    options: { shopDomain: SHOP },
    credentials: { accessToken: 'shpat_edits_token_value', webhookSecret: SECRET },
  });
  expect(created.status).toBe(201);
});
afterAll(async () => {
  await ctx.close();
  nock.cleanAll();
  nock.enableNetConnect();
});

// A signed delivery; returns the delivery's settled record (status and outcome).
async function deliver(topic: string, body: object) {
  const raw = JSON.stringify(body);
  const deliveryId = `edits-${runId}-${++deliveries}`;
  const res = await api.raw
    .post(`/webhooks/${CONNECTION}`)
    .set({
      'content-type': 'application/json',
      'x-shopify-topic': topic,
      'x-shopify-shop-domain': SHOP,
      'x-shopify-hmac-sha256': createHmac('sha256', SECRET).update(raw, 'utf8').digest('base64'),
      'x-shopify-webhook-id': deliveryId,
    })
    .send(raw);
  expect(res.status).toBe(200);
  const settled = await eventually(
    () => ctx.stores.webhooks.get(`${CONNECTION}|${deliveryId}`),
    (d) => !!d && d.status !== 'queued',
    30_000,
    `delivery ${deliveryId} to be settled`,
  );
  return settled!;
}

const view = async (orderId: string) => (await api.get(`/orders/${orderId}`)).body;
const until = (orderId: string, ok: (o: ShopifyOrder) => boolean, what: string) => eventually(() => view(orderId), ok, 30_000, what);
const stockOf = async (sku: string) =>
  (await api.get(`/stock/${sku}`)).body.total as { onHand: number; reserved: number; available: number };
const linesOf = (o: ShopifyOrder) =>
  Object.fromEntries((o.order.lines as { sku: string; quantity: number }[]).map((l) => [l.sku, l.quantity]));
const historyText = (o: ShopifyOrder) => (o.history as { reason?: string }[]).map((h) => h.reason ?? '').join('\n');

async function placed(n: number): Promise<{ shopify: ShopifyOrder; orderId: string }> {
  const shopify = newOrder(n);
  expect((await deliver('orders/create', shopify)).outcome).toBe('captured');
  const orderId = `order:${CONNECTION}:${shopify.id}`;
  await until(orderId, (o) => o.status === 'released_to_fulfillment', 'the order to be released');
  return { shopify, orderId };
}

test('an edit before picking changes the address and the lines, and the reservation follows exactly; a removed line gives its stock back', async () => {
  const [tee, mug, cap] = [await stockOf('TEE-M'), await stockOf('MUG-1'), await stockOf('CAP-2')];
  const { shopify, orderId } = await placed(1);
  expect((await stockOf('TEE-M')).reserved).toBe(tee.reserved + 3);
  expect((await stockOf('MUG-1')).reserved).toBe(mug.reserved + 1);
  const before = await view(orderId);

  // In Shopify: a new street, MUG-1 from 1 to 3, the second TEE-M line removed (TEE-M 3 -> 2), CAP-2 added.
  const edited = structuredClone(shopify);
  edited.updated_at = '2026-11-29T09:05:00+00:00';
  edited.shipping_address.address1 = 'Karl-Marx-Allee 90';
  edited.line_items[1].current_quantity = 3;
  edited.line_items[2].current_quantity = 0;
  edited.line_items.push(addedItem('CAP-2', 1));
  // Shopify sends orders/edited (what changed, by line item id) and orders/updated (the whole order).
  const notice = await deliver('orders/edited', {
    order_edit: {
      id: 78912328,
      app_id: null,
      created_at: '2026-11-29T09:04:58+00:00',
      committed_at: '2026-11-29T09:05:00+00:00',
      notify_customer: false,
      order_id: shopify.id,
      staff_note: '',
      user_id: null,
      line_items: { additions: [{ id: 1, delta: 2 }], removals: [{ id: 2, delta: 1 }] },
      discounts: { line_item: { additions: [], removals: [] } },
      shipping_lines: { additions: [], removals: [] },
    },
  });
  expect(notice.status).toBe('ignored');
  expect((await deliver('orders/updated', edited)).outcome).toBe('edited');

  const after = await until(
    orderId,
    (o) => o.status === 'released_to_fulfillment' && o.order.shippingAddress.line1 === 'Karl-Marx-Allee 90',
    'the edit to be applied and the order released again',
  );
  expect(linesOf(after)).toEqual({ 'TEE-M': 2, 'MUG-1': 3, 'CAP-2': 1 });
  expect(historyText(after)).toMatch(
    /channel edit: shipping address changed; line TEE-M 3 -> 2; line MUG-1 1 -> 3; line CAP-2 added \(1\); total \d+ -> \d+; stock given back, routing again/,
  );
  // The amount to capture (cash on delivery) follows the new total.
  expect(after.payment.amount).toBe(after.order.totals.total);
  expect(after.payment.amount).not.toBe(before.payment.amount);
  // Stock moved by exactly the change, nothing left held by the old reservation.
  expect(await stockOf('TEE-M')).toMatchObject({ onHand: tee.onHand, reserved: tee.reserved + 2, available: tee.available - 2 });
  expect(await stockOf('MUG-1')).toMatchObject({ onHand: mug.onHand, reserved: mug.reserved + 3, available: mug.available - 3 });
  expect(await stockOf('CAP-2')).toMatchObject({ onHand: cap.onHand, reserved: cap.reserved + 1, available: cap.available - 1 });

  // The same copy again (another delivery id, as the poll or a second subscription would bring it): nothing changes.
  expect((await deliver('orders/updated', edited)).outcome).toBe('duplicate');
  // An older copy arriving late is not applied over the newer one.
  const stale = structuredClone(shopify);
  stale.updated_at = '2026-11-29T09:01:00+00:00';
  stale.shipping_address.address1 = 'Old Street 1';
  expect((await deliver('orders/updated', stale)).outcome).toBe('duplicate');
  const settled = await view(orderId);
  expect(settled.version).toBe(after.version);
  expect(settled.order.shippingAddress.line1).toBe('Karl-Marx-Allee 90');

  // MUG-1 removed altogether: its stock is given back.
  const removed = structuredClone(edited);
  removed.updated_at = '2026-11-29T09:10:00+00:00';
  removed.line_items[1].current_quantity = 0;
  removed.total_discounts = '7.19'; // MUG-1's allocated 1.31 goes with it
  expect((await deliver('orders/updated', removed)).outcome).toBe('edited');
  const last = await until(orderId, (o) => !('MUG-1' in linesOf(o)) && o.status === 'released_to_fulfillment', 'MUG-1 to be removed');
  expect(linesOf(last)).toEqual({ 'TEE-M': 2, 'CAP-2': 1 });
  expect(historyText(last)).toContain('line MUG-1 removed (3)');
  expect(await stockOf('MUG-1')).toEqual(mug);
  expect(await stockOf('TEE-M')).toMatchObject({ reserved: tee.reserved + 2 });
  expect(await stockOf('CAP-2')).toMatchObject({ reserved: cap.reserved + 1 });
});

test('an edit after picking leaves the order as it is and records a notice for an operator, naming the change', async () => {
  const { shopify, orderId } = await placed(2);
  expect((await api.post(`/orders/${orderId}/events`, { type: 'picked' })).status).toBe(200);
  const picked = await until(orderId, (o) => o.stage === 'picked', 'the order to be picked');
  const [tee, mug] = [await stockOf('TEE-M'), await stockOf('MUG-1')];

  const edited = structuredClone(shopify);
  edited.updated_at = '2026-11-29T09:20:00+00:00';
  edited.shipping_address.city = 'Potsdam';
  edited.line_items[1].current_quantity = 2;
  expect((await deliver('orders/updated', edited)).outcome).toBe('edited');

  const noticed = await until(orderId, (o) => (o.notices ?? []).length === 1, 'a notice');
  expect(noticed.notices[0]).toMatchObject({
    source: 'channel',
    changes: ['shipping address changed', 'line MUG-1 1 -> 2', expect.stringMatching(/^total \d+ -> \d+$/)],
  });
  expect(noticed.notices[0].message).toMatch(
    /after it was picked; the change was not applied: shipping address changed; line MUG-1 1 -> 2/,
  );
  expect(historyText(noticed)).toMatch(/channel edit after picking, not applied: shipping address changed; line MUG-1 1 -> 2/);
  // The order itself is unchanged: lines, address, amount, stock.
  expect(noticed.order).toEqual(picked.order);
  expect(noticed.payment.amount).toBe(picked.payment.amount);
  expect(noticed.stage).toBe('picked');
  expect(await stockOf('TEE-M')).toEqual(tee);
  expect(await stockOf('MUG-1')).toEqual(mug);
  // Delivered again: one notice.
  expect((await deliver('orders/updated', edited)).outcome).toBe('duplicate');
  expect((await view(orderId)).notices).toHaveLength(1);
});

test('an edit naming an unknown sku parks the order, naming the sku, with nothing changed; once the sku exists a retry applies it', async () => {
  const { shopify, orderId } = await placed(3);
  const [tee, mug] = [await stockOf('TEE-M'), await stockOf('MUG-1')];
  const before = await view(orderId);

  const edited = structuredClone(shopify);
  edited.updated_at = '2026-11-29T09:30:00+00:00';
  edited.line_items[1].current_quantity = 4;
  edited.line_items.push(addedItem(`GHOST-${runId}`, 2));
  expect((await deliver('orders/updated', edited)).outcome).toBe('edited');

  const parked = await until(orderId, (o) => o.status === 'needs_attention', 'the order to park');
  expect(parked.attention).toMatchObject({ step: 'validate_channel_edit' });
  expect(parked.attention.error).toContain(`Unknown sku(s) GHOST-${runId}`);
  // Nothing half-applied: the order and its stock are as they were.
  expect(parked.order).toEqual(before.order);
  expect(await stockOf('TEE-M')).toEqual(tee);
  expect(await stockOf('MUG-1')).toEqual(mug);

  expect((await api.post('/items', { sku: `GHOST-${runId}`, name: 'Ghost' })).status).toBe(201);
  await api.post('/stock/receipts', { sku: `GHOST-${runId}`, locationId: 'BER-1', quantity: 5, reference: 'PO-2' });
  expect((await api.post(`/orders/${orderId}/retry`)).status).toBe(200);
  const applied = await until(
    orderId,
    (o) => o.status === 'released_to_fulfillment' && linesOf(o)['MUG-1'] === 4,
    'the edit to be applied after the retry',
  );
  expect(linesOf(applied)).toEqual({ 'TEE-M': 3, 'MUG-1': 4, [`GHOST-${runId}`]: 2 });
  expect(await stockOf('MUG-1')).toMatchObject({ reserved: mug.reserved + 3, available: mug.available - 3 });
  expect(await stockOf(`GHOST-${runId}`)).toEqual({ onHand: 5, reserved: 2, quarantined: 0, available: 3 });
  expect(await stockOf('TEE-M')).toEqual(tee);
});

test('an edit to a split order gives back every part and splits the edited order again, with nothing leaked', async () => {
  expect((await api.post('/locations', location('SPL-2', 2))).status).toBe(201);
  expect((await api.post('/items', { sku: 'SHADE-E', name: 'Shade' })).status).toBe(201);
  await api.post('/stock/receipts', { sku: 'SHADE-E', locationId: 'SPL-2', quantity: 6, reference: 'PO-3' });
  const split = {
    id: 'split-when-needed',
    name: 'By priority, split when no location has it all',
    sort: ['priority'],
    whenNothingFits: 'split',
  };
  expect((await api.put('/routing/rules', { rules: [split] })).status).toBe(200);
  const [tee, mug, shade] = [await stockOf('TEE-M'), await stockOf('MUG-1'), await stockOf('SHADE-E')];

  // TEE-M is only at BER-1, SHADE-E only at SPL-2: two parts.
  const shopify: ShopifyOrder = { ...newOrder(4), line_items: [addedItem('TEE-M', 1), addedItem('SHADE-E', 1)] };
  expect((await deliver('orders/create', shopify)).outcome).toBe('captured');
  const orderId = `order:${CONNECTION}:${shopify.id}`;
  const first = await until(orderId, (o) => o.status === 'released_to_fulfillment', 'the split order to be released');
  expect(first.parts.map((p: { locationId: string; lines: unknown }) => [p.locationId, p.lines])).toEqual([
    ['BER-1', [{ sku: 'TEE-M', quantity: 1 }]],
    ['SPL-2', [{ sku: 'SHADE-E', quantity: 1 }]],
  ]);

  // TEE-M removed, SHADE-E 1 -> 2, MUG-1 added.
  const edited = structuredClone(shopify);
  edited.updated_at = '2026-11-29T09:40:00+00:00';
  edited.line_items[0].current_quantity = 0;
  edited.line_items[1].current_quantity = 2;
  edited.line_items.push(addedItem('MUG-1', 1));
  expect((await deliver('orders/updated', edited)).outcome).toBe('edited');
  const after = await until(
    orderId,
    (o) => o.status === 'released_to_fulfillment' && o.version > first.version && !!o.parts,
    'the edited order to be split again',
  );
  expect(after.parts.map((p: { locationId: string; lines: unknown }) => [p.locationId, p.lines])).toEqual([
    ['BER-1', [{ sku: 'MUG-1', quantity: 1 }]],
    ['SPL-2', [{ sku: 'SHADE-E', quantity: 2 }]],
  ]);
  expect(historyText(after)).toContain('channel edit: line SHADE-E 1 -> 2; line MUG-1 added (1); line TEE-M removed (1)');
  expect(await stockOf('TEE-M')).toEqual(tee);
  expect(await stockOf('SHADE-E')).toMatchObject({ reserved: shade.reserved + 2, available: shade.available - 2 });
  expect(await stockOf('MUG-1')).toMatchObject({ reserved: mug.reserved + 1, available: mug.available - 1 });
});

test('an order waiting on an unknown sku, fixed at the channel (the line removed), carries on with the edit once retried', async () => {
  const unknown = `NEW-${runId}`;
  const shopify: ShopifyOrder = { ...newOrder(5), line_items: [...structuredClone(base.line_items), addedItem(unknown, 1)] };
  expect((await deliver('orders/create', shopify)).outcome).toBe('captured');
  const orderId = `order:${CONNECTION}:${shopify.id}`;
  const parked = await until(orderId, (o) => o.status === 'needs_attention', 'the order to wait on its unknown sku');
  expect(parked.attention).toMatchObject({ step: 'validate', error: expect.stringContaining(unknown) });

  const edited = structuredClone(shopify);
  edited.updated_at = '2026-11-29T09:50:00+00:00';
  edited.line_items[1].current_quantity = 2;
  edited.line_items[3].current_quantity = 0;
  expect((await deliver('orders/updated', edited)).outcome).toBe('edited');
  expect((await api.post(`/orders/${orderId}/retry`)).status).toBe(200);
  const released = await until(orderId, (o) => o.status === 'released_to_fulfillment', 'the edited order to be released');
  expect(linesOf(released)).toEqual({ 'TEE-M': 3, 'MUG-1': 2 });
  expect(historyText(released)).toContain(`channel edit: line MUG-1 1 -> 2; line ${unknown} removed (1)`);
});

test('an order waiting for stock takes an edit that fits what there is, and is reserved at once', async () => {
  const rare = `RARE-${runId}`;
  expect((await api.post('/items', { sku: rare, name: 'Rare' })).status).toBe(201);
  await api.post('/stock/receipts', { sku: rare, locationId: 'BER-1', quantity: 1, reference: 'PO-4' });
  const shopify: ShopifyOrder = { ...newOrder(6), line_items: [addedItem(rare, 2)] };
  expect((await deliver('orders/create', shopify)).outcome).toBe('captured');
  const orderId = `order:${CONNECTION}:${shopify.id}`;
  await until(orderId, (o) => o.status === 'awaiting_stock', 'the order to wait for stock');

  const edited = structuredClone(shopify);
  edited.updated_at = '2026-11-29T10:00:00+00:00';
  edited.line_items[0].current_quantity = 1;
  expect((await deliver('orders/updated', edited)).outcome).toBe('edited');
  const released = await until(orderId, (o) => o.status === 'released_to_fulfillment', 'the edited order to be reserved');
  expect(linesOf(released)).toEqual({ [rare]: 1 });
  expect(historyText(released)).toContain(`channel edit: line ${rare} 2 -> 1`);
  expect(await stockOf(rare)).toEqual({ onHand: 1, reserved: 1, quarantined: 0, available: 0 });
});
