import { randomBytes } from 'node:crypto';
import { pickUnitId } from '../domain/ids';
import { ConflictError } from '../domain/errors';
import type { Collection, Db } from 'mongodb';
import { replayPicking, type Picklist, type PickEvent, type PickState, type ShortLine } from '../domain/picking';
import { appendRacing, insertOnce } from './atomic';

// Warehouse work: bin locations per location, picklists, which order is on which list, and the pick log.
// FerretDB v1 updates are read-modify-write, so nothing here is updated in place under concurrency:
// claims and pick events are inserts whose unique `_id` makes exactly one racing writer win.

interface BinsDoc {
  _id: string; // location id
  // An array, not an object keyed by sku: skus may contain '.', which MongoDB field names must not.
  bins: { sku: string; bin: string }[];
  updatedAt: Date;
  updatedBy: string;
}

export interface LocationBins {
  locationId: string;
  bins: Record<string, string>;
  updatedAt?: string;
  updatedBy?: string;
}

// sku → canonical bin code, one document per location, replaced whole (last writer wins, like PUT).
export class BinLocations {
  private readonly col: Collection<BinsDoc>;
  constructor(db: Db) {
    this.col = db.collection<BinsDoc>('bin_locations');
  }

  async replace(locationId: string, bins: Record<string, string>, actor: string): Promise<LocationBins> {
    const doc: BinsDoc = {
      _id: locationId,
      bins: Object.entries(bins)
        .map(([sku, bin]) => ({ sku, bin }))
        .sort((a, b) => (a.sku < b.sku ? -1 : a.sku > b.sku ? 1 : 0)),
      updatedAt: new Date(),
      updatedBy: actor,
    };
    await this.col.replaceOne({ _id: locationId }, doc, { upsert: true });
    return toBins(doc);
  }

  async get(locationId: string): Promise<LocationBins> {
    const doc = await this.col.findOne({ _id: locationId });
    return doc ? toBins(doc) : { locationId, bins: {} };
  }
}

function toBins(doc: BinsDoc): LocationBins {
  return {
    locationId: doc._id,
    bins: Object.fromEntries(doc.bins.map((b) => [b.sku, b.bin])),
    updatedAt: doc.updatedAt.toISOString(),
    updatedBy: doc.updatedBy,
  };
}

interface PicklistDoc {
  _id: string;
  locationId: string; // the picklist's, at the top level so a location's lists are one equality lookup
  picklist: Picklist;
  createdBy: string;
  createdAt: Date;
}

interface ClaimDoc {
  _id: string; // order id
  picklistId: string;
  claimedAt: Date;
}

// One pick event at one position of a picklist's log. `_id` = `<picklistId>|<seq>`: appending inserts
// the next sequence number, so of two scanners racing for the same position one wins and the other
// re-reads and re-checks against the winner's pick (no lost update, no over-pick).
export interface StoredPickEvent {
  seq: number;
  event: PickEvent;
  idempotencyKey: string;
  actor: string;
  // What a short pick made short, kept so a repeated request answers the same.
  shortLines?: ShortLine[];
}

interface EventDoc extends StoredPickEvent {
  _id: string;
  picklistId: string;
  at: Date;
}

const ORPHAN_CLAIM_MS = 60_000;
const CLAIM_ROUNDS = 5;
const APPEND_ATTEMPTS = 25;

/** What appending one event decided: the state after it, and the caller's answer. */
export interface Decided<T> {
  state: PickState;
  extra?: Pick<StoredPickEvent, 'shortLines'>;
  result: T;
}

const eventId = (picklistId: string, seq: number) => `${picklistId}|${String(seq).padStart(6, '0')}`;

export class Picklists {
  private readonly lists: Collection<PicklistDoc>;
  private readonly claims: Collection<ClaimDoc>;
  private readonly events: Collection<EventDoc>;
  constructor(db: Db) {
    this.lists = db.collection<PicklistDoc>('picklists');
    this.claims = db.collection<ClaimDoc>('picklist_orders');
    this.events = db.collection<EventDoc>('picklist_events');
  }

