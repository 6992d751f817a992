import type { ChildProcess } from 'node:child_process';
import { captureOrder, signalOrder } from '../../services/order-intake';
import { fulfillmentEventSignal } from '../../workflows/order';
import { createTestContext, type TestContext } from '../support/stack';
import { apiFor } from '../support/api';
import { eventually, location, parsedOrder, seed } from '../support/fixtures';
import { killWorkerProcess, startWorkerProcess } from '../support/worker-process';

// Issue 12's proof: returns whose worker process dies in the middle (SIGKILL, a real crash) are finished by
// the next worker, each refunded, restocked and announced exactly once.

const RETURNS = 20;
const SKU = 'RCRASH-TEE';
const WH = 'WH-RCRASH';

let ctx: TestContext;
let api: Awaited<ReturnType<typeof apiFor>>;
beforeAll(async () => {
  ctx = await createTestContext('return_crash');
  api = await apiFor(ctx);
  await seed(ctx.stores, { skus: [SKU], locations: [location(WH, 1)], stock: [{ sku: SKU, locationId: WH, quantity: 100 }] });
  // A 10 % restocking fee, so each refund is computed from its order; the customer sends the items back themselves.
  expect((await api.put('/return-policy', { restockingFeeBasisPoints: 1000, returnLabel: 'none' })).status).toBe(200);
});
afterAll(async () => ctx.close());

interface Return {
  orderId: string;
  returnId: string;
  refund: number; // minor units: one tee less 10 %
}

// Each return's status as its workflow last projected it, in one read.
async function statusesOf(returns: Return[]): Promise<Map<string, string>> {
  const docs = await ctx.mongo.db
    .collection<{ _id: string; status: string }>('returns')
    .find({ _id: { $in: returns.map((r) => r.returnId) } }, { projection: { status: 1 } })
    .toArray();
  return new Map(docs.map((d) => [d._id, d.status]));
}
const count = (statuses: Map<string, string>, ...wanted: string[]) => [...statuses.values()].filter((s) => wanted.includes(s)).length;

// Paid (captured at once), then picked, packed, shipped and delivered as the warehouse and carrier report it;
// each order two tees at its own price, so a refund paid to the wrong return would show.
async function deliveredOrders(): Promise<{ orderId: string; unitPrice: number }[]> {
  const intake = {
    temporal: ctx.temporal,
    taskQueue: ctx.taskQueue,
    orders: ctx.stores.orders,
    log: ctx.log,
    orderSettings: { activityInitialIntervalMs: 200 },
  };
  const orders = await Promise.all(
    Array.from({ length: RETURNS }, async (_, i) => {
      const unitPrice = 1000 + 10 * i;
      const order = parsedOrder({ lines: [{ sku: SKU, quantity: 2, unitPrice }], payment: { method: 'prepaid', alreadyPaid: true } });
      const { orderId } = await captureOrder(intake, order);
      for (const type of ['picked', 'packed'] as const) await signalOrder(ctx.temporal, orderId, fulfillmentEventSignal, { type });
      await signalOrder(ctx.temporal, orderId, fulfillmentEventSignal, {
        type: 'shipped',
        carrier: 'ups',
        trackingNumber: `1Z${orderId.slice(-10).replace(/[^A-Za-z0-9]/g, '0')}`,
      });
      await signalOrder(ctx.temporal, orderId, fulfillmentEventSignal, { type: 'delivered' });
      return { orderId, unitPrice };
    }),
  );
  await eventually(
    () => ctx.stores.orders.list({ status: 'completed', limit: 200 }),
    (done) => done.orders.length === RETURNS,
    60_000,
    `all ${RETURNS} orders delivered`,
  );
  return orders;
}

// The items back at the warehouse, scanned and restocked at once; the key makes a repeat the same command.
const receive = (r: Return) =>
  api
    .post(`/returns/${r.returnId}/receive`, {
      locationId: WH,
      scanned: [{ sku: SKU, quantity: 1 }],
      inspection: { lines: [{ sku: SKU, quantity: 1, disposition: 'restock' }] },
    })
    .set('Idempotency-Key', `receive-${r.returnId}`);

