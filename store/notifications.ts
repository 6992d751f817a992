import type { Collection, Db } from 'mongodb';
import { insertOnce } from './atomic';

// An outbox of messages to customers ("your order is ready for pickup", "part 2 of your order has
// shipped"). Orderhub decides what to say and when; the worker's mailer (worker/mailer.ts) sends each by
// email, at least once, and marks it sent, skipped (no address, or a channel that tells its customers
// itself: Shopify does when Orderhub reports the fulfilment with notifyCustomer) or failed after its
// attempts. Another sender may still read it (GET /customer-notifications, POST .../:id/sent).
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
  to: { name: string; email?: string; phone?: string; language?: string };
  details: Record<string, string>;
  status: NotificationStatus;
  at: Date;
  sentAt?: Date;
  sentBy?: string;
  messageId?: string; // the Message-ID the mail went out with (the same on every resend)
  attempts?: NotificationAttempt[]; // the mailer's tries, oldest first (the last MAX_ATTEMPT_LOG)
  error?: string; // why it failed, or why it was skipped
  failedAt?: Date;
  retries?: number; // how often an operator sent a failed one back to pending
}

export const NOTIFICATION_STATUSES = ['pending', 'sent', 'failed', 'skipped'] as const;
export type NotificationStatus = (typeof NOTIFICATION_STATUSES)[number];

export interface NotificationAttempt {
  at: Date;
  ok: boolean;
  error?: string;
  ms: number;
}
const MAX_ATTEMPT_LOG = 20;

export class CustomerNotifications {
  private readonly col: Collection<CustomerNotification>;
  // Told of every notification that became pending (queued, or retried by an operator: round = its retries),
  // so that the mailer is asked at once; a lost call is made up by the mailer's sweep.
  constructor(
    db: Db,
    private readonly onPending?: (id: string, round: number) => void,
  ) {
    this.col = db.collection<CustomerNotification>('customer_notifications');
  }

  async queue(n: Omit<CustomerNotification, '_id' | 'status' | 'at'>): Promise<boolean> {
    const _id = notificationId(n.orderId, n.kind, n.part, n.n);
    const inserted = await insertOnce<CustomerNotification>(this.col, { ...n, _id, status: 'pending', at: new Date() });
    if (inserted) this.onPending?.(_id, 0);
    return inserted;
  }

  forOrder(orderId: string): Promise<CustomerNotification[]> {
    return this.col.find({ orderId }).toArray();
  }

  // Oldest first, by status and/or order (equality filters, which FerretDB evaluates in the database).
  async list(q: { status?: NotificationStatus; orderId?: string; limit: number }): Promise<CustomerNotification[]> {
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

  // The mailer's work list: pending ones by an equality filter on the status index, at most `limit`.
  pending(limit: number): Promise<CustomerNotification[]> {
    return this.col.find({ status: 'pending' }).limit(limit).toArray();
  }

  // One more try of the mailer, kept with the notification (the last MAX_ATTEMPT_LOG).
  async recordAttempt(id: string, attempt: NotificationAttempt, messageId: string): Promise<void> {
    const found = await this.col.findOne({ _id: id });
    if (!found) return;
    const attempts = [...(found.attempts ?? []), attempt].slice(-MAX_ATTEMPT_LOG);
    await this.col.updateOne({ _id: id }, { $set: { attempts, messageId } });
  }

  // Settle a pending one as failed (attempts used up) or skipped (nothing to send, or not ours to send).
  async settle(id: string, status: 'failed' | 'skipped', error: string): Promise<CustomerNotification | null> {
    const found = await this.col.findOne({ _id: id });
    if (!found || found.status !== 'pending') return found;
    await this.col.updateOne(
      { _id: id, status: 'pending' },
      { $set: { status, error, ...(status === 'failed' && { failedAt: new Date() }) } },
    );
    return this.col.findOne({ _id: id });
  }

  // An operator sends a failed one back to pending; its attempt log stays. Null when there is none; the
  // notification unchanged when it is not failed.
  async retry(id: string): Promise<{ notification: CustomerNotification; retried: boolean } | null> {
    const found = await this.col.findOne({ _id: id });
    if (!found) return null;
    if (found.status !== 'failed') return { notification: found, retried: false };
    const retries = (found.retries ?? 0) + 1;
    await this.col.updateOne({ _id: id, status: 'failed' }, { $set: { status: 'pending', retries }, $unset: { error: '', failedAt: '' } });
    this.onPending?.(id, retries);
    return { notification: (await this.col.findOne({ _id: id }))!, retried: true };
  }
}
