import { z } from 'zod';
import { locationIdSchema, skuSchema } from './catalog';

export const LEDGER_ENTRY_TYPES = ['receipt', 'adjustment', 'reservation', 'release', 'shipment', 'return'] as const;
export type LedgerEntryType = (typeof LEDGER_ENTRY_TYPES)[number];
export const ADJUSTMENT_REASONS = ['cycle_count', 'damaged', 'lost', 'found', 'correction', 'other'] as const;

export interface Balance {
  onHand: number;
  reserved: number;
  available: number;
}

export const ZERO_BALANCE: Balance = { onHand: 0, reserved: 0, available: 0 };

// How each kind of change moves on-hand and reserved stock.
export function deltasFor(type: LedgerEntryType, quantity: number): { onHand: number; reserved: number } {
  switch (type) {
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
): { ok: true; after: Balance; deltas: { onHand: number; reserved: number } } | { ok: false; reason: string } {
  const deltas = deltasFor(type, quantity);
  const onHand = before.onHand + deltas.onHand;
  const reserved = before.reserved + deltas.reserved;
  const available = onHand - reserved;
  if (onHand < 0) return { ok: false, reason: `on hand would be ${onHand}` };
  if (reserved < 0) return { ok: false, reason: `reserved would be ${reserved}` };
  if (available < 0) return { ok: false, reason: `available would be ${available}` };
  return { ok: true, after: { onHand, reserved, available }, deltas };
}

const idempotencyKeySchema = z.string().min(8).max(200).regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces');

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
