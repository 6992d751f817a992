import { createTestContext, type TestContext } from '../support/stack';
import { apiFor } from '../support/api';
import { eventually, location, orderBody } from '../support/fixtures';
import { createManualPaymentProvider } from '../../connectors/payments/manual';
import { createPaymentProviders } from '../../worker/deps';

// Pre-orders as a shop sells them, through the API over the real stack (Temporal, FerretDB, Redis): they
// claim what a purchase order still expects, first come first served and never more than is inbound; when
// the goods arrive they take them ahead of a normal order that waited longer; and nothing goes to the
// warehouse before the release date. A card payment whose authorisation lapsed meanwhile is authorised again
// at release.
let ctx: TestContext;
let api: Awaited<ReturnType<typeof apiFor>>;
const run = String(Date.now()).slice(-7);
const GAME = `PRE${run}-GAME`;
const PLUSH = `PRE${run}-PLUSH`;
const PO = `PO-PRE-${run}`;
// A card provider whose authorisations lapse after 3 s (real ones after about 7 days).
const CARD_VALIDITY_MS = 3_000;

beforeAll(async () => {
  ctx = await createTestContext('e2e_preorders');
  api = await apiFor(ctx, { activityMaxAttempts: 2, activityInitialIntervalMs: 100 });
  const payments = createPaymentProviders(ctx.stores.payments);
  const base = createManualPaymentProvider(ctx.stores.payments, 'cards');
  payments.cards = { ...base, authorizationValidityMs: CARD_VALIDITY_MS, authorize: (req) => base.confirm(req) };
  await ctx.startWorker({ payments });
});
afterAll(async () => {
  await ctx.close();
});

interface View {
  status: string;
  history: { status: string; at: string; reason?: string }[];
  payment: { status: string; reference?: string; authorizationExpiresAt?: string; reauthorizedAt?: string };
  preorder?: { releaseAt: string; releasedAt?: string; claims: { sku: string; quantity: number; status: string }[] };
  order: { type: string; lines: { sku: string; preorder?: { releaseAt: string } }[] };
}
const orderOf = async (id: string) => (await api.get(`/orders/${encodeURIComponent(id)}`)).body as View;
const statusOf = async (id: string) => (await orderOf(id)).status;
const stockOf = async (sku: string) => (await api.get(`/stock/${sku}`)).body;
const preorderLine = (sku: string, quantity: number, releaseAt: string) => ({ sku, quantity, preorder: { releaseAt } });
const waitFor = (id: string, status: string, what: string) =>
  eventually(
    () => statusOf(id),
    (s) => s === status,
    45_000,
    what,
  );

