import type { Db, Document } from 'mongodb';
import type { Order } from '../domain/order';
import type { OrderState } from '../domain/order-state';
import { insertOnce } from './atomic';
import { customerKeysOf, OrdersView, viewDocOf } from './orders';

// One-off data changes for documents written by earlier versions, each run once per database (a marker
// in `migrations` says it is done). Each is idempotent, so two processes starting at once may both run it.

interface MigrationDoc {
  _id: string;
  at: Date;
  changed: number;
}

const MIGRATIONS: { id: string; run(db: Db): Promise<number> }[] = [
  {
    // Order views written before views kept their body as JSON text beside list keys (store/orders.ts).
    id: '2026-11-28-order-views-v2',
    async run(db) {
      const orders = db.collection<Document>('orders');
      const view = new OrdersView(db);
      let changed = 0;
      for await (const legacy of orders.find({ body: { $exists: false } })) {
        const { _id, order, skus, listKeys, createdAt, updatedAt, ...state } = legacy as unknown as Document & {
          order: Order;
          updatedAt: Date;
        };
        void skus;
        void listKeys;
        void createdAt;
        const doc = viewDocOf(order, { ...(state as OrderState), orderId: String(_id) }, updatedAt);
        await view.ensureListed(doc.listKeys);
        await orders.replaceOne({ _id, body: { $exists: false } }, doc);
        changed++;
      }
      return changed;
    },
  },
  {
    // Picklists stored before they carried their location at the top level (store/picking.ts newestAt).
    id: '2026-12-07-picklists-location',
    async run(db) {
      const lists = db.collection<Document>('picklists');
      let changed = 0;
      for await (const legacy of lists.find({ locationId: { $exists: false } })) {
        const locationId = (legacy.picklist as { locationId: string }).locationId;
        await lists.updateOne({ _id: legacy._id }, { $set: { locationId } });
        changed++;
      }
      return changed;
    },
  },
  {
    // Order views written before they carried their customer's keys (store/orders.ts customerKeysOf, GET /orders?customer=).
    id: '2026-12-07-orders-customer-keys',
    async run(db) {
      const orders = db.collection<Document>('orders');
      let changed = 0;
      for await (const legacy of orders.find({ customerKeys: { $exists: false } })) {
        const { order } = JSON.parse(legacy.body as string) as { order: Order };
        await orders.updateOne({ _id: legacy._id }, { $set: { customerKeys: customerKeysOf(order.customer) } });
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
