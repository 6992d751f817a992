import { createTestContext, type TestContext } from '../support/stack';
import { apiFor } from '../support/api';
import { eventually, location, orderBody } from '../support/fixtures';
import { createManualPaymentProvider } from '../../connectors/payments/manual';
import { createPaymentProviders } from '../../worker/deps';

// Returns over the real stack: an order is delivered through the API, then returned through
// POST /orders/:id/returns and the return's workflow (received at a warehouse or in store, inspected line by
// line into the ledger, refunded through the payment provider once).

let ctx: TestContext;
let api: Awaited<ReturnType<typeof apiFor>>;
// The payment provider's refunds fail while this is set (a processor outage), to park a return.
let refundsFail = false;

const POLICY_REASONS = [
  { code: 'damaged', label: 'Arrived damaged', approval: 'auto' },
  { code: 'wrong_size', label: 'Does not fit', approval: 'auto' },
  { code: 'changed_mind', label: 'No longer wanted', approval: 'auto' },
  { code: 'not_as_described', label: 'Not as described', approval: 'review' },
];
const STORE = { ...location('RET-STORE', 5), type: 'store', pickup: true, name: 'Store Mitte' };

beforeAll(async () => {
  ctx = await createTestContext('e2e_returns');
  api = await apiFor(ctx, { activityMaxAttempts: 2, activityInitialIntervalMs: 100 });
  const manual = createManualPaymentProvider(ctx.stores.payments, 'manual');
  const payments = {
    ...createPaymentProviders(ctx.stores.payments),
    manual: {
      ...manual,
      refund: async (req: Parameters<typeof manual.refund>[0]) => {
        if (refundsFail) throw new Error('payment processor unavailable (503)');
        return manual.refund(req);
      },
    },
  };
  await ctx.startWorker({ payments });
  expect((await api.post('/locations', location('RET-WH', 1))).status).toBe(201);
  expect((await api.post('/locations', STORE)).status).toBe(201);
  for (const sku of ['RET-TEE', 'RET-TEE-L', 'RET-MUG', 'RET-CAP'])
    expect((await api.post('/items', { sku, name: `Item ${sku}`, weightGrams: 200 })).status).toBe(201);
  for (const sku of ['RET-TEE', 'RET-TEE-L', 'RET-MUG', 'RET-CAP'])
    expect((await api.post('/stock/receipts', { sku, locationId: 'RET-WH', quantity: 100 })).status).toBe(201);
  // Refunds only for "damaged" and "wrong_size" at once; "not_as_described" goes to review.
  const policy = await api.put('/return-policy', {
    reasons: POLICY_REASONS,
    restockingFeeBasisPoints: 1000,
    returnLabel: 'none',
  });
  expect(policy.status).toBe(200);
});
afterAll(async () => ctx.close());

const getOrder = async (id: string) => (await api.get(`/orders/${id}`)).body;
const getReturn = async (id: string) => (await api.get(`/returns/${id}`)).body;
const waitReturn = (id: string, status: string) =>
  eventually(
    () => getReturn(id),
    (r) => r.status === status,
    30_000,
    `${id} to be ${status}`,
  );

// Placed, released, picked, packed, shipped and delivered through the API, as a warehouse and carrier report it.
async function deliveredOrder(lines: { sku: string; quantity: number; unitPrice?: number }[], extra: Record<string, unknown> = {}) {
  const created = await api.post('/orders', orderBody({ lines, ...extra }));
  expect(created.status).toBe(202);
  const id: string = created.body.orderId;
  await eventually(
    () => getOrder(id),
    (o) => o.status === 'released_to_fulfillment',
    30_000,
    `${id} released`,
  );
  for (const event of [
    { type: 'picked' },
    { type: 'packed' },
    { type: 'shipped', carrier: 'manual', trackingNumber: `TRK-${id.slice(-8).replace(/[^A-Za-z0-9]/g, '')}` },
    { type: 'delivered' },
  ]) {
    const res = await api.post(`/orders/${id}/events`, event);
    expect([res.status, res.body.error?.message]).toEqual([200, undefined]);
  }
  await eventually(
    () => getOrder(id),
    (o) => o.status === 'delivered' || o.status === 'completed',
    30_000,
    `${id} delivered`,
  );
  return id;
}

