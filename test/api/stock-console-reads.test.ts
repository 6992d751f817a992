import { createTestContext, uniqueId, type TestContext } from '../support/stack';
import { apiFor } from '../support/api';
import { eventually, location, orderBody } from '../support/fixtures';
import { migrate } from '../../store/migrations';

// The reads the console's Stock and Warehouse pages are built on: a sku's ledger at one location newest
// first, the low-stock list, and a location's picklists.

let ctx: TestContext;
let api: Awaited<ReturnType<typeof apiFor>>;
const run = uniqueId('CR').replace(/-/g, '');
const BER = `BER${run}`.slice(0, 40);
const HAM = `HAM${run}`.slice(0, 40);

beforeAll(async () => {
  ctx = await createTestContext('api_console_reads');
  api = await apiFor(ctx);
  await ctx.startWorker();
  expect((await api.post('/locations', location(BER, 1))).status).toBe(201);
  expect((await api.post('/locations', location(HAM, 2))).status).toBe(201);
}, 120_000);
afterAll(async () => ctx?.close());

const item = async (sku: string, barcode?: string) =>
  expect((await api.post('/items', { sku, name: `Item ${sku}`, ...(barcode && { barcode }) })).status).toBe(201);
const receive = async (sku: string, locationId: string, quantity: number) =>
  expect((await api.post('/stock/receipts', { sku, locationId, quantity })).status).toBe(201);

describe("a sku's ledger at one location", () => {
  const sku = `LED-${run}`;
  const ledger = (q = '') => api.get(`/stock/${sku}/locations/${BER}/ledger${q}`);

  beforeAll(async () => {
    await item(sku);
    // Seven entries at BER (receipts of 1..5, then -2 and +3 counted), one at HAM.
    for (let q = 1; q <= 5; q++) await receive(sku, BER, q);
    await receive(sku, HAM, 100);
    for (const delta of [-2, 3])
      expect(
        (await api.post('/stock/adjustments', { sku, locationId: BER, delta, reason: 'cycle_count', note: `count ${delta}` })).status,
      ).toBe(201);
  });

  test('reads newest first, a page at a time, down to the first entry and no further', async () => {
    const first = await ledger('?limit=3');
    expect(first.status).toBe(200);
    expect(first.body.entries.map((e: { seq: number }) => e.seq)).toEqual([7, 6, 5]);
    expect(first.body.entries[0]).toMatchObject({
      sku,
      locationId: BER,
      type: 'adjustment',
      quantity: 3,
      reason: 'cycle_count',
      note: 'count 3',
      balance: { onHand: 16, available: 16, reserved: 0 },
      actor: 'test-operator',
    });
    expect(first.body.nextBefore).toBe(5);
    const second = await ledger(`?limit=3&before=${first.body.nextBefore}`);
    expect(second.body.entries.map((e: { seq: number; quantity: number }) => [e.seq, e.quantity])).toEqual([
      [4, 4],
      [3, 3],
      [2, 2],
    ]);
    const last = await ledger(`?limit=3&before=${second.body.nextBefore}`);
    expect(last.body.entries.map((e: { seq: number }) => e.seq)).toEqual([1]);
    expect(last.body.nextBefore).toBeNull();
    // The default page holds all seven; no entry of the other location is in it.
    const all = await ledger();
    expect(all.body.entries).toHaveLength(7);
    expect(all.body.nextBefore).toBeNull();
    expect(new Set(all.body.entries.map((e: { locationId: string }) => e.locationId))).toEqual(new Set([BER]));
  });

  test('a page that ends exactly on the first entry says there is no next page', async () => {
    const page = await ledger('?limit=7');
    expect(page.body.entries).toHaveLength(7);
    expect(page.body.nextBefore).toBeNull();
  });

  test('a location the sku never moved at has an empty ledger; an unknown sku or location is a 404 naming it', async () => {
    const other = `LED2-${run}`;
    await item(other);
    expect((await api.get(`/stock/${other}/locations/${BER}/ledger`)).body).toEqual({
      sku: other,
      locationId: BER,
      entries: [],
      nextBefore: null,
    });
    const noSku = await api.get(`/stock/GHOST-${run}/locations/${BER}/ledger`);
    expect(noSku.status).toBe(404);
    expect(noSku.body.error.message).toContain(`GHOST-${run}`);
    const noLocation = await api.get(`/stock/${sku}/locations/NOWHERE-${run}/ledger`);
    expect(noLocation.status).toBe(404);
    expect(noLocation.body.error.message).toContain(`NOWHERE-${run}`);
  });
});

