import { createHash } from 'node:crypto';
import { ValidationError, type FieldProblem } from '../../domain/errors';
import { orderInputSchema, type OrderInput } from '../../domain/order';
import { problemsOf } from '../../domain/validation';
import type { ChannelOrder } from '../types';
import { orderSchema, type AmazonAddress, type AmazonMoney, type AmazonOrder, type AmazonOrderItem } from './schemas';

// Amazon order (Orders API 2026-01-01 searchOrders/getOrder, items always included; buyer, recipient,
// proceeds, fulfillment and cancellation through includedData) -> canonical OrderInput, and the shipment
// confirmation body back. Amazon shapes stop here: callers get domain types only.

// The datasets a poll asks for: buyer name and e-mail (BUYER), the delivery address (RECIPIENT), the money
// (PROCEEDS), status and who ships (FULFILLMENT), and why an order was cancelled (CANCELLATION). With
// 2026-01-01 the app's roles decide who sees PII; no restricted-data token is needed.
export const ORDER_DATASETS = ['BUYER', 'RECIPIENT', 'PROCEEDS', 'FULFILLMENT', 'CANCELLATION'] as const;

// Orders Orderhub must not import: no payment yet (PENDING, PENDING_AVAILABILITY), or fulfilled by
// Amazon itself (AFN), which no warehouse of ours ships.
export function skipReason(order: AmazonOrder): string | undefined {
  const status = order.fulfillment.fulfillmentStatus;
  if (status === 'PENDING' || status === 'PENDING_AVAILABILITY') return `status ${status}: not paid yet`;
  if (order.fulfillment.fulfilledBy === 'AMAZON') return 'fulfilled by Amazon (AFN)';
  return undefined;
}

export const isCancelled = (order: AmazonOrder) => order.fulfillment.fulfillmentStatus === 'CANCELLED';

// An order as Amazon sent it, checked against the published model; every mismatch is named with its path.
export function parseOrder(raw: unknown): AmazonOrder {
  const parsed = orderSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const problems = problemsOf(parsed.error).map((p) => ({ ...p, path: `amazon.${p.path}` }));
  throw new ValidationError(`Amazon order ${orderIdOf(raw)} does not match the documented shape: ${problems.length} problem(s)`, problems);
}

// The order id of a raw order, for naming it even when nothing else in it can be read.
export function orderIdOf(raw: unknown): string {
  const id = (raw as { orderId?: unknown } | null)?.orderId;
  return typeof id === 'string' && id.length > 0 ? id : '(no orderId)';
}

interface LineSum {
  sku: string;
  name?: string;
  quantity: number;
  total: number;
  promotion: number;
  tax: number;
}

export function toChannelOrder(order: AmazonOrder, channel: string): ChannelOrder {
  const problems: FieldProblem[] = [];
  const items = order.orderItems;
  const currency = order.proceeds?.grandTotal?.currencyCode ?? items.map(currencyOfItem).find(Boolean);
  const money = (m: AmazonMoney | undefined, path: string): number => {
    if (!m) return 0;
    const parsed = toMinorUnits(m.amount, m.currencyCode || currency || '');
    if (typeof parsed === 'string') {
      problems.push({ path, message: parsed });
      return 0;
    }
    if (currency && m.currencyCode && m.currencyCode !== currency)
      problems.push({ path, message: `is in ${m.currencyCode}, the order is in ${currency}` });
    return parsed;
  };

  // Amazon may list one sellerSku on several order items; Orderhub wants one line per sku.
  const bySku = new Map<string, LineSum>();
  let shipping = 0;
  let shippingDiscount = 0;
  items.forEach((item, i) => {
    const at = `amazon.orderItems.${i}`;
    const p = proceedsOf(item, at, money, problems);
    shipping += p.shipping + p.shippingTax;
    shippingDiscount += p.shippingDiscount;
    // A cancelled item can come back with quantityOrdered 0: there is nothing to ship for it.
    if (item.quantityOrdered === 0) return;
    const sku = item.product.sellerSku;
    if (!sku) {
      problems.push({ path: `${at}.product.sellerSku`, message: 'is missing: the item cannot be matched to a catalogue sku' });
      return;
    }
    const line = bySku.get(sku) ?? { sku, name: item.product.title?.slice(0, 300), quantity: 0, total: 0, promotion: 0, tax: 0 };
    line.quantity += item.quantityOrdered;
    line.total += p.item;
    line.promotion += p.promotion;
    line.tax += p.tax;
    bySku.set(sku, line);
  });

  const lines = [...bySku.values()].map((l) => {
    // The ITEM proceeds are the price of all units. Round the unit price up and give the remainder back as
    // a discount, so quantity x unitPrice - discount is exactly what Amazon charged.
    const unitPrice = Math.ceil(l.total / l.quantity);
    const roundingRemainder = unitPrice * l.quantity - l.total;
    return compact({
      sku: l.sku,
      name: l.name || undefined,
      quantity: l.quantity,
      unitPrice,
      discount: l.promotion + roundingRemainder,
      tax: l.tax,
    });
  });

  const address = order.recipient?.deliveryAddress;
  const cashOnDelivery = items.some((i) => i.fulfillment?.shipping?.shippingConstraints?.cashOnDelivery === 'MANDATORY');
  const candidate = compact({
    channel,
    channelOrderId: order.orderId,
    currency,
    customer: compact({
      name: order.buyer?.buyerName || address?.name || undefined,
      email: order.buyer?.buyerEmail || undefined,
      phone: phoneOf(address),
    }),
    shippingAddress: address && toAddress(address),
    lines,
    discounts: shippingDiscount > 0 ? [{ code: 'amazon-shipping-discount', amount: shippingDiscount }] : [],
    shippingAmount: shipping,
    // Amazon collects the money itself; only cash on delivery is left to the courier.
    payment: cashOnDelivery
      ? { method: 'cash_on_delivery' as const, alreadyPaid: false }
      : { method: 'prepaid' as const, provider: 'manual', alreadyPaid: true, reference: `amazon:${order.orderId}` },
    tags: order.programs?.includes('AMAZON_BUSINESS') ? ['b2b'] : [],
    placedAt: order.createdTime,
  });

  const parsed = orderInputSchema.safeParse(candidate);
  if (!parsed.success) problems.push(...problemsOf(parsed.error));
  if (problems.length || !parsed.success) {
    throw new ValidationError(`Amazon order ${order.orderId} cannot be mapped to an order: ${problems.length} problem(s)`, problems);
  }
  const cancelled = isCancelled(order);
  const reason = items
    .map((i) => i.cancellation?.cancellationRequest?.cancelReason || i.cancellation?.cancellationExecution?.cancelReason)
    .find(Boolean);
  return compact({
    order: parsed.data as OrderInput,
    cancelled,
    cancelReason: cancelled ? (reason ? `cancelled on Amazon: ${reason}` : 'cancelled on Amazon') : undefined,
    updatedAt: order.lastUpdatedTime,
  });
}

