import { z } from 'zod';
import { locationIdSchema, skuSchema } from './catalog';
import { connectionIdSchema } from './connection';
import { ValidationError, type FieldProblem } from './errors';
import type { OrderStatus } from './status';

// Returns: the merchant's policy as data, what a customer asks for, and the policy's decision on it.
// No I/O: the return workflow and POST /orders/:id/returns feed the facts in.

export const RETURN_RESOLUTIONS = ['refund', 'exchange', 'store_credit'] as const;
export type ReturnResolution = (typeof RETURN_RESOLUTIONS)[number];

const reasonCodeSchema = z
  .string()
  .regex(/^[a-z][a-z0-9_]{0,39}$/, 'must be 1 to 40 lowercase letters, digits or _, starting with a letter');

export const returnReasonSchema = z.strictObject({
  code: reasonCodeSchema,
  label: z.string().min(1).max(200),
  approval: z.enum(['auto', 'review']), // approved at once, or held for an operator to decide
});

export const DEFAULT_RETURN_REASONS: z.infer<typeof returnReasonSchema>[] = [
  { code: 'damaged', label: 'Arrived damaged', approval: 'auto' },
  { code: 'wrong_item', label: 'Wrong item sent', approval: 'auto' },
  { code: 'wrong_size', label: 'Does not fit', approval: 'auto' },
  { code: 'changed_mind', label: 'No longer wanted', approval: 'auto' },
  { code: 'not_as_described', label: 'Not as described', approval: 'review' },
];

export const returnPolicySchema = z
  .strictObject({
    // Days from delivery within which a return is accepted; per sales channel where it differs.
    windowDays: z.number().int().min(0).max(3650).default(30),
    channelWindowDays: z
      .record(z.string().regex(/^[a-z0-9_-]{1,32}$/, 'must be a sales channel name'), z.number().int().min(0).max(3650))
      .default({}),
    reasons: z.array(returnReasonSchema).min(1).max(100).default(DEFAULT_RETURN_REASONS),
    resolutions: z
      .array(z.enum(RETURN_RESOLUTIONS))
      .min(1)
      .default([...RETURN_RESOLUTIONS]),
    // Whether Orderhub buys a return label through the carrier rules, or the customer sends it back themselves.
    returnLabel: z.enum(['carrier', 'none']).default('carrier'),
    // Kept from the refund, in basis points of the returned goods' value (1000 = 10 %).
    restockingFeeBasisPoints: z.number().int().min(0).max(10_000).default(0),
    // Shipping is refunded only when the whole order comes back, if at all.
    refundShipping: z.enum(['never', 'whole_order']).default('never'),
    nonReturnableSkus: z.array(skuSchema).max(10_000).default([]),
    // Returns asked for before the order is delivered (an order refused at the door) are refused unless true.
    allowBeforeDelivery: z.boolean().default(false),
    // An exchange's replacement ships at once (true) or waits, its stock reserved, until the items are back.
    trustExchanges: z.boolean().default(false),
  })
  .superRefine((p, ctx) => {
    const seen = new Set<string>();
    p.reasons.forEach((r, i) => {
      if (seen.has(r.code)) ctx.addIssue({ code: 'custom', path: ['reasons', i, 'code'], message: `repeats reason ${r.code}` });
      seen.add(r.code);
    });
    if (new Set(p.resolutions).size !== p.resolutions.length)
      ctx.addIssue({ code: 'custom', path: ['resolutions'], message: 'must not repeat a resolution' });
  });
export type ReturnPolicy = z.infer<typeof returnPolicySchema>;
export const DEFAULT_RETURN_POLICY: ReturnPolicy = returnPolicySchema.parse({});

const returnLineSchema = z.strictObject({
  sku: skuSchema,
  quantity: z.number().int('must be a whole number').positive('must be at least 1').max(100_000),
});

