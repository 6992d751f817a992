import type { Collection, Db } from 'mongodb';
import type { Order } from '../domain/order';
import type { OrderState, OrderView } from '../domain/order-state';
import { isTerminal, type OrderStatus } from '../domain/status';
import { ValidationError } from '../domain/errors';
import { insertOnce, replaceRacing } from './atomic';

// The `orders` view: written at capture, then projected from the workflow's state on every change.
//
// Every read is by `_id` or by equality on one indexed field (see STORE_INDEXES), so a lookup costs the
// same with a hundred orders or a million, on MongoDB and on FerretDB over PostgreSQL alike:
// - GET /orders/:id reads one document by `_id`.
// - A view document keeps the fields it is looked up or listed by (status, channel, skus, list keys,
//   times) as fields, and the rest of the view as one JSON text (`body`). FerretDB v1 stores next to each
//   document a description of every field's type and rebuilds the document from both on every read and
//   write: for a 12 KB order view that was 7 KB of description and about 3 ms of FerretDB's time per
//   document; as text the whole view costs it next to nothing. Recorded states (order_states) likewise.
// - Listings (GET /orders) walk "list keys": each order carries one key per filter it can be listed by
//   (all, its channel, its status, status and channel). A key of a filter whose orders never leave it (all
//   orders, a channel, a final status) also names the hour the order was created in, and two small
//   directories say which days and hours have orders for that filter; the newest first page reads the
//   newest hour buckets only. A filter on a status orders pass through (awaiting_stock, shipped, ...) lists
//   the work in progress, which is read whole and sorted here.
// - Waiting orders are found by equality on status and sku.

export interface OrderDoc {
  _id: string; // the order id
  status: OrderStatus;
  stage: OrderState['stage'];
  channel: string;
  version: number;
  skus: string[]; // for "which waiting orders need this sku"
  listKeys: string[];
  createdAt: Date;
  updatedAt: Date;
  body: string; // JSON of { state, order }: the rest of the view
}

interface StateDoc {
  _id: string; // `${orderId}|${version}`
  body: string; // JSON of the state
  at: Date;
}

// The listing directory: which months have orders for a filter, and which hours of a month.
interface MonthDoc {
  _id: string; // `${combo}|m:${month}`
  combo: string;
}

interface HourDoc {
  _id: string; // `${combo}|h:${hour}`
  comboMonth: string;
}

const stateKey = (orderId: string, version: number) => `${orderId}|${version}`;

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
const monthOf = (hour: string) => hour.slice(0, 7);
const bucketKey = (combo: string, hour: string) => `${combo}|h:${hour}`;
const monthKey = (combo: string, month: string) => `${combo}|m:${month}`;
// Hour buckets read at once when filling a page: one round trip for several sparse hours.
const BUCKETS_AT_ONCE = 6;

/** The list keys of an order with this status, channel and creation time. */
export function listKeysOf(status: OrderStatus, channel: string, createdAt: Date): string[] {
  const hour = hourOf(createdAt);
  return [comboOf(undefined, undefined), comboOf(undefined, channel), comboOf(status, undefined), comboOf(status, channel)].map((combo, i) =>
    bucketed(i < 2 ? undefined : status) ? bucketKey(combo, hour) : combo,
  );
}

/** The stored document of an order's view in this state. */
export function viewDocOf(order: Order, state: OrderState, updatedAt = new Date()): OrderDoc {
  const createdAt = new Date(order.receivedAt);
  return {
    _id: order.id,
    status: state.status,
    stage: state.stage,
    channel: order.channel,
    version: state.version,
    skus: order.lines.map((l) => l.sku),
    listKeys: listKeysOf(state.status, order.channel, createdAt),
    createdAt,
    updatedAt,
    body: JSON.stringify({ state, order }),
  };
}

/** The directory entries (months, hours) that make these list keys reachable. */
export function directoryOf(listKeys: string[]): { months: MonthDoc[]; hours: HourDoc[] } {
  const hours = listKeys.filter((k) => k.includes('|h:')).map((key) => {
    const [combo, hour] = key.split('|h:');
    return { _id: key, comboMonth: monthKey(combo, monthOf(hour)) };
  });
  const months = [...new Map(hours.map((h) => [h.comboMonth, { _id: h.comboMonth, combo: h.comboMonth.slice(0, h.comboMonth.lastIndexOf('|m:')) }])).values()];
  return { months, hours };
}

// Directory entries written by this process; bounded, and only ever an optimisation (entries are never removed).
const MAX_REMEMBERED = 20_000;

export class OrdersView {
  private readonly col: Collection<OrderDoc>;
  private readonly states: Collection<StateDoc>;
  private readonly versions: Collection<{ _id: string }>;
  private readonly months: Collection<MonthDoc>;
  private readonly hours: Collection<HourDoc>;
  private readonly listed = new Set<string>();

