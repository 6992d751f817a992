import { z } from 'zod';
import { ValidationError, type FieldProblem } from '../../domain/errors';
import type { ChannelOrder } from '../types';
import { numericIdOf } from './client';
import { mapShopifyOrder } from './mapper';
import { currentQuantities } from './webhooks';

// An order as the GraphQL Admin API's `orders` query returns it (the fields below), mapped to the same
// ChannelOrder the REST/webhook mapper gives for the same order: the GraphQL node is restated in the REST
// shape and mapped by mapShopifyOrder, so a polled order and a webhook for it never differ. Problems are
// named by the GraphQL fields (lineItems.nodes.1.sku), not the REST ones.

// Shopify charges a connection its size times its node's cost (a line item with its money, allocations and
// taxes about 10 points), and refuses a query asking for more than 1,000. So a page carries 10 lines an
// order; an order with more has the rest read by a query of its own (see index.ts).
export const LINES_PER_ORDER = 10;

const MONEY = 'shopMoney { amount currencyCode }';
const TAX_LINES = `taxLines { priceSet { ${MONEY} } rate title }`;
const ALLOCATIONS = `discountAllocations { allocatedAmountSet { ${MONEY} } discountApplication { index } }`;
const ADDRESS = 'firstName lastName name company address1 address2 city province provinceCode zip countryCodeV2 phone latitude longitude';
export const LINE_ITEM_FIELDS = `id sku name title quantity currentQuantity originalUnitPriceSet { ${MONEY} } ${ALLOCATIONS} ${TAX_LINES}`;

export const ORDER_FIELDS = `
  id legacyResourceId name email phone createdAt updatedAt cancelledAt cancelReason currencyCode
  displayFinancialStatus paymentGatewayNames tags note taxesIncluded
  totalDiscountsSet { ${MONEY} }
  customer { id firstName lastName defaultEmailAddress { emailAddress } defaultPhoneNumber { phoneNumber } }
  shippingAddress { ${ADDRESS} }
  billingAddress { ${ADDRESS} }
  lineItems(first: ${LINES_PER_ORDER}) { nodes { ${LINE_ITEM_FIELDS} } pageInfo { hasNextPage endCursor } }
  shippingLines(first: 5) { nodes { originalPriceSet { ${MONEY} } ${ALLOCATIONS} ${TAX_LINES} } }
  discountApplications(first: 10) {
    nodes { index ... on DiscountCodeApplication { code } ... on ManualDiscountApplication { title } ... on AutomaticDiscountApplication { title } ... on ScriptDiscountApplication { title } }
  }`;

const text = z.string().nullish();
const moneyBag = z.looseObject({ shopMoney: z.looseObject({ amount: z.string(), currencyCode: z.string().nullish() }) });
const allocations = z.array(
  z.looseObject({ allocatedAmountSet: moneyBag, discountApplication: z.looseObject({ index: z.number().int() }).nullish() }),
);
const taxLines = z.array(z.looseObject({ priceSet: moneyBag }));
const address = z
  .looseObject({
    firstName: text,
    lastName: text,
    name: text,
    company: text,
    address1: text,
    address2: text,
    city: text,
    province: text,
    provinceCode: text,
    zip: text,
    countryCodeV2: text,
    phone: text,
    latitude: z.number().nullish(),
    longitude: z.number().nullish(),
  })
  .nullish();
const gid = (type: string) =>
  z.string().refine((v) => numericIdOf(v, type) !== undefined, `must be a Shopify ${type} GID such as "gid://shopify/${type}/450789469"`);

export const lineItemNodeSchema = z.looseObject({
  sku: text,
  name: text,
  title: text,
  quantity: z.number().int(),
  currentQuantity: z.number().int().nullish(), // what is left after edits (0: removed), as webhooks' current_quantity
  originalUnitPriceSet: moneyBag,
  discountAllocations: allocations.nullish(),
  taxLines: taxLines.nullish(),
});

