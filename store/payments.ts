import type { Collection, Db } from 'mongodb';
import { insertOrGet } from './atomic';

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
    return (await insertOrGet(this.col, { ...entry, at: new Date() })).doc;
  }

  async forOrder(orderId: string): Promise<PaymentRecord[]> {
    const docs = await this.col.find({ orderId }).toArray();
    return docs.sort((a, b) => a.at.getTime() - b.at.getTime());
  }
}
