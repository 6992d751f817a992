import { toOrder } from '../../domain/order';
import { initialOrderState, type OrderState } from '../../domain/order-state';
import type { OrderStatus } from '../../domain/status';
import { parsedOrder } from '../support/fixtures';
import { createTestContext, type TestContext } from '../support/stack';

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext('orders_view');
});
afterAll(async () => ctx.close());

describe('orders view', () => {
  const order = toOrder(parsedOrder({ lines: [{ sku: 'VIEW-1', quantity: 1 }] }), new Date().toISOString());
  const stateAt = (base: OrderState, status: OrderStatus, version: number): OrderState => ({ ...base, status, version, history: [...base.history, { status, at: new Date().toISOString() }] });

  test('a straggling projection of an older state that lands last is undone by its own check', async () => {
    const s1 = initialOrderState(order);
    const s2 = stateAt(s1, 'validated', s1.version + 1);
    const s3 = stateAt(s2, 'payment_authorized', s1.version + 2);
    for (const s of [s1, s2, s3]) await ctx.stores.orders.project(order, s);
    expect((await ctx.stores.orders.get(order.id))?.status).toBe('payment_authorized');

    // FerretDB v1: the straggler read version 1 before s3 was written, and its write of s2 lands after.
    await ctx.mongo.db.collection('orders').updateOne({ _id: order.id as never }, { $set: { status: 'validated', version: s2.version } });
    await ctx.stores.orders.project(order, s2); // the rest of the straggler's call: it checks for newer states
    expect(await ctx.stores.orders.get(order.id)).toMatchObject({ status: 'payment_authorized', version: s3.version });

    // An older projection arriving late (a retried activity) changes nothing.
    await ctx.stores.orders.project(order, s1);
    expect(await ctx.stores.orders.get(order.id)).toMatchObject({ status: 'payment_authorized', version: s3.version });
  });
});
