import supertest from 'supertest';
import { createApp } from '../../api/app';
import { appDepsOf, TEST_API_KEY } from '../support/api';
import { eventually } from '../support/fixtures';
import { captureLogs, type LogLine } from '../support/logs';
import { createTestContext, uniqueId, type TestContext } from '../support/stack';

// The API's request log (pino-http on the real app, over the suite's real stores, Temporal and Redis):
// every request answered with an id and logged once under it, and nothing secret in what is logged.

let ctx: TestContext;
let logs: ReturnType<typeof captureLogs>;
let api: ReturnType<typeof supertest>;
const auth = { Authorization: `Bearer ${TEST_API_KEY}` };
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

beforeAll(async () => {
  ctx = await createTestContext('api_request_log');
  await ctx.stores.apiKeys.register(TEST_API_KEY, 'test-operator');
  logs = captureLogs('info', { process: 'api' });
  api = supertest(createApp(appDepsOf(ctx, { log: logs.log })));
}, 60_000);
afterAll(async () => ctx?.close());

// The request's lines, once its answer has been logged (the line is written when the answer is sent).
const linesOf = (requestId: string, count = 1) =>
  eventually(
    async () => logs.lines().filter((l) => l.requestId === requestId),
    (lines) => lines.length >= count,
    5_000,
    `the log line of request ${requestId}`,
  );

test('a request gets an id, answered in X-Request-Id, and one log line under it with method, path, route, status, duration and actor', async () => {
  const sku = uniqueId('LOG-SKU');
  expect((await api.post('/items').set(auth).send({ sku, name: 'Logged mug' })).status).toBe(201);
  const res = await api.get(`/items/${sku}?fields=all&token=not-for-logs`).set(auth);
  expect(res.status).toBe(200);
  const requestId = res.headers['x-request-id'];
  expect(requestId).toMatch(UUID);
  const lines = await linesOf(requestId);
  await new Promise((r) => setTimeout(r, 200)); // and no second line comes after
  expect(logs.lines().filter((l) => l.requestId === requestId)).toHaveLength(1);
  const keyId = (await ctx.stores.apiKeys.verify(TEST_API_KEY))!.id;
  expect(lines[0]).toEqual({
    level: 'info',
    time: expect.any(String),
    process: 'api',
    requestId,
    msg: 'request completed',
    method: 'GET',
    path: `/items/${sku}`, // no query: search terms and cursors stay out of the logs
    route: '/items/:sku',
    status: 200,
    durationMs: expect.any(Number),
    actor: `key:${keyId}`,
  });
  // Another request, another id.
  const next = await api.get(`/items/${sku}`).set(auth);
  expect(next.headers['x-request-id']).toMatch(UUID);
  expect(next.headers['x-request-id']).not.toBe(requestId);
});

test("a caller's or proxy's X-Request-Id is kept: answered back and logged under it", async () => {
  const given = `edge-${Date.now()}.trace:01_ab`;
  const res = await api.get('/items?limit=1').set(auth).set('X-Request-Id', given);
  expect(res.status).toBe(200);
  expect(res.headers['x-request-id']).toBe(given);
  const [line] = await linesOf(given);
  expect(line).toMatchObject({ method: 'GET', path: '/items', status: 200 });
});

test('a hostile X-Request-Id (too long, spaces, control characters, JSON) is replaced by a fresh id and never logged', async () => {
  const hostile = ['a'.repeat(129), 'two words', 'tab\there', '"},{"level":"error","msg":"forged', 'é-non-ascii'];
  for (const value of hostile) {
    const res = await api.get('/items?limit=1').set(auth).set('X-Request-Id', value);
    expect(res.status).toBe(200);
    expect(res.headers['x-request-id']).toMatch(UUID);
    await linesOf(res.headers['x-request-id']);
  }
  for (const value of hostile) expect(logs.text()).not.toContain(value);
  expect(logs.lines().filter((l) => l.msg === 'forged')).toEqual([]);
});

