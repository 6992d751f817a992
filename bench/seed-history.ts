import type { AnyBulkWriteOperation, Db, Document } from 'mongodb';
import { orderInputSchema, toOrder, type Order } from '../domain/order';
import { initialOrderState, type OrderState } from '../domain/order-state';
import { routeOrder, routingOrderOf } from '../domain/routing';
import type { Location } from '../domain/catalog';
import type { OrderStatus } from '../domain/status';
import { stepKey } from '../domain/ids';
import { directoryOf, viewDocOf } from '../store/orders';
import { releaseKey, reservationKey, shipmentKey } from '../store/allocations';
import { deltasFor } from '../domain/stock';
import { postalTableOf } from '../domain/geo';
import { notificationId } from '../store/notifications';
import { deliveryKey } from '../store/webhook-deliveries';
import { orderBody } from './setup';

// A year of orders, written in the store's own document shapes (the same keys, ids and derived fields the
// stores write: list keys, version markers, ledger sequences and idempotency claims), as the store would
// hold them after they ran through their workflows. Written with bulk inserts: running 100,000 orders
// through their workflows would take hours on this machine, and what the scale figure asks is what they
// cost once stored.

export const HISTORY_CHANNELS = ['bench-hist-web', 'bench-hist-pos'];
export const HISTORY_LOCATION = 'BENCH-HIST';
const HISTORY_SKUS = Array.from({ length: 300 }, (_, i) => `HIST-${String(i).padStart(3, '0')}`);
const DAY = 86_400_000;
const BATCH = 1_000;

// How the year's orders ended: mostly completed, some cancelled or still on their way.
const OUTCOMES: [OrderStatus, number][] = [
  ['completed', 0.9],
  ['cancelled', 0.05],
  ['shipped', 0.03],
  ['delivered', 0.02],
];

interface Ledger {
  seq: number;
  onHand: number;
  reserved: number;
}

export interface SeededHistory {
  orders: number;
  documents: Record<string, number>;
  seconds: number;
  sampleIds: string[];
}

