import type { Collection, Db } from 'mongodb';
import { ConflictError } from '../domain/errors';
import { capacityDay, type Location } from '../domain/catalog';
import type { CapacityUsed } from '../domain/routing';
import { appendRacing, isDuplicateKey, upsertRacing } from './atomic';

/*
 * How much of each location's daily capacity (Location.capacity.unitsPerDay) orders have taken, as a
 * counter per location and day built like the stock ledger: an append-only sequence of entries
 * `<location>|<day>|<seq>`, each carrying the units it adds (a claim) or gives back (a release) and the
 * running total `used`. Appending inserts the next sequence number, so of two racing claims exactly one
 * wins it and the other re-reads the new total (FerretDB v1 has no guarded $inc). Each claim and release
 * has a unique key (`<reservation id>|claim`, `|release`): a retry applies it once. The head is found from
 * a hint (`capacity_heads`, the last sequence written) walked forward by _id, so reading what is left
 * today costs a lookup or two, never a scan of the day's claims.
 */
interface CapacityEntry {
  _id: string; // <location>|<day>|<seq>
  locationId: string;
  day: string; // YYYY-MM-DD in the location's time zone
  seq: number;
  key: string; // <reservation id>|claim or |release (declared unique index)
  reservationId: string;
  orderId: string;
  units: number; // + claimed, - given back
  used: number; // the day's total after this entry
  at: Date;
}

interface HeadHint {
  _id: string; // <location>|<day>
  seq: number;
}

export type CapacityClaim = { claimed: true } | { claimed: false; remaining: number };

const MAX_CONTENDED_ATTEMPTS = 200;
const MAX_REMEMBERED_HEADS = 10_000;
const counterId = (locationId: string, day: string) => `${locationId}|${day}`;
const entryId = (locationId: string, day: string, seq: number) => `${locationId}|${day}|${seq}`;
const claimKey = (reservationId: string) => `${reservationId}|claim`;
const releaseKey = (reservationId: string) => `${reservationId}|release`;

export class LocationCapacityLedger {
  private readonly entries: Collection<CapacityEntry>;
  private readonly hints: Collection<HeadHint>;
  // The newest head this process has seen per counter: a read starts there (never ahead of the ledger).
  private readonly heads = new Map<string, { seq: number; used: number }>();

  constructor(db: Db) {
    this.entries = db.collection<CapacityEntry>('capacity_ledger');
    this.hints = db.collection<HeadHint>('capacity_heads');
  }

  // The counter's head: the hint (or what this process saw last), walked forward to the last entry.
  private async head(locationId: string, day: string): Promise<{ seq: number; used: number }> {
    const id = counterId(locationId, day);
    let head = this.heads.get(id);
    if (!head) {
      const hint = await this.hints.findOne({ _id: id });
      head = { seq: 0, used: 0 };
      if (hint) {
        const entry = await this.entries.findOne({ _id: entryId(locationId, day, hint.seq) });
        if (entry) head = { seq: entry.seq, used: entry.used };
      }
    }
    for (;;) {
      const next: CapacityEntry | null = await this.entries.findOne({ _id: entryId(locationId, day, head.seq + 1) });
      if (!next) break;
      head = { seq: next.seq, used: next.used };
    }
    if (this.heads.size > MAX_REMEMBERED_HEADS) this.heads.clear();
    this.heads.set(id, head);
    return head;
  }

  /** Units taken today (each location's own day) at every location that declares a capacity. */
  async usedToday(locations: readonly Location[], now = new Date()): Promise<CapacityUsed> {
    const limited = locations.filter((l) => l.capacity);
    const used = await Promise.all(limited.map((l) => this.head(l.id, capacityDay(now, l.capacity!.timeZone))));
    return Object.fromEntries(limited.map((l, i) => [l.id, used[i].used]));
  }

  // Appends one entry at the counter's next sequence number; 'lost' when another writer took it first.
  private async append(entry: Omit<CapacityEntry, '_id' | 'seq' | 'used' | 'at'>, head: { seq: number; used: number }) {
    const seq = head.seq + 1;
    const doc: CapacityEntry = {
      ...entry,
      _id: entryId(entry.locationId, entry.day, seq),
      seq,
      used: head.used + entry.units,
      at: new Date(),
    };
    try {
      await this.entries.insertOne(doc);
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
      // The key taken: a concurrent attempt of the same claim or release applied it; else the number was.
      return (await this.entries.findOne({ key: entry.key })) ? ('applied' as const) : ('lost' as const);
    }
    this.heads.set(counterId(entry.locationId, entry.day), { seq, used: doc.used });
    await upsertRacing(this.hints, { _id: counterId(entry.locationId, entry.day) }, { $set: { seq } });
    return 'applied' as const;
  }

  /**
   * Takes `units` of the location's capacity today for a reservation, unless fewer are left. Idempotent
   * per reservation id: a repeat answers claimed without taking more.
   */
  async claim(args: { reservationId: string; orderId: string; location: Location; units: number; now?: Date }): Promise<CapacityClaim> {
    const { reservationId, orderId, location, units } = args;
    const capacity = location.capacity;
    if (!capacity || units <= 0) return { claimed: true };
    const key = claimKey(reservationId);
    if (await this.entries.findOne({ key })) return { claimed: true };
    const day = capacityDay(args.now ?? new Date(), capacity.timeZone);
    return appendRacing<CapacityClaim>(
      MAX_CONTENDED_ATTEMPTS,
      async () => {
        const head = await this.head(location.id, day);
        if (head.used + units > capacity.unitsPerDay) {
          // A concurrent attempt of this claim may have won while we read the head.
          if (await this.entries.findOne({ key })) return { claimed: true };
          return { claimed: false, remaining: Math.max(0, capacity.unitsPerDay - head.used) };
        }
        const outcome = await this.append({ locationId: location.id, day, key, reservationId, orderId, units }, head);
        return outcome === 'lost' ? 'lost' : { claimed: true };
      },
      () => new ConflictError(`Capacity at ${location.id} is too contended right now; try again`, { locationId: location.id }),
    );
  }

  /** Gives back what a reservation claimed, on the day it claimed it; nothing when it claimed nothing. Idempotent. */
  async release(reservationId: string): Promise<number> {
    const claim = await this.entries.findOne({ key: claimKey(reservationId) });
    if (!claim) return 0;
    const key = releaseKey(reservationId);
    if (await this.entries.findOne({ key })) return 0;
    return appendRacing<number>(
      MAX_CONTENDED_ATTEMPTS,
      async () => {
        const head = await this.head(claim.locationId, claim.day);
        const entry = { locationId: claim.locationId, day: claim.day, key, reservationId, orderId: claim.orderId, units: -claim.units };
        const outcome = await this.append(entry, head);
        return outcome === 'lost' ? 'lost' : claim.units;
      },
      () => new ConflictError(`Capacity at ${claim.locationId} is too contended right now; try again`, { locationId: claim.locationId }),
    );
  }
}
