import { captureOrder, signalOrder } from '../../services/order-intake';
import {
  cancelOrderSignal,
  confirmPaymentSignal,
  fulfillmentEventSignal,
  holdOrderSignal,
  orderStatusQuery,
  releaseOrderSignal,
  retryOrderSignal,
  type OrderWorkflowInput,
} from '../../workflows/order';
import { createManualPaymentProvider } from '../../connectors/payments/manual';
import { createPaymentProviders } from '../../worker/deps';
import type { PaymentProvider } from '../../connectors/payments/types';
import type { OrderInput } from '../../domain/order';
import { createTestContext, uniqueId, type TestContext } from '../support/stack';
import { StockLedger } from '../../store/stock-ledger';
import { eventually, location, parsedOrder, seed } from '../support/fixtures';

const fast: OrderWorkflowInput['settings'] = { activityMaxAttempts: 2, activityInitialIntervalMs: 100, awaitingStockRecheckMs: 60_000 };

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext('order_wf');
  await seed(ctx.stores, {
    skus: ['TEE', 'MUG', 'CAP'],
    locations: [location('WH-NORTH', 10), location('WH-SOUTH', 20)],
    stock: [
      { sku: 'TEE', locationId: 'WH-NORTH', quantity: 100 },
      { sku: 'MUG', locationId: 'WH-SOUTH', quantity: 100 },
    ],
  });
});
afterAll(async () => ctx.close());

const capture = (order: OrderInput, settings = fast) =>
  captureOrder(
    { temporal: ctx.temporal, taskQueue: ctx.taskQueue, orders: ctx.stores.orders, log: ctx.log, orderSettings: settings },
    order,
  );
const view = (orderId: string) => ctx.stores.orders.get(orderId);
const statusOf = async (orderId: string) => (await view(orderId))?.status;
const waitStatus = async (orderId: string, status: string, timeoutMs = 30_000) =>
  (await eventually(
    () => view(orderId),
    (v) => v?.status === status,
    timeoutMs,
    `${orderId} to be ${status}`,
  ))!;

