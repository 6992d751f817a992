import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

// Local stand-ins for the outside world the drills talk to: a Shopify Admin API (several shops on one
// server, told apart by the first path segment) and the generic ERP of connectors/erp. Both record every
// call and can be switched into an outage in which they answer 500 and 429 in turn.

export interface RecordedCall {
  at: number;
  method: string;
  path: string;
  status: number;
}

type Handler = (req: IncomingMessage, path: string, body: unknown) => { status: number; body?: unknown; headers?: Record<string, string> };

abstract class FakeUpstream {
  readonly calls: RecordedCall[] = [];
  private server?: http.Server;
  private outageSince?: number;
  private failures = 0;
  port = 0;

  protected abstract handle: Handler;

  async listen(): Promise<void> {
    this.server = http.createServer((req, res) => void this.serve(req, res));
    this.server.keepAliveTimeout = 5_000;
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }

  /** From now on every call is answered 500 or 429 (with Retry-After: 1), alternately; nothing is applied. */
  startOutage(): void {
    this.outageSince = Date.now();
  }

  endOutage(): void {
    this.outageSince = undefined;
  }

  /** The first call answered 2xx at or after `since`. */
  firstSuccessAfter(since: number, filter: (c: RecordedCall) => boolean = () => true): number | undefined {
    return this.calls.find((c) => c.at >= since && c.status < 300 && filter(c))?.at;
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const url = new URL(req.url ?? '/', 'http://local');
    let status: number;
    let body: unknown;
    let headers: Record<string, string> = {};
    if (this.outageSince !== undefined) {
      status = this.failures++ % 2 === 0 ? 500 : 429;
      body =
        status === 429
          ? { errors: 'Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted service.' }
          : { errors: 'Internal Server Error' };
      if (status === 429) headers = { 'retry-after': '1.0' };
    } else {
      let parsed: unknown;
      try {
        parsed = chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : undefined;
      } catch {
        parsed = undefined;
      }
      try {
        ({ status, body, headers = {} } = this.handle(req, url.pathname, parsed));
      } catch (err) {
        status = 500;
        body = { errors: String(err) };
      }
    }
    this.calls.push({ at: Date.now(), method: req.method ?? 'GET', path: url.pathname, status });
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(body === undefined ? '' : JSON.stringify(body));
  }
}

// ---- Shopify --------------------------------------------------------------------------------------------

export interface ShopifyLine {
  sku: string;
  quantity: number;
}

interface ShopOrder {
  shop: string;
  id: string;
  lineItems: { id: number; sku: string; quantity: number }[];
  fulfillmentOrder: {
    id: number;
    status: 'open' | 'closed';
    line_items: { id: number; line_item_id: number; fulfillable_quantity: number }[];
  };
  fulfillments: { id: number; status: 'success'; tracking_number: string; tracking_numbers: string[]; at: number }[];
  cancelledAt?: string;
}

export const SHOPIFY_LOCATION_ID = '655441491';

export class FakeShopify extends FakeUpstream {
  readonly orders = new Map<string, ShopOrder>();
  /** The latest absolute level per sku and Shopify location, as set through GraphQL (or inventory_levels/set.json). */
  readonly levels = new Map<string, { available: number; at: number }>();
  private readonly inventoryItems = new Map<string, number>();
  private readonly skusByItem = new Map<number, string>();
  private nextId = 1;

  constructor(private readonly knows: (sku: string) => boolean) {
    super();
  }

  baseUrl(shop: string): string {
    return `http://127.0.0.1:${this.port}/${shop}`;
  }

  /** The shop takes an order: what the orders/create webhook then carries. */
  placeOrder(shop: string, id: string, lines: ShopifyLine[], payment: 'paid' | 'cod'): Record<string, unknown> {
    const lineItems = lines.map((l) => ({ id: this.nextId++, sku: l.sku, quantity: l.quantity }));
    this.orders.set(id, {
      shop,
      id,
      lineItems,
      fulfillmentOrder: {
        id: this.nextId++,
        status: 'open',
        line_items: lineItems.map((li) => ({ id: this.nextId++, line_item_id: li.id, fulfillable_quantity: li.quantity })),
      },
      fulfillments: [],
    });
    const now = new Date().toISOString();
    return {
      id: Number(id),
      admin_graphql_api_id: `gid://shopify/Order/${id}`,
      name: `#D${id.slice(-6)}`,
      email: 'drill@example.com',
      created_at: now,
      updated_at: now,
      cancelled_at: null,
      currency: 'EUR',
      financial_status: payment === 'paid' ? 'paid' : 'pending',
      payment_gateway_names: [payment === 'paid' ? 'shopify_payments' : 'Cash on Delivery (COD)'],
      taxes_included: false,
      total_discounts: '0.00',
      customer: { id: 7012345678901, email: 'drill@example.com', first_name: 'Ada', last_name: 'Lovelace' },
      shipping_address: {
        first_name: 'Ada',
        last_name: 'Lovelace',
        name: 'Ada Lovelace',
        address1: 'Friedrichstrasse 43',
        city: 'Berlin',
        zip: '10117',
        country_code: 'DE',
      },
      line_items: lineItems.map((li) => ({
        id: li.id,
        sku: li.sku,
        name: li.sku,
        title: li.sku,
        quantity: li.quantity,
        price: '19.99',
        discount_allocations: [],
        tax_lines: [{ price: '3.80', rate: 0.19, title: 'MwSt' }],
      })),
      shipping_lines: [{ price: '4.90', discount_allocations: [], tax_lines: [] }],
      discount_applications: [],
    };
  }

