import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Collection, Db } from 'mongodb';

interface ApiKeyRecord {
  _id: string; // sha256 of the key: the key itself is never stored
  name: string;
  createdAt: Date;
}

export const hashApiKey = (key: string) => createHash('sha256').update(key, 'utf8').digest('hex');

export class ApiKeys {
  private readonly col: Collection<ApiKeyRecord>;
  // Keys this process has verified, for KNOWN_FOR_MS: every request carries a key, and a store round trip
  // per request doubled the cost of a read. Keys are never revoked through the API; one deleted from the
  // store by hand stops working here within KNOWN_FOR_MS. Unknown keys are not remembered.
  private readonly known = new Map<string, { name: string; until: number }>();
  constructor(db: Db) {
    this.col = db.collection<ApiKeyRecord>('api_keys');
  }

  // Idempotent: the bootstrap key from the environment is registered on every start.
  async register(key: string, name: string): Promise<void> {
    await this.col.updateOne({ _id: hashApiKey(key) }, { $setOnInsert: { name, createdAt: new Date() } }, { upsert: true });
  }

  async create(name: string): Promise<string> {
    const key = `ohk_${randomBytes(24).toString('base64url')}`;
    await this.col.insertOne({ _id: hashApiKey(key), name, createdAt: new Date() });
    return key;
  }

  // Returns the key's name (the actor recorded on changes) or null.
  async verify(key: string): Promise<string | null> {
    const hash = hashApiKey(key);
    const seen = this.known.get(hash);
    if (seen && seen.until > Date.now()) return seen.name;
    const doc = await this.col.findOne({ _id: hash });
    // The lookup is by hash, so timing reveals nothing about the key; compare anyway to be explicit.
    if (!doc || !timingSafeEqual(Buffer.from(doc._id), Buffer.from(hash))) return null;
    if (this.known.size >= KNOWN_MAX) this.known.clear();
    this.known.set(hash, { name: doc.name, until: Date.now() + KNOWN_FOR_MS });
    return doc.name;
  }
}

const KNOWN_FOR_MS = 30_000;
const KNOWN_MAX = 10_000;
