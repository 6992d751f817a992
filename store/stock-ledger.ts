import type { Collection, Db } from 'mongodb';
import { applyChange, ZERO_BALANCE, type Balance, type Deltas, type LedgerEntryType } from '../domain/stock';
import { ConflictError, InsufficientStockError, UnavailableError } from '../domain/errors';
import { appendRacing, insertOnce, isDuplicateKey, upsertRacing } from './atomic';

export interface LedgerEntry {
  _id: string; // `${locationId}|${sku}|${seq}`: the insert that claims a sequence number is the atomic step
  sku: string;
  locationId: string;
  seq: number;
  type: LedgerEntryType;
  quantity: number;
  deltas: Deltas;
  balance: Balance;
  idempotencyKey: string;
  actor: string;
  reference?: string;
  reason?: string;
  note?: string;
  at: Date;
}

// Which entry an idempotency key produced, found by _id. A claim is inserted before its entry, naming the
// entry its writer means to append: no claim means the key was never applied (authoritative). A claim
// whose entry holds the key answers at once; otherwise (the writer lost that sequence number and died
// before re-pointing the claim, or died before appending, or its change was refused) the unique index on
// stock_ledger.idempotencyKey decides. Every writer of a key points the claim at the same entry (the
// unique index allows one entry per key), so the non-atomic update is safe.
interface IdempotencyClaim {
  _id: string; // the idempotency key
  entryId?: string;
  at: Date;
}

// A hint of the latest sequence per sku and location. It may lag (FerretDB v1 updates are not atomic), so
// readers always walk the ledger forward from it; correctness never depends on it.
interface BalanceHint extends Balance {
  _id: string;
  sku: string;
  locationId: string;
  seq: number;
  updatedAt: Date;
}

export interface StockChange {
  sku: string;
  locationId: string;
  type: LedgerEntryType;
  quantity: number; // signed for adjustments, positive otherwise
  idempotencyKey: string;
  actor: string;
  reference?: string;
  reason?: string;
  note?: string;
}

export interface AppliedChange {
  entry: LedgerEntry;
  duplicate: boolean; // true when this idempotency key had already been applied
}

/** A new ledger entry, as the ledger's listener hears of it (repeats are not heard). */
export interface StockChanged {
  sku: string;
  locationId: string;
  type: LedgerEntryType;
  deltas: Deltas;
  balance: Balance;
}

/** True when the change made more stock available to sell (a receipt, a release, a positive count). */
export const freesStock = (c: Pick<StockChanged, 'deltas'>) => c.deltas.onHand - c.deltas.reserved - (c.deltas.quarantined ?? 0) > 0;

export interface LocationBalance extends Balance {
  locationId: string;
}

const MAX_CONTENDED_ATTEMPTS = 500;
const MAX_REMEMBERED_HEADS = 100_000;

const entryId = (locationId: string, sku: string, seq: number) => `${locationId}|${sku}|${seq}`;
const headId = (locationId: string, sku: string) => `${locationId}|${sku}`;

export class StockLedger {
  private readonly entries: Collection<LedgerEntry>;
  private readonly hints: Collection<BalanceHint>;
  private readonly claims: Collection<IdempotencyClaim>;
  private readonly serial = new KeyedSerializer();
  // The newest head this process has seen per sku and location, and the hint's sequence it last knew:
  // a head read starts there and checks only whether another writer appended since (one lookup instead of
  // two). Never ahead of the ledger: it only ever holds an entry that exists.
  private readonly heads = new Map<string, { seq: number; balance: Balance; hintSeq: number }>();

  // Called after every new entry (not for repeats): channels are told the sku changed.
  constructor(
    db: Db,
    private readonly onChange?: (change: StockChanged) => void,
  ) {
    this.entries = db.collection<LedgerEntry>('stock_ledger');
    this.hints = db.collection<BalanceHint>('stock_balances');
    this.claims = db.collection<IdempotencyClaim>('stock_idempotency');
  }

  // The true head: start at the newest head known here (or the hint) and follow sequence numbers until
  // the next one is missing.
  async head(sku: string, locationId: string): Promise<{ seq: number; balance: Balance }> {
    const key = headId(locationId, sku);
    let known = this.heads.get(key);
    if (!known) {
      const hint = await this.hints.findOne({ _id: key });
      known = hint
        ? {
            seq: hint.seq,
            balance: {
              onHand: hint.onHand,
              reserved: hint.reserved,
              available: hint.available,
              ...(hint.quarantined && { quarantined: hint.quarantined }),
            },
            hintSeq: hint.seq,
          }
        : { seq: 0, balance: ZERO_BALANCE, hintSeq: 0 };
    }
    let { seq, balance } = known;
    for (;;) {
      const next = await this.entries.findOne({ _id: entryId(locationId, sku, seq + 1) });
      if (!next) break;
      seq = next.seq;
      balance = next.balance;
    }
    this.remember(key, seq, balance, known.hintSeq);
    if (seq > known.hintSeq) await this.moveHint(sku, locationId, seq, balance);
    return { seq, balance };
  }

