import { createTestContext, type TestContext } from '../support/stack';
import { apiFor, capturesOf } from '../support/api';
import { eventually, location, orderBody } from '../support/fixtures';
import type { OrderView } from '../../domain/order-state';

// Backorders over the real stack (API, order workflow, stock ledger, purchase orders, stock offers,
// payments journal): what is in stock ships now as a part, the rest ships in further parts as purchase
// order receipts arrive, each part capturing its own money; an order that wants one shipment waits whole.
let ctx: TestContext;
let api: Awaited<ReturnType<typeof apiFor>>;
const run = String(Date.now()).slice(-7);
const sku = (s: string) => `BO${run}-${s}`;
const [BOOT, SOCK, HAT, PLAIN, CAP] = ['BOOT', 'SOCK', 'HAT', 'PLAIN', 'CAP'].map(sku);
const DC = `BO${run}-DC`;
const DC2 = `BO${run}-DC2`;
const SUPPLIER = `shoes-${run}`;

beforeAll(async () => {
  ctx = await createTestContext('e2e_backorders');
  api = await apiFor(ctx, { activityMaxAttempts: 2, activityInitialIntervalMs: 100 });
  await ctx.startWorker();
  await ctx.startConsumers(); // receipts offer their stock to the orders waiting for it
  expect((await api.post('/locations', location(DC, 1))).status).toBe(201);
  expect((await api.post('/locations', location(DC2, 2))).status).toBe(201);
  for (const s of [BOOT, SOCK, HAT, CAP])
    expect((await api.post('/items', { sku: s, name: `Item ${s}`, allowBackorder: true })).status).toBe(201);
  expect((await api.post('/items', { sku: PLAIN, name: 'No backorders' })).status).toBe(201);
  const supplier = { id: SUPPLIER, name: 'Shoe Works', leadTimeDays: 30, currency: 'EUR', contact: { email: 'po@shoes.test' } };
  expect((await api.post('/suppliers', supplier)).status).toBe(201);
});
afterAll(async () => ctx.close());

const getOrder = async (id: string): Promise<OrderView> => (await api.get(`/orders/${encodeURIComponent(id)}`)).body;
const until = (id: string, ok: (o: OrderView) => boolean, what: string) => eventually(() => getOrder(id), ok, 30_000, `${id} ${what}`);
const receive = async (s: string, quantity: number, at = DC) =>
  expect((await api.post('/stock/receipts', { sku: s, locationId: at, quantity, reference: `GRN-${s}` })).status).toBe(201);
const stockOf = (s: string, at = DC) => api.stockAt(s, at);
const captures = (orderId: string) => capturesOf(ctx, orderId);
const ship = async (id: string, part: string) => {
  const res = await api.post(`/orders/${id}/events`, {
    type: 'shipped',
    part,
    carrier: 'dhl',
    trackingNumber: `BO-${run}-${id.slice(-4)}-${part}`,
  });
  expect(res.status).toBe(200);
};
async function place(body: object): Promise<string> {
  const created = await api.post('/orders', body);
  expect(created.status).toBe(202);
  const id: string = created.body.orderId;
  await until(id, (o) => o.status === 'awaiting_payment', 'to await payment');
  expect((await api.post(`/orders/${id}/payment/confirm`, {})).status).toBe(200);
  return id;
}

