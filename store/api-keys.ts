import { createHash, randomBytes } from 'node:crypto';
import type { Collection, Db } from 'mongodb';
import type { Grant, Principal } from '../domain/access';
import { insertOnce, upsertRacing } from './atomic';

interface ApiKeyRecord {
  _id: string; // sha256 of the key: the key itself is never stored
  keyId?: string; // the public id (list, revoke, rotate); keys stored before roles get one when first listed
  name: string;
  role?: Grant['role']; // keys stored before roles have none and are admin
  locations?: string[];
  connections?: string[];
  createdAt: Date;
}

export interface ApiKeyView {
  id: string;
  name: string;
  role: Grant['role'];
  locations?: string[];
  connections?: string[];
  createdAt: string;
  lastUsedAt?: string;
}

export const hashApiKey = (key: string) => createHash('sha256').update(key, 'utf8').digest('hex');
const newKey = () => `ohk_${randomBytes(24).toString('base64url')}`;
const newKeyId = () => `key_${randomBytes(8).toString('hex')}`;

// How long this process trusts a key it has verified without asking the store again: every request
// carries a key, and a store round trip per request doubled the cost of a read. A key revoked or rotated
// through this process stops here at once; other API processes stop accepting it within KNOWN_FOR_MS.
export const KNOWN_FOR_MS = 10_000;
const KNOWN_MAX = 10_000;

export class ApiKeys {
  private readonly col: Collection<ApiKeyRecord>;
  private readonly usage: Collection<{ _id: string; at: Date }>; // key id → last verified (at most every KNOWN_FOR_MS)
  private readonly rotations: Collection<{ _id: string; to: string; at: Date }>; // claim: a key is rotated once
  private readonly known = new Map<string, { principal: Principal; until: number }>();
  constructor(db: Db) {
    this.col = db.collection<ApiKeyRecord>('api_keys');
    this.usage = db.collection('api_key_usage');
    this.rotations = db.collection('api_key_rotations');
  }

  // Idempotent: the bootstrap key from the environment is registered (as admin) on every start.
  async register(key: string, name: string, grant: Grant = { role: 'admin' }): Promise<void> {
    await upsertRacing(
      this.col,
      { _id: hashApiKey(key) },
      { $setOnInsert: { name, ...grant, keyId: `key_${hashApiKey(key).slice(0, 16)}`, createdAt: new Date() } },
    );
  }

  async create(name: string, grant: Grant = { role: 'admin' }): Promise<{ key: string; view: ApiKeyView }> {
    const key = newKey();
    const record: ApiKeyRecord = { _id: hashApiKey(key), keyId: newKeyId(), name, ...grant, createdAt: new Date() };
    await this.col.insertOne(record);
    return { key, view: viewOf(record, record.keyId!) };
  }

  // The principal a key acts as, or null. A key stored without a role is admin (keys predate roles).
  async verify(key: string): Promise<Principal | null> {
    const hash = hashApiKey(key);
    const seen = this.known.get(hash);
    if (seen && seen.until > Date.now()) return seen.principal;
    const doc = await this.col.findOne({ _id: hash });
    if (!doc) return null;
    const keyId = doc.keyId ?? (await this.assignId(doc));
    const principal: Principal = {
      kind: 'key',
      id: keyId,
      name: doc.name,
      role: doc.role ?? 'admin',
      ...(doc.locations && { locations: doc.locations }),
      ...(doc.connections && { connections: doc.connections }),
    };
    if (this.known.size >= KNOWN_MAX) this.known.clear();
    this.known.set(hash, { principal, until: Date.now() + KNOWN_FOR_MS });
    await upsertRacing(this.usage, { _id: keyId }, { $set: { at: new Date() } });
    return principal;
  }

  // A small collection read whole: admins list keys, nothing on a request's path does.
  async list(): Promise<ApiKeyView[]> {
    const docs = await this.col.find({}).toArray();
    const views: ApiKeyView[] = [];
    for (const doc of docs) {
      const id = doc.keyId ?? (await this.assignId(doc));
      const used = await this.usage.findOne({ _id: id });
      views.push({ ...viewOf(doc, id), ...(used && { lastUsedAt: used.at.toISOString() }) });
    }
    return views.sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
  }

  async get(keyId: string): Promise<ApiKeyView | null> {
    const doc = await this.col.findOne({ keyId });
    return doc ? viewOf(doc, keyId) : null;
  }

  /** Deletes the key; false when there is none with this id. It stops in this process at once. */
  async revoke(keyId: string): Promise<boolean> {
    const doc = await this.col.findOne({ keyId });
    if (!doc) return false;
    await this.col.deleteOne({ _id: doc._id });
    this.known.delete(doc._id);
    return true;
  }

  /**
   * A new key with the same name, role and scopes, and the old one deleted. Once per key: a second
   * rotation of the same id (a retry, or a race) gets null, as does an unknown id. A process that dies
   * between the claim and the new key leaves the old key working and not rotatable: revoke it instead.
   */
  async rotate(keyId: string): Promise<{ key: string; view: ApiKeyView } | null> {
    const doc = await this.col.findOne({ keyId });
    if (!doc) return null;
    const key = newKey();
    const record: ApiKeyRecord = { ...doc, _id: hashApiKey(key), keyId: newKeyId(), createdAt: new Date() };
    if (!(await insertOnce(this.rotations, { _id: keyId, to: record.keyId!, at: new Date() }))) return null;
    await this.col.insertOne(record);
    await this.col.deleteOne({ _id: doc._id });
    this.known.delete(doc._id);
    return { key, view: viewOf(record, record.keyId!) };
  }

  // Keys stored before ids: the id is derived from the hash, so every process assigns the same one.
  private async assignId(doc: ApiKeyRecord): Promise<string> {
    const keyId = `key_${doc._id.slice(0, 16)}`;
    await this.col.updateOne({ _id: doc._id }, { $set: { keyId } });
    return keyId;
  }
}

function viewOf(doc: ApiKeyRecord, id: string): ApiKeyView {
  return {
    id,
    name: doc.name,
    role: doc.role ?? 'admin',
    ...(doc.locations && { locations: doc.locations }),
    ...(doc.connections && { connections: doc.connections }),
    createdAt: doc.createdAt.toISOString(),
  };
}
