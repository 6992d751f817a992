import { z } from 'zod';
import { locationIdSchema, skuSchema } from './catalog';

export const CARRIER_KINDS = ['easypost', 'manual_carrier'] as const;
// supplier_http: a drop-ship supplier's system (connectors/supplier-http), named by the supplier's dropShip.
export const CONNECTION_KINDS = ['shopify', 'amazon', 'erp', ...CARRIER_KINDS, 'supplier_http'] as const;
export const isCarrierKind = (kind: string): boolean => (CARRIER_KINDS as readonly string[]).includes(kind);

export const connectionIdSchema = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,31}$/, 'must be 1 to 32 lowercase letters, digits, _ or -');

const locationFeedSchema = z.strictObject({
  channelLocationId: z.string().min(1).max(64), // the channel's own location id (a Shopify location id, "DEFAULT" for Amazon)
  locationIds: z.array(locationIdSchema).min(1), // the Orderhub locations whose stock feeds it
});

const syncSchema = z.strictObject({
  ordersEveryMinutes: z.number().int().min(1).max(1440).default(5),
  stockEveryMinutes: z.number().int().min(1).max(1440).default(5),
  // Storefronts and marketplaces: how often their catalogue is imported (new variants become items). Daily.
  catalogEveryMinutes: z.number().int().min(15).max(10_080).default(1440),
});

// A connection as an operator creates it. Its id is also the sales channel name of its orders.
export const connectionInputSchema = z.strictObject({
  id: connectionIdSchema,
  kind: z.enum(CONNECTION_KINDS),
  name: z.string().min(1).max(200),
  options: z.record(z.string(), z.unknown()).default({}),
  credentials: z.record(z.string(), z.unknown()),
  stockFeeds: z.array(locationFeedSchema).default([]),
  safetyBuffer: z.number().int().min(0).max(1_000_000).default(0),
  sync: syncSchema.default({ ordersEveryMinutes: 5, stockEveryMinutes: 5, catalogEveryMinutes: 1440 }),
  enabled: z.boolean().default(true),
});
export type ConnectionInput = z.infer<typeof connectionInputSchema>;

export const connectionPatchSchema = z.strictObject({
  name: z.string().min(1).max(200).optional(),
  options: z.record(z.string(), z.unknown()).optional(),
  credentials: z.record(z.string(), z.unknown()).optional(),
  stockFeeds: z.array(locationFeedSchema).optional(),
  safetyBuffer: z.number().int().min(0).max(1_000_000).optional(),
  sync: syncSchema.partial().optional(),
  enabled: z.boolean().optional(),
});
export type ConnectionPatch = z.infer<typeof connectionPatchSchema>;

// What the API shows: never the credentials, only which fields are set.
export interface ConnectionView extends Omit<ConnectionInput, 'credentials'> {
  credentialFields: string[];
  ordersCursor?: string;
  lastOrdersPoll?: OrdersPollOutcome<string>; // the newest poll of the channel's orders, and how it ended
  skuMap?: SkuMapEntry[]; // the channel's skus that differ from Orderhub's
  createdAt: string;
  updatedAt: string;
}

// How a poll of a channel's orders ended: how many it captured, or the error that stopped it (the next poll
// resumes from the same cursor). `lastSuccessAt` is the newest poll that went through to the end.
export type OrdersPollOutcome<T = Date> = { at: T; lastSuccessAt?: T } & ({ ok: true; captured: number } | { ok: false; error: string });

// A channel sku that is not Orderhub's: orders come in with `channelSku` and are taken as `sku`; stock
// for `sku` goes out as `channelSku`.
export interface SkuMapEntry {
  channelSku: string;
  sku: string;
}

export const skuMapSchema = z.strictObject({
  entries: z
    .array(z.strictObject({ channelSku: z.string().trim().min(1).max(255), sku: skuSchema }))
    .max(50_000)
    .superRefine((entries, ctx) => {
      const seen = new Set<string>();
      entries.forEach((e, i) => {
        if (seen.has(e.channelSku)) ctx.addIssue({ code: 'custom', path: [i, 'channelSku'], message: `${e.channelSku} is mapped twice` });
        seen.add(e.channelSku);
      });
    }),
});

// The channel's sku as Orderhub's, and back (several channel skus may stand for one of Orderhub's).
export function orderhubSkuOf(map: readonly SkuMapEntry[] | undefined, channelSku: string): string {
  return map?.find((e) => e.channelSku === channelSku)?.sku ?? channelSku;
}
export function channelSkusOf(map: readonly SkuMapEntry[] | undefined, sku: string): string[] {
  const mapped = (map ?? []).filter((e) => e.sku === sku).map((e) => e.channelSku);
  return mapped.length ? mapped : [sku];
}

// Available to sell on a channel: the mapped locations' available stock less the buffer, never below zero.
export function availableToSell(availableAtLocations: number[], safetyBuffer: number): number {
  return Math.max(0, availableAtLocations.reduce((a, b) => a + b, 0) - safetyBuffer);
}
