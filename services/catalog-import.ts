// The channel's catalogue into Orderhub's: run by POST /connections/:id/catalog/import and by the
// connection's catalogue schedule (workflows/channel-sync.ts), the same way both times.
import { isDeepStrictEqual } from 'node:util';
import type { Redis } from 'ioredis';
import { itemSchema, type ChannelListing } from '../domain/catalog';
import { orderhubSkuOf } from '../domain/connection';
import { normalisedReleaseAt, releaseDateIsPast } from '../domain/preorder';
import { ConflictError, ValidationError } from '../domain/errors';
import type { Logger } from '../domain/logger';
import { buildConnector } from '../connectors/registry';
import type { ChannelVariant } from '../connectors/types';
import type { Items } from '../store/catalog';
import type { Connection } from '../store/connections';

export interface CatalogImportDeps {
  items: Pick<Items, 'create' | 'get' | 'recordChannelListing' | 'update'>;
  redis: Redis;
  log: Logger;
  now?: () => Date;
}

export interface CatalogImportOutcome {
  connectionId: string;
  created: string[]; // skus of the items made
  existing: number; // variants whose item was there already (left as the merchant keeps it)
  linked: number; // of those, how many had the channel's ids recorded or changed on them
  preorders: { marked: string[]; cleared: string[] }; // existing items the channel's pre-order plans marked or stopped marking
  skipped: { channelSku: string; variant: string; reason: string }[]; // variants with no usable sku
}

// Whether a connection's kind has a catalogue to import (the connector decides for sure: see importCatalog).
export const CATALOG_KINDS: readonly string[] = ['shopify', 'amazon'];

// The channel's product variants become items: a variant's sku (through the sku map) that the catalogue
// lacks is created with the channel's ids; one it has keeps its fields and gets the channel's ids recorded.
// A variant without a usable sku is named and skipped. Repeating an import changes nothing.
export async function importCatalog(deps: CatalogImportDeps, connection: Connection): Promise<CatalogImportOutcome> {
  const source = buildConnector(connection, { redis: deps.redis, log: deps.log }).catalog;
  if (!source)
    throw new ValidationError(`${connection.kind} connections have no catalogue to import`, [
      { path: 'id', message: `is a ${connection.kind} connection` },
    ]);
  const outcome: CatalogImportOutcome = {
    connectionId: connection.id,
    created: [],
    existing: 0,
    linked: 0,
    skipped: [],
    preorders: { marked: [], cleared: [] },
  };
  let token: string | undefined;
  do {
    const page = await source.variants(token);
    for (const variant of page.variants) await importVariant(deps, connection, variant, outcome);
    token = page.nextPageToken;
  } while (token);
  deps.log.info('catalogue imported', {
    connectionId: connection.id,
    created: outcome.created.length,
    existing: outcome.existing,
    linked: outcome.linked,
    skipped: outcome.skipped.length,
    preordersMarked: outcome.preorders.marked.length,
    preordersCleared: outcome.preorders.cleared.length,
  });
  return outcome;
}

// A variant the channel sells as a pre-order marks its item a pre-order with the channel's release date; the
// channel's date is remembered on the item's listing, so a later import can tell the channel's date from one
// the merchant set in Orderhub. An item whose date is the channel's follows the channel: a new date replaces
// it, and it is removed when the channel no longer sells it as a pre-order or its date has passed. A date the
// merchant set (or changed) is left as it is, as every other field of an existing item is.
async function importVariant(deps: CatalogImportDeps, connection: Connection, v: ChannelVariant, outcome: CatalogImportOutcome) {
  const releaseAt =
    v.preorderReleaseAt && !releaseDateIsPast(v.preorderReleaseAt, deps.now?.() ?? new Date())
      ? normalisedReleaseAt(v.preorderReleaseAt)
      : undefined;
  const listing: ChannelListing = {
    channelSku: v.sku,
    variantId: v.channelIds.variant,
    ...(v.channelIds.inventoryItem && { inventoryItemId: v.channelIds.inventoryItem }),
    ...(releaseAt && { preorderReleaseAt: releaseAt }),
  };
  const parsed = itemSchema.safeParse({
    sku: orderhubSkuOf(connection.skuMap, v.sku),
    name: v.name,
    ...(v.barcode && { barcode: v.barcode }),
    ...(v.weightGrams && { weightGrams: v.weightGrams }),
    ...(v.dimensionsMm && { dimensionsMm: v.dimensionsMm }),
    ...(v.allowBackorder && { allowBackorder: true }),
    ...(releaseAt && { preorder: { releaseAt } }),
    channels: { [connection.id]: listing },
  });
  if (!parsed.success) {
    const problem = parsed.error.issues[0];
    outcome.skipped.push({ channelSku: v.sku, variant: v.channelIds.variant, reason: `${problem.path.join('.')} ${problem.message}` });
    return;
  }
  // Created once: an item the catalogue has already (or another import created meanwhile) is left.
  const created = await deps.items.create(parsed.data).then(
    () => true,
    (err: unknown) => {
      if (err instanceof ConflictError) return false;
      throw err;
    },
  );
  if (created) {
    outcome.created.push(parsed.data.sku);
    return;
  }
  outcome.existing++;
  const item = await deps.items.get(parsed.data.sku);
  if (!item) return;
  const listed = item.channels?.[connection.id];
  if (!isDeepStrictEqual(listed, listing)) {
    await deps.items.recordChannelListing(parsed.data.sku, connection.id, listing);
    outcome.linked++;
  }
  const merchants = item.preorder !== undefined && item.preorder.releaseAt !== listed?.preorderReleaseAt;
  if (merchants || item.preorder?.releaseAt === releaseAt) return;
  // The merchant removed the channel's date: left removed until the channel's date changes.
  if (releaseAt && !item.preorder && listed?.preorderReleaseAt === releaseAt) return;
  // The item's pre-order date is the channel's (or it has none): it follows the channel.
  if (releaseAt) {
    await deps.items.update(parsed.data.sku, { preorder: { releaseAt } });
    outcome.preorders.marked.push(parsed.data.sku);
  } else if (item.preorder) {
    await deps.items.update(parsed.data.sku, { preorder: null });
    outcome.preorders.cleared.push(parsed.data.sku);
  }
}