/** Writes `count` stored orders spread over the past `days` days (newest about a minute ago). */
export async function seedOrderHistory(
  db: Db,
  opts: { count: number; days: number; runTag: string; log: (m: string) => void },
): Promise<SeededHistory> {
  const started = Date.now();
  const location: Location = {
    id: HISTORY_LOCATION,
    name: 'Bench history',
    type: 'warehouse',
    address: { line1: 'Lagerstrasse 1', city: 'Berlin', postalCode: '10117', country: 'DE' },
    ships: true,
    pickup: false,
    priority: 50,
    active: true,
  };
  await db
    .collection<{ _id: string }>('locations')
    .updateOne({ _id: location.id }, { $setOnInsert: { ...location, createdAt: new Date() } }, { upsert: true });
  await bulk(
    db,
    'items',
    HISTORY_SKUS.map((sku) => ({ _id: sku, sku, name: `History item ${sku}`, createdAt: new Date() })),
  );

  const ledgers = new Map<string, Ledger>(HISTORY_SKUS.map((sku) => [sku, { seq: 0, onHand: 0, reserved: 0 }]));
  const docs: Record<string, Document[]> = {};
  const add = (collection: string, doc: Document) => (docs[collection] ??= []).push(doc);
  const flush = async (force = false) => {
    for (const [collection, list] of Object.entries(docs)) {
      if (!force && list.length < BATCH) continue;
      await bulk(db, collection, list.splice(0));
    }
  };
  const directory = new Set<string>();
  const dayDocs = new Map<string, { _id: string; comboMonth: string; hours: number }>();
  const dayHours = new Map<string, number>();
  const ledgerEntry = (
    sku: string,
    type: 'receipt' | 'reservation' | 'release' | 'shipment',
    quantity: number,
    key: string,
    reference: string,
    at: Date,
  ) => {
    const l = ledgers.get(sku)!;
    const deltas = deltasFor(type, quantity);
    l.seq++;
    l.onHand += deltas.onHand;
    l.reserved += deltas.reserved;
    const _id = `${HISTORY_LOCATION}|${sku}|${l.seq}`;
    add('stock_ledger', {
      _id,
      sku,
      locationId: HISTORY_LOCATION,
      seq: l.seq,
      type,
      quantity,
      deltas,
      balance: { onHand: l.onHand, reserved: l.reserved, available: l.onHand - l.reserved },
      idempotencyKey: key,
      actor: type === 'receipt' ? 'bench' : 'order-workflow',
      reference,
      at,
    });
    add('stock_idempotency', { _id: key, entryId: _id, at });
  };
  for (const sku of HISTORY_SKUS)
    ledgerEntry(
      sku,
      'receipt',
      1_000_000,
      `bench-hist-open-${opts.runTag}-${sku}`,
      'opening stock',
      new Date(Date.now() - opts.days * DAY - DAY),
    );

  const routing = routeOrder({
    order: routingOrderOf(
      toOrder(orderInputSchema.parse(orderBody('bench-hist-web', 'x', [{ sku: HISTORY_SKUS[0], quantity: 1 }])), new Date().toISOString()),
    ),
    rules: [],
    locations: [location],
    stock: { [HISTORY_SKUS[0]]: { [HISTORY_LOCATION]: 100 } },
    postalTable: postalTableOf([]),
    excludedLocationIds: [],
  }).explanation;
  const sampleIds: string[] = [];
  for (let i = 0; i < opts.count; i++) {
    // Newest first in time, oldest last, about evenly over the period.
    const createdAt = new Date(Date.now() - 60_000 - Math.floor((i / opts.count) * opts.days * DAY) - (i % 97) * 1_000);
    const channel = HISTORY_CHANNELS[i % HISTORY_CHANNELS.length];
    const lines = [
      { sku: HISTORY_SKUS[(i * 7) % HISTORY_SKUS.length], quantity: 1 + (i % 3) },
      ...(i % 2 ? [{ sku: HISTORY_SKUS[(i * 13 + 5) % HISTORY_SKUS.length], quantity: 1 }] : []),
    ].filter((l, k, all) => k === 0 || l.sku !== all[0].sku);
    const order = toOrder(orderInputSchema.parse(orderBody(channel, `${opts.runTag}-h${i}`, lines)), createdAt.toISOString());
    const outcome = outcomeOf(i);
    const { state, at } = historyOf(order, outcome, createdAt, routing);
    if (i % Math.max(1, Math.floor(opts.count / 200)) === 0) sampleIds.push(order.id);
    const view = viewDocOf(order, state, at);
    // The directory as the store's writers leave it, with each day's count of hours that have orders.
    const { months, days, hours } = directoryOf(view.listKeys);
    for (const doc of months) {
      if (directory.has(doc._id)) continue;
      directory.add(doc._id);
      add('order_list_months', doc);
    }
    for (const doc of hours) {
      if (directory.has(doc._id)) continue;
      directory.add(doc._id);
      add('order_list_hours', doc);
      dayHours.set(doc.comboDay, (dayHours.get(doc.comboDay) ?? 0) + 1);
    }
    for (const day of days) dayDocs.set(day._id, day);
    add('orders', view);
    for (let v = 1; v <= state.version; v++) add('order_versions', { _id: `${order.id}|${v}` });
    add('order_states', {
      _id: `${order.id}|${state.version}`,
      orderId: order.id,
      version: state.version,
      body: JSON.stringify(state),
      at,
    });
    // Reserved at the history location; shipped unless it was cancelled before.
    const reservationId = stepKey(order.id, `alloc:1:${HISTORY_LOCATION}`);
    add('allocations', {
      _id: reservationId,
      orderId: order.id,
      locationId: HISTORY_LOCATION,
      lines: order.lines.map((l) => ({ sku: l.sku, quantity: l.quantity })),
      outcome: 'reserved',
      at: createdAt,
    });
    for (const l of order.lines) {
      ledgerEntry(l.sku, 'reservation', l.quantity, reservationKey(reservationId, l.sku), order.id, createdAt);
      if (outcome !== 'cancelled')
        ledgerEntry(l.sku, 'shipment', l.quantity, shipmentKey(reservationId, l.sku), `${order.id} tracking ${trackingOf(i)}`, at);
      else ledgerEntry(l.sku, 'release', l.quantity, releaseKey(reservationId, l.sku), order.id, at);
    }
    for (const op of ['authorize', 'capture'] as const) {
      add('payments', {
        _id: stepKey(order.id, `payment:${op}`),
        orderId: order.id,
        provider: 'manual',
        operation: op,
        status: op === 'authorize' ? 'authorized' : 'captured',
        amount: order.totals.total,
        currency: order.currency,
        reference: `${order.id}:${op}`,
        at: createdAt,
      });
    }
    if (channel === 'bench-hist-web') {
      add('webhook_deliveries', {
        _id: deliveryKey(channel, `d-${opts.runTag}-${i}`),
        connectionId: channel,
        deliveryId: `d-${opts.runTag}-${i}`,
        topic: 'orders/create',
        bodyBytes: 4_800,
        receivedAt: createdAt,
        status: 'processed',
        outcome: 'captured',
        replays: 0,
        updatedAt: createdAt,
      });
    }
    if (outcome !== 'cancelled') {
      for (const kind of ['shipped', 'delivered'] as const) {
        add('customer_notifications', {
          _id: notificationId(order.id, kind),
          orderId: order.id,
          kind,
          channel,
          to: { name: order.customer.name, email: order.customer.email },
          details: { carrier: 'dhl', trackingNumber: trackingOf(i) },
          status: 'sent',
          at,
          sentAt: at,
          sentBy: 'bench',
        });
      }
      add('tracking_numbers', { _id: `bench-carrier|${trackingOf(i)}`, orderId: order.id, at, deliveredAt: at });
    }
    if (i % BATCH === BATCH - 1) {
      await flush();
      if (i % (BATCH * 10) === BATCH * 10 - 1)
        opts.log(`  stored history: ${i + 1} of ${opts.count} orders (${((Date.now() - started) / 1000).toFixed(0)} s)`);
    }
  }
  await flush(true);
  await bulk(
    db,
    'order_list_days',
    [...dayDocs.values()].map((d) => ({ ...d, hours: dayHours.get(d._id) ?? 1 })),
  );
  await bulk(
    db,
    'stock_balances',
    HISTORY_SKUS.map((sku) => {
      const l = ledgers.get(sku)!;
      return {
        _id: `${HISTORY_LOCATION}|${sku}`,
        sku,
        locationId: HISTORY_LOCATION,
        seq: l.seq,
        onHand: l.onHand,
        reserved: l.reserved,
        available: l.onHand - l.reserved,
        updatedAt: new Date(),
      };
    }),
  );
  const documents: Record<string, number> = {};
  for (const c of [
    'orders',
    'order_versions',
    'order_states',
    'order_list_hours',
    'stock_ledger',
    'stock_idempotency',
    'allocations',
    'payments',
    'webhook_deliveries',
    'customer_notifications',
    'tracking_numbers',
  ]) {
    documents[c] = await db.collection(c).estimatedDocumentCount();
  }
  return { orders: opts.count, documents, seconds: Math.round((Date.now() - started) / 1000), sampleIds };
}

