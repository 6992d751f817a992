import { z } from 'zod';
import type { Address } from './address';
import type { Order } from './order';
import { LOCATION_TYPES, type Location } from './catalog';
import { distanceKm, EMPTY_POSTAL_TABLE, locate, normalisePostalCode, type Located, type PostalPrefixTable } from './geo';
import { parseOrThrow } from './validation';

// The routing engine: which location(s) an order ships from, decided by rules that are data.
// Pure: the caller loads rules, locations, stock and the postal table; nothing here reserves anything,
// so the same call serves the reserve-stock activity and POST /routing/simulate.

// ---------------------------------------------------------------------------------------------
// Rules as data

export const ROUTING_SORT_KEYS = ['distance', 'priority', 'cost', 'stockDepth'] as const;
export type RoutingSortKey = (typeof ROUTING_SORT_KEYS)[number];
export const ROUTING_FALLBACKS = ['next_rule', 'wait_for_stock', 'split'] as const;
export type RoutingFallback = (typeof ROUTING_FALLBACKS)[number];

const postalPrefixSchema = z
  .string()
  .transform(normalisePostalCode)
  .pipe(z.string().regex(/^[A-Z0-9]{1,20}$/, 'must be 1 to 20 letters or digits (spaces and dashes are ignored)'));

export const routingRegionSchema = z.strictObject({
  country: z.string().regex(/^[A-Z]{2}$/, 'must be an ISO 3166-1 alpha-2 code such as "DE"'),
  // Absent: the whole country.
  postalPrefixes: z.array(postalPrefixSchema).min(1).max(1000).optional(),
});
export type RoutingRegion = z.infer<typeof routingRegionSchema>;

export const routingRuleSchema = z.strictObject({
  id: z
    .string()
    .min(1)
    .max(64)
    .regex(/^[A-Za-z0-9][A-Za-z0-9_-]*$/, 'may contain only letters, digits, _ and -'),
  name: z.string().min(1).max(200),
  // Absent: the rule applies to every sales channel.
  channels: z
    .array(z.string().regex(/^[a-z0-9_-]{1,32}$/, 'must be 1 to 32 lowercase letters, digits, _ or -'))
    .min(1)
    .max(100)
    .optional(),
  filters: z
    .strictObject({
      locationTypes: z.array(z.enum(LOCATION_TYPES)).min(1).optional(),
      // Shipping from a location that does not ship is never possible, so only `true` (or nothing) makes sense.
      ships: z
        .boolean()
        .refine((v) => v, 'must be true or absent: a location that does not ship can never ship an order')
        .optional(),
      pickup: z.boolean().optional(),
      // Only locations inside one of these regions are considered.
      regions: z.array(routingRegionSchema).min(1).max(500).optional(),
      // Safety stock: a location qualifies for a sku only if at least this much stays available after allocation.
      minRemainingAfterAllocation: z.number().int('must be a whole number').min(0).max(10_000_000).optional(),
    })
    .default({}),
  // Best first; ties fall to the next key, then to the location id.
  sort: z
    .array(z.enum(ROUTING_SORT_KEYS))
    .min(1)
    .refine((keys) => new Set(keys).size === keys.length, 'must not name a key twice'),
  whenNothingFits: z.enum(ROUTING_FALLBACKS),
});
export type RoutingRule = z.infer<typeof routingRuleSchema>;
export type RoutingRuleInput = z.input<typeof routingRuleSchema>;

// A rule set: tried in order until one places the order (or says to wait).
export const routingRulesSchema = z
  .array(routingRuleSchema)
  .max(200)
  .superRefine((rules, ctx) => {
    const seen = new Set<string>();
    rules.forEach((rule, i) => {
      if (seen.has(rule.id)) ctx.addIssue({ code: 'custom', path: [i, 'id'], message: `rule id ${rule.id} appears more than once` });
      seen.add(rule.id);
    });
  });

export function parseRoutingRules(input: unknown): RoutingRule[] {
  return parseOrThrow(routingRulesSchema, input, 'routing rules');
}

