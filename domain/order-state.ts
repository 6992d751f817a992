import type { RoutingExplanation } from './routing';
import type { DropShipPurchaseOrder } from './drop-ship';
import type { Order } from './order';
import type { FlowStatus, OrderStatus } from './status';
import { releaseAtOf } from './preorder';

export type PaymentStatus = 'none' | 'pending' | 'authorized' | 'captured' | 'voided' | 'refunded' | 'declined';

// The label bought for an order (or one part of a split order) through the carrier rules.
export interface OrderLabel {
  carrierConnectionId: string;
  carrier: string;
  service: string;
  trackingNumber: string;
  labelUrl?: string;
  trackingUrl?: string; // the carrier's public tracking page, for the customer
  moreParcels?: { trackingNumber: string; labelUrl?: string }[];
  explanation: string[];
  voided?: 'voided' | 'pending' | 'rejected' | 'none';
}

export interface OrderShipment {
  carrier: string;
  trackingNumber: string;
  shippedAt: string;
}

// One part of a split order: reserved at its own location, then picked, packed, labelled, shipped and
// tracked on its own. Fulfilment events name the part they are for.
export interface OrderPart {
  id: string; // "1", "2", ... in the routing engine's order
  locationId: string;
  reservationId: string;
  lines: { sku: string; quantity: number }[];
  stage: FlowStatus;
  label?: OrderLabel;
  shipment?: OrderShipment;
  deliveredAt?: string;
  captured?: number; // minor units this part captured when it shipped
}

// The latest the carrier said about one parcel (in transit, out for delivery, delivered, exception).
export interface ParcelTracking {
  trackingNumber: string;
  carrier: string;
  status: 'in_transit' | 'out_for_delivery' | 'delivered' | 'exception';
  carrierStatus: string; // the carrier's own word for it
  detail?: string;
  at: string; // when the carrier scanned it
  estimatedDeliveryAt?: string;
  part?: string; // the part of a split order it ships
}

// A change the channel made that the order could not take (it was already picked): for an operator to
// settle by hand (with the warehouse, the customer or the channel).
export interface OrderNotice {
  at: string;
  source: 'channel';
  message: string;
  changes: string[]; // "shipping address changed", "line MUG-1 2 -> 3", "line CAP-2 added (1)", ...
}

// One partial cancel: the units taken off the order, the stock given back for them, and their money
// (voided while only authorised, refunded once captured).
export interface LinesCancellation {
  commandId: string;
  at: string;
  reason: string;
  lines: { sku: string; quantity: number; amount: number }[];
  released: { locationId: string; reservationId: string; part?: string; sku: string; quantity: number }[];
  amount: number; // the cancelled units' money, minor units
  money: { kind: 'voided' | 'refunded' | 'none'; amount: number; reference?: string };
}

export interface StatusChange {
  status: OrderStatus;
  at: string;
  reason?: string;
}

