import { MongoClient, MongoServerError, type Db } from 'mongodb';

export interface Mongo {
  client: MongoClient;
  db: Db;
  close(): Promise<void>;
}

export async function connectMongo(url: string, dbName: string): Promise<Mongo> {
  const client = new MongoClient(url, { serverSelectionTimeoutMS: 5_000, maxPoolSize: 50 });
  await client.connect();
  const db = client.db(dbName);
  return { client, db, close: () => client.close() };
}

export function isDuplicateKey(err: unknown): boolean {
  return err instanceof MongoServerError && err.code === 11000;
}

// Indexes every store relies on. Unique indexes are the only atomic guard FerretDB v1 gives us.
export async function ensureIndexes(db: Db): Promise<void> {
  await Promise.all([
    db.collection('stock_ledger').createIndex({ idempotencyKey: 1 }, { unique: true, name: 'idempotencyKey_unique' }),
    db.collection('stock_ledger').createIndex({ sku: 1 }, { name: 'sku' }),
    db.collection('stock_balances').createIndex({ sku: 1 }, { name: 'sku' }),
    db.collection('orders').createIndex({ status: 1 }, { name: 'status' }),
    db.collection('orders').createIndex({ channel: 1 }, { name: 'channel' }),
    db.collection('orders').createIndex({ skus: 1 }, { name: 'skus' }),
    db.collection('payments').createIndex({ orderId: 1 }, { name: 'orderId' }),
  ]);
}
