import { createTestContext, uniqueId, type TestContext } from '../support/stack';
import { apiFor } from '../support/api';
import { eventually, orderBody } from '../support/fixtures';
import { parsePdf } from '../support/pdf-text';
import { formatMoney } from '../../documents';
import { invoiceNumberOf } from '../../services/documents';

let ctx: TestContext;
let api: Awaited<ReturnType<typeof apiFor>>;

// One Berlin warehouse. Serpentine walking order: aisle 1 up (shelf 1 then 3), aisle 2 back down
// (shelf 5 then 1), then zone B.
const BINS: Record<string, string> = { 'TEE-S': 'A-01-3', 'TEE-M': 'A-01-1', 'MUG-1': 'A-02-5', 'CAP-1': 'A-02-1', 'BAG-1': 'b-1-2' };
const WALK = ['A-01-1', 'A-01-3', 'A-02-5', 'A-02-1', 'B-01-2'];
const SKUS = Object.keys(BINS);
const BARCODE: Record<string, string> = { 'TEE-S': '4006381333931' };

// 20 orders, each two skus with 1 to 3 units: quantity per order and sku, to check the summed stops.
const run = uniqueId('PK');
const orderLines = (i: number) => [
  { sku: SKUS[i % 5], quantity: 1 + (i % 3) },
  { sku: SKUS[(i + 2) % 5], quantity: 1 },
];
const demand = new Map<string, { sku: string; quantity: number }[]>();
const channelOrderIds: string[] = [];
let expedited: string;

beforeAll(async () => {
  ctx = await createTestContext('api_picking');
  // Retries as in production: 20 orders reserving the same skus while other suites load the stack can time out once.
  api = await apiFor(ctx, { activityMaxAttempts: 6, activityInitialIntervalMs: 200 });
  await ctx.startWorker();
  const loc = {
    id: 'BER-1',
    name: 'Berlin',
    type: 'warehouse',
    address: { line1: 'Lagerstrasse 1', city: 'Berlin', postalCode: '10117', country: 'DE' },
    priority: 1,
  };
  expect((await api.post('/locations', loc)).status).toBe(201);
  for (const sku of [...SKUS, 'SOCK-1']) {
    expect((await api.post('/items', { sku, name: `Item ${sku}`, ...(BARCODE[sku] && { barcode: BARCODE[sku] }) })).status).toBe(201);
    expect((await api.post('/stock/receipts', { sku, locationId: 'BER-1', quantity: 500 })).status).toBe(201);
  }
  const ids: string[] = [];
  for (let i = 0; i < 20; i++) {
    const channelOrderId = `${run}-${String(i).padStart(2, '0')}`;
    // The last order is expedited: it ranks first though it is the youngest.
    const res = await api.post('/orders', orderBody({ channelOrderId, lines: orderLines(i), ...(i === 19 && { priority: 'expedite' }) }));
    expect(res.status).toBe(202);
    ids.push(res.body.orderId);
    if (i === 19) expedited = res.body.orderId;
    demand.set(res.body.orderId, orderLines(i));
    channelOrderIds.push(channelOrderId);
  }
  for (const id of ids) {
    await eventually(
      async () => (await api.get(`/orders/${id}`)).body,
      (o) => o.status === 'released_to_fulfillment',
      150_000,
      `${id} to be released`,
    );
  }
}, 300_000);
afterAll(async () => ctx?.close());

interface Stop {
  bin: string | null;
  sku: string;
  totalQuantity: number;
  orders: { orderId: string; quantity: number }[];
}
let first: { id: string; orderIds: string[]; stops: Stop[] };
let second: { id: string; orderIds: string[] }[];