  /** Successful fulfillments per order (more than one is a shipment reported twice). */
  fulfillmentsOf(id: string): number {
    return this.orders.get(id)?.fulfillments.length ?? 0;
  }

  levelOf(sku: string, location = SHOPIFY_LOCATION_ID): number | undefined {
    const item = this.inventoryItems.get(sku);
    return item === undefined ? undefined : this.levels.get(`${location}|${item}`)?.available;
  }

  protected handle: Handler = (req, fullPath, body) => {
    const match = /^\/([a-z0-9_-]+)\/admin\/api\/\d{4}-\d{2}(\/.*)$/.exec(fullPath);
    if (!match) return { status: 404, body: { errors: 'Not Found' } };
    const [, , path] = match;
    const method = req.method ?? 'GET';
    const b = (body ?? {}) as Record<string, unknown>;

    if (method === 'GET' && path === '/shop.json')
      return { status: 200, body: { shop: { name: match[1], myshopify_domain: `${match[1]}.myshopify.com` } } };
    if (method === 'GET' && path === '/orders.json') return { status: 200, body: { orders: [] } };

    if (method === 'POST' && path === '/graphql.json') return this.graphql((b.variables ?? {}) as Record<string, unknown>);
    if (method === 'POST' && path === '/inventory_levels/set.json') {
      const item = Number(b.inventory_item_id);
      if (!this.skusByItem.has(item)) return { status: 422, body: { errors: { inventory_item_id: ['not found'] } } };
      this.levels.set(`${b.location_id}|${item}`, { available: Number(b.available), at: Date.now() });
      return {
        status: 200,
        body: {
          inventory_level: {
            inventory_item_id: item,
            location_id: b.location_id,
            available: b.available,
            updated_at: new Date().toISOString(),
          },
        },
      };
    }

    let m = /^\/orders\/(\d+)\.json$/.exec(path);
    if (method === 'GET' && m) {
      const order = this.orders.get(m[1]);
      if (!order) return { status: 404, body: { errors: 'Not Found' } };
      return {
        status: 200,
        body: {
          order: {
            id: Number(order.id),
            cancelled_at: order.cancelledAt ?? null,
            line_items: order.lineItems.map((li) => ({ id: li.id, sku: li.sku, quantity: li.quantity })),
            fulfillments: order.fulfillments.map(({ at: _at, ...f }) => (void _at, f)),
          },
        },
      };
    }

    m = /^\/orders\/(\d+)\/fulfillment_orders\.json$/.exec(path);
    if (method === 'GET' && m) {
      const order = this.orders.get(m[1]);
      if (!order) return { status: 404, body: { errors: 'Not Found' } };
      const fo = order.fulfillmentOrder;
      return {
        status: 200,
        body: {
          fulfillment_orders: [
            {
              ...fo,
              assigned_location_id: Number(SHOPIFY_LOCATION_ID),
              supported_actions: fo.status === 'open' ? ['create_fulfillment'] : [],
            },
          ],
        },
      };
    }

    if (method === 'POST' && path === '/fulfillments.json') {
      const f = (b.fulfillment ?? {}) as {
        line_items_by_fulfillment_order?: { fulfillment_order_id: number }[];
        tracking_info?: { number?: string };
      };
      const foIds = (f.line_items_by_fulfillment_order ?? []).map((x) => x.fulfillment_order_id);
      const order = [...this.orders.values()].find((o) => foIds.includes(o.fulfillmentOrder.id));
      if (!order) return { status: 404, body: { errors: 'Not Found' } };
      if (order.fulfillmentOrder.status !== 'open') return { status: 422, body: { errors: ['Fulfillment order is closed'] } };
      order.fulfillmentOrder.status = 'closed';
      for (const li of order.fulfillmentOrder.line_items) li.fulfillable_quantity = 0;
      const tracking = f.tracking_info?.number ?? '';
      const fulfillment = {
        id: this.nextId++,
        status: 'success' as const,
        tracking_number: tracking,
        tracking_numbers: [tracking],
        at: Date.now(),
      };
      order.fulfillments.push(fulfillment);
      return {
        status: 201,
        body: { fulfillment: { id: fulfillment.id, order_id: Number(order.id), status: 'success', tracking_number: tracking } },
      };
    }

    m = /^\/orders\/(\d+)\/cancel\.json$/.exec(path);
    if (method === 'POST' && m) {
      const order = this.orders.get(m[1]);
      if (!order) return { status: 404, body: { errors: 'Not Found' } };
      order.cancelledAt ??= new Date().toISOString();
      return { status: 200, body: { order: { id: Number(order.id), cancelled_at: order.cancelledAt } } };
    }
    return { status: 404, body: { errors: 'Not Found' } };
  };

