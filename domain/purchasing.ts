import { z } from 'zod';
import { locationIdSchema, skuSchema } from './catalog';
import { ConflictError, ValidationError, type FieldProblem } from './errors';
import { currencySchema, minorUnitsSchema } from './money';

// Purchasing: suppliers, purchase orders and what arrives against them. No I/O: a purchase order's state
// is its header (what was ordered) replayed with its events (opened, receipts, expected date moves,
// cancellation), and the rules below decide each new event against that state.

export const PURCHASE_ORDER_STATUSES = ['draft', 'open', 'partially_received', 'received', 'cancelled'] as const;
export type PurchaseOrderStatus = (typeof PURCHASE_ORDER_STATUSES)[number];

// Ids appear in URLs and in store keys: no spaces, '$', ':', '|' or '.'.
const idPattern = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;
export const supplierIdSchema = z.string().min(1).max(64).regex(idPattern, 'may contain only letters, digits, _ and -');
export const purchaseOrderIdSchema = z.string().min(1).max(64).regex(idPattern, 'may contain only letters, digits, _ and -');

// A calendar date (YYYY-MM-DD) that exists, within a range a purchase order can sensibly name.
export const calendarDateSchema = z.iso
  .date('must be a date as YYYY-MM-DD')
  .refine((d) => d >= '2000-01-01' && d <= '2099-12-31', 'must be between 2000-01-01 and 2099-12-31');

export const supplierSchema = z.strictObject({
  id: supplierIdSchema,
  name: z.string().min(1).max(200),
  leadTimeDays: z.number().int('must be a whole number of days').min(0).max(365),
  currency: currencySchema,
  contact: z.strictObject({
    email: z.email('must be an email address').max(254),
    name: z.string().min(1).max(200).optional(),
    phone: z
      .string()
      .regex(/^\+?[0-9 ()-]{3,32}$/, 'must be a phone number')
      .optional(),
  }),
});
export type Supplier = z.infer<typeof supplierSchema>;

const quantitySchema = z.number().int('must be a whole number').positive('must be at least 1').max(10_000_000);

// Each sku once per list, so a line is named by its sku.
function uniqueSkus(lines: { sku: string }[], ctx: z.RefinementCtx): void {
  const seen = new Set<string>();
  lines.forEach((l, i) => {
    if (seen.has(l.sku)) ctx.addIssue({ code: 'custom', path: ['lines', i, 'sku'], message: `repeats ${l.sku}: give each sku once` });
    seen.add(l.sku);
  });
}

export const purchaseOrderInputSchema = z
  .strictObject({
    id: purchaseOrderIdSchema.optional(), // the number the supplier and the ERP know it by; made up when absent
    supplierId: supplierIdSchema,
    locationId: locationIdSchema, // where the goods are delivered and received
    expectedDate: calendarDateSchema.optional(), // absent: today plus the supplier's lead time
    currency: currencySchema.optional(), // absent: the supplier's
    status: z.enum(['draft', 'open']).default('draft'),
    lines: z
      .array(z.strictObject({ sku: skuSchema, quantity: quantitySchema, unitCost: minorUnitsSchema.max(1_000_000_000) }))
      .min(1, 'name at least one line')
      .max(500),
    reference: z.string().min(1).max(128).optional(),
    note: z.string().max(2000).optional(),
  })
  .superRefine((po, ctx) => uniqueSkus(po.lines, ctx));
export type PurchaseOrderInput = z.infer<typeof purchaseOrderInputSchema>;

const receiptIdSchema = z
  .string()
  .min(8)
  .max(200)
  .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces');

export const purchaseOrderReceiptSchema = z
  .strictObject({
    receiptId: receiptIdSchema.optional(), // or the Idempotency-Key header: the receipt is applied once per id
    lines: z
      .array(z.strictObject({ sku: skuSchema, quantity: quantitySchema }))
      .min(1, 'name at least one line')
      .max(500),
    overReceipt: z.boolean().default(false), // take more than is still expected
    reference: z.string().min(1).max(128).optional(), // the delivery note
    note: z.string().max(2000).optional(),
  })
  .superRefine((r, ctx) => uniqueSkus(r.lines, ctx));
export type PurchaseOrderReceiptInput = z.infer<typeof purchaseOrderReceiptSchema>;

export const purchaseOrderPatchSchema = z.strictObject({
  expectedDate: calendarDateSchema,
  reason: z.string().min(1).max(500).optional(),
});
export const purchaseOrderCancelSchema = z.strictObject({ reason: z.string().min(1).max(500).optional() });

// ---- the purchase order: header, events, state ----

