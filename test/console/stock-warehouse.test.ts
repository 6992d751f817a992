import type { Locator, Page } from 'playwright-core';
import { startConsole, type ConsoleHarness } from '../support/browser';
import { eventually, location, orderBody } from '../support/fixtures';
import { createTestContext, uniqueId, type TestContext } from '../support/stack';

// The Stock and Warehouse pages in a real browser against the real API, store and order workflows: a
// receipt through the form, and a picker scanning a real released order's lines on a phone.

let ctx: TestContext;
let ui: ConsoleHarness;
const run = uniqueId('CW').replace(/-/g, '');
const LOC = `BER${run}`.slice(0, 40);

beforeAll(async () => {
  ctx = await createTestContext('console_stock');
  ui = await startConsole(ctx);
  await ctx.startWorker();
  expect((await ui.api.post('/locations', location(LOC, 1))).status).toBe(201);
}, 120_000);
afterAll(async () => {
  await ui?.close();
  await ctx?.close();
});

async function expectText(locator: Locator, text: string | RegExp) {
  await locator.waitFor();
  await eventually(
    () => locator.innerText(),
    (t) => (typeof text === 'string' ? t.includes(text) : text.test(t)),
    10_000,
    `${locator} to show ${text}`,
  );
}

const cell = (page: Page, table: string, row: string, col: string) => page.locator(`[data-testid="${table}"] tr${row} [data-col="${col}"]`);

test('a stock receipt through the form shows in the stock table and the ledger; a bad one names its fields', async () => {
  const sku = `REC-${run}`;
  expect((await ui.api.post('/items', { sku, name: 'Receipt tee' })).status).toBe(201);
  const user = await ui.createUser('operator');
  const page = await ui.newPage();
  await ui.signIn(page, user);
  await page.goto(`/console/stock?sku=${sku}`);
  await page.getByRole('heading', { name: `Stock of ${sku}` }).waitFor();
  await expectText(page.getByText(`No stock of ${sku} anywhere yet.`), sku);

  const receipt = page.getByRole('form', { name: 'Receive stock' });
  // Refused by the API: each field it names is shown at that field.
  await receipt.getByLabel('Location').fill(`NOWHERE-${run}`);
  await receipt.getByLabel('Quantity').fill('0');
  await receipt.getByRole('button', { name: 'Receive' }).click();
  await expectText(receipt.locator('[data-field-error="quantity"]'), /./);
  await receipt.getByLabel('Quantity').fill('12');
  await receipt.getByRole('button', { name: 'Receive' }).click();
  await expectText(receipt.locator('[data-field-error="locationId"]'), `unknown location NOWHERE-${run}`);
  await ui.screenshot(page, 'stock-receipt-refused');

  await receipt.getByLabel('Location').fill(LOC);
  await receipt.getByLabel('Reference (delivery note)').fill(`DN-${run}`);
  await receipt.getByRole('button', { name: 'Receive' }).click();
  await expectText(receipt.getByRole('status'), `Received 12 ${sku} at ${LOC}`);

  await expectText(cell(page, 'stock-table', `[data-location="${LOC}"]`, 'onHand'), '12');
  await expectText(cell(page, 'stock-table', `[data-location="${LOC}"]`, 'available'), '12');
  const entry = page.locator('[data-testid="ledger"] tr[data-seq="1"]');
  await expectText(entry, 'receipt');
  await expectText(entry, `DN-${run}`);
  await ui.screenshot(page, 'stock-after-receipt');

  // What the page shows is what the API holds.
  expect((await ui.api.stockAt(sku, LOC)).onHand).toBe(12);
});

