import { createTestContext, type TestContext } from '../support/stack';
import { apiFor, TEST_API_KEY } from '../support/api';
import { eventually, location, orderBody } from '../support/fixtures';
import { lineShare } from '../../domain/line-cancel';
import type { OrderView } from '../../domain/order-state';

// Cancelling some lines of an order before they ship, and split orders capturing part by part, over the
// real stack: the API, the order workflow, the stock ledger, the payments journal and the refund ledger.
let ctx: TestContext;
let api: Awaited<ReturnType<typeof apiFor>>;
const run = String(Date.now()).slice(-7);
const sku = (s: string) => `PC${run}-${s}`;
const [MUG, CAP, TEE, LAMP, SHADE, VASE] = ['MUG', 'CAP', 'TEE', 'LAMP', 'SHADE', 'VASE'].map(sku);

beforeAll(async () => {
  ctx = await createTestContext('e2e_partial_cancel');
  api = await apiFor(ctx, { activityMaxAttempts: 2, activityInitialIntervalMs: 100 });
  await ctx.startWorker();
  await ctx.startConsumers(); // freed stock is offered to the orders waiting for it
  expect((await api.post('/locations', location('PC-A', 1))).status).toBe(201);
  expect((await api.post('/locations', location('PC-B', 2))).status).toBe(201);
  for (const s of [MUG, CAP, TEE, LAMP, SHADE, VASE]) expect((await api.post('/items', { sku: s, name: `Item ${s}` })).status).toBe(201);
  for (const s of [MUG, CAP, TEE])
    expect((await api.post('/stock/receipts', { sku: s, locationId: 'PC-A', quantity: 20, reference: 'PO-1' })).status).toBe(201);
  expect((await api.post('/stock/receipts', { sku: VASE, locationId: 'PC-A', quantity: 3, reference: 'PO-4' })).status).toBe(201);
  // No warehouse has both: a LAMP and SHADE order is split.
  expect((await api.post('/stock/receipts', { sku: SHADE, locationId: 'PC-A', quantity: 5, reference: 'PO-2' })).status).toBe(201);
  expect((await api.post('/stock/receipts', { sku: LAMP, locationId: 'PC-B', quantity: 5, reference: 'PO-3' })).status).toBe(201);
  const rules = { rules: [{ id: 'split', name: 'By priority, split when needed', sort: ['priority'], whenNothingFits: 'split' }] };
  expect((await api.put('/routing/rules', rules)).status).toBe(200);
});
afterAll(async () => ctx.close());

const getOrder = async (id: string): Promise<OrderView> => (await api.get(`/orders/${encodeURIComponent(id)}`)).body;
const until = (id: string, ok: (o: OrderView) => boolean, what: string) => eventually(() => getOrder(id), ok, 30_000, `${id} ${what}`);
const reserved = async (s: string, at = 'PC-A') =>
  ((await api.get(`/stock/${s}`)).body.locations as { locationId: string; reserved: number }[]).find((l) => l.locationId === at)!.reserved;
const releases = async (s: string, orderId: string) =>
  ((await api.get(`/stock/${s}/ledger`)).body.entries as { type: string; quantity: number; reference?: string }[])
    .filter((e) => e.type === 'release' && e.reference === orderId)
    .map((e) => e.quantity);
const journal = async (orderId: string) =>
  (await ctx.stores.payments.forOrder(orderId)).map((r) => ({
    key: r._id.slice(orderId.length + 1),
    operation: r.operation,
    amount: r.amount,
  }));

// Three priced lines (with a line discount and tax on CAP), shipping 495.
function threeLines(paid: boolean) {
  const body = orderBody({ payment: { method: 'prepaid', alreadyPaid: paid } });
  return {
    ...body,
    lines: [
      { sku: MUG, quantity: 2, unitPrice: 1000 },
      { sku: CAP, quantity: 3, unitPrice: 2500, discount: 301, tax: 1425 },
      { sku: TEE, quantity: 1, unitPrice: 1999, tax: 380 },
    ],
  };
}
const capLine = { quantity: 3, unitPrice: 2500, discount: 301, tax: 1425 };
const cancelledMoney = 1999 + 380 + lineShare(capLine, 2).amount;

