import type { AxiosResponse } from 'axios';
import { NotFoundError, UnauthorizedError } from '../../domain/errors';
import { UpstreamError, type HttpClient, type RequestOptions } from '../http';
import type { RateLimit } from '../rate-limiter';
import type { ConnectorContext } from '../types';

// REST Admin API, standard plan: a leaky bucket of 40 requests that drains at 2 per second.
export const SHOPIFY_REST_LIMIT: RateLimit = { ratePerSecond: 2, burst: 40 };
const GRAPHQL_THROTTLE_ATTEMPTS = 5;

export interface ShopifyClientConfig {
  shopDomain: string;
  apiVersion: string;
  accessToken: string;
  baseUrl?: string; // instead of https://<shopDomain>
}

// An id as Shopify sent it: a JSON number, or its digits when past 2^53 (connectors/exact-json.ts).
export type ShopifyId = number | string;

// The Shopify shapes the client hands back. They stay inside connectors/shopify.
export interface ShopifyFulfillmentOrder {
  id: ShopifyId;
  status: string; // open, in_progress, scheduled, on_hold, incomplete, closed, cancelled
  assigned_location_id?: ShopifyId | null;
  supported_actions?: string[];
  line_items: { id: ShopifyId; line_item_id: ShopifyId; fulfillable_quantity: number }[];
}

export interface ShopifyFulfillment {
  id: ShopifyId;
  status?: string | null; // pending, open, success, cancelled, error, failure
  tracking_number?: string | null;
  tracking_numbers?: string[] | null;
}

export interface ShopifyOrderSummary {
  id: ShopifyId;
  cancelled_at?: string | null;
  line_items?: { id: ShopifyId; sku?: string | null }[];
  fulfillments?: ShopifyFulfillment[];
}

export interface FulfillmentRequest {
  line_items_by_fulfillment_order: {
    fulfillment_order_id: ShopifyId;
    fulfillment_order_line_items?: { id: ShopifyId; quantity: number }[];
  }[];
  tracking_info: { company: string; number: string };
  notify_customer: boolean;
}

export interface ShopifyClient {
  shop(): Promise<{ name?: string; myshopify_domain?: string }>;
  ordersPage(query: Record<string, string | number>): Promise<{ orders: unknown[]; nextPageInfo?: string }>;
  order(orderId: string, fields: string[]): Promise<ShopifyOrderSummary>;
  fulfillmentOrders(orderId: string): Promise<ShopifyFulfillmentOrder[]>;
  createFulfillment(fulfillment: FulfillmentRequest): Promise<void>;
  cancelOrder(orderId: string, body: { reason: string; email: boolean }): Promise<void>;
  graphql<T>(query: string, variables: Record<string, unknown>): Promise<T>;
}

export function createShopifyClient(cfg: ShopifyClientConfig, ctx: ConnectorContext): ShopifyClient {
  const http: HttpClient = ctx.http({
    baseURL: `${cfg.baseUrl ?? `https://${cfg.shopDomain}`}/admin/api/${cfg.apiVersion}`,
    limit: SHOPIFY_REST_LIMIT,
    headers: { 'X-Shopify-Access-Token': cfg.accessToken, accept: 'application/json', 'content-type': 'application/json' },
  });

  async function call<T>(config: RequestOptions): Promise<AxiosResponse<T>> {
    let response: AxiosResponse<T>;
    try {
      response = await http.request<T>(config);
    } catch (err) {
      throw explain(err, cfg.shopDomain, `${(config.method ?? 'GET').toUpperCase()} ${config.url}`);
    }
    await easeOffWhenBucketIsFull(response, ctx);
    return response;
  }

  return {
    async shop() {
      const res = await call<{ shop: { name?: string; myshopify_domain?: string } }>({ url: '/shop.json' });
      return res.data.shop;
    },

    async ordersPage(query) {
      const res = await call<{ orders: unknown[] }>({ url: '/orders.json', params: query });
      return { orders: res.data.orders ?? [], nextPageInfo: nextPageInfo(res.headers.link) };
    },

    async order(orderId, fields) {
      const res = await call<{ order: ShopifyOrderSummary }>({ url: `/orders/${orderId}.json`, params: { fields: fields.join(',') } });
      return res.data.order;
    },

    async fulfillmentOrders(orderId) {
      const res = await call<{ fulfillment_orders: ShopifyFulfillmentOrder[] }>({ url: `/orders/${orderId}/fulfillment_orders.json` });
      return res.data.fulfillment_orders ?? [];
    },

    async createFulfillment(fulfillment) {
      await call({ method: 'POST', url: '/fulfillments.json', data: { fulfillment } });
    },

    async cancelOrder(orderId, body) {
      await call({ method: 'POST', url: `/orders/${orderId}/cancel.json`, data: body });
    },

    // GraphQL answers a throttled query with 200 and a THROTTLED error rather than 429, so the shared
    // HTTP layer cannot see it: wait until the cost bucket has refilled enough, then ask again.
    async graphql<T>(query: string, variables: Record<string, unknown>): Promise<T> {
      for (let attempt = 1; ; attempt++) {
        const res = await call<GraphqlResponse<T>>({ method: 'POST', url: '/graphql.json', data: { query, variables } });
        const errors = res.data.errors ?? [];
        const throttled = errors.some((e) => e.extensions?.code === 'THROTTLED');
        if (throttled && attempt < GRAPHQL_THROTTLE_ATTEMPTS) {
          const waitMs = graphqlRefillMs(res.data.extensions?.cost);
          ctx.log.warn('Shopify GraphQL query throttled; waiting for the cost bucket', { connectionId: ctx.connectionId, attempt, waitMs });
          await sleep(waitMs);
          continue;
        }
        if (errors.length > 0 || res.data.data === undefined || res.data.data === null) {
          const message = errors.map((e) => e.message).join('; ') || 'no data';
          throw new UpstreamError(`Shopify GraphQL query failed: ${message}`, res.status, errors);
        }
        return res.data.data;
      }
    },
  };
}

