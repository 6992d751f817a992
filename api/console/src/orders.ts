// The order shapes the pages read (the parts of GET /orders and GET /orders/:id they use).

// The statuses are the domain's own list (domain/status.ts imports nothing, so the bundle can take it).
export { ORDER_STATUSES } from '../../../domain/status';

export interface OrderLine {
  sku: string;
  quantity: number;
  unitPrice: number;
  name?: string;
}

export interface OrderView {
  orderId: string;
  channel: string;
  channelOrderId: string;
  type: string;
  status: string;
  stage: string;
  late: boolean;
  lateStages: { stage: string; dueAt: string }[];
  history: { status: string; at: string; reason?: string }[];
  payment: { method: string; status: string; amount: number; currency: string; captured?: number; refunded?: number };
  allocation?: { locationId: string; reservedAt: string };
  parts?: {
    id: string;
    locationId: string;
    stage: string;
    lines: { sku: string; quantity: number }[];
    label?: { carrier: string; service: string; trackingNumber: string; trackingUrl?: string };
    shipment?: { carrier: string; trackingNumber: string; shippedAt: string };
  }[];
  backorder?: { lines: { sku: string; quantity: number }[]; since: string };
  routing?: {
    summary: string;
    steps: { rule?: { id: string; name: string }; outcome: string; message: string }[];
    decidedBy?: { id: string; name: string };
  };
  awaitingStock?: { since: string; attempts: number; shortfall?: { sku: string; requested: number; available: number } };
  shipment?: { carrier: string; trackingNumber: string; shippedAt: string };
  label?: { carrier: string; service: string; trackingNumber: string; trackingUrl?: string; explanation: string[] };
  tracking?: { trackingNumber: string; carrier: string; status: string; carrierStatus: string; detail?: string; at: string }[];
  hold?: { reason: string; since: string };
  attention?: { step: string; error: string; since: string };
  cancellation?: { reason: string; at: string };
  rejection?: { reason: string };
  rejections?: { locationId: string; reason: string; at: string; note?: string }[];
  notices?: { at: string; message: string; changes: string[] }[];
  promise?: { promisedAt?: string; [k: string]: unknown };
  order: {
    currency: string;
    customer: { name?: string; email?: string };
    shippingAddress: { name?: string; line1: string; city: string; postalCode: string; country: string };
    lines: OrderLine[];
    receivedAt: string;
  };
  createdAt: string;
  updatedAt: string;
}

export interface OrderPage {
  orders: OrderView[];
  nextCursor?: string;
}

export const totalOf = (o: OrderView) => o.payment?.amount ?? o.order.lines.reduce((n, l) => n + l.unitPrice * l.quantity, 0);
