import { NotFoundError, UnauthorizedError } from '../../domain/errors';
import { UpstreamError, type HttpClient } from '../http';
import type { RateLimit } from '../rate-limiter';
import type { ConnectorContext } from '../types';

// Shopify's GraphQL Admin API limits by calculated query cost, per app and shop, with a bucket and a
// restore rate set by the shop's plan (Standard 100 points/s, Advanced 200, Plus 1,000, Commerce
// Components 2,000; a single query may cost at most 1,000). Until Shopify has said which plan this shop
// is on, the connector assumes a Standard shop with a bucket no bigger than one query's maximum.
export const SHOPIFY_DEFAULT_THROTTLE: ThrottleStatus = { maximumAvailable: 1_000, currentlyAvailable: 1_000, restoreRate: 100 };
export const SHOPIFY_MAX_QUERY_COST = 1_000;
const GRAPHQL_THROTTLE_ATTEMPTS = 6;
// A query not yet seen is assumed to cost this much; afterwards its requestedQueryCost is remembered.
const FIRST_ESTIMATE = 50;
const THROTTLE_KEY = 'shopify:graphql-throttle';
const THROTTLE_TTL_MS = 24 * 60 * 60 * 1000;
const COST_BUCKET = 'graphql-cost';

export interface ShopifyClientConfig {
  shopDomain: string;
  apiVersion: string;
  accessToken: string;
  baseUrl?: string; // instead of https://<shopDomain>
}

export interface ThrottleStatus {
  maximumAvailable: number;
  currentlyAvailable: number;
  restoreRate: number;
}

export interface ShopifyClient {
  // One GraphQL call, within the shop's cost budget; a THROTTLED answer waits for the bucket and asks again.
  // `estimatedCost` is what the caller expects it to cost (default: what it asked for last time).
  graphql<T>(query: string, variables: Record<string, unknown>, opts?: { estimatedCost?: number }): Promise<T>;
  // The shop's bucket as Shopify last reported it (the default until it has).
  throttle(): Promise<ThrottleStatus>;
  // What the named operation asked for the last time it ran (undefined: not run yet in this process).
  costOf(operationName: string): number | undefined;
}