// Used when no configured rule applies to the order's channel: today's behaviour, the first
// location by priority that can take the whole order, else wait.
export const DEFAULT_ROUTING_RULE: RoutingRule = {
  id: 'default',
  name: 'Default: the first location by priority that can take the whole order',
  filters: {},
  sort: ['priority'],
  whenNothingFits: 'wait_for_stock',
};

// ---------------------------------------------------------------------------------------------
// Input and output

export interface RoutingLine {
  sku: string;
  quantity: number;
}

export interface RoutingOrder {
  channel: string;
  lines: readonly RoutingLine[];
  shippingAddress: Pick<Address, 'country' | 'postalCode' | 'latitude' | 'longitude'>;
  // Buy online, pick up in store: the store the customer chose. Such orders go there or nowhere.
  pickupLocationId?: string;
  allowSplit: boolean;
}

// What the engine needs of a captured order: the same for the reserve step and the simulator. A pickup
// order goes to its store whole; any other may be split unless the customer asked for one shipment.
export function routingOrderOf(order: Pick<Order, 'channel' | 'lines' | 'shippingAddress' | 'fulfillment'>): RoutingOrder {
  const pickupLocationId = order.fulfillment?.method === 'pickup' ? order.fulfillment.pickupLocationId : undefined;
  return {
    channel: order.channel,
    lines: order.lines.map((l) => ({ sku: l.sku, quantity: l.quantity })),
    shippingAddress: order.shippingAddress,
    allowSplit: !pickupLocationId && order.fulfillment?.allowSplit !== false,
    ...(pickupLocationId && { pickupLocationId }),
  };
}

export type RoutingLocation = Location & {
  // Integer minor units, in whatever currency the merchant compares costs in.
  costPerShipment?: number;
};

// Available-to-sell per sku, per location id. Missing entries are 0.
export type AvailableStock = { readonly [sku: string]: { readonly [locationId: string]: number } };

// Units already taken today of each location's daily capacity (locations that declare one). Missing: 0.
export type CapacityUsed = { readonly [locationId: string]: number };

export interface RoutingInput {
  order: RoutingOrder;
  rules: readonly RoutingRule[];
  locations: readonly RoutingLocation[];
  stock: AvailableStock;
  postalTable?: PostalPrefixTable;
  // Locations that rejected an allocation of this order: re-routing skips them.
  excludedLocationIds?: readonly string[];
  capacityUsed?: CapacityUsed;
}

export interface RoutingPart {
  locationId: string;
  lines: RoutingLine[];
}

export type RoutingDecision =
  | { kind: 'single'; locationId: string }
  | { kind: 'split'; parts: RoutingPart[] }
  | { kind: 'wait'; reason: string }
  | { kind: 'pickup'; locationId: string };

// Why a location was or was not chosen; `message` is the sentence an operator reads.
export type RoutingReason =
  | { code: 'excluded'; message: string }
  | { code: 'inactive'; message: string }
  | { code: 'does_not_ship'; message: string }
  | { code: 'not_pickup_store'; message: string }
  | { code: 'no_pickup'; message: string }
  | { code: 'location_type'; message: string; type: Location['type'] }
  | { code: 'pickup_filter'; message: string }
  | { code: 'out_of_region'; message: string }
  | { code: 'ranked'; message: string; position: number; of: number }
  | { code: 'short'; message: string; sku: string; requested: number; available: number }
  | { code: 'below_safety_stock'; message: string; sku: string; remaining: number; minimum: number }
  | { code: 'over_capacity'; message: string; requested: number; remaining: number; unitsPerDay: number }
  | { code: 'chosen'; message: string }
  | { code: 'split_part'; message: string; part: number; lines: RoutingLine[] }
  | { code: 'not_needed'; message: string };
export type RoutingReasonCode = RoutingReason['code'];

