import { ValidationError, type FieldProblem } from '../../domain/errors';
import type { ConnectorContext, StockLevel, StockTarget } from '../types';
import { createHash } from 'node:crypto';
import { UpstreamError } from '../http';
import { SHOPIFY_MAX_QUERY_COST, type ShopifyClient } from './client';

const ID_TTL_MS = 24 * 60 * 60 * 1000;
// A sku Shopify does not know is asked about again sooner, so a product added today syncs today.
const UNKNOWN_TTL_MS = 15 * 60 * 1000;
const UNKNOWN = '-';
const SKUS_PER_QUERY = 25;
// inventorySetQuantities takes up to 250 quantities a call. A batch's current levels are read in one query
// when its cost fits the shop's bucket and the 1,000 points one query may cost (about 3 points an item);
// a smaller bucket gives smaller batches. Sized by the bucket's size rather than what is left in it at the
// moment: more, smaller calls would cost more in total, and the cost bucket makes each call wait its turn.
const QUANTITIES_PER_SET = 250;
const FIRST_READ_COST_PER_ITEM = 4; // until Shopify has said what a read costs
// A quantity Shopify changed between our read and our write (a sale) is read again and sent again.
const STALE_ROUNDS = 3;

const VARIANTS_BY_SKU = `
  query InventoryItemsBySku($query: String!, $first: Int!) {
    productVariants(first: $first, query: $query) {
      nodes { sku inventoryItem { id } }
    }
  }`;

interface VariantsBySku {
  productVariants: { nodes: { sku: string | null; inventoryItem: { id: string } | null }[] };
}

const AVAILABLE_AT = `
  query AvailableAt($ids: [ID!]!, $locationId: ID!) {
    nodes(ids: $ids) {
      ... on InventoryItem { id inventoryLevel(locationId: $locationId) { quantities(names: ["available"]) { name quantity } } }
    }
  }`;

interface AvailableAt {
  nodes: ({ id: string; inventoryLevel: { quantities: { name: string; quantity: number }[] } | null } | null)[];
}

// Absolute and compare-and-set: each quantity carries the one it replaces (changeFromQuantity), so a
// sale Shopify recorded since our read fails that quantity (CHANGE_FROM_QUANTITY_STALE) rather than being
// overwritten. The idempotency key makes a retried request (a timeout) apply once.
const SET_AVAILABLE = `
  mutation SetAvailable($input: InventorySetQuantitiesInput!, $idempotencyKey: String!) {
    inventorySetQuantities(input: $input) @idempotent(key: $idempotencyKey) {
      userErrors { field message code }
    }
  }`;

interface SetAvailable {
  inventorySetQuantities: { userErrors: { field: string[] | null; message: string; code: string | null }[] };
}

interface Quantity {
  sku: string;
  inventoryItemId: string; // GID
  quantity: number;
  changeFromQuantity: number | null; // null: the item has no level at this location yet
}

