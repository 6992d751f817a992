import { connectMongo, type Mongo } from '../../store/mongo';
import { LocationCapacityLedger } from '../../store/capacity';
import type { Location } from '../../domain/catalog';
import { createTestContext, uniqueId, type TestContext } from '../support/stack';
import { location } from '../support/fixtures';

// A location's daily capacity on the real store (FerretDB locally): claims racing from several processes
// never take more than the day has, a repeated claim or release counts once, and a release gives back on
// the day the units were claimed.

let ctx: TestContext;
const extra: Mongo[] = [];
let ledgers: LocationCapacityLedger[];

beforeAll(async () => {
  ctx = await createTestContext('capacity');
  for (let i = 0; i < 2; i++) extra.push(await connectMongo(process.env.MONGODB_URL!, ctx.mongo.db.databaseName));
  ledgers = [ctx.stores.capacity, ...extra.map((m) => new LocationCapacityLedger(m.db))];
});
afterAll(async () => {
  await Promise.all(extra.map((m) => m.close()));
  await ctx.close();
});

const warehouse = (unitsPerDay: number): Location => ({
  ...location(uniqueId('CAP')),
  capacity: { unitsPerDay, timeZone: 'Europe/Berlin' },
});

test('claims racing from three processes take no more than the day has', async () => {
  const at = warehouse(100);
  const outcomes = await Promise.all(
    Array.from({ length: 15 }, (_, i) =>
      ledgers[i % ledgers.length].claim({ reservationId: `order-${i}|alloc:1:${at.id}`, orderId: `order-${i}`, location: at, units: 10 }),
    ),
  );
  expect(outcomes.filter((o) => o.claimed)).toHaveLength(10);
  expect(outcomes.filter((o) => !o.claimed)).toEqual(Array.from({ length: 5 }, () => ({ claimed: false, remaining: 0 })));
  for (const ledger of ledgers) expect(await ledger.usedToday([at])).toEqual({ [at.id]: 100 });
});

test('a repeated claim or release counts once, and a release gives back on the day of its claim', async () => {
  const at = warehouse(50);
  const claimedAt = new Date('2026-12-07T22:30:00Z'); // 23:30 in Berlin
  const claim = { reservationId: 'order-r|alloc:1', orderId: 'order-r', location: at, units: 30, now: claimedAt };
  expect(await Promise.all(ledgers.map((l) => l.claim(claim)))).toEqual([{ claimed: true }, { claimed: true }, { claimed: true }]);
  expect(await ctx.stores.capacity.usedToday([at], claimedAt)).toEqual({ [at.id]: 30 });
  // More than is left that day is refused, naming what is left; the next Berlin day is a new day.
  expect(await ctx.stores.capacity.claim({ ...claim, reservationId: 'order-s|alloc:1', orderId: 'order-s', units: 21 })).toEqual({
    claimed: false,
    remaining: 20,
  });
  const nextDay = new Date('2026-12-07T23:30:00Z'); // 00:30 in Berlin
  expect(await ctx.stores.capacity.usedToday([at], nextDay)).toEqual({ [at.id]: 0 });

  // Given back after midnight: the units return to the day they were claimed on.
  expect(await Promise.all(ledgers.map((l) => l.release('order-r|alloc:1')))).toContain(30);
  expect(await ctx.stores.capacity.release('order-r|alloc:1')).toBe(0);
  expect(await ledgers[1].usedToday([at], claimedAt)).toEqual({ [at.id]: 0 });
  expect(await ledgers[2].usedToday([at], nextDay)).toEqual({ [at.id]: 0 });
  // Nothing claimed, nothing to give back.
  expect(await ctx.stores.capacity.release('never-claimed')).toBe(0);
});

test('a location without a capacity is never limited and never counted', async () => {
  const at = location(uniqueId('FREE'));
  expect(await ctx.stores.capacity.claim({ reservationId: 'order-f|alloc:1', orderId: 'order-f', location: at, units: 1_000_000 })).toEqual(
    {
      claimed: true,
    },
  );
  expect(await ctx.stores.capacity.usedToday([at])).toEqual({});
});
