import type { Collection, Db, UpdateFilter } from 'mongodb';
import type { ConnectionInput, ConnectionPatch, ConnectionView, OrdersPollOutcome, SkuMapEntry } from '../domain/connection';
import { ConflictError, NotFoundError } from '../domain/errors';
import { insertOnce, upsertRacing } from './atomic';
import type { Sealed, SecretBox } from './secret-box';

interface ConnectionDoc extends Omit<ConnectionInput, 'credentials' | 'id'> {
  _id: string;
  credentials: Sealed; // AES-256-GCM; decrypted only inside the process that calls the channel
  credentialFields: string[];
  ordersCursor?: string;
  skuMap?: SkuMapEntry[];
  createdAt: Date;
  updatedAt: Date;
}

// How the newest orders poll of a connection ended: kept apart from the connection (one document per
// connection, by its id), so that a background poll never rewrites the connection an operator manages.
type PollDoc = OrdersPollOutcome & { _id: string };

export interface Connection extends ConnectionView {
  credentials: Record<string, unknown>;
}

export class Connections {
  private readonly col: Collection<ConnectionDoc>;
  private readonly polls: Collection<PollDoc>;

  constructor(
    db: Db,
    private readonly box: SecretBox,
  ) {
    this.col = db.collection<ConnectionDoc>('connections');
    this.polls = db.collection<PollDoc>('connection_polls');
  }

  async create(input: ConnectionInput): Promise<ConnectionView> {
    const { id, credentials, ...rest } = input;
    const now = new Date();
    const doc: ConnectionDoc = {
      ...rest,
      _id: id,
      credentials: this.box.seal(credentials),
      credentialFields: Object.keys(credentials).sort(),
      createdAt: now,
      updatedAt: now,
    };
    if (!(await insertOnce(this.col, doc))) throw new ConflictError(`Connection ${id} already exists`, { id });
    return toView(doc);
  }

  async update(id: string, patch: ConnectionPatch): Promise<ConnectionView> {
    const current = await this.col.findOne({ _id: id });
    if (!current) throw new NotFoundError(`Connection ${id} does not exist`, { id });
    const { credentials, sync, ...rest } = patch;
    const set: Partial<ConnectionDoc> = { ...rest, updatedAt: new Date() };
    if (sync) set.sync = { ...current.sync, ...sync };
    if (credentials) {
      set.credentials = this.box.seal(credentials);
      set.credentialFields = Object.keys(credentials).sort();
    }
    await this.col.updateOne({ _id: id }, { $set: set });
    return toView({ ...current, ...set });
  }

  // Replaces the connection's sku map whole; false when there is no such connection.
  async replaceSkuMap(id: string, entries: SkuMapEntry[]): Promise<boolean> {
    const res = await this.col.updateOne({ _id: id }, { $set: { skuMap: entries, updatedAt: new Date() } });
    return res.matchedCount > 0;
  }

  async remove(id: string): Promise<boolean> {
    const res = await this.col.deleteOne({ _id: id });
    await this.polls.deleteOne({ _id: id });
    return res.deletedCount === 1;
  }

  async view(id: string): Promise<ConnectionView | null> {
    const doc = await this.col.findOne({ _id: id });
    return doc && toView(doc, await this.polls.findOne({ _id: id }));
  }

  // With decrypted credentials: for connectors only, never for API answers or logs.
  async withCredentials(id: string): Promise<Connection | null> {
    const doc = await this.col.findOne({ _id: id });
    return doc && { ...toView(doc), credentials: this.box.open<Record<string, unknown>>(doc.credentials) };
  }

  async list(): Promise<ConnectionView[]> {
    const [docs, polls] = await Promise.all([this.col.find({}).toArray(), this.polls.find({}).toArray()]);
    const pollOf = new Map(polls.map((p) => [p._id, p]));
    return docs.map((d) => toView(d, pollOf.get(d._id))).sort((a, b) => a.id.localeCompare(b.id));
  }

  // The polling cursor moves only forward.
  async advanceOrdersCursor(id: string, cursor: string): Promise<void> {
    const current = await this.col.findOne({ _id: id }, { projection: { ordersCursor: 1 } });
    if (current?.ordersCursor && current.ordersCursor >= cursor) return;
    await this.col.updateOne({ _id: id }, { $set: { ordersCursor: cursor } });
  }

  /** Keeps how the newest orders poll ended (the console's channel sync: its time, its last error). */
  async recordOrdersPoll(id: string, outcome: { ok: true; captured: number } | { ok: false; error: string }): Promise<void> {
    const at = new Date();
    const update: UpdateFilter<PollDoc> = outcome.ok
      ? { $set: { ok: true, captured: outcome.captured, at, lastSuccessAt: at }, $unset: { error: '' } }
      : { $set: { ok: false, error: outcome.error, at }, $unset: { captured: '' } };
    await upsertRacing(this.polls, { _id: id }, update);
  }
}

function toView(doc: ConnectionDoc, poll?: PollDoc | null): ConnectionView {
  const { _id, credentials, createdAt, updatedAt, ...rest } = doc;
  void credentials;
  const lastOrdersPoll = poll && pollView(poll);
  return {
    ...rest,
    id: _id,
    ...(lastOrdersPoll && { lastOrdersPoll }),
    createdAt: createdAt.toISOString(),
    updatedAt: updatedAt.toISOString(),
  };
}

function pollView({ _id, at, lastSuccessAt, ...outcome }: PollDoc): OrdersPollOutcome<string> {
  void _id;
  return { ...outcome, at: at.toISOString(), ...(lastSuccessAt && { lastSuccessAt: lastSuccessAt.toISOString() }) };
}
