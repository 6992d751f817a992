import type { Collection, Db } from 'mongodb';

export interface StockPush {
  _id: string; // `${connectionId}|${sku}|${channelLocationId}`
  connectionId: string;
  sku: string;
  channelLocationId: string;
  available: number;
  pushedAt: Date;
  trigger: 'change' | 'reconcile';
}

// What was last pushed to each channel, per sku and channel location.
export class StockSyncLog {
  private readonly col: Collection<StockPush>;
  constructor(db: Db) {
    this.col = db.collection<StockPush>('stock_sync');
  }

  async recordPushed(entries: Omit<StockPush, '_id' | 'pushedAt'>[]): Promise<void> {
    const pushedAt = new Date();
    await Promise.all(
      entries.map((e) =>
        this.col.updateOne({ _id: `${e.connectionId}|${e.sku}|${e.channelLocationId}` }, { $set: { ...e, pushedAt } }, { upsert: true }),
      ),
    );
  }

  async forConnection(connectionId: string, sku?: string): Promise<StockPush[]> {
    const docs = await this.col.find(sku ? { connectionId, sku } : { connectionId }).toArray();
    return docs.sort((a, b) => a.sku.localeCompare(b.sku) || a.channelLocationId.localeCompare(b.channelLocationId));
  }
}