export interface LocationConsideration {
  locationId: string;
  // Passed the rule's filters (for a pickup order: is the chosen store).
  eligible: boolean;
  chosen: boolean;
  // To the shipping address, rounded to 0.1 km; absent when either end cannot be placed.
  distanceKm?: number;
  // Units left of today's capacity, for a location that declares one (before this order).
  capacityLeft?: number;
  reasons: RoutingReason[];
  summary: string;
}

export type RoutingStepOutcome =
  'not_for_channel' | 'placed' | 'split' | 'next_rule' | 'wait_for_stock' | 'split_not_allowed' | 'split_short' | 'pickup' | 'pickup_waits';

export interface RoutingStep {
  // Absent for the pickup step, which no rule drives.
  rule?: { id: string; name: string };
  outcome: RoutingStepOutcome;
  message: string;
  // Every location, in id order; empty when the rule did not run.
  locations: LocationConsideration[];
}

export interface RoutingExplanation {
  summary: string;
  // Where the shipping address was placed, if anywhere.
  destination?: Located;
  steps: RoutingStep[];
  decidedBy?: { id: string; name: string };
}

export interface RoutingResult {
  decision: RoutingDecision;
  explanation: RoutingExplanation;
}

// ---------------------------------------------------------------------------------------------
// The engine

interface Site {
  location: RoutingLocation;
  distanceKm?: number;
}

interface Context {
  order: RoutingOrder;
  lines: RoutingLine[];
  sites: Site[];
  stock: AvailableStock;
  excluded: ReadonlySet<string>;
  capacityUsed: CapacityUsed;
  destination?: Located;
}

const byId = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function available(ctx: Context, sku: string, locationId: string): number {
  const perLocation = Object.hasOwn(ctx.stock, sku) ? ctx.stock[sku] : undefined;
  const value = perLocation && Object.hasOwn(perLocation, locationId) ? perLocation[locationId] : 0;
  return Math.max(0, value);
}

// Units left of the location's capacity today; Infinity for a location without one.
function capacityLeft(ctx: Context, site: Site): number {
  const capacity = site.location.capacity;
  if (!capacity) return Infinity;
  const used = Object.hasOwn(ctx.capacityUsed, site.location.id) ? ctx.capacityUsed[site.location.id] : 0;
  return Math.max(0, capacity.unitsPerDay - used);
}

const unitsOf = (lines: readonly RoutingLine[]) => lines.reduce((n, l) => n + l.quantity, 0);

// Why the location cannot take these lines within what is left of its capacity today; empty when it can.
function capacityReasons(ctx: Context, site: Site, lines: readonly RoutingLine[]): RoutingReason[] {
  const capacity = site.location.capacity;
  const left = capacityLeft(ctx, site);
  const units = unitsOf(lines);
  if (!capacity || units <= left) return [];
  return [
    {
      code: 'over_capacity',
      requested: units,
      remaining: left,
      unitsPerDay: capacity.unitsPerDay,
      message: `over capacity: ${units} units needed, ${left} of ${capacity.unitsPerDay} units a day left today`,
    },
  ];
}

// One line per sku, in the order's order (a sku on two lines is one demand).
function mergeLines(lines: readonly RoutingLine[]): RoutingLine[] {
  const merged = new Map<string, number>();
  for (const l of lines) if (l.quantity > 0) merged.set(l.sku, (merged.get(l.sku) ?? 0) + l.quantity);
  return [...merged].map(([sku, quantity]) => ({ sku, quantity }));
}

function ordinal(n: number): string {
  const tens = n % 100;
  const suffix = tens >= 11 && tens <= 13 ? 'th' : (['th', 'st', 'nd', 'rd'][n % 10] ?? 'th');
  return `${n}${suffix}`;
}

const roundKm = (km: number) => Math.round(km * 10) / 10;
const linesText = (lines: readonly RoutingLine[]) => lines.map((l) => `${l.sku} ×${l.quantity}`).join(', ');

