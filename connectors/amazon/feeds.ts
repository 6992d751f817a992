import { UpstreamUnavailableError } from '../../domain/errors';
import { UpstreamError } from '../http';
import type { ConnectorContext, StockLevel } from '../types';
import type { SpApiClient } from './client';
import { createFeedDocumentResponseSchema, createFeedResponseSchema, feedSchema, parseAmazon } from './schemas';

// Stock goes to Amazon as a JSON_LISTINGS_FEED (Feeds API 2021-06-30): create a feed document, upload
// the JSON to the presigned URL it returns, create the feed, then poll it until Amazon has processed it.

export const FEED_CONTENT_TYPE = 'application/json; charset=UTF-8';
// Listings feed schema v2: at most 10,000 messages in one feed.
export const MAX_MESSAGES_PER_FEED = 10_000;
// The presigned upload goes to S3, which has no SP-API usage plan.
const UPLOAD_LIMIT = { ratePerSecond: 5, burst: 10 };

export interface FeedPolling {
  intervalMs: number;
  maxPolls: number;
}

// Merchant-fulfilled (DEFAULT channel) stock is one number per sku and marketplace: the levels of a sku
// at several channel locations are added up; a repeated (sku, location) pair counts once, the last wins.
export function availableBySku(levels: StockLevel[]): Map<string, number> {
  const perLocation = new Map<string, Map<string, number>>();
  for (const l of levels) {
    const locations = perLocation.get(l.sku) ?? new Map<string, number>();
    locations.set(l.channelLocationId, Math.max(0, Math.floor(l.available)));
    perLocation.set(l.sku, locations);
  }
  return new Map([...perLocation].map(([sku, locations]) => [sku, [...locations.values()].reduce((a, b) => a + b, 0)]));
}

// The restock date of each sku sold out everywhere the levels name (the earliest any level gives).
export function restockDateBySku(levels: StockLevel[]): Map<string, string> {
  const dates = new Map<string, string>();
  for (const l of levels) {
    const known = dates.get(l.sku);
    if (l.restockDate && (known === undefined || l.restockDate < known)) dates.set(l.sku, l.restockDate);
  }
  return dates;
}

// The DEFAULT (seller-fulfilled) entry of fulfillment_availability: the quantity, and for a sold-out sku
// with stock on its way the date it is back (restock_date, YYYY-MM-DD, "the date that the product will be
// restocked" in the product type definitions). lead_time_to_ship_max_days is the seller's handling time
// for every sale, so it is left as the seller set it.
export function fulfillmentAvailability(quantity: number, restockDate?: string) {
  return [
    {
      fulfillment_channel_code: 'DEFAULT',
      quantity,
      ...(quantity === 0 && restockDate !== undefined ? { restock_date: restockDate } : {}),
    },
  ];
}

// One listings feed document: a PATCH per sku that merges a new quantity into the DEFAULT (seller
// fulfilled) entry of fulfillment_availability. "merge" keeps lead_time_to_ship_max_days and
// restock_date as they are, where "replace" would drop them. PRODUCT is the generic product type Amazon
// accepts for offer-only updates, since Orderhub does not know each listing's product type.
export function listingsInventoryFeed(
  sellerId: string,
  quantities: [sku: string, quantity: number][],
  restockDates: ReadonlyMap<string, string> = new Map(),
) {
  return {
    header: { sellerId, version: '2.0', issueLocale: 'en_US' },
    messages: quantities.map(([sku, quantity], i) => ({
      messageId: i + 1,
      sku,
      operationType: 'PATCH',
      productType: 'PRODUCT',
      patches: [
        {
          op: 'merge',
          path: '/attributes/fulfillment_availability',
          value: fulfillmentAvailability(quantity, restockDates.get(sku)),
        },
      ],
    })),
  };
}

export class ListingsFeeds {
  constructor(
    private readonly client: SpApiClient,
    private readonly ctx: ConnectorContext,
    private readonly marketplaceIds: string[],
    private readonly polling: FeedPolling,
  ) {}

  // Submits one feed and waits for Amazon to finish it. Returns the feed id.
  async submit(document: unknown): Promise<{ feedId: string; resultFeedDocumentId?: string }> {
    const created = await this.client.call('createFeedDocument', {
      method: 'POST',
      url: '/feeds/2021-06-30/documents',
      data: { contentType: FEED_CONTENT_TYPE },
      headers: { 'content-type': 'application/json' },
    });
    const doc = parseAmazon(createFeedDocumentResponseSchema, created.data, 'createFeedDocument');

    await this.upload(doc.url, JSON.stringify(document));

    const feed = await this.client.call('createFeed', {
      method: 'POST',
      url: '/feeds/2021-06-30/feeds',
      data: { feedType: 'JSON_LISTINGS_FEED', marketplaceIds: this.marketplaceIds, inputFeedDocumentId: doc.feedDocumentId },
      headers: { 'content-type': 'application/json' },
    });
    const { feedId } = parseAmazon(createFeedResponseSchema, feed.data, 'createFeed');
    this.ctx.log.info('amazon listings feed submitted', { connectionId: this.ctx.connectionId, feedId });
    return this.waitFor(feedId);
  }

  // PUT the document to the presigned URL. It is S3, not SP-API: no access token goes there. The URL's
  // query is its signature, so it is sent byte for byte but kept out of logs and error messages, which
  // only ever see the path.
  private async upload(presignedUrl: string, body: string): Promise<void> {
    const url = new URL(presignedUrl);
    const signedQuery = url.search.replace(/^\?/, '');
    const s3 = this.ctx.http({ baseURL: url.origin, limit: UPLOAD_LIMIT });
    await s3.request({
      method: 'PUT',
      url: url.pathname,
      data: body,
      headers: { 'content-type': FEED_CONTENT_TYPE },
      params: signedQuery ? { signed: true } : undefined,
      paramsSerializer: { serialize: () => signedQuery },
      limitKey: 'feedDocumentUpload',
    });
  }

  private async waitFor(feedId: string): Promise<{ feedId: string; resultFeedDocumentId?: string }> {
    for (let poll = 1; poll <= this.polling.maxPolls; poll++) {
      const res = await this.client.call('getFeed', { method: 'GET', url: `/feeds/2021-06-30/feeds/${encodeURIComponent(feedId)}` });
      const feed = parseAmazon(feedSchema, res.data, 'getFeed');
      if (feed.processingStatus === 'DONE') {
        // DONE means processed; per-sku problems are in the processing report (resultFeedDocumentId).
        this.ctx.log.info('amazon listings feed done', {
          connectionId: this.ctx.connectionId,
          feedId,
          resultFeedDocumentId: feed.resultFeedDocumentId,
        });
        return { feedId, resultFeedDocumentId: feed.resultFeedDocumentId };
      }
      if (feed.processingStatus === 'CANCELLED' || feed.processingStatus === 'FATAL') {
        throw new UpstreamError(
          `Amazon listings feed ${feedId} ended ${feed.processingStatus}${feed.resultFeedDocumentId ? ` (processing report ${feed.resultFeedDocumentId})` : ''}`,
          undefined,
          { feedId, processingStatus: feed.processingStatus, resultFeedDocumentId: feed.resultFeedDocumentId },
        );
      }
      if (poll < this.polling.maxPolls) await new Promise((r) => setTimeout(r, this.polling.intervalMs));
    }
    throw new UpstreamUnavailableError(`Amazon listings feed ${feedId} was still being processed after ${this.polling.maxPolls} checks`, {
      feedId,
    });
  }
}
