import { captureOrder, signalOrder } from '../../services/order-intake';
import { cancelOrderSignal, type OrderWorkflowInput } from '../../workflows/order';
import { reconcileReservationsWorkflow } from '../../workflows/maintenance';
import { createOrderActivities } from '../../activities/order-activities';
import { createPaymentProviders } from '../../worker/deps';
import type { OrderInput } from '../../domain/order';
import { initialOrderState } from '../../domain/order-state';
import { toOrder } from '../../domain/order';
import { createTestContext, uniqueId, type TestContext } from '../support/stack';
import { eventually, location, parsedOrder, seed } from '../support/fixtures';

// Stock given back, and given on: whatever an order's reservation attempts took comes back when the
// order parks or is cancelled, a reconciliation frees what ended orders still hold, and freed stock goes
// to the orders waiting for it in the order they started waiting.

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext('stock_return');
  await seed(ctx.stores, {
    skus: ['SLOW-1', 'FCFS-1', 'RECON-1', 'EXP-1'],
    locations: [location('WH-RET', 1)],
    stock: [{ sku: 'SLOW-1', locationId: 'WH-RET', quantity: 5 }],
  });
});
afterAll(async () => ctx.close());

describe('with the order worker running', () => {
  beforeAll(async () => {
    await ctx.startWorker();
  });

  const settings: OrderWorkflowInput['settings'] = {
    activityMaxAttempts: 1,
    activityInitialIntervalMs: 100,
    awaitingStockRecheckMs: 15 * 60_000,
  };
  const capture = (order: OrderInput) =>
    captureOrder(
      { temporal: ctx.temporal, taskQueue: ctx.taskQueue, orders: ctx.stores.orders, log: ctx.log, orderSettings: settings },
      order,
    );
  const view = (orderId: string) => ctx.stores.orders.get(orderId);
  const waitStatus = async (orderId: string, status: string, timeoutMs = 30_000) =>
    (await eventually(
      () => view(orderId),
      (v) => v?.status === status,
      timeoutMs,
      `${orderId} to be ${status}`,
    ))!;
  const available = async (sku: string) => (await ctx.stores.ledger.balance(sku, 'WH-RET')).available;
  // How often the order's workflow tried to reserve: its history's reserveStock activities.
  const reservationAttempts = async (orderId: string) => {
    const history = await ctx.temporal.workflow.getHandle(orderId).fetchHistory();
    return (history.events ?? []).filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'reserveStock').length;
  };
  const entriesOf = async (sku: string, orderId: string) =>
    (await ctx.stores.ledger.entriesForSku(sku, { limit: 1000 })).filter((e) => e.reference === orderId);

  describe('a reservation attempt that times out after reserving', () => {
    test('the order parks holding nothing, and cancelling it leaves nothing reserved', async () => {
      // reserveStock does its work, then stalls without heartbeating: Temporal times the attempt out after
      // its 10 s heartbeat timeout, and with one attempt allowed the order parks in needs_attention.
      const real = createOrderActivities({ ...ctx.stores, payments: createPaymentProviders(ctx.stores.payments), log: ctx.log });
      const stalls = new Set<string>();
      const taskQueue = uniqueId('tq-stall');
      const worker = await ctx.startWorker({
        taskQueue,
        activityOverrides: {
          reserveStock: (async (...args: Parameters<typeof real.reserveStock>) => {
            const result = await real.reserveStock(...args);
            if (!stalls.has(args[0].id)) {
              stalls.add(args[0].id);
              await new Promise((r) => setTimeout(r, 13_000));
            }
            return result;
          }) as never,
        },
      });
      try {
        const order = parsedOrder({ lines: [{ sku: 'SLOW-1', quantity: 2 }] });
        const { orderId } = await captureOrder(
          { temporal: ctx.temporal, taskQueue, orders: ctx.stores.orders, log: ctx.log, orderSettings: settings },
          order,
        );
        const parked = await waitStatus(orderId, 'needs_attention', 60_000);
        expect(parked.attention).toMatchObject({ step: 'reserve_stock' });
        // What the timed-out attempt reserved was given back when the order parked.
        expect(await available('SLOW-1')).toBe(5);
        expect((await entriesOf('SLOW-1', orderId)).map((e) => [e.type, e.quantity, e.reason])).toEqual([
          ['reservation', 2, undefined],
          ['release', 2, 'reservation attempt abandoned: the order needs attention'],
        ]);

        await signalOrder(ctx.temporal, orderId, cancelOrderSignal, { reason: 'customer gave up' });
        await waitStatus(orderId, 'cancelled');
        expect(await ctx.stores.ledger.balance('SLOW-1', 'WH-RET')).toEqual({ onHand: 5, reserved: 0, available: 5 });
        expect(await ctx.mongo.db.collection('open_reservations').countDocuments({ orderId })).toBe(0);
      } finally {
        await worker.stop();
      }
    }, 90_000);

    test('an attempt still running when its order is cancelled gives back what it takes afterwards', async () => {
      const orderId = `order:test:${uniqueId('late')}`;
      await ctx.stores.allocations.releaseEverythingOf(orderId, { actor: 'test', reason: 'order cancelled' });
      const late = await ctx.stores.allocations.reserveAll({
        reservationId: `${orderId}:alloc:1:WH-RET`,
        orderId,
        locationId: 'WH-RET',
        lines: [{ sku: 'SLOW-1', quantity: 1 }],
        actor: 'test',
      });
      expect(late.reserved).toBe(false);
      expect(await available('SLOW-1')).toBe(5);
      expect((await entriesOf('SLOW-1', orderId)).map((e) => e.type)).toEqual(['reservation', 'release']);
    });
  });

  describe('the reservations reconciliation', () => {
    test('frees what orders that ended or do not exist still hold, with the reason in the ledger, and leaves running orders alone', async () => {
      await ctx.stores.ledger.apply({
        sku: 'RECON-1',
        locationId: 'WH-RET',
        type: 'receipt',
        quantity: 10,
        idempotencyKey: uniqueId('recon-stock'),
        actor: 'test',
      });
      const reserve = (orderId: string, quantity: number) =>
        ctx.stores.allocations.reserveAll({
          reservationId: `${orderId}:alloc:1:WH-RET`,
          orderId,
          locationId: 'WH-RET',
          lines: [{ sku: 'RECON-1', quantity }],
          actor: 'test',
        });
      const viewWith = async (status: 'cancelled' | 'released_to_fulfillment') => {
        const order = toOrder(parsedOrder({ lines: [{ sku: 'RECON-1', quantity: 1 }] }), new Date().toISOString());
        await ctx.stores.orders.insertReceived(order, { ...initialOrderState(order), status });
        return order.id;
      };
      const unknown = `order:test:${uniqueId('gone')}`;
      const cancelled = await viewWith('cancelled');
      const running = await viewWith('released_to_fulfillment');
      for (const [id, q] of [
        [unknown, 1],
        [cancelled, 2],
        [running, 3],
      ] as const)
        expect((await reserve(id, q)).reserved).toBe(true);
      expect(await available('RECON-1')).toBe(4);

      // Through Temporal, as the schedule runs it.
      const result = await ctx.temporal.workflow.execute(reconcileReservationsWorkflow, {
        taskQueue: ctx.taskQueue,
        workflowId: uniqueId('reconcile'),
        args: [{ olderThanMs: 0 }],
      });
      expect(result.released).toEqual(
        expect.arrayContaining([
          { orderId: unknown, status: 'unknown', reservations: 1, units: 1 },
          { orderId: cancelled, status: 'cancelled', reservations: 1, units: 2 },
        ]),
      );
      expect(result.released.map((r) => r.orderId)).not.toContain(running);
      expect(await available('RECON-1')).toBe(7);
      expect((await entriesOf('RECON-1', cancelled)).map((e) => [e.type, e.reason])).toEqual([
        ['reservation', undefined],
        ['release', 'reconciliation: order cancelled'],
      ]);
      expect((await entriesOf('RECON-1', unknown)).map((e) => [e.type, e.reason])).toEqual([
        ['reservation', undefined],
        ['release', 'reconciliation: order unknown'],
      ]);

      // A second run finds nothing more to do.
      const again = await ctx.temporal.workflow.execute(reconcileReservationsWorkflow, {
        taskQueue: ctx.taskQueue,
        workflowId: uniqueId('reconcile'),
        args: [{ olderThanMs: 0 }],
      });
      expect(again.released.map((r) => r.orderId).filter((id) => [unknown, cancelled, running].includes(id))).toEqual([]);
    });
  });

  describe('freed stock goes to waiting orders, first come, first served', () => {
    test('a receipt wakes as many waiting orders as it covers, in the order they started waiting; a cancellation passes its unit to the next in line', async () => {
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) {
        const { orderId } = await capture(parsedOrder({ lines: [{ sku: 'FCFS-1', quantity: 1 }] }));
        await waitStatus(orderId, 'awaiting_stock');
        ids.push(orderId);
      }
      await ctx.stores.ledger.apply({
        sku: 'FCFS-1',
        locationId: 'WH-RET',
        type: 'receipt',
        quantity: 2,
        idempotencyKey: uniqueId('fcfs'),
        actor: 'test',
      });
      await waitStatus(ids[0], 'released_to_fulfillment', 15_000);
      await waitStatus(ids[1], 'released_to_fulfillment', 15_000);
      // Nobody else was woken to find the shelf empty: the others still wait on their first attempt.
      await new Promise((r) => setTimeout(r, 4_000));
      for (const id of ids.slice(2)) {
        expect((await view(id))?.status).toBe('awaiting_stock');
        expect(await reservationAttempts(id)).toBe(1);
      }

      // The first order is cancelled: its unit goes to the third in line, well before any 15-minute recheck.
      await signalOrder(ctx.temporal, ids[0], cancelOrderSignal, { reason: 'changed mind' });
      await waitStatus(ids[0], 'cancelled');
      await waitStatus(ids[2], 'released_to_fulfillment', 15_000);
      for (const id of ids.slice(3)) expect((await view(id))?.status).toBe('awaiting_stock');
      expect(await ctx.stores.ledger.balance('FCFS-1', 'WH-RET')).toEqual({ onHand: 2, reserved: 2, available: 0 });
    }, 90_000);

    test('an expedited order is first in line: a unit freed for three waiting orders goes to the expedited one, though it came last', async () => {
      const ids: string[] = [];
      for (const priority of ['standard', undefined, 'expedite'] as const) {
        const { orderId } = await capture(parsedOrder({ lines: [{ sku: 'EXP-1', quantity: 1 }], ...(priority && { priority }) }));
        await waitStatus(orderId, 'awaiting_stock');
        ids.push(orderId);
      }
      expect((await ctx.stores.orders.waitingForSku('EXP-1')).map((w) => w.orderId)).toEqual([ids[2], ids[0], ids[1]]);
      await ctx.stores.ledger.apply({
        sku: 'EXP-1',
        locationId: 'WH-RET',
        type: 'receipt',
        quantity: 1,
        idempotencyKey: uniqueId('exp'),
        actor: 'test',
      });
      await waitStatus(ids[2], 'released_to_fulfillment', 15_000);
      await new Promise((r) => setTimeout(r, 3_000));
      for (const id of ids.slice(0, 2)) expect((await view(id))?.status).toBe('awaiting_stock');
    }, 90_000);
  });
});
