// Every workflow id and task queue name comes from here.
export const ORDER_TASK_QUEUE = 'orderhub-orders';

export function orderWorkflowId(channel: string, channelOrderId: string): string {
  return `order:${channel}:${channelOrderId}`;
}

export function parseOrderId(orderId: string): { channel: string; channelOrderId: string } | undefined {
  const match = /^order:([a-z0-9_-]+):(.+)$/.exec(orderId);
  return match ? { channel: match[1], channelOrderId: match[2] } : undefined;
}

// A return on an order, numbered 1, 2, ... per order: return:order:web:1001:2.
export function returnWorkflowId(orderId: string, n: number): string {
  return `return:${orderId}:${n}`;
}

export function parseReturnId(returnId: string): { orderId: string; n: number } | undefined {
  const match = /^return:(order:.+):([1-9][0-9]{0,5})$/.exec(returnId);
  return match ? { orderId: match[1], n: Number(match[2]) } : undefined;
}

// What a picklist picks for: a whole order, or one part of a split order ("order:web:1001|part:2").
// `|` never appears in an order id, so the two read back unambiguously.
export function pickUnitId(orderId: string, part?: string): string {
  return part === undefined ? orderId : `${orderId}|part:${part}`;
}

export function parsePickUnitId(id: string): { orderId: string; part?: string } {
  const match = /^(.*)\|part:([0-9]+)$/.exec(id);
  return match ? { orderId: match[1], part: match[2] } : { orderId: id };
}

// Idempotency keys for side effects derived from the order and the step.
export function stepKey(orderId: string, step: string): string {
  return `${orderId}:${step}`;
}

// Housekeeping schedules, one per job.
export type MaintenanceJob = 'reservations' | 'replenishment';
export function maintenanceScheduleId(job: MaintenanceJob): string {
  return `maintenance:${job}`;
}

export type SyncKind = 'orders' | 'stock' | 'erp-receipts' | 'catalog';

// Temporal Schedule ids, one per connection and kind of sync: visible, pausable and triggerable in the UI.
export function syncScheduleId(connectionId: string, kind: SyncKind): string {
  return `sync:${connectionId}:${kind}`;
}
