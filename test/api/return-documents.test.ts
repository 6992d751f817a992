import { returnWorkflowId } from '../../domain/ids';
import { toOrder, type Order } from '../../domain/order';
import { initialOrderState } from '../../domain/order-state';
import { DEFAULT_RETURN_POLICY, refundFor, type ReturnState } from '../../domain/returns';
import { creditNoteNumberOf, raNumberOf } from '../../services/documents';
import { apiFor } from '../support/api';
import { location, parsedOrder } from '../support/fixtures';
import { parsePdf } from '../support/pdf-text';
import { createTestContext, uniqueId, type TestContext } from '../support/stack';

// A return's documents over HTTP, from returns stored in the real `returns` view as the return workflow
// projects them: created (requested), then later versions approved with a label, then refunded.

let ctx: TestContext;
let api: Awaited<ReturnType<typeof apiFor>>;

beforeAll(async () => {
  ctx = await createTestContext('api_return_docs');
  api = await apiFor(ctx);
  await ctx.stores.locations.create(location('BER-1', 1));
});
afterAll(() => ctx.close());

async function deliveredOrder(): Promise<Order> {
  const order = toOrder(
    parsedOrder({
      channelOrderId: uniqueId('RD'),
      lines: [
        { sku: 'TEE-M', quantity: 2, unitPrice: 1999 },
        { sku: 'MUG-1', quantity: 1, unitPrice: 1250 },
      ],
    }),
    new Date().toISOString(),
  );
  expect(await ctx.stores.orders.insertReceived(order, initialOrderState(order))).toBe(true);
  return order;
}

function requested(order: Order, n: number): ReturnState {
  const at = new Date().toISOString();
  return {
    returnId: returnWorkflowId(order.id, n),
    orderId: order.id,
    n,
    channel: order.channel,
    currency: order.currency,
    status: 'requested',
    history: [{ status: 'requested', at }],
    request: { lines: [{ sku: 'TEE-M', quantity: 1 }], reason: 'not_as_described', resolution: 'refund' },
    lines: order.lines.map((l) => ({ sku: l.sku, quantity: l.quantity, unitPrice: l.unitPrice })),
    decision: { outcome: 'review', rule: 'reason_needs_review', why: '"Not as described" needs an operator\'s review', at, by: 'policy' },
    source: 'api',
    expectItems: true,
    version: 1,
    createdAt: at,
  };
}

const ids = (body: { documents: { id: string }[] }) => body.documents.map((d) => d.id);

async function fetchPdf(url: string) {
  const res = await api.getBinary(url);
  expect(res.status).toBe(200);
  expect(res.headers['content-type']).toBe('application/pdf');
  return { res, text: (await parsePdf(res.body as Buffer)).text };
}

