import { connectMongo, type Mongo } from '../../store/mongo';
import { SecretBox } from '../../store/secret-box';
import { ConflictError, ValidationError } from '../../domain/errors';
import { createStores } from '../../worker/deps';
import { createPurchasingService, linkErpReceipt, type PurchasingService } from '../../services/purchasing';
import { createTestContext, TEST_ENCRYPTION_KEY, uniqueId, type TestContext } from '../support/stack';
import { location, seed } from '../support/fixtures';

// Receipts against purchase orders on the real store (FerretDB locally): each receipt id reaches the ledger
// once, however many clients send it at once, and receipts racing for the last units never take more than
// was ordered.

let ctx: TestContext;
let purchasing: PurchasingService;
const extra: Mongo[] = [];
// Several API processes: each with its own connection and its own stores over the same database.
let clients: PurchasingService[];

beforeAll(async () => {
  ctx = await createTestContext('purchasing');
  purchasing = createPurchasingService(ctx.stores);
  await seed(ctx.stores, { skus: ['BOLT', 'NUT', 'WASHER'], locations: [location('DC-1')] });
  await purchasing.createSupplier({ id: 'acme', name: 'Acme', leadTimeDays: 7, currency: 'EUR', contact: { email: 'orders@acme.test' } });
  for (let i = 0; i < 3; i++) extra.push(await connectMongo(process.env.MONGODB_URL!, ctx.mongo.db.databaseName));
  clients = [purchasing, ...extra.map((m) => createPurchasingService(createStores(m.db, new SecretBox(TEST_ENCRYPTION_KEY))))];
});
afterAll(async () => {
  await Promise.all(extra.map((m) => m.close()));
  await ctx.close();
});

const newPo = (lines: { sku: string; quantity: number }[], status: 'draft' | 'open' = 'open') =>
  purchasing.createPurchaseOrder(
    {
      id: uniqueId('PO'),
      supplierId: 'acme',
      locationId: 'DC-1',
      expectedDate: '2030-01-15',
      status,
      lines: lines.map((l) => ({ ...l, unitCost: 25 })),
    },
    'test',
  );
const onHand = async (sku: string) => (await ctx.stores.ledger.balance(sku, 'DC-1')).onHand;
const receipt = (lines: { sku: string; quantity: number }[], overReceipt = false) => ({ lines, overReceipt });