test('a picker on a phone scans a released order’s lines: a wrong scan is refused with the API’s reason, the right ones pick it', async () => {
  const TEE = `TEE-${run}`;
  const MUG = `MUG-${run}`;
  const SOCK = `SOCK-${run}`;
  const barcode = `4006${Date.now()}`.slice(0, 13);
  expect((await ui.api.post('/items', { sku: TEE, name: 'Phone tee', barcode })).status).toBe(201);
  for (const sku of [MUG, SOCK]) expect((await ui.api.post('/items', { sku, name: `Item ${sku}` })).status).toBe(201);
  for (const sku of [TEE, MUG, SOCK])
    expect((await ui.api.post('/stock/receipts', { sku, locationId: LOC, quantity: 5 })).status).toBe(201);
  expect((await ui.api.put(`/locations/${LOC}/bins`, { bins: { [TEE]: 'A-01-1', [MUG]: 'A-02-4', [SOCK]: 'C-01-1' } })).status).toBe(200);
  // A real order, reserved and released by its workflow.
  const placed = await ui.api.post(
    '/orders',
    orderBody({
      lines: [
        { sku: TEE, quantity: 1 },
        { sku: MUG, quantity: 2 },
      ],
    }),
  );
  expect(placed.status).toBe(202);
  const orderId: string = placed.body.orderId;
  await eventually(
    async () => (await ui.api.get(`/orders/${encodeURIComponent(orderId)}`)).body,
    (o) => o.status === 'released_to_fulfillment',
    90_000,
    `${orderId} released`,
  );

  const picker = { email: `${uniqueId('picker')}@example.com`, password: 'correct horse battery', name: 'Pia picker' };
  expect((await ui.api.post('/users', { ...picker, role: 'warehouse', locations: [LOC] })).status).toBe(201);
  const page = await ui.newPage({ phone: true });
  await ui.signIn(page, picker);
  await page.goto(`/console/warehouse?location=${LOC}`);
  await page.getByRole('button', { name: 'New picklist from released orders' }).click();
  const current = page.getByTestId('current-stop');
  await expectText(current, 'A-01-1');
  await expectText(current, TEE);
  const picklistId = new URL(page.url()).searchParams.get('picklist')!;
  expect(picklistId).toMatch(/^PL-/);
  // Lines in walking order.
  expect(
    await page.locator('[data-testid="pick-lines"] tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-sku'))),
  ).toEqual([TEE, MUG]);

  // A scanner types into the focused input and sends Enter. A sku not on the list is refused with the API's reason.
  const scan = page.getByLabel('Scan');
  expect(await scan.evaluate((el) => el.matches(':focus'))).toBe(true);
  await page.keyboard.type(SOCK);
  await page.keyboard.press('Enter');
  const feedback = page.getByTestId('scan-feedback');
  await expectText(feedback, `${SOCK} is not on picklist ${picklistId}`);
  expect(await feedback.getAttribute('data-kind')).toBe('bad');
  const refused = await ui.api.post(`/picklists/${picklistId}/scans`, { code: SOCK, quantity: 1 });
  expect(refused.status).toBe(409);
  expect(await feedback.innerText()).toContain(refused.body.error.message);
  await ui.screenshot(page, 'warehouse-scan-refused-phone');
  expect((await ui.api.get(`/picklists/${picklistId}`)).body.progress.totals.picked).toBe(0);

  // The bin, then the tee's barcode: its line is picked.
  await scan.focus();
  await page.keyboard.type('A-01-1');
  await page.keyboard.press('Enter');
  await expectText(feedback, `At bin A-01-1: scan ${TEE}`);
  await page.keyboard.type(barcode);
  await page.keyboard.press('Enter');
  await expectText(feedback, `Picked 1 × ${TEE} from A-01-1`);
  expect(await feedback.getAttribute('data-kind')).toBe('ok');
  await expectText(cell(page, 'pick-lines', `[data-sku="${TEE}"]`, 'picked'), '1');
  await expectText(current, MUG);
  await ui.screenshot(page, 'warehouse-scan-picked-phone');

  // Two mugs in one scan: the order is picked, as its workflow says.
  await page.getByLabel('Quantity').fill('2');
  await scan.focus();
  await page.keyboard.type(MUG);
  await page.keyboard.press('Enter');
  await expectText(feedback, `order ${orderId} picked`);
  await expectText(page.getByTestId('picklist-status'), 'complete');
  await eventually(
    async () => (await ui.api.get(`/orders/${encodeURIComponent(orderId)}`)).body.status,
    (s) => s === 'picked',
    30_000,
    `${orderId} picked`,
  );
  const progress = (await ui.api.get(`/picklists/${picklistId}`)).body.progress;
  expect(progress.totals).toMatchObject({ expected: 3, picked: 3, short: 0 });

  // Fits a phone: nothing wider than the screen; the documents are linked and open.
  expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
  const pdf = await page.getByRole('link', { name: `Picklist ${picklistId} (PDF)` }).getAttribute('href');
  const res = await page.request.get(pdf!);
  expect(res.status()).toBe(200);
  expect(res.headers()['content-type']).toBe('application/pdf');
  await expectText(page.locator(`[data-testid="documents"] li[data-order="${orderId}"]`), 'packing slip');
  await ui.screenshot(page, 'warehouse-picklist-complete-phone');
}, 180_000);
