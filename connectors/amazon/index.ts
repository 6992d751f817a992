import { z } from 'zod';
import { ValidationError } from '../../domain/errors';
import { UpstreamError } from '../http';
import {
  rawTimeOf,
  type ChannelOrder,
  type Connector,
  type ConnectorContext,
  type ConnectorFactory,
  type FulfillmentTarget,
  type OrderSource,
  type RefundTarget,
  type StockTarget,
  type UnmappedOrder,
} from '../types';
import { LwaAuth } from './auth';
import { REGIONS, SpApiClient } from './client';
import { availableBySku, ListingsFeeds, listingsInventoryFeed, MAX_MESSAGES_PER_FEED, restockDateBySku, type FeedPolling } from './feeds';
import { createAmazonCatalog, patchQuantities } from './listings';
import { isCancelled, ORDER_DATASETS, orderIdOf, parseOrder, skipReason, toChannelOrder, toShipmentConfirmation } from './mapper';
import { describeAmazonErrors } from './schemas';

/*
 * Amazon Selling Partner API (SP-API), seller-fulfilled (MFN) orders.
 *
 * Options:     { region: na | eu | fe, marketplaceIds: [..], sellerId } (sellerId names the listings).
 * Credentials: { clientId, clientSecret, refreshToken } of the app the seller authorized (Login with Amazon).
 *
 * testConnection     GET  /sellers/v1/marketplaceParticipations; every configured marketplace must be one
 *                    the seller participates in.
 * orders             GET  /orders/2026-01-01/orders (searchOrders) with lastUpdatedAfter, marketplaceIds,
 *                    fulfilledBy=MERCHANT, includedData=BUYER,RECIPIENT,PROCEEDS,FULFILLMENT,CANCELLATION and
 *                    paginationToken: buyer, address and items in one call per page of 100, no restricted-data
 *                    token (the app's roles decide what PII it sees). Polled: Amazon notifies through
 *                    SQS/EventBridge, not HTTP webhooks, so there are none here. The v0 reading path is gone.
 * fulfillment        GET  /orders/2026-01-01/orders/{id} (getOrder: items and marketplace), then
 *                    POST /orders/v0/orders/{id}/shipmentConfirmation: confirmShipment is not deprecated and
 *                    2026-01-01 has no replacement. Cancelling is not possible (below).
 * refunds            not reported: answered not_supported (AMAZON_REFUND_NOT_SUPPORTED says why).
 * stock              change lane: PATCH /listings/2021-08-01/items/{sellerId}/{sku} (patchListingsItem, 5/s)
 *                    per sku and marketplace, within seconds; reconcile lane: JSON_LISTINGS_FEED (feeds.ts).
 * catalog            GET  /listings/2021-08-01/items/{sellerId} (searchListingsItems) with summaries,attributes.
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
      const page = await client.searchOrders({
        marketplaceIds: options.marketplaceIds,
        lastUpdatedAfter: cursor.after,
        includedData: ORDER_DATASETS,
        paginationToken: cursor.next,
      });
      const mapped: ChannelOrder[] = [];
      const unmapped: UnmappedOrder[] = [];
      for (const raw of page.orders) {
        try {
          const order = parseOrder(raw);
          const skip = skipReason(order);
          if (skip) {
            ctx.log.debug('amazon order skipped', { connectionId: ctx.connectionId, channelOrderId: order.orderId, reason: skip });
            continue;
          }
          const channelOrder = mapOrSkipCancelled(order);
          if (channelOrder) mapped.push(channelOrder);
        } catch (err) {
          if (!(err instanceof ValidationError)) throw err;
          // Kept as a dead letter, and the page goes on: one order never holds up the ones after it.
          unmapped.push({
            channelOrderId: orderIdOf(raw),
            raw,
            reason: err.message,
            problems: err.problems,
            ...(rawTimeOf(raw, 'lastUpdatedTime') && { updatedAt: rawTimeOf(raw, 'lastUpdatedTime') }),
          });
        }
      }
      return {
        orders: mapped,
        unmapped,
        ...(page.nextToken && { nextPageToken: encodePageToken({ after: cursor.after, next: page.nextToken }) }),
      };
    },
    // A dead letter holds the order exactly as searchOrders returned it.
    mapPolled(raw) {
      return toChannelOrder(parseOrder(raw), ctx.channel);
    },
  };

  // A cancelled order Amazon left without address or items is nothing Orderhub could have taken in.
  function mapOrSkipCancelled(order: ReturnType<typeof parseOrder>): ChannelOrder | undefined {
    try {
      return toChannelOrder(order, ctx.channel);
    } catch (err) {
      if (!(err instanceof ValidationError) || !isCancelled(order)) throw err;
      ctx.log.warn('cancelled amazon order cannot be mapped and is skipped', {
        connectionId: ctx.connectionId,
        channelOrderId: order.orderId,
        problems: err.problems,
      });
      return undefined;
    }
  }

  const fulfillment: FulfillmentTarget = {
    async reportShipment(shipment) {
      const order = await client.getOrder(shipment.channelOrderId);
      const marketplaceId =
        order.salesChannel.marketplaceId ?? (options.marketplaceIds.length === 1 ? options.marketplaceIds[0] : undefined);
      if (!marketplaceId)
        throw new ValidationError(`Amazon order ${shipment.channelOrderId} names no marketplace`, [
          { path: 'amazon.salesChannel.marketplaceId', message: 'is missing, and the connection sells in several marketplaces' },
        ]);
      const body = toShipmentConfirmation({ ...shipment, marketplaceId, shipDate: t.now().toISOString() }, order.orderItems);
      try {
        await client.confirmShipment(shipment.channelOrderId, body);
      } catch (err) {
        if (!isAlreadyConfirmed(err)) throw err;
        ctx.log.info('amazon shipment was already confirmed', { connectionId: ctx.connectionId, channelOrderId: shipment.channelOrderId });
      }
    },
    async reportCancellation(cancel) {
      // The SP-API has no JSON operation that cancels a seller-fulfilled order: the Orders API (v0 and
      // 2026-01-01) only reads orders and confirms shipments, and cancelling needs the XML order-acknowledgement feed
      // (POST_ORDER_ACKNOWLEDGEMENT_DATA), which Orderhub does not speak. The seller cancels in Seller Central.
      throw new UpstreamError(
        `Amazon order ${cancel.channelOrderId} must be cancelled in Seller Central (Orders > Manage Orders > Cancel order): the Selling Partner API offers no JSON operation to cancel an order`,
        undefined,
      );
    },
  };

  // Nothing is sent and nothing is read: the answer is the same for every order, so a caller can fall back
  // (tell the operator to refund in Seller Central) without spending any of the seller's SP-API quota.
  const refunds: RefundTarget = {
    async reportRefund(refund) {
      ctx.log.info('amazon refund not reported: the SP-API offers no JSON operation for it', {
        connectionId: ctx.connectionId,
        channelOrderId: refund.channelOrderId,
        returnId: refund.returnId,
      });
      return { status: 'not_supported', why: AMAZON_REFUND_NOT_SUPPORTED };
    },
  };

  const stock: StockTarget = {
    // fulfillment_availability carries a restock_date: a sold-out listing shows when it is back.
    carriesRestockDate: true,
    async setAvailable(levels, opts) {
      const quantities = [...availableBySku(levels)];
      const restockDates = restockDateBySku(levels);
      // The change lane: each sku patched on its own, seconds. A push without a lane is a change.
      if (opts?.mode !== 'reconcile') {
        await patchQuantities(client, ctx, options.sellerId, options.marketplaceIds, quantities, restockDates);
        return;
      }
      // The reconcile lane: one feed per call, awaited until Amazon has processed it; a catalogue larger
      // than one feed allows goes in consecutive feeds.
      for (let i = 0; i < quantities.length; i += MAX_MESSAGES_PER_FEED) {
        await feeds.submit(listingsInventoryFeed(options.sellerId, quantities.slice(i, i + MAX_MESSAGES_PER_FEED), restockDates));
      }
    },
  };

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
    refunds,
    stock,
    // Listings are per marketplace; the first configured one is the catalogue's.
    catalog: createAmazonCatalog(client, options.sellerId, options.marketplaceIds[0]),
  };
}

// Amazon refunds a seller-fulfilled order only through the order adjustment feed: POST_PAYMENT_ADJUSTMENT_DATA
// (XML, OrderAdjustment.xsd) or POST_FLAT_FILE_PAYMENT_ADJUSTMENT_DATA (tab-separated), each asking per order
// item for the adjustment split by component (Principal, Shipping, Tax...). There is no JSON feed for it, and
// the Orders API (v0 and 2026-01-01) only reads orders and confirms shipments. Orderhub speaks neither format
// (as for cancellations), so the seller refunds in Seller Central (Orders > Manage Orders > Refund order).
export const AMAZON_REFUND_NOT_SUPPORTED =
  'Amazon takes refunds for seller-fulfilled orders only as an order adjustment feed (POST_PAYMENT_ADJUSTMENT_DATA in XML, or its flat-file form), with no JSON operation in the Orders or Feeds API; refund the order in Seller Central (Orders > Manage Orders > Refund order)';

// Our page token carries Amazon's nextToken and the lastUpdatedAfter of the first page: Amazon wants every
// other parameter repeated with the same values, even when the look-back was computed from the clock.
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
