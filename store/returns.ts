import type { Collection, Db } from 'mongodb';
import { UnavailableError } from '../domain/errors';
import { returnWorkflowId } from '../domain/ids';
import { DEFAULT_RETURN_POLICY, type ReturnPolicy, type ReturnState, type ReturnStatus } from '../domain/returns';
import { appendRacing, insertOnce } from './atomic';

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

// ---- Returns ----------------------------------------------------------------------------------------------

// One document per return, `_id` the return's id (return:<orderId>:<n>). Creating one claims the next
// number for its order by insert, after checking the request against every return before it: two returns
// racing for the same units are decided one after the other, and the second sees the first (on FerretDB
// v1, which has no transactions, as on MongoDB). The workflow then projects its state into the document.
interface ReturnDoc {
  _id: string;
  orderId: string;
  n: number;
  status: ReturnStatus;
  // The caller's Idempotency-Key, or the channel's return id (`channel:<connectionId>:<id>`), or the
  // return's own id: unique, so a repeated request finds the return it made.
  idempotencyKey: string;
  version: number;
  state: ReturnState;
  updatedAt: Date;
}

export class ReturnsView {
  private readonly col: Collection<ReturnDoc>;
  constructor(db: Db) {
    this.col = db.collection<ReturnDoc>('returns');
  }

  // Every return on the order so far, walking the numbers forward by _id.
  async forOrder(orderId: string): Promise<ReturnState[]> {
    const out: ReturnState[] = [];
    for (let n = 1; ; n++) {
      const doc = await this.col.findOne({ _id: returnWorkflowId(orderId, n) });
      if (!doc) return out;
      out.push(doc.state);
    }
  }

  async get(returnId: string): Promise<ReturnState | null> {
    return (await this.col.findOne({ _id: returnId }))?.state ?? null;
  }

  async byIdempotencyKey(key: string): Promise<ReturnState | null> {
    return (await this.col.findOne({ idempotencyKey: key }))?.state ?? null;
  }

  // Create the order's next return. `build` sees every earlier return (and may throw to refuse); it runs
  // again, on the newer list, whenever another return took the number first. A key already used answers
  // the return it made (created: false).
  async create(
    orderId: string,
    idempotencyKey: string | undefined,
    build: (earlier: ReturnState[], n: number) => ReturnState,
  ): Promise<{ state: ReturnState; created: boolean }> {
    return appendRacing(
      200,
      async () => {
        if (idempotencyKey) {
          const first = await this.byIdempotencyKey(idempotencyKey);
          if (first) return { state: first, created: false };
        }
        const earlier = await this.forOrder(orderId);
        const n = earlier.length + 1;
        const state = build(earlier, n);
        const doc: ReturnDoc = {
          _id: state.returnId,
          orderId,
          n,
          status: state.status,
          idempotencyKey: idempotencyKey ?? state.returnId,
          version: state.version,
          state,
          updatedAt: new Date(),
        };
        return (await insertOnce(this.col, doc)) ? { state, created: true } : ('lost' as const);
      },
      () => new UnavailableError(`Returns on ${orderId} are too contended right now; try again`, 1),
    );
  }

  // The workflow's state, as its next version; an older or repeated write changes nothing. Only the
  // return's own workflow writes it, one write at a time.
  async project(state: ReturnState): Promise<void> {
    await this.col.updateOne(
      { _id: state.returnId, version: { $lt: state.version } },
      { $set: { state, status: state.status, version: state.version, updatedAt: new Date() } },
    );
  }

  // Returns in a status, oldest first (for an operator's review queue).
  async withStatus(status: ReturnStatus, limit: number): Promise<ReturnState[]> {
    const docs = await this.col.find({ status }).toArray();
    return docs
      .map((d) => d.state)
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt))
      .slice(0, limit);
  }
}

// Units of each sku in returns that still count (not rejected or cancelled).
export function unitsInReturns(returns: ReturnState[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of returns) {
    if (r.status === 'rejected' || r.status === 'cancelled') continue;
    for (const l of r.request.lines) out[l.sku] = (out[l.sku] ?? 0) + l.quantity;
  }
  return out;
}