// What a customer (or an operator for them) asks for.
export const returnRequestSchema = z
  .strictObject({
    lines: z.array(returnLineSchema).min(1, 'name at least one line').max(500),
    reason: reasonCodeSchema,
    resolution: z.enum(RETURN_RESOLUTIONS),
    exchangeLines: z.array(returnLineSchema).min(1).max(500).optional(), // what the customer wants instead
    note: z.string().max(2000).optional(),
  })
  .superRefine((r, ctx) => {
    const seen = new Set<string>();
    r.lines.forEach((l, i) => {
      if (seen.has(l.sku)) ctx.addIssue({ code: 'custom', path: ['lines', i, 'sku'], message: `repeats ${l.sku}: give each sku once` });
      seen.add(l.sku);
    });
    if (r.resolution === 'exchange' && !r.exchangeLines)
      ctx.addIssue({ code: 'custom', path: ['exchangeLines'], message: 'is required for an exchange: what the customer wants instead' });
    if (r.resolution !== 'exchange' && r.exchangeLines)
      ctx.addIssue({ code: 'custom', path: ['exchangeLines'], message: `is only for an exchange, not a ${r.resolution}` });
  });
export type ReturnRequest = z.infer<typeof returnRequestSchema>;

// The facts about the order a return is asked on.
export interface ReturnableOrder {
  channel: string;
  status: OrderStatus;
  deliveredAt?: string; // ISO; absent until delivered (or collected, for a pickup)
  lines: { sku: string; quantity: number }[]; // what the customer received
  alreadyReturned: Record<string, number>; // per sku, in returns not rejected or cancelled
}

export type ReturnDecision =
  | { outcome: 'approved'; rule: 'reason_auto_approved' | 'operator_approved' | 'channel_approved'; why: string }
  | { outcome: 'review'; rule: 'reason_needs_review' | 'channel_decides'; why: string }
  | {
      outcome: 'refused';
      rule:
        | 'not_delivered'
        | 'window_closed'
        | 'non_returnable'
        | 'resolution_not_offered'
        | 'unknown_reason'
        | 'operator_rejected'
        | 'channel_declined';
      why: string;
    };

// Throws ValidationError naming every line that does not fit the order (unknown sku, more than received
// less what is already being returned): that is a bad request, not a policy decision.
export function checkReturnLines(order: ReturnableOrder, request: ReturnRequest): void {
  const received = new Map<string, number>();
  for (const l of order.lines) received.set(l.sku, (received.get(l.sku) ?? 0) + l.quantity);
  const problems: FieldProblem[] = [];
  request.lines.forEach((l, i) => {
    const got = received.get(l.sku);
    if (got === undefined) {
      problems.push({ path: `lines.${i}.sku`, message: `${l.sku} is not on this order` });
      return;
    }
    const left = got - (order.alreadyReturned[l.sku] ?? 0);
    if (l.quantity > left)
      problems.push({
        path: `lines.${i}.quantity`,
        message: `${l.quantity} is more than can be returned: ${got} received, ${got - left} already in other returns`,
      });
  });
  if (problems.length) throw new ValidationError(`Invalid return: ${problems.length} problem(s)`, problems);
}

// The policy's decision on a request whose lines fit the order (checkReturnLines), with the rule and why.
export function decideReturn(policy: ReturnPolicy, order: ReturnableOrder, request: ReturnRequest, now: Date): ReturnDecision {
  if (!order.deliveredAt && !policy.allowBeforeDelivery)
    return { outcome: 'refused', rule: 'not_delivered', why: `the order is ${order.status}, not delivered yet` };
  const windowDays = policy.channelWindowDays[order.channel] ?? policy.windowDays;
  if (order.deliveredAt) {
    const closes = new Date(Date.parse(order.deliveredAt) + windowDays * 86_400_000);
    if (now.getTime() > closes.getTime())
      return {
        outcome: 'refused',
        rule: 'window_closed',
        why: `returns for ${order.channel} orders are accepted for ${windowDays} days after delivery; this one closed ${closes.toISOString()}`,
      };
  }
  const blocked = request.lines.filter((l) => policy.nonReturnableSkus.includes(l.sku)).map((l) => l.sku);
  if (blocked.length) return { outcome: 'refused', rule: 'non_returnable', why: `${blocked.join(', ')} cannot be returned` };
  if (!policy.resolutions.includes(request.resolution))
    return {
      outcome: 'refused',
      rule: 'resolution_not_offered',
      why: `${request.resolution} is not offered; the policy offers ${policy.resolutions.join(', ')}`,
    };
  const reason = policy.reasons.find((r) => r.code === request.reason);
  if (!reason)
    return {
      outcome: 'refused',
      rule: 'unknown_reason',
      why: `${request.reason} is not a return reason; the policy knows ${policy.reasons.map((r) => r.code).join(', ')}`,
    };
  return reason.approval === 'auto'
    ? { outcome: 'approved', rule: 'reason_auto_approved', why: `"${reason.label}" is approved without review` }
    : { outcome: 'review', rule: 'reason_needs_review', why: `"${reason.label}" needs an operator's review` };
}