test('a refund after delivery: approved by the policy, received and restocked at the warehouse, refunded once through the provider', async () => {
  // 2 tees at 20.00 with 4.00 discount on the line and 6.40 tax; a mug at 12.50.
  const orderId = await deliveredOrder([
    { sku: 'RET-TEE', quantity: 2, unitPrice: 2000 },
    { sku: 'RET-MUG', quantity: 1, unitPrice: 1250 },
  ]);
  const before = await ctx.stores.ledger.balance('RET-TEE', 'RET-WH');

  const asked = await api.raw
    .post(`/orders/${orderId}/returns`)
    .set('Authorization', 'Bearer test-api-key-0123456789')
    .set('Idempotency-Key', `ret-${orderId}`)
    .send({ lines: [{ sku: 'RET-TEE', quantity: 1 }], reason: 'damaged', resolution: 'refund' });
  expect(asked.status).toBe(201);
  const returnId: string = asked.body.returnId;
  expect(returnId).toBe(`return:${orderId}:1`);
  expect(asked.body.decision).toMatchObject({
    outcome: 'approved',
    rule: 'reason_auto_approved',
    why: '"Arrived damaged" is approved without review',
  });
  // The same request again answers the same return.
  const again = await api.raw
    .post(`/orders/${orderId}/returns`)
    .set('Authorization', 'Bearer test-api-key-0123456789')
    .set('Idempotency-Key', `ret-${orderId}`)
    .send({ lines: [{ sku: 'RET-TEE', quantity: 1 }], reason: 'damaged', resolution: 'refund' });
  expect([again.status, again.body.returnId]).toEqual([200, returnId]);

  await waitReturn(returnId, 'awaiting_items');
  const received = await api.post(`/returns/${returnId}/receive`, {
    locationId: 'RET-WH',
    scanned: [{ sku: 'RET-TEE', quantity: 1 }],
  });
  expect(received.status).toBe(200);
  expect(received.body).toMatchObject({
    status: 'received',
    receipt: { locationId: 'RET-WH', scanned: [{ sku: 'RET-TEE', quantity: 1 }] },
  });
  const inspected = await api.post(`/returns/${returnId}/inspect`, { lines: [{ sku: 'RET-TEE', quantity: 1, disposition: 'restock' }] });
  expect(inspected.status).toBe(200);
  const done = await waitReturn(returnId, 'refunded');
  // One tee: 20.00, no discount or tax in this order; 10 % restocking fee kept.
  expect(done.refund).toMatchObject({
    goods: 2000,
    tax: 0,
    shipping: 0,
    restockingFee: 200,
    total: 1800,
    method: 'original_payment',
    status: 'refunded',
  });

  // The ledger: one return entry at the warehouse, sellable again.
  const after = await ctx.stores.ledger.balance('RET-TEE', 'RET-WH');
  expect(after.onHand - before.onHand).toBe(1);
  expect(after.available - before.available).toBe(1);
  const entries = await ctx.stores.ledger.entriesForSku('RET-TEE', { locationId: 'RET-WH', limit: 1000 });
  expect(entries.filter((e) => e.reference === returnId).map((e) => [e.type, e.quantity])).toEqual([['return', 1]]);
  // The payment journal: one refund of 18.00 for this return.
  const journal = await ctx.stores.payments.forOrder(orderId);
  expect(journal.filter((p) => p.operation === 'refund').map((p) => [p._id, p.amount])).toEqual([[`${returnId}:refund`, 1800]]);
  // The customer is told at each step.
  const notices = await eventually(
    () => ctx.stores.notifications.forOrder(orderId),
    (n) => n.length === 5,
    30_000,
    'the refund notice',
  );
  expect(notices.map((n) => n.kind).sort()).toEqual(['delivered', 'return_approved', 'return_received', 'return_refunded', 'shipped']);
  // An order from no channel connection has no channel to tell.
  expect((await waitReturn(returnId, 'refunded')).refund.channel).toEqual({ status: 'no_channel' });
  expect((await api.get(`/orders/${orderId}/returns`)).body.returns.map((r: { returnId: string }) => r.returnId)).toEqual([returnId]);
});

