import supertest from 'supertest';
import { createApp } from '../../api/app';
import { apiFor, appDepsOf, TEST_API_KEY } from '../support/api';
import { orderBody } from '../support/fixtures';
import { createTestContext, uniqueId, type TestContext } from '../support/stack';

// Operations endpoints: GET /metrics (Prometheus text) and bull-board at /admin/queues, over the real
// store, Redis and Temporal, with keys of real roles.

const METRICS_TOKEN = 'scrape-token-0123456789abcdef';
let ctx: TestContext;
let api: Awaited<ReturnType<typeof apiFor>>;
const keys: Record<string, string> = {};

beforeAll(async () => {
  ctx = await createTestContext('api_ops');
  api = await apiFor(ctx); // the suite's key is an admin's
  expect((await api.post('/items', { sku: 'SKU-1', name: 'Sample' })).status).toBe(201);
  for (const role of ['operator', 'read_only']) {
    const res = await api.post('/api-keys', { name: uniqueId(role), role });
    expect(res.status).toBe(201);
    keys[role] = res.body.key;
  }
}, 60_000);
afterAll(async () => ctx?.close());

// A fresh app (its own metrics and snapshot) over the suite's stack.
const freshApp = () => supertest(createApp(appDepsOf(ctx, { metricsToken: METRICS_TOKEN, queues: [ctx.webhookQueue] })));
const bearer = (key: string) => ({ Authorization: `Bearer ${key}` });
const admin = () => bearer(TEST_API_KEY);

