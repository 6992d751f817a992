import { MongoClient, type Db } from 'mongodb';

export { isDuplicateKey } from './atomic';

export interface Mongo {
  client: MongoClient;
  db: Db;
  close(): Promise<void>;
}

// maxPoolSize bounds how many operations this process has in the store at once; beyond it they queue here.
export async function connectMongo(url: string, dbName: string, opts: { maxPoolSize?: number } = {}): Promise<Mongo> {
  const client = new MongoClient(url, { serverSelectionTimeoutMS: 5_000, maxPoolSize: opts.maxPoolSize ?? 50 });
  await client.connect();
  const db = client.db(dbName);
  return { client, db, close: () => client.close() };
}

export interface DeclaredIndex {
  field: string;
  unique?: boolean;
}

/**
 * Every secondary index the store relies on, by collection. Every lookup the store makes is either by
 * `_id` or by equality on one of these fields, and nothing else (no ranges, `$in`, sorts in the database):
 * those are what FerretDB v1 pushes down to PostgreSQL, where the GIN mirror of each index serves them
 * (store/postgres/ferretdb-gin-mirror.sql; test/store/indexes.test.ts reads the plans). On MongoDB these are
 * ordinary indexes. Unique indexes are also the only atomic guard FerretDB v1 gives (store/atomic.ts).
 */
export const STORE_INDEXES: Record<string, DeclaredIndex[]> = {
  stock_ledger: [{ field: 'idempotencyKey', unique: true }, { field: 'sku' }],
  stock_balances: [{ field: 'sku' }],
  open_reservations: [{ field: 'orderId' }],
  orders: [
    { field: 'status' },
    { field: 'channel' },
    { field: 'skus' },
    { field: 'backorderSkus' },
    { field: 'listKeys' },
    { field: 'customerKeys' },
  ],
  order_list_months: [{ field: 'combo' }],
  order_list_days: [{ field: 'comboMonth' }],
  order_list_hours: [{ field: 'comboDay' }],
  payments: [{ field: 'orderId' }],
  refunds: [{ field: 'idempotencyKey', unique: true }],
  returns: [{ field: 'idempotencyKey', unique: true }, { field: 'status' }],
  customer_notifications: [{ field: 'orderId' }, { field: 'status' }],
  webhook_deliveries: [{ field: 'status' }],
  picklists: [{ field: 'locationId' }],
  webhook_subscribers: [{ field: 'enabled' }],
  webhook_event_deliveries: [{ field: 'orderId' }, { field: 'status' }],
  webhook_events: [{ field: 'fanOutPending' }],
  picklist_events: [{ field: 'picklistId' }],
  stock_sync: [{ field: 'connectionId' }, { field: 'sku' }],
  purchase_orders: [{ field: 'status' }, { field: 'supplierId' }, { field: 'skus' }, { field: 'inboundSkus' }],
  purchase_order_events: [{ field: 'poId' }],
  daily_demand: [{ field: 'series' }],
  replenishment_plans: [{ field: 'runId' }],
  order_promises: [{ field: 'skus' }],
  capacity_ledger: [{ field: 'key', unique: true }],
  preorder_claims: [{ field: 'sku' }, { field: 'orderId' }],
  order_states: [{ field: 'orderId' }],
  api_keys: [{ field: 'keyId' }],
  sessions: [{ field: 'userId' }],
  audit_log: [{ field: 'hour' }, { field: 'actorHour' }],
  audit_hours: [{ field: 'day' }],
};

/** Collections looked up only by `_id` (FerretDB creates their `_id` index with the collection). */
export const ID_ONLY_COLLECTIONS = [
  'order_imports',
  'order_import_chunks',
  'order_import_results',
  'stock_idempotency',
  'allocations',
  'order_versions',
  'items',
  'locations',
  'routing_setup',
  'carrier_setup',
  'shipping_labels',
  'tracking_numbers',
  'api_key_usage',
  'api_key_rotations',
  'users',
  'connections',
  'connection_polls',
  'webhook_resends',
  'bin_locations',
  'picklist_orders',
  'migrations',
  'return_setup',
  'order_cost_setup',
  'credit_notes',
  'suppliers',
  'replenishment_settings',
  'demand_cursors',
  'replenishment_runs',
  'low_stock_states',
  'capacity_heads',
] as const;

const indexName = (index: DeclaredIndex) => (index.unique ? `${index.field}_unique` : index.field);

// Creates every declared index (and with it each collection, so its _id index exists before the first
// write). Idempotent: run by every process at start.
export async function ensureIndexes(db: Db): Promise<void> {
  await Promise.all(
    Object.entries(STORE_INDEXES).flatMap(([collection, indexes]) =>
      indexes.map((index) =>
        db.collection(collection).createIndex({ [index.field]: 1 }, { name: indexName(index), ...(index.unique && { unique: true }) }),
      ),
    ),
  );
  const existing = new Set((await db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name));
  await Promise.all(ID_ONLY_COLLECTIONS.filter((c) => !existing.has(c)).map((c) => db.createCollection(c).catch(() => undefined)));
}
