// One Shopify shop as its GraphQL Admin API answers the calls Orderhub makes, shared by the stand-ins
// (bench/fake-shopify.ts, bench/drills/upstreams.ts) and the nock helpers in test/support:
// - stock: productVariants by sku, nodes(ids:) for available quantities, and inventorySetQuantities, which
//   checks every changeFromQuantity and applies a batch whole or not at all;
// - catalogue: productVariants pages (no search query) over the ProductVariant nodes in `variantNodes`, each
//   with its selling plan groups as the test gives them;
// - orders: the orders query with cursor pagination, order(id:) with its fulfillments and fulfillment
//   orders, fulfillmentCreate and orderCancel (with userErrors as Shopify gives them);
// - cost: every answer carries extensions.cost with throttleStatus from a leaky bucket of the shop's plan,
//   and a query that does not fit what is left is answered THROTTLED, as Shopify does.
// Ids are strings of digits and may be past 2^53; GIDs are gid://shopify/<Type>/<digits>.

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- GraphQL variables, read field by field
type Json = Record<string, any>;

export interface ShopPlan {
  maximumAvailable: number;
  restoreRate: number;
}
// Shopify's documented figures: Standard restores 100 points a second, Plus 1,000.
export const STANDARD_PLAN: ShopPlan = { maximumAvailable: 2_000, restoreRate: 100 };
export const PLUS_PLAN: ShopPlan = { maximumAvailable: 20_000, restoreRate: 1_000 };

export interface SetQuantity {
  inventoryItemId: string;
  locationId: string;
  quantity: number;
  changeFromQuantity: number | null;
}

export interface ShopFulfillmentOrder {
  id: string; // GID
  status: 'OPEN' | 'IN_PROGRESS' | 'CLOSED' | 'CANCELLED' | 'ON_HOLD';
  locationId: string; // GID
  lineItems: { id: string; lineItemId: string; sku: string; remainingQuantity: number }[];
}

export interface ShopOrder {
  id: string; // numeric, as a string
  cancelledAt: string | null;
  cancelReason?: string;
  fulfillmentOrders: ShopFulfillmentOrder[];
  fulfillments: { id: string; status: string; trackingNumber: string; company: string; at: number }[];
  // Money: what the customer paid (one SALE transaction, in cents of the shop's currency) and the refunds
  // made against it, each with its note, amount and line items.
  currencyCode: string;
  paidCents: number;
  saleId: string; // GID
  lines: { lineItemId: string; sku: string; quantity: number }[];
  refunds: { id: string; note: string | null; cents: number; lines: { lineItemId: string; quantity: number }[]; key?: string }[];
}

export interface ShopCall {
  operation: string; // the root field answered: orders, fulfillmentCreate, inventorySetQuantities, ...
  query: string;
  variables: Json;
  throttled: boolean;
  at: number;
}

export interface ShopOptions {
  plan?: ShopPlan;
  // Which skus the shop has a variant for (default: all of them), and the inventory item id of each.
  knows?: (sku: string) => boolean;
  variants?: Record<string, string>; // sku -> inventory item GID, fixed ids (else ids are given out)
  firstId?: bigint; // where given-out ids start (past 2^53 by default, as Shopify's own test payloads)
  // Runs before a set is checked: a sale Shopify records meanwhile.
  beforeSet?: (levels: Map<string, number>) => void;
  // Each quantity a successful set applied, with its sku.
  onApplied?: (q: SetQuantity, sku: string | undefined, at: number) => void;
}

const MAX_QUERY_COST = 1_000;

export class ShopifyShop {
  readonly levels = new Map<string, number>(); // `${itemGid}|${locationGid}` -> available
  readonly orders = new Map<string, ShopOrder>();
  readonly calls: ShopCall[] = [];
  // GraphQL Order nodes the orders query pages through (sorted by updatedAt as given).
  readonly orderNodes: Json[] = [];
  // GraphQL ProductVariant nodes the catalogue's productVariants query pages through, in the order given.
  readonly variantNodes: Json[] = [];
  plan: ShopPlan;
  private available: number;
  private refilledAt = Date.now();
  private nextId: bigint;
  private readonly items = new Map<string, string>(); // sku -> item GID
  private readonly skusByItem = new Map<string, string>();

