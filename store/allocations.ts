import type { Collection, Db } from 'mongodb';
import { InsufficientStockError } from '../domain/errors';
import { insertOnce } from './atomic';
import type { StockLedger } from './stock-ledger';

export interface AllocationLine {
  sku: string;
  quantity: number;
}

// The decision for one reservation attempt, written once (insert on _id): it makes retries of a
// half-done multi-line reservation converge on the same outcome.
interface AllocationRecord {
  _id: string; // reservation id
  orderId: string;
  locationId: string;
  lines: AllocationLine[];
  outcome: 'reserved' | 'rolled_back';
  shortfall?: { sku: string; requested: number; available: number };
  at: Date;
}

// A reservation that may hold stock: inserted before its first line is reserved, deleted once everything
// it holds is released or shipped. Whatever an attempt reserved, even one that timed out and was never
// heard of again, is findable here by order, so a cancelled order gives it all back and the
// reconciliation (reconcile) frees what orders that ended still hold.
interface OpenReservation {
  _id: string; // reservation id
  orderId: string;
  locationId: string;
  lines: AllocationLine[];
  at: Date;
}

// An order that will reserve nothing more (cancelled, or its stock given back by the reconciliation): an
// attempt still running checks this after reserving and gives back what it took.
interface ClosedOrder {
  _id: string; // order id
  reason: string;
  at: Date;
}

export type ReserveResult =
  | { reserved: true; reservationId: string; locationId: string }
  | { reserved: false; reservationId: string; locationId: string; shortfall?: { sku: string; requested: number; available: number } };

export const reservationKey = (reservationId: string, sku: string) => `${reservationId}|${sku}|reserve`;
export const releaseKey = (reservationId: string, sku: string) => `${reservationId}|${sku}|release`;
export const shipmentKey = (reservationId: string, sku: string) => `${reservationId}|${sku}|ship`;
// The n-th partial release of a reservation's line (units cancelled before they shipped), n = 1, 2, ...
export const partialReleaseKey = (reservationId: string, sku: string, n: number) => `${reservationId}|${sku}|release-part|${n}`;

export interface ReleasedStock {
  reservationId: string;
  locationId: string;
  lines: AllocationLine[]; // what was actually given back
}

export class Allocations {
  private readonly records: Collection<AllocationRecord>;
  private readonly open: Collection<OpenReservation>;
  private readonly closed: Collection<ClosedOrder>;

  constructor(
    db: Db,
    private readonly ledger: StockLedger,
  ) {
    this.records = db.collection<AllocationRecord>('allocations');
    this.open = db.collection<OpenReservation>('open_reservations');
    this.closed = db.collection<ClosedOrder>('closed_orders');
  }

  // Reserve every line at one location, or none: a line that cannot be reserved rolls back the others.
  async reserveAll(args: {
    reservationId: string;
    orderId: string;
    locationId: string;
    lines: AllocationLine[];
    actor: string;
  }): Promise<ReserveResult> {
    const { reservationId, orderId, locationId, lines, actor } = args;
    // No look for an earlier decision first: a repeat reserves nothing twice (the ledger applies each
    // line's key once), and the decision insert below fails to the one written first, which is followed.
    await insertOnce(this.open, { _id: reservationId, orderId, locationId, lines, at: new Date() });
    let shortfall: AllocationRecord['shortfall'];
    for (const line of lines) {
      try {
        await this.ledger.apply({
          sku: line.sku,
          locationId,
          type: 'reservation',
          quantity: line.quantity,
          idempotencyKey: reservationKey(reservationId, line.sku),
          actor,
          reference: orderId,
        });
      } catch (err) {
        if (!(err instanceof InsufficientStockError)) throw err;
        shortfall = { sku: line.sku, requested: line.quantity, available: err.available };
        break;
      }
    }
    // Checked after reserving: an order closed before this point either saw our open reservation (and
    // gives it back) or is seen here.
    const closed = !shortfall && (await this.closed.findOne({ _id: orderId }));
    const record: AllocationRecord = {
      _id: reservationId,
      orderId,
      locationId,
      lines,
      outcome: shortfall || closed ? 'rolled_back' : 'reserved',
      at: new Date(),
      ...(shortfall && { shortfall }),
    };
    if (!(await insertOnce(this.records, record))) {
      // A concurrent attempt of the same reservation decided first; follow its decision.
      return this.finish((await this.records.findOne({ _id: reservationId }))!, actor);
    }
    return this.finish(record, actor);
  }

