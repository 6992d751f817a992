import { z } from 'zod';
import { ValidationError } from '../../domain/errors';
import { UpstreamError } from '../http';
import type {
  ChannelOrder,
  Connector,
  ConnectorContext,
  ConnectorFactory,
  FulfillmentTarget,
  OrderSource,
  StockTarget,
  UnmappedOrder,
} from '../types';
import { LwaAuth } from './auth';
import { REGIONS, SpApiClient } from './client';
import { availableBySku, ListingsFeeds, listingsInventoryFeed, MAX_MESSAGES_PER_FEED, type FeedPolling } from './feeds';
import { isCancelled, skipReason, toChannelOrder, toShipmentConfirmation } from './mapper';
import { describeAmazonErrors } from './schemas';

/*
 * Amazon Selling Partner API (SP-API), seller-fulfilled (MFN) orders.
 *
 * Options:     { region: na | eu | fe, marketplaceIds: [..], sellerId } (sellerId heads listings feeds).
 * Credentials: { clientId, clientSecret, refreshToken } of the app the seller authorized (Login with Amazon).
 *
 * testConnection     GET  /sellers/v1/marketplaceParticipations; every configured marketplace must be one
 *                    the seller participates in.
 * orders             GET  /orders/v0/orders?MarketplaceIds&LastUpdatedAfter[&NextToken], then
 *                    GET  /orders/v0/orders/{id}/orderItems[?NextToken] per order. Polled: Amazon notifies
 *                    through SQS/EventBridge, not HTTP webhooks, so there are none here.
 * fulfillment        POST /orders/v0/orders/{id}/shipmentConfirmation. Cancelling is not possible (below).
 * stock              JSON_LISTINGS_FEED through the Feeds API (see feeds.ts).
 *
 * Each operation is limited to its documented usage plan in a Redis bucket shared by all workers.
 */

export const amazonOptionsSchema = z.strictObject({
  region: z.enum(REGIONS),
  marketplaceIds: z
    .array(z.string().regex(/^[A-Z0-9]{8,20}$/, 'must be an Amazon marketplace id such as "ATVPDKIKX0DER"'))
    .min(1, 'name at least one marketplace')
    .max(50)
    .refine((ids) => new Set(ids).size === ids.length, 'must not repeat a marketplace'),
  sellerId: z.string().regex(/^[A-Z0-9]{6,20}$/, 'must be the seller (merchant) id such as "A2EXAMPLE1SELLER"'),
});
export type AmazonOptions = z.infer<typeof amazonOptionsSchema>;

export const amazonCredentialsSchema = z.strictObject({
  clientId: z.string().min(1, 'is required'),
  clientSecret: z.string().min(1, 'is required'),
  refreshToken: z.string().min(1, 'is required'),
});
export type AmazonCredentials = z.infer<typeof amazonCredentialsSchema>;

// Knobs that are not connection settings: how far back a first poll looks and how feeds are awaited.
export interface AmazonTuning {
  defaultLookBackMs: number;
  feedPolling: FeedPolling;
  now(): Date;
}

export const DEFAULT_TUNING: AmazonTuning = {
  defaultLookBackMs: 7 * 24 * 60 * 60 * 1000,
  // Listings feeds usually finish within minutes; 40 checks 15 s apart bound the wait at 10 minutes.
  feedPolling: { intervalMs: 15_000, maxPolls: 40 },
  now: () => new Date(),
};

export const amazonConnector: ConnectorFactory<AmazonOptions, AmazonCredentials> = {
  kind: 'amazon',
  optionsSchema: amazonOptionsSchema,
  credentialsSchema: amazonCredentialsSchema,
  create: (options, credentials, ctx) => createAmazonConnector(options, credentials, ctx),
};