describe('warehouse work through the API', () => {
  test('bin locations are set per location, unknown skus and locations are refused by name', async () => {
    const bad = await api.put('/locations/BER-1/bins', { bins: { ...BINS, 'GHOST-1': 'A-01-1', 'GHOST-2': 'A-01-2', 'MUG-1': 'A-1' } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.map((d: { path: string }) => d.path)).toEqual(expect.arrayContaining(['bins.MUG-1']));
    const unknownSkus = await api.put('/locations/BER-1/bins', { bins: { ...BINS, 'GHOST-1': 'A-01-1', 'GHOST-2': 'A-01-2' } });
    expect(unknownSkus.status).toBe(400);
    expect(unknownSkus.body.error.details).toEqual([
      { path: 'bins.GHOST-1', message: 'unknown sku GHOST-1' },
      { path: 'bins.GHOST-2', message: 'unknown sku GHOST-2' },
    ]);
    expect((await api.put('/locations/NOWHERE/bins', { bins: BINS })).status).toBe(404);
    expect((await api.get('/locations/BER-1/bins')).body.bins).toEqual({});

    const ok = await api.put('/locations/BER-1/bins', { bins: BINS });
    expect(ok.status).toBe(200);
    expect(ok.body.bins['BAG-1']).toBe('B-01-2'); // stored in canonical form
    expect((await api.get('/locations/BER-1/bins')).body).toMatchObject({
      locationId: 'BER-1',
      bins: { 'TEE-M': 'A-01-1', 'BAG-1': 'B-01-2' },
      updatedBy: 'test-operator',
    });
  });

  test('a picklist visits each bin once in walking order with the quantities of its orders summed', async () => {
    const res = await api.post('/picklists', { locationId: 'BER-1', criteria: { maxOrders: 12 } });
    expect(res.status).toBe(201);
    const { picklist, progress } = res.body;
    expect(picklist.id).toMatch(/^PL-BER-1-\d{8}T\d{6}-[0-9a-f]{6}$/);
    expect(picklist.orderIds).toHaveLength(12);
    expect(picklist.orderIds[0]).toBe(expedited);
    expect(picklist.leftOut.filter((l: { reason: string }) => l.reason === 'batch_full')).toHaveLength(8);
    expect(picklist.stops.map((s: Stop) => s.bin)).toEqual(WALK);
    expect(picklist.unlocated).toEqual([]);
    for (const stop of picklist.stops as Stop[]) {
      const expected = picklist.orderIds.reduce(
        (n: number, id: string) => n + (demand.get(id)!.find((l) => l.sku === stop.sku)?.quantity ?? 0),
        0,
      );
      expect({ sku: stop.sku, total: stop.totalQuantity }).toEqual({ sku: stop.sku, total: expected });
      expect(stop.orders.reduce((n, o) => n + o.quantity, 0)).toBe(expected);
    }
    expect(progress).toMatchObject({ status: 'picking', currentStop: { sku: 'TEE-M', bin: 'A-01-1' } });
    first = { id: picklist.id, orderIds: picklist.orderIds, stops: picklist.stops };
  });

  test('two picklists made at once never share an order, and an empty backlog answers 409', async () => {
    const [a, b] = await Promise.all([api.post('/picklists', { locationId: 'BER-1' }), api.post('/picklists', { locationId: 'BER-1' })]);
    const made = [a, b].filter((r) => r.status === 201);
    for (const r of [a, b]) expect([201, 409]).toContain(r.status);
    second = made.map((r) => ({ id: r.body.picklist.id, orderIds: r.body.picklist.orderIds }));
    const all = second.flatMap((l) => l.orderIds);
    expect(new Set(all).size).toBe(all.length);
    expect(all.filter((id) => first.orderIds.includes(id))).toEqual([]);
    expect(all).toHaveLength(8); // every remaining order, each once

    const empty = await api.post('/picklists', { locationId: 'BER-1' });
    expect(empty.status).toBe(409);
    expect(empty.body.error.message).toMatch(
      /No released orders at BER-1 are waiting for a picklist \(20 released at BER-1, 20 already on a picklist\)/,
    );
  });

  test('a wrong item and an over-pick are refused with a clear 409, and nothing is recorded', async () => {
    const wrong = await api.post(`/picklists/${first.id}/scans`, { code: 'SOCK-1', quantity: 1 });
    expect(wrong.status).toBe(409);
    expect(wrong.body.error.message).toBe(`Scanned SOCK-1 but the current stop is TEE-M at A-01-1: SOCK-1 is not on picklist ${first.id}`);
    const unknown = await api.post(`/picklists/${first.id}/scans`, { code: '9999999999', quantity: 1 });
    expect(unknown.body.error.message).toMatch(/no item on picklist .* has this barcode or sku/);

    const tee = first.stops[0];
    const over = await api.post(`/picklists/${first.id}/scans`, { code: 'TEE-M', quantity: tee.totalQuantity + 1 });
    expect(over.status).toBe(409);
    expect(over.body.error.message).toBe(
      `Picked ${tee.totalQuantity + 1} of TEE-M but only ${tee.totalQuantity} ${tee.totalQuantity === 1 ? 'is' : 'are'} on the list`,
    );
    expect((await api.get(`/picklists/${first.id}`)).body.progress.totals).toMatchObject({ picked: 0, short: 0, events: 0 });
  });

  test('a repeated scan is applied once, and concurrent scanners take exactly what the list needs', async () => {
    const key = `scan-${run}-1`;
    const once = await api.post(`/picklists/${first.id}/scans`, { code: 'TEE-M', quantity: 1, idempotencyKey: key });
    expect(once.status).toBe(201);
    const again = await api.post(`/picklists/${first.id}/scans`, { code: 'TEE-M', quantity: 1, idempotencyKey: key });
    expect(again.status).toBe(200);
    expect(again.body.duplicate).toBe(true);
    expect(again.body.progress.totals.picked).toBe(1);
    const reused = await api.post(`/picklists/${first.id}/scans`, { code: 'TEE-M', quantity: 2, idempotencyKey: key });
    expect(reused.status).toBe(409);

    // Every unit of TEE-M still to pick, plus two more, scanned one at a time by parallel scanners.
    const remaining = first.stops[0].totalQuantity - 1;
    const results = await Promise.all(
      Array.from({ length: remaining + 2 }, () => api.post(`/picklists/${first.id}/scans`, { code: 'TEE-M', quantity: 1 })),
    );
    expect(results.filter((r) => r.status === 201)).toHaveLength(remaining);
    expect(results.filter((r) => r.status === 409)).toHaveLength(2);
    const state = (await api.get(`/picklists/${first.id}`)).body.progress;
    expect(state.stops[0]).toMatchObject({ sku: 'TEE-M', picked: first.stops[0].totalQuantity, expected: first.stops[0].totalQuantity });
    expect(state.currentStop).toMatchObject({ sku: 'TEE-S', bin: 'A-01-3' });
  });

  test('scans in any order complete the list; the barcode counts for its sku; finished orders are reported picked', async () => {
    const reported: string[] = [];
    for (const stop of [...first.stops.slice(1)].reverse()) {
      const res = await api.post(`/picklists/${first.id}/scans`, { code: BARCODE[stop.sku] ?? stop.sku, quantity: stop.totalQuantity });
      expect(`${res.status} ${res.body.error?.message ?? ''}`).toBe('201 ');
      reported.push(...res.body.pickedOrders);
    }
    expect([...new Set(reported)].sort()).toEqual([...first.orderIds].sort());
    const { body } = await api.get(`/picklists/${first.id}`);
    expect(body.progress.status).toBe('complete');
    expect(body.progress.currentStop).toBeNull();
    expect(body.progress.pickedByOrder.map((o: { orderId: string }) => o.orderId)).toEqual(first.orderIds);
    for (const o of body.progress.pickedByOrder) for (const l of o.lines) expect(l.picked).toBe(l.quantity);
    // Every order on the finished list is reported picked to its workflow.
    for (const id of first.orderIds)
      await eventually(
        async () => (await api.get(`/orders/${id}`)).body.status,
        (st) => st === 'picked',
        30_000,
        `${id} to be picked`,
      );
    const late = await api.post(`/picklists/${first.id}/scans`, { code: 'MUG-1', quantity: 1 });
    expect(late.status).toBe(409);
    expect(late.body.error.message).toMatch(/nothing is left to pick/);
  });

  test('a short pick answers the order lines made short, lowest-ranked order first, and routes that order again without this location', async () => {
    // The two racing lists split the orders differently each run: use one with a stop shared by two orders.
    const lists = await Promise.all(second.map(async (l) => (await api.get(`/picklists/${l.id}`)).body));
    const list = lists.find((l) => l.picklist.stops.some((s: Stop) => s.orders.length >= 2));
    expect(list).toBeDefined();
    const stop = list.picklist.stops.find((s: Stop) => s.orders.length >= 2) as Stop;
    const pick = { id: list.picklist.id as string };
    const lastOrder = stop.orders[stop.orders.length - 1];
    const key = `short-${run}-1`;
    const res = await api.post(`/picklists/${pick.id}/short`, { sku: stop.sku, missingQuantity: 1, idempotencyKey: key });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      shortLines: [{ orderId: lastOrder.orderId, sku: stop.sku, quantity: 1 }],
      reroutes: [{ orderId: lastOrder.orderId, outcome: 'requested' }],
    });
    const again = await api.post(`/picklists/${pick.id}/short`, { sku: stop.sku, missingQuantity: 1, idempotencyKey: key });
    expect(again.body).toMatchObject({ duplicate: true, shortLines: res.body.shortLines, reroutes: [] });
    // Berlin is the only warehouse: the order gives its reservation back and waits for stock elsewhere.
    const moved = await eventually(
      async () => (await api.get(`/orders/${lastOrder.orderId}`)).body,
      (o) => o.status === 'awaiting_stock',
      30_000,
      'the short order to be routed again',
    );
    expect(moved.rejections).toEqual([
      expect.objectContaining({ locationId: 'BER-1', reason: 'not_in_stock', skus: [stop.sku], note: `short pick on ${pick.id}` }),
    ]);
    expect(moved.allocation).toBeUndefined();
    expect(
      (await api.get(`/stock/${stop.sku}`)).body.locations.find((l: { locationId: string }) => l.locationId === 'BER-1').available,
    ).toBe(0);
    const after = (await api.get(`/picklists/${pick.id}`)).body.progress;
    expect(after.stops.find((s: { sku: string }) => s.sku === stop.sku)).toMatchObject({ short: 1 });
    const tooMany = await api.post(`/picklists/${pick.id}/short`, { sku: stop.sku, missingQuantity: stop.totalQuantity });
    expect(tooMany.status).toBe(409);
    expect(tooMany.body.error.message).toMatch(/^Cannot mark \d+ of .* short: only \d+ of the \d+ on the list/);
    expect((await api.post(`/picklists/${pick.id}/short`, { sku: 'SOCK-1', missingQuantity: 1 })).status).toBe(404);
  });

  test('closing a half-picked list keeps its fully picked orders and frees the others for the next list; a closed list takes no scans', async () => {
    // Three more orders, released to BER-1, on a list of their own (SOCK-1: the short pick above wrote off another sku).
    const fresh: string[] = [];
    for (let i = 0; i < 3; i++)
      fresh.push(
        (await api.post('/orders', orderBody({ channelOrderId: `${run}-close-${i}`, lines: [{ sku: 'SOCK-1', quantity: 1 + i }] }))).body
          .orderId,
      );
    for (const id of fresh)
      await eventually(
        async () => (await api.get(`/orders/${id}`)).body.status,
        (st) => st === 'released_to_fulfillment',
        60_000,
        `${id} to be released`,
      );
    const made = await api.post('/picklists', { locationId: 'BER-1' });
    expect(made.status).toBe(201);
    const list = made.body.picklist as { id: string; orderIds: string[]; stops: Stop[]; unlocated: Stop[] };
    expect([...list.orderIds].sort()).toEqual([...fresh].sort());
    // Pick the top-ranked order's units only: scans fill the orders at a stop in rank order.
    const top = list.orderIds[0];
    const before = (await api.get(`/picklists/${list.id}`)).body.progress;
    const open = new Map<string, number>(
      before.stops.flatMap((s: { sku: string; orders: { orderId: string; quantity: number; picked: number; short: number }[] }) =>
        s.orders.filter((o) => o.orderId === top).map((o) => [s.sku, o.quantity - o.picked - o.short]),
      ),
    );
    const reported: string[] = [];
    for (const [sku, quantity] of open) {
      if (quantity === 0) continue;
      const scan = await api.post(`/picklists/${list.id}/scans`, { code: sku, quantity });
      expect(`${scan.status} ${scan.body.error?.message ?? ''}`).toBe('201 ');
      reported.push(...scan.body.pickedOrders);
    }
    expect(reported).toContain(top);

    const closed = await api.post(`/picklists/${list.id}/close`, { reason: 'end of shift' });
    expect(closed.status).toBe(201);
    expect(closed.body.kept).toEqual([top]);
    expect([...closed.body.released].sort()).toEqual(list.orderIds.filter((o) => o !== top).sort());
    expect(closed.body.progress.status).toBe('closed');
    const late = await api.post(`/picklists/${list.id}/scans`, { code: list.stops[0]?.sku ?? list.unlocated[0].sku, quantity: 1 });
    expect(late.status).toBe(409);
    expect(late.body.error.message).toBe(`Picklist ${list.id} is closed: nothing more is picked on it`);
    expect(
      (await api.post(`/picklists/${list.id}/short`, { sku: list.stops[0]?.sku ?? list.unlocated[0].sku, missingQuantity: 1 })).status,
    ).toBe(409);
    const again = await api.post(`/picklists/${list.id}/close`, {});
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ duplicate: true, kept: [top], released: closed.body.released });
    expect((await api.post(`/picklists/${list.id}/close`, { reason: '' })).status).toBe(400);

    // The freed orders go on the next list.
    const next = await api.post('/picklists', { locationId: 'BER-1' });
    expect(next.status).toBe(201);
    expect([...next.body.picklist.orderIds].sort()).toEqual(closed.body.released.sort());
  });

  test('an order lists its packing slip, invoice and picklist, and each renders as a PDF', async () => {
    const orderId = first.orderIds[0];
    const order = (await api.get(`/orders/${orderId}`)).body;
    const listed = await api.get(`/orders/${orderId}/documents`);
    expect(listed.status).toBe(200);
    expect(listed.body.documents.map((d: { id: string }) => d.id)).toEqual([
      `doc:packing_slip:${orderId}`,
      `doc:invoice:${orderId}`,
      `doc:picklist:${first.id}`,
    ]);
    const skus = demand.get(orderId)!.map((l) => l.sku);

    const fetchPdf = async (url: string) => {
      const res = await api.getBinary(url);
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe('application/pdf');
      return { res, pdf: await parsePdf(res.body as Buffer) };
    };
    const [slip, invoice, picklist] = listed.body.documents as { url: string }[];

    const s = await fetchPdf(slip.url);
    expect(s.res.headers['content-disposition']).toBe(`inline; filename="packing-slip-${order.channelOrderId}.pdf"`);
    expect(s.pdf.text).toContain(`Order number: ${order.channelOrderId}`);
    for (const sku of skus) expect(s.pdf.text).toMatch(new RegExp(`^${sku} `, 'm'));
    expect(s.pdf.text).toMatch(/Lagerstrasse 1/); // ship from: the allocated warehouse

    const inv = await fetchPdf(invoice.url);
    expect(inv.pdf.text).toContain(`Invoice ${invoiceNumberOf(orderId)}`);
    expect(inv.pdf.text).toContain(`Order number: ${order.channelOrderId}`);
    expect(inv.pdf.text).toContain('Orderhub merchant');
    for (const sku of skus) expect(inv.pdf.text).toMatch(new RegExp(`^${sku} `, 'm'));
    expect(inv.pdf.text).toMatch(new RegExp(`^Total ${formatMoney(order.order.totals.total, 'EUR').replace(/[.$]/g, '\\$&')}$`, 'm'));

    const pl = await fetchPdf(picklist.url);
    expect(pl.pdf.text).toContain(first.id);
    for (const sku of SKUS) expect(pl.pdf.text).toMatch(new RegExp(`\\b${sku}\\b`));

    // Shipped by a local courier that issues no label (no carrier rules here): Orderhub renders one.
    expect((await api.post(`/orders/${orderId}/events`, { type: 'packed' })).status).toBe(200);
    expect(
      (await api.post(`/orders/${orderId}/events`, { type: 'shipped', carrier: 'Kurier Berlin', trackingNumber: 'KB20261122X7' })).status,
    ).toBe(200);
    await eventually(
      async () => (await api.get(`/orders/${orderId}`)).body.status,
      (st) => st === 'shipped',
      30_000,
      `${orderId} to be shipped`,
    );
    const withLabel = (await api.get(`/orders/${orderId}/documents`)).body.documents as {
      id: string;
      kind: string;
      url: string;
      source?: string;
      trackingNumber?: string;
    }[];
    const label = withLabel.find((d) => d.kind === 'shipping_label');
    expect(label).toMatchObject({ id: `doc:shipping_label:${orderId}`, source: 'orderhub', trackingNumber: 'KB20261122X7' });
    const lbl = await fetchPdf(label!.url);
    expect(lbl.pdf.text).toContain('Kurier Berlin');
    expect(lbl.pdf.text).toContain('KB20 2611 22X7');
    expect(lbl.pdf.text).toContain(order.channelOrderId);
    expect(lbl.pdf.text).toMatch(/Lagerstrasse 1/);
    const parcel2 = await api.get(`/documents/${encodeURIComponent(`doc:shipping_label:${orderId}|parcel:2`)}`);
    expect(parcel2.status).toBe(404);
    expect(parcel2.body.error.message).toBe(`Order ${orderId} has 1 parcel(s), not 2`);
  });

  test('the OpenAPI document describes every warehouse route', async () => {
    const doc = (await api.raw.get('/openapi.json')).body;
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/locations/{id}/bins',
        '/picklists',
        '/picklists/{id}',
        '/picklists/{id}/scans',
        '/picklists/{id}/short',
        '/picklists/{id}/close',
        '/orders/{id}/documents',
        '/documents/{id}',
      ]),
    );
    expect(Object.keys(doc.paths['/locations/{id}/bins'])).toEqual(['get', 'put']);
    expect(doc.components.schemas.PicklistRequest.required).toEqual(['locationId']);
  });

  test('unknown and malformed document ids are 404 and 400 with clear messages', async () => {
    const missing = await api.get(`/documents/${encodeURIComponent(`doc:invoice:order:manual:NOPE-${run}`)}`);
    expect(missing.status).toBe(404);
    expect(missing.body.error.message).toBe(`Order order:manual:NOPE-${run} does not exist`);
    const noList = await api.get(`/documents/${encodeURIComponent('doc:picklist:PL-BER-1-20250101T000000-abcdef')}`);
    expect(noList.status).toBe(404);
    const kind = await api.get(`/documents/${encodeURIComponent('doc:receipt:order:manual:1')}`);
    expect(kind.status).toBe(400);
    expect(kind.body.error.details).toEqual([
      {
        path: 'id',
        message: 'kind receipt is not one of packing_slip, invoice, shipping_label, picklist, return_authorisation, credit_note',
      },
    ]);
    const shape = await api.get('/documents/invoice-1');
    expect(shape.status).toBe(400);
    expect(shape.body.error.details[0]).toEqual({ path: 'id', message: expect.stringMatching(/^must look like doc:<kind>:<id>/) });
  });
});
