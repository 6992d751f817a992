import { connectMongo, type Mongo } from '../../store/mongo';
import { StockLedger } from '../../store/stock-ledger';
import { InsufficientStockError, ConflictError } from '../../domain/errors';
import { createTestContext, type TestContext } from '../support/stack';

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext('ledger');
});
afterAll(async () => ctx.close());

describe('stock ledger', () => {
  test('500 concurrent one-unit reservations against 100 units: exactly 100 succeed and nothing goes negative', async () => {
    // Four ledgers on four connections stand in for four worker processes racing on the same sku.
    const extra: Mongo[] = await Promise.all([1, 2, 3].map(() => connectMongo(process.env.MONGODB_URL!, ctx.mongo.db.databaseName)));
    const ledgers = [ctx.stores.ledger, ...extra.map((m) => new StockLedger(m.db))];
    try {
      await ledgers[0].apply({
        sku: 'HOT',
        locationId: 'W1',
        type: 'receipt',
        quantity: 100,
        idempotencyKey: 'receipt-hot-1',
        actor: 'test',
      });
      const results = await Promise.allSettled(
        Array.from({ length: 500 }, (_, i) =>
          ledgers[i % ledgers.length].apply({
            sku: 'HOT',
            locationId: 'W1',
            type: 'reservation',
            quantity: 1,
            idempotencyKey: `order-${i}|HOT|reserve`,
            actor: 'test',
            reference: `order-${i}`,
          }),
        ),
      );
      const succeeded = results.filter((r) => r.status === 'fulfilled');
      const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(succeeded).toHaveLength(100);
      expect(failed).toHaveLength(400);
      for (const f of failed) expect(f.reason).toBeInstanceOf(InsufficientStockError);

      const entries = await ctx.stores.ledger.entriesForSku('HOT', { limit: 10_000 });
      expect(entries).toHaveLength(101);
      expect(entries.map((e) => e.seq).sort((a, b) => a - b)).toEqual(Array.from({ length: 101 }, (_, i) => i + 1));
      for (const e of entries) {
        expect(e.balance.onHand).toBeGreaterThanOrEqual(0);
        expect(e.balance.reserved).toBeGreaterThanOrEqual(0);
        expect(e.balance.available).toBeGreaterThanOrEqual(0);
      }
      const sum = entries.reduce((s, e) => ({ onHand: s.onHand + e.deltas.onHand, reserved: s.reserved + e.deltas.reserved }), {
        onHand: 0,
        reserved: 0,
      });
      const final = await ctx.stores.ledger.balance('HOT', 'W1');
      expect(final).toEqual({ onHand: 100, reserved: 100, available: 0 });
      expect(sum).toEqual({ onHand: final.onHand, reserved: final.reserved });
    } finally {
      await Promise.all(extra.map((m) => m.close()));
    }
  });

  test('a retried change with the same idempotency key is applied once', async () => {
    const change = {
      sku: 'IDEM',
      locationId: 'W1',
      type: 'receipt' as const,
      quantity: 7,
      idempotencyKey: 'po-4711-line-1',
      actor: 'test',
    };
    const results = await Promise.all([ctx.stores.ledger.apply(change), ctx.stores.ledger.apply(change), ctx.stores.ledger.apply(change)]);
    expect(results.filter((r) => !r.duplicate)).toHaveLength(1);
    expect(new Set(results.map((r) => r.entry._id)).size).toBe(1);
    expect(await ctx.stores.ledger.balance('IDEM', 'W1')).toEqual({ onHand: 7, reserved: 0, available: 7 });
  });

  test('a multi-line order is reserved all or nothing', async () => {
    const { ledger, allocations } = ctx.stores;
    await ledger.apply({ sku: 'MULTI-A', locationId: 'W1', type: 'receipt', quantity: 5, idempotencyKey: 'rcpt-multi-a', actor: 'test' });
    await ledger.apply({ sku: 'MULTI-B', locationId: 'W1', type: 'receipt', quantity: 1, idempotencyKey: 'rcpt-multi-b', actor: 'test' });
    const result = await allocations.reserveAll({
      reservationId: 'order:manual:M1:alloc:1:W1',
      orderId: 'order:manual:M1',
      locationId: 'W1',
      lines: [
        { sku: 'MULTI-A', quantity: 2 },
        { sku: 'MULTI-B', quantity: 2 },
      ],
      actor: 'test',
    });
    expect(result).toMatchObject({ reserved: false, shortfall: { sku: 'MULTI-B', requested: 2, available: 1 } });
    expect(await ledger.balance('MULTI-A', 'W1')).toEqual({ onHand: 5, reserved: 0, available: 5 });
    expect(await ledger.balance('MULTI-B', 'W1')).toEqual({ onHand: 1, reserved: 0, available: 1 });
    const types = (await ledger.entriesForSku('MULTI-A', { limit: 100 })).map((e) => e.type);
    expect(types).toEqual(['receipt', 'reservation', 'release']);

    // Retrying the same attempt follows the recorded decision instead of reserving again.
    const again = await allocations.reserveAll({
      reservationId: 'order:manual:M1:alloc:1:W1',
      orderId: 'order:manual:M1',
      locationId: 'W1',
      lines: [
        { sku: 'MULTI-A', quantity: 2 },
        { sku: 'MULTI-B', quantity: 2 },
      ],
      actor: 'test',
    });
    expect(again.reserved).toBe(false);
    expect(await ledger.balance('MULTI-A', 'W1')).toEqual({ onHand: 5, reserved: 0, available: 5 });
  });

  test('an adjustment that would leave less on hand than is reserved is refused and names the balance', async () => {
    const { ledger } = ctx.stores;
    await ledger.apply({ sku: 'ADJ', locationId: 'W1', type: 'receipt', quantity: 3, idempotencyKey: 'rcpt-adj-1', actor: 'test' });
    await ledger.apply({ sku: 'ADJ', locationId: 'W1', type: 'reservation', quantity: 2, idempotencyKey: 'res-adj-1', actor: 'test' });
    await expect(
      ledger.apply({
        sku: 'ADJ',
        locationId: 'W1',
        type: 'adjustment',
        quantity: -2,
        reason: 'damaged',
        idempotencyKey: 'adj-adj-1',
        actor: 'test',
      }),
    ).rejects.toThrow(ConflictError);
    await expect(
      ledger.apply({
        sku: 'ADJ',
        locationId: 'W1',
        type: 'adjustment',
        quantity: -2,
        reason: 'damaged',
        idempotencyKey: 'adj-adj-2',
        actor: 'test',
      }),
    ).rejects.toThrow(/available would be -1/);
    expect(await ledger.balance('ADJ', 'W1')).toEqual({ onHand: 3, reserved: 2, available: 1 });
  });

  test('the balance hint lagging behind does not hide newer entries', async () => {
    const { ledger } = ctx.stores;
    await ledger.apply({ sku: 'LAG', locationId: 'W1', type: 'receipt', quantity: 10, idempotencyKey: 'rcpt-lag-1', actor: 'test' });
    await ledger.apply({ sku: 'LAG', locationId: 'W1', type: 'reservation', quantity: 4, idempotencyKey: 'res-lag-1', actor: 'test' });
    // Simulate a lost hint update (FerretDB v1 updates are not atomic).
    await ctx.mongo.db
      .collection('stock_balances')
      .updateOne({ _id: 'W1|LAG' as never }, { $set: { seq: 1, onHand: 10, reserved: 0, available: 10 } });
    // Another process (a ledger that has not seen these entries) starts from the hint and walks on.
    const elsewhere = new StockLedger(ctx.mongo.db);
    expect(await elsewhere.balance('LAG', 'W1')).toEqual({ onHand: 10, reserved: 4, available: 6 });
    await expect(
      elsewhere.apply({ sku: 'LAG', locationId: 'W1', type: 'reservation', quantity: 7, idempotencyKey: 'res-lag-2', actor: 'test' }),
    ).rejects.toThrow(InsufficientStockError);
    // And a ledger that has seen them sees what the other process appends.
    await elsewhere.apply({ sku: 'LAG', locationId: 'W1', type: 'reservation', quantity: 1, idempotencyKey: 'res-lag-3', actor: 'test' });
    expect(await ledger.balance('LAG', 'W1')).toEqual({ onHand: 10, reserved: 5, available: 5 });
  });

  test('a writer that died between its entry and its claim record is found again, and not applied twice', async () => {
    const { ledger } = ctx.stores;
    await ledger.apply({ sku: 'CRASH', locationId: 'W1', type: 'receipt', quantity: 10, idempotencyKey: 'rcpt-crash-1', actor: 'test' });
    const reserved = await ledger.apply({
      sku: 'CRASH',
      locationId: 'W1',
      type: 'reservation',
      quantity: 3,
      idempotencyKey: 'res-crash-1',
      actor: 'test',
    });
    // The claim stays as it was inserted, before the entry: no entryId.
    await ctx.mongo.db.collection('stock_idempotency').updateOne({ _id: 'res-crash-1' as never }, { $unset: { entryId: '' } });
    expect((await ledger.findByIdempotencyKey('res-crash-1'))?._id).toBe(reserved.entry._id);
    expect(await ctx.mongo.db.collection('stock_idempotency').findOne({ _id: 'res-crash-1' as never })).toMatchObject({
      entryId: reserved.entry._id,
    });
    // An entry with no claim at all (written before claims existed): the unique index still catches the repeat.
    await ctx.mongo.db.collection('stock_idempotency').deleteOne({ _id: 'res-crash-1' as never });
    const again = await ledger.apply({
      sku: 'CRASH',
      locationId: 'W1',
      type: 'reservation',
      quantity: 3,
      idempotencyKey: 'res-crash-1',
      actor: 'test',
    });
    expect(again).toMatchObject({ duplicate: true, entry: { _id: reserved.entry._id } });
    expect(await ledger.balance('CRASH', 'W1')).toEqual({ onHand: 10, reserved: 3, available: 7 });
    expect(await ledger.entriesForSku('CRASH', { limit: 10 })).toHaveLength(2);
  });

  test('a claim naming an entry another key took (its writer lost the sequence number and died) counts as not applied', async () => {
    const { ledger } = ctx.stores;
    const other = await ledger.apply({
      sku: 'LOST',
      locationId: 'W1',
      type: 'receipt',
      quantity: 5,
      idempotencyKey: 'rcpt-lost-1',
      actor: 'test',
    });
    await ctx.mongo.db.collection('stock_idempotency').insertOne({ _id: 'res-lost-1' as never, entryId: other.entry._id, at: new Date() });
    expect(await ledger.findByIdempotencyKey('res-lost-1')).toBeNull();
    const applied = await ledger.apply({
      sku: 'LOST',
      locationId: 'W1',
      type: 'reservation',
      quantity: 2,
      idempotencyKey: 'res-lost-1',
      actor: 'test',
    });
    expect(applied.duplicate).toBe(false);
    expect((await ledger.findByIdempotencyKey('res-lost-1'))?._id).toBe(applied.entry._id);
    expect(
      (await ledger.apply({ sku: 'LOST', locationId: 'W1', type: 'reservation', quantity: 2, idempotencyKey: 'res-lost-1', actor: 'test' }))
        .duplicate,
    ).toBe(true);
    expect(await ledger.balance('LOST', 'W1')).toEqual({ onHand: 5, reserved: 2, available: 3 });
  });

  test('a refused change leaves no claim, so the same key can succeed once stock arrives', async () => {
    const { ledger } = ctx.stores;
    const change = {
      sku: 'LATE',
      locationId: 'W1',
      type: 'reservation' as const,
      quantity: 2,
      idempotencyKey: 'res-late-1',
      actor: 'test',
    };
    await expect(ledger.apply(change)).rejects.toThrow(InsufficientStockError);
    expect(await ctx.mongo.db.collection('stock_idempotency').findOne({ _id: 'res-late-1' as never })).toBeNull();
    await ledger.apply({ sku: 'LATE', locationId: 'W1', type: 'receipt', quantity: 2, idempotencyKey: 'rcpt-late-1', actor: 'test' });
    expect((await ledger.apply(change)).duplicate).toBe(false);
    expect(await ledger.balance('LATE', 'W1')).toEqual({ onHand: 2, reserved: 2, available: 0 });
  });
});

