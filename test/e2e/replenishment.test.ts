import { createTestContext, type TestContext } from '../support/stack';
import { apiFor } from '../support/api';
import { location } from '../support/fixtures';
import { ensureMaintenanceSchedules } from '../../services/schedules';
import { maintenanceScheduleId } from '../../domain/ids';
import { addDays, dayOf } from '../../domain/replenishment';

// Replenishment as an operator drives it through the API, over the real stack with real workflows.
// Demand history: 120 finished days written through the store layer (ledger entries cannot be dated in the
// past, so older history cannot come from real orders); counting a finished day from the ledger's shipments
// is tested in test/store/replenishment.test.ts.
let ctx: TestContext;
let api: Awaited<ReturnType<typeof apiFor>>;
const run = String(Date.now()).slice(-7);
const LOW = `RP${run}-LOW`;
const PLENTY = `RP${run}-PLENTY`;
const DC = `RP${run}-DC`;
const SUPPLIER = `rp-${run}`;
const WEEK = [8, 9, 10, 10, 12, 16, 14]; // about 11 a day, more at the weekend

beforeAll(async () => {
  ctx = await createTestContext('e2e_replenishment');
  api = await apiFor(ctx, { activityMaxAttempts: 2, activityInitialIntervalMs: 100 });
  await ctx.startWorker();
});
afterAll(async () => {
  await ctx.close();
});

interface Group {
  supplierId: string | null;
  locationId: string;
  lines: { sku: string; quantity: number; unitCost: number; reasoning: Record<string, number | string> }[];
  purchaseOrder?: { supplierId: string; locationId: string; lines: { sku: string; quantity: number; unitCost: number }[] };
}
const suggestions = async () => (await api.get('/replenishment/suggestions')).body as { runId: string | null; purchaseOrders: Group[] };
const lowStockAlerts = async () =>
  (
    (await api.get('/customer-notifications?status=pending')).body.notifications as {
      id: string;
      kind: string;
      details: Record<string, string>;
    }[]
  ).filter((n) => n.kind === 'low_stock');

async function recompute(runId: string) {
  const started = await api.post('/replenishment/recompute', { runId });
  expect(started.status).toBe(202);
  expect(started.body).toMatchObject({ runId, workflowId: `replenishment:${runId}` });
  const result = await ctx.temporal.workflow.getHandle(started.body.workflowId).result();
  return { started: started.body as { started: boolean }, result };
}

