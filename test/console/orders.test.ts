import { captureOrder } from '../../services/order-intake';
import { startConsole, type ConsoleHarness } from '../support/browser';
import { orderBody, parsedOrder } from '../support/fixtures';
import { createTestContext, uniqueId, type RunningWorker, type TestContext } from '../support/stack';
import type { OrderView } from '../../domain/order-state';

// The orders and exceptions pages in a real browser, over orders the real workflow runs.

let ctx: TestContext;
let ui: ConsoleHarness;
let worker: RunningWorker;
let operator: { email: string; password: string };
const LOCATION = 'WH-CONSOLE';

beforeAll(async () => {
  ctx = await createTestContext('console_orders');
  worker = await ctx.startWorker();
  ui = await startConsole(ctx);
  operator = await ui.createUser('operator');
  const location = {
    id: LOCATION,
    name: 'Console warehouse',
    type: 'warehouse',
    address: { line1: 'Lagerstrasse 1', city: 'Berlin', postalCode: '10117', country: 'DE' },
    priority: 1,
  };
  expect((await ui.api.post('/locations', location)).status).toBe(201);
  expect((await ui.api.post('/items', { sku: 'TEE-C', name: 'Console tee' })).status).toBe(201);
  await receive('TEE-C', 50);
}, 90_000);
afterAll(async () => {
  await ui?.close();
  await worker?.stop();
  await ctx?.close();
});

async function receive(sku: string, quantity: number) {
  const res = await ui.api.post('/stock/receipts', {
    sku,
    locationId: LOCATION,
    quantity,
    reference: 'test',
    idempotencyKey: uniqueId('rcpt'),
  });
  expect(res.status).toBe(201);
}

async function placeOrder(channel: string, customer: string): Promise<string> {
  const email = `${customer.toLowerCase().replace(/ /g, '.')}@example.com`; // grace.hopper@example.com
  const body = orderBody({ channel, customer: { name: customer, email }, lines: [{ sku: 'TEE-C', quantity: 1 }] });
  const res = await ui.api.post('/orders', body);
  expect(res.status).toBe(202);
  return res.body.orderId as string;
}