function considerationOf(ctx: Context, site: Site, eligible: boolean, chosen: boolean, reasons: RoutingReason[]): LocationConsideration {
  return {
    locationId: site.location.id,
    eligible,
    chosen,
    ...(site.distanceKm !== undefined && { distanceKm: roundKm(site.distanceKm) }),
    ...(site.location.capacity && { capacityLeft: capacityLeft(ctx, site) }),
    reasons,
    summary: `${site.location.id}: ${reasons.map((r) => r.message).join('; ')}`,
  };
}

function inRegion(location: Location, regions: readonly RoutingRegion[]): boolean {
  const postalCode = normalisePostalCode(location.address.postalCode);
  return regions.some(
    (r) => r.country === location.address.country && (!r.postalPrefixes || r.postalPrefixes.some((p) => postalCode.startsWith(p))),
  );
}

const regionText = (r: RoutingRegion) => (r.postalPrefixes ? `${r.country} ${r.postalPrefixes.join('/')}` : r.country);

// The reasons a rule's filters (and the standing conditions: active, ships, not excluded) keep a location out.
function filterReasons(ctx: Context, site: Site, rule: RoutingRule): RoutingReason[] {
  const { location } = site;
  const { filters } = rule;
  const reasons: RoutingReason[] = [];
  if (ctx.excluded.has(location.id)) reasons.push({ code: 'excluded', message: 'rejected an earlier allocation of this order' });
  if (!location.active) reasons.push({ code: 'inactive', message: 'inactive' });
  if (!location.ships) reasons.push({ code: 'does_not_ship', message: 'does not ship orders' });
  if (filters.locationTypes && !filters.locationTypes.includes(location.type)) {
    reasons.push({
      code: 'location_type',
      type: location.type,
      message: `filtered by type: ${location.type} is not ${filters.locationTypes.join(' or ')}`,
    });
  }
  if (filters.pickup !== undefined && location.pickup !== filters.pickup) {
    reasons.push({
      code: 'pickup_filter',
      message: filters.pickup
        ? 'filtered: does not offer pickup, which the rule requires'
        : 'filtered: offers pickup, which the rule excludes',
    });
  }
  if (filters.regions && !inRegion(location, filters.regions)) {
    reasons.push({
      code: 'out_of_region',
      message: `out of region: ${location.address.country} ${location.address.postalCode} is not in ${filters.regions.map(regionText).join(', ')}`,
    });
  }
  return reasons;
}

// Why the location cannot take every line whole, keeping `minimum` back; empty when it can.
function stockReasons(ctx: Context, locationId: string, lines: readonly RoutingLine[], minimum: number): RoutingReason[] {
  const reasons: RoutingReason[] = [];
  for (const { sku, quantity } of lines) {
    const has = available(ctx, sku, locationId);
    if (has < quantity) {
      reasons.push({
        code: 'short',
        sku,
        requested: quantity,
        available: has,
        message: `short of ${sku} by ${quantity - has} (${has} available, ${quantity} needed)`,
      });
    } else if (has - quantity < minimum) {
      reasons.push({
        code: 'below_safety_stock',
        sku,
        remaining: has - quantity,
        minimum,
        message: `below safety stock: ${sku} would leave ${has - quantity}, the rule keeps ${minimum}`,
      });
    }
  }
  return reasons;
}

const stockDepth = (ctx: Context, site: Site) => ctx.lines.reduce((sum, l) => sum + available(ctx, l.sku, site.location.id), 0);

// Ascending; undefined (unknown) sorts last.
const compareKnown = (a: number | undefined, b: number | undefined) =>
  a === undefined ? (b === undefined ? 0 : 1) : b === undefined ? -1 : a - b;

function rankSites(ctx: Context, sites: Site[], sort: readonly RoutingSortKey[]): Site[] {
  const compare = (a: Site, b: Site): number => {
    for (const key of sort) {
      const d =
        key === 'distance'
          ? compareKnown(a.distanceKm, b.distanceKm)
          : key === 'priority'
            ? a.location.priority - b.location.priority
            : key === 'cost'
              ? compareKnown(a.location.costPerShipment, b.location.costPerShipment)
              : stockDepth(ctx, b) - stockDepth(ctx, a);
      if (d !== 0) return d;
    }
    return byId(a.location.id, b.location.id);
  };
  return [...sites].sort(compare);
}

