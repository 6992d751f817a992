import { createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ShopifyShop } from '../../bench/shopify-shop';
import { nameOf, priceOf, shopifyOrderIdOf, type SampleOrder } from './sample';

// The demo's Shopify: one shop on 127.0.0.1 that answers Orderhub's calls to the GraphQL Admin API as
// Shopify does (bench/shopify-shop.ts: stock levels with changeFromQuantity, fulfillment orders,
// fulfillmentCreate, orderCancel, refundCreate, the cost bucket of a Standard plan), and that sends its
// orders to Orderhub as Shopify would: orders/create webhooks, signed with the app's secret.

export interface StandInOptions {
  shopDomain: string;
  webhookSecret: string;
  onlineLocationId: string; // the Shopify location its orders are fulfilled from
  log: (msg: string) => void;
}

export interface ShopCallSummary {
  inventoryUpdates: number;
  fulfillments: number;
  cancellations: number;
  refunds: number;
}

export class ShopifyStandIn {
  readonly shop: ShopifyShop;
  readonly received: ShopCallSummary = { inventoryUpdates: 0, fulfillments: 0, cancellations: 0, refunds: 0 };
  url = '';
  private server?: http.Server;

  constructor(private readonly opts: StandInOptions) {
    // Ids start past 2^53, as Shopify's own do; every sku Orderhub asks about is a variant of the shop.
    this.shop = new ShopifyShop({ firstId: 9_007_199_254_800_000n });
  }