async function released(body: object, confirm: boolean): Promise<{ id: string; total: number }> {
  const created = await api.post('/orders', body);
  expect(created.status).toBe(202);
  const id: string = created.body.orderId;
  if (confirm) {
    await until(id, (o) => o.status === 'awaiting_payment', 'to await payment');
    expect((await api.post(`/orders/${id}/payment/confirm`, {})).status).toBe(200);
  }
  const view = await until(id, (o) => o.status === 'released_to_fulfillment', 'to be released');
  return { id, total: view.order.totals.total };
}

test('cancelling one line and part of another before shipment gives back exactly those units and voids their money; the rest ships and captures only the rest', async () => {
  const before = { mug: await reserved(MUG), cap: await reserved(CAP), tee: await reserved(TEE) };
  const { id, total } = await released(threeLines(false), true);
  expect(await reserved(CAP)).toBe(before.cap + 3);

  const res = await api.post(`/orders/${id}/lines/cancel`, {
    lines: [
      { sku: TEE, quantity: 1 },
      { sku: CAP, quantity: 2 },
    ],
    reason: 'customer changed their mind',
  });
  expect(res.status).toBe(200);
  expect(res.body).toMatchObject({ status: 'released_to_fulfillment', accepted: 'cancel_lines', payment: { status: 'authorized' } });
  expect(res.body.cancelledLines).toHaveLength(1);
  expect(res.body.cancelledLines[0]).toMatchObject({
    reason: 'customer changed their mind',
    lines: [
      { sku: CAP, quantity: 2, amount: lineShare(capLine, 2).amount },
      { sku: TEE, quantity: 1, amount: 1999 + 380 },
    ],
    amount: cancelledMoney,
    money: { kind: 'voided', amount: cancelledMoney },
  });
  expect(res.body.history.at(-1).reason).toBe(
    `lines cancelled: ${CAP} ×2, ${TEE} ×1 (customer changed their mind); stock given back at PC-A; ${cancelledMoney} EUR voided`,
  );
  // Exactly the cancelled units are back; the rest stays reserved.
  expect(await releases(CAP, id)).toEqual([2]);
  expect(await releases(TEE, id)).toEqual([1]);
  expect(await releases(MUG, id)).toEqual([]);
  expect({ mug: await reserved(MUG), cap: await reserved(CAP), tee: await reserved(TEE) }).toEqual({
    mug: before.mug + 2,
    cap: before.cap + 1,
    tee: before.tee,
  });
  // The customer is told, through the outbox.
  const told = (await ctx.stores.notifications.forOrder(id)).filter((n) => n.kind === 'lines_cancelled');
  expect(told.map((n) => ({ id: n._id, details: n.details }))).toEqual([
    {
      id: `${id}|lines_cancelled|n:1`,
      details: { items: `${CAP} ×2, ${TEE} ×1`, reason: 'customer changed their mind', voided: `${cancelledMoney} EUR` },
    },
  ]);
  const view = await until(id, (o) => (o.cancelledLines ?? []).length === 1, 'to show the cancel');
  expect(view.order.lines.map((l) => [l.sku, l.quantity])).toEqual([
    [MUG, 2],
    [CAP, 1],
  ]);
  expect(view.order.totals.total).toBe(total - cancelledMoney);

  const shipped = await api.post(`/orders/${id}/events`, { type: 'shipped', carrier: 'dhl', trackingNumber: `PC-${run}-1` });
  expect(shipped.status).toBe(200);
  await until(id, (o) => o.payment.status === 'captured', 'to capture');
  expect(await journal(id)).toEqual([
    { key: 'payment:authorize', operation: 'authorize', amount: total },
    { key: 'payment:confirm', operation: 'confirm', amount: total },
    { key: `payment:void:lines:${res.body.commandId}`, operation: 'void', amount: cancelledMoney },
    { key: 'payment:capture', operation: 'capture', amount: total - cancelledMoney },
  ]);
  // Shipped what is left; nothing stays reserved.
  expect({ mug: await reserved(MUG), cap: await reserved(CAP), tee: await reserved(TEE) }).toEqual(before);
  expect((await getOrder(id)).payment).toMatchObject({ captured: total - cancelledMoney });
});

