import { Redis } from 'ioredis';
import nock from 'nock';
import { connectorCalls, connectorRetries } from '../../connectors/call-metrics';
import { createConnectorContext } from '../../connectors/context';
import { UpstreamError, retryAfterMs } from '../../connectors/http';
import type { ConnectorContext } from '../../connectors/types';
import { UpstreamUnavailableError } from '../../domain/errors';
import { silentLogger } from '../../domain/logger';
import { testConnectorContext } from '../support/connectors';
import { stackEnv, uniqueId } from '../support/stack';

const API = 'https://api.example.test';
const roomy = { ratePerSecond: 100, burst: 100 }; // a limit the test never hits, where the limit is not the point

let ctx: ConnectorContext;
let cleanup: (() => void)[] = [];

beforeAll(() => {
  nock.disableNetConnect();
  nock.enableNetConnect(/127\.0\.0\.1|localhost/);
});
afterAll(() => nock.enableNetConnect());

beforeEach(() => {
  const t = testConnectorContext();
  ctx = t.ctx;
  cleanup = [t.close];
});
afterEach(() => {
  nock.cleanAll();
  cleanup.forEach((c) => c());
});

// Two processes on the same connection: separate Redis connections, separate contexts, one connection id.
function twoProcesses(): [ConnectorContext, ConnectorContext, Redis] {
  const connectionId = uniqueId('conn');
  const [a, b] = [
    new Redis(stackEnv().REDIS_URL, { maxRetriesPerRequest: 1 }),
    new Redis(stackEnv().REDIS_URL, { maxRetriesPerRequest: 1 }),
  ];
  cleanup.push(
    () => a.disconnect(),
    () => b.disconnect(),
  );
  return [
    createConnectorContext({ connectionId, channel: 'test', redis: a, log: silentLogger }),
    createConnectorContext({ connectionId, channel: 'test', redis: b, log: silentLogger }),
    a,
  ];
}

