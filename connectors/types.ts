import type { z } from 'zod';
import type { CarrierRate, Label, LabelPurchase, ParcelShipment, Tracking, TrackingEvent, VoidOutcome } from '../domain/carrier';
import type { Order, OrderInput } from '../domain/order';
import type { Address } from '../domain/address';
import type { SupplierEventType } from '../domain/drop-ship';
import type { Logger } from '../domain/logger';
import type { HttpClient, HttpClientOptions } from './http';

// What every connector is given: its connection's identity, the shared HTTP layer and a logger.
export interface ConnectorContext {
  connectionId: string;
  channel: string; // the sales channel name orders from this connection carry (order:<channel>:<id>)
  // Builds the one HTTP client per base URL, with the connection's shared rate limit (see http.ts).
  http(
    opts: Pick<HttpClientOptions, 'baseURL' | 'limit' | 'headers' | 'timeoutMs' | 'maxAttempts' | 'baseDelayMs' | 'maxDelayMs'>,
  ): HttpClient;
  log: Logger;
  // Small per-connection cache in Redis (e.g. an OAuth access token until shortly before it expires).
  cache: { get(key: string): Promise<string | null>; set(key: string, value: string, ttlMs: number): Promise<void> };
}

// An order as a channel sees it, already mapped to the canonical shape.
export interface ChannelOrder {
  order: OrderInput; // order.channel is the connection's channel
  cancelled: boolean; // cancelled at the channel
  cancelReason?: string;
  updatedAt: string; // ISO timestamp of the channel's last change, used as the polling cursor
}

export type WebhookHeaders = Record<string, string | undefined>;

export interface VerifiedWebhook {
  deliveryId: string; // the channel's delivery id, used to deduplicate resends
  topic: string;
}

export type WebhookEvent =
  | { kind: 'order'; order: ChannelOrder }
  | { kind: 'return'; event: ChannelReturnEvent } // a return or refund made at the channel
  | { kind: 'ignored'; reason: string }; // a topic we do not act on

// A return or refund made at the channel (by the customer, or by the merchant in the channel's own admin),
// as its webhook tells it. Ids are the channel's, as exact strings (they may exceed 2^53).
export type ChannelReturnEventKind =
  'return_requested' | 'return_approved' | 'return_declined' | 'return_cancelled' | 'return_closed' | 'return_reopened' | 'refund_created';

export interface ChannelReturnEvent {
  kind: ChannelReturnEventKind;
  channelReturnId?: string; // every return_* event; a refund_created only when the refund settles a channel return
  channelRefundId?: string; // refund_created
  // The order the return or refund is on. Absent only where the channel does not send it (Shopify's
  // returns/decline carries the return id alone): the return is then found by channelReturnId.
  channelOrderId?: string;
  // What is returned or refunded: the channel's order line id (the order keeps skus, not line ids), the sku
  // where the payload carries it, how many, and the line's return reason. Empty when the event lists no
  // lines (decline, cancel, close, reopen).
  lines: { channelLineId: string; sku?: string; quantity: number; reason?: string }[];
  reason?: string; // the channel's reason code: a decline's, or the first return line's
  refund?: { amount: number; currency: string; shipping?: number }; // minor units: money back in total, and of it for shipping
  note?: string; // the customer's or merchant's note
  at: string; // ISO time of the change at the channel; when the payload carries none, when Orderhub mapped it
}

// A polled order that could not be mapped: kept as it came (raw), as a dead letter, while the poll goes on.
export interface UnmappedOrder {
  channelOrderId: string;
  raw: unknown;
  reason: string;
  problems: { path: string; message: string }[];
  // The channel's time of this copy when it can be read from it: the poll's cursor moves past it too, so a
  // window holding only bad orders is not read again and again.
  updatedAt?: string;
}

// The topic of a dead letter holding a polled order (webhook deliveries carry the channel's own topics).
export const POLLED_ORDER_TOPIC = 'poll/order';

// Orders from a storefront or marketplace.
export interface OrderSource {
  // Orders changed since `since` (ISO time; undefined = the channel's default look-back), one page at a
  // time; an order that cannot be mapped is handed back in `unmapped` and never stops the page.
  fetchOrdersUpdatedSince(
    since: string | undefined,
    pageToken?: string,
  ): Promise<{ orders: ChannelOrder[]; unmapped?: UnmappedOrder[]; nextPageToken?: string }>;
  // Maps a polled order as `unmapped` kept it (a dead letter being replayed); throws ValidationError.
  mapPolled?(raw: unknown): ChannelOrder;
  // Channels that push over HTTP webhooks (Amazon does not: it is polled).
  webhooks?: {
    // Throws UnauthorizedError (domain/errors) when the signature is missing or wrong.
    verify(rawBody: Buffer, headers: WebhookHeaders): VerifiedWebhook;
    // Throws ValidationError naming what could not be mapped.
    parse(topic: string, rawBody: Buffer): WebhookEvent;
  };
}

