import type { Collection, Db, Filter } from 'mongodb';
import { ConflictError, UnavailableError } from '../domain/errors';
import {
  replayPurchaseOrder,
  inboundOf,
  type InboundStock,
  type PurchaseOrder,
  type PurchaseOrderEvent,
  type PurchaseOrderHeader,
  type PurchaseOrderStatus,
  type Supplier,
} from '../domain/purchasing';
import { appendRacing, insertOnce } from './atomic';

// Suppliers, purchase orders and their event logs. FerretDB v1 updates are read-modify-write without
// re-checking the filter, so nothing a decision rests on is updated in place: a purchase order's header is
// written once, and every change to it (opened, a receipt, a new expected date, cancelled) is an event
// appended at the next sequence number by insert (`<poId>|<seq>`). Two receipts racing for the last units
// are decided one after the other (the second sees the first), and a receipt id already in the log answers
// its first event instead of appending. The purchase order document also carries a projection of the
// replayed state (status, skus still expected, the whole view) for listings and inbound lookups.

interface SupplierDoc extends Supplier {
  _id: string;
  createdAt: Date;
}

export class Suppliers {
  private readonly col: Collection<SupplierDoc>;
  constructor(db: Db) {
    this.col = db.collection<SupplierDoc>('suppliers');
  }

  async create(supplier: Supplier): Promise<Supplier> {
    if (!(await insertOnce(this.col, { ...supplier, _id: supplier.id, createdAt: new Date() })))
      throw new ConflictError(`Supplier ${supplier.id} already exists`, { id: supplier.id });
    return supplier;
  }

  async get(id: string): Promise<Supplier | null> {
    const doc = await this.col.findOne({ _id: id });
    return doc && toSupplier(doc);
  }

  // In id order, a page at a time; `after` is the last id of the page before.
  async list(q: { after?: string; limit: number }): Promise<{ suppliers: Supplier[]; nextCursor?: string }> {
    const docs = await this.col
      .find(q.after !== undefined ? { _id: { $gt: q.after } } : {})
      .sort({ _id: 1 })
      .limit(q.limit + 1)
      .toArray();
    const page = docs.slice(0, q.limit);
    return { suppliers: page.map(toSupplier), ...(docs.length > q.limit && { nextCursor: page.at(-1)!._id }) };
  }
}

function toSupplier(doc: SupplierDoc): Supplier {
  const { _id, createdAt, ...supplier } = doc;
  void _id;
  void createdAt;
  return supplier;
}

interface PurchaseOrderDoc {
  _id: string;
  header: PurchaseOrderHeader;
  // The projection of the replayed log, rewritten after every event:
  status: PurchaseOrderStatus;
  supplierId: string;
  skus: string[]; // every sku ordered
  inboundSkus: string[]; // skus still expected (open or partly received, something outstanding)
  seq: number; // events the projection has seen
  body: string; // the PurchaseOrder as JSON text (cheap for FerretDB to store and read)
  updatedAt: Date;
}

interface EventDoc {
  _id: string; // `${poId}|${seq}`, seq zero-padded
  poId: string;
  seq: number;
  idempotencyKey: string; // unique within the purchase order's log (checked on append)
  event: PurchaseOrderEvent;
}

const APPEND_ATTEMPTS = 100;
const PROJECTION_ROUNDS = 50;
const eventId = (poId: string, seq: number) => `${poId}|${String(seq).padStart(6, '0')}`;

export interface Appended {
  po: PurchaseOrder;
  event?: PurchaseOrderEvent; // the event appended now, or the one the key appended first
  duplicate: boolean; // the key was already in the log: nothing was appended
}

export class PurchaseOrders {
  private readonly orders: Collection<PurchaseOrderDoc>;
  private readonly events: Collection<EventDoc>;
  constructor(db: Db) {
    this.orders = db.collection<PurchaseOrderDoc>('purchase_orders');
    this.events = db.collection<EventDoc>('purchase_order_events');
  }

  async create(header: PurchaseOrderHeader): Promise<PurchaseOrder> {
    const po = replayPurchaseOrder(header, []);
    if (!(await insertOnce(this.orders, { _id: header.id, header, ...projectionOf(po), updatedAt: new Date() })))
      throw new ConflictError(`Purchase order ${header.id} already exists`, { id: header.id });
    return po;
  }

  // The true state: the header replayed with the whole log. A projection a crash left behind is brought up to date.
  async get(id: string): Promise<PurchaseOrder | null> {
    const doc = await this.orders.findOne({ _id: id });
    if (!doc) return null;
    const log = await this.log(id);
    if (doc.seq < log.length) return this.project(id, doc.header);
    return replayPurchaseOrder(
      doc.header,
      log.map((e) => e.event),
    );
  }