test('buy online, return in store: the store scans the items and decides each line at once; scrap is written off with its reason', async () => {
  const orderId = await deliveredOrder([
    { sku: 'RET-MUG', quantity: 2, unitPrice: 1500 },
    { sku: 'RET-CAP', quantity: 1, unitPrice: 1000 },
  ]);
  const asked = await api.post(`/orders/${orderId}/returns`, {
    lines: [
      { sku: 'RET-MUG', quantity: 2 },
      { sku: 'RET-CAP', quantity: 1 },
    ],
    reason: 'wrong_size',
    resolution: 'store_credit',
  });
  expect(asked.status).toBe(201);
  const returnId = asked.body.returnId;
  await waitReturn(returnId, 'awaiting_items');
  const storeBefore = await ctx.stores.ledger.balance('RET-MUG', 'RET-STORE');
  const received = await api.post(`/returns/${returnId}/receive`, {
    locationId: 'RET-STORE',
    scanned: [
      { sku: 'RET-MUG', quantity: 2 },
      { sku: 'RET-CAP', quantity: 1 },
    ],
    inspection: {
      lines: [
        { sku: 'RET-MUG', quantity: 1, disposition: 'restock' },
        { sku: 'RET-MUG', quantity: 1, disposition: 'scrap', reason: 'handle broken' },
        { sku: 'RET-CAP', quantity: 1, disposition: 'quarantine' },
      ],
    },
  });
  expect(received.status).toBe(200);
  const done = await waitReturn(returnId, 'refunded');
  // 2 mugs at 15.00 and a cap at 10.00 = 40.00, less 10 % = 36.00, as store credit on a credit note.
  expect(done.refund).toMatchObject({ total: 3600, method: 'store_credit', status: 'credited' });
  expect(done.creditNote).toMatchObject({ amount: 3600, number: expect.stringMatching(/^CN-.+-1$/) });
  const mug = await ctx.stores.ledger.balance('RET-MUG', 'RET-STORE');
  expect([mug.onHand - storeBefore.onHand, mug.available - storeBefore.available]).toEqual([1, 1]);
  const cap = await ctx.stores.ledger.balance('RET-CAP', 'RET-STORE');
  expect(cap).toMatchObject({ onHand: 1, quarantined: 1, available: 0 });
  const scrap = (await ctx.stores.ledger.entriesForSku('RET-MUG', { locationId: 'RET-STORE', limit: 1000 })).filter(
    (e) => e.type === 'scrap',
  );
  expect(scrap.map((e) => [e.quantity, e.reason, e.reference])).toEqual([[1, 'handle broken', returnId]]);
  // No money moved through the provider for store credit.
  expect((await ctx.stores.payments.forOrder(orderId)).filter((p) => p.operation === 'refund')).toEqual([]);
});

test('bad returns are refused with every problem named, and nothing is written', async () => {
  const orderId = await deliveredOrder([{ sku: 'RET-TEE', quantity: 1 }]);
  const tooMany = await api.post(`/orders/${orderId}/returns`, {
    lines: [
      { sku: 'RET-TEE', quantity: 2 },
      { sku: 'RET-CAP', quantity: 1 },
    ],
    reason: 'damaged',
    resolution: 'refund',
  });
  expect(tooMany.status).toBe(400);
  expect(tooMany.body.error.details).toEqual([
    { path: 'lines.0.quantity', message: '2 is more than can be returned: 1 received, 0 already in other returns' },
    { path: 'lines.1.sku', message: 'RET-CAP is not on this order' },
  ]);
  const unknownReason = await api.post(`/orders/${orderId}/returns`, {
    lines: [{ sku: 'RET-TEE', quantity: 1 }],
    reason: 'bored',
    resolution: 'refund',
  });
  expect(unknownReason.status).toBe(409);
  expect(unknownReason.body.error.details).toMatchObject({ rule: 'unknown_reason' });
  expect((await api.get(`/orders/${orderId}/returns`)).body.returns).toEqual([]);

  // Not delivered yet: refused by the policy, naming the rule.
  const open = await api.post('/orders', orderBody({ lines: [{ sku: 'RET-TEE', quantity: 1 }] }));
  const early = await api.post(`/orders/${open.body.orderId}/returns`, {
    lines: [{ sku: 'RET-TEE', quantity: 1 }],
    reason: 'damaged',
    resolution: 'refund',
  });
  expect(early.status).toBe(409);
  expect(early.body.error.details).toMatchObject({ rule: 'not_delivered' });
  expect((await api.get('/orders/order:manual:NOPE-1/returns')).status).toBe(404);
  expect((await api.get(`/returns/return:${orderId}:9`)).status).toBe(404);
});

