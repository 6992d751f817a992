import { createTestContext, type TestContext } from '../support/stack';
import { apiFor } from '../support/api';
import { eventually, location, orderBody } from '../support/fixtures';
import { parsePdf } from '../support/pdf-text';

// B2B orders over the real stack: billed to a customer account on invoice (net N days) rather than paid
// up front, released at once, invoiced when they ship, due N days later; the buyer's purchase-order number,
// the account and the terms are on the invoice. The bulk import carries the same fields.

let ctx: TestContext;
let api: Awaited<ReturnType<typeof apiFor>>;
const run = String(Date.now()).slice(-7);

beforeAll(async () => {
  ctx = await createTestContext('e2e_b2b_terms');
  api = await apiFor(ctx);
  await ctx.startWorker();
  expect((await api.post('/locations', location('B2B-WH', 1))).status).toBe(201);
  expect((await api.post('/items', { sku: 'B2B-BOLT', name: 'Bolt M8' })).status).toBe(201);
  expect((await api.post('/stock/receipts', { sku: 'B2B-BOLT', locationId: 'B2B-WH', quantity: 5000 })).status).toBe(201);
});
afterAll(async () => ctx.close());

const getOrder = async (id: string) => (await api.get(`/orders/${id}`)).body;
const waitStatus = (id: string, status: string) =>
  eventually(
    () => getOrder(id),
    (o) => o.status === status,
    30_000,
    `${id} to be ${status}`,
  );

test('an order on invoice (net 30) is released without waiting for money, invoiced when it ships, due 30 days later; the invoice names the account, the PO and the terms', async () => {
  const body = orderBody({
    channel: 'b2b',
    channelOrderId: `INV-${run}`,
    customer: { name: 'Acme Industrial GmbH', email: 'ap@acme.example', account: 'ACME-001' },
    purchaseOrderRef: 'PO-4711',
    payment: { method: 'invoice', terms: { netDays: 30 } },
    lines: [{ sku: 'B2B-BOLT', quantity: 1000, unitPrice: 12 }],
  });
  const created = await api.post('/orders', body);
  expect(created.status).toBe(202);
  const id: string = created.body.orderId;
  const released = await waitStatus(id, 'released_to_fulfillment');
  expect(released.payment).toMatchObject({ method: 'invoice', provider: 'invoice', status: 'authorized', terms: { netDays: 30 } });
  expect(released.payment.dueAt).toBeUndefined(); // not invoiced yet
  for (const event of [{ type: 'picked' }, { type: 'packed' }, { type: 'shipped', carrier: 'manual', trackingNumber: `B2B${run}` }])
    expect((await api.post(`/orders/${id}/events`, event)).status).toBe(200);
  const shipped = await eventually(
    () => getOrder(id),
    (o) => o.status === 'shipped' && o.payment.status === 'captured',
    30_000,
    `${id} shipped and invoiced`,
  );
  const shippedAt: string = shipped.history.find((h: { status: string }) => h.status === 'shipped').at;
  const due = new Date(Date.parse(shippedAt) + 30 * 86_400_000).toISOString().slice(0, 10);
  expect(shipped.payment).toMatchObject({ status: 'captured', captured: 12_495, terms: { netDays: 30 }, dueAt: due });
  const journal = await ctx.stores.payments.forOrder(id);
  expect(journal.map((p) => [p.provider, p.operation, p.status, p.amount])).toEqual([
    ['invoice', 'authorize', 'authorized', 12_495],
    ['invoice', 'capture', 'captured', 12_495],
  ]);

  const pdf = await api.getBinary(`/documents/${encodeURIComponent(`doc:invoice:${id}`)}`);
  expect(pdf.status).toBe(200);
  const { text } = await parsePdf(pdf.body as Buffer);
  for (const shown of ['Customer account: ACME-001', 'Your purchase order: PO-4711', 'Payment terms: Net 30 days', `Due: ${due}`])
    expect(text).toContain(shown);
});

test('terms are refused on an order not paid on invoice, required on one that is, and an invoice order cannot be paid already', async () => {
  const cases: [unknown, string, string][] = [
    [{ method: 'invoice' }, 'payment.terms', 'is required to pay on invoice: { "netDays": 30 } for net 30'],
    [{ method: 'prepaid', terms: { netDays: 30 } }, 'payment.terms', 'are for orders paid on invoice (method "invoice")'],
    [
      { method: 'invoice', terms: { netDays: 30 }, alreadyPaid: true },
      'payment.alreadyPaid',
      'an order paid on invoice is paid after it ships',
    ],
    [{ method: 'invoice', terms: { netDays: 400 } }, 'payment.terms.netDays', expect.any(String) as unknown as string],
  ];
  for (const [payment, path, message] of cases) {
    const res = await api.post(
      '/orders',
      orderBody({ channel: 'b2b', channelOrderId: `BAD-${run}`, payment, lines: [{ sku: 'B2B-BOLT', quantity: 1 }] }),
    );
    expect([res.status, res.body.error.details]).toEqual([400, [{ path, message }]]);
  }
  expect((await api.get(`/orders/order:b2b:BAD-${run}`)).status).toBe(404);
});

test('a CSV import carries the account, the purchase order and net days (paid on invoice)', async () => {
  const csv = [
    'order_ref,customer_name,customer_account,purchase_order_ref,net_days,ship_line1,ship_city,ship_postal_code,ship_country,currency,sku,quantity,unit_price',
    `CSV-${run},Beta AG,BETA-7,PO-815,14,Ring 2,Köln,50667,DE,EUR,B2B-BOLT,10,0.12`,
  ].join('\n');
  const res = await api.raw
    .post('/orders/import')
    .set('Authorization', 'Bearer test-api-key-0123456789')
    .set('content-type', 'text/csv')
    .send(csv);
  expect(res.status).toBe(202);
  expect(res.body.problems).toEqual([]);
  const order = await waitStatus(`order:b2b:CSV-${run}`, 'released_to_fulfillment');
  expect(order.order).toMatchObject({
    customer: { account: 'BETA-7' },
    purchaseOrderRef: 'PO-815',
    payment: { method: 'invoice', terms: { netDays: 14 } },
  });
});
