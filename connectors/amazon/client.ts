import type { AxiosResponse } from 'axios';
import { UnauthorizedError } from '../../domain/errors';
import { UpstreamError, type HttpClient, type RequestOptions } from '../http';
import type { RateLimit } from '../rate-limiter';
import type { ConnectorContext } from '../types';
import type { LwaAuth } from './auth';
import {
  describeAmazonErrors,
  getOrderItemsResponseSchema,
  getOrderResponseSchema,
  getOrdersResponseSchema,
  marketplaceParticipationsSchema,
  parseAmazon,
  type AmazonOrder,
  type AmazonOrderItem,
} from './schemas';

export const REGIONS = ['na', 'eu', 'fe'] as const;
export type AmazonRegion = (typeof REGIONS)[number];
export const spApiBaseUrl = (region: AmazonRegion) => `https://sellingpartnerapi-${region}.amazon.com`;

// Default usage plans (requests per second, burst) from the SP-API rate-limit pages for Orders v0,
// Sellers v1 and Feeds 2021-06-30. Each operation has its own bucket, shared by all worker processes.
export const USAGE_PLANS = {
  getOrders: { ratePerSecond: 0.0167, burst: 20 },
  getOrder: { ratePerSecond: 0.5, burst: 30 },
  getOrderItems: { ratePerSecond: 0.5, burst: 30 },
  confirmShipment: { ratePerSecond: 2, burst: 10 },
  getMarketplaceParticipations: { ratePerSecond: 0.016, burst: 15 },
  createFeedDocument: { ratePerSecond: 0.5, burst: 15 },
  createFeed: { ratePerSecond: 0.0083, burst: 15 },
  getFeed: { ratePerSecond: 2, burst: 15 },
} satisfies Record<string, RateLimit>;
export type Operation = keyof typeof USAGE_PLANS;

// Calls not named above (there are none today) share this bucket.
const DEFAULT_LIMIT: RateLimit = { ratePerSecond: 0.5, burst: 10 };

export type SpApiRequest = Omit<RequestOptions, 'limitKey' | 'limit' | 'baseURL'>;

// The SP-API over the shared HTTP layer: the LWA access token on every call, one retry with a fresh
// token when Amazon says the token expired, and each operation in its own rate-limit bucket.
export class SpApiClient {
  private readonly http: HttpClient;
  // Amazon reports the plan it actually applies in x-amzn-RateLimit-Limit; a seller may have more (or less).
  private readonly appliedRates = new Map<Operation, number>();

  constructor(
    region: AmazonRegion,
    private readonly auth: LwaAuth,
    private readonly ctx: ConnectorContext,
  ) {
    this.http = ctx.http({ baseURL: spApiBaseUrl(region), limit: DEFAULT_LIMIT });
  }

  async call<T = unknown>(operation: Operation, request: SpApiRequest): Promise<AxiosResponse<T>> {
    const token = await this.auth.accessToken();
    try {
      return await this.send<T>(operation, request, token);
    } catch (err) {
      if (!isExpiredToken(err)) throw this.explain(operation, err);
      const fresh = await this.auth.replace(token);
      try {
        return await this.send<T>(operation, request, fresh);
      } catch (again) {
        throw this.explain(operation, again);
      }
    }
  }

  private async send<T>(operation: Operation, request: SpApiRequest, token: string): Promise<AxiosResponse<T>> {
    const plan = USAGE_PLANS[operation];
    const res = await this.http.request<T>({
      ...request,
      headers: { ...request.headers, 'x-amz-access-token': token, accept: 'application/json' },
      limitKey: operation,
      limit: { ratePerSecond: this.appliedRates.get(operation) ?? plan.ratePerSecond, burst: plan.burst },
    });
    const applied = Number(res.headers['x-amzn-ratelimit-limit']);
    if (Number.isFinite(applied) && applied > 0) this.appliedRates.set(operation, applied);
    return res;
  }

  // Name the operation and Amazon's own error text; 401/403 become UnauthorizedError.
  private explain(operation: Operation, err: unknown): unknown {
    if (!(err instanceof UpstreamError) || err.status === undefined || err.status < 400 || err.status >= 500) return err;
    const why = describeAmazonErrors(err.body);
    if (err.status === 401 || err.status === 403) {
      return new UnauthorizedError(
        `Amazon denied ${operation} (${err.status}${why ? ` ${why}` : ''}): check that the seller authorized the app and that the app has the role this operation needs`,
      );
    }
    return new UpstreamError(`Amazon refused ${operation} with ${err.status}${why ? `: ${why}` : ''}`, err.status, err.body);
  }

  // ---- operations ----

  async getMarketplaceParticipations() {
    const res = await this.call('getMarketplaceParticipations', { method: 'GET', url: '/sellers/v1/marketplaceParticipations' });
    return parseAmazon(marketplaceParticipationsSchema, res.data, 'getMarketplaceParticipations').payload;
  }

  // MarketplaceIds is required on every page; with NextToken the same filters are sent again, since the
  // token only moves the page within the filtered result.
  async getOrders(params: { marketplaceIds: string[]; lastUpdatedAfter: string; nextToken?: string }) {
    const res = await this.call('getOrders', {
      method: 'GET',
      url: '/orders/v0/orders',
      params: {
        MarketplaceIds: params.marketplaceIds.join(','), // a comma-separated list, not repeated keys
        LastUpdatedAfter: params.lastUpdatedAfter,
        ...(params.nextToken && { NextToken: params.nextToken }),
      },
    });
    return parseAmazon(getOrdersResponseSchema, res.data, 'getOrders').payload;
  }

  async getOrder(orderId: string): Promise<AmazonOrder> {
    const res = await this.call('getOrder', { method: 'GET', url: `/orders/v0/orders/${encodeURIComponent(orderId)}` });
    return parseAmazon(getOrderResponseSchema, res.data, 'getOrder').payload;
  }

  // Every item of an order, following NextToken to the last page.
  async getAllOrderItems(orderId: string, maxPages = 50): Promise<AmazonOrderItem[]> {
    const items: AmazonOrderItem[] = [];
    let nextToken: string | undefined;
    for (let page = 0; page < maxPages; page++) {
      const res = await this.call('getOrderItems', {
        method: 'GET',
        url: `/orders/v0/orders/${encodeURIComponent(orderId)}/orderItems`,
        ...(nextToken && { params: { NextToken: nextToken } }),
      });
      const payload = parseAmazon(getOrderItemsResponseSchema, res.data, 'getOrderItems').payload;
      items.push(...payload.OrderItems);
      nextToken = payload.NextToken || undefined;
      if (!nextToken) return items;
    }
    throw new UpstreamError(`getOrderItems for ${orderId} still had a NextToken after ${maxPages} pages`, undefined);
  }

  async confirmShipment(orderId: string, body: unknown): Promise<void> {
    await this.call('confirmShipment', {
      method: 'POST',
      url: `/orders/v0/orders/${encodeURIComponent(orderId)}/shipmentConfirmation`,
      data: body,
      headers: { 'content-type': 'application/json' },
    });
  }
}

// Amazon answers an expired or revoked access token with 403 Unauthorized ("The access token you
// provided has expired"), sometimes 401. A 403 for a missing role does not mention the token.
function isExpiredToken(err: unknown): boolean {
  if (!(err instanceof UpstreamError)) return false;
  if (err.status === 401) return true;
  return err.status === 403 && /token/i.test(describeAmazonErrors(err.body) ?? '');
}
