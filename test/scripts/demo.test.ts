import { spawn } from 'node:child_process';
import path from 'node:path';
import { freePort } from '../../scripts/stack';
import { DEV_API_KEY } from '../../worker/config';
import { stackEnv, uniqueId } from '../support/stack';

// `npm run demo -- --fast` as a developer runs it, twice, against this run's stack: with nothing answering on
// its port it starts the worker and the API itself (as npm start does), sets up the sample business through
// the API, sends its orders (Shopify ones as signed webhooks), moves them along, and waits for Ctrl-C.
// Checked through the same API while it waits: orders in every state; the second run adds nothing.

const ROOT = path.resolve(__dirname, '../..');
const SHOP = 'demo-shop';
const shopifyOrder = (n: number) => `order:${SHOP}:${5_100_000_000_000 + n}`;

interface Demo {
  output: string;
  stop(): Promise<number | null>;
}

// Starts the demo and resolves once it says where to look (or fails with its output when it exits first).
async function runDemo(env: NodeJS.ProcessEnv): Promise<Demo> {
  const child = spawn(process.execPath, ['scripts/bootstrap.mjs', 'demo', '--fast'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    const timer = setInterval(() => {
      if (output.includes('Press Ctrl-C')) {
        clearInterval(timer);
        resolve();
      }
    }, 200);
    void exited.then((code) => {
      clearInterval(timer);
      reject(new Error(`the demo exited (${code}) before it was in place:\n${output}`));
    });
  });
  return {
    get output() {
      return output;
    },
    async stop() {
      child.kill('SIGINT');
      return exited;
    },
  };
}

let api: (path: string) => Promise<{ status: number; body: any }>; // eslint-disable-line @typescript-eslint/no-explicit-any
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  const port = await freePort();
  // The suite's own database, task queue and queue prefix on the shared test stack.
  env = {
    ...process.env,
    ...stackEnv(),
    PORT: String(port),
    MONGODB_DB: uniqueId('demo').replace(/-/g, '_'),
    TEMPORAL_TASK_QUEUE: uniqueId('tq-demo'),
    BULLMQ_PREFIX: uniqueId('bull-demo'),
    LOG_LEVEL: 'warn',
  };
  delete env.ORDERHUB_API_KEY;
  api = async (p: string) => {
    const res = await fetch(`http://127.0.0.1:${port}${p}`, { headers: { authorization: `Bearer ${DEV_API_KEY}` } });
    return { status: res.status, body: await res.json() };
  };
});

// What a second run must not add to: every order, location, item, connection, user, return and ledger entry.
async function counts() {
  const orders = (await api('/orders?limit=200')).body.orders as { orderId: string }[];
  const items = (await api('/items?limit=200')).body.items as { sku: string }[];
  const ledger: Record<string, number> = {};
  for (const { sku } of items) ledger[sku] = (await api(`/stock/${sku}/ledger?limit=1000`)).body.entries.length;
  const returns: Record<string, number> = {};
  for (const { orderId } of orders) returns[orderId] = (await api(`/orders/${orderId}/returns`)).body.returns.length;
  return {
    orders: orders.map((o) => o.orderId).sort(),
    locations: (await api('/locations')).body.locations.length,
    items: items.length,
    connections: (await api('/connections')).body.connections.length,
    users: (await api('/users')).body.users.length,
    returns,
    ledger,
  };
}

test('npm run demo leaves orders in every state (split, pickup, waiting for stock, needs attention, returned), and a second run adds nothing', async () => {
  const first = await runDemo(env);
  let before: Awaited<ReturnType<typeof counts>> | undefined;
  await showingOutput(first, async () => {
    const order = async (id: string) => (await api(`/orders/${id}`)).body;

    const split = await order(shopifyOrder(1002));
    expect(split.parts.map((p: { locationId: string }) => p.locationId).sort()).toEqual(['WH-BERLIN', 'WH-MUNICH']);
    expect(split.parts.find((p: { locationId: string }) => p.locationId === 'WH-BERLIN').stage).toBe('shipped');

    const pickup = await order('order:pos:DEMO-HH-0001');
    expect([pickup.status, pickup.pickup.locationId]).toEqual(['ready_for_pickup', 'STORE-HAMBURG']);

    const waiting = await order(shopifyOrder(1003));
    expect(waiting.status).toBe('awaiting_stock');

    const attention = await order(shopifyOrder(1005));
    expect(attention.status).toBe('needs_attention');
    expect(attention.attention.error).toContain('SOCKS-RAINBOW');

    const returned = await api(`/orders/${shopifyOrder(1004)}/returns`);
    expect(returned.body.returns.map((r: { status: string }) => r.status)).toEqual(['refunded']);
    // The returned mug went back on the shelf in Berlin.
    const mugLedger = (await api('/stock/MUG-ENAMEL/ledger?limit=1000')).body.entries as { type: string; locationId: string }[];
    expect(mugLedger.filter((e) => e.type === 'return').map((e) => e.locationId)).toEqual(['WH-BERLIN']);

    // Every other state an operator meets, each from a Shopify order that came in by signed webhook.
    const statuses = ((await api(`/orders?channel=${SHOP}&limit=200`)).body.orders as { status: string }[]).map((o) => o.status);
    expect(new Set(statuses)).toEqual(
      new Set([
        'completed',
        'picked', // the split order follows its slowest part, and #1010
        'awaiting_stock',
        'needs_attention',
        'shipped',
        'packed',
        'on_hold',
        'cancelled',
        'released_to_fulfillment',
      ]),
    );
    expect(statuses).toHaveLength(11);

    // Stock went out to the Shopify stand-in: what Orderhub last pushed per sku and Shopify location.
    const pushes = (await api(`/connections/${SHOP}/stock-sync`)).body.pushes as { sku: string; channelLocationId: string }[];
    expect(pushes.map((p) => p.sku)).toEqual(expect.arrayContaining(['TEE-BLK-M', 'MUG-ENAMEL', 'CAP-CANVAS']));

    before = await counts();
  });
  expect(first.output).toMatch(/connection demo-shop paused/);

  const second = await runDemo(env);
  await showingOutput(second, async () => {
    expect(await counts()).toEqual(before);
    expect(second.output).not.toMatch(/\bcreated\b|arrived \(/);
    expect(second.output).toMatch(/#1002 was already there/);
    // The connection now points at this run's stand-in, which got every level and nothing reported twice.
    expect(second.output).toMatch(/Shopify holds every stock level Orderhub pushed/);
    expect(second.output).toMatch(/it got \d+ stock levels, 0 fulfillments, 0 cancellations and 0 refunds/);
  });
}, 900_000);

// Runs the checks while the demo waits, then stops it with Ctrl-C; a failure shows what the demo printed.
async function showingOutput(demo: Demo, checks: () => Promise<void>): Promise<void> {
  try {
    await checks();
  } catch (err) {
    if (err instanceof Error) err.message += `\n--- the demo printed ---\n${demo.output}`;
    throw err;
  } finally {
    expect(await demo.stop()).toBe(0);
  }
}