test('pre-orders claim inbound stock, take it ahead of a normal order when it arrives, and go to the warehouse on their release date', async () => {
  expect((await api.post('/locations', location('PRE-DC', 1))).status).toBe(201);
  for (const sku of [GAME, PLUSH]) expect((await api.post('/items', { sku, name: `Item ${sku}` })).status).toBe(201);
  const supplier = { id: `toys-${run}`, name: 'Toys', leadTimeDays: 10, currency: 'EUR', contact: { email: 'sales@toys.test' } };
  expect((await api.post('/suppliers', supplier)).status).toBe(201);
  const po = { id: PO, supplierId: supplier.id, locationId: 'PRE-DC', status: 'open', lines: [{ sku: GAME, quantity: 3, unitCost: 2500 }] };
  expect((await api.post('/purchase-orders', po)).status).toBe(201);

  // A normal order for the game waits first: nothing is on hand.
  const normal = await api.post('/orders', orderBody({ lines: [{ sku: GAME, quantity: 1 }] }));
  expect(normal.status).toBe(202);
  await waitFor(normal.body.orderId, 'awaiting_stock', 'the normal order to wait for stock');

  // A release date in the past is refused naming the field; nothing is written.
  const past = orderBody({ lines: [preorderLine(GAME, 1, '2020-01-01')] });
  const refusedPast = await api.post('/orders', past);
  expect(refusedPast.status).toBe(400);
  expect(refusedPast.body.error.details).toEqual([{ path: 'lines.0.preorder.releaseAt', message: expect.stringContaining('in the past') }]);
  expect((await api.get(`/orders/${encodeURIComponent(`order:manual:${past.channelOrderId}`)}`)).status).toBe(404);
  expect((await stockOf(GAME)).preorders).toEqual({ claimed: 0, claimable: 3, claims: [] });

  // Three pre-orders claim the three inbound: the first pays by card, authorised for 3 s only.
  const releaseAt = new Date(Date.now() + 40_000).toISOString();
  const first = await api.post(
    '/orders',
    orderBody({
      lines: [preorderLine(GAME, 2, releaseAt)],
      payment: { method: 'prepaid', provider: 'cards', alreadyPaid: false },
    }),
  );
  expect(first.status).toBe(202);
  const second = await api.post('/orders', orderBody({ lines: [preorderLine(GAME, 1, releaseAt)] }));
  expect(second.status).toBe(202);
  // One more is beyond what is inbound: refused naming the sku, what is inbound and what is claimed; nothing written.
  const beyond = orderBody({ lines: [preorderLine(GAME, 1, releaseAt)] });
  const refused = await api.post('/orders', beyond);
  expect(refused.status).toBe(409);
  expect(refused.body.error).toMatchObject({
    code: 'conflict',
    details: { path: 'lines.0.quantity', sku: GAME, requested: 1, inbound: 3, claimed: 3, claimable: 0 },
  });
  expect((await api.get(`/orders/${encodeURIComponent(`order:manual:${beyond.channelOrderId}`)}`)).status).toBe(404);

  // The second pre-order is cancelled before anything arrives: its claim goes back, and the next one fits.
  await waitFor(second.body.orderId, 'awaiting_stock', 'the second pre-order to wait for stock');
  expect((await api.post(`/orders/${encodeURIComponent(second.body.orderId)}/cancel`, { reason: 'changed my mind' })).status).toBe(200);
  await eventually(
    () => stockOf(GAME),
    (s) => s.preorders.claimed === 2,
    30_000,
    'the cancelled pre-order to give its claim back',
  );
  const third = await api.post('/orders', beyond);
  expect(third.status).toBe(202);
  const stock = await stockOf(GAME);
  expect(stock.preorders).toMatchObject({ claimed: 3, claimable: 0 });
  expect(stock.preorders.claims.map((c: { orderId: string }) => c.orderId)).toEqual([first.body.orderId, third.body.orderId]);
  const firstView = await orderOf(first.body.orderId);
  expect(firstView.order.type).toBe('pre_order');
  expect(firstView.preorder).toMatchObject({ releaseAt, claims: [{ sku: GAME, quantity: 2, status: 'active' }] });
  await waitFor(third.body.orderId, 'awaiting_stock', 'the third pre-order to wait for stock');
  await waitFor(first.body.orderId, 'awaiting_stock', 'the first pre-order to wait for stock');

  // The three arrive: the pre-orders take them, the normal order (waiting longest) keeps waiting.
  expect(
    (await api.post(`/purchase-orders/${PO}/receipts`, { receiptId: `dock-${run}-1`, lines: [{ sku: GAME, quantity: 3 }] })).status,
  ).toBe(201);
  for (const id of [first.body.orderId, third.body.orderId]) await waitFor(id, 'stock_reserved', 'a pre-order to reserve what arrived');
  expect(await statusOf(normal.body.orderId)).toBe('awaiting_stock');
  expect((await stockOf(GAME)).total).toMatchObject({ onHand: 3, reserved: 3, available: 0 });
  await eventually(
    () => stockOf(GAME),
    (s) => s.preorders.claimed === 0,
    15_000,
    'the claims settled once reserved',
  );
  expect((await orderOf(first.body.orderId)).preorder?.claims).toEqual([expect.objectContaining({ sku: GAME, status: 'reserved' })]);

  // Held until the release date: nothing goes to the warehouse before it.
  await new Promise((r) => setTimeout(r, Math.max(0, Date.parse(releaseAt) - Date.now() - 3_000)));
  for (const id of [first.body.orderId, third.body.orderId]) {
    const view = await orderOf(id);
    expect(view.status).toBe('stock_reserved');
    expect(view.history.map((h) => h.status)).not.toContain('released_to_fulfillment');
  }
  // Then released, not before releaseAt; the lapsed card authorisation was renewed first.
  for (const id of [first.body.orderId, third.body.orderId]) {
    await waitFor(id, 'released_to_fulfillment', 'a pre-order to be released on its release date');
    const view = await orderOf(id);
    const released = view.history.find((h) => h.status === 'released_to_fulfillment')!;
    expect(Date.parse(released.at)).toBeGreaterThanOrEqual(Date.parse(releaseAt));
    expect(view.preorder?.releasedAt).toBeDefined();
  }
  const paid = (await orderOf(first.body.orderId)).payment;
  expect(paid).toMatchObject({ status: 'authorized', reauthorizedAt: expect.any(String) });
  expect(Date.parse(paid.reauthorizedAt!)).toBeGreaterThanOrEqual(Date.parse(releaseAt));
  expect(paid.reference).toContain('payment:authorize:release');

  // More stock: now the normal order gets it.
  expect((await api.post('/stock/receipts', { sku: GAME, locationId: 'PRE-DC', quantity: 1 })).status).toBe(201);
  await waitFor(normal.body.orderId, 'released_to_fulfillment', 'the normal order to get the next unit');
});

