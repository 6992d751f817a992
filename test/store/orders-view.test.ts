import { toOrder } from '../../domain/order';
import { initialOrderState, type OrderState } from '../../domain/order-state';
import { isTerminal, type OrderStatus } from '../../domain/status';
import { parsedOrder } from '../support/fixtures';
import { createTestContext, type TestContext } from '../support/stack';
import { STATES_KEPT, viewDocOf, type OrderDoc } from '../../store/orders';
import { migrate } from '../../store/migrations';

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext('orders_view');
});
afterAll(async () => ctx.close());

describe('orders view', () => {
  const order = toOrder(parsedOrder({ lines: [{ sku: 'VIEW-1', quantity: 1 }] }), new Date().toISOString());
  const stateAt = (base: OrderState, status: OrderStatus, version: number): OrderState => ({
    ...base,
    status,
    version,
    history: [...base.history, { status, at: new Date().toISOString() }],
  });

  test('a straggling projection of an older state that lands last is undone by its own check', async () => {
    const s1 = initialOrderState(order);
    const s2 = stateAt(s1, 'validated', s1.version + 1);
    const s3 = stateAt(s2, 'payment_authorized', s1.version + 2);
    for (const s of [s1, s2, s3]) await ctx.stores.orders.project(order, s);
    expect((await ctx.stores.orders.get(order.id))?.status).toBe('payment_authorized');

    // FerretDB v1: the straggler read version 1 before s3 was written, and its write of s2 lands after.
    await ctx.mongo.db.collection<OrderDoc>('orders').replaceOne({ _id: order.id }, viewDocOf(order, s2));
    await ctx.stores.orders.project(order, s2); // the rest of the straggler's call: it checks for newer states
    expect(await ctx.stores.orders.get(order.id)).toMatchObject({ status: 'payment_authorized', version: s3.version });

    // An older projection arriving late (a retried activity) changes nothing.
    await ctx.stores.orders.project(order, s1);
    expect(await ctx.stores.orders.get(order.id)).toMatchObject({ status: 'payment_authorized', version: s3.version });
  });
});

describe('orders view: listings and compaction', () => {
  const HOUR = 3_600_000;
  const base = Date.parse('2026-03-10T12:00:00Z');
  // 150 orders on two channels, each ending in a final or an in-between status: 120 over five busy days (an
  // order an hour: every order listing reads such days hour by hour), then 30 over quiet weeks reaching back
  // into the month before (one order a day or less: read a day or a whole month at a time).
  const specs = Array.from({ length: 150 }, (_, i) => ({
    channel: i % 3 === 0 ? 'pos' : 'web',
    status: (['completed', 'shipped', 'cancelled', 'awaiting_stock'] as OrderStatus[])[i % 4],
    receivedAt: new Date(base - (i < 120 ? i * HOUR : 120 * HOUR + (i - 120) * 30 * HOUR) - (i % 5) * 60_000).toISOString(),
  }));
  const orders = specs.map((s) => ({
    ...s,
    order: toOrder(parsedOrder({ channel: s.channel, lines: [{ sku: 'LIST-1', quantity: 1 }] }), s.receivedAt),
  }));

  beforeAll(async () => {
    for (const { order, status } of orders) {
      const s1 = initialOrderState(order);
      await ctx.stores.orders.insertReceived(order, s1);
      let state = s1;
      for (const next of ['validated', 'payment_authorized', status] as OrderStatus[]) {
        state = {
          ...state,
          status: next,
          version: state.version + 1,
          history: [...state.history, { status: next, at: new Date().toISOString() }],
        };
        await ctx.stores.orders.project(order, state);
      }
    }
  });

  const expected = (filter: (o: (typeof orders)[number]) => boolean) =>
    orders
      .filter(filter)
      .sort((a, b) => Date.parse(b.receivedAt) - Date.parse(a.receivedAt) || (a.order.id < b.order.id ? 1 : -1))
      .map((o) => o.order.id);
  const mine = new Set(orders.map((o) => o.order.id));
  const listAll = async (q: Omit<Parameters<typeof ctx.stores.orders.list>[0], 'limit' | 'cursor'>, limit: number) => {
    const ids: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await ctx.stores.orders.list({ ...q, limit, ...(cursor && { cursor }) });
      expect(page.orders.length).toBeLessThanOrEqual(limit);
      ids.push(...page.orders.map((o) => o.orderId));
      cursor = page.nextCursor;
    } while (cursor);
    return ids.filter((id) => mine.has(id));
  };

  test.each([
    ['every order (busy days hour by hour, quiet days whole, the month before whole)', {}, () => true],
    ['a channel', { channel: 'pos' }, (o: (typeof orders)[number]) => o.channel === 'pos'],
    ['a final status', { status: 'completed' as const }, (o: (typeof orders)[number]) => o.status === 'completed'],
    [
      'a final status on a channel',
      { status: 'cancelled' as const, channel: 'web' },
      (o: (typeof orders)[number]) => o.status === 'cancelled' && o.channel === 'web',
    ],
    ['a status orders pass through', { status: 'shipped' as const }, (o: (typeof orders)[number]) => o.status === 'shipped'],
    [
      'a status orders pass through, on a channel',
      { status: 'awaiting_stock' as const, channel: 'pos' },
      (o: (typeof orders)[number]) => o.status === 'awaiting_stock' && o.channel === 'pos',
    ],
  ])('%s: newest first, page after page, each order once', async (_name, q, filter) => {
    expect(await listAll(q, 7)).toEqual(expected(filter));
  });

  test('from and to bound the listing by creation time', async () => {
    const from = new Date(base - 50 * HOUR);
    const to = new Date(base - 20 * HOUR);
    const inRange = (o: (typeof orders)[number]) => Date.parse(o.receivedAt) >= from.getTime() && Date.parse(o.receivedAt) < to.getTime();
    expect(await listAll({ from, to }, 5)).toEqual(expected(inRange));
    expect(await listAll({ from, to, status: 'completed' }, 5)).toEqual(expected((o) => inRange(o) && o.status === 'completed'));
  });

  test('an order that reaches a final status leaves the listing of the status it was in', async () => {
    const { order } = orders.find((o) => o.status === 'shipped')!;
    const view = (await ctx.stores.orders.get(order.id))!;
    const { order: _o, createdAt: _c, updatedAt: _u, ...state } = view;
    await ctx.stores.orders.project(order, { ...state, status: 'completed', version: state.version + 1 });
    expect(await listAll({ status: 'shipped' }, 50)).not.toContain(order.id);
    expect(await listAll({ status: 'completed' }, 50)).toContain(order.id);
  });

  const statesPerOrder = async () => {
    const states = await ctx.mongo.db
      .collection('order_states')
      .find({}, { projection: { _id: 1 } })
      .toArray();
    const perOrder = new Map<string, number>();
    for (const { _id } of states) {
      const orderId = String(_id).slice(0, String(_id).lastIndexOf('|'));
      perOrder.set(orderId, (perOrder.get(orderId) ?? 0) + 1);
    }
    return perOrder;
  };

  test('an order in a final status keeps one recorded state, not one per version', async () => {
    const perOrder = await statesPerOrder();
    for (const { order } of orders) {
      const final = isTerminal((await ctx.stores.orders.get(order.id))!.status);
      if (final) expect([order.id, perOrder.get(order.id)]).toEqual([order.id, 1]);
      else expect(perOrder.get(order.id)).toBeLessThanOrEqual(STATES_KEPT);
    }
  });

  test(`an order in progress keeps at most ${STATES_KEPT} recorded states however many versions it has, and its view the newest`, async () => {
    const order = toOrder(parsedOrder({ channel: 'web', lines: [{ sku: 'LIST-1', quantity: 1 }] }), new Date(base).toISOString());
    let state = initialOrderState(order);
    await ctx.stores.orders.insertReceived(order, state);
    for (let i = 0; i < 3 * STATES_KEPT + 3; i++) {
      state = {
        ...state,
        status: 'awaiting_stock',
        version: state.version + 1,
        history: [...state.history, { status: 'awaiting_stock', at: new Date().toISOString() }],
      };
      await ctx.stores.orders.project(order, state);
      expect((await statesPerOrder()).get(order.id)).toBeLessThanOrEqual(STATES_KEPT);
    }
    expect(await ctx.stores.orders.get(order.id)).toMatchObject({ version: state.version, status: 'awaiting_stock' });
    // A straggler with an old version after the newest was written: the view ends at the newest.
    const old = { ...state, version: state.version - 2 };
    await ctx.stores.orders.project(order, old);
    expect(await ctx.stores.orders.get(order.id)).toMatchObject({ version: state.version });
  });
});

