import type { Collection, Db } from 'mongodb';
import { UnavailableError } from '../domain/errors';
import { activeClaims, type ActiveClaim, type ClaimEvent } from '../domain/preorder';
import { appendRacing, insertOnce } from './atomic';

// Pre-order claims on inbound stock, one log per sku. FerretDB v1 has no transactions and a guarded $inc is
// not atomic there, so a claim is never a counter: every claim and every settlement is an event inserted at
// the sku's next sequence number (`<sku>|<seq>`). Two pre-orders racing for the last inbound units both
// decide against the log they read; only one insert takes the next number, the other reads again (now with
// the winner's claim) and decides again. An order claims a sku once while its claim is active: a repeat
// answers the active claim.

interface ClaimDoc {
  _id: string; // `${sku}|${seq}`, seq zero-padded
  sku: string;
  orderId: string;
  event: ClaimEvent;
}

const APPEND_ATTEMPTS = 200;
const eventId = (sku: string, seq: number) => `${sku}|${String(seq).padStart(8, '0')}`;

export interface ClaimOutcome {
  claim: ActiveClaim;
  duplicate: boolean; // the order already held this claim: nothing was appended
}

export class PreorderClaims {
  private readonly col: Collection<ClaimDoc>;
  // Told when a claim stops holding units, or some of them (its pre-order reserved, ended or cancelled units): the waiting orders are offered
  // them again, since an order that looked while the claim still held them may have gone back to waiting.
  constructor(
    db: Db,
    private readonly onSettled?: (sku: string) => void,
  ) {
    this.col = db.collection<ClaimDoc>('preorder_claims');
  }

  // The sku's log in order (equality on sku, sorted here).
  async log(sku: string): Promise<ClaimEvent[]> {
    const docs = await this.col.find({ sku }).toArray();
    return docs.map((d) => d.event).sort((a, b) => a.seq - b.seq);
  }

  async active(sku: string): Promise<ActiveClaim[]> {
    return activeClaims(await this.log(sku));
  }

  /**
   * Claims `quantity` of the sku for the order, unless `check` refuses (it throws) given the active claims
   * of the log as it is at the moment of the decision. A lost race for the next position decides again.
   */
  async claim(
    sku: string,
    orderId: string,
    quantity: number,
    check: (active: ActiveClaim[]) => Promise<void> | void,
    at = new Date(),
  ): Promise<ClaimOutcome> {
    return appendRacing<ClaimOutcome>(
      APPEND_ATTEMPTS,
      async () => {
        const log = await this.log(sku);
        const active = activeClaims(log);
        const held = active.find((c) => c.orderId === orderId);
        if (held) return { claim: held, duplicate: true };
        await check(active);
        const seq = (log.at(-1)?.seq ?? 0) + 1;
        const event: ClaimEvent = { kind: 'claim', seq, orderId, quantity, at: at.toISOString() };
        if (!(await insertOnce(this.col, { _id: eventId(sku, seq), sku, orderId, event }))) return 'lost';
        return { claim: { orderId, quantity, seq, at: event.at }, duplicate: false };
      },
      () => new UnavailableError(`Pre-orders of ${sku} are too busy right now; send the request again`, 1),
    );
  }

  /** The order's claim on the sku stops holding units; false when it held none (already settled, or never claimed). */
  async settle(sku: string, orderId: string, reason: 'reserved' | 'cancelled' | 'refused', at = new Date()): Promise<boolean> {
    return appendRacing<boolean>(
      APPEND_ATTEMPTS,
      async () => {
        const log = await this.log(sku);
        if (!activeClaims(log).some((c) => c.orderId === orderId)) return false;
        const seq = (log.at(-1)?.seq ?? 0) + 1;
        const event: ClaimEvent = { kind: 'settled', seq, orderId, reason, at: at.toISOString() };
        return (await insertOnce(this.col, { _id: eventId(sku, seq), sku, orderId, event })) ? true : 'lost';
      },
      () => new UnavailableError(`Pre-orders of ${sku} are too busy right now; try again`, 1),
    ).then((settled) => {
      if (settled) this.onSettled?.(sku);
      return settled;
    });
  }

  /**
   * The order's claim on the sku holds at most `quantity` from now on (units of its line were cancelled before
   * it reserved), keeping its place in line; at 0 it stops holding units (settled: 'cancelled'). An insert at
   * the next sequence number like every claim, so it is decided in line with racing claims. False when there
   * was nothing to give back (no active claim, or it holds no more than that already): a retry changes nothing.
   */
  async reduce(sku: string, orderId: string, quantity: number, at = new Date()): Promise<boolean> {
    if (quantity <= 0) return this.settle(sku, orderId, 'cancelled', at);
    return appendRacing<boolean>(
      APPEND_ATTEMPTS,
      async () => {
        const log = await this.log(sku);
        const held = activeClaims(log).find((c) => c.orderId === orderId);
        if (!held || held.quantity <= quantity) return false;
        const seq = (log.at(-1)?.seq ?? 0) + 1;
        const event: ClaimEvent = { kind: 'reduced', seq, orderId, quantity, at: at.toISOString() };
        return (await insertOnce(this.col, { _id: eventId(sku, seq), sku, orderId, event })) ? true : 'lost';
      },
      () => new UnavailableError(`Pre-orders of ${sku} are too busy right now; try again`, 1),
    ).then((reduced) => {
      if (reduced) this.onSettled?.(sku);
      return reduced;
    });
  }

  /** An order's claims and what became of them, per sku (equality on orderId). */
  async ofOrder(
    orderId: string,
  ): Promise<{ sku: string; quantity: number; seq: number; at: string; status: 'active' | ClaimSettlement }[]> {
    const docs = await this.col.find({ orderId }).toArray();
    const bySku = new Map<string, { sku: string; quantity: number; seq: number; at: string; status: 'active' | ClaimSettlement }>();
    for (const d of docs.sort((a, b) => a.event.seq - b.event.seq)) {
      if (d.event.kind === 'claim')
        bySku.set(d.sku, { sku: d.sku, quantity: d.event.quantity, seq: d.event.seq, at: d.event.at, status: 'active' });
      else if (d.event.kind === 'reduced') {
        const c = bySku.get(d.sku);
        if (c && c.status === 'active') c.quantity = Math.min(c.quantity, d.event.quantity);
      } else {
        const c = bySku.get(d.sku);
        if (c) c.status = d.event.reason;
      }
    }
    return [...bySku.values()].sort((a, b) => a.sku.localeCompare(b.sku));
  }
}

export type ClaimSettlement = Extract<ClaimEvent, { kind: 'settled' }>['reason'];