test('an item the catalogue sells as a pre-order makes its orders pre-orders; its release date must be to come', async () => {
  const past = await api.raw
    .patch(`/items/${PLUSH}`)
    .set('Authorization', 'Bearer test-api-key-0123456789')
    .send({ preorder: { releaseAt: '2021-05-01' } });
  expect(past.status).toBe(400);
  expect(past.body.error.details).toEqual([{ path: 'preorder.releaseAt', message: expect.stringContaining('in the past') }]);
  expect((await api.get(`/items/${PLUSH}`)).body.preorder).toBeUndefined();
  const flagged = await api.raw
    .patch(`/items/${PLUSH}`)
    .set('Authorization', 'Bearer test-api-key-0123456789')
    .send({ preorder: { releaseAt: '2099-06-01' } });
  expect(flagged.status).toBe(200);
  expect(flagged.body.preorder).toEqual({ releaseAt: '2099-06-01' });
  // Nothing is inbound for it: a plain order line for it is a pre-order, and refused.
  const refused = await api.post('/orders', orderBody({ lines: [{ sku: PLUSH, quantity: 1 }] }));
  expect(refused.status).toBe(409);
  expect(refused.body.error.details).toMatchObject({ sku: PLUSH, inbound: 0, claimed: 0 });
  // No longer a pre-order: an ordinary order.
  const unflagged = await api.raw.patch(`/items/${PLUSH}`).set('Authorization', 'Bearer test-api-key-0123456789').send({ preorder: null });
  expect(unflagged.body.preorder).toBeUndefined();
  const plain = await api.post('/orders', orderBody({ lines: [{ sku: PLUSH, quantity: 1 }] }));
  expect(plain.status).toBe(202);
  expect((await orderOf(plain.body.orderId)).order.type).toBe('standard');
});