test('an error answer carries the request id in its body, the same as the header and the log line', async () => {
  const missing = await api.get('/no-such-route').set(auth);
  expect(missing.status).toBe(404);
  expect(missing.body.error).toEqual({ code: 'not_found', message: expect.any(String), requestId: missing.headers['x-request-id'] });

  const invalid = await api.post('/items').set(auth).set('X-Request-Id', 'client-req-42').send({ sku: '' });
  expect(invalid.status).toBe(400);
  expect(invalid.body.error).toMatchObject({ code: 'validation_failed', requestId: 'client-req-42' });
  const [line] = await linesOf('client-req-42');
  expect(line).toMatchObject({ level: 'info', method: 'POST', path: '/items', status: 400 });

  const unauthenticated = await api.get('/orders');
  expect(unauthenticated.status).toBe(401);
  expect(unauthenticated.body.error.requestId).toBe(unauthenticated.headers['x-request-id']);
});

test('a logged request never shows its API key, session token, cookie, password or the user’s email', async () => {
  const email = `log-${uniqueId('u')}@example.com`;
  const password = `pw-${uniqueId('secret')}-long-enough`;
  const created = await api.post('/users').set(auth).send({ email, name: 'Logged User', role: 'customer_service', password });
  expect(created.status).toBe(201);
  const signIn = await api.post('/session').send({ email, password });
  expect(signIn.status).toBe(201);
  const token = signIn.body.token as string;
  const byCookie = await api.get('/orders?limit=1').set('Cookie', `orderhub_session=${token}`);
  expect(byCookie.status).toBe(200);
  const byBearer = await api.get('/orders?limit=1').set('Authorization', `Bearer ${token}`);
  expect(byBearer.status).toBe(200);
  const disabled = await api.post(`/users/${encodeURIComponent(email)}/disable`).set(auth);
  expect(disabled.status).toBe(200);
  const wrong = await api.post('/session').send({ email, password: `${password}-wrong` });
  expect(wrong.status).toBe(401);

  const ids = [created, signIn, byCookie, byBearer, disabled, wrong].map((r) => r.headers['x-request-id'] as string);
  for (const id of ids) await linesOf(id);
  const text = logs.text();
  for (const secret of [TEST_API_KEY, token, password, email, encodeURIComponent(email)]) expect(text).not.toContain(secret);
  const lineOf = (id: string) => logs.lines().find((l) => l.requestId === id) as LogLine;
  // The user is named by a stable pseudonym, the same whether the session came as a cookie or a bearer token.
  const actor = lineOf(ids[2]).actor;
  expect(actor).toMatch(/^user:[0-9a-f]{12}$/);
  expect(lineOf(ids[3]).actor).toBe(actor);
  expect(lineOf(ids[4])).toMatchObject({ path: '/users/:email/disable', route: '/users/:email/disable', status: 200 });
  expect(lineOf(ids[5])).toMatchObject({ path: '/session', status: 401 });
});

test('health checks and metrics scrapes are logged at debug, so an info log is not flooded by them', async () => {
  const health = await api.get('/health');
  const metrics = await api.get('/metrics').set(auth);
  expect([health.status, metrics.status]).toEqual([200, 200]);
  const after = await api.get('/items?limit=1').set(auth);
  await linesOf(after.headers['x-request-id']);
  for (const res of [health, metrics]) {
    expect(res.headers['x-request-id']).toMatch(UUID);
    expect(logs.lines().filter((l) => l.requestId === res.headers['x-request-id'])).toEqual([]);
  }

  // The same app at LOG_LEVEL=debug shows them.
  const debug = captureLogs('debug', { process: 'api' });
  const debugApi = supertest(createApp(appDepsOf(ctx, { log: debug.log })));
  const seen = await debugApi.get('/health');
  const lines = await eventually(
    async () => debug.lines().filter((l) => l.requestId === seen.headers['x-request-id']),
    (l) => l.length === 1,
    5_000,
    'the health check at debug',
  );
  expect(lines[0]).toMatchObject({ level: 'debug', method: 'GET', path: '/health', status: 200 });
});
