import { existsSync, mkdirSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { createApp } from '../../api/app';
import { CONSOLE_DIST } from '../../api/console-files';
import { REPO_ROOT } from '../../scripts/tools';
import { appDepsOf, apiFor } from './api';
import type { TestContext } from './stack';
import { uniqueId } from './stack';
import type { OrderWorkflowInput } from '../../workflows/order';

// The console driven in a real browser: Debian's Chromium (headless) through playwright-core, against the
// real API (createApp over the suite's stack) listening on a free port. Screenshots go to
// .data/artifacts/console/ (gitignored) for a person to look at.

const CANDIDATES = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];
export const ARTIFACTS = path.join(REPO_ROOT, '.data', 'artifacts', 'console');

/** The Chromium to drive; fails (never skips) naming the fix when there is none. */
export function chromiumPath(): string {
  const found = CANDIDATES.find((p): p is string => !!p && existsSync(p));
  if (!found)
    throw new Error(
      'No Chromium for the console browser tests: install it (`apt-get install chromium` on Debian; .ci/run does this in CI) ' +
        'or set CHROMIUM_PATH to a Chromium or Chrome binary',
    );
  return found;
}

export interface ConsoleHarness {
  baseUrl: string;
  browser: Browser;
  api: Awaited<ReturnType<typeof apiFor>>;
  /** A console user created through the API (POST /users), with this role. */
  createUser(role?: string): Promise<{ email: string; password: string; name: string }>;
  /** A fresh browser context (own cookies) and page; phone: a 390×844 viewport. */
  newPage(opts?: { phone?: boolean }): Promise<Page>;
  /** Signs in through the login form and waits for the orders page. */
  signIn(page: Page, user: { email: string; password: string }): Promise<void>;
  screenshot(page: Page, name: string): Promise<void>;
  close(): Promise<void>;
}

export async function startConsole(
  ctx: TestContext,
  opts: { orderSettings?: OrderWorkflowInput['settings']; localMailboxUrl?: string } = {},
): Promise<ConsoleHarness> {
  if (!existsSync(path.join(CONSOLE_DIST, 'index.html')))
    throw new Error('The console is not built: run `npm run console:build` (npm test builds it when missing)');
  const api = await apiFor(ctx, opts.orderSettings);
  const app = createApp(
    appDepsOf(ctx, {
      ...(opts.orderSettings && { orderSettings: opts.orderSettings }),
      ...(opts.localMailboxUrl && { localMailboxUrl: opts.localMailboxUrl }),
    }),
  );
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const browser = await chromium.launch({ executablePath: chromiumPath(), headless: true, args: ['--no-sandbox'] });
  const contexts: BrowserContext[] = [];
  mkdirSync(ARTIFACTS, { recursive: true });
  return {
    baseUrl,
    browser,
    api,
    async createUser(role = 'operator') {
      const user = { email: `${uniqueId('op')}@example.com`, password: 'correct horse battery', name: `Olga ${role}` };
      const res = await api.post('/users', { ...user, role });
      if (res.status !== 201) throw new Error(`POST /users answered ${res.status}: ${JSON.stringify(res.body)}`);
      return user;
    },
    async newPage(opts = {}) {
      const context = await browser.newContext({
        baseURL: baseUrl,
        viewport: opts.phone ? { width: 390, height: 844 } : { width: 1280, height: 900 },
        ...(opts.phone && { isMobile: true, hasTouch: true, deviceScaleFactor: 2 }),
      });
      contexts.push(context);
      const page = await context.newPage();
      page.setDefaultTimeout(20_000);
      return page;
    },
    async signIn(page, user) {
      await page.goto('/console/login');
      await page.getByLabel('Email').fill(user.email);
      await page.getByLabel('Password').fill(user.password);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('heading', { name: 'Orders' }).waitFor();
    },
    async screenshot(page, name) {
      await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
    },
    async close() {
      for (const c of contexts) await c.close().catch(() => undefined);
      await browser.close().catch(() => undefined);
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