test("the seed's backorder, scaled down: 16 ordered with 12 in stock ships 12 now and the other 4 in two instalments as the purchase order is received, each part capturing its own money", async () => {
  await receive(BOOT, 12);
  const body = orderBody({
    type: 'backorder',
    payment: { method: 'prepaid', alreadyPaid: false },
    lines: [{ sku: BOOT, quantity: 16, unitPrice: 1000 }],
  });
  const id = await place(body);

  // 12 reserved and released now as part 1; 4 backordered.
  const first = await until(id, (o) => o.status === 'released_to_fulfillment', 'to release what is in stock');
  expect(first.parts).toEqual([
    expect.objectContaining({ id: '1', locationId: DC, lines: [{ sku: BOOT, quantity: 12 }], stage: 'released_to_fulfillment' }),
  ]);
  expect(first.backorder).toMatchObject({ lines: [{ sku: BOOT, quantity: 4 }], filledParts: 0 });
  expect(first.history.find((h) => h.status === 'stock_reserved')?.reason).toBe(`reserved at ${DC}; backordered: ${BOOT} ×4`);
  expect(await stockOf(BOOT)).toMatchObject({ onHand: 12, reserved: 12 });
  const told = (await ctx.stores.notifications.forOrder(id)).filter((n) => n.kind === 'backordered');
  expect(told.map((n) => n.details)).toEqual([{ shipsNow: `${BOOT} ×12`, backordered: `${BOOT} ×4` }]);

  // Part 1 ships and captures its share: 12 of 16 units' money and 12/16 of the shipping.
  await ship(id, '1');
  await until(id, (o) => (o.payment.captured ?? 0) > 0, 'to capture part 1');
  expect(await captures(id)).toEqual([{ key: 'payment:capture:part:1', amount: 12_000 + Math.trunc((495 * 12_000) / 16_000) }]);
  expect((await getOrder(id)).payment.status).toBe('authorized'); // 4 units' money still to come

  // The purchase order for the rest arrives in two receipts of 2: each fills a part of its own.
  const po = `PO-${run}-BOOT`;
  const opened = await api.post('/purchase-orders', {
    id: po,
    supplierId: SUPPLIER,
    locationId: DC,
    status: 'open',
    lines: [{ sku: BOOT, quantity: 4, unitCost: 400 }],
  });
  expect(opened.status).toBe(201);
  expect(((await api.get(`/orders/${encodeURIComponent(id)}`)).body as { promise?: unknown }).promise).toMatchObject({
    basis: [{ sku: BOOT, from: po, quantity: 4 }],
  });
  const receipt = (n: number) =>
    api.post(`/purchase-orders/${po}/receipts`, { receiptId: `dock-${run}-${n}`, lines: [{ sku: BOOT, quantity: 2 }] });
  expect((await receipt(1)).status).toBe(201);
  const second = await until(id, (o) => (o.parts ?? []).length === 2, 'to fill part 2 from the first receipt');
  expect(second.parts![1]).toMatchObject({ id: '2', lines: [{ sku: BOOT, quantity: 2 }], stage: 'released_to_fulfillment' });
  expect(second.backorder).toMatchObject({ lines: [{ sku: BOOT, quantity: 2 }], filledParts: 1 });
  expect((await receipt(2)).status).toBe(201);
  const third = await until(id, (o) => (o.parts ?? []).length === 3, 'to fill part 3 from the second receipt');
  expect(third.backorder).toMatchObject({ lines: [], filledParts: 2 });

  await ship(id, '3');
  await ship(id, '2');
  const paid = await until(id, (o) => o.payment.status === 'captured', 'to capture every part');
  const total = paid.order.totals.total;
  const part2 = 2_000 + Math.trunc((495 * 2_000) / 16_000);
  const all = await captures(id);
  expect(all).toHaveLength(3);
  expect(all.reduce((s, c) => s + c.amount, 0)).toBe(total);
  expect(paid.payment.captured).toBe(total);
  // Whichever of parts 2 and 3 shipped last took what was left; the other its own share.
  expect(
    all
      .filter((c) => c.key !== 'payment:capture:part:1')
      .map((c) => c.amount)
      .sort(),
  ).toEqual([part2, total - 12_000 - Math.trunc((495 * 12_000) / 16_000) - part2].sort());
  // Every unit shipped: nothing reserved, nothing on hand.
  await eventually(
    () => stockOf(BOOT),
    (s) => s.onHand === 0 && s.reserved === 0,
    30_000,
    'stock to be shipped',
  );

  for (const part of ['1', '2', '3']) expect((await api.post(`/orders/${id}/events`, { type: 'delivered', part })).status).toBe(200);
  await until(id, (o) => o.status === 'completed', 'to complete');
});

