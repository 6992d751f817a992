import type { Collection, Db, UpdateFilter } from 'mongodb';
import type { ChannelListing, Item, Location } from '../domain/catalog';
import { ConflictError } from '../domain/errors';
import { insertOnce } from './atomic';

type Stored<T> = T & { _id: string; createdAt: Date };

// Read on every order's routing and rarely changed: a list a couple of seconds old is good enough
// (a new location takes part within LIST_CACHE_MS; this process sees its own changes at once).
const LIST_CACHE_MS = 2_000;
// Items are never deleted, so "this sku exists" can be remembered (bounded).
const MAX_KNOWN_SKUS = 50_000;
// Every order placed asks whether its skus are sold as pre-orders or drop-shipped: an answer a couple of
// seconds old is good enough (a change made in this process is seen at once).
const ORDER_FACTS_CACHE_MS = 2_000;

// What placing an order asks of each of its items.
type OrderFacts = Pick<Item, 'preorder' | 'dropShip'>;

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
  private readonly facts = new Map<string, { at: number; facts: OrderFacts }>();
  constructor(db: Db) {
    this.col = db.collection<Stored<Item>>('items');
  }

  /** The release dates of those of these skus the catalogue sells as pre-orders. */
  async preorderReleases(skus: string[]): Promise<Map<string, string>> {
    const facts = await this.orderFacts(skus);
    return new Map(skus.flatMap((sku) => (facts.get(sku)?.preorder ? [[sku, facts.get(sku)!.preorder!.releaseAt] as const] : [])));
  }

  // The pre-order and drop-ship facts of these skus: read once per sku for ORDER_FACTS_CACHE_MS, in one
  // lookup per sku for both.
  private async orderFacts(skus: string[]): Promise<Map<string, OrderFacts>> {
    const now = Date.now();
    const stale = [...new Set(skus)].filter((sku) => {
      const cached = this.facts.get(sku);
      return !cached || now - cached.at >= ORDER_FACTS_CACHE_MS;
    });
    const docs = await Promise.all(
      stale.map((sku) => this.col.findOne({ _id: sku }, { projection: { _id: 1, preorder: 1, dropShip: 1 } })),
    );
    if (this.facts.size > MAX_KNOWN_SKUS) this.facts.clear();
    stale.forEach((sku, i) => {
      const doc = docs[i];
      this.facts.set(sku, {
        at: now,
        facts: { ...(doc?.preorder && { preorder: doc.preorder }), ...(doc?.dropShip && { dropShip: doc.dropShip }) },
      });
    });
    return new Map(skus.map((sku) => [sku, this.facts.get(sku)?.facts ?? {}]));
  }

  async create(item: Item): Promise<Item> {
    if (!(await insertOnce(this.col, { ...item, _id: item.sku, createdAt: new Date() }))) {
      throw new ConflictError(`Item ${item.sku} already exists`, { sku: item.sku });
    }
    this.facts.delete(item.sku);
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

  // The catalogue in sku order, a page at a time; `search` matches the start of a sku or any part of a name,
  // in any case. `after` is the last sku of the page before.
  async list(q: { search?: string; after?: string; limit: number }): Promise<{ items: Item[]; nextCursor?: string }> {
    const pattern = q.search?.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const filter = {
      ...(q.after !== undefined && { _id: { $gt: q.after } }),
      ...(pattern && { $or: [{ _id: { $regex: `^${pattern}`, $options: 'i' } }, { name: { $regex: pattern, $options: 'i' } }] }),
    };
    const docs = await this.col
      .find(filter)
      .sort({ _id: 1 })
      .limit(q.limit + 1)
      .toArray();
    const page = docs.slice(0, q.limit);
    return { items: page.map(strip), ...(docs.length > q.limit && { nextCursor: page.at(-1)!._id }) };
  }

  // Changes some of an item's fields (null removes an optional one); null when there is no such item.
  async update(sku: string, patch: Partial<Record<Exclude<keyof Item, 'sku'>, unknown>>): Promise<Item | null> {
    const set = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== null && v !== undefined));
    const unset: Record<string, ''> = {};
    for (const [k, v] of Object.entries(patch)) if (v === null) unset[k] = '';
    const update: UpdateFilter<Stored<Item>> = {
      ...(Object.keys(set).length > 0 && { $set: set as Partial<Stored<Item>> }),
      ...(Object.keys(unset).length > 0 && { $unset: unset }),
    };
    const changed = await this.col.updateOne({ _id: sku }, update);
    this.facts.delete(sku);
    return changed.matchedCount === 0 ? null : this.get(sku);
  }

  // Where a connection lists the item (replacing what it listed before); false when there is no such item.
  // A single-field $set: listings from other connections are left as they are.
  async recordChannelListing(sku: string, connectionId: string, listing: ChannelListing): Promise<boolean> {
    const changed = await this.col.updateOne({ _id: sku }, { $set: { [`channels.${connectionId}`]: listing } });
    return changed.matchedCount > 0;
  }

  // Which of these skus orders may backorder (the item says allowBackorder).
  async backorderable(skus: string[]): Promise<Set<string>> {
    const found = await Promise.all(skus.map((sku) => this.col.findOne({ _id: sku }, { projection: { _id: 1, allowBackorder: 1 } })));
    return new Set(skus.filter((_, i) => found[i]?.allowBackorder === true));
  }

  // The drop-ship supplier of each of these skus whose item names one.
  async dropShippers(skus: string[]): Promise<Map<string, NonNullable<Item['dropShip']>>> {
    const facts = await this.orderFacts(skus);
    return new Map(skus.flatMap((sku) => (facts.get(sku)?.dropShip ? [[sku, facts.get(sku)!.dropShip!] as const] : [])));
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
