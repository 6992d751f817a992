import type { Collection, Db } from 'mongodb';
import type { Order } from '../domain/order';
import type { OrderState, OrderView } from '../domain/order-state';
import { isTerminal, ORDER_STATUSES, type OrderStatus } from '../domain/status';
import { ValidationError } from '../domain/errors';
import { insertOnce, replaceRacing } from './atomic';
import { backordersApply } from '../domain/backorder';

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
//   orders, a channel, a final status) also names the month, day and hour the order was created in, and
//   a small directory says which months, days and hours have orders for that filter (with a rough count
//   of hours per day). The first page reads the newest buckets only: a quiet month or day in one read of
//   its bucket, a busy day hour by hour. A filter on a status orders pass through (awaiting_stock, shipped,
//   ...) lists the work in progress, which is read whole and sorted here.
// - Waiting orders are found by equality on status and sku.
// - A customer's orders (GET /orders?customer=) by equality on `customerKeys`: one read of the few orders
//   one customer has, then filtered by status, channel, time and cursor and sorted here.

export interface OrderDoc {
  _id: string; // the order id
  status: OrderStatus;
  stage: OrderState['stage'];
  channel: string;
  version: number;
  skus: string[]; // for "which waiting orders need this sku"
  backorderSkus?: string[]; // a backordered order's skus still waiting (it may be shipping its other parts)
  listKeys: string[];
  customerKeys: string[]; // customerKeysOf: for "this customer's orders"
  createdAt: Date;
  updatedAt: Date;
  body: string; // JSON of { state, order }: the rest of the view
}

interface StateDoc {
  _id: string; // `${orderId}|${version}`
  orderId?: string; // recorded states before compaction by order have neither
  version?: number;
  body: string; // JSON of the state
  at: Date;
}

// How many recorded states an order in progress keeps at most before the older ones are deleted.
export const STATES_KEPT = 8;

// The listing directory: which months have orders for a filter, which days of a month, which hours of a day.
interface MonthDoc {
  _id: string; // `${combo}|m:${month}`
  combo: string;
}

interface DayDoc {
  _id: string; // `${combo}|d:${day}`
  comboMonth: string;
  // How many hours of the day have orders: a hint for reading the day whole or hour by hour. Counted
  // without an atomic update, so two first orders of two hours at the same moment may count once.
  hours: number;
}

interface HourDoc {
  _id: string; // `${combo}|h:${hour}`
  comboDay: string;
}

const stateKey = (orderId: string, version: number) => `${orderId}|${version}`;

export interface OrderListQuery {
  status?: OrderStatus;
  channel?: string;
  sku?: string; // orders with a line of this sku (read by equality on the skus index)
  customer?: string; // an email (any case) or the channel's customer id
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
  expedite: boolean; // offered stock before orders that waited longer
  partial?: boolean; // backorders allowed: it takes whatever arrives (domain/backorder.ts)
}

// ---- List keys ----------------------------------------------------------------------------------------

const ALL = '*';
const comboOf = (status: OrderStatus | undefined, channel: string | undefined) =>
  [status !== undefined && `s:${status}`, channel !== undefined && `c:${channel}`].filter(Boolean).join('|') || ALL;
// Orders never leave these filters once in them, so their buckets and directories only ever grow.
const bucketed = (status: OrderStatus | undefined) => status === undefined || isTerminal(status);
const hourOf = (at: Date) => at.toISOString().slice(0, 13); // 2026-11-28T09
const dayOf = (hour: string) => hour.slice(0, 10);
const monthOf = (hour: string) => hour.slice(0, 7);
const hourKey = (combo: string, hour: string) => `${combo}|h:${hour}`;
const dayKey = (combo: string, day: string) => `${combo}|d:${day}`;
const monthKey = (combo: string, month: string) => `${combo}|m:${month}`;
const suffix = (id: string, marker: string) => id.slice(id.lastIndexOf(marker) + marker.length);
// A day with orders in at most this many hours is read whole, in one read of its day bucket; a month with
// orders in at most this many hours, in one read of its month bucket. (Hours with orders are all the
// directory counts: a busy hour of a busy day is read alone.)
const QUIET_DAY_HOURS = 12;
const QUIET_MONTH_HOURS = 96;
// Hour buckets of a busy day read at once, at first and at most: the newest busy hours fill a page in the
// first round, quieter ones in a few rounds.
const BUCKETS_AT_ONCE = 4;
const MAX_BUCKETS_AT_ONCE = 16;