  // Which of these orders are already on a picklist (by _id, one lookup each). A claim whose picklist was
  // never stored (the API process died between claiming and storing) is freed once it is a minute old.
  async claimedOf(orderIds: string[]): Promise<Set<string>> {
    const found = await Promise.all(orderIds.map((_id) => this.claims.findOne({ _id })));
    const claimed = new Set<string>();
    for (const claim of found) {
      if (!claim) continue;
      const orphan =
        claim.claimedAt.getTime() < Date.now() - ORPHAN_CLAIM_MS &&
        !(await this.lists.findOne({ _id: claim.picklistId }, { projection: { _id: 1 } }));
      if (orphan) await this.releaseClaims(claim.picklistId, [claim._id]);
      else claimed.add(claim._id);
    }
    return claimed;
  }

  // Claim orders for a picklist; returns the ones another picklist claimed first (duplicate _id).
  async claim(picklistId: string, orderIds: string[]): Promise<{ won: string[]; lost: string[] }> {
    const won: string[] = [];
    const lost: string[] = [];
    await Promise.all(
      orderIds.map(async (_id) => {
        if (await insertOnce(this.claims, { _id, picklistId, claimedAt: new Date() })) won.push(_id);
        else lost.push(_id);
      }),
    );
    return { won, lost };
  }

  // Give back claims this picklist holds (the list was not stored after all). Only our own: the filter names the picklist.
  async releaseClaims(picklistId: string, orderIds: string[]): Promise<void> {
    await Promise.all(orderIds.map((_id) => this.claims.deleteOne({ _id, picklistId })));
  }

  async insert(picklist: Picklist, actor: string): Promise<void> {
    await this.lists.insertOne({ _id: picklist.id, locationId: picklist.locationId, picklist, createdBy: actor, createdAt: new Date() });
  }