test('a bulk import takes pre-orders as POST /orders does: the item decides (no CSV column), each claims in file order, and one beyond what is inbound is refused by its row with nothing written', async () => {
  const TOY = `PRE${run}-TOY`;
  const BOOK = `PRE${run}-BOOK`;
  const DC = `PREI-${run}`;
  const releaseAt = new Date(Date.now() + 30 * 24 * 3600_000).toISOString().slice(0, 10);
  expect((await api.post('/locations', location(DC, 5))).status).toBe(201);
  expect((await api.post('/items', { sku: TOY, name: 'Toy', preorder: { releaseAt } })).status).toBe(201);
  expect((await api.post('/items', { sku: BOOK, name: 'Book' })).status).toBe(201);
  const supplier = { id: `imp-toys-${run}`, name: 'Toys', leadTimeDays: 10, currency: 'EUR', contact: { email: 'sales@toys.test' } };
  expect((await api.post('/suppliers', supplier)).status).toBe(201);
  const po = {
    id: `PO-PREI-${run}`,
    supplierId: supplier.id,
    locationId: DC,
    status: 'open',
    lines: [
      { sku: TOY, quantity: 10, unitCost: 900 },
      { sku: BOOK, quantity: 1, unitCost: 500 },
    ],
  };
  expect((await api.post('/purchase-orders', po)).status).toBe(201);
  const upload = (body: string, type: string) =>
    api.raw.post('/orders/import').set('Authorization', 'Bearer test-api-key-0123456789').set('content-type', type).send(body);

  // CSV: 3, then 8 (beyond the 7 left: refused on its row), then 2 toys.
  const channel = `prei${run}`;
  const header = 'channel,order_ref,customer_name,ship_line1,ship_city,ship_postal_code,ship_country,currency,sku,quantity,unit_price';
  const row = (ref: string, quantity: number) => `${channel},${ref},Toy Shop GmbH,Hauptstr. 1,Berlin,10115,DE,EUR,${TOY},${quantity},19.99`;
  const csv = [header, row('A', 3), row('B', 8), row('C', 2)].join('\n') + '\n';
  const first = await upload(csv, 'text/csv');
  expect(first.status).toBe(202);
  expect(first.body).toMatchObject({ orders: 2, refusedOrders: 1, invalidRows: 1 });
  expect(first.body.problems).toEqual([
    {
      row: 3,
      column: 'quantity',
      message: `Cannot take a pre-order of 8 ${TOY}: 10 inbound on open purchase orders, 3 already claimed by earlier pre-orders, 7 left to claim`,
    },
  ]);
  const captured = await eventually(
    async () => Promise.all(['A', 'C'].map((ref) => orderOf(`order:${channel}:${ref}`))),
    (views) => views.every((v) => v.order?.type === 'pre_order'),
    45_000,
    'the imported pre-orders',
  );
  expect(captured.map((v) => v.order.lines[0].preorder)).toEqual([
    { releaseAt: `${releaseAt}T00:00:00.000Z` },
    { releaseAt: `${releaseAt}T00:00:00.000Z` },
  ]);
  expect((await api.get(`/orders/order:${channel}:B`)).status).toBe(404);
  expect((await stockOf(TOY)).preorders).toMatchObject({ claimed: 5, claimable: 5 });

  // The same file again: the same import, nothing claimed again.
  const again = await upload(csv, 'text/csv');
  expect(again.status).toBe(200);
  expect(again.body.importId).toBe(first.body.importId);
  expect((await stockOf(TOY)).preorders).toMatchObject({ claimed: 5, claimable: 5 });

  // JSON: a pre-order line of its own (the book: 1 inbound), named by its path when refused.
  const json = {
    orders: [
      orderBody({ channel, channelOrderId: 'J1', lines: [preorderLine(BOOK, 2, releaseAt)] }),
      orderBody({ channel, channelOrderId: 'J2', lines: [preorderLine(BOOK, 1, '2020-01-01')] }),
      orderBody({ channel, channelOrderId: 'J3', lines: [preorderLine(BOOK, 1, releaseAt)] }),
    ],
  };
  const fromJson = await upload(JSON.stringify(json), 'application/json');
  expect(fromJson.status).toBe(202);
  expect(fromJson.body.problems).toEqual([
    {
      row: 1,
      column: 'lines.0.quantity',
      message: expect.stringMatching(/^Cannot take a pre-order of 2 .*: 1 inbound on open purchase orders/),
    },
    { row: 2, column: 'lines.0.preorder.releaseAt', message: '2020-01-01 is in the past: a pre-order is released on a date to come' },
  ]);
  await eventually(
    () => orderOf(`order:${channel}:J3`),
    (v) => v.order?.type === 'pre_order',
    45_000,
    'the imported JSON pre-order',
  );
  expect((await stockOf(BOOK)).preorders).toMatchObject({ claimed: 1, claimable: 0 });
  for (const ref of ['J1', 'J2']) expect((await api.get(`/orders/order:${channel}:${ref}`)).status).toBe(404);
});

