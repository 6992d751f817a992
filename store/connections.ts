import type { Collection, Db } from 'mongodb';
import type { ConnectionInput, ConnectionPatch, ConnectionView, SkuMapEntry } from '../domain/connection';
import { ConflictError, NotFoundError } from '../domain/errors';
import { insertOnce } from './atomic';
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

export interface Connection extends ConnectionView {
  credentials: Record<string, unknown>;
}

export class Connections {
  private readonly col: Collection<ConnectionDoc>;

  constructor(
    db: Db,
    private readonly box: SecretBox,
  ) {
    this.col = db.collection<ConnectionDoc>('connections');
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
    return res.deletedCount === 1;
  }

  async view(id: string): Promise<ConnectionView | null> {
    const doc = await this.col.findOne({ _id: id });
    return doc && toView(doc);
  }

  // With decrypted credentials: for connectors only, never for API answers or logs.
  async withCredentials(id: string): Promise<Connection | null> {
    const doc = await this.col.findOne({ _id: id });
    return doc && { ...toView(doc), credentials: this.box.open<Record<string, unknown>>(doc.credentials) };
  }

  async list(): Promise<ConnectionView[]> {
    const docs = await this.col.find({}).toArray();
    return docs.map(toView).sort((a, b) => a.id.localeCompare(b.id));
  }

  // The polling cursor moves only forward.
  async advanceOrdersCursor(id: string, cursor: string): Promise<void> {
    const current = await this.col.findOne({ _id: id }, { projection: { ordersCursor: 1 } });
    if (current?.ordersCursor && current.ordersCursor >= cursor) return;
    await this.col.updateOne({ _id: id }, { $set: { ordersCursor: cursor } });
  }
}

function toView(doc: ConnectionDoc): ConnectionView {
  const { _id, credentials, createdAt, updatedAt, ...rest } = doc;
  void credentials;
  return { ...rest, id: _id, createdAt: createdAt.toISOString(), updatedAt: updatedAt.toISOString() };
}
