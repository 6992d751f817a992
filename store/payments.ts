import type { Collection, Db } from 'mongodb';
import { isDuplicateKey } from './mongo';

export type PaymentOperation = 'authorize' | 'confirm' | 'capture' | 'void' | 'refund';

export interface PaymentRecord {
  _id: string; // the idempotency key: one record per operation, written once
  orderId: string;
  provider: string;
  operation: PaymentOperation;
  status: string;
  amount: number;
  currency: string;
  reference: string;
  at: Date;
}

// The payments journal for providers we operate ourselves (manual, cash on delivery).
export class PaymentsJournal {
  private readonly col: Collection<PaymentRecord>;
  constructor(db: Db) {
    this.col = db.collection<PaymentRecord>('payments');
  }

  // Insert once; a repeat with the same key returns the first record unchanged.
  async record(entry: Omit<PaymentRecord, 'at'>): Promise<PaymentRecord> {
    const doc: PaymentRecord = { ...entry, at: new Date() };
    try {
      await this.col.insertOne(doc);
      return doc;
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
      return (await this.col.findOne({ _id: entry._id }))!;
    }
  }

  async forOrder(orderId: string): Promise<PaymentRecord[]> {
    const docs = await this.col.find({ orderId }).toArray();
    return docs.sort((a, b) => a.at.getTime() - b.at.getTime());
  }
}
