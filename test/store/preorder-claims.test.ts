import { connectMongo, type Mongo } from '../../store/mongo';
import { SecretBox } from '../../store/secret-box';
import { ConflictError } from '../../domain/errors';
import { orderInputSchema } from '../../domain/order';
import { createStores } from '../../worker/deps';
import { createPurchasingService } from '../../services/purchasing';
import { createPreorderService, type PreorderService } from '../../services/preorders';
import { createTestContext, TEST_ENCRYPTION_KEY, uniqueId, type TestContext } from '../support/stack';
import { location, orderBody, seed } from '../support/fixtures';

// Pre-order claims on the real store (FerretDB locally): pre-orders from several API processes at once
// claim inbound stock first come first served, and together never claim more than open purchase orders
// still expect.

let ctx: TestContext;
const extra: Mongo[] = [];
let clients: PreorderService[];

beforeAll(async () => {
  ctx = await createTestContext('preorder_claims');
  await seed(ctx.stores, { skus: ['CONSOLE', 'CONTROLLER'], locations: [location('DC-1')] });
  const purchasing = createPurchasingService(ctx.stores);
  await purchasing.createSupplier({ id: 'acme', name: 'Acme', leadTimeDays: 7, currency: 'EUR', contact: { email: 'orders@acme.test' } });
  await purchasing.createPurchaseOrder(
    {
      id: uniqueId('PO'),
      supplierId: 'acme',
      locationId: 'DC-1',
      expectedDate: '2030-01-15',
      status: 'open',
      lines: [
        { sku: 'CONSOLE', quantity: 10, unitCost: 20_000 },
        { sku: 'CONTROLLER', quantity: 3, unitCost: 2_000 },
      ],
    },
    'test',
  );
  for (let i = 0; i < 3; i++) extra.push(await connectMongo(process.env.MONGODB_URL!, ctx.mongo.db.databaseName));
  clients = [ctx.stores, ...extra.map((m) => createStores(m.db, new SecretBox(TEST_ENCRYPTION_KEY)))].map((s) => createPreorderService(s));
});
afterAll(async () => {
  await Promise.all(extra.map((m) => m.close()));
  await ctx.close();
});

const preorder = (lines: { sku: string; quantity: number }[]) =>
  orderInputSchema.parse(orderBody({ lines: lines.map((l) => ({ ...l, preorder: { releaseAt: '2030-02-01' } })) }));

test('pre-orders racing from four processes never claim more than is inbound, and those refused name what is left', async () => {
  // 16 pre-orders of 1 or 2 consoles (24 units wanted) for 10 inbound.
  const attempts = Array.from({ length: 16 }, (_, i) => ({ orderId: `order:test:race-${i}`, quantity: 1 + (i % 2) }));
  const outcomes = await Promise.allSettled(
    attempts.map((a, i) =>
      clients[i % clients.length].claim(a.orderId, { lines: preorder([{ sku: 'CONSOLE', quantity: a.quantity }]).lines }),
    ),
  );
  const claimed = attempts.filter((_, i) => outcomes[i].status === 'fulfilled').reduce((n, a) => n + a.quantity, 0);
  const active = await ctx.stores.preorderClaims.active('CONSOLE');
  expect(active.reduce((n, c) => n + c.quantity, 0)).toBe(claimed);
  expect(claimed).toBeLessThanOrEqual(10);
  // Only a pre-order of 2 may be refused with 1 left, so at least 9 are claimed.
  expect(claimed).toBeGreaterThanOrEqual(9);
  for (const o of outcomes.filter((o) => o.status === 'rejected')) {
    expect(o.reason).toBeInstanceOf(ConflictError);
    expect((o.reason as ConflictError).details).toMatchObject({ sku: 'CONSOLE', inbound: 10 });
  }
  // Each in its place in line, the first claimed first.
  expect(new Set(active.map((c) => c.seq)).size).toBe(active.length);
  // A repeat of a claimed order answers its claim and claims nothing more.
  const first = active[0];
  const again = await clients[1].claim(first.orderId, { lines: preorder([{ sku: 'CONSOLE', quantity: first.quantity }]).lines });
  expect(again).toEqual([first]);
  expect(await ctx.stores.preorderClaims.active('CONSOLE')).toEqual(active);
});

test('a pre-order refused on one line gives back what it claimed on the others; a settled claim frees its units', async () => {
  const service = clients[0];
  const big = preorder([
    { sku: 'CONTROLLER', quantity: 2 },
    { sku: 'CONSOLE', quantity: 50 },
  ]);
  await expect(service.claim('order:test:too-big', big)).rejects.toThrow(/50 CONSOLE: 10 inbound/);
  expect((await ctx.stores.preorderClaims.active('CONTROLLER')).map((c) => c.orderId)).not.toContain('order:test:too-big');
  expect((await service.ofOrder('order:test:too-big')).map((c) => [c.sku, c.status])).toEqual([['CONTROLLER', 'refused']]);

  const pad = preorder([{ sku: 'CONTROLLER', quantity: 3 }]);
  await service.claim('order:test:pad', pad);
  await expect(service.claim('order:test:late', preorder([{ sku: 'CONTROLLER', quantity: 1 }]))).rejects.toThrow(ConflictError);
  // The first pre-order is cancelled: its claim goes back, and the next one fits.
  expect(await ctx.stores.preorderClaims.settle('CONTROLLER', 'order:test:pad', 'cancelled')).toBe(true);
  expect(await ctx.stores.preorderClaims.settle('CONTROLLER', 'order:test:pad', 'cancelled')).toBe(false);
  await expect(service.claim('order:test:late', preorder([{ sku: 'CONTROLLER', quantity: 1 }]))).resolves.toHaveLength(1);
});