test('two returns racing for the same units: one is accepted, the other is told they are already being returned', async () => {
  const orderId = await deliveredOrder([{ sku: 'RET-CAP', quantity: 1 }]);
  const ask = () =>
    api.post(`/orders/${orderId}/returns`, { lines: [{ sku: 'RET-CAP', quantity: 1 }], reason: 'damaged', resolution: 'refund' });
  const answers = await Promise.all([ask(), ask(), ask()]);
  expect(answers.map((a) => a.status).sort()).toEqual([201, 400, 400]);
  const refused = answers.find((a) => a.status === 400)!;
  expect(refused.body.error.details).toEqual([
    { path: 'lines.0.quantity', message: '1 is more than can be returned: 1 received, 1 already in other returns' },
  ]);
  expect((await api.get(`/orders/${orderId}/returns`)).body.returns).toHaveLength(1);
});

test('a reason that needs review waits for an operator; a cancelled return frees its units for another', async () => {
  const orderId = await deliveredOrder([{ sku: 'RET-TEE', quantity: 1 }]);
  const asked = await api.post(`/orders/${orderId}/returns`, {
    lines: [{ sku: 'RET-TEE', quantity: 1 }],
    reason: 'not_as_described',
    resolution: 'refund',
  });
  expect(asked.status).toBe(201);
  expect(asked.body).toMatchObject({ status: 'requested', decision: { outcome: 'review', rule: 'reason_needs_review' } });
  const returnId = asked.body.returnId;
  // Not approved yet: nothing can be received.
  const early = await api.post(`/returns/${returnId}/receive`, { locationId: 'RET-WH', scanned: [{ sku: 'RET-TEE', quantity: 1 }] });
  expect(early.status).toBe(409);
  expect(early.body.error.message).toBe(`Return ${returnId} is requested: only an approved return waiting for its items can be received`);
  const approved = await api.post(`/returns/${returnId}/approve`, { reason: 'photos show a different colour' });
  expect(approved.status).toBe(200);
  expect(approved.body.decision).toMatchObject({ outcome: 'approved', rule: 'operator_approved', why: 'photos show a different colour' });
  await waitReturn(returnId, 'awaiting_items');
  // Scanned items must be on the return.
  const wrong = await api.post(`/returns/${returnId}/receive`, { locationId: 'RET-WH', scanned: [{ sku: 'RET-MUG', quantity: 1 }] });
  expect(wrong.status).toBe(400);
  expect(wrong.body.error.details).toEqual([{ path: 'scanned.0.sku', message: 'RET-MUG is not on this return' }]);
  const nowhere = await api.post(`/returns/${returnId}/receive`, { locationId: 'NOWHERE', scanned: [{ sku: 'RET-TEE', quantity: 1 }] });
  expect(nowhere.status).toBe(400);
  expect(nowhere.body.error.details).toEqual([{ path: 'locationId', message: 'unknown location NOWHERE' }]);

  const cancelled = await api.post(`/returns/${returnId}/cancel`, { reason: 'customer kept it' });
  expect(cancelled.status).toBe(200);
  expect(cancelled.body.status).toBe('cancelled');
  const next = await api.post(`/orders/${orderId}/returns`, {
    lines: [{ sku: 'RET-TEE', quantity: 1 }],
    reason: 'damaged',
    resolution: 'refund',
  });
  expect([next.status, next.body.returnId]).toEqual([201, `return:${orderId}:2`]);
});