describe('order workflow', () => {
  beforeAll(async () => {
    await ctx.startWorker();
  });

  test('an order runs from capture to completed, and the ledger shows one reservation and one shipment', async () => {
    const order = parsedOrder({ lines: [{ sku: 'TEE', quantity: 2 }] });
    const { orderId } = await capture(order);
    await waitStatus(orderId, 'released_to_fulfillment');
    expect((await view(orderId))!.allocation).toMatchObject({ locationId: 'WH-NORTH' });
    for (const type of ['picked', 'packed'] as const) await signalOrder(ctx.temporal, orderId, fulfillmentEventSignal, { type });
    await signalOrder(ctx.temporal, orderId, fulfillmentEventSignal, {
      type: 'shipped',
      carrier: 'dhl',
      trackingNumber: '00340434161094042557',
    });
    await waitStatus(orderId, 'shipped');
    await signalOrder(ctx.temporal, orderId, fulfillmentEventSignal, { type: 'delivered' });
    const done = await waitStatus(orderId, 'completed');
    expect(done.history.map((h) => h.status)).toEqual([
      'received',
      'validated',
      'payment_authorized',
      'stock_reserved',
      'released_to_fulfillment',
      'picked',
      'packed',
      'shipped',
      'delivered',
      'completed',
    ]);
    expect(done.shipment).toMatchObject({ carrier: 'dhl', trackingNumber: '00340434161094042557' });
    const entries = (await ctx.stores.ledger.entriesForSku('TEE', { limit: 1000 })).filter((e) => e.reference?.startsWith(orderId));
    expect(entries.map((e) => e.type)).toEqual(['reservation', 'shipment']);
    // The query and the view agree.
    const queried = await ctx.temporal.workflow.getHandle(orderId).query(orderStatusQuery);
    expect(queried.status).toBe('completed');
    expect(queried.version).toBe(done.version);
  });

  test('up to the release, the view is written once after the capture and no ERP task is asked for without an ERP connection', async () => {
    const order = parsedOrder({ lines: [{ sku: 'TEE', quantity: 1 }] });
    const { orderId } = await capture(order);
    const captured = (await view(orderId))!;
    const released = await waitStatus(orderId, 'released_to_fulfillment');
    // validated, payment_authorized and stock_reserved are in the history, carried by the release's projection.
    expect(released.history.map((h) => h.status)).toEqual([
      'received',
      'validated',
      'payment_authorized',
      'stock_reserved',
      'released_to_fulfillment',
    ]);
    expect(released.version).toBe(captured.version + 1);
    const history = await ctx.temporal.workflow.getHandle(orderId).fetchHistory();
    const activities = (history.events ?? []).flatMap((e) => {
      const name = e.activityTaskScheduledEventAttributes?.activityType?.name;
      return name ? [name] : [];
    });
    expect(activities).toEqual(['validateOrder', 'authorizePayment', 'reserveStock']);
  });

  test('cancelling after reservation releases the stock and voids the payment', async () => {
    const before = await ctx.stores.ledger.balance('MUG', 'WH-SOUTH');
    const order = parsedOrder({ lines: [{ sku: 'MUG', quantity: 3 }], payment: { method: 'cash_on_delivery' } });
    const { orderId } = await capture(order);
    await waitStatus(orderId, 'released_to_fulfillment');
    expect((await ctx.stores.ledger.balance('MUG', 'WH-SOUTH')).available).toBe(before.available - 3);
    await signalOrder(ctx.temporal, orderId, cancelOrderSignal, { reason: 'customer changed their mind' });
    const cancelled = await waitStatus(orderId, 'cancelled');
    expect(cancelled.cancellation?.reason).toBe('customer changed their mind');
    expect(cancelled.payment.status).toBe('voided');
    expect(await ctx.stores.ledger.balance('MUG', 'WH-SOUTH')).toEqual(before);
    const payments = await ctx.stores.payments.forOrder(orderId);
    expect(payments.map((p) => p.operation)).toEqual(['authorize', 'void']);
  });

  test('cancelling a prepaid, already charged order refunds it', async () => {
    const { orderId } = await capture(parsedOrder({ lines: [{ sku: 'TEE', quantity: 1 }] }));
    await waitStatus(orderId, 'released_to_fulfillment');
    await signalOrder(ctx.temporal, orderId, cancelOrderSignal, { reason: 'fraud check failed' });
    const cancelled = await waitStatus(orderId, 'cancelled');
    expect(cancelled.payment.status).toBe('refunded');
  });

  test('an order with no stock waits in awaiting_stock and goes on when stock is received', async () => {
    const { orderId } = await capture(parsedOrder({ lines: [{ sku: 'CAP', quantity: 4 }] }));
    const waiting = await waitStatus(orderId, 'awaiting_stock');
    expect(waiting.awaitingStock?.shortfall).toMatchObject({ sku: 'CAP', requested: 4, available: 0 });
    await ctx.stores.ledger.apply({
      sku: 'CAP',
      locationId: 'WH-SOUTH',
      type: 'receipt',
      quantity: 10,
      idempotencyKey: 'po-cap-1',
      actor: 'test',
    });
    expect(await ctx.stores.orders.idsWaitingForSku('CAP')).toContain(orderId);
    await signalOrder(ctx.temporal, orderId, (await import('../../workflows/order')).stockChangedSignal);
    const released = await waitStatus(orderId, 'released_to_fulfillment');
    expect(released.allocation?.locationId).toBe('WH-SOUTH');
    expect(await ctx.stores.ledger.balance('CAP', 'WH-SOUTH')).toEqual({ onHand: 10, reserved: 4, available: 6 });
  });

  test('hold pauses an order and release puts it back where it was', async () => {
    const { orderId } = await capture(parsedOrder({ lines: [{ sku: 'TEE', quantity: 1 }] }));
    await waitStatus(orderId, 'released_to_fulfillment');
    await signalOrder(ctx.temporal, orderId, holdOrderSignal, { reason: 'address check' });
    const held = await waitStatus(orderId, 'on_hold');
    expect(held.hold?.reason).toBe('address check');
    await signalOrder(ctx.temporal, orderId, fulfillmentEventSignal, { type: 'picked' });
    await new Promise((r) => setTimeout(r, 500));
    expect(await statusOf(orderId)).toBe('on_hold'); // progress waits for the release
    await signalOrder(ctx.temporal, orderId, releaseOrderSignal);
    await waitStatus(orderId, 'picked');
  });

  test('a stage that misses its SLA marks the order late without stopping it', async () => {
    const { orderId } = await capture(parsedOrder({ lines: [{ sku: 'TEE', quantity: 1 }] }), { ...fast, slaMs: { picked: 1_000 } });
    const late = (await eventually(
      () => view(orderId),
      (v) => v?.late === true,
      20_000,
      'order to be late',
    ))!;
    expect(late.lateStages[0]?.stage).toBe('picked');
    expect(late.status).toBe('released_to_fulfillment');
    await signalOrder(ctx.temporal, orderId, fulfillmentEventSignal, { type: 'picked' });
    await waitStatus(orderId, 'picked');
    const described = await ctx.temporal.workflow.getHandle(orderId).describe();
    expect(described.typedSearchAttributes.get({ name: 'OrderLate', type: 'BOOL' } as never)).toBe(true);
  });

  test('a manual payment nobody confirms in time rejects the order, and nothing stays reserved', async () => {
    const { orderId } = await capture(
      parsedOrder({ lines: [{ sku: 'TEE', quantity: 1 }], payment: { method: 'prepaid', alreadyPaid: false } }),
      { ...fast, paymentConfirmationTimeoutMs: 1_500 },
    );
    await waitStatus(orderId, 'awaiting_payment');
    const rejected = await waitStatus(orderId, 'rejected', 20_000);
    expect(rejected.rejection?.reason).toBe('payment was not confirmed in time');
    expect(rejected.history.map((h) => h.status)).toEqual(['received', 'validated', 'awaiting_payment', 'rejected']);
    // The order never reached its reservation.
    expect((await ctx.stores.ledger.entriesForSku('TEE', { limit: 10_000 })).filter((e) => e.reference === orderId)).toEqual([]);
  });

  test('an order waiting for stock finds it at its own recheck when no notice arrives', async () => {
    await ctx.stores.items.create({ sku: 'HAT', name: 'Hat' });
    const { orderId } = await capture(parsedOrder({ lines: [{ sku: 'HAT', quantity: 2 }] }), { ...fast, awaitingStockRecheckMs: 1_500 });
    await waitStatus(orderId, 'awaiting_stock');
    // Received through a ledger that tells nobody: no stock offer, no stockChanged signal.
    const quiet = new StockLedger(ctx.mongo.db);
    await quiet.apply({
      sku: 'HAT',
      locationId: 'WH-NORTH',
      type: 'receipt',
      quantity: 2,
      idempotencyKey: `quiet-${orderId}`,
      actor: 'test',
    });
    const released = await waitStatus(orderId, 'released_to_fulfillment', 20_000);
    expect(released.allocation?.locationId).toBe('WH-NORTH');
  });

  test('a manual payment waits for an operator to confirm it', async () => {
    const { orderId } = await capture(
      parsedOrder({ lines: [{ sku: 'TEE', quantity: 1 }], payment: { method: 'prepaid', alreadyPaid: false } }),
    );
    await waitStatus(orderId, 'awaiting_payment');
    await signalOrder(ctx.temporal, orderId, confirmPaymentSignal, { reference: 'bank-transfer-991' });
    const released = await waitStatus(orderId, 'released_to_fulfillment');
    expect(released.payment).toMatchObject({ status: 'authorized', reference: 'bank-transfer-991' });
  });

  test('an order naming a sku Orderhub does not know waits in needs_attention naming it, and goes on once it exists', async () => {
    const { orderId } = await capture(
      parsedOrder({
        lines: [
          { sku: 'TEE', quantity: 1 },
          { sku: 'NOPE', quantity: 1 },
        ],
      }),
    );
    const waiting = await waitStatus(orderId, 'needs_attention');
    expect(waiting.attention).toMatchObject({
      step: 'validate',
      error: 'Unknown sku(s) NOPE: create them (POST /items), then retry the order',
    });
    expect((await ctx.stores.ledger.entriesForSku('TEE', { limit: 1000 })).some((e) => e.reference === orderId)).toBe(false);
    // A retry before the sku exists parks it again, with the same reason.
    await signalOrder(ctx.temporal, orderId, retryOrderSignal);
    await eventually(
      () => view(orderId),
      (v) => v?.status === 'needs_attention' && v.history.filter((h) => h.status === 'needs_attention').length === 2,
      30_000,
      'the retry to find the sku still missing',
    );
    await ctx.stores.items.create({ sku: 'NOPE', name: 'New in the shop' });
    await ctx.stores.ledger.apply({
      sku: 'NOPE',
      locationId: 'WH-NORTH',
      type: 'receipt',
      quantity: 5,
      idempotencyKey: `nope-${orderId}`,
      actor: 'test',
    });
    await signalOrder(ctx.temporal, orderId, retryOrderSignal);
    const released = await waitStatus(orderId, 'released_to_fulfillment');
    expect(released.order.lines.map((l) => l.sku)).toEqual(['TEE', 'NOPE']);
  });

  test('a duplicate capture gives one workflow and one order', async () => {
    const order = parsedOrder({ lines: [{ sku: 'TEE', quantity: 1 }] });
    const results = await Promise.all([capture(order), capture(order), capture(order)]);
    expect(new Set(results.map((r) => r.orderId)).size).toBe(1);
    expect(results.filter((r) => !r.duplicate).length).toBeGreaterThanOrEqual(1);
    await waitStatus(results[0].orderId, 'released_to_fulfillment');
    const again = await capture(order);
    expect(again.duplicate).toBe(true);
    const { orders } = await ctx.stores.orders.list({ channel: 'manual', limit: 200 });
    expect(orders.filter((o) => o.channelOrderId === order.channelOrderId)).toHaveLength(1);
    const reservations = (await ctx.stores.ledger.entriesForSku('TEE', { limit: 10_000 })).filter(
      (e) => e.reference === results[0].orderId && e.type === 'reservation',
    );
    expect(reservations).toHaveLength(1);
  });
});