  constructor(private readonly opts: ShopOptions = {}) {
    this.plan = opts.plan ?? STANDARD_PLAN;
    this.available = this.plan.maximumAvailable;
    this.nextId = opts.firstId ?? 9_007_199_254_740_993n;
    for (const [sku, gid] of Object.entries(opts.variants ?? {})) this.remember(sku, gid);
  }

  newId(): string {
    return String(this.nextId++);
  }

  itemOf(sku: string): string | undefined {
    const known = this.items.get(sku);
    if (known) return known;
    if (this.opts.variants || !(this.opts.knows ?? (() => true))(sku)) return undefined;
    const gid = `gid://shopify/InventoryItem/${this.newId()}`;
    this.remember(sku, gid);
    return gid;
  }

  skuOf(itemGid: string): string | undefined {
    return this.skusByItem.get(itemGid);
  }

  /** The shop takes an order: one open fulfillment order at `locationId` over its lines. */
  placeOrder(
    id: string,
    lines: { sku: string; quantity: number; lineItemId?: string }[],
    locationId: string,
    money: { currencyCode?: string; paidCents?: number } = {},
  ): ShopOrder {
    const withIds = lines.map((l) => ({ ...l, lineItemId: `gid://shopify/LineItem/${l.lineItemId ?? this.newId()}` }));
    const order: ShopOrder = {
      id,
      cancelledAt: null,
      fulfillments: [],
      currencyCode: money.currencyCode ?? 'EUR',
      paidCents: money.paidCents ?? 0,
      saleId: `gid://shopify/OrderTransaction/${this.newId()}`,
      lines: withIds.map((l) => ({ lineItemId: l.lineItemId, sku: l.sku, quantity: l.quantity })),
      refunds: [],
      fulfillmentOrders: [
        {
          id: `gid://shopify/FulfillmentOrder/${this.newId()}`,
          status: 'OPEN',
          locationId: locationId.startsWith('gid://') ? locationId : `gid://shopify/Location/${locationId}`,
          lineItems: withIds.map((l) => ({
            id: `gid://shopify/FulfillmentOrderLineItem/${this.newId()}`,
            lineItemId: l.lineItemId,
            sku: l.sku,
            remainingQuantity: l.quantity,
          })),
        },
      ],
    };
    this.orders.set(id, order);
    return order;
  }

  /** Answers one POST to /admin/api/<version>/graphql.json. `metered: false` skips the cost bucket. */
  graphql(body: unknown, opts: { metered?: boolean; now?: number } = {}): { status: number; body: unknown } {
    const now = opts.now ?? Date.now();
    const { query = '', variables = {} } = (body ?? {}) as { query?: string; variables?: Json };
    const operation = rootFieldOf(query, variables);
    const requested = this.requestedCost(operation, variables);
    this.refill(now);
    if (opts.metered !== false && requested > this.available) {
      this.calls.push({ operation, query, variables, throttled: true, at: now });
      return {
        status: 200,
        body: {
          errors: [{ message: 'Throttled', extensions: { code: 'THROTTLED', documentation: 'https://shopify.dev/api/usage/rate-limits' } }],
          extensions: { cost: { requestedQueryCost: requested, actualQueryCost: null, throttleStatus: this.status() } },
        },
      };
    }
    if (requested > MAX_QUERY_COST) {
      return {
        status: 200,
        body: {
          errors: [
            {
              message: `Query cost is ${requested}, which exceeds the single query max cost limit (${MAX_QUERY_COST}).`,
              extensions: { code: 'MAX_COST_EXCEEDED', cost: requested, maxCost: MAX_QUERY_COST },
            },
          ],
        },
      };
    }
    this.calls.push({ operation, query, variables, throttled: false, at: now });
    const { data, actual } = this.answer(operation, variables, requested, now);
    if (opts.metered !== false) this.available -= actual;
    return {
      status: 200,
      body: { data, extensions: { cost: { requestedQueryCost: requested, actualQueryCost: actual, throttleStatus: this.status() } } },
    };
  }

  /** Empties the bucket: the next query is THROTTLED (another app spent it). */
  drain(): void {
    this.refill(Date.now());
    this.available = 0;
  }

  private remember(sku: string, gid: string): void {
    this.items.set(sku, gid);
    this.skusByItem.set(gid, sku);
  }

  private refill(now: number): void {
    this.available = Math.min(this.plan.maximumAvailable, this.available + ((now - this.refilledAt) / 1000) * this.plan.restoreRate);
    this.refilledAt = now;
  }

