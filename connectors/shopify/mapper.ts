import { z } from 'zod';
import { ValidationError, type FieldProblem } from '../../domain/errors';
import { orderInputSchema, type OrderInput } from '../../domain/order';
import type { ChannelOrder } from '../types';
import { toMinorUnits } from './money';

// The parts of Shopify's REST Order resource (also the orders/* webhook body) that Orderhub reads.
// Objects are loose: Shopify adds fields with every API version and we ignore what we do not use.

const blankToUndefined = (v: unknown) => (v === null || (typeof v === 'string' && v.trim() === '') ? undefined : v);
const optionalText = z.preprocess(blankToUndefined, z.string().optional());
const shopifyId = z.union([z.number().int().nonnegative(), z.string().regex(/^\d+$/)]).transform(String);
// Money stays a string here; it is converted with the order's currency exponent in mapShopifyOrder.
const amount = z.union([z.string(), z.number()]);
const coordinate = z.preprocess((v) => {
  const blank = blankToUndefined(v);
  return typeof blank === 'string' ? Number(blank) : blank;
}, z.number().optional());

const discountAllocationSchema = z.looseObject({ amount, discount_application_index: z.number().int().nonnegative().nullish() });
const taxLineSchema = z.looseObject({ price: amount });
const listOf = <T extends z.ZodType>(item: T) =>
  z
    .array(item)
    .nullish()
    .transform((v) => v ?? []);

const addressSchema = z.looseObject({
  first_name: optionalText,
  last_name: optionalText,
  name: optionalText,
  company: optionalText,
  address1: optionalText,
  address2: optionalText,
  city: optionalText,
  province: optionalText,
  province_code: optionalText,
  zip: optionalText,
  country_code: optionalText,
  phone: optionalText,
  latitude: coordinate,
  longitude: coordinate,
});

const lineItemSchema = z.looseObject({
  sku: optionalText, // required, but checked while mapping so that every problem is named at once
  name: optionalText,
  title: optionalText,
  quantity: z.number().int().positive(),
  price: amount,
  discount_allocations: listOf(discountAllocationSchema),
  tax_lines: listOf(taxLineSchema),
});

const shippingLineSchema = z.looseObject({
  price: amount,
  discount_allocations: listOf(discountAllocationSchema),
  tax_lines: listOf(taxLineSchema),
});

const discountApplicationSchema = z.looseObject({ code: optionalText, title: optionalText });

export const shopifyOrderSchema = z.looseObject({
  id: shopifyId,
  name: optionalText,
  email: optionalText,
  contact_email: optionalText,
  phone: optionalText,
  currency: z.string(),
  created_at: optionalText,
  updated_at: optionalText,
  cancelled_at: optionalText,
  cancel_reason: optionalText,
  financial_status: optionalText,
  gateway: optionalText, // deprecated by Shopify in favour of payment_gateway_names, still sent
  payment_gateway_names: listOf(z.string()),
  tags: optionalText,
  note: optionalText,
  taxes_included: z.boolean().nullish(),
  total_discounts: amount.nullish(),
  customer: z
    .looseObject({ id: shopifyId.optional(), email: optionalText, first_name: optionalText, last_name: optionalText, phone: optionalText })
    .nullish(),
  shipping_address: addressSchema.nullish(),
  billing_address: addressSchema.nullish(),
  line_items: z.array(lineItemSchema).min(1, 'an order needs at least one line item'),
  shipping_lines: listOf(shippingLineSchema),
  discount_applications: listOf(discountApplicationSchema),
});
type ShopifyOrder = z.infer<typeof shopifyOrderSchema>;
type ShopifyAddress = z.infer<typeof addressSchema>;

const PAID = new Set(['paid', 'partially_refunded', 'refunded']);
const CASH_ON_DELIVERY = /cash[\s_-]*on[\s_-]*delivery|\bcod\b/i;

interface MappedLine {
  sku: string;
  name?: string;
  quantity: number;
  unitPrice: number;
  discount: number;
  tax: number;
  source: number; // index of the first Shopify line item it came from, for error paths
}