// Available quantities per sku and Shopify location (numeric location id), set with GraphQL
// inventorySetQuantities in batches of up to 250. Skus resolve to inventory items once a day.
export function createShopifyStock(client: ShopifyClient, ctx: ConnectorContext): StockTarget {
  let readCostPerItem = FIRST_READ_COST_PER_ITEM;

  // How many items one read (and so one set) takes, for this shop's bucket.
  async function batchSize(): Promise<number> {
    const { maximumAvailable } = await client.throttle();
    const points = Math.min(SHOPIFY_MAX_QUERY_COST, maximumAvailable);
    return Math.max(1, Math.min(QUANTITIES_PER_SET, Math.floor(points / readCostPerItem)));
  }

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

  // What Shopify holds now for these items at the location.
  async function availableAt(locationId: string, itemIds: string[]): Promise<Map<string, number | null>> {
    const current = new Map<string, number | null>();
    const perRead = await batchSize();
    for (let i = 0; i < itemIds.length; i += perRead) {
      const ids = itemIds.slice(i, i + perRead);
      const data = await client.graphql<AvailableAt>(
        AVAILABLE_AT,
        { ids, locationId },
        { estimatedCost: 1 + Math.ceil(ids.length * readCostPerItem) },
      );
      const cost = client.costOf('AvailableAt');
      if (cost !== undefined && ids.length > 0) readCostPerItem = Math.max(1, cost / ids.length);
      for (const node of data.nodes)
        if (node) current.set(node.id, node.inventoryLevel?.quantities.find((q) => q.name === 'available')?.quantity ?? null);
    }
    return current;
  }

  // One batch at one location; the quantities Shopify found stale are read again and the batch sent
  // again (Shopify applies a batch whole or not at all).
  async function setBatch(locationId: string, wanted: { sku: string; inventoryItemId: string; available: number }[]): Promise<void> {
    let current = await availableAt(
      locationId,
      wanted.map((w) => w.inventoryItemId),
    );
    for (let round = 1; ; round++) {
      const quantities: Quantity[] = wanted
        .map((w) => ({
          sku: w.sku,
          inventoryItemId: w.inventoryItemId,
          quantity: w.available,
          changeFromQuantity: current.get(w.inventoryItemId) ?? null,
        }))
        .filter((q) => q.changeFromQuantity !== q.quantity); // already so: nothing to send
      if (quantities.length === 0) return;
      const input = {
        name: 'available',
        reason: 'correction',
        referenceDocumentUri: `orderhub://stock-sync/${ctx.connectionId}`,
        quantities: quantities.map(({ sku: _sku, ...q }) => ({ ...q, locationId })),
      };
      const idempotencyKey = createHash('sha256')
        .update(`${ctx.connectionId}|${JSON.stringify(input)}`)
        .digest('hex');
      const { userErrors } = (await client.graphql<SetAvailable>(SET_AVAILABLE, { input, idempotencyKey })).inventorySetQuantities;
      if (userErrors.length === 0) return;
      const staleAt = userErrors.filter((e) => e.code === 'CHANGE_FROM_QUANTITY_STALE').map((e) => quantityIndex(e.field));
      const other = userErrors.filter((e) => e.code !== 'CHANGE_FROM_QUANTITY_STALE');
      if (other.length > 0 || staleAt.some((i) => i === undefined) || round >= STALE_ROUNDS) {
        const what = userErrors.map((e) => `${e.code ?? 'error'} at ${(e.field ?? []).join('.')}: ${e.message}`).join('; ');
        throw new UpstreamError(`Shopify refused the stock levels at location ${locationId}: ${what}`, 200, userErrors);
      }
      const stale = staleAt.map((i) => quantities[i!].inventoryItemId);
      ctx.log.info('Shopify quantities changed since they were read; reading them again', {
        connectionId: ctx.connectionId,
        items: stale.length,
      });
      current = new Map([...current, ...(await availableAt(locationId, stale))]);
    }
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
      const byLocation = new Map<string, { sku: string; inventoryItemId: string; available: number }[]>();
      for (const level of levels) {
        const itemId = ids.get(level.sku);
        if (!itemId) {
          ctx.log.warn('sku is unknown to Shopify; stock level not sent', {
            connectionId: ctx.connectionId,
            sku: level.sku,
            channelLocationId: level.channelLocationId,
          });
          continue;
        }
        const locationId = `gid://shopify/Location/${level.channelLocationId}`;
        const list = byLocation.get(locationId) ?? [];
        // The last level given for an item at a location wins.
        byLocation.set(locationId, [
          ...list.filter((w) => w.inventoryItemId !== gid(itemId)),
          { sku: level.sku, inventoryItemId: gid(itemId), available: level.available },
        ]);
      }
      for (const [locationId, wanted] of byLocation)
        for (let i = 0; i < wanted.length;) {
          const size = await batchSize();
          await setBatch(locationId, wanted.slice(i, i + size));
          i += size;
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

const gid = (inventoryItemId: string) => `gid://shopify/InventoryItem/${inventoryItemId}`;

// ["input", "quantities", "3", "changeFromQuantity"] -> 3
function quantityIndex(field: string[] | null): number | undefined {
  const at = field?.indexOf('quantities') ?? -1;
  const index = at >= 0 ? Number(field![at + 1]) : NaN;
  return Number.isInteger(index) ? index : undefined;
}
