import type { Collection, Db } from 'mongodb';
import { UnavailableError } from '../domain/errors';
import { appendRacing, insertOnce, insertOrGet } from './atomic';

// Every refund on an order, in the order they were granted: a return's refund, the money for cancelled
// lines. Each entry is a sequence number claimed by insert (`<orderId>|<seq>`), so two refunds racing on
// one order are decided one after the other, and each grants at most what was captured less every refund
// before it: together they never exceed the capture, on FerretDB v1 as on MongoDB.
export type RefundSource =
  { kind: 'return'; returnId: string } | { kind: 'cancel_lines'; commandId: string } | { kind: 'other'; note: string };

export interface RefundEntry {
  _id: string; // `${orderId}|${seq}`
  orderId: string;
  seq: number;
  idempotencyKey: string; // unique: one entry per key, however often the claim is repeated
  wanted: number; // minor units asked for
  amount: number; // minor units granted: min(wanted, captured - refundedBefore)
  refundedBefore: number;
  captured: number; // the capture the grant was measured against
  currency: string;
  source: RefundSource;
  at: Date;
}

export interface RefundClaim {
  orderId: string;
  idempotencyKey: string;
  wanted: number;
  captured: number;
  currency: string;
  source: RefundSource;
}

const entryId = (orderId: string, seq: number) => `${orderId}|${seq}`;

export class RefundLedger {
  private readonly col: Collection<RefundEntry>;
  constructor(db: Db) {
    this.col = db.collection<RefundEntry>('refunds');
  }

  // Grant a refund once per idempotency key: a repeat answers the first grant (duplicate: true), whatever
  // it now asks for.
  async claim(c: RefundClaim): Promise<{ entry: RefundEntry; duplicate: boolean }> {
    if (!Number.isSafeInteger(c.wanted) || c.wanted < 0) throw new RangeError(`refund of ${c.wanted} is not a whole amount`);
    return appendRacing(
      200,
      async () => {
        const first = await this.col.findOne({ idempotencyKey: c.idempotencyKey });
        if (first) return { entry: first, duplicate: true };
        const { seq, refunded } = await this.head(c.orderId);
        const entry: RefundEntry = {
          _id: entryId(c.orderId, seq + 1),
          orderId: c.orderId,
          seq: seq + 1,
          idempotencyKey: c.idempotencyKey,
          wanted: c.wanted,
          amount: Math.max(0, Math.min(c.wanted, c.captured - refunded)),
          refundedBefore: refunded,
          captured: c.captured,
          currency: c.currency,
          source: c.source,
          at: new Date(),
        };
        // Lost: another refund took this sequence number (decide again after it), or the same claim racing
        // itself took the key (the next round answers its entry).
        return (await insertOnce(this.col, entry)) ? { entry, duplicate: false } : ('lost' as const);
      },
      () => new UnavailableError(`Refunds on ${c.orderId} are too contended right now; try again`, 1),
    );
  }

  // The last sequence number and the total granted so far, walking the entries forward by _id.
  private async head(orderId: string): Promise<{ seq: number; refunded: number }> {
    let seq = 0;
    let refunded = 0;
    for (;;) {
      const next = await this.col.findOne({ _id: entryId(orderId, seq + 1) });
      if (!next) return { seq, refunded };
      seq = next.seq;
      refunded = next.refundedBefore + next.amount;
    }
  }

  async refundedTotal(orderId: string): Promise<number> {
    return (await this.head(orderId)).refunded;
  }

  async forOrder(orderId: string): Promise<RefundEntry[]> {
    const out: RefundEntry[] = [];
    for (let seq = 1; ; seq++) {
      const next = await this.col.findOne({ _id: entryId(orderId, seq) });
      if (!next) return out;
      out.push(next);
    }
  }
}

// Store credit given for a return, one note per return (its _id), numbered from the order and the return
// so the same return always gets the same number.
export interface CreditNoteDoc {
  _id: string; // the return id
  number: string;
  orderId: string;
  amount: number;
  currency: string;
  customer: { name: string; email?: string };
  issuedAt: Date;
}

export class CreditNotes {
  private readonly col: Collection<CreditNoteDoc>;
  constructor(db: Db) {
    this.col = db.collection<CreditNoteDoc>('credit_notes');
  }

  // Issued once; a repeat answers the first note.
  async issue(note: Omit<CreditNoteDoc, 'issuedAt'>): Promise<CreditNoteDoc> {
    return (await insertOrGet(this.col, { ...note, issuedAt: new Date() })).doc;
  }

  get(returnId: string): Promise<CreditNoteDoc | null> {
    return this.col.findOne({ _id: returnId });
  }
}