// One item's money in minor units, from its proceeds breakdowns: ITEM (all units), SHIPPING, TAX and
// DISCOUNT, the last two split by their detailed subtypes into the item's and the shipping's part (a TAX
// or DISCOUNT without details is the item's). Without PROCEEDS the unit price times the quantity is used.
function proceedsOf(
  item: AmazonOrderItem,
  at: string,
  money: (m: AmazonMoney | undefined, path: string) => number,
  problems: FieldProblem[],
) {
  const p = { item: 0, shipping: 0, shippingTax: 0, shippingDiscount: 0, promotion: 0, tax: 0 };
  const breakdowns = item.proceeds?.breakdowns;
  if (!breakdowns) {
    const unit = item.product.price?.unitPrice;
    if (!unit && item.quantityOrdered > 0)
      problems.push({ path: `${at}.proceeds`, message: 'is missing, and so is product.price.unitPrice: the item has no price' });
    p.item = money(unit, `${at}.product.price.unitPrice`) * item.quantityOrdered;
    return p;
  }
  breakdowns.forEach((b, j) => {
    const path = `${at}.proceeds.breakdowns.${j}`;
    const amount = money(b.subtotal, `${path}.subtotal`);
    if (b.type === 'ITEM') p.item += amount;
    else if (b.type === 'SHIPPING') p.shipping += amount;
    else if (b.type === 'TAX' || b.type === 'DISCOUNT') {
      const details = b.detailedBreakdowns ?? [];
      const onShipping = details
        .filter((d) => d.subtype === 'SHIPPING')
        .reduce((s, d, k) => s + money(d.value, `${path}.detailedBreakdowns.${k}.value`), 0);
      const onItem = details.length ? amount - onShipping : amount;
      // Discounts are amounts taken off; take the magnitude whichever sign Amazon used.
      if (b.type === 'TAX') {
        p.tax += onItem;
        p.shippingTax += onShipping;
      } else {
        p.promotion += Math.abs(onItem);
        p.shippingDiscount += Math.abs(onShipping);
      }
    }
    // GIFT_WRAP, COD_FEE and OTHER have no place on an Orderhub order and are left out, as before.
  });
  return p;
}

function toAddress(a: AmazonAddress) {
  // Some marketplaces fill addressLine2 (or 3) and leave addressLine1 empty.
  const streetLines = [a.addressLine1, a.addressLine2, a.addressLine3].map((l) => l?.trim()).filter((l): l is string => !!l);
  return compact({
    name: a.name || undefined,
    company: a.companyName || undefined,
    line1: streetLines[0],
    line2: streetLines.length > 1 ? streetLines.slice(1).join(', ') : undefined,
    city: a.city || a.municipality || a.districtOrCounty || undefined,
    region: a.stateOrRegion || undefined,
    postalCode: a.postalCode || undefined,
    country: a.countryCode?.toUpperCase(),
    phone: phoneOf(a),
  });
}

// A phone number that does not fit is left out rather than cut.
const phoneOf = (a: AmazonAddress | undefined) => (a?.phone && a.phone.length <= 40 ? a.phone : undefined);