const graphqlOrderSchema = z.looseObject({
  id: gid('Order'),
  legacyResourceId: z.string().regex(/^\d+$/, 'must be the numeric order id').nullish(),
  name: text,
  email: text,
  phone: text,
  createdAt: text,
  updatedAt: text,
  cancelledAt: text,
  cancelReason: text,
  currencyCode: z.string(),
  displayFinancialStatus: text,
  paymentGatewayNames: z.array(z.string()).nullish(),
  tags: z.array(z.string()).nullish(),
  note: text,
  taxesIncluded: z.boolean().nullish(),
  totalDiscountsSet: moneyBag.nullish(),
  customer: z
    .looseObject({
      id: gid('Customer'),
      firstName: text,
      lastName: text,
      defaultEmailAddress: z.looseObject({ emailAddress: text }).nullish(),
      defaultPhoneNumber: z.looseObject({ phoneNumber: text }).nullish(),
    })
    .nullish(),
  shippingAddress: address,
  billingAddress: address,
  lineItems: z.looseObject({ nodes: z.array(lineItemNodeSchema) }),
  shippingLines: z
    .looseObject({
      nodes: z.array(
        z.looseObject({ originalPriceSet: moneyBag, discountAllocations: allocations.nullish(), taxLines: taxLines.nullish() }),
      ),
    })
    .nullish(),
  discountApplications: z
    .looseObject({ nodes: z.array(z.looseObject({ index: z.number().int().nullish(), code: text, title: text })) })
    .nullish(),
});
type GraphqlOrder = z.infer<typeof graphqlOrderSchema>;
type GraphqlAddress = NonNullable<GraphqlOrder['shippingAddress']>;

// A polled order node: a GraphQL Order (its id a GID) rather than a REST/webhook one (its id a number).
export function isGraphqlOrder(raw: unknown): boolean {
  return Boolean(
    raw && typeof raw === 'object' && typeof (raw as { id?: unknown }).id === 'string' && (raw as { id: string }).id.startsWith('gid://'),
  );
}

// The numeric id Orderhub keys the order by (order:<channel>:<id>), the same the webhook body carries.
export function graphqlOrderIdOf(raw: unknown): string | undefined {
  if (!raw || typeof raw !== 'object') return undefined;
  const { legacyResourceId, id } = raw as { legacyResourceId?: unknown; id?: unknown };
  if (typeof legacyResourceId === 'string' && /^\d+$/.test(legacyResourceId)) return legacyResourceId;
  return typeof id === 'string' ? numericIdOf(id, 'Order') : undefined;
}

export function mapShopifyGraphqlOrder(raw: unknown, channel: string): ChannelOrder {
  const parsed = graphqlOrderSchema.safeParse(raw);
  const id = graphqlOrderIdOf(raw) ?? 'without an id';
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => ({
      path: issue.path.map(String).join('.') || '(body)',
      message: /received (undefined|null)$/.test(issue.message) ? 'is missing' : issue.message,
    }));
    throw unmappable(id, problems);
  }
  try {
    // Read by what is left after edits, exactly as a webhook is (webhooks.ts), so a poll never undoes an edit.
    return mapShopifyOrder(currentQuantities(restShapeOf(parsed.data)), channel);
  } catch (err) {
    if (!(err instanceof ValidationError)) throw err;
    throw unmappable(
      id,
      err.problems.map((p) => ({ ...p, path: graphqlPathOf(p.path) })),
    );
  }
}

// The GraphQL order in the REST Order resource's shape, field for field, ids as exact strings.
function restShapeOf(o: GraphqlOrder): Record<string, unknown> {
  const amount = (bag: { shopMoney: { amount: string } } | null | undefined) => bag?.shopMoney.amount;
  const allocationsOf = (list: z.infer<typeof allocations> | null | undefined) =>
    (list ?? []).map((a) => ({ amount: amount(a.allocatedAmountSet), discount_application_index: a.discountApplication?.index ?? null }));
  const taxLinesOf = (list: z.infer<typeof taxLines> | null | undefined) => (list ?? []).map((t) => ({ price: amount(t.priceSet) }));
  const applications: { code?: string; title?: string }[] = [];
  for (const app of o.discountApplications?.nodes ?? []) {
    const at = app.index ?? applications.length;
    applications[at] = { ...(app.code && { code: app.code }), ...(app.title && { title: app.title }) };
  }
  return {
    id: graphqlOrderIdOf(o),
    name: o.name,
    email: o.email,
    phone: o.phone,
    currency: o.currencyCode,
    created_at: o.createdAt,
    updated_at: o.updatedAt,
    cancelled_at: o.cancelledAt,
    cancel_reason: o.cancelReason?.toLowerCase(),
    financial_status: o.displayFinancialStatus?.toLowerCase(),
    payment_gateway_names: o.paymentGatewayNames ?? [],
    tags: (o.tags ?? []).join(', '),
    note: o.note,
    taxes_included: o.taxesIncluded,
    total_discounts: amount(o.totalDiscountsSet),
    customer: o.customer && {
      id: numericIdOf(o.customer.id, 'Customer'),
      first_name: o.customer.firstName,
      last_name: o.customer.lastName,
      email: o.customer.defaultEmailAddress?.emailAddress,
      phone: o.customer.defaultPhoneNumber?.phoneNumber,
    },
    shipping_address: o.shippingAddress && restAddress(o.shippingAddress),
    billing_address: o.billingAddress && restAddress(o.billingAddress),
    line_items: o.lineItems.nodes.map((li) => ({
      sku: li.sku,
      name: li.name,
      title: li.title,
      quantity: li.quantity,
      ...(typeof li.currentQuantity === 'number' && { current_quantity: li.currentQuantity }),
      price: amount(li.originalUnitPriceSet),
      discount_allocations: allocationsOf(li.discountAllocations),
      tax_lines: taxLinesOf(li.taxLines),
    })),
    shipping_lines: (o.shippingLines?.nodes ?? []).map((sl) => ({
      price: amount(sl.originalPriceSet),
      discount_allocations: allocationsOf(sl.discountAllocations),
      tax_lines: taxLinesOf(sl.taxLines),
    })),
    discount_applications: Array.from(applications, (a) => a ?? {}),
  };
}

