import { createTestContext, type TestContext } from '../support/stack';
import { apiFor } from '../support/api';
import { eventually, orderBody } from '../support/fixtures';

// B2B bulk orders over the real stack: a 1,000-row CSV (500 orders of two lines) with 20 bad rows is
// checked row by row, the 480 good orders are captured by an import workflow, and uploading the same file
// again captures nothing; a corrected file captures only the 20 that were missing.

let ctx: TestContext;
let api: Awaited<ReturnType<typeof apiFor>>;
const run = String(Date.now()).slice(-7);
const CHANNEL = `imp${run}`;
const KEY = 'Bearer test-api-key-0123456789';

beforeAll(async () => {
  ctx = await createTestContext('e2e_import');
  api = await apiFor(ctx);
  await ctx.startWorker();
  for (const sku of ['IMP-BOLT', 'IMP-NUT']) expect((await api.post('/items', { sku, name: sku })).status).toBe(201);
});
afterAll(async () => ctx.close());

const HEADER =
  'channel,order_ref,customer_name,customer_email,ship_line1,ship_city,ship_postal_code,ship_country,currency,sku,quantity,unit_price,shipping';

// Order i's two rows; `bad` spoils one of them in one of four ways.
function rowsOf(i: number, bad?: 'sku' | 'quantity' | 'country' | 'currency'): string[] {
  const ref = `PO-${run}-${String(i).padStart(4, '0')}`;
  return [
    `${CHANNEL},${ref},"Buyer ${i}, GmbH",buyer${i}@b2b.example,Industriestr. ${i},Berlin,10115,${bad === 'country' ? 'Germany' : 'DE'},EUR,IMP-BOLT,${100 + i},0.12,25.00`,
    `${CHANNEL},${ref},,,,,,,${bad === 'currency' ? 'USD' : ''},${bad === 'sku' ? 'IMP-WASHER' : 'IMP-NUT'},${bad === 'quantity' ? 'lots' : 200},0.05,`,
  ];
}
const BAD = ['sku', 'quantity', 'country', 'currency'] as const;
const file = (badOrders: number) =>
  [HEADER, ...Array.from({ length: 500 }, (_, i) => rowsOf(i, i < badOrders ? BAD[i % 4] : undefined)).flat()].join('\r\n') + '\r\n';

const upload = (body: string, type = 'text/csv') =>
  api.raw.post('/orders/import').set('Authorization', KEY).set('content-type', type).send(body);
const waitImport = (id: string) =>
  eventually(
    async () => (await api.get(`/imports/${id}`)).body,
    (v) => v.status === 'completed',
    240_000,
    `import ${id} to complete`,
  );
async function ordersOfChannel(): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await ctx.stores.orders.list({ channel: CHANNEL, limit: 200, ...(cursor && { cursor }) });
    ids.push(...page.orders.map((o) => o.orderId));
    cursor = page.nextCursor;
  } while (cursor);
  return ids;
}

