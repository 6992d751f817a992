import supertest from 'supertest';
import { Redis } from 'ioredis';
import { createApp } from '../../api/app';
import { createTestContext, type TestContext } from '../support/stack';
import { apiFor, appDepsOf } from '../support/api';
import { orderBody } from '../support/fixtures';

let ctx: TestContext;
let api: Awaited<ReturnType<typeof apiFor>>;

beforeAll(async () => {
  ctx = await createTestContext('api_validation');
  api = await apiFor(ctx);
});
afterAll(async () => ctx.close());

const countOrders = () => ctx.mongo.db.collection('orders').countDocuments();

describe('operator API: bad input', () => {
  test('an invalid order is refused with every bad field named, and nothing is stored', async () => {
    const res = await api.post('/orders', {
      ...orderBody(),
      currency: 'euro',
      customer: { email: 'not-an-email' },
      lines: [
        { sku: 'A', quantity: -1, unitPrice: 10.5 },
        { sku: 'has space', quantity: 1.5, unitPrice: 100 },
      ],
      shippingAddress: { line1: 'x', city: 'Berlin', postalCode: '10117', country: 'Germany' },
      surprise: true,
    });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation_failed');
    const paths = res.body.error.details.map((d: { path: string }) => d.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'currency',
        'customer.name',
        'customer.email',
        'lines.0.quantity',
        'lines.0.unitPrice',
        'lines.1.sku',
        'lines.1.quantity',
        'shippingAddress.country',
        'surprise',
      ]),
    );
    expect(await countOrders()).toBe(0);
  });

  test('an order for a sku that is not in the catalogue is refused naming the line', async () => {
    const res = await api.post('/orders', orderBody({ lines: [{ sku: 'GHOST', quantity: 1 }] }));
    expect(res.status).toBe(400);
    expect(res.body.error.details).toEqual([{ path: 'lines.0.sku', message: expect.stringMatching(/unknown sku GHOST/) }]);
    expect(await countOrders()).toBe(0);
  });

  test('broken JSON is a 400 that says so', async () => {
    const res = await api.raw
      .post('/orders')
      .set('Authorization', 'Bearer test-api-key-0123456789')
      .set('Content-Type', 'application/json')
      .send('{"channel": ');
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(/not valid JSON/);
  });

  test('a body over the size limit is refused with 413', async () => {
    const res = await api.post('/orders', { ...orderBody(), notes: 'x'.repeat(1_100_000) });
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe('payload_too_large');
  });

  test('MongoDB operators in ids and filters are treated as bad input, not queries', async () => {
    const byId = await api.get(`/orders/${encodeURIComponent('{"$gt":""}')}`);
    expect(byId.status).toBe(400);
    const filter = await api.get('/orders?status[$ne]=completed');
    expect(filter.status).toBe(400);
    const stock = await api.post('/stock/receipts', { sku: { $gt: '' }, locationId: 'W1', quantity: 1 });
    expect(stock.status).toBe(400);
    expect(stock.body.error.details[0].path).toBe('sku');
  });

  test('negative, fractional and zero quantities are refused for stock', async () => {
    for (const quantity of [-5, 1.5, 0]) {
      const res = await api.post('/stock/receipts', { sku: 'A', locationId: 'W1', quantity });
      expect(res.status).toBe(400);
      expect(res.body.error.details[0].path).toBe('quantity');
    }
    const unknown = await api.post('/stock/receipts', { sku: 'NOSUCH', locationId: 'NOWHERE', quantity: 1 });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.details.map((d: { path: string }) => d.path)).toEqual(['sku', 'locationId']);
    expect(await ctx.mongo.db.collection('stock_ledger').countDocuments()).toBe(0);
  });

  test('requests without a valid API key are refused with 401', async () => {
    expect((await api.raw.get('/orders')).status).toBe(401);
    const wrong = await api.raw.get('/orders').set('Authorization', 'Bearer wrong-key-000000');
    expect(wrong.status).toBe(401);
    expect(wrong.body.error.code).toBe('unauthorized');
    expect((await api.raw.post('/orders').send(orderBody())).status).toBe(401);
    expect(await countOrders()).toBe(0);
  });

  test('an unknown order is a 404 and an unknown route is a 404', async () => {
    expect((await api.get('/orders/order:manual:does-not-exist')).status).toBe(404);
    expect((await api.get('/nothing-here')).status).toBe(404);
  });

  test('a new API key works and is stored only as a hash', async () => {
    const created = await api.post('/api-keys', { name: 'shopify-integration' });
    expect(created.status).toBe(201);
    const res = await api.raw.get('/locations').set('Authorization', `Bearer ${created.body.key}`);
    expect(res.status).toBe(200);
    const stored = await ctx.mongo.db.collection('api_keys').find({}).toArray();
    expect(JSON.stringify(stored)).not.toContain(created.body.key);
  });
});

