import { MongoClient } from 'mongodb';
import { createTestContext, type TestContext } from '../support/stack';

// FerretDB v1 on PostgreSQL reads a document to update on one pooled PostgreSQL connection and, still
// holding it, takes a second one for the write. With a pool smaller than twice the updates in flight,
// every update holds its first connection and waits for a second that never comes: the store stops. The
// stack sizes FerretDB's pool for that (scripts/stack.ts); this drives more concurrent updates than
// npm start's API and worker together may have in flight, on one collection and on one document.

let ctx: TestContext;
let client: MongoClient;
beforeAll(async () => {
  ctx = await createTestContext('concurrency');
  client = new MongoClient(process.env.MONGODB_URL!, { maxPoolSize: 120 });
  await client.connect();
});
afterAll(async () => {
  await client.close();
  await ctx.close();
});

test('120 updates at once, spread and on one document, all complete', async () => {
  const col = client.db(ctx.mongo.db.databaseName).collection<{ _id: string; n: number; body: string }>('concurrent_updates');
  await col.insertMany(Array.from({ length: 120 }, (_, i) => ({ _id: `d-${i}`, n: 0, body: 'x'.repeat(200) })));
  const started = Date.now();
  await Promise.all(
    Array.from({ length: 120 }, (_, i) => col.replaceOne({ _id: `d-${i}` }, { n: 1, body: 'y'.repeat(200) }, { upsert: true })),
  );
  await Promise.all(Array.from({ length: 120 }, (_, i) => col.updateOne({ _id: 'd-0' }, { $set: { n: i } })));
  expect(await col.countDocuments({ n: 1 })).toBeGreaterThanOrEqual(119);
  expect(Date.now() - started).toBeLessThan(60_000);
}, 90_000);
