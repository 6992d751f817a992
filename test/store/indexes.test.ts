import pg from 'pg';
import type { Collection } from 'mongodb';
import { ID_ONLY_COLLECTIONS, STORE_INDEXES } from '../../store/mongo';
import { createTestContext, type TestContext } from '../support/stack';

// The store on FerretDB over PostgreSQL answers every lookup it makes from an index: by `_id`, or by
// equality on a declared field (store/mongo.ts). FerretDB pushes such a filter down as
// `_jsonb -> $1 @> $2`, which only the GIN mirror of the index (store/postgres/ferretdb-gin-mirror.sql)
// can serve. These tests read PostgreSQL's plans for that exact statement on every collection and field,
// check that the lookups FerretDB really sends use the mirror, and that a lookup costs the same at 50,000
// documents as at 1,000.

let ctx: TestContext;
let sql: pg.Client;

beforeAll(async () => {
  ctx = await createTestContext('indexes');
  const url = process.env.POSTGRES_URL;
  if (!url) throw new Error('POSTGRES_URL is not set: run the tests with `npm test`, whose stack runs FerretDB on PostgreSQL');
  sql = new pg.Client({ connectionString: url });
  await sql.connect();
});
afterAll(async () => {
  await sql?.end();
  await ctx.close();
});

const schema = () => ctx.mongo.db.databaseName;

async function tableOf(collection: string): Promise<string> {
  const { rows } = await sql.query<{ table: string }>(
    `SELECT _jsonb->>'table' AS table FROM ${pg.escapeIdentifier(schema())}._ferretdb_database_metadata WHERE _jsonb->>'_id' = $1`,
    [collection],
  );
  if (!rows[0]) throw new Error(`FerretDB has no table for collection ${collection}`);
  return rows[0].table;
}

// The plan PostgreSQL makes for FerretDB's pushed-down equality filter, with sequential scans priced out:
// if no index can serve the statement, the plan is still a sequential scan.
async function planFor(collection: string, field: string, value: unknown): Promise<string> {
  const table = `${pg.escapeIdentifier(schema())}.${pg.escapeIdentifier(await tableOf(collection))}`;
  await sql.query('BEGIN');
  try {
    await sql.query('SET LOCAL enable_seqscan = off');
    await sql.query(`PREPARE ferretdb_lookup (text, jsonb) AS SELECT _jsonb FROM ${table} WHERE _jsonb -> $1 @> $2`);
    // A utility statement takes no bind parameters: the values go in as literals.
    const { rows } = await sql.query<{ 'QUERY PLAN': unknown }>(
      `EXPLAIN (FORMAT JSON) EXECUTE ferretdb_lookup(${pg.escapeLiteral(field)}, ${pg.escapeLiteral(JSON.stringify(value))})`,
    );
    return JSON.stringify(rows[0]['QUERY PLAN']);
  } finally {
    await sql.query('ROLLBACK');
    await sql.query('DEALLOCATE ALL');
  }
}

