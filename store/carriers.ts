import type { Collection, Db } from 'mongodb';
import type { CarrierRule } from '../domain/carrier-rules';
import type { Label } from '../domain/carrier';
import { insertOnce, insertOrGet } from './atomic';

// Carrier rules (replaced whole by an operator), the label bought for each order, and which order a
// tracking number belongs to (how a carrier's tracking webhook finds its order).
interface RulesDoc {
  _id: 'carrier-rules';
  rules: CarrierRule[];
  updatedAt: Date;
  updatedBy: string;
}

// One label per order, or per part of a split order.
export const labelRecordId = (orderId: string, part?: string) => (part === undefined ? orderId : `${orderId}|part:${part}`);

export interface LabelRecord {
  _id: string; // labelRecordId(orderId, part)
  orderId: string;
  part?: string; // the part of a split order this label ships

  carrierConnectionId: string;
  label: Label;
  more?: Label[]; // one per further parcel, same carrier and service
  ruleId: string;
  explanation: string[];
  boughtAt: Date;
  voided?: { status: 'voided' | 'pending' | 'rejected'; detail?: string; at: Date };
  // Purchases at other carriers whose outcome was unknown (timeout, outage) before this label was bought:
  // each is looked up under its key and voided if it went through after all (`strays` says how it went).
  uncertain?: { carrierConnectionId: string; idempotencyKey: string }[];
  strays?: {
    carrierConnectionId: string;
    idempotencyKey: string;
    outcome: 'none' | 'voided' | 'void_pending' | 'void_rejected' | 'unchecked';
    trackingNumber?: string;
    detail?: string;
  }[];
}

interface TrackingDoc {
  _id: string; // `${carrierConnectionId}|${trackingNumber}`
  orderId: string;
  part?: string;
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

  labelFor(orderId: string, part?: string): Promise<LabelRecord | null> {
    return this.labels.findOne({ _id: labelRecordId(orderId, part) });
  }

  // The tracking index first, then the label: a crash in between leaves an index entry that the retried
  // purchase (same idempotency key, same label) writes again.
  async recordLabel(record: Omit<LabelRecord, '_id' | 'boughtAt'>): Promise<LabelRecord> {
    for (const label of [record.label, ...(record.more ?? [])])
      await this.trackOrder(record.carrierConnectionId, label.trackingNumber, record.orderId, record.part);
    const _id = labelRecordId(record.orderId, record.part);
    return (await insertOrGet(this.labels, { ...record, _id, boughtAt: new Date() })).doc;
  }

  // Every label of an order: one, or one per part of a split order.
  async labelsOf(orderId: string, parts: readonly string[]): Promise<LabelRecord[]> {
    const ids = parts.length ? parts.map((p) => labelRecordId(orderId, p)) : [orderId];
    const found: LabelRecord[] = [];
    for (const _id of ids) {
      const record = await this.labels.findOne({ _id });
      if (record) found.push(record);
    }
    return found;
  }

  // How the uncertain purchases were settled; one writer (the label's activity), after the label is stored.
  async recordStrays(orderId: string, part: string | undefined, strays: NonNullable<LabelRecord['strays']>): Promise<void> {
    await this.labels.updateOne({ _id: labelRecordId(orderId, part) }, { $set: { strays } });
  }

  async recordVoid(orderId: string, status: 'voided' | 'pending' | 'rejected', detail?: string, part?: string): Promise<void> {
    await this.labels.updateOne(
      { _id: labelRecordId(orderId, part) },
      { $set: { voided: { status, ...(detail !== undefined && { detail }), at: new Date() } } },
    );
  }

  async trackOrder(carrierConnectionId: string, trackingNumber: string, orderId: string, part?: string): Promise<void> {
    await insertOnce(this.tracking, {
      _id: `${carrierConnectionId}|${trackingNumber}`,
      orderId,
      ...(part !== undefined && { part }),
      at: new Date(),
    });
  }

  // A parcel was delivered. Returns how many parcels of its label (the order's, or its part's) are now
  // delivered, out of how many.
  async parcelDelivered(
    carrierConnectionId: string,
    trackingNumber: string,
    orderId: string,
    part?: string,
  ): Promise<{ delivered: number; of: number }> {
    await this.tracking.updateOne({ _id: `${carrierConnectionId}|${trackingNumber}` }, { $set: { deliveredAt: new Date() } });
    const record = await this.labels.findOne({ _id: labelRecordId(orderId, part) });
    const numbers = record ? [record.label.trackingNumber, ...(record.more ?? []).map((l) => l.trackingNumber)] : [trackingNumber];
    let delivered = 0;
    for (const n of numbers) if ((await this.tracking.findOne({ _id: `${carrierConnectionId}|${n}` }))?.deliveredAt) delivered++;
    return { delivered, of: numbers.length };
  }

  // The order (and, for a split order, the part) a tracking number ships.
  async orderForTracking(carrierConnectionId: string, trackingNumber: string): Promise<{ orderId: string; part?: string } | null> {
    const doc = await this.tracking.findOne({ _id: `${carrierConnectionId}|${trackingNumber}` });
    return doc ? { orderId: doc.orderId, ...(doc.part !== undefined && { part: doc.part }) } : null;
  }
}
