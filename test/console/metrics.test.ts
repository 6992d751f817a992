import { startConsole, type ConsoleHarness } from '../support/browser';
import { eventually, location, orderBody } from '../support/fixtures';
import { createTestContext, type RunningWorker, type TestContext } from '../support/stack';

// The metrics page in a real browser: orders run through the real workflow (placed, picked, packed,
// shipped, delivered; one cancelled), then the page shows for the period and channel exactly the values
// GET /metrics/orders computes, each with its formula, inputs and charts.

let ctx: TestContext;
let ui: ConsoleHarness;
let worker: RunningWorker;
const CHANNEL = `cm${Date.now().toString(36).slice(-6)}`;
const today = new Date().toISOString().slice(0, 10);

type Metric = { name: string; value: number | null; formula: string; unavailable?: string; inputs: Record<string, unknown> };

beforeAll(async () => {
  ctx = await createTestContext('console_metrics');
  worker = await ctx.startWorker();
  ui = await startConsole(ctx);
  expect((await ui.api.post('/locations', location('WH-METRICS', 1))).status).toBe(201);
  expect((await ui.api.post('/items', { sku: 'TEE-MX', name: 'Metrics tee' })).status).toBe(201);
  expect((await ui.api.post('/stock/receipts', { sku: 'TEE-MX', locationId: 'WH-METRICS', quantity: 20 })).status).toBe(201);
  const status = async (id: string) => (await ui.api.get(`/orders/${id}`)).body.status as string;
  const place = async (quantity: number, email: string) => {
    const res = await ui.api.post(
      '/orders',
      orderBody({ channel: CHANNEL, customer: { name: 'C', email }, lines: [{ sku: 'TEE-MX', quantity, unitPrice: 2500 }] }),
    );
    expect(res.status).toBe(202);
    const id = res.body.orderId as string;
    await eventually(
      () => status(id),
      (s) => s === 'released_to_fulfillment',
      30_000,
      `${id} released`,
    );
    return id;
  };
  for (const [quantity, email] of [
    [1, 'a@example.com'],
    [3, 'a@example.com'],
  ] as const) {
    const id = await place(quantity, email);
    for (const event of [
      { type: 'picked' },
      { type: 'packed' },
      { type: 'shipped', carrier: 'manual', trackingNumber: `T${id.slice(-6)}` },
      { type: 'delivered' },
    ])
      expect((await ui.api.post(`/orders/${id}/events`, event)).status).toBe(200);
    await eventually(
      () => status(id),
      (s) => s === 'delivered' || s === 'completed',
      30_000,
      `${id} delivered`,
    );
  }
  const cancelled = await place(2, 'b@example.com');
  expect((await ui.api.post(`/orders/${cancelled}/cancel`, { reason: 'changed mind' })).status).toBe(200);
  await eventually(
    () => status(cancelled),
    (s) => s === 'cancelled',
    30_000,
    `${cancelled} cancelled`,
  );
}, 120_000);
afterAll(async () => {
  await ui?.close();
  await worker?.stop();
  await ctx?.close();
});

test('a read-only user picks a period and channel and sees each metric the API computes, with its formula, inputs and charts', async () => {
  const api = (await ui.api.get(`/metrics/orders?from=${today}&to=${today}&channel=${CHANNEL}`)).body as {
    ordersReceived: number;
    metrics: Metric[];
  };
  expect(api.ordersReceived).toBe(3);
  // Two delivered orders of 25.00 and 75.00 (+ 4.95 shipping each): the cancelled one is not a sale.
  expect(api.metrics.find((m) => m.name === 'average_order_value')!.value).toBe(5495);

  const page = await ui.newPage();
  const pageErrors: string[] = [];
  page.on('pageerror', (err) => pageErrors.push(err.message));
  await ui.signIn(page, await ui.createUser('read_only'));
  await page.getByRole('link', { name: 'Metrics' }).click();
  await page.getByRole('heading', { name: 'Metrics' }).waitFor();
  await page.getByLabel('From').fill(today);
  await page.getByLabel('To').fill(today);
  await page.getByLabel('Channel').fill(CHANNEL);
  await page.getByRole('button', { name: 'Show' }).click();
  await page.waitForURL(new RegExp(`channel=${CHANNEL}`));
  await page.getByTestId('metrics-summary').filter({ hasText: `3 orders received` }).waitFor();

  for (const m of api.metrics) {
    const card = page.locator(`[data-metric="${m.name}"]`);
    expect(await card.locator('.metric-value').getAttribute('data-value')).toBe(m.value === null ? 'null' : String(m.value));
    expect(await card.locator('.metric-formula').textContent()).toBe(m.formula);
    for (const [k, v] of Object.entries(m.inputs))
      expect(await card.locator(`[data-input="${k}"] dd`).textContent()).toBe(v === null ? '—' : String(v));
    if (m.unavailable) expect(await card.locator('.metric-unavailable').textContent()).toContain(m.unavailable);
  }
  expect(await page.locator('[data-metric="average_order_value"] .metric-value').textContent()).toBe('54.95 EUR');
  expect(await page.locator('[data-metric="perfect_order_rate"] .metric-value').textContent()).toBe('100.00 %');
  // The charts drew: orders and AOV per day, and the cycle time distribution.
  expect(await page.locator('.chart canvas').count()).toBe(2);
  await ui.screenshot(page, 'metrics');
  expect(pageErrors).toEqual([]);

  // A period the API refuses shows its reason, naming the field.
  await page.goto(`/console/metrics?from=${today}&to=2020-01-01`);
  await page.getByRole('alert').filter({ hasText: 'from: must be before to' }).waitFor();
});
