import type { Collection, Db } from 'mongodb';
import type { PromiseBasis } from '../domain/promise';
import { replaceRacing } from './atomic';

/**
 * Each waiting order's promised date (services/promises.ts writes it, GET /orders/:id shows it). One
 * document per order, replaced whole by the recompute of its skus; `changes` counts how often a promised
 * date moved, and names the notice each move queues (so a repeated recompute queues none, and a recompute
 * that died between the notice and this write queues the same notice again, which the outbox keeps once).
 */
export interface StoredPromise {
  _id: string; // the order id
  skus: string[]; // the order's skus: a recompute of any of them finds it (declared index)
  date: string | null; // YYYY-MM-DD; null: nothing inbound covers the order
  reason?: string;
  basis: PromiseBasis[];
  changes: number;
  updatedAt: Date;
}

export class OrderPromises {
  private readonly col: Collection<StoredPromise>;
  constructor(db: Db) {
    this.col = db.collection<StoredPromise>('order_promises');
  }

  get(orderId: string): Promise<StoredPromise | null> {
    return this.col.findOne({ _id: orderId });
  }

  forSku(sku: string): Promise<StoredPromise[]> {
    return this.col.find({ skus: sku }).toArray();
  }

  put(promise: StoredPromise): Promise<void> {
    return replaceRacing(this.col, promise);
  }

  async drop(orderId: string): Promise<void> {
    await this.col.deleteOne({ _id: orderId });
  }
}