export interface StockLevel {
  sku: string;
  channelLocationId: string;
  available: number;
  // YYYY-MM-DD, for a sku sold out here: when one more unit is promised (after the orders waiting for it),
  // from what purchase orders bring to the feed's locations. Only for a target that carries restock dates.
  restockDate?: string;
}

// Which lane a push is in: a change (a few skus, to land within seconds) or the scheduled reconciliation
// (every sku, correcting drift; may take minutes, e.g. an Amazon listings feed). Channels with one lane
// for both may ignore it.
export interface StockPushOptions {
  mode: 'change' | 'reconcile';
}

// Available-to-sell quantities pushed to a channel. Resolves once the channel has the values (or, for a
// channel that processes asynchronously, once it has accepted them in submission order).
export interface StockTarget {
  setAvailable(levels: StockLevel[], opts?: StockPushOptions): Promise<void>;
  // The channel shows a sold-out listing's restock date: levels at 0 come with `restockDate` when one is known.
  carriesRestockDate?: boolean;
}

// Shipment and cancellation reported back to the channel an order came from.
export interface FulfillmentTarget {
  reportShipment(shipment: {
    channelOrderId: string;
    carrier: string;
    trackingNumber: string;
    lines: { sku: string; quantity: number }[];
    idempotencyKey: string;
  }): Promise<void>;
  reportCancellation(cancel: { channelOrderId: string; reason: string; idempotencyKey: string }): Promise<void>;
}

// A refund Orderhub granted on a return, reported to the channel the order came from so the channel's
// books and the customer's payment match.
export interface RefundReport {
  // Orderhub's return id (return:order:<channel>:<channelOrderId>:<n>): at most one refund is made at the
  // channel per return id, however often this is retried.
  returnId: string;
  channelOrderId: string;
  // The returned lines: the channel's line id when the caller has it, else the sku is looked up on the order.
  lines: { sku: string; channelLineId?: string; quantity: number }[];
  amount: number; // minor units of `currency`: everything given back, shipping included
  currency: string;
  shipping?: { amount: number }; // minor units of `amount` that refund shipping; absent or 0: none
  note?: string; // Orderhub's words, shown with the refund at the channel
}

export type RefundReportOutcome =
  | { status: 'reported'; channelRefundId: string } // made now, or found made by an earlier attempt
  | { status: 'not_supported'; why: string }; // the channel offers no way to report it: refund there by hand

// Refunds reported back to the channel an order came from.
export interface RefundTarget {
  // Throws ValidationError naming what does not fit the order (unknown sku, more than can be refunded,
  // another currency), UpstreamError when the channel refuses.
  reportRefund(refund: RefundReport): Promise<RefundReportOutcome>;
  // The sku of each of the order's line items, by the channel's line item id: a return made at the channel
  // names line items, not skus.
  lineSkus?(channelOrderId: string): Promise<Record<string, string>>;
}

export interface StockReceipt {
  receiptId: string; // the ERP's id, used as the ledger idempotency key
  sku: string;
  locationCode: string; // the ERP's warehouse code, mapped to an Orderhub location by the connection
  quantity: number;
  reference: string; // purchase order number
  receivedAt: string;
}

// A generic ERP: sales orders and invoices out, purchase-order receipts in.
export interface ErpTarget {
  pushSalesOrder(order: Order, idempotencyKey: string): Promise<void>;
  pushInvoice(invoice: { order: Order; carrier: string; trackingNumber: string; shippedAt: string }, idempotencyKey: string): Promise<void>;
  fetchStockReceipts(cursor: string | undefined): Promise<{ receipts: StockReceipt[]; nextCursor?: string }>;
}

export type CarrierWebhookEvent = { kind: 'tracking'; event: TrackingEvent } | { kind: 'ignored'; reason: string }; // an event we do not act on (a label created, nothing scanned yet)

