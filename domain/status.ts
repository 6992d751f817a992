// The order lifecycle: the happy path in order, and the side states.
export const FLOW = [
  'received',
  'validated',
  'payment_authorized',
  'stock_reserved',
  'released_to_fulfillment',
  'picked',
  'packed',
  'ready_for_pickup', // pickup orders only: waiting at the store for the customer
  'shipped',
  'delivered',
  'completed',
] as const;

export const SIDE_STATES = ['awaiting_payment', 'awaiting_stock', 'on_hold', 'needs_attention', 'cancelled', 'rejected'] as const;

export const ORDER_STATUSES = [...FLOW, ...SIDE_STATES] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];
export type FlowStatus = (typeof FLOW)[number];

export const TERMINAL_STATUSES: readonly OrderStatus[] = ['completed', 'cancelled', 'rejected'];

// Events the warehouse and carrier report, in the order they happen.
export const FULFILLMENT_EVENTS = ['picked', 'packed', 'shipped', 'delivered'] as const;
export type FulfillmentEventType = (typeof FULFILLMENT_EVENTS)[number];

export function isTerminal(status: OrderStatus): boolean {
  return TERMINAL_STATUSES.includes(status);
}

export function flowIndex(status: FlowStatus): number {
  return FLOW.indexOf(status);
}

// An order can be cancelled until its goods have left the building.
export function canCancel(stage: FlowStatus): boolean {
  return flowIndex(stage) < flowIndex('shipped');
}

// A fulfilment event moves the order forward only from the stage right before it or later events skipped over.
export function acceptsEvent(stage: FlowStatus, event: FulfillmentEventType): boolean {
  return flowIndex(stage) >= flowIndex('released_to_fulfillment') && flowIndex(event) > flowIndex(stage);
}
