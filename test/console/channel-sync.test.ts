import nock from 'nock';
import { startConsole, type ConsoleHarness } from '../support/browser';
import { eventually, location } from '../support/fixtures';
import { createTestContext, type RunningWorker, type TestContext } from '../support/stack';

// The exceptions page's channel sync in a real browser: a connection whose shop does not answer (no stub:
// every call to it is refused, as nock refuses any host it was not told of) shows its failed orders poll as
// its last error, and its fixes (test, sync now) answer on the page.

let ctx: TestContext;
let ui: ConsoleHarness;
let worker: RunningWorker;
let operator: { email: string; password: string };

beforeAll(async () => {
  nock.disableNetConnect();
  nock.enableNetConnect(/127\.0\.0\.1|localhost/);
  ctx = await createTestContext('console_channels');
  worker = await ctx.startWorker();
  ui = await startConsole(ctx);
  operator = await ui.createUser('operator');
  expect((await ui.api.post('/locations', location('WH-SYNC', 1))).status).toBe(201);
}, 90_000);
afterAll(async () => {
  await ui?.close();
  await worker?.stop();
  await ctx?.close();
  nock.enableNetConnect();
});

test('a connection whose orders poll fails shows it as its last error on the exceptions page; Test names what the shop answered', async () => {
  const created = await ui.api.post('/connections', {
    id: 'shop-down',
    kind: 'shopify',
    name: 'Shop down',
    options: { shopDomain: 'shop-down.myshopify.com' },
    credentials: { accessToken: 'shpat_console_secret_token', webhookSecret: 'whsec-console' },
    stockFeeds: [{ channelLocationId: '655441491', locationIds: ['WH-SYNC'] }],
  });
  expect(created.status).toBe(201);
  expect((await ui.api.post('/connections/shop-down/sync')).status).toBe(202);
  await eventually(
    async () => (await ui.api.get('/connections/shop-down')).body.lastOrdersPoll,
    (p) => p?.ok === false,
    30_000,
    'the failed poll to be recorded',
  );

  const page = await ui.newPage();
  await ui.signIn(page, operator);
  await page.getByRole('link', { name: 'Exceptions' }).click();
  const row = page.locator('tr').filter({ hasText: 'Shop down' });
  await row.filter({ hasText: 'orders poll failed' }).waitFor();
  expect(await row.innerText()).toContain(', failed'); // the orders polled column
  expect(await row.innerText()).not.toContain('shpat_');
  await ui.screenshot(page, 'exceptions-channel-sync');

  await row.getByRole('button', { name: 'Test' }).click();
  const notice = page.locator('p.notice').filter({ hasText: 'shop-down:' });
  await notice.waitFor();
  expect(await notice.innerText()).not.toContain('answered in'); // the shop did not answer
  await row.getByRole('button', { name: 'Sync now' }).click();
  await page.locator('p.notice').filter({ hasText: 'syncing now' }).waitFor();
});