  async start(): Promise<void> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => this.handle(req, Buffer.concat(chunks).toString('utf8'), res));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }

  /** The available quantity the shop holds for a sku at one of its locations, once Orderhub has set one. */
  levelOf(sku: string, locationId: string): number | undefined {
    const item = this.shop.itemOf(sku);
    return item === undefined ? undefined : this.shop.levels.get(`${item}|gid://shopify/Location/${locationId}`);
  }

  /** The Shopify order as the orders/create webhook carries it (Shopify's REST Order resource). */
  orderPayload(o: SampleOrder, now: Date): Record<string, unknown> {
    const id = shopifyOrderIdOf(o.key);
    const at = now.toISOString();
    const lineItems = o.lines.map((l, i) => ({
      id: Number(lineItemIdOf(o, i)),
      admin_graphql_api_id: `gid://shopify/LineItem/${lineItemIdOf(o, i)}`,
      title: nameOf(l.sku),
      name: nameOf(l.sku),
      sku: l.sku,
      quantity: l.quantity,
      current_quantity: l.quantity,
      fulfillable_quantity: l.quantity,
      requires_shipping: true,
      price: money(priceOf(l.sku)),
      discount_allocations: [],
      tax_lines: [],
    }));
    const address = {
      first_name: o.customer.firstName,
      last_name: o.customer.lastName,
      name: `${o.customer.firstName} ${o.customer.lastName}`,
      address1: o.customer.address.line1,
      city: o.customer.address.city,
      zip: o.customer.address.postalCode,
      country: 'Germany',
      country_code: 'DE',
      latitude: o.customer.address.latitude,
      longitude: o.customer.address.longitude,
    };
    return {
      id: Number(id),
      admin_graphql_api_id: `gid://shopify/Order/${id}`,
      name: `#${o.key}`,
      order_number: Number(o.key),
      email: o.customer.email,
      created_at: at,
      updated_at: at,
      processed_at: at,
      cancelled_at: null,
      currency: 'EUR',
      financial_status: 'paid',
      gateway: 'shopify_payments',
      payment_gateway_names: ['shopify_payments'],
      source_name: 'web',
      taxes_included: false,
      total_discounts: '0.00',
      total_price: money(totalOf(o)),
      customer: {
        id: customerIdOf(o.customer.email),
        email: o.customer.email,
        first_name: o.customer.firstName,
        last_name: o.customer.lastName,
      },
      shipping_address: address,
      billing_address: address,
      line_items: lineItems,
      shipping_lines: [{ title: 'Standard', price: money(SHIPPING), discount_allocations: [], tax_lines: [] }],
      discount_applications: [],
    };
  }

  /**
   * The shop takes the order (its fulfillment order at the online store's location, paid in full) and tells
   * Orderhub: a signed orders/create delivery, with the delivery id Shopify would keep for its retries.
   */
  async sendOrder(o: SampleOrder, webhookUrl: string, now = new Date()): Promise<{ status: number; duplicate: boolean }> {
    const id = shopifyOrderIdOf(o.key);
    if (!this.shop.orders.has(id))
      this.shop.placeOrder(
        id,
        o.lines.map((l, i) => ({ sku: l.sku, quantity: l.quantity, lineItemId: lineItemIdOf(o, i) })),
        this.opts.onlineLocationId,
        { currencyCode: 'EUR', paidCents: totalOf(o) },
      );
    const body = JSON.stringify(this.orderPayload(o, now));
    const res = await fetch(webhookUrl, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-shopify-topic': 'orders/create',
        'x-shopify-shop-domain': this.opts.shopDomain,
        'x-shopify-webhook-id': `demo-orders-create-${id}`,
        'x-shopify-triggered-at': now.toISOString(),
        'x-shopify-hmac-sha256': createHmac('sha256', this.opts.webhookSecret).update(body, 'utf8').digest('base64'),
      },
      body,
      signal: AbortSignal.timeout(30_000),
    });
    const answer = (await res.json().catch(() => ({}))) as { duplicate?: boolean };
    return { status: res.status, duplicate: answer.duplicate === true };
  }

  private handle(req: http.IncomingMessage, body: string, res: http.ServerResponse): void {
    const path = (req.url ?? '').split('?')[0].replace(/^\/admin\/api\/\d{4}-\d{2}/, '');
    const send = (status: number, payload: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(payload));
    };
    if (req.method !== 'POST' || path !== '/graphql.json') return send(404, { errors: 'Not Found' });
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      return send(400, { errors: 'Bad Request' });
    }
    const before = this.shop.calls.length;
    const answer = this.shop.graphql(parsed);
    const call = this.shop.calls.length > before ? this.shop.calls[this.shop.calls.length - 1] : undefined;
    if (call && !call.throttled) this.note(call.operation, call.variables, answer.body);
    return send(answer.status, answer.body);
  }

  // One line per change Orderhub made at the shop, so the demo shows the way back to the channel.
  private note(operation: string, variables: Record<string, unknown>, answer: unknown): void {
    const data = (answer as { data?: Record<string, { userErrors?: unknown[]; orderCancelUserErrors?: unknown[] } | null> }).data ?? {};
    const result = data[operation];
    const failed = (result?.userErrors?.length ?? 0) + (result?.orderCancelUserErrors?.length ?? 0) > 0;
    if (failed) return;
    if (operation === 'inventorySetQuantities') {
      const quantities = ((variables.input as { quantities?: { inventoryItemId: string; quantity: number }[] })?.quantities ?? []).map(
        (q) => `${this.shop.skuOf(q.inventoryItemId) ?? q.inventoryItemId} ${q.quantity}`,
      );
      this.received.inventoryUpdates += quantities.length;
      this.opts.log(`Shopify: available quantities set: ${quantities.join(', ')}`);
    } else if (operation === 'fulfillmentCreate') {
      this.received.fulfillments++;
      const tracking = (variables.fulfillment as { trackingInfo?: { number?: string } } | undefined)?.trackingInfo?.number;
      this.opts.log(`Shopify: fulfillment created${tracking ? ` (tracking ${tracking})` : ''}`);
    } else if (operation === 'orderCancel') {
      this.received.cancellations++;
      this.opts.log(`Shopify: order ${String(variables.orderId)} cancelled`);
    } else if (operation === 'refundCreate') {
      this.received.refunds++;
      this.opts.log(`Shopify: refund created on ${String((variables.input as { orderId?: string })?.orderId)}`);
    }
  }
}

const SHIPPING = 495;
const money = (cents: number) => (cents / 100).toFixed(2);
const totalOf = (o: SampleOrder) => o.lines.reduce((t, l) => t + l.quantity * priceOf(l.sku), 0) + SHIPPING;
const lineItemIdOf = (o: SampleOrder, i: number) => String(13_400_000_000_000 + Number(o.key) * 10 + i);
// A stable customer id per email, as Shopify keeps one customer per email.
const customerIdOf = (email: string) => 7_000_000_000_000 + [...email].reduce((h, c) => (h * 31 + c.charCodeAt(0)) % 1_000_000_000, 0);
