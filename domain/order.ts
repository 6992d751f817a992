import { z } from 'zod';
import { addressSchema } from './address';
import { locationIdSchema, preorderSchema, skuSchema } from './catalog';
import { currencySchema, minorUnitsSchema } from './money';
import { orderWorkflowId } from './ids';
import { supplierIdSchema } from './purchasing';

// Types exist for the kinds the OMS will grow into. A `backorder` order allows backorders on every line
// (as `allowBackorder: true` does): what is in stock ships now, the rest when it arrives. An order whose
// lines all name a supplier (dropShip) is a drop_ship order (some lines only: it keeps its type and ships
// in parts), and one with a pre-order line a pre_order
// (services/orders.ts), whatever type it was sent with.
export const ORDER_TYPES = ['standard', 'backorder', 'pre_order', 'drop_ship', 'b2b'] as const;
export const SUPPORTED_ORDER_TYPES: readonly string[] = ['standard', 'backorder', 'pre_order', 'drop_ship'];
// invoice: a B2B customer's account is billed when the order ships, payable within its terms (net N days).
export const PAYMENT_METHODS = ['prepaid', 'cash_on_delivery', 'invoice'] as const;
// `expedite` jumps the queue: freed stock is offered to it before orders that waited longer, and picklists
// take it first. Absent: standard.
export const ORDER_PRIORITIES = ['standard', 'expedite'] as const;
export type OrderPriority = (typeof ORDER_PRIORITIES)[number];

const lineSchema = z.strictObject({
  sku: skuSchema,
  name: z.string().max(300).optional(),
  quantity: z.number().int('must be a whole number').positive('must be at least 1').max(100_000),
  unitPrice: minorUnitsSchema,
  discount: minorUnitsSchema.default(0),
  tax: minorUnitsSchema.default(0),
  // The customer accepts that units not in stock ship later, as they arrive (the item must allow it).
  // Absent: as the order says (allowBackorder, or type "backorder").
  allowBackorder: z.boolean().optional(),
  // Shipped straight to the customer by this supplier (a drop-ship supplier); unitCost: what the supplier
  // charges per unit, printed on its purchase order.
  dropShip: z.strictObject({ supplierId: supplierIdSchema, unitCost: minorUnitsSchema.max(1_000_000_000).optional() }).optional(),
  // A pre-order line: released to the warehouse on this date (a date in the past is refused at capture).
  preorder: preorderSchema.optional(),
});

