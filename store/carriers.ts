import type { Collection, Db } from 'mongodb';
import type { CarrierRule } from '../domain/carrier-rules';
import type { Label } from '../domain/carrier';
import { isDuplicateKey } from './mongo';

// Carrier rules (replaced whole by an operator), the label bought for each order, and which order a
// tracking number belongs to (how a carrier's tracking webhook finds its order).
interface RulesDoc {
  _id: 'carrier-rules';
  rules: CarrierRule[];
  updatedAt: Date;
  updatedBy: string;
}

export interface LabelRecord {
  _id: string; // order id: one label per order
  orderId: string;
  carrierConnectionId: string;
  label: Label;
  more?: Label[]; // one per further parcel, same carrier and service
  ruleId: string;
  explanation: string[];
  boughtAt: Date;
  voided?: { status: 'voided' | 'pending' | 'rejected'; detail?: string; at: Date };
}

interface TrackingDoc {
  _id: string; // `${carrierConnectionId}|${trackingNumber}`
  orderId: string;
  at: Date;
  deliveredAt?: Date;
}

export class CarrierSetup {
  private readonly setup: Collection<RulesDoc>;
  private readonly labels: Collection<LabelRecord>;
  private readonly tracking: Collection<TrackingDoc>;

  constructor(db: Db) {
    this.setup = db.collection<RulesDoc>('carrier_setup');
    this.labels = db.collection<LabelRecord>('shipping_labels');
    this.tracking = db.collection<TrackingDoc>('tracking_numbers');
  }

  async rules(): Promise<{ rules: CarrierRule[]; updatedAt?: string; updatedBy?: string }> {
    const doc = await this.setup.findOne({ _id: 'carrier-rules' });
    return doc ? { rules: doc.rules, updatedAt: doc.updatedAt.toISOString(), updatedBy: doc.updatedBy } : { rules: [] };
  }

  async replaceRules(rules: CarrierRule[], actor: string): Promise<{ rules: CarrierRule[]; updatedAt: string; updatedBy: string }> {
    const doc: RulesDoc = { _id: 'carrier-rules', rules, updatedAt: new Date(), updatedBy: actor };
    await this.setup.replaceOne({ _id: 'carrier-rules' }, doc, { upsert: true });
    return { rules, updatedAt: doc.updatedAt.toISOString(), updatedBy: actor };
  }

  labelFor(orderId: string): Promise<LabelRecord | null> {
    return this.labels.findOne({ _id: orderId });
  }

  // The tracking index first, then the label: a crash in between leaves an index entry that the retried
  // purchase (same idempotency key, same label) writes again.
  async recordLabel(record: Omit<LabelRecord, '_id' | 'boughtAt'>): Promise<LabelRecord> {
    for (const label of [record.label, ...(record.more ?? [])]) await this.trackOrder(record.carrierConnectionId, label.trackingNumber, record.orderId);
    const doc: LabelRecord = { ...record, _id: record.orderId, boughtAt: new Date() };
    try {
      await this.labels.insertOne(doc);
      return doc;
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
      return (await this.labels.findOne({ _id: record.orderId }))!;
    }
  }

  async recordVoid(orderId: string, status: 'voided' | 'pending' | 'rejected', detail?: string): Promise<void> {
    await this.labels.updateOne({ _id: orderId }, { $set: { voided: { status, ...(detail !== undefined && { detail }), at: new Date() } } });
  }

  async trackOrder(carrierConnectionId: string, trackingNumber: string, orderId: string): Promise<void> {
    await this.tracking.insertOne({ _id: `${carrierConnectionId}|${trackingNumber}`, orderId, at: new Date() }).catch((err) => {
      if (!isDuplicateKey(err)) throw err;
    });
  }

  // A parcel was delivered. Returns how many of the order's parcels are now delivered, out of how many.
  async parcelDelivered(carrierConnectionId: string, trackingNumber: string, orderId: string): Promise<{ delivered: number; of: number }> {
    await this.tracking.updateOne({ _id: `${carrierConnectionId}|${trackingNumber}` }, { $set: { deliveredAt: new Date() } });
    const record = await this.labels.findOne({ _id: orderId });
    const numbers = record ? [record.label.trackingNumber, ...(record.more ?? []).map((l) => l.trackingNumber)] : [trackingNumber];
    let delivered = 0;
    for (const n of numbers) if ((await this.tracking.findOne({ _id: `${carrierConnectionId}|${n}` }))?.deliveredAt) delivered++;
    return { delivered, of: numbers.length };
  }

  async orderForTracking(carrierConnectionId: string, trackingNumber: string): Promise<string | null> {
    return (await this.tracking.findOne({ _id: `${carrierConnectionId}|${trackingNumber}` }))?.orderId ?? null;
  }
}
