// The order workflow's contract, as api.go is in Temporal's reference order app: its id, type, input and
// outcome, the commands it answers (Updates, each validated by the workflow), the signals kept for orders
// already in flight and for the worker's own notices, its query and its search attributes. Callers import
// from here (or from workflows/order, which re-exports it); nothing here runs.
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { Parcel } from '../../domain/carrier';
import type { Order } from '../../domain/order';
import type { OrderEditContent } from '../../domain/order-edit';
import type { OrderState, ParcelTracking } from '../../domain/order-state';
import type { FulfillmentEventType, OrderStatus } from '../../domain/status';
import type { SupplierAnswer } from '../../domain/drop-ship';

export { OrderLateKey, OrderStatusKey, OrderTypeKey, SalesChannelKey } from '../search-attributes';

// The workflow id of an order is the order id ("<channel>:<channel order id>"); the type is orderWorkflow.
export const ORDER_WORKFLOW_TYPE = 'orderWorkflow';
export const orderWorkflowId = (orderId: string): string => orderId;

// ---- Input and outcome -------------------------------------------------------------------------------

export interface OrderSettings {
  // Time allowed to reach each fulfilment stage after the previous one; a breach marks the order late.
  slaMs: Record<FulfillmentEventType, number>;
  awaitingStockRecheckMs: number; // safety net when no stock notification arrives
  pickupHoldMs: number; // a pickup order not collected within this is cancelled and its stock released
  paymentConfirmationTimeoutMs: number; // an unconfirmed manual payment rejects the order after this
  activityMaxAttempts: number; // past this, the step puts the order in needs_attention
  activityInitialIntervalMs: number;
}

export const DEFAULT_ORDER_SETTINGS: OrderSettings = {
  slaMs: {
    picked: 4 * 3600_000,
    packed: 2 * 3600_000,
    shipped: 24 * 3600_000,
    delivered: 7 * 24 * 3600_000,
  },
  awaitingStockRecheckMs: 15 * 60_000,
  pickupHoldMs: 7 * 24 * 3600_000,
  paymentConfirmationTimeoutMs: 3 * 24 * 3600_000,
  activityMaxAttempts: 6,
  activityInitialIntervalMs: 1_000,
};

export interface OrderWorkflowInput {
  order: Order;
  // The replacement in an exchange: linked to its return, and (unless the policy trusts the customer) held
  // with its stock reserved until the returned items are back (exchangeItemsReceivedSignal).
  exchange?: { returnId: string; holdUntilReceived: boolean };
  channelUpdatedAt?: string; // the channel's time of the copy captured (an older edit arriving later is refused)
  settings?: Partial<Omit<OrderSettings, 'slaMs'>> & { slaMs?: Partial<OrderSettings['slaMs']> };
}

export interface OrderOutcome {
  orderId: string;
  status: OrderStatus;
}

// ---- Command arguments ----------------------------------------------------------------------------------

export interface FulfillmentEvent {
  type: FulfillmentEventType;
  carrier?: string; // required with "shipped"
  trackingNumber?: string; // required with "shipped"
  parcels?: Parcel[]; // with "packed": what the label is bought for
  part?: string; // a split order's part this event is for; absent: every part
}

// source 'channel': the channel itself cancelled the order, so it is not told again.
export interface CancelRequest {
  reason: string;
  source?: 'operator' | 'channel';
}

export interface HoldRequest {
  reason: string;
}

// The location cannot fill its allocation: nothing there (not_in_stock) or the goods are damaged.
export interface AllocationRejection {
  reason: 'not_in_stock' | 'damaged';
  skus?: string[]; // absent: every line
  note?: string;
  locationId?: string; // the location rejecting (for a split order, the part's); one not holding the order is ignored
  // A part filled from the backorder (after other parts were picked): which one, when its location holds
  // several not yet picked.
  part?: string;
}

// The carrier reports a problem (address unknown, damaged, refused): the order needs an operator.
export interface CarrierException {
  trackingNumber: string;
  message: string;
  at?: string;
}

// The channel changed the order (an order edit): its new contact, addresses and lines, as of the channel's
// updatedAt. Before picking the order takes it (stock follows the lines); after, it records a notice.
export interface ChannelEdit {
  edit: OrderEditContent;
  channelUpdatedAt: string;
}

// Some lines or units of the order, cancelled before they ship; the rest goes on.
export interface CancelLinesRequest {
  lines: { sku: string; quantity: number }[];
  reason?: string;
}

