import type { Collection, Db } from 'mongodb';
import { isDuplicateKey } from './mongo';

export type DeliveryStatus = 'queued' | 'processed' | 'ignored' | 'dead';

export interface WebhookDelivery {
  _id: string; // `${connectionId}|${deliveryId}`: one record per delivery, however often it is resent
  connectionId: string;
  deliveryId: string;
  topic: string;
  body?: string; // the raw, verified body; dropped once processed or ignored (dead letters keep it for replay)
  bodyBytes?: number;
  receivedAt: Date;
  resends: number;
  status: DeliveryStatus;
  outcome?: string;
  deadReason?: string;
  replays: number;
  updatedAt: Date;
}

export const deliveryKey = (connectionId: string, deliveryId: string) => `${connectionId}|${deliveryId}`;

export class WebhookDeliveries {
  private readonly col: Collection<Omit<WebhookDelivery, 'resends'>>;
  // Resends are counted beside the delivery, not on it: FerretDB v1 applies an update as read-modify-write
  // of the whole document, so a resend's $inc racing the consumer's settle could put the delivery back to
  // "queued" (CI caught one stuck that way).
  private readonly resendCounts: Collection<{ _id: string; count: number }>;
  constructor(db: Db) {
    this.col = db.collection<Omit<WebhookDelivery, 'resends'>>('webhook_deliveries');
    this.resendCounts = db.collection<{ _id: string; count: number }>('webhook_resends');
  }

  // Stores a verified delivery once. Returns false when this delivery id was already stored.
  async record(d: { connectionId: string; deliveryId: string; topic: string; body: string }): Promise<boolean> {
    const now = new Date();
    try {
      await this.col.insertOne({ ...d, bodyBytes: Buffer.byteLength(d.body), _id: deliveryKey(d.connectionId, d.deliveryId), receivedAt: now, status: 'queued', replays: 0, updatedAt: now });
      await this.resendCounts.insertOne({ _id: deliveryKey(d.connectionId, d.deliveryId), count: 0 }).catch((err) => {
        if (!isDuplicateKey(err)) throw err;
      });
      return true;
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
      // Counted, never blocking: concurrent resends may undercount on FerretDB, which is only a statistic.
      await this.resendCounts.updateOne({ _id: deliveryKey(d.connectionId, d.deliveryId) }, { $inc: { count: 1 } }, { upsert: true }).catch((e) => {
        if (!isDuplicateKey(e)) throw e;
      });
      return false;
    }
  }

  async get(id: string): Promise<WebhookDelivery | null> {
    const doc = await this.col.findOne({ _id: id });
    return doc && this.withResends(doc);
  }

  private async withResends(doc: Omit<WebhookDelivery, 'resends'>): Promise<WebhookDelivery> {
    return { ...doc, resends: (await this.resendCounts.findOne({ _id: doc._id }))?.count ?? 0 };
  }

  // A settled delivery keeps its record (so a resend is still recognised) but not its body, unless it is a
  // dead letter: kept bodies made every read and write of the collection slower on FerretDB (bench/README.md).
  async settle(id: string, status: Exclude<DeliveryStatus, 'queued'>, detail?: string): Promise<void> {
    const set = { status, updatedAt: new Date(), ...(status === 'dead' ? { deadReason: detail } : { outcome: detail }) };
    await this.col.updateOne({ _id: id }, status === 'dead' ? { $set: set } : { $set: set, $unset: { body: '' } });
  }

  async requeue(id: string): Promise<WebhookDelivery | null> {
    const doc = await this.col.findOne({ _id: id });
    if (!doc) return null;
    await this.col.updateOne({ _id: id }, { $set: { status: 'queued', updatedAt: new Date() }, $inc: { replays: 1 } });
    return this.withResends({ ...doc, status: 'queued', replays: doc.replays + 1 });
  }

  async deadLetters(limit: number): Promise<WebhookDelivery[]> {
    const docs = await this.col.find({ status: 'dead' }).toArray();
    const newest = docs.sort((a, b) => b.updatedAt.getTime() - a.updatedAt.getTime()).slice(0, limit);
    return Promise.all(newest.map((d) => this.withResends(d)));
  }
}