export { refundFor } from './refund';

// ---- The return as it runs ------------------------------------------------------------------------------

// requested → approved | rejected → awaiting_items → received → inspected → refunded | exchanged | closed,
// with needs_attention (a step failed past its retries: an operator retries) and cancelled beside them.
export const RETURN_STATUSES = [
  'requested',
  'approved',
  'rejected',
  'awaiting_items',
  'received',
  'inspected',
  'refunded',
  'exchanged',
  'closed',
  'needs_attention',
  'cancelled',
] as const;
export type ReturnStatus = (typeof RETURN_STATUSES)[number];
export const TERMINAL_RETURN_STATUSES: readonly ReturnStatus[] = ['rejected', 'refunded', 'exchanged', 'closed', 'cancelled'];

export const DISPOSITIONS = ['restock', 'quarantine', 'scrap'] as const;
export type Disposition = (typeof DISPOSITIONS)[number];

// The items as they came back, at a warehouse or a store (BORIS): what was scanned, per sku.
export const returnReceiptSchema = z.strictObject({
  locationId: locationIdSchema,
  scanned: z.array(returnLineSchema).min(1, 'scan at least one item').max(500),
  note: z.string().max(2000).optional(),
});
export type ReturnReceipt = z.infer<typeof returnReceiptSchema>;

// What becomes of each returned unit: back to sellable, held on hand but not sellable, or written off.
export const inspectionSchema = z.strictObject({
  lines: z
    .array(
      z.strictObject({
        sku: skuSchema,
        quantity: z.number().int('must be a whole number').positive('must be at least 1').max(100_000),
        disposition: z.enum(DISPOSITIONS),
        reason: z.string().min(1).max(500).optional(), // required for scrap: why it is written off
      }),
    )
    .min(1)
    .max(500),
});
export type Inspection = z.infer<typeof inspectionSchema>;

// POST /returns/:id/receive: the receipt, and (in store, BORIS) the store operator's decision per line.
export const receiveReturnSchema = returnReceiptSchema.extend({ inspection: inspectionSchema.optional() });

// POST /returns/:id/label: the tracking number of a parcel the customer sends back another way (a manual
// carrier, a label the customer bought), so the return shows it and the carrier's webhooks find it.
export const attachReturnLabelSchema = z.strictObject({
  trackingNumber: z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9][A-Za-z0-9 ._/-]{2,63}$/, 'must be 3 to 64 letters, digits, spaces or . _ / -'),
  carrier: z.string().trim().min(1).max(100).optional(), // the carrier's name; default: the connection's
  carrierConnectionId: connectionIdSchema.optional(), // a carrier connection whose tracking webhooks report this parcel
  trackingUrl: z.url({ protocol: /^https$/, message: 'must be an https URL' }).optional(),
});
export type AttachReturnLabel = z.infer<typeof attachReturnLabelSchema>;

export interface ReturnStatusChange {
  status: ReturnStatus;
  at: string;
  reason?: string;
}

// Money given back for a return: computed by refundFor, paid through the order's payment provider (or
// recorded as store credit), reported to the channel.
export interface ReturnRefund {
  goods: number;
  tax: number;
  shipping: number;
  restockingFee: number;
  total: number; // what was granted: never more than captured less earlier refunds on the order
  currency: string;
  method: 'original_payment' | 'store_credit';
  status: 'pending' | 'refunded' | 'credited';
  reference?: string; // the provider's refund reference, or the credit note's number
  at?: string;
  // What the sales channel was told: a refund on the order (its id), nothing it can take (why), no channel
  // connection (a manual or POS order), or nothing to tell because the channel made the refund itself.
  channel?:
    | { status: 'reported'; channelRefundId: string }
    | { status: 'not_supported'; why: string }
    | { status: 'no_channel' | 'refunded_at_channel' };
}