  // Record that this reservation did not happen (the location was short when looked at), unless another
  // attempt of it already decided; either way the decision written first is the one returned and honoured.
  // Without a shortfall: the reservation was superseded (a later attempt of the same activity took over).
  async decideShort(args: {
    reservationId: string;
    orderId: string;
    locationId: string;
    lines: AllocationLine[];
    actor: string;
    shortfall?: AllocationRecord['shortfall'];
  }): Promise<ReserveResult> {
    const { reservationId, orderId, locationId, lines, actor, shortfall } = args;
    const record: AllocationRecord = {
      _id: reservationId,
      orderId,
      locationId,
      lines,
      outcome: 'rolled_back',
      at: new Date(),
      ...(shortfall && { shortfall }),
    };
    if (!(await insertOnce(this.records, record))) return this.finish((await this.records.findOne({ _id: reservationId }))!, actor);
    return this.finish(record, actor);
  }

  // Whether this reservation was decided, or any of its lines already reserved (an attempt under way).
  async started(args: { reservationId: string; lines: AllocationLine[] }): Promise<boolean> {
    if (await this.records.findOne({ _id: args.reservationId })) return true;
    for (const line of args.lines) if (await this.ledger.findByIdempotencyKey(reservationKey(args.reservationId, line.sku))) return true;
    return false;
  }

  // Give back everything a reservation holds (cancellation, or a rolled-back attempt).
  async releaseAll(args: {
    reservationId: string;
    orderId: string;
    locationId: string;
    lines: AllocationLine[];
    actor: string;
    reason?: string;
  }): Promise<AllocationLine[]> {
    const released: AllocationLine[] = [];
    for (const line of args.lines) {
      const held = await this.ledger.findByIdempotencyKey(reservationKey(args.reservationId, line.sku));
      if (!held || (await this.ledger.findByIdempotencyKey(shipmentKey(args.reservationId, line.sku)))) continue;
      // Units of the line cancelled earlier were given back then.
      const quantity = held.quantity - (await this.partlyReleased(args.reservationId, line.sku));
      if (quantity <= 0) continue;
      const applied = await this.ledger.apply({
        sku: line.sku,
        locationId: args.locationId,
        type: 'release',
        quantity,
        idempotencyKey: releaseKey(args.reservationId, line.sku),
        actor: args.actor,
        reference: args.orderId,
        ...(args.reason !== undefined && { reason: args.reason }),
      });
      if (!applied.duplicate) released.push({ sku: line.sku, quantity });
    }
    await this.open.deleteOne({ _id: args.reservationId });
    return released;
  }

  // Give back some units of a reservation that stays open (units cancelled before they shipped): the n-th
  // partial release of each line, once per (reservation, sku, n) however often it is repeated.
  async releaseSome(args: {
    reservationId: string;
    orderId: string;
    locationId: string;
    lines: (AllocationLine & { n: number })[];
    actor: string;
    reason: string;
  }): Promise<void> {
    for (const line of args.lines) {
      if (!(await this.ledger.findByIdempotencyKey(reservationKey(args.reservationId, line.sku)))) continue;
      await this.ledger.apply({
        sku: line.sku,
        locationId: args.locationId,
        type: 'release',
        quantity: line.quantity,
        idempotencyKey: partialReleaseKey(args.reservationId, line.sku, line.n),
        actor: args.actor,
        reference: args.orderId,
        reason: args.reason,
      });
    }
  }

