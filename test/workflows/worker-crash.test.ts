import { captureOrder, signalOrder } from '../../services/order-intake';
import { fulfillmentEventSignal } from '../../workflows/order';
import { createTestContext, type TestContext } from '../support/stack';
import { eventually, location, parsedOrder, seed } from '../support/fixtures';
import { startWorkerProcess } from '../support/worker-process';

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext('crash');
  await seed(ctx.stores, {
    skus: ['CRASH-TEE'],
    locations: [location('WH-CRASH', 1)],
    stock: [{ sku: 'CRASH-TEE', locationId: 'WH-CRASH', quantity: 100 }],
  });
});
afterAll(async () => ctx.close());

test('a worker killed with SIGKILL in the middle of 50 orders, then restarted, completes all 50 with nothing done twice', async () => {
  let worker = await startWorkerProcess(ctx);
  try {
    const orders = Array.from({ length: 50 }, (_, i) =>
      parsedOrder({
        lines: [{ sku: 'CRASH-TEE', quantity: 1 }],
        payment: i % 2 ? { method: 'cash_on_delivery' } : { method: 'prepaid', alreadyPaid: true },
      }),
    );
    const intake = {
      temporal: ctx.temporal,
      taskQueue: ctx.taskQueue,
      orders: ctx.stores.orders,
      log: ctx.log,
      orderSettings: { activityInitialIntervalMs: 200 },
    };
    const ids = await Promise.all(orders.map(async (o) => (await captureOrder(intake, o)).orderId));
    // The warehouse and carrier report everything up front; the workflows consume it as they get there.
    await Promise.all(
      ids.map(async (id) => {
        await signalOrder(ctx.temporal, id, fulfillmentEventSignal, { type: 'picked' });
        await signalOrder(ctx.temporal, id, fulfillmentEventSignal, { type: 'packed' });
        await signalOrder(ctx.temporal, id, fulfillmentEventSignal, {
          type: 'shipped',
          carrier: 'ups',
          trackingNumber: `1Z${id.slice(-10).replace(/[^A-Za-z0-9]/g, '0')}`,
        });
        await signalOrder(ctx.temporal, id, fulfillmentEventSignal, { type: 'delivered' });
      }),
    );
    const countCompleted = async () => (await ctx.stores.orders.list({ status: 'completed', limit: 200 })).orders.length;
    await eventually(countCompleted, (n) => n >= 3, 60_000, 'some orders to complete before the crash');
    worker.kill('SIGKILL');
    await new Promise((r) => worker.once('exit', r));
    const completedAtCrash = await countCompleted();
    expect(completedAtCrash).toBeLessThan(50); // the crash really happened mid-run

    worker = await startWorkerProcess(ctx);
    await eventually(countCompleted, (n) => n === 50, 120_000, 'all 50 orders to complete after the restart');

    const entries = await ctx.stores.ledger.entriesForSku('CRASH-TEE', { limit: 10_000 });
    const count = (type: string) => entries.filter((e) => e.type === type).length;
    expect(count('reservation')).toBe(50);
    expect(count('shipment')).toBe(50);
    expect(count('release')).toBe(0);
    for (const id of ids) expect(entries.filter((e) => e.reference === id && e.type === 'reservation')).toHaveLength(1);
    expect(await ctx.stores.ledger.balance('CRASH-TEE', 'WH-CRASH')).toEqual({ onHand: 50, reserved: 0, available: 50 });
    const captures = (await ctx.mongo.db.collection('payments').find({ operation: 'capture' }).toArray()).map((p) => p.orderId);
    expect(captures).toHaveLength(25); // cash on delivery orders, collected once each
    expect(new Set(captures).size).toBe(25);
  } finally {
    worker.kill('SIGKILL');
  }
});

test('split orders survive a worker killed mid-way: each part reserved and shipped exactly once at its own location', async () => {
  await seed(ctx.stores, {
    skus: ['CRASH-LAMP', 'CRASH-SHADE'],
    locations: [location('WH-CRASH-2', 2)],
    stock: [
      { sku: 'CRASH-LAMP', locationId: 'WH-CRASH', quantity: 40 },
      { sku: 'CRASH-SHADE', locationId: 'WH-CRASH-2', quantity: 40 },
    ],
  });
  await ctx.stores.routing.replaceRules(
    [{ id: 'split', name: 'By priority, split when needed', filters: {}, sort: ['priority'], whenNothingFits: 'split' }],
    'test',
  );
  let worker = await startWorkerProcess(ctx);
  try {
    const orders = Array.from({ length: 20 }, () =>
      parsedOrder({
        lines: [
          { sku: 'CRASH-LAMP', quantity: 1 },
          { sku: 'CRASH-SHADE', quantity: 2 },
        ],
      }),
    );
    const intake = {
      temporal: ctx.temporal,
      taskQueue: ctx.taskQueue,
      orders: ctx.stores.orders,
      log: ctx.log,
      orderSettings: { activityInitialIntervalMs: 200 },
    };
    const ids = await Promise.all(orders.map(async (o) => (await captureOrder(intake, o)).orderId));
    // Events without a part apply to every part (the API asks for the part; the signal allows both).
    await Promise.all(
      ids.map(async (id) => {
        for (const type of ['picked', 'packed'] as const) await signalOrder(ctx.temporal, id, fulfillmentEventSignal, { type });
        await signalOrder(ctx.temporal, id, fulfillmentEventSignal, {
          type: 'shipped',
          carrier: 'ups',
          trackingNumber: `1Z${id.slice(-10).replace(/[^A-Za-z0-9]/g, '0')}`,
        });
        await signalOrder(ctx.temporal, id, fulfillmentEventSignal, { type: 'delivered' });
      }),
    );
    const completed = async () =>
      (await ctx.stores.orders.list({ status: 'completed', limit: 200 })).orders.filter((o) => ids.includes(o.orderId));
    await eventually(completed, (done) => done.length >= 2, 60_000, 'some split orders to complete before the crash');
    worker.kill('SIGKILL');
    await new Promise((r) => worker.once('exit', r));
    expect((await completed()).length).toBeLessThan(20);

    worker = await startWorkerProcess(ctx);
    const done = await eventually(completed, (d) => d.length === 20, 120_000, 'all 20 split orders to complete after the restart');
    for (const view of done)
      expect(view.parts?.map((p) => [p.locationId, p.stage])).toEqual([
        ['WH-CRASH', 'delivered'],
        ['WH-CRASH-2', 'delivered'],
      ]);

    for (const [sku, locationId, units] of [
      ['CRASH-LAMP', 'WH-CRASH', 1],
      ['CRASH-SHADE', 'WH-CRASH-2', 2],
    ] as const) {
      const entries = await ctx.stores.ledger.entriesForSku(sku, { limit: 10_000 });
      for (const id of ids) {
        const mine = entries.filter((e) => e.reference === id || e.reference?.startsWith(`${id} `)); // shipments: "<id> tracking <n>"
        expect(mine.filter((e) => e.type === 'reservation').map((e) => [e.locationId, e.quantity])).toEqual([[locationId, units]]);
        expect(mine.filter((e) => e.type === 'shipment').map((e) => [e.locationId, e.quantity])).toEqual([[locationId, units]]);
        expect(mine.filter((e) => e.type === 'release')).toEqual([]);
      }
      expect(await ctx.stores.ledger.balance(sku, locationId)).toEqual({
        onHand: 40 - 20 * units,
        reserved: 0,
        available: 40 - 20 * units,
      });
    }
  } finally {
    worker.kill('SIGKILL');
  }
});