// Everything the outside world may read about an order: the workflow keeps it, a query returns it,
// and the MongoDB `orders` view is a projection of it.
export interface OrderState {
  orderId: string;
  channel: string;
  channelOrderId: string;
  type: string;
  status: OrderStatus;
  stage: FlowStatus; // how far along the happy path the order got
  history: StatusChange[];
  late: boolean;
  exchangeFor?: string; // the return this order replaces items for (an exchange)
  lateStages: { stage: FlowStatus; dueAt: string }[];
  payment: {
    method: Order['payment']['method'];
    provider: string;
    status: PaymentStatus;
    amount: number;
    currency: string;
    reference?: string;
    captured?: number; // minor units taken so far (all at once, or part by part as a split order ships)
    refunded?: number; // minor units given back for cancelled lines
    authorizationExpiresAt?: string; // when the provider lets the authorisation lapse (providers whose do)
    reauthorizedAt?: string; // a pre-order authorised again at its release
    // Shown by GET /orders/:id for an order paid on invoice (not stored): its terms, and when it falls due.
    terms?: { netDays: number };
    dueAt?: string;
  };
  // A pre-order: released to the warehouse on this date (the latest of its pre-order lines'). GET
  // /orders/:id adds its claims on inbound stock.
  preorder?: { releaseAt: string; releasedAt?: string };
  // Lines or units cancelled before they shipped (POST /orders/:id/lines/cancel), oldest first.
  cancelledLines?: LinesCancellation[];
  allocation?: { reservationId: string; locationId: string; reservedAt: string };
  // A split order (no single location could fill it): its parts. Such an order has no `allocation`; its
  // status moves on when every part has (shipped when all are, delivered when all are).
  parts?: OrderPart[];
  // A backordered order (domain/backorder.ts): the units still waiting for stock, since when, and how many
  // parts were filled from the backorder so far. Each filled part is listed in `parts` and ships on its own;
  // the order is delivered when the backorder is empty and every part is.
  backorder?: { lines: { sku: string; quantity: number }[]; since: string; filledParts: number; note?: string };
  // Locations that rejected the order's allocation before picking, in order.
  // part: a part filled from the backorder, rejected after other parts were picked (its units backordered again).
  rejections?: { locationId: string; reason: 'not_in_stock' | 'damaged'; skus?: string[]; note?: string; at: string; part?: string }[];
  // Why the order was placed where it was, or why it waits: the routing engine's explanation.
  routing?: RoutingExplanation;
  awaitingStock?: { since: string; attempts: number; shortfall?: { sku: string; requested: number; available: number } };
  shipment?: OrderShipment;
  // A pickup order at its store: since when it waits, until when it is held, when it was collected.
  pickup?: { locationId: string; readyAt?: string; holdUntil?: string; collectedAt?: string };
  // The label bought through the carrier rules, and how the carrier was chosen.
  label?: OrderLabel;
  // A drop-ship order: each supplier's purchase order (one per part) and where the supplier stands with it.
  dropShip?: { purchaseOrders: DropShipPurchaseOrder[] };
  // Carrier tracking, one entry per parcel, the latest scan of each.
  tracking?: ParcelTracking[];
  deliveredAt?: string;
  hold?: { reason: string; since: string };
  attention?: { step: string; error: string; since: string };
  cancellation?: { reason: string; at: string; channelNotice?: string }; // channelNotice: the channel must be told by hand
  rejection?: { reason: string; details?: unknown };
  // Channel changes not applied because the order was already picked, oldest first.
  notices?: OrderNotice[];
  // The channel's time of the newest copy of the order taken (captured, applied or noticed): an older copy
  // arriving late (webhooks are not ordered) is not applied over a newer one.
  channelUpdatedAt?: string;
  version: number; // increases with every change; the view ignores older projections
}

export type OrderView = OrderState & { order: Order; createdAt: string; updatedAt: string };

// The state an order starts in; shared by the API (first view write) and the workflow.
export function initialOrderState(order: Order): OrderState {
  const releaseAt = releaseAtOf(order);
  return {
    orderId: order.id,
    channel: order.channel,
    channelOrderId: order.channelOrderId,
    type: order.type,
    status: 'received',
    stage: 'received',
    history: [{ status: 'received', at: order.receivedAt }],
    late: false,
    lateStages: [],
    payment: {
      method: order.payment.method,
      provider: paymentProviderOf(order),
      status: 'none',
      amount: order.totals.total,
      currency: order.currency,
    },
    ...(releaseAt && { preorder: { releaseAt } }),
    version: 1,
  };
}

// Cash on delivery is always collected by the courier, whatever provider the channel named.
// (Kept here, free of zod, because the workflow bundle imports this file.)
export function paymentProviderOf(order: Pick<Order, 'payment'>): string {
  if (order.payment.method === 'cash_on_delivery') return 'cash_on_delivery';
  // On account: the invoice provider bills it when it ships.
  if (order.payment.method === 'invoice') return 'invoice';
  return order.payment.provider;
}

// When an order paid on invoice falls due: its terms' days after it shipped (the invoice is issued then);
// undefined for other orders and before shipment.
export function paymentDueOf(view: Pick<OrderView, 'history' | 'order'>): string | undefined {
  const terms = view.order.payment.terms;
  if (view.order.payment.method !== 'invoice' || !terms) return undefined;
  const shipped = view.history.find((h) => h.status === 'shipped' || h.status === 'completed')?.at;
  if (!shipped) return undefined;
  return new Date(Date.parse(shipped) + terms.netDays * 86_400_000).toISOString().slice(0, 10);
}

// What the order's payment has taken: the amount captured so far (per part, where parts capture on their
// own), or the whole amount once the status says captured.
export function capturedOf(view: Pick<OrderState, 'payment'>): number {
  const p = view.payment as OrderState['payment'] & { captured?: number };
  if (typeof p.captured === 'number') return p.captured;
  return p.status === 'captured' ? p.amount : 0;
}