  // Units of a reservation's line already given back by partial releases.
  private async partlyReleased(reservationId: string, sku: string): Promise<number> {
    let total = 0;
    for (let n = 1; ; n++) {
      const entry = await this.ledger.findByIdempotencyKey(partialReleaseKey(reservationId, sku, n));
      if (!entry) return total;
      total += entry.quantity;
    }
  }

  // Goods left the building: on hand and reserved both go down, once.
  async shipAll(args: {
    reservationId: string;
    orderId: string;
    locationId: string;
    lines: AllocationLine[];
    actor: string;
    reference?: string;
  }): Promise<void> {
    for (const line of args.lines) {
      await this.ledger.apply({
        sku: line.sku,
        locationId: args.locationId,
        type: 'shipment',
        quantity: line.quantity,
        idempotencyKey: shipmentKey(args.reservationId, line.sku),
        actor: args.actor,
        reference: args.reference ?? args.orderId,
      });
    }
    await this.open.deleteOne({ _id: args.reservationId });
  }

  /**
   * The order will reserve nothing more: give back everything any attempt of it reserved and has not
   * shipped, however the attempt ended (completed, timed out and forgotten, still running). Idempotent.
   */
  async releaseEverythingOf(orderId: string, args: { actor: string; reason: string }): Promise<ReleasedStock[]> {
    await insertOnce(this.closed, { _id: orderId, reason: args.reason, at: new Date() });
    const released: ReleasedStock[] = [];
    for (const open of await this.open.find({ orderId }).toArray()) {
      const reservation = { reservationId: open._id, orderId, locationId: open.locationId, lines: open.lines, actor: args.actor };
      // An attempt still deciding follows this decision and gives back what it takes afterwards.
      await this.decideShort(reservation);
      const lines = await this.releaseAll({ ...reservation, reason: args.reason });
      if (lines.length) released.push({ reservationId: open._id, locationId: open.locationId, lines });
    }
    return released;
  }

  /**
   * These reservations of an order are abandoned (the attempt that made them failed and the order parks):
   * each is decided rolled back, so a straggling attempt gives back what it takes later, and whatever it
   * holds now is given back.
   */
  async abandon(args: {
    orderId: string;
    reservationIds: { reservationId: string; locationId: string }[];
    lines: AllocationLine[];
    actor: string;
    reason: string;
  }): Promise<ReleasedStock[]> {
    const released: ReleasedStock[] = [];
    for (const { reservationId, locationId } of args.reservationIds) {
      const open = await this.open.findOne({ _id: reservationId });
      const lines = open?.lines ?? args.lines;
      await this.decideShort({ reservationId, orderId: args.orderId, locationId, lines, actor: args.actor });
      if (!open) continue;
      const given = await this.releaseAll({
        reservationId,
        orderId: args.orderId,
        locationId,
        lines,
        actor: args.actor,
        reason: args.reason,
      });
      if (given.length) released.push({ reservationId, locationId, lines: given });
    }
    return released;
  }

  /** Reservations open for longer than `olderThanMs`, by order: what the reconciliation looks at. */
  async openReservationsByOrder(olderThanMs: number): Promise<Map<string, OpenReservation[]>> {
    // The collection holds only reservations not yet released or shipped: the stock held right now.
    const cutoff = Date.now() - olderThanMs;
    const byOrder = new Map<string, OpenReservation[]>();
    for (const open of await this.open.find({}).toArray()) {
      if (open.at.getTime() > cutoff) continue;
      byOrder.set(open.orderId, [...(byOrder.get(open.orderId) ?? []), open]);
    }
    return byOrder;
  }

  private async finish(record: AllocationRecord, actor: string): Promise<ReserveResult> {
    if (record.outcome === 'reserved') return { reserved: true, reservationId: record._id, locationId: record.locationId };
    await this.releaseAll({
      reservationId: record._id,
      orderId: record.orderId,
      locationId: record.locationId,
      lines: record.lines,
      actor,
      reason: 'allocation_rolled_back',
    });
    return {
      reserved: false,
      reservationId: record._id,
      locationId: record.locationId,
      ...(record.shortfall && { shortfall: record.shortfall }),
    };
  }
}
