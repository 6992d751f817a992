import { MongoClient } from 'mongodb';
import { RefundLedger } from '../../store/refunds';
import { createTestContext, type TestContext } from '../support/stack';

// The refund ledger over the real store: refunds racing on one order from several processes (separate
// clients) are granted one after the other, and together never exceed the capture; a repeated claim
// answers the first grant.

let ctx: TestContext;
const clients: MongoClient[] = [];
beforeAll(async () => {
  ctx = await createTestContext('refund_ledger');
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await ctx.close();
});

async function ledgerOfAnotherProcess(): Promise<RefundLedger> {
  const client = new MongoClient(process.env.MONGODB_URL!, { maxPoolSize: 10 });
  await client.connect();
  clients.push(client);
  return new RefundLedger(client.db(ctx.mongo.db.databaseName));
}

test('twelve refunds racing on one order are granted in turn and never exceed the capture', async () => {
  const ledgers = await Promise.all([1, 2, 3].map(() => ledgerOfAnotherProcess()));
  const orderId = `order:manual:REF-${Date.now()}`;
  const claims = Array.from({ length: 12 }, (_, i) =>
    ledgers[i % 3].claim({
      orderId,
      idempotencyKey: `${orderId}:claim:${i}`,
      wanted: 300,
      captured: 2_000,
      currency: 'EUR',
      source: { kind: 'other', note: `claim ${i}` },
    }),
  );
  const granted = await Promise.all(claims);
  const amounts = granted.map((g) => g.entry.amount);
  expect(amounts.reduce((a, b) => a + b, 0)).toBe(2_000);
  // Six full grants of 300, one of the 200 left, and nothing for the other five.
  expect(amounts.sort((a, b) => b - a)).toEqual([300, 300, 300, 300, 300, 300, 200, 0, 0, 0, 0, 0]);
  const entries = await ctx.stores.refunds.forOrder(orderId);
  expect(entries.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
  expect(entries.every((e) => e.refundedBefore + e.amount <= 2_000)).toBe(true);
  expect(await ctx.stores.refunds.refundedTotal(orderId)).toBe(2_000);

  // The same claim again, racing itself: the first grant, no new entry.
  const again = await Promise.all(
    ledgers.map((l) =>
      l.claim({
        orderId,
        idempotencyKey: `${orderId}:claim:0`,
        wanted: 999,
        captured: 2_000,
        currency: 'EUR',
        source: { kind: 'other', note: 'again' },
      }),
    ),
  );
  expect(again.map((a) => [a.duplicate, a.entry._id])).toEqual(again.map(() => [true, granted[0].entry._id]));
  expect(await ctx.stores.refunds.forOrder(orderId)).toHaveLength(12);
});

test('a refund that is not a whole amount is refused before anything is written', async () => {
  const orderId = `order:manual:REF-BAD-${Date.now()}`;
  for (const wanted of [-1, 1.5, Number.NaN])
    await expect(
      ctx.stores.refunds.claim({
        orderId,
        idempotencyKey: `${orderId}:${wanted}`,
        wanted,
        captured: 100,
        currency: 'EUR',
        source: { kind: 'other', note: 'bad' },
      }),
    ).rejects.toThrow(/is not a whole amount/);
  expect(await ctx.stores.refunds.forOrder(orderId)).toEqual([]);
});