// A drop-ship part whose supplier refused it, sent to another drop-ship supplier instead (part: which part
// of an order with several suppliers; absent for a one-supplier order).
export interface DropShipReroute {
  supplierId: string;
  part?: string;
}

// ---- Commands: Updates ----------------------------------------------------------------------------------
// Each is checked by the workflow's validator against the order's own state (workflows/order/rules.ts):
// a refused command fails with the reason (ApplicationFailure type CommandRefused, or InvalidCommand when
// the arguments do not fit this order) and changes nothing. An accepted one returns the order's state
// once the workflow has acted on it (or has parked, waiting for something else).

export const cancelOrderUpdate = defineUpdate<OrderState, [CancelRequest]>('cancelOrder');
export const holdOrderUpdate = defineUpdate<OrderState, [HoldRequest]>('holdOrder');
export const releaseOrderUpdate = defineUpdate<OrderState, []>('releaseOrder');
export const retryOrderUpdate = defineUpdate<OrderState, []>('retryOrder');
export const fulfillmentEventUpdate = defineUpdate<OrderState, [FulfillmentEvent]>('reportFulfillmentEvent');
export const confirmPaymentUpdate = defineUpdate<OrderState, [{ reference?: string }]>('confirmOrderPayment');
export const declinePaymentUpdate = defineUpdate<OrderState, [{ reason: string }]>('declineOrderPayment');
export const rejectAllocationUpdate = defineUpdate<OrderState, [AllocationRejection]>('rejectOrderAllocation');
export const pickupConfirmedUpdate = defineUpdate<OrderState, [{ by?: string }]>('confirmOrderPickup');
// Answered once the units' stock is given back and their money voided or refunded.
export const cancelLinesUpdate = defineUpdate<OrderState, [CancelLinesRequest]>('cancelOrderLines');
// Answered once the order has taken the edit (applied it, or recorded it as a notice) or parked.
export const applyChannelEditUpdate = defineUpdate<OrderState, [ChannelEdit]>('applyChannelEdit');
// Answered once the new supplier's purchase order is being sent (the order has left needs_attention).
export const rerouteDropShipUpdate = defineUpdate<OrderState, [DropShipReroute]>('rerouteDropShip');

// Failure types an Update's validator refuses with.
export const COMMAND_REFUSED = 'CommandRefused'; // the order's state does not allow it now (HTTP 409)
export const INVALID_COMMAND = 'InvalidCommand'; // the arguments do not fit this order (HTTP 400)

// ---- Signals --------------------------------------------------------------------------------------------
// The same commands as signals, kept so that orders started before the Updates existed, and senders that
// must not wait (the worker's webhook consumers), keep working: a signal the order cannot take is dropped.

export const cancelOrderSignal = defineSignal<[CancelRequest]>('cancel');
export const holdOrderSignal = defineSignal<[HoldRequest]>('hold');
export const releaseOrderSignal = defineSignal<[]>('release');
// The return an exchange replacement waits for has its items back: the replacement may ship.
export const exchangeItemsReceivedSignal = defineSignal<[]>('exchangeItemsReceived');
export const retryOrderSignal = defineSignal<[]>('retry');
export const fulfillmentEventSignal = defineSignal<[FulfillmentEvent]>('fulfillmentEvent');
export const confirmPaymentSignal = defineSignal<[{ reference?: string }]>('confirmPayment');
export const declinePaymentSignal = defineSignal<[{ reason: string }]>('declinePayment');
export const rejectAllocationSignal = defineSignal<[AllocationRejection]>('rejectAllocation');
export const pickupConfirmedSignal = defineSignal<[{ by?: string }]>('pickupConfirmed');
// Notices, not commands: stock was freed somewhere; the carrier reports a problem; a tracking scan
// (kept on the order, latest per parcel; it moves nothing).
export const stockChangedSignal = defineSignal<[]>('stockChanged');
export const carrierExceptionSignal = defineSignal<[CarrierException]>('carrierException');
export const trackingUpdateSignal = defineSignal<[ParcelTracking]>('trackingUpdate');
// A drop-ship supplier answered about its purchase order (confirmed, shipped with tracking, refused): a fact,
// recorded on the purchase order first (services/drop-ship.ts); each event id is taken once.
export const supplierAnswerSignal = defineSignal<[SupplierAnswer]>('supplierAnswer');

// ---- Query ----------------------------------------------------------------------------------------------

export const orderStatusQuery = defineQuery<OrderState>('orderStatus');