// Rates, labels and tracking from a carrier or a multi-carrier aggregator.
export interface CarrierGateway {
  // Quotes for every service the gateway offers this shipment; [] when it does not serve the destination.
  rates(shipment: ParcelShipment): Promise<CarrierRate[]>;
  // Buys at most one label per idempotency key, however often it is retried (even after a lost response).
  // Throws RateUnavailableError (domain/carrier) when the service is not offered for this shipment.
  buyLabel(purchase: LabelPurchase, opts: { idempotencyKey: string }): Promise<Label>;
  // The label bought under this idempotency key, if a purchase went through (undefined: none). Used after a
  // purchase whose outcome was unknown (timeout, outage) when another carrier sold the label instead.
  findLabel(idempotencyKey: string): Promise<Label | undefined>;
  // Safe to repeat: a label already voided (or whose void is pending) reports that again.
  voidLabel(labelId: string): Promise<VoidOutcome>;
  track(trackingNumber: string, carrier: string): Promise<Tracking>;
  // Gateways that push tracking updates over HTTP webhooks.
  webhooks?: {
    // Throws UnauthorizedError when the signature is missing or wrong. Same argument order as OrderSource's.
    verify(rawBody: Buffer, headers: WebhookHeaders): VerifiedWebhook;
    // Throws ValidationError naming what could not be mapped.
    parse(rawBody: Buffer): CarrierWebhookEvent;
  };
}

// A drop-ship purchase order as it goes to the supplier: what to ship, to whom.
export interface SupplierPurchaseOrder {
  purchaseOrderId: string;
  orderReference: string; // the customer order it ships (Orderhub's order id)
  currency: string;
  lines: { sku: string; quantity: number; unitCost?: number }[];
  shipTo: Address;
  customer: { name: string; email?: string; phone?: string };
}

// A supplier's answer, as its webhook tells it.
export type SupplierWebhookEvent =
  | {
      kind: 'answer';
      eventId: string;
      purchaseOrderId: string;
      type: SupplierEventType;
      carrier?: string;
      trackingNumber?: string;
      reason?: string;
      at?: string;
    }
  | { kind: 'ignored'; reason: string };

// A supplier that ships our customers' orders (drop-ship): purchase orders out, its answers in.
export interface SupplierGateway {
  // Placed at most once per idempotency key, however often it is retried.
  sendPurchaseOrder(po: SupplierPurchaseOrder, opts: { idempotencyKey: string }): Promise<void>;
  // Withdrawn before it shipped; repeating it is harmless.
  cancelPurchaseOrder(purchaseOrderId: string, opts: { reason: string; idempotencyKey: string }): Promise<void>;
  webhooks: {
    // Throws UnauthorizedError when the signature is missing or wrong.
    verify(rawBody: Buffer, headers: WebhookHeaders): VerifiedWebhook;
    // Throws ValidationError naming what could not be mapped.
    parse(rawBody: Buffer): SupplierWebhookEvent;
  };
}

// A product variant as a channel lists it, for importing the catalogue.
export interface ChannelVariant {
  sku: string; // the channel's sku ('' when the variant has none)
  name: string;
  barcode?: string;
  weightGrams?: number;
  dimensionsMm?: { length: number; width: number; height: number }; // packed, as it ships
  allowBackorder?: boolean; // the channel sells it when out of stock (Shopify: inventoryPolicy CONTINUE)
  preorderReleaseAt?: string; // sold as a pre-order released then (Shopify: a PRE_ORDER selling plan's exact fulfilment time)
  channelIds: { variant: string; inventoryItem?: string };
}

// The channel's product catalogue, a page at a time.
export interface CatalogSource {
  variants(pageToken?: string): Promise<{ variants: ChannelVariant[]; nextPageToken?: string }>;
}

export interface Connector {
  kind: string;
  // One cheap authenticated call; throws an OrderhubError saying what is wrong.
  testConnection(): Promise<void>;
  orders?: OrderSource;
  catalog?: CatalogSource;
  stock?: StockTarget;
  fulfillment?: FulfillmentTarget;
  refunds?: RefundTarget;
  erp?: ErpTarget;
  carrier?: CarrierGateway;
  supplier?: SupplierGateway;
}

// A connector kind: validates its options and credentials when a connection is created, then builds.
export interface ConnectorFactory<O = unknown, C = unknown> {
  kind: string;
  optionsSchema: z.ZodType<O>;
  credentialsSchema: z.ZodType<C>;
  create(options: O, credentials: C, ctx: ConnectorContext): Connector;
}

// The ISO time at `field` of a raw channel order, if it is one.
export function rawTimeOf(raw: unknown, field: string): string | undefined {
  const value = raw && typeof raw === 'object' ? (raw as Record<string, unknown>)[field] : undefined;
  return typeof value === 'string' && !Number.isNaN(Date.parse(value)) ? new Date(value).toISOString() : undefined;
}