async function until(orderId: string, ok: (o: OrderView) => boolean, what: string, ms = 30_000): Promise<OrderView> {
  const end = Date.now() + ms;
  for (;;) {
    const o = await ctx.stores.orders.get(orderId);
    if (o && ok(o)) return o;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}: ${o?.status}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

test('orders placed through the API show in the console, filtered by channel, customer and status; a refused command shows the reason', async () => {
  const phone = [await placeOrder('phone', 'Grace Hopper'), await placeOrder('phone', 'Katherine Johnson')];
  const manual = await placeOrder('manual', 'Alan Turing');
  for (const id of [...phone, manual]) await until(id, (o) => o.status === 'released_to_fulfillment', `${id} to be released`);

  const page = await ui.newPage();
  await ui.signIn(page, operator);
  const rows = page.locator('table.orders tbody tr');
  await rows.nth(2).waitFor();
  expect((await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-order-id')))).sort()).toEqual([...phone, manual].sort());

  await page.getByLabel('Channel').fill('phone');
  await page.getByRole('button', { name: 'Search' }).click();
  await page.waitForURL(/channel=phone/);
  await page.locator(`tr[data-order-id="${manual}"]`).waitFor({ state: 'detached' });
  expect((await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-order-id')))).sort()).toEqual([...phone].sort());
  expect(await rows.allInnerTexts()).toEqual(expect.arrayContaining([expect.stringContaining('Grace Hopper')]));
  await ui.screenshot(page, 'orders-filtered-by-channel');

  // One customer's orders, by her email in another case, the channel filter still set.
  await page.getByLabel('Customer').fill('Grace.Hopper@EXAMPLE.com');
  await page.getByRole('button', { name: 'Search' }).click();
  await page.waitForURL(/customer=Grace.Hopper/);
  await page.locator(`tr[data-order-id="${phone[1]}"]`).waitFor({ state: 'detached' });
  expect(await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-order-id')))).toEqual([phone[0]]);
  await page.getByLabel('Customer').fill('nobody@example.com');
  await page.getByRole('button', { name: 'Search' }).click();
  await page.getByText('No orders match.').waitFor();
  await page.getByLabel('Customer').fill('');

  // An order cancelled meanwhile (through the API) no longer lists under released; the filter by status says so.
  expect((await ui.api.post(`/orders/${encodeURIComponent(phone[0])}/cancel`, { reason: 'customer called' })).status).toBe(200);
  await page.getByLabel('Status').selectOption('cancelled');
  await page.getByLabel('Channel').fill('');
  await page.getByRole('button', { name: 'Search' }).click();
  await page.waitForURL(/status=cancelled/);
  await page.locator(`tr[data-order-id="${phone[0]}"]`).waitFor();
  expect(await rows.count()).toBe(1);

  // The other phone order's page, opened before it was cancelled elsewhere: holding it now is refused by the
  // order, and the console shows the workflow's reason.
  await page.goto(`/console/orders/${encodeURIComponent(phone[1])}`);
  await page.getByRole('button', { name: 'Hold' }).waitFor();
  expect((await ui.api.post(`/orders/${encodeURIComponent(phone[1])}/cancel`, { reason: 'duplicate' })).status).toBe(200);
  await page.getByRole('button', { name: 'Hold' }).click();
  const refusal = page.getByRole('list', { name: 'Command results' }).locator('li.error');
  await refusal.waitFor();
  expect(await refusal.innerText()).toContain('cancelled');
  await ui.screenshot(page, 'order-command-refused');
});

test('an order parked in needs_attention is retried from the exceptions page once its cause is fixed, moves on, and shows when late', async () => {
  // An order naming a sku Orderhub does not know (a channel sent it; the API would refuse it) parks at validate.
  const { orderId } = await captureOrder(
    {
      temporal: ctx.temporal,
      taskQueue: ctx.taskQueue,
      orders: ctx.stores.orders,
      log: ctx.log,
      orderSettings: { slaMs: { picked: 2_000 } },
    },
    parsedOrder({ channel: 'webshop', lines: [{ sku: 'MUG-NEW', quantity: 1 }] }),
  );
  const parked = await until(orderId, (o) => o.status === 'needs_attention', 'the order to park');
  expect(parked.attention?.step).toBe('validate');

  const page = await ui.newPage();
  await ui.signIn(page, operator);
  await page.getByRole('link', { name: 'Exceptions' }).click();
  const group = page.getByTestId('attention-group').filter({ hasText: 'MUG-NEW' });
  await group.waitFor();
  expect(await group.innerText()).toContain('Create the missing items');
  await ui.screenshot(page, 'exceptions-needs-attention');

  // The fix: the item and its stock, through the API; then the retry, from the console.
  expect((await ui.api.post('/items', { sku: 'MUG-NEW', name: 'New mug' })).status).toBe(201);
  await receive('MUG-NEW', 5);
  await group.locator(`li[data-order-id="${orderId}"]`).getByRole('button', { name: 'Retry' }).click();
  const result = page.getByRole('list', { name: 'Command results' }).locator('li');
  await result.waitFor();
  expect(await result.getAttribute('class')).toBe('ok');
  await until(orderId, (o) => o.status === 'released_to_fulfillment', 'the retried order to be released');
  await group.waitFor({ state: 'detached' });

  // Released and not picked within its 2 s, it is listed late to be picked.
  await until(orderId, (o) => o.late, 'the released order to be late');
  const late = page.getByTestId('late-group').filter({ hasText: 'Late to be picked' }).locator(`li[data-order-id="${orderId}"]`);
  for (let i = 0; i < 20 && !(await late.count()); i++) {
    await page.reload(); // the late list is Temporal's visibility, which follows shortly
    await page.getByRole('heading', { name: 'Exceptions' }).waitFor();
    await page.waitForTimeout(500);
  }
  await late.waitFor();
  await ui.screenshot(page, 'exceptions-after-retry');
});
