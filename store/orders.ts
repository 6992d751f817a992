import type { Collection, Db, UpdateFilter } from 'mongodb';
import type { Order } from '../domain/order';
import type { OrderState, OrderView } from '../domain/order-state';
import { isTerminal, type OrderStatus } from '../domain/status';
import { ValidationError } from '../domain/errors';
import { insertOnce, upsertRacing } from './atomic';

// The `orders` view: written at capture, then projected from the workflow's state on every change.
//
// Every read is by `_id` or by equality on one indexed field (see STORE_INDEXES), so a lookup costs the
// same with a hundred orders or a million, on MongoDB and on FerretDB over PostgreSQL alike:
// - GET /orders/:id reads one document by `_id`.
// - Listings (GET /orders) walk "list keys": each order carries one key per filter it can be listed by
//   (all, its channel, its status, status and channel). A key of a filter whose orders never leave it (all
//   orders, a channel, a final status) also names the hour the order was created in, and two small
//   directories say which days and hours have orders for that filter; the newest first page reads the
//   newest hour buckets only. A filter on a status orders pass through (awaiting_stock, shipped, ...) lists
//   the work in progress, which is read whole and sorted here.
// - Waiting orders are found by equality on status and sku.

interface OrderDoc extends Omit<OrderView, 'createdAt' | 'updatedAt'> {
  _id: string;
  skus: string[]; // for "which waiting orders need this sku"
  listKeys: string[];
  createdAt: Date;
  updatedAt: Date;
}

interface StateDoc {
  _id: string; // `${orderId}|${version}`
  state: OrderState;
  at: Date;
}

interface DayDoc {
  _id: string; // `${combo}|d:${day}`
  combo: string;
}

interface HourDoc {
  _id: string; // `${combo}|h:${hour}`
  comboDay: string;
}

const stateKey = (orderId: string, version: number) => `${orderId}|${version}`;

const CLEARABLE = ['allocation', 'parts', 'awaitingStock', 'shipment', 'deliveredAt', 'hold', 'attention', 'cancellation', 'rejection'] as const satisfies readonly (keyof OrderState)[];

export interface OrderListQuery {
  status?: OrderStatus;
  channel?: string;
  from?: Date;
  to?: Date;
  limit: number;
  cursor?: string;
}

/** An order waiting for stock of a sku, in the order orders started waiting. */
export interface WaitingOrder {
  orderId: string;
  since: string;
  quantity: number; // of the sku in question
  lines: { sku: string; quantity: number }[];
}

// ---- List keys ----------------------------------------------------------------------------------------

const ALL = '*';
const comboOf = (status: OrderStatus | undefined, channel: string | undefined) =>
  [status !== undefined && `s:${status}`, channel !== undefined && `c:${channel}`].filter(Boolean).join('|') || ALL;
// Orders never leave these filters once in them, so their buckets and directories only ever grow.
const bucketed = (status: OrderStatus | undefined) => status === undefined || isTerminal(status);
const hourOf = (at: Date) => at.toISOString().slice(0, 13); // 2026-11-28T09
const dayOf = (hour: string) => hour.slice(0, 10);
const bucketKey = (combo: string, hour: string) => `${combo}|h:${hour}`;
const dayKey = (combo: string, day: string) => `${combo}|d:${day}`;

/** The list keys of an order with this status, channel and creation time. */
export function listKeysOf(status: OrderStatus, channel: string, createdAt: Date): string[] {
  const hour = hourOf(createdAt);
  return [comboOf(undefined, undefined), comboOf(undefined, channel), comboOf(status, undefined), comboOf(status, channel)].map((combo, i) =>
    bucketed(i < 2 ? undefined : status) ? bucketKey(combo, hour) : combo,
  );
}

// Directory entries written by this process; bounded, and only ever an optimisation (entries are never removed).
const MAX_REMEMBERED = 20_000;

