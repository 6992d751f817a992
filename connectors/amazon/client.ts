import type { AxiosResponse } from 'axios';
import { UnauthorizedError } from '../../domain/errors';
import { UpstreamError, type HttpClient, type RequestOptions } from '../http';
import type { RateLimit } from '../rate-limiter';
import type { ConnectorContext } from '../types';
import type { LwaAuth } from './auth';
import {
  describeAmazonErrors,
  getOrderResponseSchema,
  listingsSubmissionSchema,
  marketplaceParticipationsSchema,
  parseAmazon,
  searchListingsItemsResponseSchema,
  searchOrdersResponseSchema,
  type AmazonOrder,
} from './schemas';

export const REGIONS = ['na', 'eu', 'fe'] as const;
export type AmazonRegion = (typeof REGIONS)[number];
export const spApiBaseUrl = (region: AmazonRegion) => `https://sellingpartnerapi-${region}.amazon.com`;

// Default usage plans (requests per second, burst) as the published models state them: Orders 2026-01-01
// (searchOrders 0.0056/20, getOrder 0.5/30), Orders v0 confirmShipment (2/10), Listings Items 2021-08-01
// (patchListingsItem 5/5, searchListingsItems 5/5), Sellers v1 and Feeds 2021-06-30. Each operation has its
// own bucket, shared by all worker processes; Amazon's x-amzn-RateLimit-Limit overrides the rate.
export const USAGE_PLANS = {
  searchOrders: { ratePerSecond: 0.0056, burst: 20 },
  getOrder: { ratePerSecond: 0.5, burst: 30 },
  confirmShipment: { ratePerSecond: 2, burst: 10 },
  patchListingsItem: { ratePerSecond: 5, burst: 5 },
  searchListingsItems: { ratePerSecond: 5, burst: 5 },
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

  // searchOrders (Orders 2026-01-01): list parameters go comma-separated (the model's default collection
  // format). With a paginationToken every other parameter must be sent again with the same values, except
  // maxResultsPerPage and includedData; a token expires after 24 hours.
  async searchOrders(params: {
    marketplaceIds: string[];
    lastUpdatedAfter: string;
    includedData: readonly string[];
    paginationToken?: string;
  }): Promise<{ orders: unknown[]; nextToken?: string }> {
    const res = await this.call('searchOrders', {
      method: 'GET',
      url: '/orders/2026-01-01/orders',
      params: {
        lastUpdatedAfter: params.lastUpdatedAfter,
        marketplaceIds: params.marketplaceIds.join(','),
        fulfilledBy: 'MERCHANT', // Amazon ships its own (FBA) orders; no warehouse of ours does
        includedData: params.includedData.join(','),
        maxResultsPerPage: 100,
        ...(params.paginationToken && { paginationToken: params.paginationToken }),
      },
    });
    const page = parseAmazon(searchOrdersResponseSchema, res.data, 'searchOrders');
    return { orders: page.orders, ...(page.pagination?.nextToken && { nextToken: page.pagination.nextToken }) };
  }

  // getOrder (Orders 2026-01-01): the order with every item (items are always included).
  async getOrder(orderId: string, includedData: readonly string[] = []): Promise<AmazonOrder> {
    const res = await this.call('getOrder', {
      method: 'GET',
      url: `/orders/2026-01-01/orders/${encodeURIComponent(orderId)}`,
      ...(includedData.length && { params: { includedData: includedData.join(',') } }),
    });
    return parseAmazon(getOrderResponseSchema, res.data, 'getOrder').order;
  }

  // patchListingsItem (Listings Items 2021-08-01): one sku in one marketplace (marketplaceIds takes one).
  async patchListingsItem(sellerId: string, sku: string, marketplaceId: string, body: unknown) {
    const res = await this.call('patchListingsItem', {
      method: 'PATCH',
      url: `/listings/2021-08-01/items/${encodeURIComponent(sellerId)}/${encodeURIComponent(sku)}`,
      params: { marketplaceIds: marketplaceId, issueLocale: 'en_US' },
      data: body,
      headers: { 'content-type': 'application/json' },
    });
    return parseAmazon(listingsSubmissionSchema, res.data, 'patchListingsItem');
  }

  // searchListingsItems (Listings Items 2021-08-01): one marketplace, at most 20 a page; Amazon pages
  // through at most 1,000 skus of one search.
  async searchListingsItems(params: { sellerId: string; marketplaceId: string; pageToken?: string }) {
    const res = await this.call('searchListingsItems', {
      method: 'GET',
      url: `/listings/2021-08-01/items/${encodeURIComponent(params.sellerId)}`,
      params: {
        marketplaceIds: params.marketplaceId,
        includedData: 'summaries,attributes',
        pageSize: 20,
        sortBy: 'sku',
        sortOrder: 'ASC',
        ...(params.pageToken && { pageToken: params.pageToken }),
      },
    });
    return parseAmazon(searchListingsItemsResponseSchema, res.data, 'searchListingsItems');
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
