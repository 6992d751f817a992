import { z } from 'zod';
import { addressSchema } from './address';

// Identifiers that appear in URLs and ledger keys: no spaces, no '$', no ':' (used as a key separator).
export const skuSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'may contain only letters, digits and . _ -');
export const locationIdSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9][A-Za-z0-9_-]*$/, 'may contain only letters, digits, _ and -');

// A pre-order's release date: a calendar date (released at 00:00 UTC that day) or an ISO date-time with
// its offset. Whether it is in the past is checked where it is taken (services), against the clock.
export const releaseAtSchema = z
  .string()
  .max(40)
  .superRefine((v, ctx) => {
    const isDate = /^\d{4}-\d{2}-\d{2}$/.test(v) && z.iso.date().safeParse(v).success;
    if (!isDate && !z.iso.datetime({ offset: true }).safeParse(v).success)
      ctx.addIssue({ code: 'custom', message: 'must be a date (YYYY-MM-DD) or an ISO date-time such as 2027-03-01T09:00:00Z' });
    else if (v.slice(0, 4) < '2000' || v.slice(0, 4) > '2099') ctx.addIssue({ code: 'custom', message: 'must be between 2000 and 2099' });
  });

// Sold before the goods exist, released to the warehouse on this date.
export const preorderSchema = z.strictObject({ releaseAt: releaseAtSchema });

export const LOCATION_TYPES = ['warehouse', 'store', 'dark_store'] as const;

// An IANA time zone the runtime knows ("Europe/Berlin", "UTC").
function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

// What a location can pick and pack in a day: routing sends it no more units than are left of today's
// capacity, and splits a larger order across locations. The day is the location's own (its time zone).
export const locationCapacitySchema = z.strictObject({
  unitsPerDay: z.number().int('must be a whole number').positive('must be at least 1').max(10_000_000),
  timeZone: z.string().max(64).refine(isTimeZone, 'must be an IANA time zone such as "Europe/Berlin"').default('UTC'),
});
export type LocationCapacity = z.infer<typeof locationCapacitySchema>;

/** The location's calendar day (YYYY-MM-DD) at a moment: capacity is counted per location and day. */
export function capacityDay(at: Date, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).formatToParts(at);
  const part = (type: string) => parts.find((p) => p.type === type)!.value;
  return `${part('year')}-${part('month')}-${part('day')}`;
}

export const locationSchema = z
  .strictObject({
    id: locationIdSchema,
    name: z.string().min(1).max(200),
    type: z.enum(LOCATION_TYPES),
    address: addressSchema,
    ships: z.boolean().default(true),
    pickup: z.boolean().default(false),
    // Lower numbers are tried first when allocating stock.
    priority: z.number().int().min(0).max(1_000_000).default(100),
    active: z.boolean().default(true),
    // Absent: no limit on what the location can ship in a day.
    capacity: locationCapacitySchema.optional(),
  })
  .refine((l) => l.ships || l.pickup, { message: 'a location must ship, allow pickup, or both', path: ['ships'] });
export type Location = z.infer<typeof locationSchema>;

// Where a channel lists an item: its own sku and ids, recorded by the catalogue import per connection.
export const channelListingSchema = z.strictObject({
  channelSku: z.string().max(200), // the channel's sku ('' when the channel has none)
  variantId: z.string().min(1).max(200), // a Shopify ProductVariant GID, an Amazon ASIN
  inventoryItemId: z.string().min(1).max(200).optional(), // a Shopify InventoryItem GID
  // The channel sells it as a pre-order released then (Shopify: a PRE_ORDER selling plan). The import keeps
  // the item's preorder in step with it while the item's date is the channel's (see services/catalog-import.ts).
  preorderReleaseAt: releaseAtSchema.optional(),
});
export type ChannelListing = z.infer<typeof channelListingSchema>;

export const itemSchema = z.strictObject({
  sku: skuSchema,
  name: z.string().min(1).max(300),
  barcode: z
    .string()
    .regex(/^[0-9A-Za-z-]{4,64}$/, 'must be 4 to 64 letters, digits or -')
    .optional(),
  weightGrams: z.number().int().min(0).max(10_000_000).optional(),
  dimensionsMm: z
    .strictObject({
      length: z.number().int().positive(),
      width: z.number().int().positive(),
      height: z.number().int().positive(),
    })
    .optional(),
  // Orders may backorder it: units not in stock ship later, as they arrive (Medusa's allow_backorder;
  // Shopify's inventory policy CONTINUE, taken by the catalogue import). Absent: no.
  allowBackorder: z.boolean().optional(),
  // Per connection id (a connection's ids are lowercase letters, digits, _ and -).
  channels: z.record(z.string().regex(/^[a-z0-9][a-z0-9_-]{0,31}$/, 'must be a connection id'), channelListingSchema).optional(),
  // Sold as a pre-order until its release date: an order's line for it becomes a pre-order line.
  preorder: preorderSchema.optional(),
  // Shipped to customers by this supplier (an indent item): an order's line for it is drop-shipped by that
  // supplier unless the line names one itself. unitCost: what the supplier charges per unit.
  dropShip: z
    .strictObject({
      supplierId: z
        .string()
        .min(1)
        .max(64)
        .regex(/^[A-Za-z0-9][A-Za-z0-9_-]*$/, 'may contain only letters, digits, _ and -'),
      unitCost: z.number().int('must be whole minor units').min(0).max(1_000_000_000).optional(),
    })
    .optional(),
});
export type Item = z.infer<typeof itemSchema>;

// A change to an item: any of its fields but the sku; null removes an optional one.
export const itemPatchSchema = z
  .strictObject({
    name: itemSchema.shape.name.optional(),
    barcode: itemSchema.shape.barcode.unwrap().nullable().optional(),
    weightGrams: itemSchema.shape.weightGrams.unwrap().nullable().optional(),
    dimensionsMm: itemSchema.shape.dimensionsMm.unwrap().nullable().optional(),
    allowBackorder: z.boolean().nullable().optional(),
    preorder: preorderSchema.nullable().optional(),
    dropShip: itemSchema.shape.dropShip.unwrap().nullable().optional(),
  })
  .refine(
    (p) => Object.keys(p).length > 0,
    'must change at least one of name, barcode, weightGrams, dimensionsMm, allowBackorder, preorder, dropShip',
  );
export type ItemPatch = z.infer<typeof itemPatchSchema>;