describe('a step that keeps failing', () => {
  test('puts the order in needs_attention, and an operator retry completes it', async () => {
    // The payment provider is a third-party system: it is down until we say it is back.
    let providerDown = true;
    const real = createManualPaymentProvider(ctx.stores.payments, 'manual');
    const flaky: PaymentProvider = {
      ...real,
      authorize: async (req) => {
        if (providerDown) throw new Error('payment gateway unavailable (503)');
        return real.authorize(req);
      },
    };
    const taskQueue = uniqueId('tq-flaky');
    const worker = await ctx.startWorker({ taskQueue, payments: { ...createPaymentProviders(ctx.stores.payments), manual: flaky } });
    try {
      const { orderId } = await captureOrder(
        { temporal: ctx.temporal, taskQueue, orders: ctx.stores.orders, log: ctx.log, orderSettings: fast },
        parsedOrder({ lines: [{ sku: 'TEE', quantity: 1 }] }),
      );
      const stuck = await waitStatus(orderId, 'needs_attention');
      expect(stuck.attention).toMatchObject({ step: 'authorize_payment', error: expect.stringMatching(/gateway unavailable/) });
      providerDown = false;
      await signalOrder(ctx.temporal, orderId, retryOrderSignal);
      await waitStatus(orderId, 'released_to_fulfillment');
      const v = await view(orderId);
      expect(v!.history.map((h) => h.status)).toContain('needs_attention');
      expect(v!.attention).toBeUndefined();
    } finally {
      await worker.stop();
    }
  });
});