// Shopify order payload -> the channel's view of a canonical order. Throws a ValidationError whose
// problems name Shopify's fields (e.g. line_items.2.sku), so the merchant knows what to fix.
export function mapShopifyOrder(raw: unknown, channel: string): ChannelOrder {
  const parsed = shopifyOrderSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => ({
      path: issue.path.map(String).join('.') || '(body)',
      message: friendly(issue.message),
    }));
    throw unmappable(raw, problems);
  }
  const o = parsed.data;
  const problems: FieldProblem[] = [];
  const currency = o.currency.trim().toUpperCase();
  const money = (value: unknown, path: string): number => {
    try {
      return toMinorUnits(value, currency);
    } catch {
      problems.push({ path, message: `is not a decimal amount: ${JSON.stringify(value)}` });
      return 0;
    }
  };
  const sum = (items: { value: unknown; path: string }[]) => items.reduce((s, i) => s + money(i.value, i.path), 0);

  let lineAllocated = 0; // discounts Shopify allocated to line items, before any restatement below
  const lines: MappedLine[] = [];
  o.line_items.forEach((li, i) => {
    const at = `line_items.${i}`;
    if (!li.sku) problems.push({ path: `${at}.sku`, message: 'is missing: every line needs a sku so Orderhub can reserve stock' });
    const unitPrice = money(li.price, `${at}.price`);
    const discount = sum(li.discount_allocations.map((d, j) => ({ value: d.amount, path: `${at}.discount_allocations.${j}.amount` })));
    const tax = sum(li.tax_lines.map((t, j) => ({ value: t.price, path: `${at}.tax_lines.${j}.price` })));
    lineAllocated += discount;
    if (!li.sku) return;
    const line = { sku: li.sku.trim(), name: clip(li.name ?? li.title, 300), quantity: li.quantity, unitPrice, discount, tax, source: i };
    lines.push(o.taxes_included ? { ...line, ...withoutIncludedTax(line) } : line);
  });

  // Orderhub has no shipping tax field, so shippingAmount is what the customer pays for shipping:
  // the price, plus its tax when prices exclude tax (with taxes_included the price already holds it).
  let shippingAmount = 0;
  const shippingDiscounts = new Map<number | undefined, number>();
  o.shipping_lines.forEach((sl, i) => {
    shippingAmount += money(sl.price, `shipping_lines.${i}.price`);
    if (!o.taxes_included)
      shippingAmount += sum(sl.tax_lines.map((t, j) => ({ value: t.price, path: `shipping_lines.${i}.tax_lines.${j}.price` })));
    sl.discount_allocations.forEach((d, j) => {
      const key = d.discount_application_index ?? undefined;
      shippingDiscounts.set(
        key,
        (shippingDiscounts.get(key) ?? 0) + money(d.amount, `shipping_lines.${i}.discount_allocations.${j}.amount`),
      );
    });
  });

  // Shopify allocates discounts to line items and shipping lines. Line allocations are on the lines;
  // shipping allocations, and anything in total_discounts allocated nowhere, are order-level discounts.
  const codeOf = (index: number | undefined) => {
    const app = index === undefined ? undefined : o.discount_applications[index];
    return clip(app?.code ?? app?.title, 64);
  };
  const discounts: OrderInput['discounts'] = [];
  for (const [index, value] of shippingDiscounts) if (value > 0) discounts.push(withCode(codeOf(index), value));
  if (o.total_discounts !== undefined && o.total_discounts !== null) {
    const shippingAllocated = [...shippingDiscounts.values()].reduce((s, v) => s + v, 0);
    const unallocated = money(o.total_discounts, 'total_discounts') - lineAllocated - shippingAllocated;
    if (unallocated > 0) discounts.push(withCode(codeOf(unallocatedApplication(o)), unallocated));
  }

  const merged = mergeBySku(lines);
  const gateways = [...o.payment_gateway_names, ...(o.gateway ? [o.gateway] : [])];
  // Money already taken counts first (a COD order marked paid was collected); then cash on delivery.
  const paid = PAID.has(o.financial_status ?? '');
  const cashOnDelivery = !paid && gateways.some((g) => CASH_ON_DELIVERY.test(g));
  const payment: OrderInput['payment'] = compact({
    method: cashOnDelivery ? 'cash_on_delivery' : 'prepaid',
    provider: 'manual',
    alreadyPaid: paid,
    reference: clip(o.name, 128),
  });

  const name =
    personName(o.customer) ??
    o.shipping_address?.name ??
    personName(o.shipping_address) ??
    o.billing_address?.name ??
    personName(o.billing_address);
  if (!name)
    problems.push({ path: 'customer.first_name', message: 'is missing, and neither the shipping nor the billing address has a name' });
  if (!o.shipping_address)
    problems.push({ path: 'shipping_address', message: 'is missing: Orderhub ships every order and needs an address' });
  const placedAt = timestamp(o.created_at, 'created_at', problems);
  const updatedAt = timestamp(o.updated_at, 'updated_at', problems) ?? placedAt ?? new Date().toISOString();

  const draft = {
    channel,
    channelOrderId: o.id,
    currency,
    customer: compact({
      id: o.customer?.id,
      name: clip(name, 200),
      email: o.email ?? o.customer?.email ?? o.contact_email,
      phone: o.phone ?? o.customer?.phone,
    }),
    shippingAddress: o.shipping_address ? address(o.shipping_address) : undefined,
    billingAddress: o.billing_address ? address(o.billing_address) : undefined,
    lines: merged.map(({ source: _source, ...line }) => compact(line)),
    discounts,
    shippingAmount,
    payment,
    notes: clip(o.note, 5000),
    tags: tagsOf(o.tags),
    placedAt,
  };
  const result = orderInputSchema.safeParse(compact(draft));
  if (!result.success) {
    for (const issue of result.error.issues) {
      problems.push({ path: shopifyPathOf(issue.path, merged), message: friendly(issue.message) });
    }
  }
  if (problems.length > 0 || !result.success) throw unmappable(raw, dedupe(problems));
  return { order: result.data, cancelled: Boolean(o.cancelled_at), cancelReason: o.cancel_reason, updatedAt };
}

