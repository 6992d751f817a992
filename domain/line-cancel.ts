// Cancelling some lines or units of an order before they ship, and what each part of a split order
// captures when it ships. Free of zod and I/O: the order workflow imports this file (its bundle must stay
// deterministic and small).
import type { Order, OrderLine } from './order';

export interface LineQuantity {
  sku: string;
  quantity: number;
}

export interface LineCancelProblem {
  path: string;
  message: string;
}

// What a request names that does not fit the order: a sku not on it, a sku named twice, more units than
// are left, every remaining unit (that is a cancel of the whole order). Every problem, by path.
export function lineCancelProblems(orderId: string, lines: readonly LineQuantity[], request: readonly LineQuantity[]): LineCancelProblem[] {
  const problems: LineCancelProblem[] = [];
  const left = new Map(lines.map((l) => [l.sku, l.quantity]));
  const seen = new Set<string>();
  request.forEach((r, i) => {
    if (!r || typeof r.sku !== 'string' || !Number.isInteger(r.quantity) || r.quantity < 1) {
      problems.push({ path: `lines.${i}`, message: 'needs a sku and a whole quantity of at least 1' });
      return;
    }
    if (seen.has(r.sku)) {
      problems.push({ path: `lines.${i}.sku`, message: `repeats ${r.sku}: give each sku once` });
      return;
    }
    seen.add(r.sku);
    const has = left.get(r.sku);
    if (has === undefined) problems.push({ path: `lines.${i}.sku`, message: `${r.sku} is not on order ${orderId}` });
    else if (r.quantity > has)
      problems.push({ path: `lines.${i}.quantity`, message: `${r.quantity} is more than is left of ${r.sku}: ${has}` });
  });
  if (request.length === 0) problems.push({ path: 'lines', message: 'name at least one line' });
  if (problems.length) return problems;
  const remaining = lines.reduce((s, l) => s + l.quantity, 0);
  const cancelling = request.reduce((s, r) => s + r.quantity, 0);
  if (cancelling >= remaining)
    problems.push({
      path: 'lines',
      message: `would cancel every remaining unit of order ${orderId}: cancel the order instead (POST /orders/${orderId}/cancel)`,
    });
  return problems;
}

// The money of `quantity` units of a line: their price less their share of the line's discount, plus their
// share of its tax, each rounded down (so that taking the units one by one never exceeds the line).
export function lineShare(line: Pick<OrderLine, 'quantity' | 'unitPrice' | 'discount' | 'tax'>, quantity: number) {
  const q = BigInt(line.quantity);
  const n = BigInt(quantity);
  const goods = Number((BigInt(line.quantity * line.unitPrice - (line.discount ?? 0)) * n) / q);
  const tax = Number((BigInt(line.tax ?? 0) * n) / q);
  return { goods, discount: quantity * line.unitPrice - goods, tax, amount: goods + tax };
}

export interface CancelledLine {
  sku: string;
  quantity: number;
  amount: number; // minor units: price less discount share, plus tax share
}

// The order with the quantities taken off (a line with nothing left is dropped), its totals reduced by
// exactly the money of the cancelled units, and that money per line. The request must fit the order
// (lineCancelProblems).
export function withLinesCancelled(
  order: Order,
  request: readonly LineQuantity[],
): { order: Order; lines: CancelledLine[]; amount: number } {
  const lines: CancelledLine[] = [];
  let subtotal = 0;
  let discount = 0;
  let tax = 0;
  const kept: OrderLine[] = [];
  for (const line of order.lines) {
    const r = request.find((x) => x.sku === line.sku);
    if (!r) {
      kept.push(line);
      continue;
    }
    const share = lineShare(line, r.quantity);
    lines.push({ sku: line.sku, quantity: r.quantity, amount: share.amount });
    subtotal += r.quantity * line.unitPrice;
    discount += share.discount;
    tax += share.tax;
    if (r.quantity < line.quantity)
      kept.push({
        ...line,
        quantity: line.quantity - r.quantity,
        discount: (line.discount ?? 0) - share.discount,
        tax: (line.tax ?? 0) - share.tax,
      });
  }
  const amount = lines.reduce((s, l) => s + l.amount, 0);
  const t = order.totals;
  const totals = {
    subtotal: t.subtotal - subtotal,
    discountTotal: t.discountTotal - discount,
    taxTotal: t.taxTotal - tax,
    shippingTotal: t.shippingTotal,
    total: t.total - amount,
  };
  return { order: { ...order, lines: kept, totals }, lines, amount };
}

// What one part of a split order captures when it ships: its lines' money (as lineShare), plus its share
// of the order-level amounts (shipping less order discounts), spread in proportion to the lines' money.
// The last part to ship takes what is left of the total instead, so the parts add up to it exactly.
export function partCapture(
  order: Pick<Order, 'lines' | 'totals'>,
  partLines: readonly LineQuantity[],
  opts: { capturedSoFar: number; last: boolean },
): number {
  const remaining = order.totals.total - opts.capturedSoFar;
  if (opts.last) return Math.max(0, remaining);
  const byLine = new Map(order.lines.map((l) => [l.sku, l]));
  const whole = order.lines.reduce((s, l) => s + lineShare(l, l.quantity).amount, 0);
  let own = 0;
  for (const p of partLines) {
    const line = byLine.get(p.sku);
    if (line) own += lineShare(line, Math.min(p.quantity, line.quantity)).amount;
  }
  const orderLevel = order.totals.total - whole; // shipping less order discounts
  const spread = whole > 0 ? Number((BigInt(orderLevel) * BigInt(own)) / BigInt(whole)) : 0;
  return Math.max(0, Math.min(remaining, own + spread));
}