test('an order already paid at the channel is refunded exactly the cancelled lines, once even when the request is repeated with the same Idempotency-Key; cancelling the rest refunds only the rest', async () => {
  const { id, total } = await released(threeLines(true), false);
  const key = `cancel-lines-${id}`;
  const send = () =>
    api.raw
      .post(`/orders/${id}/lines/cancel`)
      .set('Authorization', `Bearer ${TEST_API_KEY}`)
      .set('Idempotency-Key', key)
      .send({
        lines: [
          { sku: TEE, quantity: 1 },
          { sku: CAP, quantity: 2 },
        ],
      });
  const first = await send();
  const second = await send();
  expect([first.status, second.status]).toEqual([200, 200]);
  expect(second.body.commandId).toBe(key);
  expect(second.body.cancelledLines).toHaveLength(1);
  expect(second.body.cancelledLines[0].money).toMatchObject({ kind: 'refunded', amount: cancelledMoney });
  expect(second.body.payment).toMatchObject({ status: 'captured', captured: total, refunded: cancelledMoney });
  const refunds = await ctx.stores.refunds.forOrder(id);
  expect(refunds.map((r) => ({ amount: r.amount, captured: r.captured, source: r.source }))).toEqual([
    { amount: cancelledMoney, captured: total, source: { kind: 'cancel_lines', commandId: key } },
  ]);
  expect(await releases(CAP, id)).toEqual([2]);
  expect((await ctx.stores.notifications.forOrder(id)).filter((n) => n.kind === 'lines_cancelled')).toHaveLength(1);

  const cancelled = await api.post(`/orders/${id}/cancel`, { reason: 'customer cancelled the rest' });
  expect(cancelled.status).toBe(200);
  expect(cancelled.body.status).toBe('cancelled');
  expect(await journal(id)).toEqual([
    { key: 'payment:authorize', operation: 'authorize', amount: total },
    { key: 'payment:refund:1', operation: 'refund', amount: cancelledMoney },
    { key: 'payment:refund', operation: 'refund', amount: total - cancelledMoney },
  ]);
  // Both refunds are on the refund ledger, together exactly the capture.
  expect((await ctx.stores.refunds.forOrder(id)).map((r) => [r.amount, r.source.kind])).toEqual([
    [cancelledMoney, 'cancel_lines'],
    [total - cancelledMoney, 'other'],
  ]);
  // The remaining CAP unit is given back once, not the three reserved at first.
  expect(await releases(CAP, id)).toEqual([2, 1]);
  expect(await releases(MUG, id)).toEqual([2]);
});

