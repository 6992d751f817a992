// Promise dates: each order waiting for stock is promised the date its lines are covered by stock available
// now and by what purchase orders expect (domain/promise.ts), recomputed per sku when a purchase order
// opens, is received, cancelled or moved, and on request (POST /promises/recompute). A projection outside
// the order workflow: the workflow neither knows nor waits for it. A promised date that moves queues a
// `promise_date_changed` notice for the customer.
import { promiseDates, type OrderPromise } from '../domain/promise';
import type { Logger } from '../domain/logger';
import type { OrderView } from '../domain/order-state';
import type { CustomerNotifications } from '../store/notifications';
import type { OrdersView, WaitingOrder } from '../store/orders';
import type { OrderPromises, StoredPromise } from '../store/promises';
import type { PurchaseOrders } from '../store/purchasing';
import type { StockLedger } from '../store/stock-ledger';

export interface PromiseServiceDeps {
  orders: Pick<OrdersView, 'waitingForSku' | 'get'>;
  ledger: Pick<StockLedger, 'balancesForSku'>;
  purchaseOrders: Pick<PurchaseOrders, 'inboundForSku'>;
  promises: Pick<OrderPromises, 'get' | 'forSku' | 'put' | 'drop'>;
  notifications: Pick<CustomerNotifications, 'queue'>;
  log?: Logger;
  now?: () => Date;
}

// Orders waiting for one sku may wait for others too, whose lines compete with other orders: a recompute
// follows them to this many skus, and treats orders beyond as if nobody else wanted their other skus.
const MAX_SKUS = 50;

export interface PromiseView {
  date: string | null;
  reason?: string;
  basis: StoredPromise['basis'];
  updatedAt: string;
}

export interface RecomputeResult {
  skus: string[];
  waiting: number;
  changed: number;
  notified: number;
  dropped: number;
}

export function createPromiseService(deps: PromiseServiceDeps) {
  const now = deps.now ?? (() => new Date());

  // The waiting orders that compete with those of the given skus, and every sku they wait for.
  async function waitingAround(skus: string[]): Promise<{ skus: string[]; waiting: WaitingOrder[] }> {
    const seen = new Set<string>();
    const waiting = new Map<string, WaitingOrder>();
    const queue = [...new Set(skus)];
    while (queue.length && seen.size < MAX_SKUS) {
      const sku = queue.shift()!;
      if (seen.has(sku)) continue;
      seen.add(sku);
      for (const w of await deps.orders.waitingForSku(sku)) {
        waiting.set(w.orderId, w);
        for (const l of w.lines) if (!seen.has(l.sku)) queue.push(l.sku);
      }
    }
    const all = new Set([...seen, ...[...waiting.values()].flatMap((w) => w.lines.map((l) => l.sku))]);
    return { skus: [...all].sort(), waiting: [...waiting.values()] };
  }

  async function supplyOf(skus: string[]) {
    const availableNow: Record<string, number> = {};
    const inbound = [];
    for (const sku of skus) {
      availableNow[sku] = (await deps.ledger.balancesForSku(sku)).reduce((n, b) => n + Math.max(0, b.available), 0);
      inbound.push(...(await deps.purchaseOrders.inboundForSku(sku)));
    }
    return { availableNow, inbound };
  }

  // The customer hears of a promised date that moved (or was withdrawn, or came back), not of the first one,
  // nor of one that moved to today because the stock is there now (the order is about to be released).
  async function notifyMove(prev: StoredPromise, next: OrderPromise, n: number, today: string): Promise<boolean> {
    if (next.date === today && next.basis.every((b) => b.from === 'stock')) return false;
    const view = await deps.orders.get(next.orderId);
    if (!view) return false;
    const { name, email, phone, language } = view.order.customer;
    return deps.notifications.queue({
      orderId: next.orderId,
      kind: 'promise_date_changed',
      n,
      channel: view.order.channel,
      to: { name, ...(email && { email }), ...(phone && { phone }), ...(language && { language }) },
      details: {
        date: next.date ?? 'none',
        previousDate: prev.date ?? 'none',
        ...(next.date === null && { reason: next.reason }),
      },
    });
  }

  async function store(p: OrderPromise, w: WaitingOrder, prev: StoredPromise | undefined, today: string) {
    // A move: the date differs from one the order had, or from none after the order once had one (a
    // withdrawn date coming back). The first date an order gets is not a move.
    const moved = prev !== undefined && prev.date !== p.date && (prev.date !== null || prev.changes > 0);
    const changes = (prev?.changes ?? 0) + (moved ? 1 : 0);
    const next: StoredPromise = {
      _id: p.orderId,
      skus: [...new Set(w.lines.map((l) => l.sku))].sort(),
      date: p.date,
      ...(p.date === null && { reason: p.reason }),
      basis: p.basis,
      changes,
      updatedAt: now(),
    };
    const same = prev && JSON.stringify([prev.date, prev.basis, prev.skus]) === JSON.stringify([next.date, next.basis, next.skus]);
    if (same) return { changed: false, notified: false };
    // The notice first: a recompute that dies before the write below queues the same n again, kept once.
    const notified = moved ? await notifyMove(prev, p, changes, today) : false;
    await deps.promises.put(next);
    return { changed: true, notified };
  }

  /** Recomputes the promises of every order waiting for these skus (and the skus they compete on). */
  async function recomputeForSkus(skus: string[]): Promise<RecomputeResult> {
    const today = now().toISOString().slice(0, 10);
    const around = await waitingAround(skus);
    const { availableNow, inbound } = await supplyOf(around.skus);
    const promises = promiseDates({ today, availableNow, inbound, waiting: around.waiting });
    const stored = new Map<string, StoredPromise>();
    for (const sku of around.skus) for (const s of await deps.promises.forSku(sku)) stored.set(s._id, s);
    const byId = new Map(around.waiting.map((w) => [w.orderId, w]));
    const result: RecomputeResult = { skus: around.skus, waiting: around.waiting.length, changed: 0, notified: 0, dropped: 0 };
    for (const p of promises) {
      const outcome = await store(p, byId.get(p.orderId)!, stored.get(p.orderId), today);
      result.changed += Number(outcome.changed);
      result.notified += Number(outcome.notified);
    }
    // Orders no longer waiting (released, cancelled) drop their promise.
    for (const id of stored.keys())
      if (!byId.has(id)) {
        await deps.promises.drop(id);
        result.dropped += 1;
      }
    if (result.changed || result.dropped) deps.log?.info('promise dates recomputed', { ...result, skus: around.skus.slice(0, 10) });
    return result;
  }

  return {
    recomputeForSkus,

    /**
     * The promise shown on a waiting order (or on a backordered one, for its backordered units); computed now
     * when none is stored yet (an order that just began waiting).
     */
    async forOrder(view: OrderView): Promise<PromiseView | undefined> {
      if (view.status !== 'awaiting_stock' && !view.backorder?.lines.length) return undefined;
      let stored = await deps.promises.get(view.orderId);
      if (!stored) {
        // Reading the order must not fail because its promise could not be computed: it then shows none.
        try {
          await recomputeForSkus(view.order.lines.map((l) => l.sku));
          stored = await deps.promises.get(view.orderId);
        } catch (err) {
          deps.log?.warn('could not compute a promise date', { orderId: view.orderId, error: String(err) });
        }
      }
      if (!stored) return undefined;
      return {
        date: stored.date,
        ...(stored.reason && { reason: stored.reason }),
        basis: stored.basis,
        updatedAt: stored.updatedAt.toISOString(),
      };
    },
  };
}

export type PromiseService = ReturnType<typeof createPromiseService>;