  constructor(db: Db) {
    this.col = db.collection<OrderDoc>('orders');
    this.states = db.collection<StateDoc>('order_states');
    this.versions = db.collection<{ _id: string }>('order_versions');
    this.months = db.collection<MonthDoc>('order_list_months');
    this.hours = db.collection<HourDoc>('order_list_hours');
  }

  // First write of a captured order. Returns false when it was already there (a repeated capture).
  async insertReceived(order: Order, state: OrderState): Promise<boolean> {
    const doc = viewDocOf(order, state);
    await this.ensureListed(doc.listKeys);
    return insertOnce(this.col, doc);
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
    await Promise.all([insertOnce(this.states, { _id: key, body: JSON.stringify(state), at: new Date() }), insertOnce(this.versions, { _id: key })]);
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
    const doc = viewDocOf(order, state);
    await this.ensureListed(doc.listKeys);
    await replaceRacing(this.col, doc); // the capture may insert it meanwhile
  }

  // The newest recorded state after `version` (versions are consecutive), or null when there is none. A
  // state deleted under us means a newer one was recorded: walk on.
  private async newestAfter(orderId: string, version: number): Promise<OrderState | null> {
    let last = version;
    for (;;) {
      while (await this.versions.findOne({ _id: stateKey(orderId, last + 1) })) last++;
      if (last === version) return null;
      const found = await this.states.findOne({ _id: stateKey(orderId, last) });
      if (found) return found.body ? (JSON.parse(found.body) as OrderState) : (found as unknown as { state: OrderState }).state; // a state recorded before bodies
    }
  }

  // The month and hour directory entries of bucketed keys, before any order carries the key.
  async ensureListed(listKeys: string[]): Promise<void> {
    const { months, hours } = directoryOf(listKeys.filter((k) => !this.listed.has(k)));
    if (hours.length === 0) return;
    await Promise.all(hours.map(async (hour) => {
      const month = months.find((m) => m._id === hour.comboMonth)!;
      if (!this.listed.has(month._id)) await insertOnce(this.months, month);
      await insertOnce(this.hours, hour);
    }));
    if (this.listed.size > MAX_REMEMBERED) this.listed.clear();
    for (const doc of [...months, ...hours]) this.listed.add(doc._id);
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
      // The newest hours first, from the cursor or `to` down to `from`, until the page is full: the months
      // that have orders for this filter, then each month's hours, a few hour buckets at a time.
      const upTo = hourOf(new Date(Math.min(after?.createdAt.getTime() ?? Infinity, q.to?.getTime() ?? Infinity, Date.now() + 366 * 86_400_000)));
      const downTo = q.from ? hourOf(q.from) : '';
      const suffix = (id: string, marker: string) => id.slice(id.lastIndexOf(marker) + marker.length);
      const months = (await this.months.find({ combo }).toArray()).map((m) => suffix(m._id, '|m:')).filter((m) => m <= monthOf(upTo) && m >= monthOf(downTo)).sort().reverse();
      fill: for (const month of months) {
        const hours = (await this.hours.find({ comboMonth: monthKey(combo, month) }).toArray()).map((h) => suffix(h._id, '|h:')).filter((h) => h <= upTo && h >= downTo).sort().reverse();
        for (let i = 0; i < hours.length; i += BUCKETS_AT_ONCE) {
          const buckets = await Promise.all(hours.slice(i, i + BUCKETS_AT_ONCE).map((hour) => this.col.find({ listKeys: bucketKey(combo, hour) }).toArray()));
          for (const bucket of buckets) page.push(...bucket.filter(wanted).sort(newestFirst));
          if (page.length > q.limit) break fill;
        }
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
      .map(toView)
      .map((v) => ({
        orderId: v.orderId,
        since: v.awaitingStock?.since ?? v.updatedAt,
        quantity: v.order.lines.filter((l) => l.sku === sku).reduce((n, l) => n + l.quantity, 0),
        lines: v.order.lines.map((l) => ({ sku: l.sku, quantity: l.quantity })),
      }))
      .sort((a, b) => Date.parse(a.since) - Date.parse(b.since) || (a.orderId < b.orderId ? -1 : 1));
  }

  async idsWaitingForSku(sku: string): Promise<string[]> {
    return (await this.waitingForSku(sku)).map((w) => w.orderId);
  }
}

const newestFirst = (a: OrderDoc, b: OrderDoc) => b.createdAt.getTime() - a.createdAt.getTime() || (a._id < b._id ? 1 : a._id > b._id ? -1 : 0);

/** The view an order's stored document holds. */
export function toView(doc: OrderDoc): OrderView {
  const { state, order } = JSON.parse(doc.body) as { state: OrderState; order: Order };
  return { ...state, orderId: doc._id, order, createdAt: doc.createdAt.toISOString(), updatedAt: doc.updatedAt.toISOString() };
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