test('lines not on the order and too many units are refused (400) naming each line; a cancel of every unit points to cancelling the order; after shipment it is refused (409)', async () => {
  const { id } = await released(threeLines(true), false);
  const bad = await api.post(`/orders/${id}/lines/cancel`, {
    lines: [
      { sku: 'NOT-HERE', quantity: 1 },
      { sku: CAP, quantity: 4 },
      { sku: MUG, quantity: 1 },
    ],
  });
  expect(bad.status).toBe(400);
  expect(bad.body.error.details).toEqual([
    { path: 'lines.0.sku', message: `NOT-HERE is not on order ${id}` },
    { path: 'lines.1.quantity', message: `4 is more than is left of ${CAP}: 3` },
  ]);
  const all = await api.post(`/orders/${id}/lines/cancel`, {
    lines: [
      { sku: MUG, quantity: 2 },
      { sku: CAP, quantity: 3 },
      { sku: TEE, quantity: 1 },
    ],
  });
  expect(all.status).toBe(400);
  expect(all.body.error.details[0].message).toContain(`cancel the order instead (POST /orders/${id}/cancel)`);

  expect((await api.post(`/orders/${id}/events`, { type: 'picked' })).status).toBe(200);
  const picked = await api.post(`/orders/${id}/lines/cancel`, { lines: [{ sku: MUG, quantity: 1 }] });
  expect(picked.status).toBe(409);
  expect(picked.body.error.message).toBe(
    `Cannot cancel lines of order ${id}: ${MUG}: the order has already been picked (0 of 1 units could still be cancelled)`,
  );
  expect((await api.post(`/orders/${id}/events`, { type: 'shipped', carrier: 'dhl', trackingNumber: `PC-${run}-2` })).status).toBe(200);
  const late = await api.post(`/orders/${id}/lines/cancel`, { lines: [{ sku: MUG, quantity: 1 }] });
  expect(late.status).toBe(409);
  expect(late.body.error.message).toBe(`Cannot cancel lines of order ${id}: it has already shipped`);
  const view = await getOrder(id);
  expect(view.cancelledLines).toBeUndefined();
  expect(await releases(MUG, id)).toEqual([]);

  // Before the payment is settled, and while on hold, the order refuses too.
  const unpaid = (await api.post('/orders', threeLines(false))).body.orderId as string;
  await until(unpaid, (o) => o.status === 'awaiting_payment', 'to await payment');
  const early = await api.post(`/orders/${unpaid}/lines/cancel`, { lines: [{ sku: MUG, quantity: 1 }] });
  expect(early.status).toBe(409);
  expect(early.body.error.message).toBe(`Cannot cancel lines of order ${unpaid}: its payment is not settled yet (awaiting_payment)`);
  expect((await api.post(`/orders/${unpaid}/payment/confirm`, {})).status).toBe(200);
  await until(unpaid, (o) => o.status === 'released_to_fulfillment', 'to be released');
  expect((await api.post(`/orders/${unpaid}/hold`, { reason: 'address check' })).status).toBe(200);
  const held = await api.post(`/orders/${unpaid}/lines/cancel`, { lines: [{ sku: MUG, quantity: 1 }] });
  expect(held.status).toBe(409);
  expect(held.body.error.message).toBe(`Cannot cancel lines of order ${unpaid}: it is on_hold; release it first`);
  expect((await getOrder(unpaid)).cancelledLines).toBeUndefined();
});

test('a split order captures each part as it ships, adding up to the total; units of a part not yet picked can still be cancelled after the other part shipped', async () => {
  const body = { ...orderBody({ payment: { method: 'prepaid', alreadyPaid: false } }) };
  body.lines = [
    { sku: LAMP, quantity: 2, unitPrice: 4000 },
    { sku: SHADE, quantity: 1, unitPrice: 1500 },
  ];
  const { id, total } = await released(body, true);
  const view = await getOrder(id);
  expect(view.parts).toHaveLength(2);
  const partAt = (loc: string) => view.parts!.find((p) => p.locationId === loc)!.id;
  const [shadePart, lampPart] = [partAt('PC-A'), partAt('PC-B')];

  const first = await api.post(`/orders/${id}/events`, { type: 'shipped', part: shadePart, carrier: 'dhl', trackingNumber: `PC-${run}-3` });
  expect(first.status).toBe(200);
  await until(id, (o) => o.payment.captured !== undefined, 'to capture part 1');
  // SHADE's own money and its share of the shipping (1500 of 9500 goods).
  const shadeCapture = 1500 + Math.trunc((495 * 1500) / 9500);

  const cancel = await api.post(`/orders/${id}/lines/cancel`, { lines: [{ sku: LAMP, quantity: 1 }] });
  expect(cancel.status).toBe(200);
  expect(cancel.body.cancelledLines[0]).toMatchObject({
    lines: [{ sku: LAMP, quantity: 1, amount: 4000 }],
    released: [{ locationId: 'PC-B', part: lampPart, sku: LAMP, quantity: 1 }],
    money: { kind: 'voided', amount: 4000 },
  });
  expect(cancel.body.parts.find((p: { id: string }) => p.id === lampPart).lines).toEqual([{ sku: LAMP, quantity: 1 }]);
  // The part already shipped cannot lose units.
  const gone = await api.post(`/orders/${id}/lines/cancel`, { lines: [{ sku: SHADE, quantity: 1 }] });
  expect(gone.status).toBe(409);
  expect(gone.body.error.message).toContain(`${SHADE}: part ${shadePart} holding it has already been picked`);

  expect(
    (await api.post(`/orders/${id}/events`, { type: 'shipped', part: lampPart, carrier: 'dhl', trackingNumber: `PC-${run}-4` })).status,
  ).toBe(200);
  const done = await until(id, (o) => o.payment.status === 'captured', 'to capture every part');
  const captures = (await journal(id)).filter((j) => j.operation === 'capture');
  expect(captures).toEqual([
    { key: `payment:capture:part:${shadePart}`, operation: 'capture', amount: shadeCapture },
    { key: `payment:capture:part:${lampPart}`, operation: 'capture', amount: total - 4000 - shadeCapture },
  ]);
  expect(captures[0].amount + captures[1].amount).toBe(total - 4000);
  expect(done.payment.captured).toBe(total - 4000);
  expect(done.parts!.map((p) => p.captured).sort()).toEqual([shadeCapture, total - 4000 - shadeCapture].sort());
  expect(await reserved(LAMP, 'PC-B')).toBe(0);
  expect(await releases(LAMP, id)).toEqual([1]);
});

