import { z } from 'zod';
import { ValidationError, type FieldProblem } from '../../domain/errors';
import type { ChannelReturnEvent, ChannelReturnEventKind, WebhookEvent } from '../types';
import { toMinorUnits } from './money';
import { orderhubReturnIdIn } from './refunds';

// Shopify's returns/* and refunds/create webhook bodies (REST shape, ids as bare 64-bit numbers, parsed
// exactly) mapped to a ChannelReturnEvent. What each topic carries, as Shopify documents it:
// - returns/request, returns/approve: the return with its order and return_line_items, each with the
//   fulfillment line item and the order's line item it returns, the quantity, reason and notes;
// - returns/decline: the return id, its status and the decline's reason and note (no order);
// - returns/cancel, returns/close, returns/reopen: the return id, order_id and status;
// - refunds/create: the refund with order_id, note, refund_line_items, refund_shipping_lines, transactions
//   and the return it settles (null for a refund without a return).
// Objects are loose: Shopify adds fields with every version and only what is read here is checked.

export const RETURN_TOPICS = new Map<string, ChannelReturnEventKind>([
  ['returns/request', 'return_requested'],
  ['returns/approve', 'return_approved'],
  ['returns/decline', 'return_declined'],
  ['returns/cancel', 'return_cancelled'],
  ['returns/close', 'return_closed'],
  ['returns/reopen', 'return_reopened'],
  ['refunds/create', 'refund_created'],
]);
// Processing a return at Shopify (returns/process) restocks or refunds; the refund comes as refunds/create.
export const PROCESSED_RETURN_TOPIC = 'returns/process';

const shopifyId = z.union([z.number().int().nonnegative(), z.string().regex(/^\d+$/)]).transform(String);
const text = z.string().nullish();
const amount = z.union([z.string(), z.number()]);
const moneySet = z.looseObject({ shop_money: z.looseObject({ amount, currency_code: z.string().nullish() }) });
const listOf = <T extends z.ZodType>(item: T) =>
  z
    .array(item)
    .nullish()
    .transform((v) => v ?? []);

const returnLineSchema = z.looseObject({
  id: shopifyId,
  quantity: z.number().int().positive(),
  fulfillment_line_item: z.looseObject({ id: shopifyId.nullish(), line_item: z.looseObject({ id: shopifyId, sku: text }) }),
  return_reason: text,
  return_reason_note: text,
  customer_note: text,
});

const returnSchema = z.looseObject({
  id: shopifyId,
  status: text,
  order: z.looseObject({ id: shopifyId }).nullish(),
  order_id: shopifyId.nullish(),
  return_line_items: listOf(returnLineSchema),
  decline: z.looseObject({ reason: text, note: text }).nullish(),
  created_at: text,
  updated_at: text,
});

const refundSchema = z.looseObject({
  id: shopifyId,
  order_id: shopifyId,
  note: text,
  created_at: text,
  processed_at: text,
  refund_line_items: listOf(
    z.looseObject({
      line_item_id: shopifyId.nullish(),
      line_item: z.looseObject({ id: shopifyId, sku: text }).nullish(),
      quantity: z.number().int().nonnegative(),
      subtotal_set: moneySet.nullish(),
    }),
  ),
  refund_shipping_lines: listOf(z.looseObject({ subtotal_amount_set: moneySet.nullish() })),
  transactions: listOf(z.looseObject({ id: shopifyId.nullish(), kind: text, status: text, amount, currency: text })),
  total_duties_set: moneySet.nullish(),
  return: z.looseObject({ id: shopifyId }).nullish(),
});

export function mapShopifyReturnWebhook(topic: string, body: unknown, now = () => new Date()): WebhookEvent {
  if (topic === PROCESSED_RETURN_TOPIC) {
    const id = parse(returnSchema.pick({ id: true }), body, 'return').id;
    return {
      kind: 'ignored',
      reason: `returns/process for return ${id} acknowledged: its refund arrives as refunds/create, which is applied`,
    };
  }
  const kind = RETURN_TOPICS.get(topic);
  if (!kind) return { kind: 'ignored', reason: `Shopify topic ${topic} is not acted on` };
  if (kind === 'refund_created') return refundEvent(parse(refundSchema, body, 'refund'), now);
  const r = parse(returnSchema, body, 'return');
  const lines = r.return_line_items.map((li) => ({
    channelLineId: li.fulfillment_line_item.line_item.id,
    ...(li.fulfillment_line_item.line_item.sku?.trim() && { sku: li.fulfillment_line_item.line_item.sku.trim() }),
    quantity: li.quantity,
    ...(li.return_reason && { reason: li.return_reason }),
  }));
  const reason = r.decline?.reason ?? r.return_line_items.find((li) => li.return_reason)?.return_reason;
  const notes = [r.decline?.note, ...r.return_line_items.flatMap((li) => [li.return_reason_note, li.customer_note])];
  const note = [...new Set(notes.map((n) => n?.trim()).filter((n): n is string => !!n))].join(' / ');
  const channelOrderId = r.order?.id ?? r.order_id ?? undefined;
  const event: ChannelReturnEvent = {
    kind,
    channelReturnId: r.id,
    ...(channelOrderId && { channelOrderId }),
    lines,
    ...(reason && { reason }),
    ...(note && { note }),
    at: timeOf(r.updated_at ?? r.created_at, now),
  };
  return { kind: 'return', event };
}

