import type { Collection, Db } from 'mongodb';
import { insertOnce, upsertRacing } from './atomic';

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

// Why a delivery is dead, as stored: the error and each problem it names.
export function deadReasonOf(message: string, problems: readonly { path: string; message: string }[]): string {
  const listed = problems.map((p) => `${p.path}: ${p.message}`).join('; ');
  return listed ? `${message} (${listed})` : message;
}

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
    const _id = deliveryKey(d.connectionId, d.deliveryId);
    if (
      await insertOnce(this.col, {
        ...d,
        bodyBytes: Buffer.byteLength(d.body),
        _id,
        receivedAt: now,
        status: 'queued',
        replays: 0,
        updatedAt: now,
      })
    )
      return true;
    // Counted only on a resend (off the first delivery's path), never blocking: concurrent resends may
    // undercount on FerretDB, which is only a statistic.
    await upsertRacing(this.resendCounts, { _id }, { $inc: { count: 1 } });
    return false;
  }

  async get(id: string): Promise<WebhookDelivery | null> {
    const doc = await this.col.findOne({ _id: id });
    return doc && this.withResends(doc);
  }

  // The delivery as the consumer needs it: without the resend count, one lookup fewer per delivery.
  getForProcessing(id: string): Promise<Omit<WebhookDelivery, 'resends'> | null> {
    return this.col.findOne({ _id: id });
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

  /** How many deliveries are dead letters now (read by the `status` index, ids only). */
  async countDead(): Promise<number> {
    return (await this.col.find({ status: 'dead' }, { projection: { _id: 1 } }).toArray()).length;
  }

  async deadLetters(limit: number): Promise<WebhookDelivery[]> {
    const docs = await this.col.find({ status: 'dead' }).toArray();
    const newest = docs.sort((a, b) => b.updatedAt.getTime() - a.updatedAt.getTime()).slice(0, limit);
    return Promise.all(newest.map((d) => this.withResends(d)));
  }
}