test('low stock is suggested for its supplier, alerted once, ordered, received, and then no longer suggested', async () => {
  expect((await api.post('/locations', location(DC, 1))).status).toBe(201);
  for (const sku of [LOW, PLENTY]) expect((await api.post('/items', { sku, name: `Item ${sku}` })).status).toBe(201);
  const supplier = { id: SUPPLIER, name: 'Replenish & Co', leadTimeDays: 5, currency: 'EUR', contact: { email: 'po@replenish.test' } };
  expect((await api.post('/suppliers', supplier)).status).toBe(201);

  // Bad settings: every problem named, nothing stored.
  const shape = await api.put(`/replenishment/settings/${LOW}`, {
    serviceLevel: 1.2,
    reviewPeriodDays: -1,
    locations: [{ locationId: DC, reorderPoint: -3, orderUpTo: 1 }],
  });
  expect(shape.status).toBe(400);
  expect(shape.body.error.details.map((d: { path: string }) => d.path).sort()).toEqual([
    'locations.0.reorderPoint',
    'reviewPeriodDays',
    'serviceLevel',
  ]);
  const facts = await api.put('/replenishment/settings/GHOST-1', {
    preferredSupplierId: 'nobody',
    locations: [{ locationId: 'NOWHERE', reorderPoint: 1, orderUpTo: 2 }],
  });
  expect(facts.status).toBe(400);
  expect(facts.body.error.details.map((d: { path: string }) => d.path)).toEqual(['sku', 'preferredSupplierId', 'locations.0.locationId']);
  expect((await api.get(`/replenishment/settings/${LOW}`)).body).toMatchObject({
    stored: false,
    serviceLevel: 0.95,
    reviewPeriodDays: 7,
    computed: [],
  });
  expect((await api.get('/replenishment/settings/GHOST-1')).status).toBe(404);

  for (const [sku, unitCost] of [
    [LOW, 250],
    [PLENTY, 90],
  ] as const) {
    const put = await api.put(`/replenishment/settings/${sku}`, {
      serviceLevel: 0.95,
      reviewPeriodDays: 7,
      preferredSupplierId: SUPPLIER,
      unitCost,
    });
    expect(put.status).toBe(200);
  }

  // 120 finished days of weekly-seasonal demand for both, ending yesterday.
  const today = dayOf(new Date());
  for (let d = 120; d >= 1; d--) {
    const day = addDays(today, -d);
    const weekday = new Date(`${day}T00:00:00Z`).getUTCDay();
    await ctx.stores.replenishment.recordDay(LOW, DC, day, WEEK[weekday] + ((d * 7) % 3) - 1, 'import');
    await ctx.stores.replenishment.recordDay(PLENTY, DC, day, 2, 'import');
  }
  // LOW has 20 on hand, well under 5 days of demand; PLENTY has 500.
  for (const [sku, quantity] of [
    [LOW, 20],
    [PLENTY, 500],
  ] as const)
    expect((await api.post('/stock/receipts', { sku, locationId: DC, quantity, idempotencyKey: `rp-${run}-${sku}` })).status).toBe(201);

  // The nightly schedule exists, and the recompute also starts now, once per runId.
  expect(await ensureMaintenanceSchedules(ctx.temporal, ctx.taskQueue)).toContain(maintenanceScheduleId('replenishment'));
  const schedule = await ctx.temporal.schedule.getHandle(maintenanceScheduleId('replenishment')).describe();
  expect(schedule.action).toMatchObject({ workflowType: 'replenishmentWorkflow' });
  const first = await recompute(`night-${run}-1`);
  expect(first.started.started).toBe(true);
  expect(first.result).toMatchObject({ plans: 2, alerts: 1 });
  expect((await api.post('/replenishment/recompute', { runId: `night-${run}-1` })).body.started).toBe(false);

  // The levels behind it, on the settings.
  const settings = (await api.get(`/replenishment/settings/${LOW}`)).body;
  expect(settings).toMatchObject({ stored: true, preferredSupplierId: SUPPLIER, unitCost: 250 });
  const plan = settings.computed[0];
  expect(plan).toMatchObject({
    sku: LOW,
    locationId: DC,
    supplierId: SUPPLIER,
    leadTimeDays: 5,
    method: 'holt_winters',
    historyDays: 120,
    source: 'forecast',
  });
  expect(plan.forecastDailyDemand).toBeGreaterThan(9);
  expect(plan.forecastDailyDemand).toBeLessThan(14);
  expect(plan.backtestMape).toBeLessThan(20);
  expect(plan.reorderPoint).toBeGreaterThan(45);
  expect(plan.orderUpTo).toBeGreaterThan(plan.reorderPoint + 60);

  // Suggested: LOW up to its order-up-to level, with the reasoning; PLENTY not at all.
  let suggested = await suggestions();
  expect(suggested.runId).toBe(`night-${run}-1`);
  expect(suggested.purchaseOrders).toHaveLength(1);
  const [group] = suggested.purchaseOrders;
  expect(group).toMatchObject({ supplierId: SUPPLIER, locationId: DC, supplierName: 'Replenish & Co', leadTimeDays: 5, currency: 'EUR' });
  expect(group.lines).toEqual([
    {
      sku: LOW,
      quantity: plan.orderUpTo - 20,
      unitCost: 250,
      reasoning: expect.objectContaining({
        onHand: 20,
        available: 20,
        inbound: 0,
        position: 20,
        reorderPoint: plan.reorderPoint,
        orderUpTo: plan.orderUpTo,
        leadTimeDays: 5,
        safetyStock: plan.safetyStock,
      }),
    },
  ]);

  // One alert for the crossing, however often it is recomputed.
  let alerts = await lowStockAlerts();
  expect(alerts).toHaveLength(1);
  expect(alerts[0]).toMatchObject({ id: `stock:${LOW}:${DC}|low_stock|n:1`, details: { sku: LOW, locationId: DC, available: '20' } });
  expect((await recompute(`night-${run}-2`)).result).toMatchObject({ plans: 2, alerts: 0 });
  expect(await lowStockAlerts()).toHaveLength(1);

  // The operator places it as suggested (the existing purchase order route), opens it, and it arrives.
  const po = await api.post('/purchase-orders', { ...group.purchaseOrder, id: `PO-RP-${run}`, status: 'open' });
  expect(po.status).toBe(201);
  expect(po.body.lines).toEqual([expect.objectContaining({ sku: LOW, quantity: plan.orderUpTo - 20, unitCost: 250 })]);
  // Inbound counts: nothing more to suggest while it is on its way.
  expect((await suggestions()).purchaseOrders).toEqual([]);
  const receipt = await api.post(`/purchase-orders/PO-RP-${run}/receipts`, {
    receiptId: `dock-${run}`,
    lines: [{ sku: LOW, quantity: plan.orderUpTo - 20 }],
  });
  expect(receipt.status).toBe(201);
  const stock = (await api.get(`/stock/${LOW}`)).body;
  expect(stock.total.available).toBe(plan.orderUpTo);
  expect(stock.total.available).toBeGreaterThan(plan.reorderPoint);
  suggested = await suggestions();
  expect(suggested.purchaseOrders).toEqual([]);
  expect((await api.post(`/replenishment/suggestions/${SUPPLIER}/order`, { locationId: DC })).status).toBe(404);

  // Recomputed above the reorder point: the crossing ends, no new alert.
  expect((await recompute(`night-${run}-3`)).result).toMatchObject({ alerts: 0 });
  alerts = await lowStockAlerts();
  expect(alerts.map((a) => a.id)).toEqual([`stock:${LOW}:${DC}|low_stock|n:1`]);
  await ctx.temporal.schedule.getHandle(maintenanceScheduleId('replenishment')).delete();
  await ctx.temporal.schedule.getHandle(maintenanceScheduleId('reservations')).delete();
});

