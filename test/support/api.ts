import supertest from 'supertest';
import { createApp, type ApiDeps } from '../../api/app';
import type { TestContext } from './stack';
import type { OrderWorkflowInput } from '../../workflows/order';

export const TEST_API_KEY = 'test-api-key-0123456789';

// What createApp needs, from the suite's real stores, Temporal and Redis, with some of it replaced.
export const appDepsOf = (ctx: TestContext, overrides: Partial<ApiDeps> = {}): ApiDeps => ({
  stores: ctx.stores,
  db: ctx.mongo.db,
  temporal: ctx.temporal,
  redis: ctx.redis,
  webhookQueue: ctx.webhookQueue,
  taskQueue: ctx.taskQueue,
  log: ctx.log,
  ...overrides,
});

// The real Express app over the suite's real stores, Temporal and Redis; requests carry a real API key.
export async function apiFor(ctx: TestContext, orderSettings?: OrderWorkflowInput['settings']) {
  await ctx.stores.apiKeys.register(TEST_API_KEY, 'test-operator');
  const app = createApp(appDepsOf(ctx, orderSettings && { orderSettings }));
  const agent = supertest(app);
  const auth = { Authorization: `Bearer ${TEST_API_KEY}` };
  return {
    app,
    raw: agent,
    get: (path: string) => agent.get(path).set(auth),
    // The body as bytes (a PDF): supertest buffers only text and JSON by itself.
    getBinary: (path: string) =>
      agent
        .get(path)
        .set(auth)
        .buffer(true)
        .parse((res, cb) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => cb(null, Buffer.concat(chunks)));
        }),
    post: (path: string, body?: object | string) => {
      const req = agent.post(path).set(auth);
      return body === undefined ? req : req.send(body);
    },
    put: (path: string, body: object) => agent.put(path).set(auth).send(body),
    putRaw: (path: string, body: string, type: string) => agent.put(path).set(auth).set('Content-Type', type).send(body),
    // A sku's stock at one location, as GET /stock/:sku shows it.
    stockAt: async (sku: string, locationId: string) =>
      ((await agent.get(`/stock/${sku}`).set(auth)).body.locations as { locationId: string; onHand: number; reserved: number }[]).find(
        (l) => l.locationId === locationId,
      )!,
  };
}

// The money an order's payments journal shows captured, by capture key (the part, or `rest`), in key order.
export const capturesOf = async (ctx: TestContext, orderId: string) =>
  (await ctx.stores.payments.forOrder(orderId))
    .filter((r) => r.operation === 'capture')
    .map((r) => ({ key: r._id.slice(orderId.length + 1), amount: r.amount }))
    .sort((a, b) => a.key.localeCompare(b.key));
