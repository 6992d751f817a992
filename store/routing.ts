import type { Collection, Db } from 'mongodb';
import { postalTableOf, type PostalPrefixRow, type PostalPrefixTable } from '../domain/geo';
import type { AvailableStock, RoutingInput, RoutingOrder, RoutingRule } from '../domain/routing';
import type { LocationCapacityLedger } from './capacity';
import type { Locations } from './catalog';
import type { StockLedger } from './stock-ledger';

// The merchant's routing set-up: one document for the rule set, one for the postal-code prefix table.
// Each is replaced whole by an operator (last write wins), so no concurrent partial update can mix two sets.
interface RulesDoc {
  _id: 'rules';
  rules: RoutingRule[];
  updatedAt: Date;
  updatedBy: string;
}

interface PostalDoc {
  _id: 'postal-prefixes';
  rows: PostalPrefixRow[];
  updatedAt: Date;
  updatedBy: string;
}

export interface RoutingRulesView {
  rules: RoutingRule[];
  updatedAt?: string;
  updatedBy?: string;
}

// Read on every allocation; a few seconds of staleness is harmless and saves the reads at order rates.
const CACHE_MS = 2_000;

export class RoutingSetup {
  private readonly col: Collection<RulesDoc | PostalDoc>;
  private cached?: { at: number; rules: RoutingRule[]; postal: PostalPrefixTable };

  constructor(db: Db) {
    this.col = db.collection<RulesDoc | PostalDoc>('routing_setup');
  }

  async rules(): Promise<RoutingRulesView> {
    const doc = (await this.col.findOne({ _id: 'rules' })) as RulesDoc | null;
    return doc ? { rules: doc.rules, updatedAt: doc.updatedAt.toISOString(), updatedBy: doc.updatedBy } : { rules: [] };
  }

  async replaceRules(rules: RoutingRule[], actor: string): Promise<RoutingRulesView> {
    const doc: RulesDoc = { _id: 'rules', rules, updatedAt: new Date(), updatedBy: actor };
    await this.col.replaceOne({ _id: 'rules' }, doc, { upsert: true });
    this.cached = undefined;
    return { rules, updatedAt: doc.updatedAt.toISOString(), updatedBy: actor };
  }

  async postalRows(): Promise<PostalPrefixRow[]> {
    const doc = (await this.col.findOne({ _id: 'postal-prefixes' })) as PostalDoc | null;
    return doc?.rows ?? [];
  }

  async replacePostalRows(rows: PostalPrefixRow[], actor: string): Promise<{ rows: number; updatedAt: string }> {
    const doc: PostalDoc = { _id: 'postal-prefixes', rows, updatedAt: new Date(), updatedBy: actor };
    await this.col.replaceOne({ _id: 'postal-prefixes' }, doc, { upsert: true });
    this.cached = undefined;
    return { rows: rows.length, updatedAt: doc.updatedAt.toISOString() };
  }

  // What the engine needs, cached briefly per process.
  async forRouting(): Promise<{ rules: RoutingRule[]; postal: PostalPrefixTable }> {
    if (this.cached && Date.now() - this.cached.at < CACHE_MS) return this.cached;
    const [rules, rows] = await Promise.all([this.rules(), this.postalRows()]);
    this.cached = { at: Date.now(), rules: rules.rules, postal: postalTableOf(rows) };
    return this.cached;
  }

  // Everything routeOrder needs for one order: rules, locations, available stock per location (each
  // balance walked to the ledger's true head), what is left of each location's capacity today, and the
  // postal table.
  async inputFor(
    order: RoutingOrder,
    from: {
      ledger: Pick<StockLedger, 'balancesForSku'>;
      locations: Pick<Locations, 'list'>;
      capacity: Pick<LocationCapacityLedger, 'usedToday'>;
    },
    excludedLocationIds: readonly string[] = [],
  ): Promise<RoutingInput> {
    const skus = [...new Set(order.lines.map((l) => l.sku))];
    const [{ rules, postal }, locations, balances] = await Promise.all([
      this.forRouting(),
      from.locations.list(),
      Promise.all(skus.map(async (sku) => [sku, await from.ledger.balancesForSku(sku)] as const)),
    ]);
    const stock: AvailableStock = Object.fromEntries(
      balances.map(([sku, rows]) => [sku, Object.fromEntries(rows.map((b) => [b.locationId, b.available]))]),
    );
    const capacityUsed = await from.capacity.usedToday(locations);
    return { order, rules, locations, stock, postalTable: postal, excludedLocationIds, capacityUsed };
  }
}