describe('purchase order receipts', () => {
  test('a repeated receipt id answers the first receipt and writes nothing new', async () => {
    const po = await newPo([{ sku: 'BOLT', quantity: 10 }]);
    const before = await onHand('BOLT');
    const first = await purchasing.receive(po.id, receipt([{ sku: 'BOLT', quantity: 4 }]), 'delivery-0001', 'test');
    expect(first.duplicate).toBe(false);
    expect(first.purchaseOrder).toMatchObject({ status: 'partially_received', lines: [{ sku: 'BOLT', received: 4, outstanding: 6 }] });
    const again = await purchasing.receive(po.id, receipt([{ sku: 'BOLT', quantity: 4 }]), 'delivery-0001', 'test');
    expect(again.duplicate).toBe(true);
    expect(again.receipt).toEqual(first.receipt);
    expect(again.entries.map((e) => e._id)).toEqual(first.entries.map((e) => e._id));
    expect(await onHand('BOLT')).toBe(before + 4);
    expect((await purchasing.purchaseOrder(po.id)).lines[0]).toMatchObject({ received: 4, outstanding: 6 });
  });

  test('the same receipt sent by four clients at once, five times each, is applied once', async () => {
    const po = await newPo([{ sku: 'NUT', quantity: 100 }]);
    const before = await onHand('NUT');
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        clients[i % clients.length].receive(po.id, receipt([{ sku: 'NUT', quantity: 30 }]), 'dock-7-0042', `client-${i}`),
      ),
    );
    expect(results.filter((r) => !r.duplicate)).toHaveLength(1);
    expect(new Set(results.map((r) => r.entries[0]._id)).size).toBe(1);
    expect(await onHand('NUT')).toBe(before + 30);
    const after = await purchasing.purchaseOrder(po.id);
    expect(after.receipts).toHaveLength(1);
    expect(after.lines[0]).toMatchObject({ received: 30, outstanding: 70 });
    const entries = await ctx.stores.ledger.entriesForSku('NUT', { limit: 1000 });
    expect(entries.filter((e) => e.reference === po.id)).toHaveLength(1);
  });

  test('eight receipts racing for ten ordered units: five are taken, three are refused naming the line, never more than ordered', async () => {
    const po = await newPo([{ sku: 'WASHER', quantity: 10 }]);
    const before = await onHand('WASHER');
    const results = await Promise.allSettled(
      Array.from({ length: 8 }, (_, i) =>
        clients[i % clients.length].receive(po.id, receipt([{ sku: 'WASHER', quantity: 2 }]), `race-receipt-${i}`, 'test'),
      ),
    );
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(5);
    expect(refused).toHaveLength(3);
    for (const err of refused) {
      // Refused while open (more than the rest) or once the last unit made it received.
      if (err instanceof ValidationError) expect(err.problems.map((p) => p.path)).toEqual(['lines.0.quantity']);
      else expect(err).toBeInstanceOf(ConflictError);
    }
    const after = await purchasing.purchaseOrder(po.id);
    expect(after).toMatchObject({ status: 'received', lines: [{ received: 10, outstanding: 0 }] });
    expect(await onHand('WASHER')).toBe(before + 10);
    expect((await purchasing.purchaseOrders({ status: 'received', limit: 500 })).purchaseOrders.map((p) => p.id)).toContain(po.id);
  });

  test('more than is still expected is refused naming every line and writes nothing, unless overReceipt', async () => {
    const po = await newPo([
      { sku: 'BOLT', quantity: 5 },
      { sku: 'NUT', quantity: 5 },
    ]);
    const before = { bolt: await onHand('BOLT'), nut: await onHand('NUT') };
    const over = receipt([
      { sku: 'BOLT', quantity: 6 },
      { sku: 'NUT', quantity: 9 },
      { sku: 'WASHER', quantity: 1 },
    ]);
    const err = await purchasing.receive(po.id, over, 'too-many-0001', 'test').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).problems.map((p) => p.path)).toEqual(['lines.0.quantity', 'lines.1.quantity', 'lines.2.sku']);
    expect((err as ValidationError).problems[0].message).toMatch(/more than the 5 of BOLT still expected/);
    expect((await purchasing.purchaseOrder(po.id)).version).toBe(0);
    expect(await onHand('BOLT')).toBe(before.bolt);

    const taken = await purchasing.receive(po.id, receipt([{ sku: 'BOLT', quantity: 6 }], true), 'too-many-0002', 'test');
    expect(taken.purchaseOrder.lines).toMatchObject([
      { sku: 'BOLT', received: 6, outstanding: 0 },
      { sku: 'NUT', received: 0, outstanding: 5 },
    ]);
    expect(await onHand('BOLT')).toBe(before.bolt + 6);
  });

  test('a receipt id reused for other lines is refused; drafts, cancelled and received orders take no receipts', async () => {
    const po = await newPo([{ sku: 'BOLT', quantity: 3 }]);
    await purchasing.receive(po.id, receipt([{ sku: 'BOLT', quantity: 1 }]), 'reused-0001', 'test');
    await expect(purchasing.receive(po.id, receipt([{ sku: 'BOLT', quantity: 2 }]), 'reused-0001', 'test')).rejects.toThrow(
      /already used for other lines/,
    );
    await purchasing.cancel(po.id, 'test', 'supplier out of stock');
    expect(await purchasing.purchaseOrder(po.id)).toMatchObject({
      status: 'cancelled',
      lines: [{ received: 1, cancelled: 2, outstanding: 0 }],
    });
    await expect(purchasing.receive(po.id, receipt([{ sku: 'BOLT', quantity: 1 }]), 'late-0001', 'test')).rejects.toBeInstanceOf(
      ConflictError,
    );
    expect((await purchasing.cancel(po.id, 'test')).changed).toBe(false);

    const draft = await newPo([{ sku: 'BOLT', quantity: 1 }], 'draft');
    await expect(purchasing.receive(draft.id, receipt([{ sku: 'BOLT', quantity: 1 }]), 'draft-0001', 'test')).rejects.toThrow(/draft/);
    expect((await purchasing.open(draft.id, 'test')).purchaseOrder.status).toBe('open');
    await purchasing.receive(draft.id, receipt([{ sku: 'BOLT', quantity: 1 }]), 'draft-0001', 'test');
    await expect(purchasing.receive(draft.id, receipt([{ sku: 'BOLT', quantity: 1 }]), 'draft-0002', 'test')).rejects.toThrow(
      /fully received/,
    );
  });

  test('an ERP receipt naming the purchase order counts against it once; one naming nothing of ours is left unlinked', async () => {
    const po = await newPo([{ sku: 'NUT', quantity: 12 }]);
    const erp = {
      connectionId: 'erp-x',
      receiptId: 'R-1',
      purchaseOrderId: po.id,
      sku: 'NUT',
      quantity: 5,
      locationId: 'DC-1',
      ledgerKey: 'erp:erp-x:R-1',
    };
    expect(await linkErpReceipt(ctx.stores, erp)).toEqual({ linked: true, duplicate: false });
    expect(await linkErpReceipt(ctx.stores, erp)).toEqual({ linked: true, duplicate: true });
    expect((await purchasing.purchaseOrder(po.id)).lines[0]).toMatchObject({ received: 5, outstanding: 7 });
    expect(await linkErpReceipt(ctx.stores, { ...erp, receiptId: 'R-2', ledgerKey: 'erp:erp-x:R-2', sku: 'BOLT' })).toEqual({
      linked: false,
      reason: `BOLT is not on purchase order ${po.id}`,
    });
    expect(await linkErpReceipt(ctx.stores, { ...erp, purchaseOrderId: 'PO 7001/2' })).toEqual({
      linked: false,
      reason: 'no purchase order PO 7001/2',
    });
  });
});