test('20 returns in flight when the worker is killed with SIGKILL are each refunded, restocked and announced exactly once by the next worker', async () => {
  let worker: ChildProcess = await startWorkerProcess(ctx);
  try {
    const returns: Return[] = await Promise.all(
      (await deliveredOrders()).map(async ({ orderId, unitPrice }) => {
        const asked = await api.post(`/orders/${orderId}/returns`, {
          lines: [{ sku: SKU, quantity: 1 }],
          reason: 'damaged',
          resolution: 'refund',
        });
        expect([asked.status, asked.body.error?.message]).toEqual([201, undefined]);
        return { orderId, returnId: asked.body.returnId, refund: unitPrice - Math.round(unitPrice / 10) };
      }),
    );
    await eventually(
      () => statusesOf(returns),
      (s) => count(s, 'awaiting_items') === RETURNS,
      30_000,
      'every return waiting for its items',
    );

    // All 20 receipts at once; the worker dies as soon as the first return is refunded, the rest on their way.
    const firstAnswers = returns.map((r) =>
      receive(r).then(
        (res) => res.status,
        (err: Error) => err.message,
      ),
    );
    await eventually(
      () => statusesOf(returns),
      (s) => count(s, 'refunded') > 0,
      30_000,
      'the first refund',
    );
    await killWorkerProcess(worker);
    const atKill = await statusesOf(returns);
    const paidAtKill = new Set(
      (await ctx.mongo.db.collection<{ _id: string }>('payments').find({ operation: 'refund' }).toArray()).map((p) => p._id),
    );
    const midway = returns.filter((r) => ['received', 'inspected'].includes(atKill.get(r.returnId)!));
    const paidNotRecorded = midway.filter((r) => paidAtKill.has(`${r.returnId}:refund`)).length;
    console.log(
      `return crash: at the kill ${count(atKill, 'refunded')} refunded, ${midway.length} between received and refunded ` +
        `(${paidNotRecorded} of them paid by the provider, not yet recorded by their workflow), ` +
        `${count(atKill, 'awaiting_items')} with the receipt not yet taken`,
    );
    expect(count(atKill, 'refunded')).toBeLessThan(RETURNS); // the crash really happened mid-run
    expect(midway.length).toBeGreaterThan(0); // and cut returns between their receipt and their refund

    worker = await startWorkerProcess(ctx);
    // A receipt the dead worker never answered (202 after the wait, or an error) is sent again with its key,
    // as a client would: Temporal applies one command id once.
    await Promise.all(
      returns.map(async (r, i) => {
        if ((await firstAnswers[i]) === 200) return;
        await eventually(
          async () => (await receive(r)).status,
          (status) => status === 200,
          60_000,
          `${r.returnId} received`,
        );
      }),
    );
    await eventually(
      () => statusesOf(returns),
      (s) => count(s, 'refunded') === RETURNS,
      60_000,
      `all ${RETURNS} returns refunded after the restart`,
    );
    for (const r of returns)
      expect(await ctx.temporal.workflow.getHandle(r.returnId).result()).toEqual({ returnId: r.returnId, status: 'refunded' });

    const ledger = await ctx.stores.ledger.entriesForSku(SKU, { limit: 10_000 });
    for (const r of returns) {
      const view = await ctx.stores.returnsView.get(r.returnId);
      // Each step once, in order, however the crash cut it.
      expect(view?.history.map((h) => h.status)).toEqual(['requested', 'approved', 'awaiting_items', 'received', 'inspected', 'refunded']);
      expect(view?.refund).toMatchObject({ total: r.refund, method: 'original_payment', status: 'refunded' });
      // One refund through the provider, granted once by the refund ledger, for this return's amount.
      const journal = await ctx.stores.payments.forOrder(r.orderId);
      expect(journal.filter((p) => p.operation === 'refund').map((p) => [p._id, p.amount])).toEqual([[`${r.returnId}:refund`, r.refund]]);
      const granted = await ctx.stores.refunds.forOrder(r.orderId);
      expect(granted.map((g) => [g.idempotencyKey, g.amount])).toEqual([[`${r.returnId}:refund`, r.refund]]);
      // One unit back on the shelf.
      expect(ledger.filter((e) => e.reference === r.returnId).map((e) => [e.type, e.locationId, e.quantity])).toEqual([['return', WH, 1]]);
      // The customer told once.
      const notices = await ctx.stores.notifications.forOrder(r.orderId);
      expect(notices.filter((n) => n.kind === 'return_refunded').map((n) => [n.returnId, n.details.amount])).toEqual([
        [r.returnId, String(r.refund)],
      ]);
    }
    // 100 received, 2 shipped per order, 1 back per return.
    expect(ledger.filter((e) => e.type === 'return').reduce((s, e) => s + e.quantity, 0)).toBe(RETURNS);
    const onHand = 100 - 2 * RETURNS + RETURNS;
    expect(await ctx.stores.ledger.balance(SKU, WH)).toMatchObject({ onHand, reserved: 0, available: onHand });
  } finally {
    await killWorkerProcess(worker);
  }
});