/** What was ordered: written once when the purchase order is created, never changed. */
export interface PurchaseOrderHeader {
  id: string;
  supplierId: string;
  locationId: string;
  currency: string;
  expectedDate: string; // as created; later moves are events
  initialStatus: 'draft' | 'open';
  lines: { sku: string; quantity: number; unitCost: number }[];
  reference?: string;
  note?: string;
  createdAt: string;
  createdBy: string;
}

export interface ReceiptLine {
  sku: string;
  quantity: number;
  locationId: string; // where the ledger took it: the destination, or where the ERP says it arrived
  ledgerKey: string; // the stock ledger's idempotency key for this line
}

export type PurchaseOrderEvent =
  | { type: 'opened'; at: string; by: string }
  | {
      type: 'receipt';
      at: string;
      by: string;
      receiptId: string;
      source: 'api' | 'erp';
      lines: ReceiptLine[];
      overReceipt: boolean;
      reference?: string;
      note?: string;
    }
  | { type: 'expected_date'; at: string; by: string; expectedDate: string; previous: string; reason?: string }
  | { type: 'cancelled'; at: string; by: string; reason?: string; lines: { sku: string; quantity: number }[] };

export interface PurchaseOrderLine {
  sku: string;
  quantity: number; // ordered
  unitCost: number; // minor units
  received: number;
  cancelled: number; // of the unreceived rest, when the order was cancelled
  outstanding: number; // still expected: ordered less received, never below 0; 0 once cancelled
}

export interface PurchaseOrder {
  id: string;
  supplierId: string;
  locationId: string;
  currency: string;
  status: PurchaseOrderStatus;
  expectedDate: string;
  lines: PurchaseOrderLine[];
  total: number; // ordered value in minor units
  receipts: Extract<PurchaseOrderEvent, { type: 'receipt' }>[];
  history: { at: string; by: string; event: string }[];
  reference?: string;
  note?: string;
  createdAt: string;
  createdBy: string;
  version: number; // events applied
}

/** Expected stock: the open rest of a purchase order's line. */
export interface InboundStock {
  sku: string;
  locationId: string;
  quantity: number;
  expectedDate: string;
  purchaseOrderId: string;
}

function describe(e: PurchaseOrderEvent): string {
  switch (e.type) {
    case 'opened':
      return 'opened';
    case 'receipt':
      return `receipt ${e.receiptId} (${e.source}): ${e.lines.map((l) => `${l.quantity} ${l.sku}`).join(', ')}`;
    case 'expected_date':
      return `expected date ${e.previous} -> ${e.expectedDate}${e.reason ? ` (${e.reason})` : ''}`;
    case 'cancelled':
      return `cancelled${e.lines.length ? `: ${e.lines.map((l) => `${l.quantity} ${l.sku}`).join(', ')} not received` : ''}${e.reason ? ` (${e.reason})` : ''}`;
  }
}

/** The purchase order as its header and events make it. */
export function replayPurchaseOrder(header: PurchaseOrderHeader, events: PurchaseOrderEvent[]): PurchaseOrder {
  const received = new Map<string, number>();
  const cancelled = new Map<string, number>();
  let opened = header.initialStatus === 'open';
  let isCancelled = false;
  let expectedDate = header.expectedDate;
  const receipts: PurchaseOrder['receipts'] = [];
  const history = [{ at: header.createdAt, by: header.createdBy, event: `created (${header.initialStatus})` }];
  for (const e of events) {
    history.push({ at: e.at, by: e.by, event: describe(e) });
    if (e.type === 'opened') opened = true;
    else if (e.type === 'expected_date') expectedDate = e.expectedDate;
    else if (e.type === 'cancelled') {
      isCancelled = true;
      for (const l of e.lines) cancelled.set(l.sku, (cancelled.get(l.sku) ?? 0) + l.quantity);
    } else {
      receipts.push(e);
      for (const l of e.lines) received.set(l.sku, (received.get(l.sku) ?? 0) + l.quantity);
    }
  }
  const lines = header.lines.map((l) => {
    const got = received.get(l.sku) ?? 0;
    return {
      ...l,
      received: got,
      cancelled: cancelled.get(l.sku) ?? 0,
      outstanding: isCancelled ? 0 : Math.max(0, l.quantity - got),
    };
  });
  const status: PurchaseOrderStatus = isCancelled
    ? 'cancelled'
    : !opened
      ? 'draft'
      : lines.every((l) => l.outstanding === 0)
        ? 'received'
        : lines.some((l) => l.received > 0)
          ? 'partially_received'
          : 'open';
  return {
    id: header.id,
    supplierId: header.supplierId,
    locationId: header.locationId,
    currency: header.currency,
    status,
    expectedDate,
    lines,
    total: header.lines.reduce((t, l) => t + l.quantity * l.unitCost, 0),
    receipts,
    history,
    ...(header.reference !== undefined && { reference: header.reference }),
    ...(header.note !== undefined && { note: header.note }),
    createdAt: header.createdAt,
    createdBy: header.createdBy,
    version: events.length,
  };
}