/** The value of the one sample of a family whose labels include all of `labels` (undefined when none). */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  const lines = text
    .split('\n')
    .filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `))
    .filter((l) => wanted.every((w) => l.includes(w)));
  if (lines.length > 1) throw new Error(`more than one sample of ${name} ${JSON.stringify(labels)}: ${lines.join(' / ')}`);
  return lines[0] === undefined ? undefined : Number(lines[0].slice(lines[0].lastIndexOf(' ') + 1));
}

describe('GET /metrics', () => {
  test('answers Prometheus text with every named family, reflecting the requests and the order taken through the API', async () => {
    const http = freshApp();
    const body = orderBody({ channel: 'manual' });
    expect((await http.post('/orders').set(admin()).send(body)).status).toBe(202);
    const orderId = encodeURIComponent(`order:manual:${body.channelOrderId}`);
    for (let i = 0; i < 3; i++) expect((await http.get(`/orders/${orderId}`).set(admin())).status).toBe(200);
    expect((await http.get('/orders/order:manual:nothing-here').set(admin())).status).toBe(404);
    expect((await http.post(`/webhooks/${uniqueId('nowhere')}`).send('{}')).status).toBeGreaterThanOrEqual(400);

    const res = await http.get('/metrics').set(admin());
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain;/);
    expect(res.headers['content-type']).toContain('version=0.0.4');
    const text = res.text;
    for (const [family, type] of [
      ['orderhub_http_request_duration_seconds', 'histogram'],
      ['orderhub_orders', 'gauge'],
      ['orderhub_orders_needs_attention', 'gauge'],
      ['orderhub_webhook_dead_letters', 'gauge'],
      ['orderhub_webhooks_received_total', 'counter'],
      ['orderhub_connector_calls_total', 'counter'],
      ['orderhub_connector_call_retries_total', 'counter'],
      ['bullmq_job_count', 'gauge'],
      ['bullmq_job_completed_total', 'counter'],
      ['bullmq_job_failed_total', 'counter'],
      ['process_cpu_user_seconds_total', 'counter'],
    ])
      expect(text).toContain(`# TYPE ${family} ${type}\n`);
    // Each family once: a repeated HELP or TYPE makes the whole scrape invalid.
    const types = text.split('\n').filter((l) => l.startsWith('# TYPE '));
    expect(new Set(types).size).toBe(types.length);

    // Latency by route pattern (never the raw path) and status class.
    const route = (r: string, method: string, status_class: string) =>
      sample(text, 'orderhub_http_request_duration_seconds_count', { method, route: r, status_class });
    expect(route('/orders/:id', 'GET', '2xx')).toBe(3);
    expect(route('/orders/:id', 'GET', '4xx')).toBe(1);
    expect(route('/orders', 'POST', '2xx')).toBe(1);
    expect(text).not.toContain(orderId);
    expect(text).not.toContain('nothing-here');
    // The captured order (no worker runs: it stays received), by status and channel.
    expect(sample(text, 'orderhub_orders', { status: 'received', channel: 'manual' })).toBe(1);
    expect(sample(text, 'orderhub_orders_needs_attention')).toBe(0);
    expect(sample(text, 'orderhub_webhook_dead_letters')).toBe(0);
    expect(sample(text, 'orderhub_webhooks_received_total', { outcome: 'rejected' })).toBe(1);
    expect(sample(text, 'bullmq_job_count', { queue: 'orderhub-webhooks', state: 'waiting' })).toBe(0);
  });

  test('the store is read at most once per snapshot (20 s): an order taken just after a scrape shows in a later one', async () => {
    const http = freshApp();
    const first = await http.get('/metrics').set(admin());
    const before = sample(first.text, 'orderhub_orders', { status: 'received', channel: 'manual' }) ?? 0;
    expect(
      (
        await http
          .post('/orders')
          .set(admin())
          .send(orderBody({ channel: 'manual' }))
      ).status,
    ).toBe(202);
    const second = await http.get('/metrics').set(admin());
    expect(sample(second.text, 'orderhub_orders', { status: 'received', channel: 'manual' }) ?? 0).toBe(before);
    // A new process (a fresh snapshot) sees it.
    const fresh = await freshApp().get('/metrics').set(admin());
    expect(sample(fresh.text, 'orderhub_orders', { status: 'received', channel: 'manual' })).toBe(before + 1);
  });

  test('an operator reads the metrics; a read-only key gets 403 naming metrics:read; no key 401', async () => {
    const http = freshApp();
    expect((await http.get('/metrics').set(bearer(keys.operator))).status).toBe(200);
    const refused = await http.get('/metrics').set(bearer(keys.read_only));
    expect(refused.status).toBe(403);
    expect(refused.body.error).toMatchObject({ code: 'forbidden', details: { permission: 'metrics:read' } });
    expect((await http.get('/metrics')).status).toBe(401);
  });

  test('a scraper with METRICS_TOKEN reads /metrics and nothing else; a near miss of the token is refused', async () => {
    const http = freshApp();
    const scraped = await http.get('/metrics').set(bearer(METRICS_TOKEN));
    expect(scraped.status).toBe(200);
    expect(scraped.text).toContain('# TYPE orderhub_orders gauge');
    expect((await http.get('/orders').set(bearer(METRICS_TOKEN))).status).toBe(401);
    expect((await http.get('/admin/queues').set(bearer(METRICS_TOKEN))).status).toBe(401);
    expect((await http.get('/metrics').set(bearer(`${METRICS_TOKEN}x`))).status).toBe(401);
    expect((await http.get('/metrics').set(bearer(METRICS_TOKEN.slice(0, -1)))).status).toBe(401);
    // Without a configured token, the token is just an unknown key.
    const noToken = supertest(createApp(appDepsOf(ctx)));
    expect((await noToken.get('/metrics').set(bearer(METRICS_TOKEN))).status).toBe(401);
  });
});

describe('bull-board at /admin/queues', () => {
  test('an admin gets the HTML page, its assets and the queues; an operator gets 403 naming queues:manage', async () => {
    const http = freshApp();
    const page = await http.get('/admin/queues').set(admin());
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.headers['x-powered-by']).toBeUndefined();
    // Assets are linked relative to <base href="/admin/queues/">.
    expect(page.text).toContain('<base href="/admin/queues/"');
    const main = /src="(static\/js\/main\.[^"]+\.js)"/.exec(page.text)?.[1];
    expect(main).toBeDefined();
    const asset = `/admin/queues/${main}`;
    const js = await http.get(asset).set(admin());
    expect(js.status).toBe(200);
    expect(js.headers['content-type']).toMatch(/javascript/);
    const queues = await http.get('/admin/queues/api/queues').set(admin());
    expect(queues.status).toBe(200);
    expect(queues.body.queues.map((q: { name: string }) => q.name)).toContain('orderhub-webhooks');

    for (const path of ['/admin/queues', asset, '/admin/queues/api/queues']) {
      const refused = await http.get(path).set(bearer(keys.operator));
      expect([path, refused.status]).toEqual([path, 403]);
      expect(refused.body.error).toMatchObject({ code: 'forbidden', details: { permission: 'queues:manage' } });
    }
    expect((await http.get('/admin/queues')).status).toBe(401);
  });
});