describe('every lookup the store makes is served by an index on FerretDB over PostgreSQL', () => {
  const lookups = [
    ...[...Object.keys(STORE_INDEXES), ...ID_ONLY_COLLECTIONS].map((collection) => ({ collection, field: '_id' })),
    ...Object.entries(STORE_INDEXES).flatMap(([collection, indexes]) => indexes.map((i) => ({ collection, field: i.field }))),
  ];

  test.each(lookups)('$collection by $field: the plan uses its GIN index', async ({ collection, field }) => {
    const plan = await planFor(collection, field, 'some-value');
    expect(plan).not.toContain('Seq Scan');
    expect(plan).toMatch(/"Index Name":"[^"]+_gin"/);
  });

  test('a field the store declares no index for is a sequential scan (the check can tell the difference)', async () => {
    expect(await planFor('orders', 'undeclaredField', 'x')).toContain('Seq Scan');
  });

  test("an equality on an array field (an order's skus) is served by the same index", async () => {
    expect(await planFor('orders', 'skus', 'TEE-M')).toMatch(/Bitmap Index Scan.*_gin/);
  });

  test('the lookups FerretDB really sends use the GIN indexes', async () => {
    const orders = ctx.mongo.db.collection<{ _id: string; status: string; pad: string }>('orders');
    await orders.insertMany(
      Array.from({ length: 3_000 }, (_, i) => ({
        _id: `o-${i}`,
        status: i % 100 === 0 ? 'needs_attention' : 'completed',
        pad: 'x'.repeat(500),
      })),
    );
    await sql.query(`ANALYZE ${pg.escapeIdentifier(schema())}.${pg.escapeIdentifier(await tableOf('orders'))}`);
    const scans = async () => {
      const { rows } = await sql.query<{ name: string; scans: string }>(
        `SELECT indexrelname AS name, idx_scan AS scans FROM pg_stat_user_indexes WHERE schemaname = $1 AND relname = $2 AND indexrelname LIKE '%_gin'`,
        [schema(), await tableOf('orders')],
      );
      return rows.reduce((n, r) => n + Number(r.scans), 0);
    };
    const before = await scans();
    for (let i = 0; i < 20; i++) expect(await orders.findOne({ _id: `o-${i * 7}` })).not.toBeNull();
    expect(await orders.countDocuments({ status: 'needs_attention' })).toBe(30);
    // Statistics reach pg_stat_user_indexes within about a second of each statement.
    const deadline = Date.now() + 10_000;
    while ((await scans()) < before + 21 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    expect(await scans()).toBeGreaterThanOrEqual(before + 21);
  });
});

describe('a lookup costs the same as the store grows', () => {
  interface Doc {
    _id: string;
    sku: string;
    orderId: string;
    pad: string;
  }
  const fill = async (col: Collection<Doc>, n: number) => {
    for (let i = 0; i < n; i += 1_000) {
      await col.insertMany(
        Array.from({ length: Math.min(1_000, n - i) }, (_, k) => ({
          _id: `e-${i + k}`,
          sku: `SKU-${(i + k) % 997}`,
          orderId: `order:web:${i + k}`,
          pad: 'p'.repeat(800),
        })),
      );
    }
    await sql.query(`ANALYZE ${pg.escapeIdentifier(schema())}.${pg.escapeIdentifier(await tableOf(col.collectionName))}`);
  };
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

  test('by _id (found and missing) and by an indexed field, 50,000 documents answer within 1.5x of 1,000', async () => {
    const small = ctx.mongo.db.collection<Doc>('scale_small');
    const large = ctx.mongo.db.collection<Doc>('scale_large');
    for (const col of [small, large]) await col.createIndex({ orderId: 1 }, { name: 'orderId' });
    await fill(small, 1_000);
    await fill(large, 50_000);

    const kinds = {
      'by _id, found': (col: Collection<Doc>, i: number) => col.findOne({ _id: `e-${(i * 37) % 1_000}` }),
      'by _id, missing': (col: Collection<Doc>, i: number) => col.findOne({ _id: `missing-${i}` }),
      'by an indexed field': (col: Collection<Doc>, i: number) => col.findOne({ orderId: `order:web:${(i * 53) % 1_000}` }),
    };
    const timings: Record<string, { small: number[]; large: number[] }> = {};
    for (const [kind, lookup] of Object.entries(kinds)) {
      timings[kind] = { small: [], large: [] };
      for (let i = 0; i < 20; i++) await Promise.all([lookup(small, i), lookup(large, i)]); // warm both
      // Interleaved, so whatever else the machine does weighs on both alike.
      for (let i = 0; i < 200; i++) {
        for (const [size, col] of [
          ['small', small],
          ['large', large],
        ] as const) {
          const t = process.hrtime.bigint();
          await lookup(col, i);
          timings[kind][size].push(Number(process.hrtime.bigint() - t) / 1e6);
        }
      }
    }
    const ratios = Object.fromEntries(Object.entries(timings).map(([kind, t]) => [kind, median(t.large) / median(t.small)]));
    for (const [kind, ratio] of Object.entries(ratios)) {
      expect({ kind, ratio: Number(ratio.toFixed(2)), within: ratio <= 1.5 }).toMatchObject({ kind, within: true });
    }
  }, 300_000);
});
