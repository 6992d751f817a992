import type { Collection, Db } from 'mongodb';
import { InsufficientStockError } from '../domain/errors';
import { isDuplicateKey } from './mongo';
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

export type ReserveResult =
  | { reserved: true; reservationId: string; locationId: string }
  | { reserved: false; reservationId: string; locationId: string; shortfall?: { sku: string; requested: number; available: number } };

export const reservationKey = (reservationId: string, sku: string) => `${reservationId}|${sku}|reserve`;
export const releaseKey = (reservationId: string, sku: string) => `${reservationId}|${sku}|release`;
export const shipmentKey = (reservationId: string, sku: string) => `${reservationId}|${sku}|ship`;

export class Allocations {
  private readonly records: Collection<AllocationRecord>;

  constructor(
    db: Db,
    private readonly ledger: StockLedger,
  ) {
    this.records = db.collection<AllocationRecord>('allocations');
  }

  // Reserve every line at one location, or none: a line that cannot be reserved rolls back the others.
  async reserveAll(args: { reservationId: string; orderId: string; locationId: string; lines: AllocationLine[]; actor: string }): Promise<ReserveResult> {
    const { reservationId, orderId, locationId, lines, actor } = args;
    const decided = await this.records.findOne({ _id: reservationId });
    if (decided) return this.finish(decided, actor);

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
    const record: AllocationRecord = {
      _id: reservationId,
      orderId,
      locationId,
      lines,
      outcome: shortfall ? 'rolled_back' : 'reserved',
      at: new Date(),
      ...(shortfall && { shortfall }),
    };
    try {
      await this.records.insertOne(record);
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
      // A concurrent attempt of the same reservation decided first; follow its decision.
      return this.finish((await this.records.findOne({ _id: reservationId }))!, actor);
    }
    return this.finish(record, actor);
  }

  // Record that this reservation did not happen (the location was short when looked at), unless another
  // attempt of it already decided; either way the decision written first is the one returned and honoured.
  // Without a shortfall: the reservation was superseded (a later attempt of the same activity took over).
  async decideShort(args: { reservationId: string; orderId: string; locationId: string; lines: AllocationLine[]; actor: string; shortfall?: AllocationRecord['shortfall'] }): Promise<ReserveResult> {
    const { reservationId, orderId, locationId, lines, actor, shortfall } = args;
    const record: AllocationRecord = { _id: reservationId, orderId, locationId, lines, outcome: 'rolled_back', at: new Date(), ...(shortfall && { shortfall }) };
    try {
      await this.records.insertOne(record);
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
      return this.finish((await this.records.findOne({ _id: reservationId }))!, actor);
    }
    return this.finish(record, actor);
  }

  // Whether this reservation was decided, or any of its lines already reserved (an attempt under way).
  async started(args: { reservationId: string; lines: AllocationLine[] }): Promise<boolean> {
    if (await this.records.findOne({ _id: args.reservationId })) return true;
    for (const line of args.lines) if (await this.ledger.findByIdempotencyKey(reservationKey(args.reservationId, line.sku))) return true;
    return false;
  }

  // Give back everything a reservation holds (cancellation, or a rolled-back attempt).
  async releaseAll(args: { reservationId: string; orderId: string; locationId: string; lines: AllocationLine[]; actor: string; reason?: string }): Promise<void> {
    for (const line of args.lines) {
      const held = await this.ledger.findByIdempotencyKey(reservationKey(args.reservationId, line.sku));
      if (!held) continue;
      await this.ledger.apply({
        sku: line.sku,
        locationId: args.locationId,
        type: 'release',
        quantity: held.quantity,
        idempotencyKey: releaseKey(args.reservationId, line.sku),
        actor: args.actor,
        reference: args.orderId,
        ...(args.reason !== undefined && { reason: args.reason }),
      });
    }
  }

  // Goods left the building: on hand and reserved both go down, once.
  async shipAll(args: { reservationId: string; orderId: string; locationId: string; lines: AllocationLine[]; actor: string; reference?: string }): Promise<void> {
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
  }

  private async finish(record: AllocationRecord, actor: string): Promise<ReserveResult> {
    if (record.outcome === 'reserved') return { reserved: true, reservationId: record._id, locationId: record.locationId };
    await this.releaseAll({ reservationId: record._id, orderId: record.orderId, locationId: record.locationId, lines: record.lines, actor, reason: 'allocation_rolled_back' });
    return { reserved: false, reservationId: record._id, locationId: record.locationId, ...(record.shortfall && { shortfall: record.shortfall }) };
  }
}