  /**
   * Appends the event `decide` makes from the latest state (null: nothing to write; it may throw to
   * refuse). A lost race for the next position re-reads and decides again. A key already in the log
   * answers its first event, appending nothing.
   */
  async append(id: string, key: string, decide: (po: PurchaseOrder) => PurchaseOrderEvent | null): Promise<Appended | null> {
    const doc = await this.orders.findOne({ _id: id }, { projection: { header: 1 } });
    if (!doc) return null;
    const header = doc.header;
    const appended = await appendRacing<Appended>(
      APPEND_ATTEMPTS,
      async () => {
        const log = await this.log(id);
        const po = replayPurchaseOrder(
          header,
          log.map((e) => e.event),
        );
        const earlier = log.find((e) => e.idempotencyKey === key);
        if (earlier) return { po, event: earlier.event, duplicate: true };
        const event = decide(po);
        if (!event) return { po, duplicate: false };
        const seq = log.length + 1;
        if (!(await insertOnce(this.events, { _id: eventId(id, seq), poId: id, seq, idempotencyKey: key, event }))) return 'lost';
        return { po: replayPurchaseOrder(header, [...log.map((e) => e.event), event]), event, duplicate: false };
      },
      () => new UnavailableError(`Purchase order ${id} is too busy right now; send the request again`, 1),
    );
    if (appended.event && !appended.duplicate) appended.po = await this.project(id, header);
    return appended;
  }

  // The log in order (equality on poId, sorted here: a purchase order has a handful of events).
  private async log(id: string): Promise<EventDoc[]> {
    const docs = await this.events.find({ poId: id }).toArray();
    return docs.sort((a, b) => a.seq - b.seq);
  }

  // Rewrites the projection from the log until no event arrived meanwhile: whichever writer appended last
  // writes last, so the projection ends at the newest state even though FerretDB's updates are not atomic.
  private async project(id: string, header: PurchaseOrderHeader): Promise<PurchaseOrder> {
    for (let round = 0; ; round++) {
      const log = await this.log(id);
      const po = replayPurchaseOrder(
        header,
        log.map((e) => e.event),
      );
      await this.orders.updateOne({ _id: id }, { $set: { ...projectionOf(po), updatedAt: new Date() } });
      const newer = await this.events.findOne({ _id: eventId(id, log.length + 1) }, { projection: { _id: 1 } });
      if (!newer || round >= PROJECTION_ROUNDS) return po;
    }
  }

  // Filtered by equality on indexed fields, in id order, a page at a time.
  async list(q: {
    status?: PurchaseOrderStatus;
    supplierId?: string;
    sku?: string;
    after?: string;
    limit: number;
  }): Promise<{ purchaseOrders: PurchaseOrder[]; nextCursor?: string }> {
    const filter: Filter<PurchaseOrderDoc> = {
      ...(q.status && { status: q.status }),
      ...(q.supplierId && { supplierId: q.supplierId }),
      ...(q.sku && { skus: q.sku }),
      ...(q.after !== undefined && { _id: { $gt: q.after } }),
    };
    const docs = await this.orders
      .find(filter, { projection: { body: 1 } })
      .sort({ _id: 1 })
      .limit(q.limit + 1)
      .toArray();
    const page = docs.slice(0, q.limit);
    return {
      purchaseOrders: page.map((d) => JSON.parse(d.body) as PurchaseOrder),
      ...(docs.length > q.limit && { nextCursor: page.at(-1)!._id }),
    };
  }

  // What open purchase orders still expect of a sku, per order, from each order's replayed log.
  async inboundForSku(sku: string): Promise<InboundStock[]> {
    const docs = await this.orders.find({ inboundSkus: sku }, { projection: { _id: 1 } }).toArray();
    const states = await Promise.all(docs.map((d) => this.get(d._id)));
    return states
      .flatMap((po) => (po ? inboundOf(po) : []))
      .filter((i) => i.sku === sku)
      .sort((a, b) => a.expectedDate.localeCompare(b.expectedDate) || a.purchaseOrderId.localeCompare(b.purchaseOrderId));
  }
}

function projectionOf(po: PurchaseOrder): Omit<PurchaseOrderDoc, '_id' | 'header' | 'updatedAt'> {
  return {
    status: po.status,
    supplierId: po.supplierId,
    skus: po.lines.map((l) => l.sku),
    inboundSkus: inboundOf(po).map((i) => i.sku),
    seq: po.version,
    body: JSON.stringify(po),
  };
}
