import { startConsole, type ConsoleHarness } from '../support/browser';
import { createTestContext, type TestContext } from '../support/stack';

// Signing in to the console in a real browser, against the real API and store.

let ctx: TestContext;
let ui: ConsoleHarness;

beforeAll(async () => {
  ctx = await createTestContext('console_login');
  ui = await startConsole(ctx);
}, 60_000);
afterAll(async () => {
  await ui?.close();
  await ctx?.close();
});

test('a wrong password shows the error on the login page; the right one lands on the orders page showing who is signed in', async () => {
  const user = await ui.createUser('operator');
  const page = await ui.newPage();
  await page.goto('/console/');
  await page.waitForURL('**/console/login');

  await page.getByLabel('Email').fill(user.email);
  await page.getByLabel('Password').fill('not the password at all');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expectText(page.getByRole('alert'), 'The email or password is not right');
  await ui.screenshot(page, 'login-refused');

  await page.getByLabel('Password').fill(user.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Orders' }).waitFor();
  expect(new URL(page.url()).pathname).toBe('/console/orders');
  expect(await page.getByTestId('who').innerText()).toMatch(/Olga operator\s*operator/);
  await ui.screenshot(page, 'orders-after-sign-in');

  // Signing out ends the session at the API: the console is back at the login page, and the cookie is spent.
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.waitForURL('**/console/login');
  const status = await page.evaluate(async () => (await fetch('/session', { credentials: 'same-origin' })).status);
  expect(status).toBe(401);
});

test('a session that ended elsewhere sends the user to the login page, which says so', async () => {
  const user = await ui.createUser('read_only');
  const page = await ui.newPage();
  await ui.signIn(page, user);
  // An admin disables the user: their sessions end at once.
  expect((await ui.api.post(`/users/${encodeURIComponent(user.email)}/disable`)).status).toBe(200);
  await page.getByRole('link', { name: 'Exceptions' }).click();
  await page.waitForURL('**/console/login');
  await expectText(page.locator('.notice'), 'Your session has ended');
});

test('the console on a phone folds the nav behind a menu button', async () => {
  const user = await ui.createUser('operator');
  const page = await ui.newPage({ phone: true });
  await ui.signIn(page, user);
  const nav = page.getByRole('navigation', { name: 'Main' });
  expect(await nav.isVisible()).toBe(false);
  await page.getByRole('button', { name: 'Menu' }).click();
  expect(await nav.isVisible()).toBe(true);
  await ui.screenshot(page, 'phone-menu-open');
  await nav.getByRole('link', { name: 'Exceptions' }).click();
  await page.getByRole('heading', { name: 'Exceptions' }).waitFor();
  expect(await nav.isVisible()).toBe(false);
});

test('the console files are served without a key; the API behind them still needs one', async () => {
  const index = await fetch(`${ui.baseUrl}/console/orders?status=shipped`);
  expect(index.status).toBe(200);
  expect(index.headers.get('content-type')).toMatch(/^text\/html/);
  const html = await index.text();
  const script = /src="(\/console\/assets\/[^"]+\.js)"/.exec(html)?.[1];
  expect(script).toBeDefined();
  const js = await fetch(`${ui.baseUrl}${script}`);
  expect(js.status).toBe(200);
  expect(js.headers.get('content-type')).toMatch(/javascript/);
  expect((await fetch(`${ui.baseUrl}/console/assets/nothing-here.js`)).status).toBe(404);
  expect((await fetch(`${ui.baseUrl}/orders`)).status).toBe(401);
});

async function expectText(locator: import('playwright-core').Locator, text: string): Promise<void> {
  await locator.filter({ hasText: text }).first().waitFor();
  expect(await locator.first().innerText()).toContain(text);
}