describe('orders view: documents written by earlier versions', () => {
  test('a view stored field by field (before bodies and list keys) is migrated once at worker start: readable and listed', async () => {
    const order = toOrder(
      parsedOrder({ channel: 'legacy', lines: [{ sku: 'OLD-1', quantity: 2 }] }),
      new Date(Date.now() - 3 * 86_400_000).toISOString(),
    );
    const state = { ...initialOrderState(order), status: 'completed' as OrderStatus, stage: 'completed' as const, version: 9 };
    const { orderId: _ignored, ...fields } = state;
    void _ignored;
    await ctx.mongo.db.collection<Record<string, unknown> & { _id: string }>('orders').insertOne({
      ...fields,
      _id: order.id,
      orderId: order.id,
      order,
      skus: ['OLD-1'],
      createdAt: new Date(order.receivedAt),
      updatedAt: new Date(),
    });
    await ctx.mongo.db.collection('migrations').deleteMany({});

    await migrate(ctx.mongo.db);
    expect(await ctx.stores.orders.get(order.id)).toMatchObject({
      orderId: order.id,
      status: 'completed',
      version: 9,
      order: { lines: [{ sku: 'OLD-1', quantity: 2 }] },
    });
    const listed = await ctx.stores.orders.list({ status: 'completed', channel: 'legacy', limit: 10 });
    expect(listed.orders.map((o) => o.orderId)).toEqual([order.id]);
    expect(await ctx.mongo.db.collection('migrations').countDocuments({})).toBeGreaterThan(0);
  });

  test("a view stored before views carried their customer's keys is found by its customer once migrated", async () => {
    const email = `Old.Customer.${Date.now().toString(36)}@Example.com`;
    const order = toOrder(
      parsedOrder({ channel: 'legacy', customer: { name: 'Old Customer', email, id: `old-${email}` } }),
      new Date().toISOString(),
    );
    await ctx.stores.orders.insertReceived(order, initialOrderState(order));
    await ctx.mongo.db.collection('orders').updateOne({ _id: order.id as never }, { $unset: { customerKeys: '' } });
    expect((await ctx.stores.orders.list({ customer: email.toLowerCase(), limit: 10 })).orders).toEqual([]);
    await ctx.mongo.db.collection('migrations').deleteMany({});

    await migrate(ctx.mongo.db);
    expect((await ctx.stores.orders.list({ customer: email.toUpperCase(), limit: 10 })).orders.map((o) => o.orderId)).toEqual([order.id]);
    expect((await ctx.stores.orders.list({ customer: `old-${email}`, limit: 10 })).orders.map((o) => o.orderId)).toEqual([order.id]);
  });
});