test('an approved return lists its authorisation, a refunded one its credit note too, and each GET answers the PDF; a requested return lists neither', async () => {
  const order = await deliveredOrder();
  const { state: first } = await ctx.stores.returnsView.create(order.id, undefined, (_earlier, n) => requested(order, n));
  const raId = `doc:return_authorisation:${first.returnId}`;
  const cnId = `doc:credit_note:${first.returnId}`;

  const before = await api.get(`/orders/${order.id}/documents`);
  expect(before.status).toBe(200);
  expect(ids(before.body)).toEqual([`doc:packing_slip:${order.id}`, `doc:invoice:${order.id}`]);
  const notYet = await api.get(`/documents/${encodeURIComponent(raId)}`);
  expect(notYet.status).toBe(404);
  expect(notYet.body.error.message).toBe(`Return ${first.returnId} is requested: its return authorisation is issued once it is approved`);

  const approvedAt = new Date().toISOString();
  const approved: ReturnState = {
    ...first,
    status: 'awaiting_items',
    history: [...first.history, { status: 'approved', at: approvedAt, reason: 'operator' }, { status: 'awaiting_items', at: approvedAt }],
    decision: {
      outcome: 'approved',
      rule: 'reason_auto_approved',
      why: 'photos show the wrong colour',
      at: approvedAt,
      by: 'test-operator',
    },
    label: { source: 'attached', carrier: 'DHL', trackingNumber: 'JJD000390007835413' },
    version: 2,
  };
  await ctx.stores.returnsView.project(approved);
  const withRa = await api.get(`/orders/${order.id}/documents`);
  expect(withRa.body.documents.slice(2)).toEqual([
    {
      id: raId,
      kind: 'return_authorisation',
      title: `Return authorisation ${raNumberOf(first.returnId)}`,
      contentType: 'application/pdf',
      url: `/documents/${encodeURIComponent(raId)}`,
      returnId: first.returnId,
      number: raNumberOf(first.returnId),
      trackingNumber: 'JJD000390007835413',
    },
  ]);
  const noCredit = await api.get(`/documents/${encodeURIComponent(cnId)}`);
  expect(noCredit.status).toBe(404);
  expect(noCredit.body.error.message).toBe(`Return ${first.returnId} has no credit note: nothing has been refunded for it yet`);

  const priced = { lines: order.lines, shipping: { amount: order.shippingAmount, tax: 0 }, captured: order.totals.total, refunded: 0 };
  const refund = refundFor(DEFAULT_RETURN_POLICY, priced, first.request.lines, false);
  const refunded: ReturnState = {
    ...approved,
    status: 'refunded',
    history: [...approved.history, { status: 'refunded', at: new Date().toISOString() }],
    receipt: { locationId: 'BER-1', scanned: first.request.lines, at: new Date().toISOString(), by: 'desk' },
    refund: {
      ...refund,
      currency: order.currency,
      method: 'original_payment',
      status: 'refunded',
      reference: 'pay-1',
      at: new Date().toISOString(),
    },
    version: 3,
  };
  await ctx.stores.returnsView.project(refunded);
  // A second return, still requested: it lists nothing.
  await ctx.stores.returnsView.create(order.id, undefined, (_earlier, n) => requested(order, n));

  const listed = await api.get(`/orders/${order.id}/documents`);
  expect(ids(listed.body)).toEqual([`doc:packing_slip:${order.id}`, `doc:invoice:${order.id}`, raId, cnId]);
  const cnNumber = creditNoteNumberOf(refunded, order.channelOrderId);
  expect(cnNumber).toBe(`CN-${order.channelOrderId}-1`);
  expect(listed.body.documents[3]).toMatchObject({ kind: 'credit_note', title: `Credit note ${cnNumber}`, number: cnNumber });

  const ra = await fetchPdf(listed.body.documents[2].url);
  expect(ra.res.headers['content-disposition']).toBe(`inline; filename="return-authorisation-${raNumberOf(first.returnId)}.pdf"`);
  expect(ra.text).toContain(`RA number: ${raNumberOf(first.returnId)}`);
  expect(ra.text).toContain(`Order number: ${order.channelOrderId}`);
  expect(ra.text).toContain('Reason: Not as described'); // the policy's label for the reason
  expect(ra.text).toContain('Tracking number: JJD000390007835413');
  expect(ra.text).toMatch(/Send the items to\n.*\nLagerstrasse 1/);

  const cn = await fetchPdf(listed.body.documents[3].url);
  expect(cn.res.headers['content-disposition']).toBe(`inline; filename="credit-note-${cnNumber}.pdf"`);
  expect(cn.text).toContain(`Credit note number: ${cnNumber}`);
  expect(cn.text).toMatch(/^TEE-M 1 €19\.99 €19\.99 €0\.00 €19\.99$/m);
  expect(cn.text).toMatch(/^Total credited €19\.99$/m);
});

test('a rejected or cancelled return lists no authorisation; an unknown return answers 404', async () => {
  const order = await deliveredOrder();
  const { state } = await ctx.stores.returnsView.create(order.id, undefined, (_earlier, n) => requested(order, n));
  await ctx.stores.returnsView.project({
    ...state,
    status: 'rejected',
    history: [...state.history, { status: 'rejected', at: new Date().toISOString() }],
    version: 2,
  });
  expect(ids((await api.get(`/orders/${order.id}/documents`)).body)).toEqual([`doc:packing_slip:${order.id}`, `doc:invoice:${order.id}`]);
  const rejected = await api.get(`/documents/${encodeURIComponent(`doc:return_authorisation:${state.returnId}`)}`);
  expect(rejected.status).toBe(404);
  expect(rejected.body.error.message).toBe(`Return ${state.returnId} is rejected: it has no return authorisation`);

  const unknown = returnWorkflowId(order.id, 9);
  const missing = await api.get(`/documents/${encodeURIComponent(`doc:credit_note:${unknown}`)}`);
  expect(missing.status).toBe(404);
  expect(missing.body.error.message).toBe(`Return ${unknown} does not exist`);
});