function restAddress(a: GraphqlAddress): Record<string, unknown> {
  return {
    first_name: a.firstName,
    last_name: a.lastName,
    name: a.name,
    company: a.company,
    address1: a.address1,
    address2: a.address2,
    city: a.city,
    province: a.province,
    province_code: a.provinceCode,
    zip: a.zip,
    country_code: a.countryCodeV2,
    phone: a.phone,
    latitude: a.latitude,
    longitude: a.longitude,
  };
}

const ADDRESS_FIELDS: Record<string, string> = {
  first_name: 'firstName',
  last_name: 'lastName',
  address1: 'address1',
  address2: 'address2',
  province_code: 'provinceCode',
  country_code: 'countryCodeV2',
};
const LINE_FIELDS: Record<string, string> = {
  price: 'originalUnitPriceSet.shopMoney.amount',
  discount_allocations: 'discountAllocations',
  tax_lines: 'taxLines',
};
const TOP_FIELDS: Record<string, string> = {
  id: 'legacyResourceId',
  currency: 'currencyCode',
  created_at: 'createdAt',
  updated_at: 'updatedAt',
  financial_status: 'displayFinancialStatus',
  total_discounts: 'totalDiscountsSet.shopMoney.amount',
  discount_applications: 'discountApplications',
  shipping_lines: 'shippingLines',
  note: 'note',
  tags: 'tags',
};

// line_items.3.sku -> lineItems.nodes.3.sku; shipping_address.zip -> shippingAddress.zip; customer.first_name -> customer.firstName
export function graphqlPathOf(restPath: string): string {
  const [head, ...rest] = restPath.split('.');
  const allocation = (tail: string[]) =>
    tail[0] === 'discount_allocations'
      ? ['discountAllocations', ...tail.slice(1, 2), ...(tail.length > 2 ? ['allocatedAmountSet.shopMoney.amount'] : [])]
      : tail[0] === 'tax_lines'
        ? ['taxLines', ...tail.slice(1, 2), ...(tail.length > 2 ? ['priceSet.shopMoney.amount'] : [])]
        : [LINE_FIELDS[tail[0]] ?? tail[0], ...tail.slice(1)];
  if (head === 'line_items')
    return ['lineItems.nodes', ...rest.slice(0, 1), ...(rest.length > 1 ? allocation(rest.slice(1)) : [])].join('.');
  if (head === 'shipping_lines') {
    const tail = rest.slice(1);
    const mapped = tail[0] === 'price' ? ['originalPriceSet.shopMoney.amount'] : tail.length ? allocation(tail) : [];
    return ['shippingLines.nodes', ...rest.slice(0, 1), ...mapped].join('.');
  }
  if (head === 'shipping_address' || head === 'billing_address') {
    const base = head === 'shipping_address' ? 'shippingAddress' : 'billingAddress';
    return rest.length ? `${base}.${ADDRESS_FIELDS[rest[0]] ?? rest[0]}` : base;
  }
  if (head === 'customer') return rest.length ? `customer.${ADDRESS_FIELDS[rest[0]] ?? rest[0]}` : 'customer';
  return TOP_FIELDS[head] !== undefined ? [TOP_FIELDS[head], ...rest].join('.') : restPath;
}

function unmappable(id: string, problems: FieldProblem[]): ValidationError {
  const listed = problems.slice(0, 5).map((p) => `${p.path} ${p.message}`);
  if (problems.length > listed.length) listed.push(`and ${problems.length - listed.length} more`);
  return new ValidationError(`Shopify order ${id} cannot be mapped: ${listed.join('; ')}`, problems);
}
