import type { Collection, Db } from 'mongodb';
import { DEFAULT_RETURN_POLICY, type ReturnPolicy } from '../domain/returns';

// The merchant's return policy: one document, replaced whole by an operator (last write wins), so two
// operators' changes never mix into a policy neither wrote.
interface PolicyDoc {
  _id: 'policy';
  policy: ReturnPolicy;
  updatedAt: Date;
  updatedBy: string;
}

export interface ReturnPolicyView {
  policy: ReturnPolicy;
  isDefault: boolean; // nobody has set one: the defaults apply
  updatedAt?: string;
  updatedBy?: string;
}

export class ReturnSetup {
  private readonly col: Collection<PolicyDoc>;
  constructor(db: Db) {
    this.col = db.collection<PolicyDoc>('return_setup');
  }

  async policy(): Promise<ReturnPolicyView> {
    const doc = await this.col.findOne({ _id: 'policy' });
    if (!doc) return { policy: DEFAULT_RETURN_POLICY, isDefault: true };
    return { policy: doc.policy, isDefault: false, updatedAt: doc.updatedAt.toISOString(), updatedBy: doc.updatedBy };
  }

  async replacePolicy(policy: ReturnPolicy, actor: string): Promise<ReturnPolicyView> {
    const doc: PolicyDoc = { _id: 'policy', policy, updatedAt: new Date(), updatedBy: actor };
    await this.col.replaceOne({ _id: 'policy' }, doc, { upsert: true });
    return { policy, isDefault: false, updatedAt: doc.updatedAt.toISOString(), updatedBy: actor };
  }
}