test('cancelling units of a pre-order gives back their share of its claim: a pre-order of 3 claims 3 of 10 inbound, 2 units are cancelled, and another customer can claim 9', async () => {
  const KITE = `PRE${run}-KITE`;
  const DC = `PREC-${run}`;
  expect((await api.post('/locations', location(DC, 7))).status).toBe(201);
  expect((await api.post('/items', { sku: KITE, name: 'Kite' })).status).toBe(201);
  const supplier = { id: `kites-${run}`, name: 'Kites', leadTimeDays: 10, currency: 'EUR', contact: { email: 'sales@kites.test' } };
  expect((await api.post('/suppliers', supplier)).status).toBe(201);
  const po = {
    id: `PO-PREC-${run}`,
    supplierId: supplier.id,
    locationId: DC,
    status: 'open',
    lines: [{ sku: KITE, quantity: 10, unitCost: 900 }],
  };
  expect((await api.post('/purchase-orders', po)).status).toBe(201);
  const releaseAt = new Date(Date.now() + 30 * 24 * 3600_000).toISOString();

  const first = await api.post('/orders', orderBody({ lines: [preorderLine(KITE, 3, releaseAt)] }));
  expect(first.status).toBe(202);
  expect((await stockOf(KITE)).preorders).toMatchObject({ claimed: 3, claimable: 7 });
  expect((await api.post('/orders', orderBody({ lines: [preorderLine(KITE, 9, releaseAt)] }))).status).toBe(409);
  await waitFor(first.body.orderId, 'awaiting_stock', 'the pre-order to wait for stock');

  const cancelled = await api.post(`/orders/${encodeURIComponent(first.body.orderId)}/lines/cancel`, {
    lines: [{ sku: KITE, quantity: 2 }],
    reason: 'only one kite after all',
  });
  expect(cancelled.status).toBe(200);
  expect((await orderOf(first.body.orderId)).order.lines).toEqual([expect.objectContaining({ sku: KITE, quantity: 1 })]);
  // The claim holds the one unit left, in its place in line; the two go back to be claimed.
  const stock = await stockOf(KITE);
  expect(stock.preorders).toMatchObject({ claimed: 1, claimable: 9 });
  expect(stock.preorders.claims).toEqual([expect.objectContaining({ orderId: first.body.orderId, quantity: 1 })]);
  expect((await orderOf(first.body.orderId)).preorder?.claims).toEqual([
    expect.objectContaining({ sku: KITE, quantity: 1, status: 'active' }),
  ]);

  const another = await api.post('/orders', orderBody({ lines: [preorderLine(KITE, 9, releaseAt)] }));
  expect(another.status).toBe(202);
  expect((await stockOf(KITE)).preorders).toMatchObject({ claimed: 10, claimable: 0 });

  // Two more units cancelled than the line has left: refused, and nothing more is given back.
  const again = await api.post(`/orders/${encodeURIComponent(first.body.orderId)}/lines/cancel`, {
    lines: [{ sku: KITE, quantity: 2 }],
    reason: 'only one kite after all',
  });
  expect(again.status).toBeGreaterThanOrEqual(400);
  expect((await stockOf(KITE)).preorders).toMatchObject({ claimed: 10, claimable: 0 });
});
