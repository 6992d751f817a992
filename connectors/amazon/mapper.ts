import { createHash } from 'node:crypto';
import { ValidationError, type FieldProblem } from '../../domain/errors';
import { orderInputSchema, type OrderInput } from '../../domain/order';
import { problemsOf } from '../../domain/validation';
import type { ChannelOrder } from '../types';
import type { AmazonAddress, AmazonMoney, AmazonOrder, AmazonOrderItem } from './schemas';

// Amazon order (Orders API v0 getOrders + getOrderItems) -> canonical OrderInput, and the shipment
// confirmation body back. Amazon shapes stop here: callers get domain types only.

// Orders Orderhub must not import: no address or payment yet (Pending, PendingAvailability), or
// fulfilled by Amazon itself (AFN), which no warehouse of ours ships.
export function skipReason(order: AmazonOrder): string | undefined {
  if (order.OrderStatus === 'Pending' || order.OrderStatus === 'PendingAvailability') return `status ${order.OrderStatus}: not paid yet`;
  if (order.FulfillmentChannel === 'AFN') return 'fulfilled by Amazon (AFN)';
  return undefined;
}

export const isCancelled = (order: AmazonOrder) => order.OrderStatus === 'Canceled';

export function toChannelOrder(order: AmazonOrder, items: AmazonOrderItem[], channel: string): ChannelOrder {
  const problems: FieldProblem[] = [];
  const currency = order.OrderTotal?.CurrencyCode ?? items.map(currencyOfItem).find(Boolean);
  const money = (m: AmazonMoney | undefined, path: string): number => {
    if (!m?.Amount) return 0;
    const parsed = toMinorUnits(m.Amount, m.CurrencyCode ?? currency ?? '');
    if (typeof parsed === 'string') {
      problems.push({ path, message: parsed });
      return 0;
    }
    if (currency && m.CurrencyCode && m.CurrencyCode !== currency)
      problems.push({ path, message: `is in ${m.CurrencyCode}, the order is in ${currency}` });
    return parsed;
  };

  // Amazon may list one SellerSKU on several order items; Orderhub wants one line per sku.
  const bySku = new Map<string, { sku: string; name?: string; quantity: number; total: number; promotion: number; tax: number }>();
  let shipping = 0;
  let shippingDiscount = 0;
  items.forEach((item, i) => {
    const at = `amazon.OrderItems.${i}`;
    shipping += money(item.ShippingPrice, `${at}.ShippingPrice`) + money(item.ShippingTax, `${at}.ShippingTax`);
    // Discounts are amounts taken off; take the magnitude whichever sign Amazon used.
    shippingDiscount +=
      Math.abs(money(item.ShippingDiscount, `${at}.ShippingDiscount`)) +
      Math.abs(money(item.ShippingDiscountTax, `${at}.ShippingDiscountTax`));
    const total = money(item.ItemPrice, `${at}.ItemPrice`);
    const promotion = Math.abs(money(item.PromotionDiscount, `${at}.PromotionDiscount`));
    const tax = money(item.ItemTax, `${at}.ItemTax`);
    // A cancelled item can come back with QuantityOrdered 0: there is nothing to ship for it.
    if (item.QuantityOrdered === 0) return;
    if (!item.SellerSKU) {
      problems.push({ path: `${at}.SellerSKU`, message: 'is missing: the item cannot be matched to a catalogue sku' });
      return;
    }
    const line = bySku.get(item.SellerSKU) ?? {
      sku: item.SellerSKU,
      name: item.Title?.slice(0, 300),
      quantity: 0,
      total: 0,
      promotion: 0,
      tax: 0,
    };
    line.quantity += item.QuantityOrdered;
    line.total += total;
    line.promotion += promotion;
    line.tax += tax;
    bySku.set(item.SellerSKU, line);
  });

  const lines = [...bySku.values()].map((l) => {
    // ItemPrice is the price of all units. Round the unit price up and give the remainder back as a
    // discount, so quantity x unitPrice - discount is exactly what Amazon charged.
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

  const address = order.ShippingAddress;
  const candidate = compact({
    channel,
    channelOrderId: order.AmazonOrderId,
    currency,
    customer: compact({
      name: address?.Name || order.BuyerInfo?.BuyerName || undefined,
      email: order.BuyerInfo?.BuyerEmail || undefined,
      phone: phoneOf(address),
    }),
    shippingAddress: address && toAddress(address),
    lines,
    discounts: shippingDiscount > 0 ? [{ code: 'amazon-shipping-discount', amount: shippingDiscount }] : [],
    shippingAmount: shipping,
    // Amazon collects the money itself; only cash on delivery is left to the courier.
    payment:
      order.PaymentMethod === 'COD'
        ? { method: 'cash_on_delivery' as const, alreadyPaid: false }
        : { method: 'prepaid' as const, provider: 'manual', alreadyPaid: true, reference: `amazon:${order.AmazonOrderId}` },
    tags: order.IsBusinessOrder ? ['b2b'] : [],
    placedAt: order.PurchaseDate,
  });

  const parsed = orderInputSchema.safeParse(candidate);
  if (!parsed.success) problems.push(...problemsOf(parsed.error));
  if (problems.length || !parsed.success) {
    throw new ValidationError(`Amazon order ${order.AmazonOrderId} cannot be mapped to an order: ${problems.length} problem(s)`, problems);
  }
  const cancelled = isCancelled(order);
  const buyerReason = items.map((i) => i.BuyerRequestedCancel?.BuyerCancelReason).find(Boolean);
  return compact({
    order: parsed.data as OrderInput,
    cancelled,
    cancelReason: cancelled ? (buyerReason ? `cancelled on Amazon: ${buyerReason}` : 'cancelled on Amazon') : undefined,
    updatedAt: order.LastUpdateDate,
  });
}

function toAddress(a: AmazonAddress) {
  // Some marketplaces fill AddressLine2 (or 3) and leave AddressLine1 empty.
  const streetLines = [a.AddressLine1, a.AddressLine2, a.AddressLine3].map((l) => l?.trim()).filter((l): l is string => !!l);
  return compact({
    name: a.Name || undefined,
    company: a.CompanyName || undefined,
    line1: streetLines[0],
    line2: streetLines.length > 1 ? streetLines.slice(1).join(', ') : undefined,
    city: a.City || a.Municipality || a.District || a.County || undefined,
    region: a.StateOrRegion || undefined,
    postalCode: a.PostalCode || undefined,
    country: a.CountryCode?.toUpperCase(),
    phone: phoneOf(a),
  });
}

// A phone number that does not fit is left out rather than cut.
const phoneOf = (a: AmazonAddress | undefined) => (a?.Phone && a.Phone.length <= 40 ? a.Phone : undefined);

const currencyOfItem = (i: AmazonOrderItem) => i.ItemPrice?.CurrencyCode ?? i.ShippingPrice?.CurrencyCode;

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

// The confirmShipment body. Shipped skus are matched to Amazon OrderItemIds; a sku on several items
// is spread over them up to each item's QuantityOrdered. No lines means the whole order shipped.
export function toShipmentConfirmation(shipment: ShipmentInput, items: AmazonOrderItem[]) {
  const problems: FieldProblem[] = [];
  const wanted = shipment.lines.length
    ? shipment.lines
    : items.filter((i) => i.SellerSKU && i.QuantityOrdered > 0).map((i) => ({ sku: i.SellerSKU!, quantity: i.QuantityOrdered }));
  const room = new Map(items.map((i) => [i.OrderItemId, i.QuantityOrdered]));
  const orderItems: { orderItemId: string; quantity: number }[] = [];
  wanted.forEach((line, i) => {
    let left = line.quantity;
    for (const item of items) {
      if (left === 0) break;
      if (item.SellerSKU !== line.sku) continue;
      const take = Math.min(left, room.get(item.OrderItemId) ?? 0);
      if (take === 0) continue;
      room.set(item.OrderItemId, (room.get(item.OrderItemId) ?? 0) - take);
      const existing = orderItems.find((o) => o.orderItemId === item.OrderItemId);
      if (existing) existing.quantity += take;
      else orderItems.push({ orderItemId: item.OrderItemId, quantity: take });
      left -= take;
    }
    if (left > 0) {
      const known = items.some((it) => it.SellerSKU === line.sku);
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