export function createAmazonConnector(
  options: AmazonOptions,
  credentials: AmazonCredentials,
  ctx: ConnectorContext,
  tuning: Partial<AmazonTuning> = {},
): Connector {
  const t = { ...DEFAULT_TUNING, ...tuning };
  const client = new SpApiClient(options.region, new LwaAuth(credentials, ctx), ctx);
  const feeds = new ListingsFeeds(client, ctx, options.marketplaceIds, t.feedPolling);

  const orders: OrderSource = {
    async fetchOrdersUpdatedSince(since, pageToken) {
      const cursor = pageToken
        ? decodePageToken(pageToken)
        : { after: since ?? new Date(t.now().getTime() - t.defaultLookBackMs).toISOString() };
      const page = await client.getOrders({
        marketplaceIds: options.marketplaceIds,
        lastUpdatedAfter: cursor.after,
        nextToken: cursor.next,
      });
      const mapped: ChannelOrder[] = [];
      const unmapped: UnmappedOrder[] = [];
      for (const order of page.Orders) {
        const skip = skipReason(order);
        if (skip) {
          ctx.log.debug('amazon order skipped', { connectionId: ctx.connectionId, channelOrderId: order.AmazonOrderId, reason: skip });
          continue;
        }
        const items = await client.getAllOrderItems(order.AmazonOrderId);
        try {
          mapped.push(toChannelOrder(order, items, ctx.channel));
        } catch (err) {
          if (!(err instanceof ValidationError)) throw err;
          // Kept as a dead letter, and the page goes on: one order never holds up the ones after it.
          if (!isCancelled(order)) {
            unmapped.push({ channelOrderId: order.AmazonOrderId, raw: { order, items }, reason: err.message, problems: err.problems });
            continue;
          }
          // A cancelled order Amazon left without address or items is nothing Orderhub could have taken in.
          ctx.log.warn('cancelled amazon order cannot be mapped and is skipped', {
            connectionId: ctx.connectionId,
            channelOrderId: order.AmazonOrderId,
            problems: err.problems,
          });
        }
      }
      return {
        orders: mapped,
        unmapped,
        ...(page.NextToken && { nextPageToken: encodePageToken({ after: cursor.after, next: page.NextToken }) }),
      };
    },
    mapPolled(raw) {
      const { order, items } = raw as { order: Parameters<typeof toChannelOrder>[0]; items: Parameters<typeof toChannelOrder>[1] };
      return toChannelOrder(order, items, ctx.channel);
    },
  };

  const fulfillment: FulfillmentTarget = {
    async reportShipment(shipment) {
      const items = await client.getAllOrderItems(shipment.channelOrderId);
      const marketplaceId = options.marketplaceIds.length === 1 ? options.marketplaceIds[0] : await marketplaceOf(shipment.channelOrderId);
      const body = toShipmentConfirmation({ ...shipment, marketplaceId, shipDate: t.now().toISOString() }, items);
      try {
        await client.confirmShipment(shipment.channelOrderId, body);
      } catch (err) {
        if (!isAlreadyConfirmed(err)) throw err;
        ctx.log.info('amazon shipment was already confirmed', { connectionId: ctx.connectionId, channelOrderId: shipment.channelOrderId });
      }
    },
    async reportCancellation(cancel) {
      // The SP-API has no JSON operation that cancels a seller-fulfilled order: Orders API v0 only reads
      // orders and confirms shipments, and cancelling needs the XML order-acknowledgement feed
      // (POST_ORDER_ACKNOWLEDGEMENT_DATA), which Orderhub does not speak. The seller cancels in Seller Central.
      throw new UpstreamError(
        `Amazon order ${cancel.channelOrderId} must be cancelled in Seller Central (Orders > Manage Orders > Cancel order): the Selling Partner API offers no JSON operation to cancel an order`,
        undefined,
      );
    },
  };

  const stock: StockTarget = {
    async setAvailable(levels) {
      const quantities = [...availableBySku(levels)];
      // One feed per call; a catalogue larger than one feed allows goes in consecutive feeds.
      for (let i = 0; i < quantities.length; i += MAX_MESSAGES_PER_FEED) {
        await feeds.submit(listingsInventoryFeed(options.sellerId, quantities.slice(i, i + MAX_MESSAGES_PER_FEED)));
      }
    },
  };

  async function marketplaceOf(orderId: string): Promise<string> {
    const order = await client.getOrder(orderId);
    if (!order.MarketplaceId)
      throw new ValidationError(`Amazon order ${orderId} has no MarketplaceId`, [{ path: 'amazon.MarketplaceId', message: 'is missing' }]);
    return order.MarketplaceId;
  }

  return {
    kind: 'amazon',
    async testConnection() {
      const participations = await client.getMarketplaceParticipations();
      const active = new Set(participations.filter((p) => p.participation.isParticipating).map((p) => p.marketplace.id));
      const problems = options.marketplaceIds.flatMap((id, i) =>
        active.has(id) ? [] : [{ path: `options.marketplaceIds.${i}`, message: `the seller does not sell in marketplace ${id}` }],
      );
      if (problems.length) throw new ValidationError('The Amazon seller does not participate in every configured marketplace', problems);
    },
    orders,
    fulfillment,
    stock,
  };
}

// Our page token carries Amazon's NextToken and the LastUpdatedAfter of the first page, so every page of
// one pass asks for the same filtered result even when the look-back was computed from the clock.
interface PageCursor {
  after: string;
  next?: string;
}

function encodePageToken(cursor: PageCursor): string {
  return Buffer.from(JSON.stringify(cursor)).toString('base64url');
}

function decodePageToken(token: string): PageCursor {
  try {
    const cursor = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as Partial<PageCursor>;
    if (typeof cursor.after === 'string' && (cursor.next === undefined || typeof cursor.next === 'string'))
      return { after: cursor.after, next: cursor.next };
  } catch {
    // fall through
  }
  throw new ValidationError('Invalid Amazon page token', [{ path: 'pageToken', message: 'is not a token this connector returned' }]);
}

// A confirmation Amazon already has: the same packageReferenceId is an edit by design, and an order that
// is already fulfilled is answered with a 400 saying so. Either way the shipment is on Amazon.
function isAlreadyConfirmed(err: unknown): boolean {
  if (!(err instanceof UpstreamError) || err.status !== 400) return false;
  return /already (been )?(shipped|confirmed|fulfilled)/i.test(describeAmazonErrors(err.body) ?? '');
}