describe('allocations', () => {
  // A reserveStock attempt times out while it is still working, and its retry runs beside it.
  test('a retry that finds the location short because of its own first attempt decides once, and nothing stays held', async () => {
    const { ledger, allocations } = ctx.stores;
    await ledger.apply({ sku: 'RACE-1', locationId: 'W1', type: 'receipt', quantity: 1, idempotencyKey: 'rcpt-race-1', actor: 'test' });
    const reservation = {
      reservationId: 'order:manual:RACE:alloc:1:W1',
      orderId: 'order:manual:RACE',
      locationId: 'W1',
      lines: [{ sku: 'RACE-1', quantity: 1 }],
      actor: 'test',
    };
    // The first attempt has reserved its line but not yet written its decision...
    await ledger.apply({
      sku: 'RACE-1',
      locationId: 'W1',
      type: 'reservation',
      quantity: 1,
      idempotencyKey: `${reservation.reservationId}|RACE-1|reserve`,
      actor: 'test',
    });
    // ...when the retry sees no stock at W1 and records the location as short.
    const retry = await allocations.decideShort({ ...reservation, shortfall: { sku: 'RACE-1', requested: 1, available: 0 } });
    expect(retry).toMatchObject({ reserved: false, shortfall: { sku: 'RACE-1' } });
    // The first attempt finishes: it follows the decision already written and gives its unit back.
    const first = await allocations.reserveAll(reservation);
    expect(first.reserved).toBe(false);
    expect(await ledger.balance('RACE-1', 'W1')).toEqual({ onHand: 1, reserved: 0, available: 1 });
  });

  test('a retry that finds the location short after its first attempt decided to reserve follows that decision', async () => {
    const { ledger, allocations } = ctx.stores;
    await ledger.apply({ sku: 'RACE-2', locationId: 'W1', type: 'receipt', quantity: 1, idempotencyKey: 'rcpt-race-2', actor: 'test' });
    const reservation = {
      reservationId: 'order:manual:RACE2:alloc:1:W1',
      orderId: 'order:manual:RACE2',
      locationId: 'W1',
      lines: [{ sku: 'RACE-2', quantity: 1 }],
      actor: 'test',
    };
    expect((await allocations.reserveAll(reservation)).reserved).toBe(true);
    const retry = await allocations.decideShort({ ...reservation, shortfall: { sku: 'RACE-2', requested: 1, available: 0 } });
    expect(retry).toEqual({ reserved: true, reservationId: reservation.reservationId, locationId: 'W1' });
    expect(await ledger.balance('RACE-2', 'W1')).toEqual({ onHand: 1, reserved: 1, available: 0 });
  });
});
