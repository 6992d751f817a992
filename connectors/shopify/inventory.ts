import { ValidationError, type FieldProblem } from '../../domain/errors';
import type { ConnectorContext, StockLevel, StockTarget } from '../types';
import type { ShopifyClient } from './client';

const ID_TTL_MS = 24 * 60 * 60 * 1000;
// A sku Shopify does not know is asked about again sooner, so a product added today syncs today.
const UNKNOWN_TTL_MS = 15 * 60 * 1000;
const UNKNOWN = '-';
const SKUS_PER_QUERY = 25;

const VARIANTS_BY_SKU = `
  query InventoryItemsBySku($query: String!, $first: Int!) {
    productVariants(first: $first, query: $query) {
      nodes { sku inventoryItem { id } }
    }
  }`;

interface VariantsBySku {
  productVariants: { nodes: { sku: string | null; inventoryItem: { id: string } | null }[] };
}

// Absolute available quantities per sku and Shopify location (numeric location id), set with
// POST inventory_levels/set.json. Skus resolve to inventory items once a day through GraphQL.
export function createShopifyStock(client: ShopifyClient, ctx: ConnectorContext): StockTarget {
  async function inventoryItemIds(skus: string[]): Promise<Map<string, string | undefined>> {
    const ids = new Map<string, string | undefined>();
    const toResolve: string[] = [];
    for (const sku of skus) {
      const cached = await ctx.cache.get(cacheKey(sku));
      if (cached === null) toResolve.push(sku);
      else ids.set(sku, cached === UNKNOWN ? undefined : cached);
    }
    for (let i = 0; i < toResolve.length; i += SKUS_PER_QUERY) {
      const chunk = toResolve.slice(i, i + SKUS_PER_QUERY);
      const data = await client.graphql<VariantsBySku>(VARIANTS_BY_SKU, {
        query: chunk.map((s) => `sku:${quote(s)}`).join(' OR '),
        first: 250,
      });
      for (const sku of chunk) {
        // The search matches loosely; only an exact sku counts.
        const matches = data.productVariants.nodes.filter((n) => n.sku === sku && n.inventoryItem);
        if (matches.length > 1)
          ctx.log.warn('sku is on several Shopify variants; using the first', {
            connectionId: ctx.connectionId,
            sku,
            variants: matches.length,
          });
        const id = matches[0] ? numericId(matches[0].inventoryItem!.id) : undefined;
        ids.set(sku, id);
        await ctx.cache.set(cacheKey(sku), id ?? UNKNOWN, id ? ID_TTL_MS : UNKNOWN_TTL_MS);
      }
    }
    return ids;
  }

  return {
    async setAvailable(levels: StockLevel[]): Promise<void> {
      const problems: FieldProblem[] = [];
      levels.forEach((l, i) => {
        if (!/^\d+$/.test(l.channelLocationId))
          problems.push({ path: `levels.${i}.channelLocationId`, message: 'must be the numeric Shopify location id' });
        if (!Number.isSafeInteger(l.available)) problems.push({ path: `levels.${i}.available`, message: 'must be a whole number' });
      });
      if (problems.length > 0) throw new ValidationError(`Invalid stock levels for Shopify: ${problems.length} problem(s)`, problems);

      const ids = await inventoryItemIds([...new Set(levels.map((l) => l.sku))]);
      for (const level of levels) {
        const inventoryItemId = ids.get(level.sku);
        if (!inventoryItemId) {
          ctx.log.warn('sku is unknown to Shopify; stock level not sent', {
            connectionId: ctx.connectionId,
            sku: level.sku,
            channelLocationId: level.channelLocationId,
          });
          continue;
        }
        await client.setInventoryLevel({
          location_id: jsonId(level.channelLocationId),
          inventory_item_id: jsonId(inventoryItemId),
          available: level.available,
        });
      }
    },
  };
}

const cacheKey = (sku: string) => `shopify:inventory-item:${sku}`;

// Shopify's search syntax: a quoted value with quotes and backslashes escaped.
const quote = (value: string) => `"${value.replace(/["\\]/g, (c) => `\\${c}`)}"`;

// gid://shopify/InventoryItem/808950810 -> 808950810
function numericId(gid: string): string | undefined {
  return /\/(\d+)$/.exec(gid)?.[1];
}

// REST ids are JSON numbers; send a string rather than lose digits past 2^53.
function jsonId(id: string): number | string {
  const n = Number(id);
  return Number.isSafeInteger(n) ? n : id;
}