/** The list keys of an order with this status, channel and creation time. */
export function listKeysOf(status: OrderStatus, channel: string, createdAt: Date): string[] {
  const hour = hourOf(createdAt);
  return [comboOf(undefined, undefined), comboOf(undefined, channel), comboOf(status, undefined), comboOf(status, channel)].flatMap(
    (combo, i) =>
      bucketed(i < 2 ? undefined : status) ? [monthKey(combo, monthOf(hour)), dayKey(combo, dayOf(hour)), hourKey(combo, hour)] : [combo],
  );
}

/** The keys an order is found by for its customer: its email (trimmed, lower case) and its channel customer id. */
export function customerKeysOf(customer: Order['customer']): string[] {
  const email = customer.email?.trim().toLowerCase();
  return [...(email ? [`email:${email}`] : []), ...(customer.id ? [`id:${customer.id}`] : [])];
}

/** The keys a GET /orders?customer= value looks up: a customer id, and an email too when it has an @. */
export function customerKeysOfQuery(value: string): string[] {
  const trimmed = value.trim();
  return [...(trimmed.includes('@') ? [`email:${trimmed.toLowerCase()}`] : []), `id:${trimmed}`];
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
    ...(state.backorder?.lines.length && { backorderSkus: state.backorder.lines.map((l) => l.sku) }),
    listKeys: listKeysOf(state.status, order.channel, createdAt),
    customerKeys: customerKeysOf(order.customer),
    createdAt,
    updatedAt,
    body: JSON.stringify({ state, order }),
  };
}

/** The directory entries (months, days, hours) that make these list keys reachable. */
export function directoryOf(listKeys: string[]): { months: MonthDoc[]; days: DayDoc[]; hours: HourDoc[] } {
  const hours = listKeys
    .filter((k) => k.includes('|h:'))
    .map((key) => {
      const [combo, hour] = key.split('|h:');
      return { _id: key, comboDay: dayKey(combo, dayOf(hour)) };
    });
  const days = [
    ...new Map(
      hours.map((h) => {
        const [combo, day] = h.comboDay.split('|d:');
        return [h.comboDay, { _id: h.comboDay, comboMonth: monthKey(combo, monthOf(day)), hours: 1 }] as const;
      }),
    ).values(),
  ];
  const months = [
    ...new Map(
      days.map((d) => [d.comboMonth, { _id: d.comboMonth, combo: d.comboMonth.slice(0, d.comboMonth.lastIndexOf('|m:')) }]),
    ).values(),
  ];
  return { months, days, hours };
}

// Directory entries written by this process; bounded, and only ever an optimisation (entries are never removed).
const MAX_REMEMBERED = 20_000;

export class OrdersView {
  private readonly col: Collection<OrderDoc>;
  private readonly states: Collection<StateDoc>;
  private readonly versions: Collection<{ _id: string }>;
  private readonly months: Collection<MonthDoc>;
  private readonly days: Collection<DayDoc>;
  private readonly hours: Collection<HourDoc>;
  private readonly listed = new Set<string>();