/** A purchase order expects goods while it is open or partly received. */
export const isInbound = (status: PurchaseOrderStatus) => status === 'open' || status === 'partially_received';

export function inboundOf(po: PurchaseOrder): InboundStock[] {
  if (!isInbound(po.status)) return [];
  return po.lines
    .filter((l) => l.outstanding > 0)
    .map((l) => ({
      sku: l.sku,
      locationId: po.locationId,
      quantity: l.outstanding,
      expectedDate: po.expectedDate,
      purchaseOrderId: po.id,
    }));
}

/** Today (UTC) plus the supplier's lead time, as YYYY-MM-DD. */
export function expectedDateFor(leadTimeDays: number, now: Date): string {
  return new Date(now.getTime() + leadTimeDays * 86_400_000).toISOString().slice(0, 10);
}

// ---- the rules for each new event ----

const notReceivable = (po: PurchaseOrder): string | undefined =>
  po.status === 'draft'
    ? `purchase order ${po.id} is a draft: open it before receiving against it`
    : po.status === 'cancelled'
      ? `purchase order ${po.id} is cancelled`
      : po.status === 'received'
        ? `purchase order ${po.id} is fully received`
        : undefined;

/**
 * A receipt against the order: refused (409) unless it is open or partly received; every line naming a
 * sku not on the order, or more than is still expected (unless overReceipt), is named (400).
 */
export function checkReceipt(po: PurchaseOrder, lines: { sku: string; quantity: number }[], overReceipt: boolean): void {
  const why = notReceivable(po);
  if (why) throw new ConflictError(`Cannot receive: ${why}`, { purchaseOrderId: po.id, status: po.status });
  const bySku = new Map(po.lines.map((l) => [l.sku, l]));
  const problems: FieldProblem[] = [];
  lines.forEach((l, i) => {
    const line = bySku.get(l.sku);
    if (!line) problems.push({ path: `lines.${i}.sku`, message: `${l.sku} is not on purchase order ${po.id}` });
    else if (l.quantity > line.outstanding && !overReceipt)
      problems.push({
        path: `lines.${i}.quantity`,
        message: `${l.quantity} is more than the ${line.outstanding} of ${l.sku} still expected (ordered ${line.quantity}, received ${line.received}); send overReceipt: true to take them anyway`,
      });
  });
  if (problems.length) throw new ValidationError(`Invalid receipt: ${problems.length} problem(s)`, problems);
}

/** Why an ERP receipt cannot count against this order (undefined: it can). Goods the ERP took in are never refused. */
export function erpReceiptMismatch(po: PurchaseOrder, sku: string): string | undefined {
  if (!po.lines.some((l) => l.sku === sku)) return `${sku} is not on purchase order ${po.id}`;
  return notReceivable(po);
}

/** Cancel the unreceived rest: null when already cancelled (nothing to write); 409 when nothing is left. */
export function decideCancel(po: PurchaseOrder, at: string, by: string, reason?: string): PurchaseOrderEvent | null {
  if (po.status === 'cancelled') return null;
  if (po.status === 'received')
    throw new ConflictError(`Cannot cancel purchase order ${po.id}: it is fully received`, { purchaseOrderId: po.id, status: po.status });
  const lines = po.lines.filter((l) => l.outstanding > 0).map((l) => ({ sku: l.sku, quantity: l.outstanding }));
  return { type: 'cancelled', at, by, lines, ...(reason !== undefined && { reason }) };
}

/** Open a draft: null when it is already open (or further); 409 when cancelled. */
export function decideOpen(po: PurchaseOrder, at: string, by: string): PurchaseOrderEvent | null {
  if (po.status === 'cancelled')
    throw new ConflictError(`Cannot open purchase order ${po.id}: it is cancelled`, { purchaseOrderId: po.id, status: po.status });
  return po.status === 'draft' ? { type: 'opened', at, by } : null;
}

/** Move the expected date: null when it is already that date; 409 once nothing more is expected. */
export function decideExpectedDate(
  po: PurchaseOrder,
  expectedDate: string,
  at: string,
  by: string,
  reason?: string,
): PurchaseOrderEvent | null {
  if (po.status === 'cancelled' || po.status === 'received')
    throw new ConflictError(`Cannot move the expected date of purchase order ${po.id}: it is ${po.status}`, {
      purchaseOrderId: po.id,
      status: po.status,
    });
  if (po.expectedDate === expectedDate) return null;
  return { type: 'expected_date', at, by, expectedDate, previous: po.expectedDate, ...(reason !== undefined && { reason }) };
}