const currencyOfItem = (i: AmazonOrderItem) => i.product.price?.unitPrice?.currencyCode ?? i.proceeds?.proceedsTotal?.currencyCode;

// "12.34" in EUR -> 1234; "1500" in JPY -> 1500. Decimal strings are split, never parsed as floats.
// Returns a message when the amount cannot be represented exactly.
export function toMinorUnits(amount: string, currency: string): number | string {
  const m = /^\s*(-)?(\d+)(?:\.(\d*))?\s*$/.exec(amount);
  if (!m) return `"${amount}" is not a decimal amount`;
  const [, minus, whole, fraction = ''] = m;
  const digits = fractionDigits(currency);
  if (/[1-9]/.test(fraction.slice(digits))) return `"${amount}" has more decimals than ${currency || 'the currency'} allows`;
  const value = Number(whole + fraction.slice(0, digits).padEnd(digits, '0'));
  if (!Number.isSafeInteger(value)) return `"${amount}" is too large`;
  return minus && value !== 0 ? -value : value;
}

function fractionDigits(currency: string): number {
  try {
    return new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
  } catch {
    return 2;
  }
}

// ---- shipment confirmation (Orders API v0 confirmShipment) ----
// confirmShipment is not among the v0 operations Amazon deprecated with 2026-01-01 (getOrders, getOrder,
// getOrderBuyerInfo, getOrderAddress, getOrderItems, getOrderItemsBuyerInfo), and 2026-01-01 has no
// replacement for it; the order item ids it needs come from 2026-01-01 getOrder.

export interface ShipmentInput {
  marketplaceId: string;
  carrier: string;
  trackingNumber: string;
  lines: { sku: string; quantity: number }[];
  idempotencyKey: string;
  shipDate: string;
}

// Carrier names Amazon accepts as carrierCode as they are; anything else goes as "Other" + carrierName.
const CARRIER_CODES: Record<string, string> = {
  ups: 'UPS',
  usps: 'USPS',
  fedex: 'FedEx',
  dhl: 'DHL',
  dpd: 'DPD',
  gls: 'GLS',
  'royal mail': 'Royal Mail',
};

// The confirmShipment body. Shipped skus are matched to Amazon orderItemIds; a sku on several items
// is spread over them up to each item's quantityOrdered. No lines means the whole order shipped.
export function toShipmentConfirmation(shipment: ShipmentInput, items: AmazonOrderItem[]) {
  const problems: FieldProblem[] = [];
  const wanted = shipment.lines.length
    ? shipment.lines
    : items
        .filter((i) => i.product.sellerSku && i.quantityOrdered > 0)
        .map((i) => ({ sku: i.product.sellerSku!, quantity: i.quantityOrdered }));
  const room = new Map(items.map((i) => [i.orderItemId, i.quantityOrdered]));
  const orderItems: { orderItemId: string; quantity: number }[] = [];
  wanted.forEach((line, i) => {
    let left = line.quantity;
    for (const item of items) {
      if (left === 0) break;
      if (item.product.sellerSku !== line.sku) continue;
      const take = Math.min(left, room.get(item.orderItemId) ?? 0);
      if (take === 0) continue;
      room.set(item.orderItemId, (room.get(item.orderItemId) ?? 0) - take);
      const existing = orderItems.find((o) => o.orderItemId === item.orderItemId);
      if (existing) existing.quantity += take;
      else orderItems.push({ orderItemId: item.orderItemId, quantity: take });
      left -= take;
    }
    if (left > 0) {
      const known = items.some((it) => it.product.sellerSku === line.sku);
      problems.push({
        path: `lines.${i}`,
        message: known ? `${left} more of ${line.sku} than the Amazon order has` : `sku ${line.sku} is not on the Amazon order`,
      });
    }
  });
  if (orderItems.length === 0 && problems.length === 0)
    problems.push({ path: 'lines', message: 'nothing to confirm: the Amazon order has no shippable items' });
  if (problems.length) throw new ValidationError(`Shipment cannot be confirmed on Amazon: ${problems.length} problem(s)`, problems);

  const carrierCode = CARRIER_CODES[shipment.carrier.trim().toLowerCase()];
  return {
    marketplaceId: shipment.marketplaceId,
    packageDetail: compact({
      packageReferenceId: packageReferenceIdFor(shipment.idempotencyKey),
      carrierCode: carrierCode ?? 'Other',
      carrierName: carrierCode ? undefined : shipment.carrier,
      trackingNumber: shipment.trackingNumber,
      shipDate: shipment.shipDate,
      orderItems,
    }),
  };
}

// Amazon wants a positive number (sent as a string) naming the package within the order; resending the
// same one edits that package instead of adding another, so deriving it from the idempotency key makes
// retries harmless. 31 bits keeps it a safe positive integer on any parser.
export function packageReferenceIdFor(idempotencyKey: string): string {
  const n = createHash('sha256').update(idempotencyKey).digest().readUInt32BE(0) & 0x7fffffff;
  return String(n === 0 ? 1 : n);
}

// Drops undefined fields so strict schemas and equality checks see only what is there.
function compact<T extends Record<string, unknown>>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