test('an exchange for another size: the replacement is placed at once with its stock reserved, held until the items are back, paid by the returned value', async () => {
  const orderId = await deliveredOrder([{ sku: 'RET-TEE', quantity: 1, unitPrice: 2000 }]);
  const largeBefore = await ctx.stores.ledger.balance('RET-TEE-L', 'RET-WH');
  const asked = await api.post(`/orders/${orderId}/returns`, {
    lines: [{ sku: 'RET-TEE', quantity: 1 }],
    reason: 'wrong_size',
    resolution: 'exchange',
    exchangeLines: [{ sku: 'RET-TEE-L', quantity: 1 }],
  });
  expect(asked.status).toBe(201);
  const returnId = asked.body.returnId;
  const waiting = await waitReturn(returnId, 'awaiting_items');
  // The large tee at the small one's price, paid in full by the returned tee (no restocking fee on exchanges).
  expect(waiting.exchange).toMatchObject({ value: 2000, credit: 2000, toPay: 0, held: true });
  const replacementId = waiting.exchangeOrderId;
  expect(replacementId).toBe(`order:exchange:R1.manual.${orderId.split(':')[2]}`);
  const held = await eventually(
    () => getOrder(replacementId),
    (o) => o.status === 'on_hold',
    30_000,
    'the replacement held with its stock',
  );
  expect(held).toMatchObject({ exchangeFor: returnId, hold: { reason: `exchange: ships once the items of ${returnId} are back` } });
  expect(held.order.totals.total).toBe(0);
  const reserved = await ctx.stores.ledger.balance('RET-TEE-L', 'RET-WH');
  expect(reserved.reserved - largeBefore.reserved).toBe(1);

  const received = await api.post(`/returns/${returnId}/receive`, {
    locationId: 'RET-WH',
    scanned: [{ sku: 'RET-TEE', quantity: 1 }],
    inspection: { lines: [{ sku: 'RET-TEE', quantity: 1, disposition: 'restock' }] },
  });
  expect(received.status).toBe(200);
  const done = await waitReturn(returnId, 'exchanged');
  expect(done.refund).toBeUndefined();
  // The items are back: the replacement goes to the warehouse.
  await eventually(
    () => getOrder(replacementId),
    (o) => o.status === 'released_to_fulfillment',
    30_000,
    'the replacement released',
  );
});

test('a refund the payment provider cannot make parks the return in needs_attention with the error; a retry refunds once', async () => {
  const orderId = await deliveredOrder([{ sku: 'RET-CAP', quantity: 1, unitPrice: 1000 }]);
  const asked = await api.post(`/orders/${orderId}/returns`, {
    lines: [{ sku: 'RET-CAP', quantity: 1 }],
    reason: 'damaged',
    resolution: 'refund',
  });
  const returnId = asked.body.returnId;
  await waitReturn(returnId, 'awaiting_items');
  refundsFail = true;
  try {
    await api.post(`/returns/${returnId}/receive`, {
      locationId: 'RET-WH',
      scanned: [{ sku: 'RET-CAP', quantity: 1 }],
      inspection: { lines: [{ sku: 'RET-CAP', quantity: 1, disposition: 'restock' }] },
    });
    const parked = await waitReturn(returnId, 'needs_attention');
    expect(parked.attention).toMatchObject({ step: 'refund_payment', error: 'payment processor unavailable (503)' });
    expect(parked.history.at(-1).reason).toBe('refund_payment failed: payment processor unavailable (503)');
    // Nothing was refunded; the ledger has the restock already (it came before the refund).
    expect((await ctx.stores.payments.forOrder(orderId)).filter((p) => p.operation === 'refund')).toEqual([]);
  } finally {
    refundsFail = false;
  }
  const retried = await api.post(`/returns/${returnId}/retry`);
  expect(retried.status).toBe(200);
  const done = await waitReturn(returnId, 'refunded');
  expect(done.refund.total).toBe(900);
  expect((await ctx.stores.payments.forOrder(orderId)).filter((p) => p.operation === 'refund').map((p) => p.amount)).toEqual([900]);
  // Retrying a return that is not stuck is refused with the reason.
  const again = await api.post(`/returns/${returnId}/retry`);
  expect(again.status).toBe(409);
  expect(again.body.error.message).toMatch(/is refunded/);
});

