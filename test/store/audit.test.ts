import { createTestContext, type TestContext } from '../support/stack';

// The audit log on the real store (FerretDB locally): listed newest first across hours and days with
// equality lookups only, filtered by actor and time, paged with a cursor that neither skips nor repeats.

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext('audit');
});
afterAll(async () => ctx?.close());

const key = { kind: 'key' as const, id: 'key_00000000000000aa', name: 'ops' };
const user = { kind: 'user' as const, id: 'ada@example.com', name: 'Ada' };
// Nine writes over three days and several hours, alternating actors.
const times = [
  '2026-11-01T08:10:00.000Z',
  '2026-11-01T08:50:00.000Z',
  '2026-11-01T17:05:00.000Z',
  '2026-11-02T00:00:00.000Z',
  '2026-11-02T23:59:59.000Z',
  '2026-11-03T09:00:00.000Z',
  '2026-11-03T09:00:01.000Z',
  '2026-11-03T09:30:00.000Z',
  '2026-11-03T12:00:00.000Z',
];

test('pages newest first across hours and days, by actor and time, without skipping or repeating', async () => {
  for (const [i, at] of times.entries()) {
    await ctx.stores.audit.record({
      at: new Date(at),
      actor: i % 2 ? user : key,
      role: 'admin',
      method: 'POST',
      path: `/items/${i}`,
      status: 201,
    });
  }
  const from = new Date('2026-11-01T00:00:00Z');
  const to = new Date('2026-11-04T00:00:00Z');
  const seen: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await ctx.stores.audit.list({ from, to, limit: 2, ...(cursor && { cursor }) });
    expect(page.entries.length).toBeLessThanOrEqual(2);
    seen.push(...page.entries.map((e) => e.at.toISOString()));
    cursor = page.nextCursor;
  } while (cursor);
  expect(seen).toEqual([...times].reverse());

  const byUser = await ctx.stores.audit.list({ actor: user.id, from, to, limit: 100 });
  expect(byUser.entries.map((e) => e.path)).toEqual(['/items/7', '/items/5', '/items/3', '/items/1']);
  expect(byUser.nextCursor).toBeUndefined();

  const window = await ctx.stores.audit.list({ from: new Date('2026-11-01T17:00:00Z'), to: new Date('2026-11-03T09:00:00Z'), limit: 100 });
  expect(window.entries.map((e) => e.at.toISOString())).toEqual(['2026-11-03T09:00:00.000Z', ...times.slice(2, 5).reverse()]);
  expect(Object.keys(window.entries[0]).sort()).toEqual(['actor', 'at', 'id', 'method', 'path', 'role', 'status']);
});
