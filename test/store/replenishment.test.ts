import { createTestContext, type TestContext } from '../support/stack';
import { createReplenishmentService } from '../../services/replenishment';
import { addDays, dayOf } from '../../domain/replenishment';

// Daily demand is counted from the stock ledger's shipments once a day is over, one document per sku,
// location and day, inserted once: counts racing from several store clients, or repeated, never add up twice.
let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext('store_replenishment');
});
afterAll(async () => {
  await ctx.close();
});

test("a finished day's shipments are counted once, however often and however concurrently the count runs", async () => {
  const sku = `DD-${Date.now().toString(36)}`;
  const loc = 'DD-DC';
  await ctx.stores.items.create({ sku, name: 'Demand' });
  const apply = (type: 'receipt' | 'reservation' | 'shipment', quantity: number, key: string) =>
    ctx.stores.ledger.apply({ sku, locationId: loc, type, quantity, idempotencyKey: `${sku}-${key}`, actor: 'test' });
  await apply('receipt', 50, 'r');
  await apply('reservation', 3, 'res1');
  await apply('shipment', 3, 'ship1');
  await apply('reservation', 4, 'res2');
  await apply('shipment', 4, 'ship2');
  await apply('reservation', 5, 'res3'); // reserved, not shipped: not demand yet

  const today = dayOf(new Date());
  const service = (day: string) => createReplenishmentService({ ...ctx.stores, now: () => new Date(`${day}T12:00:00Z`) });
  // Today is not over: nothing counted.
  await service(today).countDemand(sku, loc, today);
  expect(await ctx.stores.replenishment.demandDays(sku, loc)).toEqual([]);
  // Tomorrow, eight counts at once: one document of 7.
  const tomorrow = addDays(today, 1);
  await Promise.all(Array.from({ length: 8 }, () => service(tomorrow).countDemand(sku, loc, tomorrow)));
  expect(await ctx.stores.replenishment.demandDays(sku, loc)).toEqual([{ day: today, quantity: 7 }]);
  expect(await ctx.stores.replenishment.demandCursor(sku, loc)).toBe(6);
  // Counted again: the cursor is past the counted entries, and the finished day stays as it was.
  await service(tomorrow).countDemand(sku, loc, tomorrow);
  expect(await ctx.stores.replenishment.demandDays(sku, loc)).toEqual([{ day: today, quantity: 7 }]);
});