test("a split order ships part 1 then part 2: two captures, each its part's amount, adding up to the total", async () => {
  const body = { ...orderBody({ payment: { method: 'prepaid', alreadyPaid: false } }) };
  body.lines = [
    { sku: LAMP, quantity: 1, unitPrice: 4000 },
    { sku: SHADE, quantity: 2, unitPrice: 1500 },
  ];
  const { id, total } = await released(body, true);
  const parts = (await getOrder(id)).parts!;
  expect(parts.map((p) => p.id)).toEqual(['1', '2']);
  const goods = (p: (typeof parts)[number]) => p.lines.reduce((s, l) => s + (l.sku === LAMP ? 4000 : 1500) * l.quantity, 0);
  for (const part of parts) {
    const res = await api.post(`/orders/${id}/events`, {
      type: 'shipped',
      part: part.id,
      carrier: 'dhl',
      trackingNumber: `PC-${run}-P${part.id}`,
    });
    expect(res.status).toBe(200);
  }
  const done = await until(id, (o) => o.payment.status === 'captured', 'to capture every part');
  // By part (the two capture activities may run side by side).
  const captures = (await journal(id)).filter((j) => j.operation === 'capture').sort((a, b) => a.key.localeCompare(b.key));
  const firstAmount = goods(parts[0]) + Math.trunc((495 * goods(parts[0])) / 7000);
  expect(captures).toEqual([
    { key: 'payment:capture:part:1', operation: 'capture', amount: firstAmount },
    { key: 'payment:capture:part:2', operation: 'capture', amount: total - firstAmount },
  ]);
  expect(total - firstAmount).toBe(goods(parts[1]) + 495 - Math.trunc((495 * goods(parts[0])) / 7000));
  expect(done.payment.captured).toBe(total);
});

test('units cancelled from one order go to an order waiting for them', async () => {
  const body = (quantity: number) => {
    const b = orderBody({ payment: { method: 'prepaid', alreadyPaid: true } });
    b.lines = [
      { sku: VASE, quantity, unitPrice: 3000 },
      { sku: MUG, quantity: 1, unitPrice: 1000 },
    ];
    return b;
  };
  const { id: holder } = await released(body(3), false);
  const created = await api.post('/orders', body(1));
  const waiting: string = created.body.orderId;
  await until(waiting, (o) => o.status === 'awaiting_stock', 'to wait for a vase');
  const res = await api.post(`/orders/${holder}/lines/cancel`, { lines: [{ sku: VASE, quantity: 1 }], reason: 'one arrived broken' });
  expect(res.status).toBe(200);
  await until(waiting, (o) => o.status === 'released_to_fulfillment', 'to get the vase given back');
  expect(await reserved(VASE)).toBe(3);
});
