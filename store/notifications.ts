import type { Collection, Db } from 'mongodb';
import { insertOnce } from './atomic';

// An outbox of messages to customers ("your order is ready for pickup", "part 2 of your order has
// shipped"). Orderhub decides what to say and when; sending it (email, SMS) is the job of whatever reads
// the outbox (GET /customer-notifications, then POST /customer-notifications/:id/sent). It is written for
// every channel: a reader skips channels that tell their customers themselves (Shopify does, when
// Orderhub reports the fulfilment with notifyCustomer).
export const NOTIFICATION_KINDS = [
  'ready_for_pickup',
  'shipped',
  'delivered',
  'lines_cancelled',
  'backordered', // some units ship later, as they arrive (n: the how-manyth time the order split for it)
  'return_approved',
  'return_received',
  'return_refunded',
  'promise_date_changed', // a waiting order's promised date moved (n: the how-manyth move)
  // To a drop-ship supplier without a connection: a purchase order to ship (part: the order's part), or
  // its withdrawal. Their channel is "supplier".
  'supplier_purchase_order',
  'supplier_purchase_order_cancelled',
  'low_stock', // to the operators: a sku at a location fell to its reorder point (orderId is stock:<sku>:<locationId>)
] as const;
export type NotificationKind = (typeof NOTIFICATION_KINDS)[number];

// n: the n-th of a kind an order can have more than once (its first, second, ... partial cancel; a
// return's notices carry the return's number).
export const notificationId = (orderId: string, kind: NotificationKind, part?: string, n?: number) =>
  `${orderId}|${kind}${part === undefined ? '' : `|part:${part}`}${n === undefined ? '' : `|n:${n}`}`;

export interface CustomerNotification {
  _id: string; // notificationId(): one per order, kind (and part, or n), however often the step is retried
  orderId: string;
  kind: NotificationKind;
  part?: string;
  n?: number;
  returnId?: string; // for a return's notices: return:<orderId>:<n>
  channel: string;
  to: { name: string; email?: string; phone?: string };
  details: Record<string, string>;
  status: 'pending' | 'sent';
  at: Date;
  sentAt?: Date;
  sentBy?: string;
}

export class CustomerNotifications {
  private readonly col: Collection<CustomerNotification>;
  constructor(db: Db) {
    this.col = db.collection<CustomerNotification>('customer_notifications');
  }

  async queue(n: Omit<CustomerNotification, '_id' | 'status' | 'at'>): Promise<boolean> {
    return insertOnce<CustomerNotification>(this.col, {
      ...n,
      _id: notificationId(n.orderId, n.kind, n.part, n.n),
      status: 'pending',
      at: new Date(),
    });
  }

  forOrder(orderId: string): Promise<CustomerNotification[]> {
    return this.col.find({ orderId }).toArray();
  }

  // Oldest first, by status and/or order (equality filters, which FerretDB evaluates in the database).
  async list(q: { status?: 'pending' | 'sent'; orderId?: string; limit: number }): Promise<CustomerNotification[]> {
    const filter = { ...(q.status && { status: q.status }), ...(q.orderId && { orderId: q.orderId }) };
    const docs = await this.col.find(filter).toArray();
    return docs.sort((a, b) => a.at.getTime() - b.at.getTime() || (a._id < b._id ? -1 : 1)).slice(0, q.limit);
  }

  get(id: string): Promise<CustomerNotification | null> {
    return this.col.findOne({ _id: id });
  }

  // Mark it sent. Repeating it leaves it sent with its first time (two senders racing on FerretDB v1, whose
  // updates do not re-check the filter, may leave either one's time: it is sent either way).
  async markSent(id: string, by: string): Promise<CustomerNotification | null> {
    const found = await this.col.findOne({ _id: id });
    if (!found || found.status === 'sent') return found;
    await this.col.updateOne({ _id: id, status: 'pending' }, { $set: { status: 'sent', sentAt: new Date(), sentBy: by } });
    return this.col.findOne({ _id: id });
  }
}
