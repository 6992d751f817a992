import type { Db } from 'mongodb';
import type { OrderStatus } from '../domain/status';
import { insertOnce } from './atomic';
import { OrdersView, listKeysOf } from './orders';

// One-off data changes for documents written by earlier versions, each run once per database (a marker
// in `migrations` says it is done). Each is idempotent, so two processes starting at once may both run it.

interface MigrationDoc {
  _id: string;
  at: Date;
  changed: number;
}

const MIGRATIONS: { id: string; run(db: Db): Promise<number> }[] = [
  {
    // Orders captured before listings walked list keys (and their day and hour directories).
    id: '2026-11-28-order-list-keys',
    async run(db) {
      const orders = db.collection<{ _id: string; status: OrderStatus; channel: string; createdAt: Date; listKeys?: string[] }>('orders');
      const view = new OrdersView(db);
      let changed = 0;
      for await (const doc of orders.find({ listKeys: { $exists: false } }, { projection: { _id: 1, status: 1, channel: 1, createdAt: 1 } })) {
        const listKeys = listKeysOf(doc.status, doc.channel, doc.createdAt);
        await view.ensureListed(listKeys);
        await orders.updateOne({ _id: doc._id, listKeys: { $exists: false } }, { $set: { listKeys } });
        changed++;
      }
      return changed;
    },
  },
];

export async function migrate(db: Db, log: (msg: string, fields?: Record<string, unknown>) => void = () => {}): Promise<void> {
  const done = db.collection<MigrationDoc>('migrations');
  for (const m of MIGRATIONS) {
    if (await done.findOne({ _id: m.id })) continue;
    const changed = await m.run(db);
    await insertOnce(done, { _id: m.id, at: new Date(), changed });
    if (changed > 0) log('migration applied', { migration: m.id, changed });
  }
}