export interface CreditNote {
  number: string; // CN-<order's channel order id>-<n>
  amount: number;
  currency: string;
  issuedAt: string;
}

// Everything the outside world reads about a return: the workflow keeps it, a query returns it, and the
// `returns` view is a projection of it.
export interface ReturnState {
  returnId: string; // return:<orderId>:<n>
  orderId: string;
  n: number;
  channel: string;
  currency: string;
  status: ReturnStatus;
  history: ReturnStatusChange[];
  request: ReturnRequest;
  // Priced lines as on the order (unit price, discount and tax of the whole line), for the refund.
  lines: { sku: string; name?: string; quantity: number; unitPrice: number }[];
  decision: ReturnDecision & { at: string; by: string };
  source: 'api' | 'channel';
  channelReturnId?: string; // the channel's own id when the return came from the channel (Shopify returns)
  expectItems: boolean; // false for a refund made at the channel without a return: no items come back
  channelRefund?: { channelRefundId: string; amount: number; currency: string; at: string }; // refunded at the channel itself
  // How the items come back by carrier: a label Orderhub bought through the carrier rules (`bought`), or a
  // tracking number an operator entered for a parcel sent another way (`attached`).
  label?: {
    source: 'bought' | 'attached';
    carrier: string;
    service?: string;
    trackingNumber: string;
    carrierConnectionId?: string; // whose signed tracking webhooks move this return
    labelUrl?: string;
    trackingUrl?: string;
    price?: { amount: number; currency: string };
    voided?: { status: 'voided' | 'pending' | 'rejected'; detail?: string };
  };
  tracking?: { status: string; at: string; detail?: string };
  receipt?: ReturnReceipt & { at: string; by: string };
  inspection?: Inspection & { at: string; by: string };
  refund?: ReturnRefund;
  creditNote?: CreditNote;
  exchangeOrderId?: string; // the replacement order, for an exchange
  // The replacement's value, the part the returned items pay for (an EXCHANGE discount on it), and what
  // the customer pays on top (its total) or gets back (refunded when the items are in).
  exchange?: { orderId: string; value: number; credit: number; toPay: number; held: boolean };
  attention?: { step: string; error: string; since: string };
  version: number;
  createdAt: string;
}

// ---- Exchanges --------------------------------------------------------------------------------------------

type PricedLine = { sku: string; name?: string; quantity: number; unitPrice: number; discount: number; tax: number };

// The replacement's lines, priced as the original order priced that sku (its unit price, and its discount
// and tax per unit); a sku the order did not have is priced as the returned units it replaces, unit for
// unit (so a swap for another size costs nothing more).
export function replacementLines(
  orderLines: PricedLine[],
  returned: { sku: string; quantity: number }[],
  wanted: { sku: string; quantity: number }[],
): PricedLine[] {
  let net = 0;
  let tax = 0;
  let units = 0;
  for (const r of returned) {
    const line = orderLines.find((l) => l.sku === r.sku);
    if (!line) continue;
    net += Math.floor(((line.quantity * line.unitPrice - line.discount) * r.quantity) / line.quantity);
    tax += Math.floor((line.tax * r.quantity) / line.quantity);
    units += r.quantity;
  }
  return wanted.map((w) => {
    const line = orderLines.find((l) => l.sku === w.sku);
    if (line)
      return {
        sku: w.sku,
        ...(line.name && { name: line.name }),
        quantity: w.quantity,
        unitPrice: line.unitPrice,
        discount: Math.floor((line.discount * w.quantity) / line.quantity),
        tax: Math.floor((line.tax * w.quantity) / line.quantity),
      };
    return {
      sku: w.sku,
      quantity: w.quantity,
      unitPrice: units ? Math.floor(net / units) : 0,
      discount: 0,
      tax: units ? Math.floor((tax * w.quantity) / units) : 0,
    };
  });
}

export const lineValue = (l: PricedLine) => l.quantity * l.unitPrice - l.discount + l.tax;