test('a reorder point set by hand wins, and a suggestion becomes a draft purchase order in one call', async () => {
  const sku = `RP${run}-HAND`;
  expect((await api.post('/items', { sku, name: 'By hand' })).status).toBe(201);
  const put = await api.put(`/replenishment/settings/${sku}`, {
    preferredSupplierId: SUPPLIER,
    unitCost: 40,
    locations: [{ locationId: DC, reorderPoint: 10, orderUpTo: 30 }],
  });
  expect(put.status).toBe(200);
  expect((await api.post('/stock/receipts', { sku, locationId: DC, quantity: 4, idempotencyKey: `rp-${run}-hand` })).status).toBe(201);
  await recompute(`hand-${run}`);
  const group = (await suggestions()).purchaseOrders.find((g) => g.lines.some((l) => l.sku === sku))!;
  expect(group.lines.find((l) => l.sku === sku)).toMatchObject({
    quantity: 26,
    reasoning: { source: 'manual', reorderPoint: 10, orderUpTo: 30, position: 4 },
  });
  const draft = await api.post(`/replenishment/suggestions/${SUPPLIER}/order`, { locationId: DC });
  expect(draft.status).toBe(201);
  expect(draft.body).toMatchObject({ status: 'draft', supplierId: SUPPLIER, locationId: DC });
  expect(draft.body.lines).toEqual([expect.objectContaining({ sku, quantity: 26, unitCost: 40 })]);
  // A draft expects nothing: still suggested until it is opened.
  expect((await suggestions()).purchaseOrders.some((g) => g.lines.some((l) => l.sku === sku))).toBe(true);
  expect((await api.post(`/purchase-orders/${draft.body.id}/open`)).status).toBe(200);
  expect((await suggestions()).purchaseOrders.some((g) => g.lines.some((l) => l.sku === sku))).toBe(false);
});