test('a 1,000-row CSV with 20 bad rows: every problem named by row and column, the 480 good orders captured once, the same file again captures nothing', async () => {
  const csv = file(20);
  const first = await upload(csv);
  expect(first.status).toBe(202);
  expect(first.body).toMatchObject({ format: 'csv', rows: 1000, orders: 480, invalidRows: 20, refusedOrders: 20, problemCount: 20 });
  // Order i's rows are 2i+2 and 2i+3 (the header is row 1).
  expect(first.body.problems.slice(0, 4)).toEqual([
    { row: 3, column: 'sku', message: 'unknown sku IMP-WASHER: create it with POST /items first' },
    { row: 5, column: 'quantity', message: '"lots" is not a whole number' },
    { row: 6, column: 'ship_country', message: 'must be an ISO 3166-1 alpha-2 code such as "DE"' },
    { row: 9, column: 'currency', message: `is "USD" but row 8 of order PO-${run}-0003 says "EUR"` },
  ]);
  expect(new Set(first.body.problems.map((p: { row: number }) => p.row)).size).toBe(20);
  const importId: string = first.body.importId;
  expect(importId).toMatch(/^imp_[0-9a-f]{32}$/);

  const done = await waitImport(importId);
  expect(done.progress).toEqual({ chunks: 5, chunksDone: 5, captured: 480, duplicates: 0, pending: 0 });
  const captured = await ordersOfChannel();
  expect(captured).toHaveLength(480);
  expect(new Set(captured).size).toBe(480);
  const one = (await api.get(`/orders/order:${CHANNEL}:PO-${run}-0020`)).body;
  expect(one.order).toMatchObject({
    customer: { name: 'Buyer 20, GmbH', email: 'buyer20@b2b.example' },
    shippingAmount: 2500,
    lines: [
      { sku: 'IMP-BOLT', quantity: 120, unitPrice: 12 },
      { sku: 'IMP-NUT', quantity: 200, unitPrice: 5 },
    ],
  });
  expect((await api.get(`/orders/order:${CHANNEL}:PO-${run}-0000`)).status).toBe(404);

  // The same file again: the same import, nothing new.
  const again = await upload(csv);
  expect(again.status).toBe(200);
  expect(again.body).toMatchObject({ importId, status: 'completed', progress: { captured: 480, duplicates: 0 } });
  expect(await ordersOfChannel()).toHaveLength(480);

  // The file corrected: a new import, whose only new orders are the 20 that were refused.
  const fixed = await upload(file(0));
  expect(fixed.status).toBe(202);
  expect(fixed.body).toMatchObject({ rows: 1000, orders: 500, invalidRows: 0, problems: [] });
  expect(fixed.body.importId).not.toBe(importId);
  const fixedDone = await waitImport(fixed.body.importId);
  expect(fixedDone.progress).toMatchObject({ captured: 20, duplicates: 480 });
  expect(await ordersOfChannel()).toHaveLength(500);
}, 600_000);

test('JSON imports take orders as POST /orders does; a file with no good order, or of another type, is refused and writes nothing', async () => {
  const good = orderBody({ channel: CHANNEL, channelOrderId: `J-${run}-1`, lines: [{ sku: 'IMP-BOLT', quantity: 2 }] });
  const bad = orderBody({ channel: CHANNEL, channelOrderId: `J-${run}-2`, lines: [{ sku: 'IMP-BOLT', quantity: 0 }] });
  const mixed = await upload(JSON.stringify({ orders: [good, bad] }), 'application/json');
  expect(mixed.status).toBe(202);
  expect(mixed.body).toMatchObject({ format: 'json', rows: 2, orders: 1, refusedOrders: 1 });
  expect(mixed.body.problems).toEqual([{ row: 2, column: 'lines.0.quantity', message: 'must be at least 1' }]);
  await waitImport(mixed.body.importId);
  expect((await api.get(`/orders/order:${CHANNEL}:J-${run}-1`)).status).toBe(200);

  const none = await upload(JSON.stringify({ orders: [bad] }), 'application/json');
  expect(none.status).toBe(400);
  expect(none.body.error.details).toEqual([{ path: 'rows.1.lines.0.quantity', message: 'must be at least 1' }]);
  expect((await api.get(`/orders/order:${CHANNEL}:J-${run}-2`)).status).toBe(404);

  const header = await upload('order_ref,colour\nX,red\n');
  expect(header.status).toBe(400);
  expect(header.body.error.details).toContainEqual({ path: 'rows.1.colour', message: expect.stringMatching(/^unknown column/) });

  const other = await upload('<orders/>', 'application/xml');
  expect(other.status).toBe(400);
  expect(other.body.error.details).toEqual([
    { path: '(body)', message: 'must be text/csv (one row per order line) or application/json ({ orders: [...] })' },
  ]);
  expect((await api.get('/imports/imp_nope')).status).toBe(400);
  expect((await api.get(`/imports/imp_${'0'.repeat(32)}`)).status).toBe(404);
});
