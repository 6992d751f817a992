import type { ChildProcess } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { captureOrder } from '../../services/order-intake';
import { startConsole, type ConsoleHarness } from '../support/browser';
import { eventually, orderBody, parsedOrder } from '../support/fixtures';
import { createTestContext, TEST_ENCRYPTION_KEY, uniqueId, type TestContext } from '../support/stack';
import { killWorkerProcess, startWorkerProcess } from '../support/worker-process';

// The console's side of customer mail and of retrying many parked orders: the real worker process mails
// through the stack's local mail server (SMTP_URL), and the console reads it back (GET /dev/mail).

let ctx: TestContext;
let ui: ConsoleHarness;
let worker: ChildProcess;
let operator: { email: string; password: string };
const LOCATION = 'WH-NOTIFY';

const path = (orderId: string) => `/orders/${encodeURIComponent(orderId)}`;

beforeAll(async () => {
  ctx = await createTestContext('console_notify');
  expect(process.env.LOCAL_MAILBOX_URL).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  ui = await startConsole(ctx, { localMailboxUrl: process.env.LOCAL_MAILBOX_URL });
  // One try per webhook delivery, so a refused one fails at once and waits for an operator's replay.
  worker = await startWorkerProcess(ctx, {
    MAIL_SWEEP_MS: '1000',
    WEBHOOK_MAX_ATTEMPTS: '1',
    WEBHOOK_RETRY_DELAY_MS: '10',
    ORDERHUB_ENCRYPTION_KEY: TEST_ENCRYPTION_KEY, // it reads the subscriber's secret the API stored
  });
  operator = await ui.createUser('operator');
  const location = {
    id: LOCATION,
    name: 'Notify warehouse',
    type: 'warehouse',
    address: { line1: 'Lagerstrasse 2', city: 'Berlin', postalCode: '10117', country: 'DE' },
    priority: 1,
  };
  expect((await ui.api.post('/locations', location)).status).toBe(201);
  expect((await ui.api.post('/items', { sku: 'NOTE-TEE', name: 'Notify tee' })).status).toBe(201);
  await receive('NOTE-TEE', 20);
}, 120_000);
afterAll(async () => {
  await ui?.close();
  if (worker) await killWorkerProcess(worker);
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

const orderReaches = (orderId: string, status: string) =>
  eventually(
    async () => (await ui.api.get(path(orderId))).body,
    (o) => o.status === status,
    60_000,
    `${orderId} to be ${status}`,
  );

test('a shipped order shows its customer email as sent on the order page, and the mail itself on the Mail page', async () => {
  const email = `${uniqueId('grace')}@example.com`;
  const res = await ui.api.post(
    '/orders',
    orderBody({ customer: { name: 'Grace Hopper', email }, lines: [{ sku: 'NOTE-TEE', quantity: 1 }] }),
  );
  expect(res.status).toBe(202);
  const orderId = res.body.orderId as string;
  await orderReaches(orderId, 'released_to_fulfillment');
  for (const event of [{ type: 'picked' }, { type: 'packed' }, { type: 'shipped', carrier: 'dhl', trackingNumber: 'JD0009876543' }])
    expect((await ui.api.post(`${path(orderId)}/events`, event)).status).toBeLessThan(300);
  await eventually(
    async () => (await ui.api.get(`${path(orderId)}/notifications`)).body.notifications,
    (n) => n?.[0]?.status === 'sent',
    60_000,
    'the shipped mail to be sent',
  );

  const page = await ui.newPage();
  await ui.signIn(page, operator);
  await page.goto(`/console${path(orderId)}`);
  const row = page.locator('table.notifications tbody tr');
  await row.first().waitFor();
  expect(await row.count()).toBe(1);
  const text = await row.innerText();
  expect(text).toContain('shipped');
  expect(text).toContain('sent');
  expect(text).toContain(email);
  expect(await row.getByRole('button', { name: 'Retry' }).count()).toBe(0); // only a failed one is offered again
  await ui.screenshot(page, 'order-notifications');

  await page.getByRole('link', { name: 'Mail' }).click();
  await page.getByRole('heading', { name: 'Mail' }).waitFor();
  await page.getByLabel('To').fill(email);
  await page.getByRole('button', { name: 'Search' }).click();
  const subject = page.getByRole('button', { name: `Your order ${orderId.split(':')[2]} has shipped` });
  await subject.waitFor();
  await subject.click();
  const body = page.getByLabel('Mail text');
  await body.waitFor();
  expect(await body.innerText()).toContain('JD0009876543');
  await ui.screenshot(page, 'mail');
});

test('two parked orders are fixed through the API, selected on the exceptions page and retried together; both move on', async () => {
  const sku = uniqueId('BULK').toUpperCase();
  const parked: string[] = [];
  for (let i = 0; i < 2; i++) {
    const { orderId } = await captureOrder(
      { temporal: ctx.temporal, taskQueue: ctx.taskQueue, orders: ctx.stores.orders, log: ctx.log },
      parsedOrder({ channel: 'webshop', lines: [{ sku, quantity: 1 }] }),
    );
    parked.push(orderId);
  }
  for (const id of parked) await orderReaches(id, 'needs_attention');

  const page = await ui.newPage();
  await ui.signIn(page, operator);
  await page.getByRole('link', { name: 'Exceptions' }).click();
  const group = page.getByTestId('attention-group').filter({ hasText: sku });
  await group.waitFor();
  const retrySelected = page.getByRole('button', { name: /^Retry selected/ });
  expect(await retrySelected.innerText()).toBe('Retry selected (0)');
  expect(await retrySelected.isDisabled()).toBe(true);

  expect((await ui.api.post('/items', { sku, name: 'Bulk mug' })).status).toBe(201);
  await receive(sku, 5);
  await group.getByLabel('Select all in group').check();
  expect(await retrySelected.innerText()).toBe('Retry selected (2)');
  await ui.screenshot(page, 'exceptions-selected');
  await retrySelected.click();

  const results = page.getByRole('list', { name: 'Command results' }).locator('li');
  await results.nth(1).waitFor();
  expect(await results.evaluateAll((lis) => lis.map((li) => li.className))).toEqual(['ok', 'ok']);
  const texts = (await results.allInnerTexts()).join('\n');
  for (const id of parked) expect(texts).toContain(id);
  for (const id of parked) await orderReaches(id, 'released_to_fulfillment');
  await group.waitFor({ state: 'detached' });
  await ui.screenshot(page, 'exceptions-after-bulk-retry');
});

test('a webhook delivery the subscriber refused shows on the order page with its try, and Replay sends it again', async () => {
  let answer = 503; // the subscriber is down, then comes back
  const received: string[] = [];
  const subscriber = http.createServer((req, res) => {
    req.resume();
    received.push(String(req.headers['orderhub-event-id']));
    res.writeHead(answer).end();
  });
  await new Promise<void>((resolve) => subscriber.listen(0, '127.0.0.1', resolve));
  try {
    const url = `http://127.0.0.1:${(subscriber.address() as AddressInfo).port}/hooks`;
    const created = await ui.api.post('/webhook-subscribers', { url, events: ['order.status_changed'] });
    expect(created.status).toBe(201);
    const res = await ui.api.post('/orders', orderBody({ customer: { name: 'Ada Lovelace' }, lines: [{ sku: 'NOTE-TEE', quantity: 1 }] }));
    const orderId = res.body.orderId as string;
    await orderReaches(orderId, 'released_to_fulfillment');
    type Delivery = { id: string; eventId: string; status: string; attempts: { statusCode?: number }[] };
    const deliveries = (await eventually(
      async () => (await ui.api.get(`${path(orderId)}/notifications`)).body.webhookDeliveries as Delivery[],
      (ds) => ds?.some((d) => d.status === 'failed'),
      30_000,
      'a delivery to fail',
    ))!;
    const failed = deliveries.find((d) => d.status === 'failed')!;
    await disableSubscriber(created.body.id as string, async () => {
      const page = await ui.newPage();
      await ui.signIn(page, operator);
      await page.goto(`/console${path(orderId)}`);
      const row = page.locator(`table.deliveries tr[data-delivery-id="${failed.id}"]`);
      await row.waitFor();
      expect(await row.innerText()).toMatch(/order\.status_changed[\s\S]*failed[\s\S]*503/);
      await ui.screenshot(page, 'order-webhook-failed');

      answer = 204;
      await row.getByRole('button', { name: 'Replay' }).click();
      await page.getByRole('status').filter({ hasText: 'replaying' }).waitFor();
      for (let i = 0; i < 40 && !/delivered/.test(await row.innerText()); i++) {
        await page.waitForTimeout(250);
        await page.getByRole('button', { name: 'Refresh' }).click();
      }
      const text = await row.innerText();
      expect(text).toContain('delivered');
      expect(text).toContain('(1 replays)');
      expect(text).toMatch(/503[\s\S]*204/); // both tries, oldest first
      expect(received.filter((id) => id === failed.eventId)).toHaveLength(2);
      await ui.screenshot(page, 'order-webhook-replayed');
    });
  } finally {
    subscriber.closeAllConnections();
    await new Promise((resolve) => subscriber.close(resolve));
  }
});

// Runs `body`, then disables the subscriber so later tests' orders are not sent to it.
async function disableSubscriber(id: string, body: () => Promise<void>) {
  try {
    await body();
  } finally {
    await ui.api.post(`/webhook-subscribers/${encodeURIComponent(id)}/disable`, {});
  }
}

test('without a local mail server the Mail page says so plainly', async () => {
  const plain = await startConsole(ctx); // an API with a real SMTP_URL has no local mailbox
  try {
    const page = await plain.newPage();
    await plain.signIn(page, operator);
    await page.getByRole('link', { name: 'Mail' }).click();
    const notice = page.getByRole('status').filter({ hasText: 'No local mail server is in use' });
    await notice.waitFor();
    expect(await page.locator('table.mail').count()).toBe(0);
    await plain.screenshot(page, 'mail-no-local-server');
  } finally {
    await plain.close();
  }
});