// With taxes_included the price holds the tax. Orderhub adds line tax on top of the net amount, so the
// line is restated net: the undiscounted net amount scaled like what was paid, the unit price rounded up
// and the rounding put into the discount, so quantity × unitPrice − discount + tax is still exact.
function withoutIncludedTax(
  line: Pick<MappedLine, 'quantity' | 'unitPrice' | 'discount' | 'tax'>,
): Pick<MappedLine, 'unitPrice' | 'discount'> {
  if (line.tax === 0) return { unitPrice: line.unitPrice, discount: line.discount };
  const gross = line.quantity * line.unitPrice;
  const paid = gross - line.discount;
  const net = paid - line.tax;
  const netUndiscounted = paid > 0 ? Number((BigInt(gross) * BigInt(net) + BigInt(paid) / 2n) / BigInt(paid)) : gross - line.tax;
  const unitPrice = Math.ceil(netUndiscounted / line.quantity);
  return { unitPrice, discount: unitPrice * line.quantity - net };
}

// The first discount application no line or shipping line refers to, for the code of an unallocated discount.
function unallocatedApplication(o: ShopifyOrder): number | undefined {
  const used = new Set<number>();
  for (const l of [...o.line_items, ...o.shipping_lines])
    for (const d of l.discount_allocations) if (typeof d.discount_application_index === 'number') used.add(d.discount_application_index);
  const index = o.discount_applications.findIndex((_, i) => !used.has(i));
  return index >= 0 ? index : undefined;
}

// The canonical order allows each sku on one line only, and Shopify repeats a variant on several lines
// (different line item properties, bundles). Lines with the same sku are merged: quantities, discounts
// and taxes are summed. When their unit prices differ, the merged unit price is the quantity-weighted
// average rounded up, and the rounding goes into the line discount, so the line total stays exact.
export function mergeBySku<L extends Omit<MappedLine, 'source'> & { source?: number }>(lines: L[]): L[] {
  const bySku = new Map<string, L>();
  for (const line of lines) {
    const seen = bySku.get(line.sku);
    if (!seen) {
      bySku.set(line.sku, { ...line });
      continue;
    }
    const amount = seen.quantity * seen.unitPrice + line.quantity * line.unitPrice;
    const quantity = seen.quantity + line.quantity;
    const unitPrice = Math.ceil(amount / quantity);
    seen.discount += line.discount + (unitPrice * quantity - amount);
    seen.tax += line.tax;
    seen.quantity = quantity;
    seen.unitPrice = unitPrice;
  }
  return [...bySku.values()];
}

function address(a: ShopifyAddress) {
  return compact({
    name: clip(a.name ?? personName(a), 200),
    company: clip(a.company, 200),
    line1: a.address1,
    line2: a.address2,
    city: a.city,
    region: a.province_code ?? a.province,
    postalCode: a.zip,
    country: a.country_code?.toUpperCase(),
    phone: a.phone,
    latitude: a.latitude,
    longitude: a.longitude,
  });
}

