import type { Collection, Db } from 'mongodb';
import { isDuplicateKey } from './mongo';

// An outbox of messages to customers ("your order is ready for pickup"). Orderhub decides what to say and
// when; sending it (email, SMS, the storefront's own notifications) is the job of whatever reads the outbox.
export interface CustomerNotification {
  _id: string; // `${orderId}|${kind}`: one per order and kind, however often the step is retried
  orderId: string;
  kind: 'ready_for_pickup';
  channel: string;
  to: { name: string; email?: string; phone?: string };
  details: Record<string, string>;
  status: 'pending' | 'sent';
  at: Date;
}

export class CustomerNotifications {
  private readonly col: Collection<CustomerNotification>;
  constructor(db: Db) {
    this.col = db.collection<CustomerNotification>('customer_notifications');
  }

  async queue(n: Omit<CustomerNotification, '_id' | 'status' | 'at'>): Promise<boolean> {
    try {
      await this.col.insertOne({ ...n, _id: `${n.orderId}|${n.kind}`, status: 'pending', at: new Date() });
      return true;
    } catch (err) {
      if (isDuplicateKey(err)) return false;
      throw err;
    }
  }

  forOrder(orderId: string): Promise<CustomerNotification[]> {
    return this.col.find({ orderId }).toArray();
  }
}