test('a trusted exchange for a cheaper item ships at once, and the difference is refunded once the items are back', async () => {
  expect((await api.put('/return-policy', { returnLabel: 'none', trustExchanges: true })).status).toBe(200);
  try {
    const orderId = await deliveredOrder([
      { sku: 'RET-MUG', quantity: 1, unitPrice: 1500 },
      { sku: 'RET-CAP', quantity: 1, unitPrice: 1000 },
    ]);
    const asked = await api.post(`/orders/${orderId}/returns`, {
      lines: [{ sku: 'RET-MUG', quantity: 1 }],
      reason: 'changed_mind',
      resolution: 'exchange',
      exchangeLines: [{ sku: 'RET-CAP', quantity: 1 }],
    });
    expect(asked.status).toBe(201);
    const returnId = asked.body.returnId;
    const waiting = await waitReturn(returnId, 'awaiting_items');
    expect(waiting.exchange).toMatchObject({ value: 1000, credit: 1000, toPay: 0, held: false });
    // Trusted: the replacement goes to the warehouse before anything comes back.
    await eventually(
      () => getOrder(waiting.exchangeOrderId),
      (o) => o.status === 'released_to_fulfillment',
      30_000,
      'the trusted replacement released',
    );
    await api.post(`/returns/${returnId}/receive`, {
      locationId: 'RET-WH',
      scanned: [{ sku: 'RET-MUG', quantity: 1 }],
      inspection: { lines: [{ sku: 'RET-MUG', quantity: 1, disposition: 'restock' }] },
    });
    const done = await waitReturn(returnId, 'exchanged');
    expect(done.refund).toMatchObject({ total: 500, method: 'original_payment', status: 'refunded' });
    expect((await ctx.stores.payments.forOrder(orderId)).filter((p) => p.operation === 'refund').map((p) => p.amount)).toEqual([500]);
  } finally {
    expect((await api.put('/return-policy', { returnLabel: 'none', restockingFeeBasisPoints: 1000, reasons: POLICY_REASONS })).status).toBe(
      200,
    );
  }
});

test('units of one sku decided on separate lines with the same disposition each reach the ledger: scanned one by one, scrapped for different reasons', async () => {
  const orderId = await deliveredOrder([{ sku: 'RET-CAP', quantity: 4, unitPrice: 1000 }]);
  const asked = await api.post(`/orders/${orderId}/returns`, {
    lines: [{ sku: 'RET-CAP', quantity: 4 }],
    reason: 'damaged',
    resolution: 'refund',
  });
  expect(asked.status).toBe(201);
  const returnId = asked.body.returnId;
  await waitReturn(returnId, 'awaiting_items');
  const before = await ctx.stores.ledger.balance('RET-CAP', 'RET-WH');
  const received = await api.post(`/returns/${returnId}/receive`, {
    locationId: 'RET-WH',
    scanned: [{ sku: 'RET-CAP', quantity: 4 }],
    inspection: {
      lines: [
        { sku: 'RET-CAP', quantity: 1, disposition: 'restock' },
        { sku: 'RET-CAP', quantity: 1, disposition: 'restock' },
        { sku: 'RET-CAP', quantity: 1, disposition: 'scrap', reason: 'torn' },
        { sku: 'RET-CAP', quantity: 1, disposition: 'scrap', reason: 'stained' },
      ],
    },
  });
  expect(received.status).toBe(200);
  await waitReturn(returnId, 'refunded');
  const after = await ctx.stores.ledger.balance('RET-CAP', 'RET-WH');
  expect([after.onHand - before.onHand, after.available - before.available]).toEqual([2, 2]);
  const entries = await ctx.stores.ledger.entriesForSku('RET-CAP', { locationId: 'RET-WH', limit: 1000 });
  expect(entries.filter((e) => e.reference === returnId).map((e) => [e.type, e.quantity, e.reason])).toEqual([
    ['return', 1, undefined],
    ['return', 1, undefined],
    ['scrap', 1, 'torn'],
    ['scrap', 1, 'stained'],
  ]);
});