function outcomeOf(i: number): OrderStatus {
  const x = ((i * 2654435761) % 1000) / 1000;
  let acc = 0;
  for (const [status, share] of OUTCOMES) {
    acc += share;
    if (x < acc) return status;
  }
  return 'completed';
}

const trackingOf = (i: number) => `JJD${String(10_000_000_000 + i)}`;

// The state an order ends in after its workflow ran: every status change in its history, its payment,
// allocation, routing explanation and shipment.
function historyOf(order: Order, outcome: OrderStatus, createdAt: Date, routing: OrderState['routing']): { state: OrderState; at: Date } {
  const state = initialOrderState(order);
  const path: OrderStatus[] =
    outcome === 'cancelled'
      ? ['validated', 'payment_authorized', 'stock_reserved', 'released_to_fulfillment', 'cancelled']
      : ([
          'validated',
          'payment_authorized',
          'stock_reserved',
          'released_to_fulfillment',
          'picked',
          'packed',
          'shipped',
          'delivered',
          'completed',
        ].slice(0, outcome === 'shipped' ? 7 : outcome === 'delivered' ? 8 : 9) as OrderStatus[]);
  let t = createdAt.getTime();
  for (const status of path) {
    t += status === 'shipped' ? 3 * 3_600_000 : status === 'delivered' ? 36 * 3_600_000 : 60_000;
    state.status = status;
    if (status !== 'cancelled') state.stage = status as OrderState['stage'];
    state.history.push({ status, at: new Date(t).toISOString() });
    state.version++;
  }
  state.payment = { ...state.payment, status: outcome === 'cancelled' ? 'refunded' : 'captured', reference: `${order.id}:capture` };
  state.allocation = {
    reservationId: stepKey(order.id, `alloc:1:${HISTORY_LOCATION}`),
    locationId: HISTORY_LOCATION,
    reservedAt: new Date(createdAt.getTime() + 180_000).toISOString(),
  };
  state.routing = routing;
  if (outcome === 'cancelled') state.cancellation = { reason: 'customer changed their mind', at: new Date(t).toISOString() };
  else
    state.shipment = {
      carrier: 'dhl',
      trackingNumber: `JJD-${order.channelOrderId}`,
      shippedAt: new Date(createdAt.getTime() + 3 * 3_600_000).toISOString(),
    };
  if (outcome === 'delivered' || outcome === 'completed') state.deliveredAt = new Date(t).toISOString();
  return { state, at: new Date(t) };
}

// Unordered inserts; a document already there (a directory entry the run's own orders wrote) is kept.
async function bulk(db: Db, collection: string, docs: Document[]): Promise<void> {
  if (docs.length === 0) return;
  const ops: AnyBulkWriteOperation<Document>[] = docs.map((document) => ({ insertOne: { document } }));
  try {
    await db.collection(collection).bulkWrite(ops, { ordered: false });
  } catch (err) {
    const writeErrors = (err as { writeErrors?: { code: number }[] | { code: number } }).writeErrors;
    const list = Array.isArray(writeErrors) ? writeErrors : writeErrors ? [writeErrors] : [];
    if (list.length === 0 || list.some((e) => e.code !== 11000)) throw err;
  }
}