  constructor(db: Db) {
    this.col = db.collection<OrderDoc>('orders');
    this.states = db.collection<StateDoc>('order_states');
    this.versions = db.collection<{ _id: string }>('order_versions');
    this.months = db.collection<MonthDoc>('order_list_months');
    this.days = db.collection<DayDoc>('order_list_days');
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
  // ends at the newest version. Only the newest state is ever read back, so older ones are deleted: not one
  // by one (a delete per projection cost as much as the write), but all of them together every STATES_KEPT
  // versions and when the order reaches a final status, by order id and below the writer's own version (a
  // straggler never deletes a newer one). order_states holds about one document per finished order and at
  // most STATES_KEPT per order in progress. The markers stay (tens of bytes each): a straggler needs them to
  // see that it is one.
  async project(order: Order, state: OrderState): Promise<void> {
    const key = stateKey(state.orderId, state.version);
    await Promise.all([
      insertOnce(this.states, { _id: key, orderId: state.orderId, version: state.version, body: JSON.stringify(state), at: new Date() }),
      insertOnce(this.versions, { _id: key }),
    ]);
    let target = state;
    for (let round = 0; round < 20; round++) {
      await this.write(order, target);
      const newer = await this.newestAfter(target.orderId, target.version);
      if (!newer) break;
      target = newer;
    }
    if (state.version > 1 && (isTerminal(state.status) || state.version % STATES_KEPT === 0))
      await this.states.deleteMany({ orderId: state.orderId, version: { $lt: state.version } });
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

  // The directory entries of bucketed keys, before any order carries the key. A new hour counts in its day.
  async ensureListed(listKeys: string[]): Promise<void> {
    const { months, days, hours } = directoryOf(listKeys.filter((k) => k.includes('|h:') && !this.listed.has(k)));
    if (hours.length === 0) return;
    await Promise.all(
      hours.map(async (hour) => {
        const day = days.find((d) => d._id === hour.comboDay)!;
        const month = months.find((m) => m._id === day.comboMonth)!;
        if (!this.listed.has(month._id)) await insertOnce(this.months, month);
        const newDay = !this.listed.has(day._id) && (await insertOnce(this.days, day));
        if ((await insertOnce(this.hours, hour)) && !newDay) await this.days.updateOne({ _id: day._id }, { $inc: { hours: 1 } });
      }),
    );
    if (this.listed.size > MAX_REMEMBERED) this.listed.clear();
    for (const doc of [...months, ...days, ...hours]) this.listed.add(doc._id);
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
      (!q.customer || (d.status === (q.status ?? d.status) && d.channel === (q.channel ?? d.channel))) &&
      (!q.from || d.createdAt >= q.from) &&
      (!q.to || d.createdAt < q.to) &&
      (!after || d.createdAt < after.createdAt || (d.createdAt.getTime() === after.createdAt.getTime() && d._id < after.id));
    const page: OrderDoc[] = [];
    if (q.customer) {
      // One customer's orders are few: read them all by equality (an email and an id alike), then filter and sort here.
      const found = await Promise.all(customerKeysOfQuery(q.customer).map((key) => this.col.find({ customerKeys: key }).toArray()));
      const byId = new Map(found.flat().map((d) => [d._id, d]));
      page.push(...[...byId.values()].filter((d) => wanted(d) && (q.sku === undefined || d.skus.includes(q.sku))).sort(newestFirst));
    } else if (q.sku !== undefined) {
      // Every order ever taken with the sku, by equality on the skus index (with status and channel): a
      // search for an operator, not a hot path.
      const byFields = { skus: q.sku, ...(q.status && { status: q.status }), ...(q.channel && { channel: q.channel }) };
      page.push(...(await this.col.find(byFields).toArray()).filter(wanted).sort(newestFirst));
    } else if (!bucketed(q.status)) {
      page.push(...(await this.col.find({ listKeys: combo }).toArray()).filter(wanted).sort(newestFirst));
    } else {
      // The newest first, from the cursor or `to` down to `from`, until the page is full: the months that
      // have orders for this filter, each month's days, each busy day's hours; buckets several at a time.
      const upTo = hourOf(
        new Date(Math.min(after?.createdAt.getTime() ?? Infinity, q.to?.getTime() ?? Infinity, Date.now() + 366 * 86_400_000)),
      );
      const downTo = q.from ? hourOf(q.from) : '';
      const months = (await this.months.find({ combo }).toArray())
        .map((m) => suffix(m._id, '|m:'))
        .filter((m) => m <= monthOf(upTo) && m >= monthOf(downTo))
        .sort()
        .reverse();
      const read = (key: string) => this.col.find({ listKeys: key }).toArray();
      fill: for (const month of months) {
        const allDays = await this.days.find({ comboMonth: monthKey(combo, month) }).toArray();
        if (allDays.reduce((n, d) => n + d.hours, 0) <= QUIET_MONTH_HOURS) {
          page.push(...(await read(monthKey(combo, month))).filter(wanted));
          if (page.length > q.limit) break fill;
          continue;
        }
        const days = allDays
          .map((d) => ({ day: suffix(d._id, '|d:'), hours: d.hours }))
          .filter((d) => d.day <= dayOf(upTo) && d.day >= dayOf(downTo))
          .sort((a, b) => (a.day < b.day ? 1 : -1));
        // Newest first: a run of quiet days read together (each one read of its day bucket, until their
        // hours could fill the page), a busy day alone, hour by hour, a few hours at a time.
        for (let i = 0; i < days.length;) {
          if (days[i].hours > QUIET_DAY_HOURS) {
            const { day } = days[i++];
            const inDay = (await this.hours.find({ comboDay: dayKey(combo, day) }).toArray())
              .map((h) => suffix(h._id, '|h:'))
              .filter((h) => h <= upTo && h >= downTo)
              .sort()
              .reverse();
            for (let h = 0, n = BUCKETS_AT_ONCE; h < inDay.length; h += n, n = Math.min(n * 2, MAX_BUCKETS_AT_ONCE)) {
              for (const bucket of await Promise.all(inDay.slice(h, h + n).map((hour) => read(hourKey(combo, hour)))))
                page.push(...bucket.filter(wanted));
              if (page.length > q.limit) break fill;
            }
            continue;
          }
          const quiet: string[] = [];
          for (
            let hours = 0;
            i < days.length && days[i].hours <= QUIET_DAY_HOURS && hours <= q.limit && quiet.length < MAX_BUCKETS_AT_ONCE;
            i++
          ) {
            quiet.push(days[i].day);
            hours += days[i].hours;
          }
          for (const bucket of await Promise.all(quiet.map((day) => read(dayKey(combo, day))))) page.push(...bucket.filter(wanted));
          if (page.length > q.limit) break fill;
        }
      }
      page.sort(newestFirst);
    }
    const shown = page.slice(0, q.limit);
    const last = shown[shown.length - 1];
    return { orders: shown.map(toView), ...(page.length > q.limit && last && { nextCursor: encodeCursor(last.createdAt, last._id) }) };
  }

  /**
   * Every order received in [from, to), of one channel or all, for the order metrics: the listing's day
   * buckets the directory has for the period, each one equality read on `listKeys`, a few at a time. Stops
   * (tooMany) once more than `max` orders were read, so a busy period costs a bounded read.
   */
  async receivedBetween(
    from: Date,
    to: Date,
    channel: string | undefined,
    max: number,
  ): Promise<{ orders: OrderView[]; tooMany: boolean }> {
    const combo = comboOf(undefined, channel);
    const first = dayOf(hourOf(from));
    const last = dayOf(hourOf(new Date(to.getTime() - 1)));
    const months = (await this.months.find({ combo }).toArray())
      .map((m) => suffix(m._id, '|m:'))
      .filter((m) => m >= monthOf(first) && m <= monthOf(last));
    const days = (await Promise.all(months.map((month) => this.days.find({ comboMonth: monthKey(combo, month) }).toArray())))
      .flat()
      .map((d) => suffix(d._id, '|d:'))
      .filter((d) => d >= first && d <= last)
      .sort();
    const docs: OrderDoc[] = [];
    for (let i = 0; i < days.length; i += BUCKETS_AT_ONCE) {
      const buckets = await Promise.all(
        days.slice(i, i + BUCKETS_AT_ONCE).map((day) => this.col.find({ listKeys: dayKey(combo, day) }).toArray()),
      );
      docs.push(...buckets.flat().filter((d) => d.createdAt >= from && d.createdAt < to));
      if (docs.length > max) return { orders: [], tooMany: true };
    }
    return { orders: docs.sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime()).map(toView), tooMany: false };
  }

  /**
   * Orders waiting for stock that need this sku, whole or backordered: expedited ones first, then the
   * longest waiting first. A backordered order waits for its backordered units only.
   */
  async waitingForSku(sku: string): Promise<WaitingOrder[]> {
    const [whole, backordered] = await Promise.all([
      this.col.find({ status: 'awaiting_stock', skus: sku }).toArray(),
      this.col.find({ backorderSkus: sku }).toArray(),
    ]);
    const docs = [...whole, ...backordered.filter((b) => !whole.some((w) => w._id === b._id))];
    return docs
      .map(toView)
      .map((v) => {
        const backorder = v.status === 'awaiting_stock' ? undefined : v.backorder;
        const lines = backorder ? backorder.lines : v.order.lines.map((l) => ({ sku: l.sku, quantity: l.quantity }));
        return {
          orderId: v.orderId,
          since: backorder?.since ?? v.awaitingStock?.since ?? v.updatedAt,
          quantity: lines.filter((l) => l.sku === sku).reduce((n, l) => n + l.quantity, 0),
          lines,
          expedite: v.order.priority === 'expedite',
          partial: !!backorder || backordersApply(v.order),
        };
      })
      .sort(
        (a, b) => Number(b.expedite) - Number(a.expedite) || Date.parse(a.since) - Date.parse(b.since) || (a.orderId < b.orderId ? -1 : 1),
      );
  }

  async idsWaitingForSku(sku: string): Promise<string[]> {
    return (await this.waitingForSku(sku)).map((w) => w.orderId);
  }

  /**
   * How many orders are in each status that orders pass through, by channel (for /metrics). One equality
   * read on the `status` index per status, projected to the channel: it reads the work in progress only,
   * as a listing of that status does. Final statuses (completed, cancelled, rejected) only ever grow and
   * are not counted here: counting them would read every order ever taken.
   */
  async countInProgress(): Promise<{ status: OrderStatus; channel: string; count: number }[]> {
    const statuses = ORDER_STATUSES.filter((s) => !isTerminal(s));
    const perStatus = await Promise.all(
      statuses.map(async (status) => {
        const docs = await this.col.find({ status }, { projection: { channel: 1 } }).toArray();
        const byChannel = new Map<string, number>();
        for (const d of docs) byChannel.set(d.channel, (byChannel.get(d.channel) ?? 0) + 1);
        return [...byChannel].map(([channel, count]) => ({ status, channel, count }));
      }),
    );
    return perStatus.flat();
  }
}

const newestFirst = (a: OrderDoc, b: OrderDoc) =>
  b.createdAt.getTime() - a.createdAt.getTime() || (a._id < b._id ? 1 : a._id > b._id ? -1 : 0);

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
