import { captureOrder, signalOrder } from '../../services/order-intake';
import { ingestChannelOrder } from '../../services/channel-orders';
import { createPreorderService } from '../../services/preorders';
import { cancelOrderSignal, holdOrderSignal, releaseOrderSignal, type OrderWorkflowInput } from '../../workflows/order';
import type { OrderInput } from '../../domain/order';
import { createTestContext, type TestContext } from '../support/stack';
import { eventually, location, parsedOrder, seed } from '../support/fixtures';

// The pre-order's wait for its release date, on the real Temporal dev server: the stock is held meanwhile,
// a hold and a cancel are honoured during the wait, and nothing is released before the date.
const fast: OrderWorkflowInput['settings'] = { activityMaxAttempts: 2, activityInitialIntervalMs: 100 };

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext('preorder_wf');
  await seed(ctx.stores, {
    skus: ['VINYL'],
    locations: [location('WH-1', 10)],
    stock: [{ sku: 'VINYL', locationId: 'WH-1', quantity: 10 }],
  });
  await ctx.startWorker();
});
afterAll(async () => ctx.close());

const capture = (order: OrderInput) =>
  captureOrder({ temporal: ctx.temporal, taskQueue: ctx.taskQueue, orders: ctx.stores.orders, log: ctx.log, orderSettings: fast }, order);
const view = (orderId: string) => ctx.stores.orders.get(orderId);
const waitStatus = async (orderId: string, status: string, timeoutMs = 30_000) =>
  (await eventually(
    () => view(orderId),
    (v) => v?.status === status,
    timeoutMs,
    `${orderId} to be ${status}`,
  ))!;
const preorder = (quantity: number, releaseAt: string) =>
  parsedOrder({ type: 'pre_order', lines: [{ sku: 'VINYL', quantity, preorder: { releaseAt } }] } as Parameters<typeof parsedOrder>[0]);

test('a pre-order holds its stock until the release date; a hold during the wait pauses it, and it is released on the date', async () => {
  const releaseAt = new Date(Date.now() + 8_000).toISOString();
  const { orderId } = await capture(preorder(2, releaseAt));
  const reserved = await waitStatus(orderId, 'stock_reserved');
  expect(reserved.preorder).toEqual({ releaseAt });
  expect(reserved.history.at(-1)?.reason).toContain(`released to the warehouse at ${releaseAt}`);
  expect((await ctx.stores.ledger.balance('VINYL', 'WH-1')).reserved).toBe(2);

  await signalOrder(ctx.temporal, orderId, holdOrderSignal, { reason: 'artwork check' });
  await waitStatus(orderId, 'on_hold');
  await signalOrder(ctx.temporal, orderId, releaseOrderSignal);
  await waitStatus(orderId, 'stock_reserved');
  expect(Date.now()).toBeLessThan(Date.parse(releaseAt));

  const released = await waitStatus(orderId, 'released_to_fulfillment', 20_000);
  const at = released.history.find((h) => h.status === 'released_to_fulfillment')!.at;
  expect(Date.parse(at)).toBeGreaterThanOrEqual(Date.parse(releaseAt));
  expect(released.preorder?.releasedAt).toBe(at);
});

test('a pre-order cancelled while it waits for its release date gives its stock back and is never released', async () => {
  const before = await ctx.stores.ledger.balance('VINYL', 'WH-1');
  const { orderId } = await capture(preorder(3, new Date(Date.now() + 60_000).toISOString()));
  await waitStatus(orderId, 'stock_reserved');
  await signalOrder(ctx.temporal, orderId, cancelOrderSignal, { reason: 'release postponed' });
  const cancelled = await waitStatus(orderId, 'cancelled');
  expect(cancelled.history.map((h) => h.status)).not.toContain('released_to_fulfillment');
  expect(await ctx.stores.ledger.balance('VINYL', 'WH-1')).toEqual(before);
});

test('a channel order for an item the catalogue sells as a pre-order is a pre-order; beyond what is inbound it is not refused but waits unclaimed', async () => {
  await ctx.stores.items.create({ sku: 'BOOK', name: 'Book', preorder: { releaseAt: '2099-01-01' } });
  await ctx.stores.purchaseOrders.create({
    id: 'PO-BOOK-1',
    supplierId: 'printer',
    locationId: 'WH-1',
    currency: 'EUR',
    expectedDate: '2030-01-15',
    initialStatus: 'open',
    lines: [{ sku: 'BOOK', quantity: 1, unitCost: 500 }],
    createdAt: new Date().toISOString(),
    createdBy: 'test',
  });
  const intake = { temporal: ctx.temporal, taskQueue: ctx.taskQueue, orders: ctx.stores.orders, log: ctx.log, orderSettings: fast };
  const deps = { ...intake, channelPreorders: createPreorderService(ctx.stores) };
  const channelOrder = () => ({
    order: parsedOrder({ channel: 'shop-eu', lines: [{ sku: 'BOOK', quantity: 1 }] }),
    cancelled: false,
    updatedAt: new Date().toISOString(),
  });
  const [first, second] = [channelOrder(), channelOrder()];
  expect(await ingestChannelOrder(deps, first)).toBe('captured');
  expect(await ingestChannelOrder(deps, second)).toBe('captured');
  expect(await ingestChannelOrder(deps, first)).toBe('duplicate');
  const ids = [first, second].map((c) => `order:shop-eu:${c.order.channelOrderId}`);
  for (const id of ids) {
    const waiting = await waitStatus(id, 'awaiting_stock');
    expect(waiting.type).toBe('pre_order');
    expect(waiting.preorder).toEqual({ releaseAt: '2099-01-01T00:00:00.000Z' });
    expect(waiting.order.lines[0].preorder).toEqual({ releaseAt: '2099-01-01T00:00:00.000Z' });
  }
  expect((await ctx.stores.preorderClaims.active('BOOK')).map((c) => c.orderId)).toEqual([ids[0]]);
});