export class OrdersView {
  private readonly col: Collection<OrderDoc>;
  private readonly states: Collection<StateDoc>;
  private readonly versions: Collection<{ _id: string }>;
  private readonly days: Collection<DayDoc>;
  private readonly hours: Collection<HourDoc>;
  private readonly listed = new Set<string>();

  constructor(db: Db) {
    this.col = db.collection<OrderDoc>('orders');
    this.states = db.collection<StateDoc>('order_states');
    this.versions = db.collection<{ _id: string }>('order_versions');
    this.days = db.collection<DayDoc>('order_list_days');
    this.hours = db.collection<HourDoc>('order_list_hours');
  }

  // First write of a captured order. Returns false when it was already there (a repeated capture).
  async insertReceived(order: Order, state: OrderState): Promise<boolean> {
    const createdAt = new Date(order.receivedAt);
    const listKeys = listKeysOf(state.status, order.channel, createdAt);
    await this.ensureListed(listKeys);
    return insertOnce(this.col, { ...state, _id: order.id, order, skus: order.lines.map((l) => l.sku), listKeys, createdAt, updatedAt: new Date() });
  }

  // Apply a newer state; an older one (a slow retried activity) is ignored. On FerretDB v1 the version
  // check and the write are not atomic, so a straggler holding an old state can still overwrite a newer
  // one. Hence every state is first recorded by insert (inserts are atomic): the state in order_states, and
  // a bare marker in order_versions. After its write, every writer looks for the next version's marker
  // and, if there is one, writes the newest state. Whoever writes last then checks last, so the view always
  // ends at the newest version. Only the newest state is ever read back, so each projection deletes the one
  // before it: order_states holds about one document per order. The markers stay (tens of bytes each):
  // a straggler needs them to see that it is one.
  async project(order: Order, state: OrderState): Promise<void> {
    const key = stateKey(state.orderId, state.version);
    await Promise.all([insertOnce(this.states, { _id: key, state, at: new Date() }), insertOnce(this.versions, { _id: key })]);
    let target = state;
    for (let round = 0; round < 20; round++) {
      await this.write(order, target);
      const newer = await this.newestAfter(target.orderId, target.version);
      if (!newer) break;
      target = newer;
    }
    if (state.version > 1) await this.states.deleteOne({ _id: stateKey(state.orderId, state.version - 1) });
  }

  private async write(order: Order, state: OrderState): Promise<void> {
    const { orderId: _ignored, ...fields } = state;
    void _ignored;
    const createdAt = new Date(order.receivedAt);
    const listKeys = listKeysOf(state.status, order.channel, createdAt);
    await this.ensureListed(listKeys);
    // Fields the state no longer has (a hold released, an attention resolved) are removed from the view.
    const gone = CLEARABLE.filter((k) => state[k] === undefined);
    const update: UpdateFilter<OrderDoc> = {
      $set: { ...fields, orderId: state.orderId, listKeys, updatedAt: new Date() },
      $setOnInsert: { order, skus: order.lines.map((l) => l.sku), createdAt },
      ...(gone.length && { $unset: Object.fromEntries(gone.map((k) => [k, ''])) }),
    };
    await upsertRacing(this.col, { _id: state.orderId }, update); // the capture may insert it meanwhile
  }

  // The newest recorded state after `version` (versions are consecutive), or null when there is none. A
  // state deleted under us means a newer one was recorded: walk on.
  private async newestAfter(orderId: string, version: number): Promise<OrderState | null> {
    let last = version;
    for (;;) {
      while (await this.versions.findOne({ _id: stateKey(orderId, last + 1) })) last++;
      if (last === version) return null;
      const found = await this.states.findOne({ _id: stateKey(orderId, last) });
      if (found) return found.state;
    }
  }

