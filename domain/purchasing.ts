import { z } from 'zod';
import { locationIdSchema, skuSchema } from './catalog';
import { ConflictError, ValidationError, type FieldProblem } from './errors';
import { currencySchema, minorUnitsSchema } from './money';
import { connectionIdSchema } from './connection';
import { SUPPLIER_EVENT_TYPES, supplierAnswerProblem, type SupplierEventType, type SupplierPoStatus } from './drop-ship';

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
  // The supplier ships order lines straight to the customer (drop-ship): its purchase orders go to the
  // supplier_http connection named here, or, without one, as an email to the contact (an operator then
  // records the supplier's answers). Absent: the supplier only sells to us.
  dropShip: z.strictObject({ connectionId: connectionIdSchema.optional() }).optional(),
});
export type Supplier = z.infer<typeof supplierSchema>;

// What a supplier answered about a drop-ship purchase order, as an operator records it (email suppliers, or
// an answer the supplier gave by phone): applied once per eventId (or Idempotency-Key).
export const supplierEventSchema = z
  .strictObject({
    eventId: z
      .string()
      .min(8)
      .max(200)
      .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces')
      .optional(),
    type: z.enum(SUPPLIER_EVENT_TYPES),
    carrier: z.string().trim().min(1).max(64).optional(),
    trackingNumber: z
      .string()
      .regex(/^[A-Za-z0-9-]{4,64}$/, 'must be 4 to 64 letters, digits or -')
      .optional(),
    reason: z.string().trim().min(1).max(500).optional(),
  })
  .superRefine((e, ctx) => {
    if (e.type === 'shipped') {
      if (!e.carrier) ctx.addIssue({ code: 'custom', path: ['carrier'], message: 'is required when the supplier shipped' });
      if (!e.trackingNumber) ctx.addIssue({ code: 'custom', path: ['trackingNumber'], message: 'is required when the supplier shipped' });
    } else {
      if (e.carrier) ctx.addIssue({ code: 'custom', path: ['carrier'], message: 'only goes with "shipped"' });
      if (e.trackingNumber) ctx.addIssue({ code: 'custom', path: ['trackingNumber'], message: 'only goes with "shipped"' });
    }
    if (e.type === 'refused' && !e.reason)
      ctx.addIssue({ code: 'custom', path: ['reason'], message: 'is required when the supplier refused: say why' });
  });
export type SupplierEventInput = z.infer<typeof supplierEventSchema>;

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
  // A drop-ship purchase order: the supplier ships these lines of a customer order straight to the customer.
  dropShip?: DropShipLink;
}

export interface DropShipLink {
  orderId: string;
  part: string; // the customer order's part it ships
  via: 'http' | 'email';
  connectionId?: string; // via http: the supplier_http connection it went through
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
  | { type: 'cancelled'; at: string; by: string; reason?: string; lines: { sku: string; quantity: number }[] }
  // Drop-ship: the purchase order went to the supplier; the supplier's answers.
  | { type: 'sent'; at: string; by: string; via: 'http' | 'email' }
  | {
      type: 'supplier';
      at: string;
      by: string;
      eventId: string;
      answer: SupplierEventType;
      carrier?: string;
      trackingNumber?: string;
      reason?: string;
    };

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
  // A drop-ship purchase order: the customer order it ships, and where the supplier stands with it. It is
  // never expected stock and takes no receipts: the goods never pass through Orderhub's locations.
  dropShip?: DropShipLink & { status: SupplierPoStatus; carrier?: string; trackingNumber?: string; reason?: string };
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
    case 'sent':
      return `sent to the supplier (${e.via})`;
    case 'supplier':
      return `supplier ${e.answer}${e.carrier ? `: ${e.carrier} ${e.trackingNumber}` : ''}${e.reason ? ` (${e.reason})` : ''}`;
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
  let dropShip: PurchaseOrder['dropShip'] = header.dropShip && { ...header.dropShip, status: 'created' };
  const receipts: PurchaseOrder['receipts'] = [];
  const history = [{ at: header.createdAt, by: header.createdBy, event: `created (${header.initialStatus})` }];
  for (const e of events) {
    history.push({ at: e.at, by: e.by, event: describe(e) });
    if (e.type === 'opened') opened = true;
    else if (e.type === 'expected_date') expectedDate = e.expectedDate;
    else if (e.type === 'sent') {
      // An answer may be recorded before the send is (a fast supplier): it is not undone.
      if (dropShip?.status === 'created') dropShip = { ...dropShip, status: 'sent' };
    } else if (e.type === 'supplier') {
      if (dropShip)
        dropShip = {
          ...dropShip,
          status: e.answer,
          ...(e.carrier !== undefined && { carrier: e.carrier, trackingNumber: e.trackingNumber }),
          ...(e.reason !== undefined && { reason: e.reason }),
        };
    } else if (e.type === 'cancelled') {
      isCancelled = true;
      if (dropShip) dropShip = { ...dropShip, status: 'cancelled' };
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
    ...(dropShip && { dropShip }),
    version: events.length,
  };
}

/** A purchase order expects goods while it is open or partly received. */
export const isInbound = (status: PurchaseOrderStatus) => status === 'open' || status === 'partially_received';

export function inboundOf(po: PurchaseOrder): InboundStock[] {
  if (!isInbound(po.status) || po.dropShip) return [];
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
  po.dropShip
    ? `purchase order ${po.id} is drop-shipped: the supplier ships it to the customer of ${po.dropShip.orderId}, nothing arrives here`
    : po.status === 'draft'
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
  if (po.dropShip?.status === 'shipped')
    throw new ConflictError(`Cannot cancel purchase order ${po.id}: the supplier has shipped it`, {
      purchaseOrderId: po.id,
      supplierStatus: po.dropShip.status,
    });
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

/**
 * A supplier's answer about a drop-ship purchase order, or 409 naming why the order cannot take it now. (A
 * repeat of an answer already applied never gets here: the store answers it by its event id.)
 */
export function decideSupplierAnswer(
  po: PurchaseOrder,
  answer: { eventId: string; type: SupplierEventType; carrier?: string; trackingNumber?: string; reason?: string },
  at: string,
  by: string,
): PurchaseOrderEvent {
  if (!po.dropShip)
    throw new ConflictError(
      `Purchase order ${po.id} is not drop-shipped: its supplier delivers to ${po.locationId}, record receipts instead`,
      {
        purchaseOrderId: po.id,
      },
    );
  const why = supplierAnswerProblem(po.dropShip.status, answer.type);
  if (why)
    throw new ConflictError(`Cannot record "${answer.type}" for purchase order ${po.id}: ${why}`, {
      purchaseOrderId: po.id,
      supplierStatus: po.dropShip.status,
    });
  return {
    type: 'supplier',
    at,
    by,
    eventId: answer.eventId,
    answer: answer.type,
    ...(answer.carrier !== undefined && { carrier: answer.carrier }),
    ...(answer.trackingNumber !== undefined && { trackingNumber: answer.trackingNumber }),
    ...(answer.reason !== undefined && { reason: answer.reason }),
  };
}
