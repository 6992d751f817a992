import { UpstreamError } from '../http';
import type { CatalogSource, ChannelVariant, ConnectorContext } from '../types';
import type { SpApiClient } from './client';
import { fulfillmentAvailability } from './feeds';
import type { AmazonListingsItem } from './schemas';

// The Listings Items API 2021-08-01: stock changes as one patchListingsItem per sku and marketplace (the
// change lane, seconds), and the seller's listings for the catalogue import (searchListingsItems).

// How many patches are in flight at once; the Redis bucket (5/s, burst 5) sets the pace.
const PATCH_CONCURRENCY = 5;

// The merge patch of the listings feed (feeds.ts), sent on its own: the DEFAULT (seller-fulfilled)
// quantity changes, lead_time_to_ship_max_days stays as it is ("merge" exists for exactly this since June
// 2025), and a sold-out sku with stock on its way gets its restock_date. PRODUCT is the generic product
// type Amazon accepts for offer-only changes.
export function quantityPatch(quantity: number, restockDate?: string) {
  return {
    productType: 'PRODUCT',
    patches: [{ op: 'merge', path: '/attributes/fulfillment_availability', value: fulfillmentAvailability(quantity, restockDate) }],
  };
}

export interface PatchOutcome {
  accepted: string[];
  // Skus Amazon did not take: not listed there (404), or INVALID with its issues. Retrying would not help.
  refused: { sku: string; marketplaceId: string; reason: string }[];
}

// One patch per sku and marketplace (marketplaceIds takes one value). An sku Amazon refuses is named in
// `refused` and logged; the others go on. Anything else (a 5xx after retries, a 400) throws.
export async function patchQuantities(
  client: SpApiClient,
  ctx: ConnectorContext,
  sellerId: string,
  marketplaceIds: string[],
  quantities: [sku: string, quantity: number][],
  restockDates: ReadonlyMap<string, string> = new Map(),
): Promise<PatchOutcome> {
  const outcome: PatchOutcome = { accepted: [], refused: [] };
  const work = quantities.flatMap(([sku, quantity]) => marketplaceIds.map((marketplaceId) => ({ sku, quantity, marketplaceId })));
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < work.length; i = next++) {
      const { sku, quantity, marketplaceId } = work[i];
      try {
        const answer = await client.patchListingsItem(sellerId, sku, marketplaceId, quantityPatch(quantity, restockDates.get(sku)));
        if (answer.status === 'ACCEPTED') outcome.accepted.push(sku);
        else {
          const issues = (answer.issues ?? []).map((x) => [x.code, x.message].filter(Boolean).join(': ')).join('; ');
          outcome.refused.push({ sku, marketplaceId, reason: `${answer.status}${issues ? `: ${issues}` : ''}` });
        }
      } catch (err) {
        if (!(err instanceof UpstreamError) || err.status !== 404) throw err;
        outcome.refused.push({ sku, marketplaceId, reason: 'no such listing (404)' });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(PATCH_CONCURRENCY, work.length) }, worker));
  if (outcome.refused.length)
    ctx.log.warn('amazon refused stock for some skus', { connectionId: ctx.connectionId, refused: outcome.refused.slice(0, 50) });
  return outcome;
}

// The seller's listings in the connection's first marketplace, 20 a page, as channel variants: the sku,
// the item name, the barcode (externally_assigned_product_identifier) and weight when the listing has
// them, and the ASIN as the variant id. Amazon pages through at most 1,000 skus of one search.
export function createAmazonCatalog(client: SpApiClient, sellerId: string, marketplaceId: string): CatalogSource {
  return {
    async variants(pageToken) {
      const page = await client.searchListingsItems({ sellerId, marketplaceId, ...(pageToken && { pageToken }) });
      const variants = page.items.map((item) => toChannelVariant(item, marketplaceId));
      const nextToken = page.pagination?.nextToken;
      return { variants, ...(nextToken && { nextPageToken: nextToken }) };
    },
  };
}

const GRAMS_PER: Record<string, number> = { grams: 1, kilograms: 1000, milligrams: 0.001, ounces: 28.349523125, pounds: 453.59237 };
const MM_PER: Record<string, number> = { millimeters: 1, centimeters: 10, meters: 1000, inches: 25.4, feet: 304.8 };
const BARCODE_TYPES = new Set(['ean', 'upc', 'gtin', 'isbn', 'jan']);

export function toChannelVariant(item: AmazonListingsItem, marketplaceId: string): ChannelVariant {
  const summary = item.summaries?.find((s) => s.marketplaceId === marketplaceId) ?? item.summaries?.[0];
  const attrs = item.attributes ?? {};
  const barcode = attributeValues(attrs.externally_assigned_product_identifier, marketplaceId).find(
    (v) => typeof v.type === 'string' && BARCODE_TYPES.has(v.type.toLowerCase()) && typeof v.value === 'string' && v.value.trim(),
  )?.value as string | undefined;
  const weight = attributeValues(attrs.item_weight, marketplaceId)[0];
  const perUnit = typeof weight?.unit === 'string' ? GRAMS_PER[weight.unit.toLowerCase()] : undefined;
  const grams = perUnit !== undefined && typeof weight?.value === 'number' ? Math.round(weight.value * perUnit) : undefined;
  const dimensionsMm = packageDimensionsMm(attributeValues(attrs.item_package_dimensions, marketplaceId)[0]);
  const name = summary?.itemName ?? (attributeValues(attrs.item_name, marketplaceId)[0]?.value as string | undefined) ?? '';
  return {
    sku: item.sku.trim(),
    name,
    ...(barcode && { barcode: barcode.trim() }),
    ...(grams !== undefined && grams > 0 && { weightGrams: grams }),
    ...(dimensionsMm && { dimensionsMm }),
    // The ASIN when Amazon has matched the listing to a catalogue item; otherwise the sku names it.
    channelIds: { variant: summary?.asin ?? item.sku },
  };
}

// item_package_dimensions: { length, width, height: { value (a number, or its digits), unit } }, as the
// product type definitions give it; whole millimetres, or nothing when a side is missing or unreadable.
function packageDimensionsMm(entry: Record<string, unknown> | undefined): ChannelVariant['dimensionsMm'] {
  if (!entry) return undefined;
  const side = (name: string) => {
    const measure = entry[name] as { value?: unknown; unit?: unknown } | undefined;
    const value = typeof measure?.value === 'string' ? Number(measure.value) : measure?.value;
    const perUnit = typeof measure?.unit === 'string' ? MM_PER[measure.unit.toLowerCase()] : undefined;
    if (typeof value !== 'number' || !Number.isFinite(value) || perUnit === undefined) return undefined;
    const mm = Math.round(value * perUnit);
    return mm > 0 ? mm : undefined;
  };
  const [length, width, height] = [side('length'), side('width'), side('height')];
  return length && width && height ? { length, width, height } : undefined;
}

// Listings attributes are arrays of { value, marketplace_id?, ... }; the marketplace's own entries first.
function attributeValues(attribute: unknown, marketplaceId: string): Record<string, unknown>[] {
  if (!Array.isArray(attribute)) return [];
  const entries = attribute.filter((e): e is Record<string, unknown> => typeof e === 'object' && e !== null);
  const own = entries.filter((e) => e.marketplace_id === marketplaceId);
  return [...own, ...entries.filter((e) => e.marketplace_id === undefined)];
}