function sortValueText(ctx: Context, site: Site, key: RoutingSortKey): string {
  switch (key) {
    case 'distance':
      return site.distanceKm === undefined ? 'distance unknown' : `distance ${roundKm(site.distanceKm).toFixed(1)} km`;
    case 'priority':
      return `priority ${site.location.priority}`;
    case 'cost':
      return site.location.costPerShipment === undefined ? 'cost unknown' : `cost ${site.location.costPerShipment}`;
    case 'stockDepth':
      return `stock depth ${stockDepth(ctx, site)} units`;
  }
}

interface SplitShort {
  sku: string;
  requested: number;
  available: number; // usable within the locations' capacity left
  inStock: number; // usable stock, whatever the capacity
}

/**
 * Split the lines over the ranked locations: fewest parts first (a location already in the split takes
 * what it can take whole; otherwise the location that takes the most lines whole joins), a sku spread
 * over as few locations as possible and only when no single location has all of it. Ties go by rank.
 * A location takes no more units in all than `capacity` leaves it.
 */
function planSplit(
  ranked: Site[],
  lines: RoutingLine[],
  stockOf: (site: Site, sku: string) => number,
  capacity: (site: Site) => number,
): { parts: RoutingPart[] } | { short: SplitShort[] } {
  const left = new Map(ranked.map((s) => [s.location.id, capacity(s)]));
  const usable = (site: Site, sku: string) => Math.min(stockOf(site, sku), left.get(site.location.id)!);
  const shortOf = (line: RoutingLine): SplitShort => ({
    sku: line.sku,
    requested: line.quantity,
    available: ranked.reduce((sum, s) => sum + usable(s, line.sku), 0),
    inStock: ranked.reduce((sum, s) => sum + stockOf(s, line.sku), 0),
  });
  const short = lines.map(shortOf).filter((s) => s.available < s.requested);
  if (short.length > 0) return { short };

  const lineIndex = new Map(lines.map((l, i) => [l.sku, i]));
  const parts = new Map<string, RoutingLine[]>(); // insertion order is part order
  const take = (site: Site, sku: string, quantity: number) => {
    const id = site.location.id;
    if (!parts.has(id)) parts.set(id, []);
    parts.get(id)!.push({ sku, quantity });
    left.set(id, left.get(id)! - quantity);
  };
  const takesWhole = (site: Site, line: RoutingLine) => usable(site, line.sku) >= line.quantity;
  // The remaining lines a location can take whole together, within its capacity left (in line order).
  const wholeAt = (site: Site, candidates: RoutingLine[]) => {
    let budget = left.get(site.location.id)!;
    return candidates.filter((line) => {
      if (stockOf(site, line.sku) < line.quantity || budget < line.quantity) return false;
      budget -= line.quantity;
      return true;
    });
  };
  let remaining = [...lines];

  while (remaining.length > 0) {
    // A location already in the split takes what it can take whole: no new part.
    remaining = remaining.filter((line) => {
      const site = ranked.find((s) => parts.has(s.location.id) && takesWhole(s, line));
      if (site) take(site, line.sku, line.quantity);
      return !site;
    });
    if (remaining.length === 0) break;

    // The location that takes the most remaining lines whole joins (ties: the better-ranked one).
    let best: { site: Site; whole: RoutingLine[] } | undefined;
    for (const site of ranked) {
      const whole = wholeAt(site, remaining);
      if (whole.length > (best?.whole.length ?? 0)) best = { site, whole };
    }
    if (best) {
      const { site, whole } = best;
      for (const line of whole) take(site, line.sku, line.quantity);
      remaining = remaining.filter((line) => !whole.includes(line));
      continue;
    }

    // No location has all of any remaining sku: spread the first over the fewest locations that can cover it,
    // preferring locations already in the split, then rank.
    const [line, ...rest] = remaining;
    // Capacity the earlier lines took may leave too little for this one.
    const shortNow = shortOf(line);
    if (shortNow.available < line.quantity) return { short: [shortNow] };
    const holders = [...ranked]
      .filter((s) => usable(s, line.sku) > 0)
      .sort((a, b) => Number(parts.has(b.location.id)) - Number(parts.has(a.location.id)));
    const largestFirst = holders.map((s) => usable(s, line.sku)).sort((a, b) => b - a);
    let needed = 0;
    for (let covered = 0; covered < line.quantity; needed++) covered += largestFirst[needed];

    let open = line.quantity;
    const pool = [...holders];
    for (let slot = needed; slot > 0 && open > 0; slot--) {
      // The best-preferred holder that still leaves the rest coverable by the slots left.
      const pick = pool.findIndex((candidate) => {
        const others = pool
          .filter((s) => s !== candidate)
          .map((s) => usable(s, line.sku))
          .sort((a, b) => b - a)
          .slice(0, slot - 1)
          .reduce((sum, q) => sum + q, 0);
        return usable(candidate, line.sku) + others >= open;
      });
      const [site] = pool.splice(pick, 1);
      const quantity = Math.min(open, usable(site, line.sku));
      take(site, line.sku, quantity);
      open -= quantity;
    }
    remaining = rest;
  }

  return {
    parts: [...parts].map(([locationId, partLines]) => ({
      locationId,
      lines: [...partLines].sort((a, b) => lineIndex.get(a.sku)! - lineIndex.get(b.sku)!),
    })),
  };
}