  // The day and hour directory entries of bucketed keys, before any order carries the key.
  async ensureListed(listKeys: string[]): Promise<void> {
    const missing = listKeys.filter((k) => k.includes('|h:') && !this.listed.has(k));
    if (missing.length === 0) return;
    await Promise.all(
      missing.map(async (key) => {
        const [combo, hour] = key.split('|h:');
        const comboDay = dayKey(combo, dayOf(hour));
        await insertOnce(this.days, { _id: comboDay, combo });
        await insertOnce(this.hours, { _id: key, comboDay });
      }),
    );
    if (this.listed.size > MAX_REMEMBERED) this.listed.clear();
    for (const key of missing) this.listed.add(key);
  }

  async get(orderId: string): Promise<OrderView | null> {
    const doc = await this.col.findOne({ _id: orderId });
    return doc && toView(doc);
  }

  // Newest first (createdAt, then id), `limit` at a time, from a cursor.
  async list(q: OrderListQuery): Promise<{ orders: OrderView[]; nextCursor?: string }> {
    const after = q.cursor ? decodeCursor(q.cursor) : undefined;
    const combo = comboOf(q.status, q.channel);
    const wanted = (d: OrderDoc) =>
      (!q.from || d.createdAt >= q.from) &&
      (!q.to || d.createdAt < q.to) &&
      (!after || d.createdAt < after.createdAt || (d.createdAt.getTime() === after.createdAt.getTime() && d._id < after.id));
    const page: OrderDoc[] = [];
    if (!bucketed(q.status)) {
      page.push(...(await this.col.find({ listKeys: combo }).toArray()).filter(wanted).sort(newestFirst));
    } else {
      // The newest hours first, from the cursor or `to` down to `from`, until the page is full.
      const upTo = hourOf(new Date(Math.min(after?.createdAt.getTime() ?? Infinity, q.to?.getTime() ?? Infinity, Date.now() + 366 * 86_400_000)));
      const downTo = q.from ? hourOf(q.from) : '';
      const days = (await this.days.find({ combo }).toArray()).map((d) => d._id.slice(d._id.lastIndexOf('|d:') + 3)).filter((d) => d <= dayOf(upTo) && d >= dayOf(downTo)).sort().reverse();
      for (const day of days) {
        const hours = (await this.hours.find({ comboDay: dayKey(combo, day) }).toArray()).map((h) => h._id.slice(h._id.lastIndexOf('|h:') + 3)).filter((h) => h <= upTo && h >= downTo).sort().reverse();
        for (const hour of hours) {
          page.push(...(await this.col.find({ listKeys: bucketKey(combo, hour) }).toArray()).filter(wanted).sort(newestFirst));
          if (page.length > q.limit) break;
        }
        if (page.length > q.limit) break;
      }
    }
    const shown = page.slice(0, q.limit);
    const last = shown[shown.length - 1];
    return { orders: shown.map(toView), ...(page.length > q.limit && last && { nextCursor: encodeCursor(last.createdAt, last._id) }) };
  }

  /** Orders waiting for stock that need this sku, the longest waiting first. */
  async waitingForSku(sku: string): Promise<WaitingOrder[]> {
    const docs = await this.col.find({ status: 'awaiting_stock', skus: sku }).toArray();
    return docs
      .map((d) => ({
        orderId: d._id,
        since: d.awaitingStock?.since ?? d.updatedAt.toISOString(),
        quantity: d.order.lines.filter((l) => l.sku === sku).reduce((n, l) => n + l.quantity, 0),
        lines: d.order.lines.map((l) => ({ sku: l.sku, quantity: l.quantity })),
      }))
      .sort((a, b) => Date.parse(a.since) - Date.parse(b.since) || (a.orderId < b.orderId ? -1 : 1));
  }

  async idsWaitingForSku(sku: string): Promise<string[]> {
    return (await this.waitingForSku(sku)).map((w) => w.orderId);
  }
}

const newestFirst = (a: OrderDoc, b: OrderDoc) => b.createdAt.getTime() - a.createdAt.getTime() || (a._id < b._id ? 1 : a._id > b._id ? -1 : 0);

function toView(doc: OrderDoc): OrderView {
  const { _id, skus, listKeys, createdAt, updatedAt, ...rest } = doc;
  void skus;
  void listKeys;
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