  private status() {
    return { ...this.plan, currentlyAvailable: Math.floor(this.available) };
  }

  // Shopify's calculated cost, roughly: 1 an object, a connection 2 plus its size times its node's cost.
  private requestedCost(operation: string, v: Json): number {
    switch (operation) {
      case 'productVariants':
        return 2 + Number(v.first ?? 1) * 2;
      case 'nodes':
        return 1 + (Array.isArray(v.ids) ? v.ids.length : 1) * 3;
      case 'orders':
        return 2 + Number(v.first ?? 1) * 160;
      case 'order':
        return 300;
      case 'shop':
        return 1;
      default:
        return 10; // a mutation
    }
  }

  private answer(operation: string, v: Json, requested: number, now: number): { data: unknown; actual: number } {
    switch (operation) {
      case 'shop':
        return { data: { shop: { name: 'Orderhub stand-in', myshopifyDomain: 'orderhub-stand-in.myshopify.com' } }, actual: 1 };
      case 'productVariants': {
        if (typeof v.query !== 'string') return this.variantsPage(v);
        // query: sku:"A" OR sku:"B" -> one variant per sku the shop has, each with its inventory item.
        const skus = [...String(v.query ?? '').matchAll(/sku:"((?:[^"\\]|\\.)*)"/g)].map((m) => m[1].replace(/\\(.)/g, '$1'));
        const nodes = skus.flatMap((sku) => {
          const item = this.itemOf(sku);
          return item ? [{ sku, inventoryItem: { id: item } }] : [];
        });
        return { data: { productVariants: { nodes } }, actual: 2 + nodes.length * 2 };
      }
      case 'nodes': {
        const nodes = (v.ids as string[]).map((id) => {
          const available = this.levels.get(`${id}|${v.locationId}`);
          return { id, inventoryLevel: available === undefined ? null : { quantities: [{ name: 'available', quantity: available }] } };
        });
        return { data: { nodes }, actual: requested };
      }
      case 'inventorySetQuantities':
        return { data: { inventorySetQuantities: { userErrors: this.set(v.input.quantities as SetQuantity[], now) } }, actual: 10 };
      case 'orders':
        return this.ordersPage(v);
      case 'order':
        return { data: { order: this.orderState(String(v.id)) }, actual: 20 };
      case 'fulfillmentCreate':
        return { data: { fulfillmentCreate: this.fulfil(v.fulfillment as Json, now) }, actual: 10 };
      case 'orderCancel':
        return { data: { orderCancel: this.cancel(v as Json, now) }, actual: 10 };
      case 'refundCreate':
        return { data: { refundCreate: this.refund(v.input as Json, String(v.idempotencyKey ?? '')) }, actual: 10 };
      default:
        return { data: null, actual: 1 };
    }
  }

  private set(quantities: SetQuantity[], now: number) {
    this.opts.beforeSet?.(this.levels);
    const userErrors = quantities.flatMap((q, i) => {
      const path = ['input', 'quantities', String(i)];
      if (!this.skusByItem.has(q.inventoryItemId))
        return [{ field: path, message: 'The specified inventory item could not be found.', code: 'INVALID_INVENTORY_ITEM' }];
      const held = this.levels.get(`${q.inventoryItemId}|${q.locationId}`) ?? null;
      return held === q.changeFromQuantity
        ? []
        : [{ field: [...path, 'changeFromQuantity'], message: 'The quantity has changed', code: 'CHANGE_FROM_QUANTITY_STALE' }];
    });
    if (userErrors.length > 0) return userErrors;
    for (const q of quantities) {
      this.levels.set(`${q.inventoryItemId}|${q.locationId}`, q.quantity);
      this.opts.onApplied?.(q, this.skusByItem.get(q.inventoryItemId), now);
    }
    return [];
  }

  private ordersPage(v: Json): { data: unknown; actual: number } {
    const first = Number(v.first ?? 50);
    const from = v.after ? Number(Buffer.from(String(v.after), 'base64url').toString('utf8')) : 0;
    const since = /updated_at:>='([^']+)'/.exec(String(v.query ?? ''))?.[1];
    const matching = this.orderNodes.filter((o) => since === undefined || Date.parse(o.updatedAt) >= Date.parse(since));
    const nodes = matching.slice(from, from + first);
    const hasNextPage = from + first < matching.length;
    const endCursor = nodes.length ? Buffer.from(String(from + nodes.length)).toString('base64url') : null;
    return { data: { orders: { nodes, pageInfo: { hasNextPage, endCursor } } }, actual: 2 + nodes.length * 30 };
  }

  private variantsPage(v: Json): { data: unknown; actual: number } {
    const first = Number(v.first ?? 50);
    const from = v.after ? Number(Buffer.from(String(v.after), 'base64url').toString('utf8')) : 0;
    const nodes = this.variantNodes.slice(from, from + first);
    const hasNextPage = from + first < this.variantNodes.length;
    const endCursor = nodes.length ? Buffer.from(String(from + nodes.length)).toString('base64url') : null;
    return { data: { productVariants: { nodes, pageInfo: { hasNextPage, endCursor } } }, actual: 2 + nodes.length * 4 };
  }

  private orderState(gid: string) {
    const order = this.orders.get(gid.replace(/^gid:\/\/shopify\/Order\//, ''));
    if (!order) return null;
    const refundedCents = order.refunds.reduce((t, r) => t + r.cents, 0);
    const refundedOf = (lineItemId: string) =>
      order.refunds.reduce((t, r) => t + r.lines.filter((l) => l.lineItemId === lineItemId).reduce((q, l) => q + l.quantity, 0), 0);
    return {
      id: `gid://shopify/Order/${order.id}`,
      currencyCode: order.currencyCode,
      presentmentCurrencyCode: order.currencyCode,
      refunds: order.refunds.map((r) => ({ id: r.id, note: r.note })),
      transactions: [
        {
          id: order.saleId,
          kind: 'SALE',
          status: 'SUCCESS',
          gateway: 'manual',
          maximumRefundableV2: { amount: ((order.paidCents - refundedCents) / 100).toFixed(2), currencyCode: order.currencyCode },
        },
      ],
      lineItems: {
        nodes: order.lines.map((l) => ({ id: l.lineItemId, sku: l.sku, refundableQuantity: l.quantity - refundedOf(l.lineItemId) })),
        pageInfo: { hasNextPage: false, endCursor: null },
      },
      cancelledAt: order.cancelledAt,
      fulfillments: order.fulfillments.map((f) => ({
        id: f.id,
        status: f.status,
        trackingInfo: [{ number: f.trackingNumber, company: f.company }],
      })),
      fulfillmentOrders: {
        nodes: order.fulfillmentOrders.map((fo) => ({
          id: fo.id,
          status: fo.status,
          supportedActions:
            fo.status === 'OPEN' || fo.status === 'IN_PROGRESS' ? [{ action: 'CREATE_FULFILLMENT' }, { action: 'MOVE' }] : [],
          assignedLocation: { location: { id: fo.locationId } },
          lineItems: {
            nodes: fo.lineItems.map((li) => ({
              id: li.id,
              remainingQuantity: li.remainingQuantity,
              lineItem: { id: li.lineItemId, sku: li.sku },
            })),
          },
        })),
      },
    };
  }

  // refundCreate: line items within what is left to refund, money within the sale's refundable amount;
  // the same idempotency key answers the refund it made.
  private refund(input: Json, key: string) {
    const order = this.orders.get(String(input.orderId).replace(/^gid:\/\/shopify\/Order\//, ''));
    if (!order) return { refund: null, userErrors: [{ field: ['orderId'], message: 'Order does not exist' }] };
    const again = key ? order.refunds.find((r) => r.key === key) : undefined;
    if (again) return { refund: { id: again.id, note: again.note }, userErrors: [] };
    const cents = ((input.transactions ?? []) as Json[]).reduce((t, tx) => t + Math.round(Number(tx.amount) * 100), 0);
    const left = order.paidCents - order.refunds.reduce((t, r) => t + r.cents, 0);
    if (cents > left) return { refund: null, userErrors: [{ field: ['transactions'], message: 'Amount exceeds the refundable amount' }] };
    const refund = {
      id: `gid://shopify/Refund/${this.newId()}`,
      note: (input.note as string | undefined) ?? null,
      cents,
      lines: ((input.refundLineItems ?? []) as Json[]).map((l) => ({ lineItemId: String(l.lineItemId), quantity: Number(l.quantity) })),
      ...(key && { key }),
    };
    order.refunds.push(refund);
    return { refund: { id: refund.id, note: refund.note }, userErrors: [] };
  }

  private fulfil(input: Json, now: number) {
    const groups = (input.lineItemsByFulfillmentOrder ?? []) as {
      fulfillmentOrderId: string;
      fulfillmentOrderLineItems?: { id: string; quantity: number }[];
    }[];
    const order = [...this.orders.values()].find((o) =>
      o.fulfillmentOrders.some((fo) => groups.some((g) => g.fulfillmentOrderId === fo.id)),
    );
    if (!order) return { fulfillment: null, userErrors: [{ field: ['fulfillment'], message: 'Fulfillment order does not exist.' }] };
    const errors: { field: string[]; message: string }[] = [];
    for (const [i, g] of groups.entries()) {
      const fo = order.fulfillmentOrders.find((f) => f.id === g.fulfillmentOrderId);
      if (!fo || (fo.status !== 'OPEN' && fo.status !== 'IN_PROGRESS'))
        errors.push({ field: ['fulfillment', 'lineItemsByFulfillmentOrder', String(i)], message: 'Fulfillment order is not open.' });
      for (const item of g.fulfillmentOrderLineItems ?? []) {
        const li = fo?.lineItems.find((l) => l.id === item.id);
        if (!li || item.quantity > li.remainingQuantity)
          errors.push({
            field: ['fulfillment', 'lineItemsByFulfillmentOrder', String(i)],
            message: 'Invalid fulfillment order line item quantity requested.',
          });
      }
    }
    if (errors.length > 0) return { fulfillment: null, userErrors: errors };
    for (const g of groups) {
      const fo = order.fulfillmentOrders.find((f) => f.id === g.fulfillmentOrderId)!;
      for (const item of g.fulfillmentOrderLineItems ?? fo.lineItems.map((l) => ({ id: l.id, quantity: l.remainingQuantity }))) {
        const li = fo.lineItems.find((l) => l.id === item.id)!;
        li.remainingQuantity -= item.quantity;
      }
      fo.status = fo.lineItems.every((l) => l.remainingQuantity === 0) ? 'CLOSED' : 'IN_PROGRESS';
    }
    const fulfillment = {
      id: `gid://shopify/Fulfillment/${this.newId()}`,
      status: 'SUCCESS',
      trackingNumber: String(input.trackingInfo?.number ?? ''),
      company: String(input.trackingInfo?.company ?? ''),
      at: now,
    };
    order.fulfillments.push(fulfillment);
    return { fulfillment: { id: fulfillment.id, status: fulfillment.status }, userErrors: [] };
  }

  private cancel(v: Json, now: number) {
    const order = this.orders.get(String(v.orderId).replace(/^gid:\/\/shopify\/Order\//, ''));
    if (!order) return { job: null, orderCancelUserErrors: [{ field: ['orderId'], message: 'Order does not exist.', code: 'NOT_FOUND' }] };
    if (order.cancelledAt)
      return {
        job: null,
        orderCancelUserErrors: [
          { field: ['orderId'], message: 'Cannot cancel an order that has already been cancelled.', code: 'INVALID' },
        ],
      };
    order.cancelledAt = new Date(now).toISOString();
    order.cancelReason = String(v.reason ?? 'OTHER');
    return { job: { id: `gid://shopify/Job/${this.newId()}`, done: false }, orderCancelUserErrors: [] };
  }
}

// The root field a query asks for; a query without one the stand-in knows (the bench's baseline) by its variables.
function rootFieldOf(query: string, variables: Json): string {
  for (const [field, pattern] of [
    ['inventorySetQuantities', /\binventorySetQuantities\s*\(/],
    ['fulfillmentCreate', /\bfulfillmentCreate\s*\(/],
    ['orderCancel', /\borderCancel\s*\(/],
    ['refundCreate', /\brefundCreate\s*\(/],
    ['productVariants', /\bproductVariants\s*\(/],
    ['nodes', /\bnodes\s*\(\s*ids\s*:/],
    ['orders', /\borders\s*\(/],
    ['order', /\border\s*\(\s*id\s*:/],
    ['shop', /\bshop\s*\{/],
  ] as const)
    if (pattern.test(query)) return field;
  if (typeof variables.query === 'string') return 'productVariants';
  if (Array.isArray(variables.ids)) return 'nodes';
  if (variables.input?.quantities) return 'inventorySetQuantities';
  return 'unknown';
}
