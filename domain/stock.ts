import { z } from 'zod';
import { locationIdSchema, skuSchema } from './catalog';

// A return's inspection writes one of three: `return` (restocked: sellable again), `quarantine` (on hand
// but not sellable, until an operator decides) or `scrap` (written off with a reason: counted, never on hand).
// An operator later decides quarantined units: `quarantine_release` (sellable again) or `quarantine_scrap`
// (written off: off hand with the reason).
export const LEDGER_ENTRY_TYPES = [
  'receipt',
  'adjustment',
  'reservation',
  'release',
  'shipment',
  'return',
  'quarantine',
  'scrap',
  'quarantine_release',
  'quarantine_scrap',
] as const;
export type LedgerEntryType = (typeof LEDGER_ENTRY_TYPES)[number];
export const ADJUSTMENT_REASONS = ['cycle_count', 'damaged', 'lost', 'found', 'correction', 'other'] as const;

export interface Balance {
  onHand: number;
  reserved: number;
  available: number; // onHand - reserved - quarantined
  quarantined?: number; // on hand but not sellable (returned goods held for a decision); absent is 0
}

export interface Deltas {
  onHand: number;
  reserved: number;
  quarantined?: number;
}

export const ZERO_BALANCE: Balance = { onHand: 0, reserved: 0, available: 0 };

// How each kind of change moves on-hand and reserved stock.
export function deltasFor(type: LedgerEntryType, quantity: number): Deltas {
  switch (type) {
    case 'quarantine':
      return { onHand: quantity, reserved: 0, quarantined: quantity };
    case 'scrap':
      return { onHand: 0, reserved: 0 };
    case 'quarantine_release':
      return { onHand: 0, reserved: 0, quarantined: -quantity };
    case 'quarantine_scrap':
      return { onHand: -quantity, reserved: 0, quarantined: -quantity };
    case 'receipt':
    case 'return':
      return { onHand: quantity, reserved: 0 };
    case 'adjustment':
      return { onHand: quantity, reserved: 0 };
    case 'reservation':
      return { onHand: 0, reserved: quantity };
    case 'release':
      return { onHand: 0, reserved: -quantity };
    case 'shipment':
      return { onHand: -quantity, reserved: -quantity };
  }
}

// The balance after a change, or a reason why it cannot happen. No balance may go negative.
export function applyChange(
  before: Balance,
  type: LedgerEntryType,
  quantity: number,
): { ok: true; after: Balance; deltas: Deltas } | { ok: false; reason: string } {
  const deltas = deltasFor(type, quantity);
  const onHand = before.onHand + deltas.onHand;
  const reserved = before.reserved + deltas.reserved;
  const quarantined = (before.quarantined ?? 0) + (deltas.quarantined ?? 0);
  const available = onHand - reserved - quarantined;
  if (onHand < 0) return { ok: false, reason: `on hand would be ${onHand}` };
  if (reserved < 0) return { ok: false, reason: `reserved would be ${reserved}` };
  if (quarantined < 0) return { ok: false, reason: `quarantined would be ${quarantined}` };
  if (available < 0) return { ok: false, reason: `available would be ${available}` };
  return { ok: true, after: { onHand, reserved, available, ...(quarantined > 0 && { quarantined }) }, deltas };
}

const idempotencyKeySchema = z
  .string()
  .min(8)
  .max(200)
  .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces');

export const receiptSchema = z.strictObject({
  sku: skuSchema,
  locationId: locationIdSchema,
  quantity: z.number().int('must be a whole number').positive('must be at least 1').max(10_000_000),
  reference: z.string().min(1).max(128).optional(),
  idempotencyKey: idempotencyKeySchema.optional(),
});

export const adjustmentSchema = z.strictObject({
  sku: skuSchema,
  locationId: locationIdSchema,
  delta: z
    .number()
    .int('must be a whole number')
    .min(-10_000_000)
    .max(10_000_000)
    .refine((d) => d !== 0, 'must not be zero'),
  reason: z.enum(ADJUSTMENT_REASONS),
  note: z.string().max(1000).optional(),
  reference: z.string().min(1).max(128).optional(),
  idempotencyKey: idempotencyKeySchema.optional(),
});

// POST /stock/quarantine: units held in quarantine (a return's inspection) made sellable or written off.
export const quarantineDecisionSchema = z
  .strictObject({
    sku: skuSchema,
    locationId: locationIdSchema,
    quantity: z.number().int('must be a whole number').positive('must be at least 1').max(10_000_000),
    decision: z.enum(['release', 'scrap']),
    reason: z.string().min(1).max(500).optional(), // required to scrap: why it is written off
    reference: z.string().min(1).max(128).optional(),
    idempotencyKey: idempotencyKeySchema.optional(),
  })
  .superRefine((d, ctx) => {
    if (d.decision === 'scrap' && !d.reason)
      ctx.addIssue({ code: 'custom', path: ['reason'], message: 'is required to scrap: why it is written off' });
  });

/** An order waiting for stock, as the stock offer sees it. */
export interface StockWaiter {
  orderId: string;
  since: string; // when it started waiting
  lines: { sku: string; quantity: number }[];
  expedite?: boolean; // an expedited order: first in line, whenever it started waiting
  partial?: boolean; // backorders allowed: takes what there is of its lines, however little
  claim?: number; // a pre-order's place in line for the offered sku (its claim on inbound stock): before anyone
}

/**
 * Waiting orders in line: pre-orders holding a claim on the offered stock first (first claimed first), then
 * expedited orders, then the longest waiting (the order id breaks ties).
 */
export const inLine = <W extends StockWaiter>(waiters: readonly W[]): W[] =>
  [...waiters].sort(
    (a, b) =>
      (a.claim ?? Infinity) - (b.claim ?? Infinity) ||
      Number(!!b.expedite) - Number(!!a.expedite) ||
      Date.parse(a.since) - Date.parse(b.since) ||
      (a.orderId < b.orderId ? -1 : 1),
  );

/**
 * Which waiting orders freed stock is offered to: first come, first served, expedited orders first. Waiters
 * are taken in that order, each given what it needs of every line from what is still unoffered; one
 * that cannot be covered is passed over (the stock goes to the next in line rather than to nobody), and
 * nobody is offered stock another waiter was offered first, so a burst of freed units wakes exactly the
 * orders they can serve, not every waiting order at once. A waiter that allows backorders is offered
 * whatever is left of its skus (it ships what arrives). `passOver` names waiters offered recently
 * that are still waiting (their own attempt said no): the stock goes on to the next in line.
 */
export function chooseOffers(
  waiters: StockWaiter[],
  available: Record<string, number>,
  passOver: ReadonlySet<string> = new Set(),
): string[] {
  const left = { ...available };
  const chosen: string[] = [];
  for (const w of inLine(waiters)) {
    if (passOver.has(w.orderId)) continue;
    const needs = new Map<string, number>();
    for (const l of w.lines) needs.set(l.sku, (needs.get(l.sku) ?? 0) + l.quantity);
    if (w.partial) {
      // A backorder ships what arrives: offered whatever is left of any of its skus.
      if (![...needs].some(([sku]) => (left[sku] ?? 0) > 0)) continue;
      for (const [sku, q] of needs) left[sku] = Math.max(0, (left[sku] ?? 0) - q);
      chosen.push(w.orderId);
      continue;
    }
    if (![...needs].every(([sku, q]) => (left[sku] ?? 0) >= q)) continue;
    for (const [sku, q] of needs) left[sku] -= q;
    chosen.push(w.orderId);
  }
  return chosen;
}