export const orderInputSchema = z
  .strictObject({
    channel: z.string().regex(/^[a-z0-9_-]{1,32}$/, 'must be 1 to 32 lowercase letters, digits, _ or -'),
    channelOrderId: z
      .string()
      .min(1)
      .max(128)
      .regex(/^[A-Za-z0-9][A-Za-z0-9._#-]*$/, 'may contain only letters, digits and . _ # -'),
    type: z
      .enum(ORDER_TYPES)
      .default('standard')
      .refine((t) => SUPPORTED_ORDER_TYPES.includes(t), {
        message: `only ${SUPPORTED_ORDER_TYPES.map((t) => `"${t}"`).join(', ')} orders are supported yet`,
      }),
    // Every line may be backordered (unless a line says otherwise): what is in stock ships now as a part,
    // the rest as further parts as stock arrives. Needs partial shipment (fulfillment.allowSplit not false);
    // without it the order waits whole.
    allowBackorder: z.boolean().optional(),
    currency: currencySchema,
    customer: z.strictObject({
      id: z.string().max(128).optional(),
      // The B2B customer account the order is billed to (shown on the invoice).
      account: z
        .string()
        .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'must be 1 to 64 letters, digits, . _ or -')
        .optional(),
      name: z.string().min(1).max(200),
      email: z.email().optional(),
      phone: z.string().max(40).optional(),
      // The language to write to the customer in (a BCP 47 tag: "de", "de-AT"); the merchant's default when
      // absent or when there is no template in it.
      language: z
        .string()
        .regex(/^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8}){0,3}$/, 'must be a language tag such as "en", "de" or "de-AT"')
        .optional(),
    }),
    shippingAddress: addressSchema,
    // Shipped to the shipping address, or collected by the customer at a store that allows pickup.
    fulfillment: z
      .strictObject({
        method: z.enum(['ship', 'pickup']),
        pickupLocationId: locationIdSchema.optional(),
        // false: the customer wants everything in one shipment (the order waits for one location to have it
        // all). Absent or true: the routing rules may split it when their fallback says so.
        allowSplit: z.boolean().optional(),
      })
      .default({ method: 'ship' }),
    billingAddress: addressSchema.optional(),
    lines: z.array(lineSchema).min(1, 'an order needs at least one line').max(500),
    discounts: z.array(z.strictObject({ code: z.string().max(64).optional(), amount: minorUnitsSchema })).default([]),
    shippingAmount: minorUnitsSchema.default(0),
    payment: z
      .strictObject({
        method: z.enum(PAYMENT_METHODS),
        provider: z
          .string()
          .regex(/^[a-z0-9_-]{1,32}$/)
          .default('manual'),
        // True when the channel or till already took the money (a paid Shopify order, a POS sale).
        alreadyPaid: z.boolean().default(false),
        reference: z.string().max(128).optional(),
        // Invoice orders: payable this many days after the invoice (issued when the order ships).
        terms: z.strictObject({ netDays: z.number().int('must be whole days').min(0).max(365) }).optional(),
      })
      .default({ method: 'prepaid', provider: 'manual', alreadyPaid: false }),
    priority: z.enum(ORDER_PRIORITIES).optional(),
    // The buyer's purchase-order number, printed on the invoice.
    purchaseOrderRef: z.string().trim().min(1).max(64).optional(),
    notes: z.string().max(5000).optional(),
    tags: z.array(z.string().min(1).max(64)).max(50).default([]),
    placedAt: z.iso.datetime({ offset: true }).optional(),
  })
  .superRefine((o, ctx) => {
    if (o.fulfillment.method === 'pickup' && !o.fulfillment.pickupLocationId)
      ctx.addIssue({
        code: 'custom',
        path: ['fulfillment', 'pickupLocationId'],
        message: 'is required for a pickup order: the store the customer collects from',
      });
    if (o.fulfillment.method === 'pickup' && o.fulfillment.allowSplit)
      ctx.addIssue({
        code: 'custom',
        path: ['fulfillment', 'allowSplit'],
        message: 'cannot be true for a pickup order: it is collected whole at one store',
      });
    if (o.fulfillment.method === 'ship' && o.fulfillment.pickupLocationId)
      ctx.addIssue({ code: 'custom', path: ['fulfillment', 'pickupLocationId'], message: 'only goes with method "pickup"' });
    if (o.type === 'backorder' && o.allowBackorder === false)
      ctx.addIssue({ code: 'custom', path: ['allowBackorder'], message: 'cannot be false on an order of type "backorder"' });
    const seen = new Set<string>();
    o.lines.forEach((l, i) => {
      if (seen.has(l.sku))
        ctx.addIssue({ code: 'custom', path: ['lines', i, 'sku'], message: `sku ${l.sku} appears on more than one line` });
      seen.add(l.sku);
      if (l.discount > l.quantity * l.unitPrice) {
        ctx.addIssue({ code: 'custom', path: ['lines', i, 'discount'], message: 'must not exceed the line amount' });
      }
      // Past 2^53 minor units a product is rounded: refuse it rather than store an inexact amount.
      if (!Number.isSafeInteger(l.quantity * l.unitPrice)) {
        ctx.addIssue({
          code: 'custom',
          path: ['lines', i, 'unitPrice'],
          message: 'times the quantity is too large to count exactly in minor units',
        });
      }
    });
    if (o.payment.method === 'invoice' && !o.payment.terms)
      ctx.addIssue({ code: 'custom', path: ['payment', 'terms'], message: 'is required to pay on invoice: { "netDays": 30 } for net 30' });
    if (o.payment.method !== 'invoice' && o.payment.terms)
      ctx.addIssue({ code: 'custom', path: ['payment', 'terms'], message: 'are for orders paid on invoice (method "invoice")' });
    if (o.payment.method === 'invoice' && o.payment.alreadyPaid)
      ctx.addIssue({ code: 'custom', path: ['payment', 'alreadyPaid'], message: 'an order paid on invoice is paid after it ships' });
    if (o.payment.method === 'cash_on_delivery' && o.payment.alreadyPaid) {
      ctx.addIssue({ code: 'custom', path: ['payment', 'alreadyPaid'], message: 'a cash-on-delivery order cannot already be paid' });
    }
    dropShipProblems(o).forEach((p) => ctx.addIssue({ code: 'custom', ...p }));
    const totals = totalsOf(o);
    if (!Object.values(totals).every((v) => Number.isSafeInteger(v))) {
      ctx.addIssue({ code: 'custom', path: [], message: 'the order amounts add up to more than can be counted exactly in minor units' });
    } else if (totals.total < 0) ctx.addIssue({ code: 'custom', path: ['discounts'], message: 'discounts exceed the order amount' });
  });