export function createShopifyClient(cfg: ShopifyClientConfig, ctx: ConnectorContext): ShopifyClient {
  const http: HttpClient = ctx.http({
    baseURL: `${cfg.baseUrl ?? `https://${cfg.shopDomain}`}/admin/api/${cfg.apiVersion}`,
    limit: limitOf(SHOPIFY_DEFAULT_THROTTLE),
    headers: { 'X-Shopify-Access-Token': cfg.accessToken, accept: 'application/json', 'content-type': 'application/json' },
  });
  const requestedCost = new Map<string, number>();

  async function throttle(): Promise<ThrottleStatus> {
    const cached = await ctx.cache.get(THROTTLE_KEY);
    if (!cached) return SHOPIFY_DEFAULT_THROTTLE;
    try {
      const parsed = JSON.parse(cached) as ThrottleStatus;
      if (parsed.maximumAvailable > 0 && parsed.restoreRate > 0) return parsed;
    } catch {
      // a value we did not write: fall back to the default
    }
    return SHOPIFY_DEFAULT_THROTTLE;
  }

  // Shopify's word on the bucket: the plan is remembered per connection, and the shared Redis bucket
  // is set to what Shopify says is left (it counts every app call on this shop, not only Orderhub's).
  async function remember(status: Partial<ThrottleStatus> | undefined): Promise<void> {
    const { maximumAvailable, currentlyAvailable, restoreRate } = status ?? {};
    if (!(typeof maximumAvailable === 'number' && maximumAvailable > 0 && typeof restoreRate === 'number' && restoreRate > 0)) return;
    const available = typeof currentlyAvailable === 'number' ? currentlyAvailable : maximumAvailable;
    const plan = { maximumAvailable, currentlyAvailable: available, restoreRate };
    await ctx.cache.set(THROTTLE_KEY, JSON.stringify(plan), THROTTLE_TTL_MS);
    await http.observeBucket(COST_BUCKET, limitOf(plan), available);
  }

  return {
    throttle,
    costOf: (operationName) => requestedCost.get(operationName),

    async graphql<T>(query: string, variables: Record<string, unknown>, opts: { estimatedCost?: number } = {}): Promise<T> {
      const operation = /\b(?:query|mutation)\s+(\w+)/.exec(query)?.[1] ?? 'anonymous';
      for (let attempt = 1; ; attempt++) {
        const plan = await throttle();
        // After a THROTTLED answer, what Shopify said it asks for.
        const estimate = attempt > 1 ? requestedCost.get(operation) : (opts.estimatedCost ?? requestedCost.get(operation));
        const cost = Math.min(estimate ?? FIRST_ESTIMATE, plan.maximumAvailable);
        let res;
        try {
          res = await http.request<GraphqlResponse<T>>({
            method: 'POST',
            url: '/graphql.json',
            data: { query, variables },
            limitKey: COST_BUCKET,
            limit: limitOf(plan),
            cost,
          });
        } catch (err) {
          throw explain(err, cfg.shopDomain, operation);
        }
        const body = res.data ?? {};
        const spent = body.extensions?.cost;
        if (typeof spent?.requestedQueryCost === 'number') requestedCost.set(operation, spent.requestedQueryCost);
        await remember(spent?.throttleStatus);
        const errors = Array.isArray(body.errors) ? body.errors : [];
        const throttled = errors.some((e) => e.extensions?.code === 'THROTTLED');
        if (throttled && attempt < GRAPHQL_THROTTLE_ATTEMPTS) {
          // The bucket now holds what Shopify said is left; the next take waits until the query fits.
          ctx.log.warn('Shopify GraphQL query throttled; waiting for the cost bucket', {
            connectionId: ctx.connectionId,
            operation,
            attempt,
            requestedQueryCost: spent?.requestedQueryCost,
            currentlyAvailable: spent?.throttleStatus?.currentlyAvailable,
          });
          continue;
        }
        if (errors.length > 0 || body.data === undefined || body.data === null) {
          const message = errors.map((e) => `${e.extensions?.code ? `${e.extensions.code}: ` : ''}${e.message}`).join('; ') || 'no data';
          throw new UpstreamError(`Shopify GraphQL ${operation} failed: ${message}`, res.status, errors);
        }
        return body.data;
      }
    },
  };
}

interface GraphqlResponse<T> {
  data?: T | null;
  errors?: { message: string; extensions?: { code?: string } }[];
  extensions?: { cost?: { requestedQueryCost?: number; actualQueryCost?: number | null; throttleStatus?: Partial<ThrottleStatus> } };
}

const limitOf = (status: ThrottleStatus): RateLimit => ({ ratePerSecond: status.restoreRate, burst: status.maximumAvailable });

// Turn refusals into errors that say what to fix; leave the rest (5xx exhausted, network) as they are.
function explain(err: unknown, shop: string, operation: string): unknown {
  if (!(err instanceof UpstreamError)) return err;
  if (err.status === 401) {
    return new UnauthorizedError(
      `Shopify refused the access token for ${shop} (401 on ${operation}): check the Admin API access token of this connection`,
    );
  }
  if (err.status === 403) {
    return new UnauthorizedError(
      `Shopify refused the access token for ${shop} (403 on ${operation}): the app lacks the access scope this call needs`,
    );
  }
  if (err.status === 404) return new NotFoundError(`Shopify answered 404 for ${operation} on ${shop}`, { status: 404 });
  return err;
}

// gid://shopify/Order/820982911946154508 -> 820982911946154508 (undefined when it is not such a GID).
export function numericIdOf(gid: string, type?: string): string | undefined {
  const match = /^gid:\/\/shopify\/(\w+)\/(\d+)(?:\?.*)?$/.exec(gid);
  if (!match || (type !== undefined && match[1] !== type)) return undefined;
  return match[2];
}

export const gidOf = (type: string, id: string) => `gid://shopify/${type}/${id}`;