  private remember(key: string, seq: number, balance: Balance, hintSeq: number): void {
    const current = this.heads.get(key);
    if (current && current.seq >= seq) return;
    if (this.heads.size > MAX_REMEMBERED_HEADS) this.heads.clear();
    this.heads.set(key, { seq, balance, hintSeq: Math.max(hintSeq, current?.hintSeq ?? 0) });
  }

  async balance(sku: string, locationId: string): Promise<Balance> {
    return (await this.head(sku, locationId)).balance;
  }

  // Apply one change exactly once. Concurrency: claim the next sequence number by inserting it; whoever
  // loses the race re-reads the head and re-checks the rule, so no balance ever goes negative.
  async apply(change: StockChange): Promise<AppliedChange> {
    // One change per sku and location at a time in this process: other processes still race on the insert,
    // but a burst inside one process queues instead of stampeding the database with losing attempts.
    return this.serial.run(headId(change.locationId, change.sku), () => this.applyOnce(change));
  }

  private async applyOnce(change: StockChange): Promise<AppliedChange> {
    const existing = await this.findByIdempotencyKey(change.idempotencyKey);
    if (existing) return { entry: sameChange(existing, change), duplicate: true };
    // The claim names the entry this writer means to append; if that sequence number is lost to another
    // writer, the claim is pointed at the entry finally appended.
    let claimedAs: string | undefined;
    const contended = () =>
      new UnavailableError(`Stock for ${change.sku} at ${change.locationId} is too contended right now; send the change again`, 1);
    return appendRacing<AppliedChange>(
      MAX_CONTENDED_ATTEMPTS,
      async () => {
        const head = await this.head(change.sku, change.locationId);
        const result = applyChange(head.balance, change.type, change.quantity);
        if (!result.ok) {
          if (change.type === 'reservation') {
            throw new InsufficientStockError(change.sku, change.locationId, change.quantity, head.balance.available);
          }
          throw new ConflictError(
            `Cannot apply ${change.type} of ${change.quantity} ${change.sku} at ${change.locationId}: ${result.reason}`,
            {
              sku: change.sku,
              locationId: change.locationId,
              balance: head.balance,
            },
          );
        }
        // Claimed only once the rule allows the change, so a refused change leaves no claim behind.
        // (A concurrent or crashed writer of the same key may have claimed it first: same key either way.)
        if (claimedAs === undefined) {
          claimedAs = entryId(change.locationId, change.sku, head.seq + 1);
          await insertOnce(this.claims, { _id: change.idempotencyKey, entryId: claimedAs, at: new Date() });
        }
        const entry: LedgerEntry = {
          _id: entryId(change.locationId, change.sku, head.seq + 1),
          sku: change.sku,
          locationId: change.locationId,
          seq: head.seq + 1,
          type: change.type,
          quantity: change.quantity,
          deltas: result.deltas,
          balance: result.after,
          idempotencyKey: change.idempotencyKey,
          actor: change.actor,
          at: new Date(),
          ...(change.reference !== undefined && { reference: change.reference }),
          ...(change.reason !== undefined && { reason: change.reason }),
          ...(change.note !== undefined && { note: change.note }),
        };
        if (!(await insertOnce(this.entries, entry))) {
          // Either the sequence number was taken (retry on the new head) or this key was applied meanwhile.
          const taken = await this.entries.findOne({ _id: entry._id });
          const same =
            taken?.idempotencyKey === change.idempotencyKey
              ? taken
              : taken
                ? null
                : await this.entries.findOne({ idempotencyKey: change.idempotencyKey });
          if (!same) return 'lost';
          await this.recordClaim(change.idempotencyKey, same._id);
          return { entry: sameChange(same, change), duplicate: true };
        }
        this.remember(headId(change.locationId, change.sku), entry.seq, entry.balance, 0);
        await Promise.all([
          claimedAs !== entry._id && this.recordClaim(change.idempotencyKey, entry._id),
          this.moveHint(change.sku, change.locationId, entry.seq, entry.balance),
        ]);
        this.onChange?.({
          sku: change.sku,
          locationId: change.locationId,
          type: change.type,
          deltas: entry.deltas,
          balance: entry.balance,
        });
        return { entry, duplicate: false };
      },
      contended,
    );
  }

