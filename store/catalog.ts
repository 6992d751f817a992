import type { Collection, Db } from 'mongodb';
import type { Item, Location } from '../domain/catalog';
import { ConflictError } from '../domain/errors';
import { insertOnce } from './atomic';

type Stored<T> = T & { _id: string; createdAt: Date };

export class Locations {
  private readonly col: Collection<Stored<Location>>;
  constructor(db: Db) {
    this.col = db.collection<Stored<Location>>('locations');
  }

  async create(location: Location): Promise<Location> {
    if (!(await insertOnce(this.col, { ...location, _id: location.id, createdAt: new Date() }))) {
      throw new ConflictError(`Location ${location.id} already exists`, { id: location.id });
    }
    return location;
  }

  async get(id: string): Promise<Location | null> {
    const doc = await this.col.findOne({ _id: id });
    return doc && strip(doc);
  }

  // Locations in allocation order: priority first, then id for a stable tie-break.
  async list(): Promise<Location[]> {
    const docs = await this.col.find({}).toArray();
    return docs.map(strip).sort((a, b) => a.priority - b.priority || a.id.localeCompare(b.id));
  }
}

export class Items {
  private readonly col: Collection<Stored<Item>>;
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
    const found = await Promise.all(skus.map((sku) => this.col.findOne({ _id: sku }, { projection: { _id: 1 } })));
    return skus.filter((_, i) => !found[i]);
  }
}

function strip<T extends { _id: string; createdAt: Date }>(doc: T): Omit<T, '_id' | 'createdAt'> {
  const { _id, createdAt, ...rest } = doc;
  void _id;
  void createdAt;
  return rest;
}
