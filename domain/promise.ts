// Promise dates: when each order waiting for stock can expect it, from what is available now and what
// purchase orders are expected to bring, by date. A projection computed outside the order workflow
// (services/promises.ts); pure, no I/O.
import { inLine, type StockWaiter } from './stock';

/** Stock a purchase order still expects for a sku (InboundStock, without the location). */
export interface InboundLot {
  sku: string;
  quantity: number;
  expectedDate: string; // YYYY-MM-DD
  purchaseOrderId: string;
}

/** Where units of a promise come from: stock available now, or a purchase order on its expected date. */
export interface PromiseBasis {
  sku: string;
  from: 'stock' | string; // 'stock' or the purchase order id
  expectedDate: string; // the purchase order's date (today for stock)
  quantity: number;
}

export type OrderPromise =
  { orderId: string; date: string; basis: PromiseBasis[] } | { orderId: string; date: null; reason: string; basis: [] };

export const NO_PROMISE_REASON = 'no promise: nothing inbound covers it';

export interface PromiseInput {
  today: string; // YYYY-MM-DD: the date stock available now counts for, and the earliest date promised
  availableNow: Record<string, number>; // per sku, summed over locations (never below 0)
  inbound: InboundLot[];
  waiting: StockWaiter[];
}

interface Lot {
  from: string;
  expectedDate: string;
  date: string; // when it counts: its expected date, or today for one already overdue
  left: number;
}

/**
 * Each waiting order's promised date, simulating the stock offers (domain/stock.ts chooseOffers) on each
 * date supply arrives: on each date, in line order (expedited first, then the longest waiting), an order
 * whose every line is covered by what has arrived and is still unclaimed takes it, earliest units first,
 * and is promised that date; one that is not covered yet is passed over, as the stock offers pass it over,
 * so the next in line may be promised earlier. An order not covered after the last lot gets no date.
 */
export function promiseDates(input: PromiseInput): OrderPromise[] {
  const { today } = input;
  const lots = new Map<string, Lot[]>();
  const lotsOf = (sku: string) => lots.get(sku) ?? lots.set(sku, []).get(sku)!;
  for (const [sku, quantity] of Object.entries(input.availableNow))
    if (quantity > 0) lotsOf(sku).push({ from: 'stock', expectedDate: today, date: today, left: quantity });
  for (const lot of [...input.inbound].sort(
    (a, b) => a.expectedDate.localeCompare(b.expectedDate) || a.purchaseOrderId.localeCompare(b.purchaseOrderId),
  ))
    if (lot.quantity > 0)
      lotsOf(lot.sku).push({
        from: lot.purchaseOrderId,
        expectedDate: lot.expectedDate,
        date: lot.expectedDate < today ? today : lot.expectedDate,
        left: lot.quantity,
      });
  const dates = [...new Set([today, ...[...lots.values()].flat().map((l) => l.date)])].sort();

  const promised = new Map<string, OrderPromise>();
  let pending = inLine(input.waiting);
  for (const date of dates) {
    pending = pending.filter((w) => {
      const needs = needsOf(w);
      const arrived = (sku: string) => (lots.get(sku) ?? []).filter((l) => l.date <= date);
      if (![...needs].every(([sku, q]) => arrived(sku).reduce((n, l) => n + l.left, 0) >= q)) return true;
      const basis = [...needs].flatMap(([sku, q]) => take(sku, arrived(sku), q));
      promised.set(w.orderId, { orderId: w.orderId, date, basis });
      return false;
    });
  }
  return input.waiting.map(
    (w) => promised.get(w.orderId) ?? { orderId: w.orderId, date: null, reason: NO_PROMISE_REASON, basis: [] as [] },
  );
}

function needsOf(w: StockWaiter): Map<string, number> {
  const needs = new Map<string, number>();
  for (const l of w.lines) needs.set(l.sku, (needs.get(l.sku) ?? 0) + l.quantity);
  return needs;
}

// Claims q units from the lots (earliest first), naming where they came from.
function take(sku: string, lots: Lot[], q: number): PromiseBasis[] {
  const basis: PromiseBasis[] = [];
  for (const lot of lots) {
    if (q === 0) break;
    const n = Math.min(q, lot.left);
    if (n === 0) continue;
    lot.left -= n;
    q -= n;
    basis.push({ sku, from: lot.from, expectedDate: lot.expectedDate, quantity: n });
  }
  return basis;
}

/**
 * When one more unit of a sku, ordered now behind everyone waiting for it, would be covered: the date a
 * channel can show a sold-out listing as back in stock. Only the sku's own lines of the waiting orders count
 * (an order also waiting for something else still claims its units here); null when nothing inbound covers it.
 */
export function nextAvailableDate(input: {
  today: string;
  sku: string;
  availableNow: number;
  inbound: InboundLot[];
  waiting: StockWaiter[];
}): string | null {
  const { sku } = input;
  const nextBuyer: StockWaiter = { orderId: '\u0000next-buyer', since: '9999-12-31T23:59:59.999Z', lines: [{ sku, quantity: 1 }] };
  const waiting = input.waiting.map((w) => ({ ...w, lines: w.lines.filter((l) => l.sku === sku) })).filter((w) => w.lines.length > 0);
  const promised = promiseDates({
    today: input.today,
    availableNow: { [sku]: Math.max(0, input.availableNow) },
    inbound: input.inbound.filter((l) => l.sku === sku),
    waiting: [...waiting, nextBuyer],
  });
  return promised.find((p) => p.orderId === nextBuyer.orderId)!.date;
}