  // No claim: never applied. A claim names the entry its writer meant to append; when that entry holds
  // another key (the writer lost the sequence number and died before re-pointing the claim) or does not
  // exist (it died before appending, or its change was refused), the unique idempotencyKey index decides.
  async findByIdempotencyKey(key: string): Promise<LedgerEntry | null> {
    const claim = await this.claims.findOne({ _id: key });
    if (!claim) return null;
    const named = claim.entryId ? await this.entries.findOne({ _id: claim.entryId }) : null;
    if (named?.idempotencyKey === key) return named;
    const entry = await this.entries.findOne({ idempotencyKey: key });
    if (entry) await this.recordClaim(key, entry._id);
    return entry;
  }

  // Two writers of the same claim both carry the same entryId, so the racing upsert is safe.
  private async recordClaim(key: string, id: string): Promise<void> {
    await upsertRacing(this.claims, { _id: key }, { $set: { entryId: id }, $setOnInsert: { at: new Date() } });
  }

  // Per-location balances for a sku, each walked to its true head.
  async balancesForSku(sku: string): Promise<LocationBalance[]> {
    const hints = await this.hints.find({ sku }).toArray();
    const balances = await Promise.all(hints.map(async (h) => ({ locationId: h.locationId, ...(await this.balance(sku, h.locationId)) })));
    return balances.sort((a, b) => a.locationId.localeCompare(b.locationId));
  }

  // The entries after a sequence number, oldest first, by _id one at a time (no range scan): up to `max`.
  async entriesAfter(sku: string, locationId: string, afterSeq: number, max: number): Promise<LedgerEntry[]> {
    const found: LedgerEntry[] = [];
    for (let seq = afterSeq + 1; found.length < max; seq++) {
      const entry = await this.entries.findOne({ _id: entryId(locationId, sku, seq) });
      if (!entry) break;
      found.push(entry);
    }
    return found;
  }

  // A page of one sku's ledger at one location, newest first: the entries below `beforeSeq` (absent: from
  // the head down), by _id. Sequence numbers have no gaps, so a page is `limit` lookups by _id, however
  // long the ledger is.
  async entriesNewestFirst(sku: string, locationId: string, opts: { beforeSeq?: number; limit: number }): Promise<LedgerEntry[]> {
    const head = await this.head(sku, locationId);
    const from = Math.min(head.seq, (opts.beforeSeq ?? head.seq + 1) - 1);
    const seqs = Array.from({ length: Math.max(0, Math.min(opts.limit, from)) }, (_, i) => from - i);
    const found = await Promise.all(seqs.map((seq) => this.entries.findOne({ _id: entryId(locationId, sku, seq) })));
    return found.filter((e): e is LedgerEntry => e !== null);
  }

  async entriesForSku(sku: string, opts: { locationId?: string; limit: number; afterSeq?: number }): Promise<LedgerEntry[]> {
    const filter: Record<string, unknown> = { sku };
    if (opts.locationId) filter.locationId = opts.locationId;
    const all = await this.entries.find(filter).toArray();
    return all
      .filter((e) => opts.afterSeq === undefined || e.seq > opts.afterSeq)
      .sort((a, b) => a.at.getTime() - b.at.getTime() || a.locationId.localeCompare(b.locationId) || a.seq - b.seq)
      .slice(0, opts.limit);
  }

  // The hint only moves forward in intent (one guarded upsert: a newer hint does not match, and its _id
  // turns the upsert's insert away); a lost race can leave it behind, which head() corrects.
  private async moveHint(sku: string, locationId: string, seq: number, balance: Balance): Promise<void> {
    const _id = headId(locationId, sku);
    await this.hints
      .updateOne(
        { _id, seq: { $lt: seq } },
        { $set: { sku, locationId, seq, ...balance, quarantined: balance.quarantined ?? 0, updatedAt: new Date() } },
        { upsert: true },
      )
      .catch((err) => {
        if (!isDuplicateKey(err)) throw err;
      });
    const known = this.heads.get(_id);
    if (known && known.hintSeq < seq) known.hintSeq = seq;
  }
}

// A repeat must be the same change: a reused key with other content is a caller's bug, not a retry.
function sameChange(entry: LedgerEntry, change: StockChange): LedgerEntry {
  if (
    entry.sku !== change.sku ||
    entry.locationId !== change.locationId ||
    entry.type !== change.type ||
    entry.quantity !== change.quantity
  ) {
    throw new ConflictError(`Idempotency key ${change.idempotencyKey} was already used for a different change`, {
      idempotencyKey: change.idempotencyKey,
      existing: { sku: entry.sku, locationId: entry.locationId, type: entry.type, quantity: entry.quantity },
    });
  }
  return entry;
}

// Runs tasks with the same key one after another, tasks with different keys concurrently.
class KeyedSerializer {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const result = previous.then(task, task);
    const tail = result.catch(() => undefined);
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }
}