describe('low-stock items', () => {
  const LOW = `LOW-${run}`;
  const FULL = `FULL-${run}`;
  const COMING = `COMING-${run}`;
  const HAMLOW = `HAMLOW-${run}`;
  const supplierId = `sup-${run}`.toLowerCase().slice(0, 32);

  async function recompute(runId: string) {
    const started = await api.post('/replenishment/recompute', { runId });
    expect(started.status).toBe(202);
    await ctx.temporal.workflow.getHandle(started.body.workflowId).result();
  }

  test('lists every sku and location at or below its reorder point, inbound counted, and follows the live stock', async () => {
    expect((await api.get('/low-stock')).body).toEqual({ runId: null, computedAt: null, items: [] });

    for (const sku of [LOW, FULL, COMING, HAMLOW]) await item(sku);
    const supplier = { id: supplierId, name: 'Low & Co', leadTimeDays: 5, currency: 'EUR', contact: { email: 'po@low.test' } };
    expect((await api.post('/suppliers', supplier)).status).toBe(201);
    const byHand = (locationId: string) => ({ locations: [{ locationId, reorderPoint: 10, orderUpTo: 50 }] });
    for (const sku of [LOW, FULL, COMING]) expect((await api.put(`/replenishment/settings/${sku}`, byHand(BER))).status).toBe(200);
    expect((await api.put(`/replenishment/settings/${HAMLOW}`, byHand(HAM))).status).toBe(200);
    await receive(LOW, BER, 4); // 4 <= 10: low
    await receive(FULL, BER, 30); // above
    await receive(COMING, BER, 2); // 2 + 20 inbound: above
    await receive(HAMLOW, HAM, 10); // exactly at its reorder point: low
    const po = { supplierId, locationId: BER, status: 'open', lines: [{ sku: COMING, quantity: 20, unitCost: 100 }] };
    expect((await api.post('/purchase-orders', po)).status).toBe(201);
    await recompute(`low-${run}-1`);

    const low = await api.get('/low-stock');
    expect(low.status).toBe(200);
    expect(low.body.runId).toBe(`low-${run}-1`);
    expect(low.body.items).toEqual([
      {
        sku: LOW,
        locationId: BER,
        onHand: 4,
        available: 4,
        inbound: 0,
        position: 4,
        reorderPoint: 10,
        orderUpTo: 50,
        toOrder: 46,
        source: 'manual',
        supplierId: null,
      },
      expect.objectContaining({ sku: HAMLOW, locationId: HAM, position: 10, toOrder: 40 }),
    ]);
    expect((await api.get(`/low-stock?locationId=${HAM}`)).body.items.map((i: { sku: string }) => i.sku)).toEqual([HAMLOW]);

    // Received above the reorder point: off the list at once, without another recompute.
    await receive(LOW, BER, 20);
    expect((await api.get(`/low-stock?locationId=${BER}`)).body.items).toEqual([]);
    const unknown = await api.get(`/low-stock?locationId=NOWHERE-${run}`);
    expect(unknown.status).toBe(404);
  }, 120_000);
});

describe("a location's picklists", () => {
  const TEE = `TEE-${run}`;
  const MUG = `MUG-${run}`;

  test('are listed newest first with their status, totals and current stop', async () => {
    await item(TEE);
    await item(MUG);
    await receive(TEE, BER, 10);
    await receive(MUG, BER, 10);
    expect((await api.put(`/locations/${BER}/bins`, { bins: { [TEE]: 'A-01-1', [MUG]: 'A-02-1' } })).status).toBe(200);
    expect((await api.get(`/locations/${BER}/picklists`)).body).toEqual({ locationId: BER, picklists: [] });

    const ids: string[] = [];
    for (const lines of [[{ sku: TEE, quantity: 1 }], [{ sku: MUG, quantity: 2 }]]) {
      const res = await api.post('/orders', orderBody({ lines }));
      expect(res.status).toBe(202);
      ids.push(res.body.orderId);
    }
    for (const id of ids)
      await eventually(
        async () => (await api.get(`/orders/${id}`)).body,
        (o) => o.status === 'released_to_fulfillment',
        90_000,
        `${id} released`,
      );
    const made: string[] = [];
    for (let i = 0; i < 2; i++) {
      const res = await api.post('/picklists', { locationId: BER, criteria: { maxOrders: 1 } });
      expect(res.status).toBe(201);
      made.push(res.body.picklist.id);
    }
    // The first list's one stop picked whole: complete.
    const firstStop = (await api.get(`/picklists/${made[0]}`)).body.picklist.stops[0];
    expect((await api.post(`/picklists/${made[0]}/scans`, { code: firstStop.sku, quantity: firstStop.totalQuantity })).status).toBe(201);

    const listed = await api.get(`/locations/${BER}/picklists`);
    expect(listed.status).toBe(200);
    expect(listed.body.picklists.map((p: { id: string }) => p.id)).toEqual([made[1], made[0]]);
    expect(listed.body.picklists[1]).toMatchObject({
      id: made[0],
      createdBy: 'test-operator',
      orders: 1,
      stops: 1,
      status: 'complete',
      currentStop: null,
      totals: { expected: firstStop.totalQuantity, picked: firstStop.totalQuantity, short: 0 },
    });
    expect(listed.body.picklists[0]).toMatchObject({ status: 'picking', currentStop: expect.objectContaining({ picked: 0 }) });
    expect((await api.get(`/locations/${BER}/picklists?limit=1`)).body.picklists.map((p: { id: string }) => p.id)).toEqual([made[1]]);
    expect((await api.get(`/locations/${HAM}/picklists`)).body.picklists).toEqual([]);
    expect((await api.get(`/locations/NOWHERE-${run}/picklists`)).status).toBe(404);

    // A picklist stored before lists carried their location at the top level is listed once migrated.
    const lists = ctx.mongo.db.collection<{ _id: string; locationId?: string }>('picklists');
    await lists.updateOne({ _id: made[0] }, { $unset: { locationId: '' } });
    expect((await api.get(`/locations/${BER}/picklists`)).body.picklists.map((p: { id: string }) => p.id)).toEqual([made[1]]);
    await migrate(ctx.mongo.db);
    expect((await api.get(`/locations/${BER}/picklists`)).body.picklists.map((p: { id: string }) => p.id)).toEqual([made[1], made[0]]);
  }, 180_000);
});