type RuleRun = { step: RoutingStep; decision?: RoutingDecision };

function runRule(ctx: Context, rule: RoutingRule): RuleRun {
  const ruleRef = { id: rule.id, name: rule.name };
  const minimum = rule.filters.minRemainingAfterAllocation ?? 0;
  const reasons = new Map<string, RoutingReason[]>(ctx.sites.map((s) => [s.location.id, filterReasons(ctx, s, rule)]));
  const eligible = ctx.sites.filter((s) => reasons.get(s.location.id)!.length === 0);
  const ranked = rankSites(ctx, eligible, rule.sort);
  const chosenIds = new Set<string>();

  ranked.forEach((site, i) => {
    const by = rule.sort.map((key) => sortValueText(ctx, site, key)).join(', then ');
    reasons
      .get(site.location.id)!
      .push(
        { code: 'ranked', position: i + 1, of: ranked.length, message: `ranked ${ordinal(i + 1)} of ${ranked.length} by ${by}` },
        ...stockReasons(ctx, site.location.id, ctx.lines, minimum),
        ...capacityReasons(ctx, site, ctx.lines),
      );
  });
  const misfits = new Set<RoutingReasonCode>(['short', 'below_safety_stock', 'over_capacity']);
  const fits = (site: Site) => !reasons.get(site.location.id)!.some((r) => misfits.has(r.code));
  const considerations = () =>
    ctx.sites.map((s) => considerationOf(ctx, s, eligible.includes(s), chosenIds.has(s.location.id), reasons.get(s.location.id)!));
  const unplaced =
    rule.sort.includes('distance') && !ctx.destination
      ? 'the shipping address has no coordinates and no postal prefix match, so distances are unknown; '
      : '';
  const step = (outcome: RoutingStepOutcome, message: string): RoutingStep => ({
    rule: ruleRef,
    outcome,
    message: unplaced + message,
    locations: considerations(),
  });

  const chosen = ranked.find(fits);
  if (chosen) {
    chosenIds.add(chosen.location.id);
    reasons.get(chosen.location.id)!.push({ code: 'chosen', message: 'chosen: the best-ranked location that can take the whole order' });
    for (const site of ranked) {
      if (site !== chosen && fits(site)) {
        reasons.get(site.location.id)!.push({ code: 'not_needed', message: `not chosen: ${chosen.location.id} ranks higher` });
      }
    }
    return {
      step: step('placed', `${chosen.location.id} can take the whole order`),
      decision: { kind: 'single', locationId: chosen.location.id },
    };
  }

  // Capacity named when it is what keeps a location that has the stock from taking the whole order.
  const full = ranked.filter((s) => {
    const codes = reasons.get(s.location.id)!.map((r) => r.code);
    return codes.includes('over_capacity') && !codes.includes('short') && !codes.includes('below_safety_stock');
  });
  const nobody =
    eligible.length === 0
      ? 'no location passes the filters'
      : `no location can take the whole order${full.length ? ` (over today's capacity: ${full.map((s) => s.location.id).join(', ')})` : ''}`;
  switch (rule.whenNothingFits) {
    case 'next_rule':
      return { step: step('next_rule', `${nobody}; trying the next rule`) };
    case 'wait_for_stock':
      return {
        step: step('wait_for_stock', `${nobody}; the order waits for stock`),
        decision: { kind: 'wait', reason: `Rule "${rule.name}": ${nobody}; waiting for stock` },
      };
    case 'split': {
      if (!ctx.order.allowSplit) {
        return { step: step('split_not_allowed', `${nobody} and this order may not be split`) };
      }
      const plan = planSplit(
        ranked,
        ctx.lines,
        (site, sku) => Math.max(0, available(ctx, sku, site.location.id) - minimum),
        (site) => capacityLeft(ctx, site),
      );
      if ('short' in plan) {
        const shortText = plan.short
          .map(
            (s) =>
              `${s.sku} (${s.available} of ${s.requested} across eligible locations${s.inStock > s.available ? `, ${s.inStock} in stock but over today's capacity` : ''})`,
          )
          .join(', ');
        return { step: step('split_short', `${nobody}, and even split the stock falls short: ${shortText}`) };
      }
      plan.parts.forEach((part, i) => {
        chosenIds.add(part.locationId);
        reasons.get(part.locationId)!.push({
          code: 'split_part',
          part: i + 1,
          lines: part.lines,
          message: `part ${i + 1} of ${plan.parts.length}: ${linesText(part.lines)}${capacityNote(ctx, part)}`,
        });
      });
      for (const site of ranked) {
        if (!chosenIds.has(site.location.id))
          reasons.get(site.location.id)!.push({ code: 'not_needed', message: 'not needed for the split' });
      }
      return {
        step: step('split', `${nobody}; split into ${plan.parts.length} parts from ${plan.parts.map((p) => p.locationId).join(', ')}`),
        decision: { kind: 'split', parts: plan.parts },
      };
    }
  }
}

// For a part at a location with a capacity: how much of today's it takes.
function capacityNote(ctx: Context, part: RoutingPart): string {
  const site = ctx.sites.find((s) => s.location.id === part.locationId)!;
  if (!site.location.capacity) return '';
  return ` (${unitsOf(part.lines)} of the ${capacityLeft(ctx, site)} units left of today's capacity)`;
}

function summaryOf(rule: RoutingRule, decision: RoutingDecision): string {
  switch (decision.kind) {
    case 'single':
      return `Rule "${rule.name}" ships the order from ${decision.locationId}`;
    case 'split':
      return `Rule "${rule.name}" splits the order across ${decision.parts.map((p) => p.locationId).join(', ')}`;
    case 'wait':
      return `Waiting: ${decision.reason}`;
    case 'pickup':
      return `Ready for pickup at ${decision.locationId}`;
  }
}

function routePickup(ctx: Context, storeId: string): RoutingResult {
  const store = ctx.sites.find((s) => s.location.id === storeId);
  const reasons: RoutingReason[] = [];
  if (store) {
    if (ctx.excluded.has(storeId)) reasons.push({ code: 'excluded', message: 'rejected an earlier allocation of this order' });
    if (!store.location.active) reasons.push({ code: 'inactive', message: 'inactive' });
    if (!store.location.pickup) reasons.push({ code: 'no_pickup', message: 'does not offer pickup' });
    reasons.push(...stockReasons(ctx, storeId, ctx.lines, 0));
  }
  const ok = store !== undefined && reasons.length === 0;
  if (ok) reasons.push({ code: 'chosen', message: "chosen: the customer's pickup store has the whole order" });
  const locations = ctx.sites.map((s) =>
    s === store
      ? considerationOf(ctx, s, true, ok, reasons)
      : considerationOf(ctx, s, false, false, [{ code: 'not_pickup_store', message: "not the customer's pickup store" }]),
  );
  const why = store ? reasons.map((r) => r.message).join('; ') : 'is not a known location';
  const message = ok
    ? `pickup at ${storeId}`
    : `pickup store ${storeId} ${store ? 'cannot take the order: ' : ''}${why}; pickup orders never go to another store`;
  const decision: RoutingDecision = ok
    ? { kind: 'pickup', locationId: storeId }
    : { kind: 'wait', reason: `Pickup store ${storeId}: ${why}` };
  return {
    decision,
    explanation: {
      summary: ok ? `Ready for pickup at ${storeId}` : `Waiting: ${message}`,
      steps: [{ outcome: ok ? 'pickup' : 'pickup_waits', message, locations }],
    },
  };
}

/**
 * Decide where an order is fulfilled. Pickup orders go to the chosen store or wait for it. Other orders
 * run the rules that apply to their channel, in order (the default rule when none applies): the
 * best-ranked eligible location that can take the whole order wins; otherwise the rule's fallback decides.
 * After the last rule, the order waits. Every location's fate is in the explanation.
 */
export function routeOrder(input: RoutingInput): RoutingResult {
  const destination = locate(input.order.shippingAddress, input.postalTable ?? EMPTY_POSTAL_TABLE);
  const sites: Site[] = [...input.locations]
    .sort((a, b) => byId(a.id, b.id))
    .map((location) => {
      const at = locate(location.address, input.postalTable ?? EMPTY_POSTAL_TABLE);
      return { location, ...(destination && at && { distanceKm: distanceKm(at.coordinates, destination.coordinates) }) };
    });
  const ctx: Context = {
    order: input.order,
    lines: mergeLines(input.order.lines),
    sites,
    stock: input.stock,
    excluded: new Set(input.excludedLocationIds ?? []),
    capacityUsed: input.capacityUsed ?? {},
    ...(destination && { destination }),
  };

  if (input.order.pickupLocationId !== undefined) return routePickup(ctx, input.order.pickupLocationId);

  const applies = (rule: RoutingRule) => !rule.channels || rule.channels.includes(input.order.channel);
  // No configured rule for this channel: the default rule runs after the skipped ones are listed.
  const rules = input.rules.some(applies) ? input.rules : [...input.rules, DEFAULT_ROUTING_RULE];
  const steps: RoutingStep[] = [];
  const explanation = (summary: string, decidedBy?: RoutingRule): RoutingExplanation => ({
    summary,
    ...(destination && { destination }),
    steps,
    ...(decidedBy && { decidedBy: { id: decidedBy.id, name: decidedBy.name } }),
  });

  for (const rule of rules) {
    if (!applies(rule)) {
      steps.push({
        rule: { id: rule.id, name: rule.name },
        outcome: 'not_for_channel',
        message: `applies to ${rule.channels!.join(', ')}, not ${input.order.channel}`,
        locations: [],
      });
      continue;
    }
    const run = runRule(ctx, rule);
    steps.push(run.step);
    if (!run.decision) continue;
    return { decision: run.decision, explanation: explanation(summaryOf(rule, run.decision), rule) };
  }

  const last = steps.filter((s) => s.outcome !== 'not_for_channel').at(-1)!;
  const reason = `No rule could place the order; the last, "${last.rule!.name}": ${last.message.replace(/; trying the next rule$/, '')}`;
  return { decision: { kind: 'wait', reason }, explanation: explanation(`Waiting: ${reason}`) };
}