function refundEvent(r: z.infer<typeof refundSchema>, now: () => Date): WebhookEvent {
  // A refund Orderhub reported itself (its note names the return) is already Orderhub's: not a new one.
  const ours = orderhubReturnIdIn(r.note);
  if (ours) return { kind: 'ignored', reason: `refund ${r.id} on order ${r.order_id} was made by Orderhub for ${ours}` };

  const paid = r.transactions.filter((t) => t.kind?.toLowerCase() === 'refund' && t.status?.toLowerCase() === 'success');
  const currency = (
    paid.find((t) => t.currency)?.currency ??
    r.total_duties_set?.shop_money.currency_code ??
    r.refund_line_items.find((li) => li.subtotal_set?.shop_money.currency_code)?.subtotal_set?.shop_money.currency_code ??
    ''
  )
    .trim()
    .toUpperCase();
  const problems: FieldProblem[] = [];
  if (!currency) problems.push({ path: 'transactions', message: 'name no currency, and neither does any money set' });
  const money = (value: unknown, path: string) => {
    try {
      return toMinorUnits(value, currency);
    } catch {
      problems.push({ path, message: `is not a decimal amount: ${JSON.stringify(value)}` });
      return 0;
    }
  };
  const refunded = r.transactions.reduce((sum, t, i) => (paid.includes(t) ? sum + money(t.amount, `transactions.${i}.amount`) : sum), 0);
  const shipping = r.refund_shipping_lines.reduce(
    (sum, l, i) =>
      sum + (l.subtotal_amount_set ? money(l.subtotal_amount_set.shop_money.amount, `refund_shipping_lines.${i}.subtotal_amount_set`) : 0),
    0,
  );
  const lines = r.refund_line_items.flatMap((li, i) => {
    const channelLineId = li.line_item_id ?? li.line_item?.id;
    if (!channelLineId) {
      problems.push({ path: `refund_line_items.${i}.line_item_id`, message: 'is missing' });
      return [];
    }
    const sku = li.line_item?.sku?.trim();
    return li.quantity > 0 ? [{ channelLineId, ...(sku && { sku }), quantity: li.quantity }] : [];
  });
  if (problems.length > 0) throw new ValidationError(`Shopify refund ${r.id} cannot be mapped`, problems);
  const note = r.note?.trim();
  const event: ChannelReturnEvent = {
    kind: 'refund_created',
    channelRefundId: r.id,
    ...(r.return && { channelReturnId: r.return.id }),
    channelOrderId: r.order_id,
    lines,
    refund: { amount: refunded, currency, ...(shipping > 0 && { shipping }) },
    ...(note && { note }),
    at: timeOf(r.processed_at ?? r.created_at, now),
  };
  return { kind: 'return', event };
}

function parse<T extends z.ZodType>(schema: T, body: unknown, what: string): z.infer<T> {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => ({
    path: issue.path.map(String).join('.') || '(body)',
    message: valueAt(body, issue.path) == null ? 'is missing' : issue.message,
  }));
  const id = body && typeof body === 'object' && 'id' in body ? String((body as { id: unknown }).id) : 'without an id';
  throw new ValidationError(
    `Shopify ${what} ${id} cannot be mapped: ${problems.map((p) => `${p.path} ${p.message}`).join('; ')}`,
    problems,
  );
}

function valueAt(body: unknown, path: PropertyKey[]): unknown {
  let value = body;
  for (const key of path) value = value && typeof value === 'object' ? (value as Record<PropertyKey, unknown>)[key] : undefined;
  return value;
}

const timeOf = (value: string | null | undefined, now: () => Date) =>
  value && !Number.isNaN(Date.parse(value)) ? new Date(value).toISOString() : now().toISOString();
