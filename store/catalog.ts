import type { Collection, Db } from 'mongodb';
import type { Item, Location } from '../domain/catalog';
import { ConflictError } from '../domain/errors';
import { insertOnce } from './atomic';

type Stored<T> = T & { _id: string; createdAt: Date };

// Read on every order's routing and rarely changed: a list a couple of seconds old is good enough
// (a new location takes part within LIST_CACHE_MS; this process sees its own changes at once).
const LIST_CACHE_MS = 2_000;
// Items are never deleted, so "this sku exists" can be remembered (bounded).
const MAX_KNOWN_SKUS = 50_000;

export class Locations {
  private readonly col: Collection<Stored<Location>>;
  private cached?: { at: number; list: Location[] };
  constructor(db: Db) {
    this.col = db.collection<Stored<Location>>('locations');
  }

  async create(location: Location): Promise<Location> {
    if (!(await insertOnce(this.col, { ...location, _id: location.id, createdAt: new Date() }))) {
      throw new ConflictError(`Location ${location.id} already exists`, { id: location.id });
    }
    this.cached = undefined;
    return location;
  }

  async get(id: string): Promise<Location | null> {
    const doc = await this.col.findOne({ _id: id });
    return doc && strip(doc);
  }

  // Locations in allocation order: priority first, then id for a stable tie-break.
  async list(): Promise<Location[]> {
    if (this.cached && Date.now() - this.cached.at < LIST_CACHE_MS) return this.cached.list;
    const docs = await this.col.find({}).toArray();
    const list = docs.map(strip).sort((a, b) => a.priority - b.priority || a.id.localeCompare(b.id));
    this.cached = { at: Date.now(), list };
    return list;
  }
}

export class Items {
  private readonly col: Collection<Stored<Item>>;
  private readonly known = new Set<string>();
  constructor(db: Db) {
    this.col = db.collection<Stored<Item>>('items');
  }

  async create(item: Item): Promise<Item> {
    if (!(await insertOnce(this.col, { ...item, _id: item.sku, createdAt: new Date() }))) {
      throw new ConflictError(`Item ${item.sku} already exists`, { sku: item.sku });
    }
    return item;
  }

  async get(sku: string): Promise<Item | null> {
    const doc = await this.col.findOne({ _id: sku });
    return doc && strip(doc);
  }

  async allSkus(): Promise<string[]> {
    const docs = await this.col.find({}, { projection: { _id: 1 } }).toArray();
    return docs.map((d) => d._id).sort();
  }

  // Which of these skus are not in the catalogue.
  async missing(skus: string[]): Promise<string[]> {
    const unknown = skus.filter((sku) => !this.known.has(sku));
    const found = await Promise.all(unknown.map((sku) => this.col.findOne({ _id: sku }, { projection: { _id: 1 } })));
    if (this.known.size > MAX_KNOWN_SKUS) this.known.clear();
    unknown.forEach((sku, i) => found[i] && this.known.add(sku));
    return unknown.filter((_, i) => !found[i]);
  }
}

function strip<T extends { _id: string; createdAt: Date }>(doc: T): Omit<T, '_id' | 'createdAt'> {
  const { _id, createdAt, ...rest } = doc;
  void _id;
  void createdAt;
  return rest;
}