test('a location rejects a backordered part before picking it: its stock goes back, its units are backordered again and filled from the next stock elsewhere', async () => {
  await receive(CAP, 3);
  const body = orderBody({
    allowBackorder: true,
    payment: { method: 'prepaid', alreadyPaid: false },
    lines: [{ sku: CAP, quantity: 5, unitPrice: 1000 }],
  });
  const id = await place(body);
  await until(id, (o) => o.status === 'released_to_fulfillment' && !!o.backorder, 'to backorder 2');
  await ship(id, '1');
  await until(id, (o) => (o.payment.captured ?? 0) > 0, 'to capture part 1');

  // Two more arrive at the warehouse: part 2 is filled there and released.
  await receive(CAP, 2);
  await until(id, (o) => o.parts?.[1]?.stage === 'released_to_fulfillment', 'to fill part 2');
  expect(await stockOf(CAP)).toMatchObject({ onHand: 2, reserved: 2 });
  const reject = (r: object) => api.post(`/orders/${id}/allocation/reject`, r);
  // Nothing waits to be picked at the other warehouse, and the shipped part cannot be rejected.
  expect((await reject({ reason: 'not_in_stock', locationId: DC2 })).status).toBe(409);
  expect((await reject({ reason: 'not_in_stock', locationId: DC, part: '1' })).status).toBe(409);
  const rejected = await reject({ reason: 'not_in_stock', locationId: DC, note: 'shelf empty' });
  expect(rejected.status).toBe(200);

  // Part 2 is gone: its reservation released, the shelf written off, its 2 units backordered again.
  const back = await until(id, (o) => o.parts?.length === 1 && (o.backorder?.lines.length ?? 0) > 0, 'to backorder part 2 again');
  expect(back.backorder).toMatchObject({ lines: [{ sku: CAP, quantity: 2 }], filledParts: 0 });
  expect(back.rejections).toEqual([expect.objectContaining({ locationId: DC, reason: 'not_in_stock', note: 'shelf empty', part: '2' })]);
  expect(back.history.at(-1)?.reason).toBe(
    `${DC} rejected backordered part 2 (not_in_stock): ${CAP} ×2 backordered again; still backordered: ${CAP} ×2`,
  );
  expect(await stockOf(CAP)).toMatchObject({ onHand: 0, reserved: 0 });
  const ledger = (await api.get(`/stock/${CAP}/ledger?locationId=${DC}`)).body.entries as {
    type: string;
    reason?: string;
    quantity: number;
    reference?: string;
  }[];
  expect(ledger.filter((e) => e.reference === id && e.type !== 'reservation').map((e) => [e.type, e.reason ?? null, e.quantity])).toEqual([
    ['release', 'allocation rejected: not_in_stock', 2],
    ['adjustment', 'lost', -2],
  ]);

  // Stock at the other warehouse fills the units again as part 3 (no part id is used twice); it ships.
  await receive(CAP, 2, DC2);
  const refilled = await until(id, (o) => o.parts?.length === 2 && o.backorder?.lines.length === 0, 'to fill the units again');
  expect(refilled.parts![1]).toMatchObject({ id: '3', locationId: DC2, lines: [{ sku: CAP, quantity: 2 }] });
  expect(await stockOf(CAP, DC2)).toMatchObject({ onHand: 2, reserved: 2 });
  expect((await api.post(`/orders/${id}/events`, { type: 'picked', part: '3' })).status).toBe(200);
  // Picked: no longer rejected.
  expect((await reject({ reason: 'damaged', locationId: DC2 })).status).toBe(409);
  await ship(id, '3');
  const paid = await until(id, (o) => o.payment.status === 'captured', 'to capture both parts');
  expect(paid.payment.captured).toBe(paid.order.totals.total);
  const all = await captures(id);
  expect(all.map((c) => c.key)).toEqual(['payment:capture:part:1', 'payment:capture:part:3']);
  expect(all.reduce((s, c) => s + c.amount, 0)).toBe(paid.order.totals.total);
  for (const part of ['1', '3']) expect((await api.post(`/orders/${id}/events`, { type: 'delivered', part })).status).toBe(200);
  await until(id, (o) => o.status === 'completed', 'to complete');
});

