import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ShopifyShop, STANDARD_PLAN } from '../shopify-shop';

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

export const SHOPIFY_LOCATION_ID = '655441491';
const LOCATION_GID = `gid://shopify/Location/${SHOPIFY_LOCATION_ID}`;

// Each shop is a Standard shop as its GraphQL Admin API answers (bench/shopify-shop.ts): stock, orders,
// fulfillmentCreate, orderCancel, a cost bucket with THROTTLED when empty, ids past 2^53. REST is not
// answered: the connector no longer speaks it.
export class FakeShopify extends FakeUpstream {
  private readonly shops = new Map<string, ShopifyShop>();

  constructor(private readonly knows: (sku: string) => boolean) {
    super();
  }

  baseUrl(shop: string): string {
    return `http://127.0.0.1:${this.port}/${shop}`;
  }

  shop(id: string): ShopifyShop {
    let shop = this.shops.get(id);
    if (!shop) {
      // Each shop gives out ids of its own, all past 2^53.
      shop = new ShopifyShop({
        plan: STANDARD_PLAN,
        knows: this.knows,
        firstId: 9_007_199_254_740_993n + BigInt(this.shops.size) * 10n ** 12n,
      });
      this.shops.set(id, shop);
    }
    return shop;
  }

  /** The shop takes an order: the orders/create webhook body, as Shopify writes it (ids as bare JSON numbers). */
  placeOrder(shopId: string, id: string, lines: ShopifyLine[], payment: 'paid' | 'cod'): string {
    const shop = this.shop(shopId);
    const lineItems = lines.map((l) => ({ id: shop.newId(), sku: l.sku, quantity: l.quantity }));
    shop.placeOrder(
      id,
      lineItems.map((li) => ({ sku: li.sku, quantity: li.quantity, lineItemId: li.id })),
      LOCATION_GID,
    );
    const now = new Date().toISOString();
    const body = {
      id,
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
      customer: { id: shop.newId(), email: 'drill@example.com', first_name: 'Ada', last_name: 'Lovelace' },
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
    // Shopify writes its 64-bit ids as bare numbers, past what JavaScript numbers hold exactly.
    return JSON.stringify(body).replace(/"id":"(\d+)"/g, '"id":$1');
  }

  /** Successful fulfillments per order (more than one is a shipment reported twice). */
  fulfillmentsOf(id: string): number {
    let n = 0;
    for (const shop of this.shops.values()) n += shop.orders.get(id)?.fulfillments.filter((f) => f.status === 'SUCCESS').length ?? 0;
    return n;
  }

  /** The latest available quantity of `sku` at the Shopify location, in whichever shop holds it. */
  levelOf(sku: string, location = SHOPIFY_LOCATION_ID): number | undefined {
    for (const shop of this.shops.values()) {
      const item = shop.itemOf(sku);
      const level = item === undefined ? undefined : shop.levels.get(`${item}|gid://shopify/Location/${location}`);
      if (level !== undefined) return level;
    }
    return undefined;
  }

  protected handle: Handler = (req, fullPath, body) => {
    const match = /^\/([a-z0-9_-]+)\/admin\/api\/\d{4}-\d{2}\/graphql\.json$/.exec(fullPath);
    if (!match || req.method !== 'POST') return { status: 404, body: { errors: 'Not Found' } };
    return this.shop(match[1]).graphql(body);
  };
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
