// A channel's change to an order it already sent (Shopify orders/updated after an order edit): which
// fields an edit covers, what changed, and the order with the change taken. Free of zod and I/O: the order
// workflow imports this file (its bundle must stay deterministic and small).
import type { Order, OrderLine } from './order';

// What an edit from the channel may change: the contact, the addresses and the lines (with what follows
// from them: discounts, shipping and the totals). The rest (payment method, fulfilment method, notes,
// tags, the order's ids and currency) stays as captured.
export type OrderEditContent = Pick<Order, 'customer' | 'shippingAddress' | 'lines' | 'discounts' | 'shippingAmount' | 'totals'> & {
  billingAddress?: Order['billingAddress'];
};

export function editContentOf(order: Pick<Order, keyof OrderEditContent>): OrderEditContent {
  const { customer, shippingAddress, billingAddress, lines, discounts, shippingAmount, totals } = order;
  return { customer, shippingAddress, ...(billingAddress && { billingAddress }), lines, discounts, shippingAmount, totals };
}

// The order with the edit's content in place of its own (a billing address the channel no longer has is dropped).
export function withEdit(order: Order, edit: OrderEditContent): Order {
  const { billingAddress: _dropped, ...rest } = order;
  return {
    ...rest,
    customer: edit.customer,
    shippingAddress: edit.shippingAddress,
    ...(edit.billingAddress && { billingAddress: edit.billingAddress }),
    lines: edit.lines,
    discounts: edit.discounts,
    shippingAmount: edit.shippingAmount,
    totals: edit.totals,
  };
}

// JSON with keys sorted, so two equal objects built in a different key order compare equal.
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

const priced = (l: Pick<OrderLine, 'unitPrice' | 'discount' | 'tax'>) => `${l.unitPrice}|${l.discount ?? 0}|${l.tax ?? 0}`;

export interface LineChange {
  sku: string;
  from: number; // quantity before (0: added)
  to: number; // quantity after (0: removed)
}

// What an edit changes, for the order's history and for deciding whether stock must move.
export interface OrderChanges {
  descriptions: string[]; // "address changed", "line MUG-1 2 -> 3", "line CAP-2 added (1)", ...
  lines: LineChange[]; // quantity changes only (what the reservation must follow)
}

export function orderChanges(before: Order, after: Pick<Order, keyof OrderEditContent>): OrderChanges {
  const descriptions: string[] = [];
  if (canonical(before.shippingAddress) !== canonical(after.shippingAddress)) descriptions.push('shipping address changed');
  if (canonical(before.billingAddress) !== canonical(after.billingAddress)) descriptions.push('billing address changed');
  if (canonical(before.customer) !== canonical(after.customer)) descriptions.push('contact changed');
  const lines: LineChange[] = [];
  const was = new Map(before.lines.map((l) => [l.sku, l]));
  const now = new Map(after.lines.map((l) => [l.sku, l]));
  for (const line of after.lines) {
    const old = was.get(line.sku);
    if (!old) {
      lines.push({ sku: line.sku, from: 0, to: line.quantity });
      descriptions.push(`line ${line.sku} added (${line.quantity})`);
      continue;
    }
    if (old.quantity !== line.quantity) {
      lines.push({ sku: line.sku, from: old.quantity, to: line.quantity });
      descriptions.push(`line ${line.sku} ${old.quantity} -> ${line.quantity}`);
    } else if (priced(old) !== priced(line)) descriptions.push(`line ${line.sku} price changed`);
  }
  for (const line of before.lines) {
    if (now.has(line.sku)) continue;
    lines.push({ sku: line.sku, from: line.quantity, to: 0 });
    descriptions.push(`line ${line.sku} removed (${line.quantity})`);
  }
  if (before.shippingAmount !== after.shippingAmount) descriptions.push(`shipping ${before.shippingAmount} -> ${after.shippingAmount}`);
  if (canonical(before.discounts) !== canonical(after.discounts)) descriptions.push('discounts changed');
  if (before.totals.total !== after.totals.total) descriptions.push(`total ${before.totals.total} -> ${after.totals.total}`);
  return { descriptions, lines };
}

export const describeChanges = (c: OrderChanges): string => c.descriptions.join('; ');