async function pauseSet(redis: Redis, connectionId: string): Promise<void> {
  const until = Date.now() + 5_000;
  while (!(await redis.exists(`orderhub:ratelimit:${connectionId}:default:pause`))) {
    if (Date.now() > until) throw new Error('the 429 never paused the connection');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('outbound HTTP: retries and backoff', () => {
  test('a 429 with Retry-After: 1 waits about a second, then succeeds', async () => {
    const scope = nock(API)
      .get('/orders')
      .reply(429, { error: 'slow down' }, { 'Retry-After': '1' })
      .get('/orders')
      .reply(200, { orders: [] });
    const http = ctx.http({ baseURL: API, limit: roomy, baseDelayMs: 10 });

    const started = Date.now();
    const res = await http.request({ url: '/orders' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(res.data).toEqual({ orders: [] });
    expect(scope.isDone()).toBe(true);
  });

  test('503, 503, then 200 succeeds on the third attempt', async () => {
    const scope = nock(API).get('/stock').times(2).reply(503, 'unavailable').get('/stock').reply(200, { ok: true });
    const http = ctx.http({ baseURL: API, limit: roomy, baseDelayMs: 10 });

    const res = await http.request({ url: '/stock' });
    expect(res.status).toBe(200);
    expect(scope.isDone()).toBe(true);
  });

  test('a 400 is not retried, and the error names the request and the status', async () => {
    let calls = 0;
    nock(API)
      .post('/orders')
      .times(5)
      .reply(() => (calls++, [400, { error: 'line 1: sku is required' }]));
    const http = ctx.http({ baseURL: API, limit: roomy, baseDelayMs: 10 });

    const err = await http.request({ method: 'POST', url: '/orders', data: {} }).catch((e: unknown) => e);
    expect(calls).toBe(1);
    expect(err).toBeInstanceOf(UpstreamError);
    expect((err as UpstreamError).status).toBe(400);
    expect((err as Error).message).toMatch(/POST \/orders was refused with 400/);
    expect((err as UpstreamError).body).toEqual({ error: 'line 1: sku is required' });
  });

  test('a network error is retried', async () => {
    const scope = nock(API)
      .get('/orders')
      // An Error, not a plain object: nock 14 mishandles plain objects here (nock/nock#2789).
      .replyWithError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }))
      .get('/orders')
      .reply(200, { orders: [1] });
    const http = ctx.http({ baseURL: API, limit: roomy, baseDelayMs: 10 });

    const res = await http.request({ url: '/orders' });
    expect(res.data).toEqual({ orders: [1] });
    expect(scope.isDone()).toBe(true);
  });

  test('after maxAttempts answers of 500 the call fails as upstream unavailable', async () => {
    const scope = nock(API).get('/orders').times(3).reply(500, 'boom');
    const http = ctx.http({ baseURL: API, limit: roomy, baseDelayMs: 10, maxAttempts: 3 });

    const err = await http.request({ url: '/orders' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UpstreamUnavailableError);
    expect(err).toMatchObject({
      code: 'upstream_unavailable',
      message: expect.stringMatching(/GET \/orders failed after 3 attempts: status 500/),
    });
    expect(scope.isDone()).toBe(true);
  });

  test('Retry-After is read as seconds or as an HTTP date', () => {
    expect(retryAfterMs('2')).toBe(2000);
    expect(retryAfterMs(new Date(Date.now() + 5_000).toUTCString())).toBeGreaterThan(3_000);
    expect(retryAfterMs(new Date(Date.now() - 5_000).toUTCString())).toBe(0);
    expect(retryAfterMs('soon')).toBeUndefined();
    expect(retryAfterMs(undefined)).toBeUndefined();
  });
});

describe('outbound HTTP: the rate limit is per connection, across processes', () => {
  test('two processes on one connection share the bucket: 6 calls at 5/s with a burst of 2 take about 800 ms', async () => {
    const [one, two] = twoProcesses();
    const limit = { ratePerSecond: 5, burst: 2 };
    nock(API)
      .get(/\/items\/\d/)
      .times(6)
      .reply(200, {});
    const [a, b] = [one.http({ baseURL: API, limit }), two.http({ baseURL: API, limit })];

    const started = Date.now();
    await Promise.all([0, 1, 2].flatMap((i) => [a.request({ url: `/items/${i}` }), b.request({ url: `/items/${i + 3}` })]));
    // Alone, each process would spend its own burst of 2 and wait for one token: about 200 ms.
    expect(Date.now() - started).toBeGreaterThanOrEqual(750);
  });

  test('a call can cost several tokens (a GraphQL query), and what the vendor reports left sets the shared bucket for every process', async () => {
    const [one, two] = twoProcesses();
    const limit = { ratePerSecond: 100, burst: 100 };
    nock(API).post('/graphql').times(3).reply(200, {});
    const [a, b] = [one.http({ baseURL: API, limit }), two.http({ baseURL: API, limit })];

    let started = Date.now();
    await a.request({ method: 'POST', url: '/graphql', cost: 60, limitKey: 'cost' });
    await b.request({ method: 'POST', url: '/graphql', cost: 60, limitKey: 'cost' }); // 40 left: waits for 20 more
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);

    // The vendor says its bucket is empty (other apps spent it): the other process waits for the refill too.
    await a.observeBucket('cost', limit, 0);
    started = Date.now();
    await b.request({ method: 'POST', url: '/graphql', cost: 50, limitKey: 'cost' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(490);
  });

  test('a 429 on one process pauses the other for the Retry-After', async () => {
    const [one, two, redis] = twoProcesses();
    let refusedAt = 0;
    nock(API)
      .get('/a')
      .reply(() => ((refusedAt = Date.now()), [429, '', { 'Retry-After': '1' }]))
      .get('/a')
      .reply(200, {})
      .get('/b')
      .reply(200, {});

    const first = one.http({ baseURL: API, limit: roomy }).request({ url: '/a' });
    await pauseSet(redis, one.connectionId);
    await two.http({ baseURL: API, limit: roomy }).request({ url: '/b' });
    expect(Date.now() - refusedAt).toBeGreaterThanOrEqual(900);
    await first;
  });

  test('a 429 on a process that has no attempts left still pauses the others', async () => {
    const [one, two, redis] = twoProcesses();
    let refusedAt = 0;
    nock(API)
      .get('/a')
      .reply(() => ((refusedAt = Date.now()), [429, '', { 'Retry-After': '1' }]))
      .get('/b')
      .reply(200, {});

    await expect(one.http({ baseURL: API, limit: roomy, maxAttempts: 1 }).request({ url: '/a' })).rejects.toThrow(
      /failed after 1 attempts: status 429/,
    );
    await pauseSet(redis, one.connectionId);
    await two.http({ baseURL: API, limit: roomy }).request({ url: '/b' });
    expect(Date.now() - refusedAt).toBeGreaterThanOrEqual(900);
  });
});

describe('outbound HTTP: one client per base URL', () => {
  // BUG in connectors/context.ts: ctx.http() caches clients by baseURL and limit only, so a second call
  // with other headers (a refreshed access token), maxAttempts or timeout silently gets the first client.
  // Flip to test() when the cache key covers every option (or the client takes headers per request).
  test('a client asked for with a new Authorization header sends the new header', async () => {
    nock(API).get('/me').matchHeader('authorization', 'Bearer new-token').reply(200, {});
    ctx.http({ baseURL: API, limit: roomy, headers: { authorization: 'Bearer old-token' }, maxAttempts: 1 });
    const fresh = ctx.http({ baseURL: API, limit: roomy, headers: { authorization: 'Bearer new-token' }, maxAttempts: 1 });
    await fresh.request({ url: '/me' });
  });
});

describe('call metrics', () => {
  test('every call is counted once by connector kind and outcome, and every retry by its reason', async () => {
    const redis = new Redis(stackEnv().REDIS_URL, { maxRetriesPerRequest: 1 });
    cleanup.push(() => redis.disconnect());
    const kind = uniqueId('kind');
    const counted = createConnectorContext({ connectionId: uniqueId('conn'), channel: 'test', kind, redis, log: silentLogger });
    const http = counted.http({ baseURL: API, limit: roomy, baseDelayMs: 10, maxAttempts: 2 });
    nock(API).get('/ok').reply(503).get('/ok').reply(200, {}).get('/no').reply(404).get('/down').times(2).reply(500);
    await http.request({ url: '/ok' });
    await http.request({ url: '/no' }).catch(() => undefined);
    await http.request({ url: '/down' }).catch(() => undefined);
    const values = async (metric: { get(): Promise<{ values: { labels: Record<string, unknown>; value: number }[] }> }) =>
      Object.fromEntries(
        (await metric.get()).values
          .filter((v) => v.labels.connector === kind)
          .map((v) => [String(v.labels.outcome ?? v.labels.reason), v.value]),
      );
    expect(await values(connectorCalls)).toEqual({ ok: 1, rejected: 1, unavailable: 1 });
    expect(await values(connectorRetries)).toEqual({ server_error: 2 });
  });
});