  // The newest picklists of a location (equality on locationId; only ids and dates are read for the
  // ranking, then the `limit` newest whole).
  async newestAt(locationId: string, limit: number): Promise<{ picklist: Picklist; createdBy: string }[]> {
    const ids = await this.lists.find({ locationId }, { projection: { _id: 1, createdAt: 1 } }).toArray();
    const newest = ids.sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || (a._id < b._id ? 1 : -1)).slice(0, limit);
    const docs = await Promise.all(newest.map((d) => this.lists.findOne({ _id: d._id })));
    return docs.filter((d): d is PicklistDoc => d !== null).map((d) => ({ picklist: d.picklist, createdBy: d.createdBy }));
  }

  async get(id: string): Promise<Picklist | null> {
    const doc = await this.lists.findOne({ _id: id });
    return doc?.picklist ?? null;
  }

  // Picklists holding this order: one per pick unit (the order, or each part of a split order).
  async idsForOrder(orderId: string, parts: readonly string[] = []): Promise<string[]> {
    const ids: string[] = [];
    for (const unit of [orderId, ...parts.map((p) => pickUnitId(orderId, p))]) {
      const claim = await this.claims.findOne({ _id: unit });
      if (!claim) continue;
      const list = await this.lists.findOne({ _id: claim.picklistId }, { projection: { _id: 1 } });
      if (list && !ids.includes(list._id)) ids.push(list._id);
    }
    return ids;
  }

  /**
   * The picklists holding these pick units (orders, or parts of split orders), with when each was created
   * and its log with each entry's time: one claim lookup per unit, then one read of each list and its log.
   */
  async recordsOf(unitIds: string[]): Promise<{ picklist: Picklist; createdAt: Date; log: (StoredPickEvent & { at: Date })[] }[]> {
    const claims = await Promise.all(unitIds.map((_id) => this.claims.findOne({ _id })));
    const listIds = [...new Set(claims.flatMap((c) => (c ? [c.picklistId] : [])))];
    const lists = await Promise.all(
      listIds.map(async (id) => {
        const [doc, events] = await Promise.all([this.lists.findOne({ _id: id }), this.events.find({ picklistId: id }).toArray()]);
        if (!doc) return [];
        const log = events
          .sort((a, b) => a.seq - b.seq)
          .map(({ seq, event, idempotencyKey, actor, at }) => ({ seq, event, idempotencyKey, actor, at }));
        return [{ picklist: doc.picklist, createdAt: doc.createdAt, log }];
      }),
    );
    return lists.flat();
  }

  /**
   * Claims orders for a new picklist, in rounds: `build` makes the list from the candidates, their orders
   * are claimed by insert, and an order another list claimed first is dropped and the list built again
   * from the rest, so its place goes to the next in rank. Returns the list of the orders won.
   */
  async claimOrders<C extends { id: string }>(
    picklistId: string,
    candidates: C[],
    build: (candidates: C[]) => Picklist,
  ): Promise<{ picklist: Picklist; claimed: string[] }> {
    const mine = new Set<string>();
    let left = candidates;
    let picklist = build(left);
    for (let round = 0; round < CLAIM_ROUNDS; round++) {
      const toClaim = picklist.orderIds.filter((o) => !mine.has(o));
      if (toClaim.length === 0) break;
      const { won, lost } = await this.claim(picklistId, toClaim);
      won.forEach((o) => mine.add(o));
      if (lost.length === 0) break;
      left = left.filter((o) => !lost.includes(o.id));
      picklist = build(left);
    }
    if (!picklist.orderIds.every((o) => mine.has(o))) picklist = build(left.filter((o) => mine.has(o.id)));
    // Orders claimed in an earlier round but built out of the final list go back to the backlog.
    const unused = [...mine].filter((o) => !picklist.orderIds.includes(o));
    if (unused.length) await this.releaseClaims(picklistId, unused);
    return { picklist, claimed: picklist.orderIds };
  }

  /**
   * Appends one event after deciding it against the latest log. `decide` throws to refuse the event;
   * a lost race for a log position re-reads and decides again. A repeated idempotency key answers what
   * its first event did (`same`), without appending.
   */
  async appendDecided<T>(
    picklist: Picklist,
    opts: { key?: string; actor: string; decide: (state: PickState) => Decided<T>; same: (stored: StoredPickEvent) => T },
  ): Promise<{ state: PickState; result: T; duplicate: boolean }> {
    const idempotencyKey = opts.key ?? `gen-${randomBytes(12).toString('hex')}`;
    const busy = () =>
      new ConflictError(`Picklist ${picklist.id} is busy with other scans: send the scan again`, { picklistId: picklist.id });
    return appendRacing(
      APPEND_ATTEMPTS,
      async () => {
        const log = await this.log(picklist.id);
        const state = replayPicking(
          picklist,
          log.map((e) => e.event),
        );
        const earlier = opts.key === undefined ? undefined : log.find((e) => e.idempotencyKey === opts.key);
        if (earlier) return { state, result: opts.same(earlier), duplicate: true };
        const decided = opts.decide(state);
        const event = decided.state.events[decided.state.events.length - 1];
        const seq = (log.length ? log[log.length - 1].seq : 0) + 1;
        if (!(await this.append(picklist.id, { seq, event, idempotencyKey, actor: opts.actor, ...decided.extra }))) return 'lost';
        return { state: decided.state, result: decided.result, duplicate: false };
      },
      busy,
    );
  }

  /** The picklist's state: its log replayed. */
  async state(picklist: Picklist): Promise<PickState> {
    return replayPicking(
      picklist,
      (await this.log(picklist.id)).map((e) => e.event),
    );
  }

  // The picklist's log in order (equality filter on picklistId, sorted here).
  async log(picklistId: string): Promise<StoredPickEvent[]> {
    const docs = await this.events.find({ picklistId }).toArray();
    return docs
      .sort((a, b) => a.seq - b.seq)
      .map(({ seq, event, idempotencyKey, actor, shortLines }) => ({
        seq,
        event,
        idempotencyKey,
        actor,
        ...(shortLines && { shortLines }),
      }));
  }

  // Append at `seq`; false when another writer took that position first.
  async append(picklistId: string, entry: StoredPickEvent): Promise<boolean> {
    return insertOnce(this.events, { ...entry, _id: eventId(picklistId, entry.seq), picklistId, at: new Date() });
  }
}