interface GraphqlResponse<T> {
  data?: T | null;
  errors?: { message: string; extensions?: { code?: string } }[];
  extensions?: { cost?: GraphqlCost };
}
interface GraphqlCost {
  requestedQueryCost?: number;
  throttleStatus?: { currentlyAvailable?: number; restoreRate?: number };
}

function graphqlRefillMs(cost: GraphqlCost | undefined): number {
  const needed = (cost?.requestedQueryCost ?? 0) - (cost?.throttleStatus?.currentlyAvailable ?? 0);
  const rate = cost?.throttleStatus?.restoreRate ?? 0;
  if (needed <= 0 || rate <= 0) return 1_000;
  return Math.min(60_000, Math.max(1_000, Math.ceil((needed / rate) * 1000)));
}

// Our Redis bucket only sees Orderhub's own calls; Shopify's bucket for this app and shop also counts
// calls from anything else using the token. X-Shopify-Shop-Api-Call-Limit ("38/40") says how full it
// is: when nearly full, wait for a few slots to drain instead of running into 429s.
async function easeOffWhenBucketIsFull(response: AxiosResponse, ctx: ConnectorContext): Promise<void> {
  const match = /^(\d+)\/(\d+)$/.exec(String(response.headers['x-shopify-shop-api-call-limit'] ?? ''));
  if (!match) return;
  const [used, size] = [Number(match[1]), Number(match[2])];
  const headroom = 4;
  if (size - used >= headroom) return;
  const waitMs = Math.ceil(((used - (size - headroom)) / SHOPIFY_REST_LIMIT.ratePerSecond) * 1000);
  ctx.log.debug('Shopify call bucket nearly full; easing off', { connectionId: ctx.connectionId, used, size, waitMs });
  await sleep(waitMs);
}

// Link: <https://shop.myshopify.com/admin/api/2024-10/orders.json?limit=250&page_info=abc>; rel="next", <...>; rel="previous"
export function nextPageInfo(link: unknown): string | undefined {
  if (typeof link !== 'string') return undefined;
  for (const [, url, rel] of link.matchAll(/<([^>]*)>\s*;\s*rel="?([^";,]+)"?/g)) {
    if (rel.trim() !== 'next') continue;
    try {
      return new URL(url).searchParams.get('page_info') ?? undefined;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

// Turn refusals into errors that say what to fix; leave the rest (5xx exhausted, network) as they are.
function explain(err: unknown, shop: string, what: string): unknown {
  if (!(err instanceof UpstreamError)) return err;
  if (err.status === 401) {
    return new UnauthorizedError(
      `Shopify refused the access token for ${shop} (401 on ${what}): check the Admin API access token of this connection`,
    );
  }
  if (err.status === 403) {
    return new UnauthorizedError(
      `Shopify refused the access token for ${shop} (403 on ${what}): the app lacks the access scope this call needs`,
    );
  }
  if (err.status === 404) return new NotFoundError(`Shopify answered 404 for ${what} on ${shop}`, { status: 404 });
  return err;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
