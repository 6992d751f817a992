// Every workflow id and task queue name comes from here.
export const ORDER_TASK_QUEUE = 'orderhub-orders';

export function orderWorkflowId(channel: string, channelOrderId: string): string {
  return `order:${channel}:${channelOrderId}`;
}

export function parseOrderId(orderId: string): { channel: string; channelOrderId: string } | undefined {
  const match = /^order:([a-z0-9_-]+):(.+)$/.exec(orderId);
  return match ? { channel: match[1], channelOrderId: match[2] } : undefined;
}

// Idempotency keys for side effects derived from the order and the step.
export function stepKey(orderId: string, step: string): string {
  return `${orderId}:${step}`;
}

export type SyncKind = 'orders' | 'stock' | 'erp-receipts';

// Temporal Schedule ids, one per connection and kind of sync: visible, pausable and triggerable in the UI.
export function syncScheduleId(connectionId: string, kind: SyncKind): string {
  return `sync:${connectionId}:${kind}`;
}