// Drop-shipped lines are shipped by their suppliers; an order may mix them with stocked lines (it ships in
// parts: the stocked lines from a location, each supplier's lines as its own part). A drop_ship order sent
// as such names the supplier of every line. Suppliers and locations ship separately, so an order that must
// arrive in one shipment names one supplier and no stocked line; nobody collects a drop-shipped line.
type DropShipShape = {
  type: string;
  lines: { dropShip?: { supplierId: string } }[];
  fulfillment: { method: string; allowSplit?: boolean };
};
export function dropShipProblems(o: DropShipShape): { path: (string | number)[]; message: string }[] {
  const shipped = o.lines.filter((l) => l.dropShip);
  if (shipped.length === 0) {
    if (o.type !== 'drop_ship') return [];
    return [{ path: ['lines'], message: 'a drop_ship order names the supplier of each line: lines[].dropShip.supplierId' }];
  }
  const problems: { path: (string | number)[]; message: string }[] = [];
  if (o.type === 'drop_ship')
    o.lines.forEach((l, i) => {
      if (!l.dropShip)
        problems.push({
          path: ['lines', i, 'dropShip'],
          message: `is required on a drop_ship order: leave the type out to ship this line from stock beside the drop-shipped ones`,
        });
    });
  if (o.fulfillment.method === 'pickup')
    problems.push({ path: ['fulfillment', 'method'], message: 'a drop-shipped order is shipped by its supplier: it cannot be collected' });
  const suppliers = new Set(shipped.map((l) => l.dropShip!.supplierId));
  const stocked = o.lines.length - shipped.length;
  if (o.fulfillment.allowSplit === false && (suppliers.size > 1 || (stocked > 0 && o.type !== 'drop_ship')))
    problems.push({
      path: ['fulfillment', 'allowSplit'],
      message:
        suppliers.size > 1
          ? `cannot be false: the lines come from ${suppliers.size} suppliers, each shipping its own`
          : `cannot be false: ${stocked} line(s) ship from stock and the others from supplier ${[...suppliers][0]}, each shipping its own`,
    });
  return problems;
}

export type OrderInput = z.infer<typeof orderInputSchema>;
export type OrderLine = OrderInput['lines'][number];

export interface OrderTotals {
  subtotal: number;
  discountTotal: number;
  taxTotal: number;
  shippingTotal: number;
  total: number;
}

export function totalsOf(o: Pick<OrderInput, 'lines' | 'discounts' | 'shippingAmount'>): OrderTotals {
  const subtotal = o.lines.reduce((s, l) => s + l.quantity * l.unitPrice, 0);
  const discountTotal = o.lines.reduce((s, l) => s + l.discount, 0) + o.discounts.reduce((s, d) => s + d.amount, 0);
  const taxTotal = o.lines.reduce((s, l) => s + l.tax, 0);
  const shippingTotal = o.shippingAmount;
  return { subtotal, discountTotal, taxTotal, shippingTotal, total: subtotal - discountTotal + taxTotal + shippingTotal };
}

// The canonical order as stored and carried through the workflow.
export interface Order extends OrderInput {
  id: string;
  totals: OrderTotals;
  receivedAt: string;
}

export function toOrder(input: OrderInput, receivedAt: string): Order {
  // Every line shipped by a supplier: a drop_ship order. Some lines stocked: the order keeps its type.
  const type = input.lines.every((l) => l.dropShip) ? 'drop_ship' : input.type;
  return { ...input, type, id: orderWorkflowId(input.channel, input.channelOrderId), totals: totalsOf(input), receivedAt };
}

// The id of a captured order, as the API takes it in paths and bodies.
export const orderIdSchema = z
  .string()
  .regex(/^order:[a-z0-9_-]{1,32}:[A-Za-z0-9][A-Za-z0-9._#-]{0,127}$/, 'must look like order:<channel>:<channelOrderId>');