const ADDRESS_FIELDS: Record<string, string> = {
  name: 'name',
  company: 'company',
  line1: 'address1',
  line2: 'address2',
  city: 'city',
  region: 'province_code',
  postalCode: 'zip',
  country: 'country_code',
  phone: 'phone',
  latitude: 'latitude',
  longitude: 'longitude',
};
const LINE_FIELDS: Record<string, string> = {
  sku: 'sku',
  name: 'name',
  quantity: 'quantity',
  unitPrice: 'price',
  discount: 'discount_allocations',
  tax: 'tax_lines',
};
const CUSTOMER_FIELDS: Record<string, string> = { id: 'customer.id', name: 'customer.first_name', email: 'email', phone: 'phone' };
const TOP_FIELDS: Record<string, string> = {
  channelOrderId: 'id',
  currency: 'currency',
  discounts: 'discount_applications',
  shippingAmount: 'shipping_lines',
  payment: 'financial_status',
  notes: 'note',
  tags: 'tags',
  placedAt: 'created_at',
};

// Canonical path (lines.0.sku) -> the Shopify field it came from (line_items.3.sku).
function shopifyPathOf(path: PropertyKey[], lines: { source?: number }[]): string {
  const [head, ...rest] = path.map(String);
  if (head === 'shippingAddress' || head === 'billingAddress') {
    const base = head === 'shippingAddress' ? 'shipping_address' : 'billing_address';
    return rest.length ? `${base}.${ADDRESS_FIELDS[rest[0]] ?? rest[0]}` : base;
  }
  if (head === 'lines') {
    if (rest.length === 0) return 'line_items';
    const source = lines[Number(rest[0])]?.source ?? rest[0];
    return rest[1] ? `line_items.${source}.${LINE_FIELDS[rest[1]] ?? rest[1]}` : `line_items.${source}`;
  }
  if (head === 'customer') return rest.length ? (CUSTOMER_FIELDS[rest[0]] ?? `customer.${rest[0]}`) : 'customer';
  if (head !== undefined && TOP_FIELDS[head]) return TOP_FIELDS[head];
  return path.map(String).join('.') || '(body)';
}

function unmappable(raw: unknown, problems: FieldProblem[]): ValidationError {
  const id = raw && typeof raw === 'object' && 'id' in raw ? String((raw as { id: unknown }).id) : 'without an id';
  const listed = problems.slice(0, 5).map((p) => `${p.path} ${p.message}`);
  if (problems.length > listed.length) listed.push(`and ${problems.length - listed.length} more`);
  return new ValidationError(`Shopify order ${id} cannot be mapped: ${listed.join('; ')}`, problems);
}

// zod says "Invalid input: expected string, received undefined" for an absent field.
function friendly(message: string): string {
  return /received (undefined|null)$/.test(message) ? 'is missing' : message;
}

function timestamp(value: string | undefined, path: string, problems: FieldProblem[]): string | undefined {
  if (value === undefined) return undefined;
  const at = Date.parse(value);
  if (Number.isNaN(at)) {
    problems.push({ path, message: 'is not a timestamp' });
    return undefined;
  }
  return new Date(at).toISOString();
}

function personName(p: { first_name?: string; last_name?: string } | null | undefined): string | undefined {
  const name = [p?.first_name, p?.last_name].filter(Boolean).join(' ').trim();
  return name || undefined;
}

// Tags are labels, not order data: an over-long or 51st tag is trimmed rather than failing the order.
function tagsOf(tags: string | undefined): string[] {
  const unique = new Set(
    (tags ?? '')
      .split(',')
      .map((t) => t.trim().slice(0, 64))
      .filter(Boolean),
  );
  return [...unique].slice(0, 50);
}

function withCode(code: string | undefined, amount: number): OrderInput['discounts'][number] {
  return code ? { code, amount } : { amount };
}

function clip(text: string | undefined, max: number): string | undefined {
  return text === undefined ? undefined : text.slice(0, max);
}

function dedupe(problems: FieldProblem[]): FieldProblem[] {
  const seen = new Set<string>();
  return problems.filter((p) => !seen.has(p.path) && seen.add(p.path));
}

// Strict canonical objects: drop keys whose value is undefined rather than sending them.
function compact<T extends Record<string, unknown>>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
