import type { Collection, Db } from 'mongodb';
import type { MonthlyCost } from '../domain/order-metrics';

// The costs an admin configured for the cost-per-order metric (PUT /metrics/order-costs): one document,
// replaced whole (last write wins), so two admins' lists never mix into one neither wrote.
interface CostsDoc {
  _id: 'costs';
  costs: MonthlyCost[];
  updatedAt: Date;
  updatedBy: string;
}

export interface OrderCostsView {
  costs: MonthlyCost[];
  updatedAt?: string;
  updatedBy?: string;
}

export class OrderCostSetup {
  private readonly col: Collection<CostsDoc>;
  constructor(db: Db) {
    this.col = db.collection<CostsDoc>('order_cost_setup');
  }

  async get(): Promise<OrderCostsView> {
    const doc = await this.col.findOne({ _id: 'costs' });
    if (!doc) return { costs: [] };
    return { costs: doc.costs, updatedAt: doc.updatedAt.toISOString(), updatedBy: doc.updatedBy };
  }

  async replace(costs: MonthlyCost[], actor: string): Promise<OrderCostsView> {
    const doc: CostsDoc = { _id: 'costs', costs, updatedAt: new Date(), updatedBy: actor };
    await this.col.replaceOne({ _id: 'costs' }, doc, { upsert: true });
    return { costs, updatedAt: doc.updatedAt.toISOString(), updatedBy: actor };
  }
}