describe('operator API: health and docs', () => {
  test('health reports Temporal, MongoDB and Redis', async () => {
    const res = await api.raw.get('/health');
    expect(res.status).toBe(200);
    expect(res.body.checks).toMatchObject({ temporal: { ok: true }, mongodb: { ok: true }, redis: { ok: true } });
  });

  test('health answers 503 and names Redis when Redis is down', async () => {
    // A client whose server is gone: connected once, then the connection ended for good.
    const deadRedis = new Redis(process.env.REDIS_URL!, { retryStrategy: () => null });
    await deadRedis.ping();
    await deadRedis.quit();
    const app = createApp(appDepsOf(ctx, { redis: deadRedis }));
    const res = await supertest(app).get('/health');
    expect(res.status).toBe(503);
    expect(res.body.checks.redis.ok).toBe(false);
    expect(res.body.checks.mongodb.ok).toBe(true);
    expect(res.body.checks.temporal.ok).toBe(true);
  });

  test('the OpenAPI document and the docs page are served without a key', async () => {
    const doc = await api.raw.get('/openapi.json');
    expect(doc.status).toBe(200);
    expect(doc.body.openapi).toBe('3.1.0');
    expect(Object.keys(doc.body.paths)).toEqual(expect.arrayContaining(['/orders', '/orders/{id}/cancel', '/stock/{sku}/ledger']));
    expect(doc.body.components.schemas.OrderInput.properties.lines).toBeDefined();
    const page = await api.raw.get('/docs');
    expect(page.status).toBe(200);
    expect(page.text).toContain('/stock/receipts');
  });
});

describe('operator API: idempotency and paging edge cases', () => {
  test('an idempotency key reused for a different stock change is a conflict, and nothing is applied', async () => {
    await api.post('/items', { sku: 'REUSE', name: 'Reuse' });
    await api.post('/locations', {
      id: 'W-REUSE',
      name: 'W',
      type: 'warehouse',
      address: { line1: 'x', city: 'Berlin', postalCode: '10117', country: 'DE' },
    });
    const first = await api.post('/stock/receipts', { sku: 'REUSE', locationId: 'W-REUSE', quantity: 5, idempotencyKey: 'po-reuse-1' });
    expect(first.status).toBe(201);
    const same = await api.post('/stock/receipts', { sku: 'REUSE', locationId: 'W-REUSE', quantity: 5, idempotencyKey: 'po-reuse-1' });
    expect(same.status).toBe(200);
    const different = await api.post('/stock/receipts', {
      sku: 'REUSE',
      locationId: 'W-REUSE',
      quantity: 50,
      idempotencyKey: 'po-reuse-1',
    });
    expect(different.status).toBe(409);
    expect(different.body.error.message).toMatch(/already used for a different change/);
    expect((await api.get('/stock/REUSE')).body.total.onHand).toBe(5);
  });

  test('a cursor this API did not hand out is refused', async () => {
    const res = await api.get(`/orders?cursor=${Buffer.from('["not a date", 5]').toString('base64url')}`);
    expect(res.status).toBe(400);
    expect(res.body.error.details).toEqual([{ path: 'cursor', message: 'is not a cursor returned by this API' }]);
  });
});
