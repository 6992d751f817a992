import type { Collection, Db, Filter, UpdateFilter } from 'mongodb';
import type { Order } from '../domain/order';
import type { OrderState, OrderView } from '../domain/order-state';
import type { OrderStatus } from '../domain/status';
import { isDuplicateKey } from './mongo';
import { ValidationError } from '../domain/errors';

interface OrderDoc extends Omit<OrderView, 'createdAt' | 'updatedAt'> {
  _id: string;
  skus: string[]; // for "which waiting orders need this sku"
  createdAt: Date;
  updatedAt: Date;
}

interface StateDoc {
  _id: string; // `${orderId}|${version}`
  state: OrderState;
  at: Date;
}
const stateKey = (orderId: string, version: number) => `${orderId}|${version}`;
const ignoreDuplicate = (err: unknown) => {
  if (!isDuplicateKey(err)) throw err; // the same version projected again (a retried activity)
};

const CLEARABLE = ['allocation', 'parts', 'awaitingStock', 'shipment', 'deliveredAt', 'hold', 'attention', 'cancellation', 'rejection'] as const satisfies readonly (keyof OrderState)[];

export interface OrderListQuery {
  status?: OrderStatus;
  channel?: string;
  from?: Date;
  to?: Date;
  limit: number;
  cursor?: string;
}

// The `orders` view: written at capture, then projected from the workflow's state on every change.
export class OrdersView {
  private readonly col: Collection<OrderDoc>;
  private readonly states: Collection<StateDoc>;
  private readonly versions: Collection<{ _id: string }>;
  constructor(db: Db) {
    this.col = db.collection<OrderDoc>('orders');
    this.states = db.collection<StateDoc>('order_states');
    this.versions = db.collection<{ _id: string }>('order_versions');
  }

  // First write of a captured order. Returns false when it was already there (a repeated capture).
  async insertReceived(order: Order, state: OrderState): Promise<boolean> {
    const now = new Date();
    try {
      await this.col.insertOne({ ...state, _id: order.id, order, skus: order.lines.map((l) => l.sku), createdAt: new Date(order.receivedAt), updatedAt: now });
      return true;
    } catch (err) {
      if (isDuplicateKey(err)) return false;
      throw err;
    }
  }

  // Apply a newer state; an older one (a slow retried activity) is ignored. On FerretDB v1 the version
  // check and the write are not atomic, so a straggler holding an old state can still overwrite a newer
  // one. Hence every state is first recorded by insert (inserts are atomic): the full state in
  // order_states, and a bare marker in order_versions. After its write, every writer looks for the next
  // version's marker and, if there is one, writes that state. Whoever writes last then checks last, so the
  // view always ends at the newest version. The markers are tiny because FerretDB v1 answers even an _id
  // lookup by reading the whole collection, and this lookup happens on every projection.
  async project(order: Order, state: OrderState): Promise<void> {
    const key = stateKey(state.orderId, state.version);
    await this.states.insertOne({ _id: key, state, at: new Date() }).catch(ignoreDuplicate);
    await this.versions.insertOne({ _id: key }).catch(ignoreDuplicate);
    // No read of the view first (on FerretDB that reads the whole orders collection): the markers say
    // whether a newer state exists, and the newest known state is what gets written.
    let target = (await this.newestAfter(state.orderId, state.version)) ?? state;
    for (let round = 0; round < 20; round++) {
      await this.write(order, target);
      const newer = await this.newestAfter(target.orderId, target.version);
      if (!newer) return;
      target = newer;
    }
  }

  private async write(order: Order, state: OrderState): Promise<void> {
    const { orderId: _ignored, ...fields } = state;
    void _ignored;
    // Fields the state no longer has (a hold released, an attention resolved) are removed from the view.
    const gone = CLEARABLE.filter((k) => state[k] === undefined);
    const update: UpdateFilter<OrderDoc> = {
      $set: { ...fields, orderId: state.orderId, updatedAt: new Date() },
      $setOnInsert: { order, skus: order.lines.map((l) => l.sku), createdAt: new Date(order.receivedAt) },
      ...(gone.length && { $unset: Object.fromEntries(gone.map((k) => [k, ''])) }),
    };
    try {
      await this.col.updateOne({ _id: state.orderId }, update, { upsert: true });
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
      await this.col.updateOne({ _id: state.orderId }, update); // the capture inserted it meanwhile
    }
  }

  // The newest recorded state after `version` (versions are consecutive), or null when there is none.
  private async newestAfter(orderId: string, version: number): Promise<OrderState | null> {
    let last = version;
    while (await this.versions.findOne({ _id: stateKey(orderId, last + 1) })) last++;
    if (last === version) return null;
    return (await this.states.findOne({ _id: stateKey(orderId, last) }))?.state ?? null;
  }

  async get(orderId: string): Promise<OrderView | null> {
    const doc = await this.col.findOne({ _id: orderId });
    return doc && toView(doc);
  }

  async list(q: OrderListQuery): Promise<{ orders: OrderView[]; nextCursor?: string }> {
    const filter: Filter<OrderDoc> = {};
    if (q.status) filter.status = q.status;
    if (q.channel) filter.channel = q.channel;
    if (q.from || q.to) filter.createdAt = { ...(q.from && { $gte: q.from }), ...(q.to && { $lt: q.to }) };
    const after = q.cursor ? decodeCursor(q.cursor) : undefined;
    if (after) {
      filter.$or = [{ createdAt: { $lt: after.createdAt } }, { createdAt: after.createdAt, _id: { $lt: after.id } }];
    }
    const docs = await this.col.find(filter).sort({ createdAt: -1, _id: -1 }).limit(q.limit + 1).toArray();
    const page = docs.slice(0, q.limit);
    const last = page[page.length - 1];
    return { orders: page.map(toView), ...(docs.length > q.limit && last && { nextCursor: encodeCursor(last.createdAt, last._id) }) };
  }

  async idsWaitingForSku(sku: string): Promise<string[]> {
    const docs = await this.col.find({ status: 'awaiting_stock', skus: sku }, { projection: { _id: 1 } }).toArray();
    return docs.map((d) => d._id);
  }
}

function toView(doc: OrderDoc): OrderView {
  const { _id, skus, createdAt, updatedAt, ...rest } = doc;
  void skus;
  return { ...rest, orderId: _id, createdAt: createdAt.toISOString(), updatedAt: updatedAt.toISOString() };
}

const encodeCursor = (createdAt: Date, id: string) => Buffer.from(JSON.stringify([createdAt.toISOString(), id])).toString('base64url');

function decodeCursor(cursor: string): { createdAt: Date; id: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    parsed = undefined;
  }
  const [at, id] = Array.isArray(parsed) ? parsed : [];
  const createdAt = new Date(String(at));
  if (typeof id !== 'string' || Number.isNaN(createdAt.getTime())) {
    throw new ValidationError('Invalid cursor', [{ path: 'cursor', message: 'is not a cursor returned by this API' }]);
  }
  return { createdAt, id };
}
