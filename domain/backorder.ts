// Backorders: which units of an order may ship later, and how what is in stock now is split from what
// waits. No zod here: the order workflow imports it.
import type { Order, OrderLine } from './order';

export interface BackorderLine {
  sku: string;
  quantity: number;
}

// Whether units of this line that are not in stock may ship later.
export function lineAllowsBackorder(order: Pick<Order, 'type' | 'allowBackorder'>, line: Pick<OrderLine, 'allowBackorder'>): boolean {
  return line.allowBackorder ?? order.allowBackorder ?? order.type === 'backorder';
}

// An order ships what is in stock now and the rest as it arrives when some line allows backorders and the
// order may ship in parts; a pickup, or an order that wants one shipment, waits whole.
export function backordersApply(order: Pick<Order, 'type' | 'allowBackorder' | 'lines' | 'fulfillment'>): boolean {
  return (
    order.fulfillment?.method !== 'pickup' &&
    order.fulfillment?.allowSplit !== false &&
    order.lines.some((l) => lineAllowsBackorder(order, l))
  );
}

// What one location can ship now of the wanted lines, and what stays backordered. A line that does not
// allow backorders ships whole or not at all; so when it cannot ship whole there, nothing ships from there.
// Undefined: the location has nothing to ship now (or cannot take a line that must ship whole).
export function fillAt(
  wanted: (BackorderLine & { backorder: boolean })[],
  available: (sku: string) => number,
): { now: BackorderLine[]; later: BackorderLine[] } | undefined {
  const now: BackorderLine[] = [];
  const later: BackorderLine[] = [];
  for (const line of wanted) {
    const here = Math.max(0, Math.min(line.quantity, available(line.sku)));
    if (here < line.quantity && !line.backorder) return undefined;
    if (here > 0) now.push({ sku: line.sku, quantity: here });
    if (here < line.quantity) later.push({ sku: line.sku, quantity: line.quantity - here });
  }
  return now.length ? { now, later } : undefined;
}

// Lines as the history and notices name them: "BOOT ×4, SOCK ×2".
export const describeLines = (lines: readonly BackorderLine[]): string => lines.map((l) => `${l.sku} ×${l.quantity}`).join(', ');

// The lines with these units taken off (the units reserved for a part).
export function withoutUnits(lines: BackorderLine[], taken: BackorderLine[]): BackorderLine[] {
  return lines
    .map((l) => ({ sku: l.sku, quantity: l.quantity - (taken.find((t) => t.sku === l.sku)?.quantity ?? 0) }))
    .filter((l) => l.quantity > 0);
}

// The lines with these units added (a rejected part's units backordered again), in the order first seen.
export function withUnits(lines: BackorderLine[], added: BackorderLine[]): BackorderLine[] {
  const sum = lines.map((l) => ({ ...l }));
  for (const a of added) {
    const line = sum.find((l) => l.sku === a.sku);
    if (line) line.quantity += a.quantity;
    else sum.push({ sku: a.sku, quantity: a.quantity });
  }
  return sum;
}