test('an order that wants one shipment waits whole even when its lines allow backorders', async () => {
  await receive(SOCK, 3);
  const body = orderBody({
    allowBackorder: true,
    fulfillment: { method: 'ship', allowSplit: false },
    payment: { method: 'prepaid', alreadyPaid: false },
    lines: [{ sku: SOCK, quantity: 5, unitPrice: 500 }],
  });
  const id = await place(body);
  const waiting = await until(id, (o) => o.status === 'awaiting_stock', 'to wait whole');
  expect(waiting.parts).toBeUndefined();
  expect(waiting.backorder).toBeUndefined();
  expect(await stockOf(SOCK)).toMatchObject({ reserved: 0 });
  await receive(SOCK, 2);
  const released = await until(id, (o) => o.status === 'released_to_fulfillment', 'to be released whole');
  expect(released.allocation).toMatchObject({ locationId: DC });
  expect(released.parts).toBeUndefined();
});

test('backordered units can be cancelled after the rest shipped: the order completes with what shipped and captures only that', async () => {
  await receive(HAT, 6);
  const body = orderBody({
    allowBackorder: true,
    payment: { method: 'prepaid', alreadyPaid: false },
    lines: [{ sku: HAT, quantity: 10, unitPrice: 1000 }],
  });
  const id = await place(body);
  await until(id, (o) => o.status === 'released_to_fulfillment' && !!o.backorder, 'to backorder 4');
  await ship(id, '1');
  await until(id, (o) => (o.payment.captured ?? 0) > 0, 'to capture part 1');
  const cancelled = await api.post(`/orders/${id}/lines/cancel`, { lines: [{ sku: HAT, quantity: 4 }], reason: 'no longer needed' });
  expect(cancelled.status).toBe(200);
  expect(cancelled.body.backorder).toMatchObject({ lines: [] });
  expect(cancelled.body.cancelledLines[0]).toMatchObject({ lines: [{ sku: HAT, quantity: 4 }], released: [], money: { kind: 'voided' } });
  expect((await api.post(`/orders/${id}/events`, { type: 'delivered', part: '1' })).status).toBe(200);
  const done = await until(id, (o) => o.status === 'completed', 'to complete with part 1 alone');
  expect(done.parts).toHaveLength(1);
  expect(done.order.lines).toEqual([expect.objectContaining({ sku: HAT, quantity: 6 })]);
  expect(done.payment).toMatchObject({ status: 'captured', captured: done.order.totals.total });
});

test('backorders asked for items that do not allow them are refused (400) naming the line or the order flag, and nothing is captured', async () => {
  const line = orderBody({ lines: [{ sku: BOOT, quantity: 1 }] });
  const byLine = { ...line, lines: [{ sku: PLAIN, quantity: 2, unitPrice: 100, allowBackorder: true }, ...line.lines] };
  const refused = await api.post('/orders', byLine);
  expect(refused.status).toBe(400);
  expect(refused.body.error.details).toEqual([
    {
      path: 'lines.0.allowBackorder',
      message: `${PLAIN} does not allow backorders (set allowBackorder on the item, or leave it out here)`,
    },
  ]);
  expect((await api.get(`/orders/order:manual:${line.channelOrderId}`)).status).toBe(404);

  const whole = await api.post('/orders', { ...byLine, lines: [{ sku: PLAIN, quantity: 2, unitPrice: 100 }], type: 'backorder' });
  expect(whole.status).toBe(400);
  expect(whole.body.error.details).toEqual([
    { path: 'type', message: `${PLAIN} does not allow backorders (set allowBackorder on the item, or leave it out here)` },
  ]);
  const contradiction = await api.post('/orders', { ...line, type: 'backorder', allowBackorder: false });
  expect(contradiction.status).toBe(400);
  expect(JSON.stringify(contradiction.body.error)).toContain('cannot be false on an order of type \\"backorder\\"');
});