test('quarantined units are later made sellable or written off by an operator, never more than are held', async () => {
  const quarantined = (type: 'quarantine', quantity: number) =>
    ctx.stores.ledger.apply({
      sku: 'RET-MUG',
      locationId: 'RET-STORE',
      type,
      quantity,
      idempotencyKey: `q-${Date.now()}-${quantity}`,
      actor: 'test',
    });
  await quarantined('quarantine', 3);
  const before = await ctx.stores.ledger.balance('RET-MUG', 'RET-STORE');
  const released = await api.post('/stock/quarantine', {
    sku: 'RET-MUG',
    locationId: 'RET-STORE',
    quantity: 2,
    decision: 'release',
    idempotencyKey: `qr-${Date.now()}`,
  });
  expect(released.status).toBe(201);
  expect(released.body.entry).toMatchObject({ type: 'quarantine_release', quantity: 2 });
  const scrapped = await api.post('/stock/quarantine', {
    sku: 'RET-MUG',
    locationId: 'RET-STORE',
    quantity: 1,
    decision: 'scrap',
    reason: 'mould',
  });
  expect(scrapped.status).toBe(201);
  const after = await ctx.stores.ledger.balance('RET-MUG', 'RET-STORE');
  expect([after.onHand - before.onHand, after.available - before.available, after.quarantined ?? 0]).toEqual([
    -1,
    2,
    (before.quarantined ?? 0) - 3,
  ]);
  const tooMany = await api.post('/stock/quarantine', { sku: 'RET-MUG', locationId: 'RET-STORE', quantity: 50, decision: 'release' });
  expect(tooMany.status).toBe(409);
  expect(tooMany.body.error.message).toMatch(/quarantined would be -/);
  const stock = await api.get('/stock/RET-MUG');
  expect(stock.body.total).toMatchObject({ quarantined: after.quarantined ?? 0 });
});

test('an exchange for a dearer item: the customer pays the difference before the replacement is reserved, then it waits for the items', async () => {
  const orderId = await deliveredOrder([
    { sku: 'RET-CAP', quantity: 1, unitPrice: 1000 },
    { sku: 'RET-MUG', quantity: 1, unitPrice: 1500 },
  ]);
  const asked = await api.post(`/orders/${orderId}/returns`, {
    lines: [{ sku: 'RET-CAP', quantity: 1 }],
    reason: 'wrong_size',
    resolution: 'exchange',
    exchangeLines: [{ sku: 'RET-MUG', quantity: 1 }],
  });
  expect(asked.status).toBe(201);
  const returnId = asked.body.returnId;
  const waiting = await waitReturn(returnId, 'awaiting_items');
  expect(waiting.exchange).toMatchObject({ value: 1500, credit: 1000, toPay: 500, held: true });
  const replacementId = waiting.exchangeOrderId;
  // 5.00 to pay: a payment an operator confirms, like any manual payment.
  const unpaid = await eventually(
    () => getOrder(replacementId),
    (o) => o.status === 'awaiting_payment',
    30_000,
    'the replacement waiting for the difference',
  );
  expect(unpaid.order.totals.total).toBe(500);
  expect((await api.post(`/orders/${replacementId}/payment/confirm`, { reference: 'card-diff-1' })).status).toBe(200);
  await eventually(
    () => getOrder(replacementId),
    (o) => o.status === 'on_hold',
    30_000,
    'the paid replacement held with its stock',
  );
  await api.post(`/returns/${returnId}/receive`, {
    locationId: 'RET-WH',
    scanned: [{ sku: 'RET-CAP', quantity: 1 }],
    inspection: { lines: [{ sku: 'RET-CAP', quantity: 1, disposition: 'restock' }] },
  });
  const done = await waitReturn(returnId, 'exchanged');
  expect(done.refund).toBeUndefined();
  await eventually(
    () => getOrder(replacementId),
    (o) => o.status === 'released_to_fulfillment',
    30_000,
    'the replacement released',
  );
});