  // GraphQL as Shopify answers it for stock: sku -> inventory item, the current available quantities, and
  // inventorySetQuantities with changeFromQuantity checked (a batch applies whole or not at all).
  private graphql(variables: Record<string, unknown>): { status: number; body: unknown } {
    const cost = { requestedQueryCost: 10, throttleStatus: { maximumAvailable: 2000, currentlyAvailable: 1990, restoreRate: 100 } };
    const answer = (data: unknown) => ({ status: 200, body: { data, extensions: { cost } } });
    const idOf = (id: unknown) => Number(/(\d+)$/.exec(String(id))?.[1] ?? NaN);
    if (typeof variables.query === 'string') {
      const skus = [...variables.query.matchAll(/sku:"((?:[^"\\]|\\.)*)"/g)].map((m) => m[1].replace(/\\(.)/g, '$1'));
      const nodes = skus
        .filter(this.knows)
        .map((sku) => ({ sku, inventoryItem: { id: `gid://shopify/InventoryItem/${this.itemOf(sku)}` } }));
      return answer({ productVariants: { nodes } });
    }
    if (Array.isArray(variables.ids)) {
      const location = idOf(variables.locationId);
      const nodes = variables.ids.map((id) => {
        const level = this.levels.get(`${location}|${idOf(id)}`);
        return { id, inventoryLevel: level ? { quantities: [{ name: 'available', quantity: level.available }] } : null };
      });
      return answer({ nodes });
    }
    const { quantities } = variables.input as {
      quantities: { inventoryItemId: string; locationId: string; quantity: number; changeFromQuantity: number | null }[];
    };
    const userErrors = quantities.flatMap((q, i) => {
      const path = ['input', 'quantities', String(i)];
      if (!this.skusByItem.has(idOf(q.inventoryItemId)))
        return [{ field: path, message: 'The specified inventory item could not be found.', code: 'INVALID_INVENTORY_ITEM' }];
      const now = this.levels.get(`${idOf(q.locationId)}|${idOf(q.inventoryItemId)}`)?.available ?? null;
      return q.changeFromQuantity === now
        ? []
        : [{ field: [...path, 'changeFromQuantity'], message: 'The quantity has changed', code: 'CHANGE_FROM_QUANTITY_STALE' }];
    });
    if (userErrors.length === 0)
      for (const q of quantities)
        this.levels.set(`${idOf(q.locationId)}|${idOf(q.inventoryItemId)}`, { available: q.quantity, at: Date.now() });
    return answer({ inventorySetQuantities: { userErrors } });
  }

  private itemOf(sku: string): number {
    let id = this.inventoryItems.get(sku);
    if (id === undefined) {
      id = 808950000 + this.inventoryItems.size;
      this.inventoryItems.set(sku, id);
      this.skusByItem.set(id, sku);
    }
    return id;
  }
}

// ---- ERP ------------------------------------------------------------------------------------------------

export interface ErpDocument {
  key: string; // Idempotency-Key
  orderNumber: string;
  at: number;
}

export class FakeErp extends FakeUpstream {
  readonly salesOrders = new Map<string, ErpDocument>(); // by Idempotency-Key
  readonly invoices = new Map<string, ErpDocument>();

  baseUrl(): string {
    return `http://127.0.0.1:${this.port}/api/v1`;
  }

  /** Documents created per order number (more than one is a push done twice under different keys). */
  countFor(kind: 'salesOrders' | 'invoices', orderNumber: string): number {
    let n = 0;
    for (const d of this[kind].values()) if (d.orderNumber === orderNumber) n++;
    return n;
  }

  protected handle: Handler = (req, path, body) => {
    const method = req.method ?? 'GET';
    if (req.headers.authorization !== 'Bearer drill-erp-key') return { status: 401, body: { error: 'bad key' } };
    if (method === 'GET' && path === '/api/v1/ping') return { status: 200, body: { ok: true } };
    if (method === 'GET' && path === '/api/v1/stock-receipts') return { status: 200, body: { receipts: [], nextCursor: null } };
    const kind = path === '/api/v1/sales-orders' ? 'salesOrders' : path === '/api/v1/invoices' ? 'invoices' : undefined;
    if (method === 'POST' && kind) {
      const key = String(req.headers['idempotency-key'] ?? '');
      if (!key) return { status: 400, body: { error: 'Idempotency-Key is required' } };
      if (this[kind].has(key)) return { status: 409, body: { error: 'already applied' } };
      const b = (body ?? {}) as { number?: string; orderNumber?: string };
      const orderNumber = String(kind === 'salesOrders' ? b.number : b.orderNumber);
      this[kind].set(key, { key, orderNumber, at: Date.now() });
      return { status: 201, body: { id: `${kind === 'salesOrders' ? 'SO' : 'INV'}-${this[kind].size}` } };
    }
    return { status: 404, body: { error: 'not found' } };
  };
}
