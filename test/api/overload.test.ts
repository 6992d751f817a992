import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { MongoClient } from 'mongodb';
import supertest from 'supertest';
import { createApp, type ApiDeps } from '../../api/app';
import { StockLedger } from '../../store/stock-ledger';
import { OrdersView } from '../../store/orders';
import { freePort } from '../../scripts/stack';
import { createTestContext, type TestContext } from '../support/stack';
import { apiFor, appDepsOf, TEST_API_KEY } from '../support/api';
import { location } from '../support/fixtures';

// Overload and outages answer 503 with Retry-After, never 500, and a stock change is applied once or not
// at all: the answer names the key to send it again under.

let ctx: TestContext;
let api: Awaited<ReturnType<typeof apiFor>>;
let deadMongo: MongoClient;

beforeAll(async () => {
  ctx = await createTestContext('overload');
  api = await apiFor(ctx);
  await api.post('/locations', location('BER-1', 1));
  await api.post('/items', { sku: 'BUSY-1', name: 'Busy' });
  // A MongoDB client whose server never answers: what the API sees when its store is away.
  deadMongo = new MongoClient(`mongodb://127.0.0.1:${await freePort()}/`, { serverSelectionTimeoutMS: 300 });
});
afterAll(async () => {
  await deadMongo.close();
  await ctx.close();
});

const auth = { Authorization: `Bearer ${TEST_API_KEY}` };
const appWith = (overrides: Partial<ApiDeps>) => supertest(createApp(appDepsOf(ctx, overrides)));

describe('the API under overload and outages', () => {
  test('a receipt the store cannot take answers 503 with Retry-After and a key; sent again with it, it applies exactly once', async () => {
    const away = appWith({ stores: { ...ctx.stores, ledger: new StockLedger(deadMongo.db('orderhub')) } });
    const refused = await away.post('/stock/receipts').set(auth).send({ sku: 'BUSY-1', locationId: 'BER-1', quantity: 7 });
    expect(refused.status).toBe(503);
    expect(refused.headers['retry-after']).toBe('2');
    expect(refused.body.error).toMatchObject({
      code: 'unavailable',
      message: expect.stringContaining('send it again with idempotencyKey'),
      details: { idempotencyKey: expect.any(String) },
    });
    expect((await api.get('/stock/BUSY-1')).body.total.onHand).toBe(0);

    const { idempotencyKey } = refused.body.error.details;
    const applied = await api.post('/stock/receipts', { sku: 'BUSY-1', locationId: 'BER-1', quantity: 7, idempotencyKey });
    expect(applied.status).toBe(201);
    expect(applied.body.idempotencyKey).toBe(idempotencyKey);
    const again = await api.post('/stock/receipts', { sku: 'BUSY-1', locationId: 'BER-1', quantity: 7, idempotencyKey });
    expect(again.status).toBe(200);
    expect(again.body.duplicate).toBe(true);
    expect((await api.get('/stock/BUSY-1')).body.total.onHand).toBe(7);
  });

  test('with the whole store away, every route answers 503 with Retry-After, not 500', async () => {
    const away = appWith({ stores: { ...ctx.stores, orders: new OrdersView(deadMongo.db('orderhub')) } });
    for (const path of ['/orders?status=completed', '/orders/order:web:1']) {
      const res = await away.get(path).set(auth);
      expect(`${res.status} ${res.headers['retry-after']} ${res.body.error?.code}`).toBe('503 2 unavailable');
    }
  });

  test('past its limits the API turns requests away at once with 503 and Retry-After, and takes them again when there is room', async () => {
    const app = createApp(appDepsOf(ctx, { admission: { maxInFlight: 1, maxQueued: 0, queueTimeoutMs: 1_000 } }));
    const server = http.createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      // A request whose body is still arriving holds the one place.
      const body = JSON.stringify({ sku: 'BUSY-1', locationId: 'BER-1', quantity: 1, idempotencyKey: 'slow-body-0001' });
      const slow = http.request({
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/stock/receipts',
        headers: { ...auth, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      });
      const slowAnswer = new Promise<number>((resolve, reject) => {
        slow.on('response', (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        slow.on('error', reject);
      });
      slow.write(body.slice(0, 10));
      await new Promise((r) => setTimeout(r, 200));

      const turned = await supertest(`http://127.0.0.1:${port}`).get('/orders').set(auth);
      expect(turned.status).toBe(503);
      expect(turned.headers['retry-after']).toBe('1');
      expect(turned.body.error).toMatchObject({ code: 'unavailable', message: expect.stringContaining('at capacity') });
      // Health still answers.
      expect((await supertest(`http://127.0.0.1:${port}`).get('/health')).status).toBe(200);

      slow.end(body.slice(10));
      expect(await slowAnswer).toBe(201);
      expect((await supertest(`http://127.0.0.1:${port}`).get('/orders').set(auth)).status).toBe(200);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
