import { z } from 'zod';
import type { Address } from '../../domain/address';
import { skuSchema } from '../../domain/catalog';
import type { Order } from '../../domain/order';
import { parseOrThrow } from '../../domain/validation';
import type { StockReceipt } from '../types';

// The ERP's wire shapes (the contract is described at the top of index.ts). Money is integer minor
// units with the ISO 4217 currency carried next to every amount, exactly as in the domain.

export interface ErpAddress {
  name?: string;
  company?: string;
  line1: string;
  line2?: string;
  city: string;
  region?: string;
  postalCode: string;
  country: string; // ISO 3166-1 alpha-2
  phone?: string;
}

export interface ErpLine {
  sku: string;
  name?: string;
  quantity: number;
  unitPrice: number; // minor units, per unit, before discount and tax
  discount: number; // minor units, for the whole line
  tax: number; // minor units, for the whole line
  currency: string;
}

export interface ErpTotals {
  subtotal: number;
  discount: number; // line discounts plus order-level discounts
  tax: number;
  shipping: number;
  total: number;
  currency: string;
}

// POST /sales-orders
export interface ErpSalesOrder {
  number: string; // the Orderhub order id, order:<channel>:<channelOrderId>
  channel: string;
  channelOrderId: string;
  placedAt: string;
  currency: string;
  customer: { id?: string; name: string; email?: string; phone?: string };
  shippingAddress: ErpAddress;
  billingAddress: ErpAddress; // the shipping address when the order has no billing address
  lines: ErpLine[];
  discounts: { code?: string; amount: number; currency: string }[]; // order-level discounts
  totals: ErpTotals;
  notes?: string;
}

// POST /invoices
export interface ErpInvoice {
  orderNumber: string;
  currency: string;
  lines: ErpLine[];
  totals: ErpTotals;
  carrier: string;
  trackingNumber: string;
  shippedAt: string;
}

// GET /stock-receipts: one page. Extra fields the ERP adds are ignored; a missing or malformed one is
// an error naming receipts.N.field, so a bad receipt is never skipped silently.
const erpStockReceiptSchema = z.object({
  id: z.string().min(1),
  sku: skuSchema,
  warehouse: z.string().min(1),
  quantity: z.number().int('must be a whole number').positive('must be at least 1'),
  purchaseOrder: z.string().min(1),
  receivedAt: z.iso.datetime({ offset: true }),
});
export type ErpStockReceipt = z.infer<typeof erpStockReceiptSchema>;

const erpStockReceiptPageSchema = z.object({
  receipts: z.array(erpStockReceiptSchema),
  nextCursor: z.string().nullish(), // absent, null or "" on the last page
});

function toErpAddress(a: Address): ErpAddress {
  // Coordinates are ours (routing), not the ERP's.
  const { latitude: _latitude, longitude: _longitude, ...rest } = a;
  return rest;
}

function toErpLines(order: Order): ErpLine[] {
  return order.lines.map((l) => ({
    sku: l.sku,
    ...(l.name !== undefined && { name: l.name }),
    quantity: l.quantity,
    unitPrice: l.unitPrice,
    discount: l.discount,
    tax: l.tax,
    currency: order.currency,
  }));
}

function toErpTotals(order: Order): ErpTotals {
  const t = order.totals;
  return {
    subtotal: t.subtotal,
    discount: t.discountTotal,
    tax: t.taxTotal,
    shipping: t.shippingTotal,
    total: t.total,
    currency: order.currency,
  };
}

export function toErpSalesOrder(order: Order): ErpSalesOrder {
  return {
    number: order.id,
    channel: order.channel,
    channelOrderId: order.channelOrderId,
    placedAt: order.placedAt ?? order.receivedAt,
    currency: order.currency,
    customer: order.customer,
    shippingAddress: toErpAddress(order.shippingAddress),
    billingAddress: toErpAddress(order.billingAddress ?? order.shippingAddress),
    lines: toErpLines(order),
    discounts: order.discounts.map((d) => ({ ...(d.code !== undefined && { code: d.code }), amount: d.amount, currency: order.currency })),
    totals: toErpTotals(order),
    ...(order.notes !== undefined && { notes: order.notes }),
  };
}

export function toErpInvoice(invoice: { order: Order; carrier: string; trackingNumber: string; shippedAt: string }): ErpInvoice {
  const { order } = invoice;
  return {
    orderNumber: order.id,
    currency: order.currency,
    lines: toErpLines(order),
    totals: toErpTotals(order),
    carrier: invoice.carrier,
    trackingNumber: invoice.trackingNumber,
    shippedAt: invoice.shippedAt,
  };
}

export function toStockReceipt(r: ErpStockReceipt): StockReceipt {
  return {
    receiptId: r.id,
    sku: r.sku,
    locationCode: r.warehouse,
    quantity: r.quantity,
    reference: r.purchaseOrder,
    receivedAt: r.receivedAt,
  };
}

// Throws a ValidationError naming every bad field (receipts.2.quantity) of the page.
export function parseStockReceiptPage(body: unknown): { receipts: StockReceipt[]; nextCursor?: string } {
  const page = parseOrThrow(erpStockReceiptPageSchema, body, 'ERP stock receipts page');
  return { receipts: page.receipts.map(toStockReceipt), ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) };
}
