import { z } from 'zod';
import { locationIdSchema } from './catalog';
import { minorUnitsSchema } from './money';
import { supplierIdSchema } from './purchasing';
import type { ReorderLevels } from './forecast';

// Replenishment: per sku, a service level, a review period, a preferred supplier and, per location, an
// optional reorder point and order-up-to level set by hand (which wins over the computed ones). No I/O.

export const DEFAULT_SERVICE_LEVEL = 0.95;
export const DEFAULT_REVIEW_PERIOD_DAYS = 7;
// The lead time assumed for a sku with no preferred supplier (whose lead time would say otherwise).
export const DEFAULT_LEAD_TIME_DAYS = 7;
// How far back the forecast looks (26 weeks), and the days a back-test holds out.
export const HISTORY_DAYS = 182;
export const BACKTEST_DAYS = 28;

const unitsSchema = z.number().int('must be a whole number of units').min(0, 'must not be negative').max(10_000_000);

export const replenishmentSettingsSchema = z
  .strictObject({
    serviceLevel: z
      .number()
      .gt(0.5, 'must be above 0.5 (a service level of half the cycles or less needs no safety stock)')
      .max(0.999, 'must be at most 0.999')
      .default(DEFAULT_SERVICE_LEVEL),
    reviewPeriodDays: z
      .number()
      .int('must be a whole number of days')
      .min(1, 'must be at least 1')
      .max(365)
      .default(DEFAULT_REVIEW_PERIOD_DAYS),
    preferredSupplierId: supplierIdSchema.nullable().default(null),
    unitCost: minorUnitsSchema.max(1_000_000_000).optional(), // the supplier's price, carried into suggested purchase orders
    locations: z
      .array(z.strictObject({ locationId: locationIdSchema, reorderPoint: unitsSchema, orderUpTo: unitsSchema }))
      .max(500)
      .default([]),
  })
  .superRefine((s, ctx) => {
    const seen = new Set<string>();
    s.locations.forEach((l, i) => {
      if (seen.has(l.locationId))
        ctx.addIssue({ code: 'custom', path: ['locations', i, 'locationId'], message: `repeats ${l.locationId}: give each location once` });
      seen.add(l.locationId);
      if (l.orderUpTo < l.reorderPoint)
        ctx.addIssue({ code: 'custom', path: ['locations', i, 'orderUpTo'], message: 'must not be below the reorder point' });
    });
  });
export type ReplenishmentSettingsInput = z.input<typeof replenishmentSettingsSchema>;
export type ReplenishmentSettings = z.infer<typeof replenishmentSettingsSchema>;

export const defaultSettings = (): ReplenishmentSettings => ({
  serviceLevel: DEFAULT_SERVICE_LEVEL,
  reviewPeriodDays: DEFAULT_REVIEW_PERIOD_DAYS,
  preferredSupplierId: null,
  locations: [],
});

/** What the nightly recompute decided for one sku at one location. */
export interface ReplenishmentPlan {
  sku: string;
  locationId: string;
  supplierId: string | null;
  leadTimeDays: number;
  reviewPeriodDays: number;
  serviceLevel: number;
  method: string; // the forecast's: holt_winters, or mean for a short history
  historyDays: number;
  backtestMape: number | null; // % over the last BACKTEST_DAYS days, when the history allows one
  forecastDailyDemand: number;
  demandOverLeadTime: number;
  sigmaLeadTime: number;
  safetyStock: number;
  reorderPoint: number;
  orderUpTo: number;
  source: 'forecast' | 'manual';
  unitCost?: number;
  computedAt: string;
}

export function planFor(
  base: Pick<
    ReplenishmentPlan,
    'sku' | 'locationId' | 'supplierId' | 'leadTimeDays' | 'historyDays' | 'backtestMape' | 'method' | 'computedAt'
  >,
  settings: ReplenishmentSettings,
  levels: ReorderLevels,
): ReplenishmentPlan {
  const manual = settings.locations.find((l) => l.locationId === base.locationId);
  const round = (x: number) => Math.round(x * 100) / 100;
  return {
    ...base,
    reviewPeriodDays: settings.reviewPeriodDays,
    serviceLevel: settings.serviceLevel,
    forecastDailyDemand: round(levels.forecastDailyDemand),
    demandOverLeadTime: round(levels.demandOverLeadTime),
    sigmaLeadTime: round(levels.sigmaLeadTime),
    safetyStock: round(levels.safetyStock),
    reorderPoint: manual?.reorderPoint ?? levels.reorderPoint,
    orderUpTo: manual?.orderUpTo ?? levels.orderUpTo,
    source: manual ? 'manual' : 'forecast',
    ...(settings.unitCost !== undefined && { unitCost: settings.unitCost }),
  };
}

export interface StockPosition {
  available: number;
  onHand: number;
  inbound: number; // still expected from open purchase orders at this location
}

export interface SuggestedLine {
  sku: string;
  quantity: number;
  unitCost: number;
  reasoning: {
    forecastDailyDemand: number;
    leadTimeDays: number;
    reviewPeriodDays: number;
    serviceLevel: number;
    demandOverLeadTime: number;
    safetyStock: number;
    reorderPoint: number;
    orderUpTo: number;
    source: 'forecast' | 'manual';
    onHand: number;
    available: number;
    inbound: number;
    position: number; // available + inbound
  };
}

/** A sku is low when what it has and has coming is at or below its reorder point, with something to order. */
export function isLow(plan: Pick<ReplenishmentPlan, 'reorderPoint' | 'orderUpTo'>, p: StockPosition): boolean {
  const position = p.available + p.inbound;
  return position <= plan.reorderPoint && plan.orderUpTo - position > 0;
}

/** Order up to the order-up-to level; nothing when the sku is not low. */
export function suggestLine(plan: ReplenishmentPlan, p: StockPosition): SuggestedLine | undefined {
  if (!isLow(plan, p)) return undefined;
  const position = p.available + p.inbound;
  return {
    sku: plan.sku,
    quantity: plan.orderUpTo - position,
    unitCost: plan.unitCost ?? 0,
    reasoning: {
      forecastDailyDemand: plan.forecastDailyDemand,
      leadTimeDays: plan.leadTimeDays,
      reviewPeriodDays: plan.reviewPeriodDays,
      serviceLevel: plan.serviceLevel,
      demandOverLeadTime: plan.demandOverLeadTime,
      safetyStock: plan.safetyStock,
      reorderPoint: plan.reorderPoint,
      orderUpTo: plan.orderUpTo,
      source: plan.source,
      onHand: p.onHand,
      available: p.available,
      inbound: p.inbound,
      position,
    },
  };
}

export interface SuggestedPurchaseOrder {
  supplierId: string | null; // null: the sku has no preferred supplier (order it by hand)
  locationId: string;
  lines: SuggestedLine[];
}

/** Lines grouped by supplier and destination (a purchase order goes to one location), in a stable order. */
export function groupSuggestions(lines: { plan: ReplenishmentPlan; line: SuggestedLine }[]): SuggestedPurchaseOrder[] {
  const groups = new Map<string, SuggestedPurchaseOrder>();
  for (const { plan, line } of lines) {
    const key = `${plan.supplierId ?? ''}|${plan.locationId}`;
    const group = groups.get(key) ?? { supplierId: plan.supplierId, locationId: plan.locationId, lines: [] };
    group.lines.push(line);
    groups.set(key, group);
  }
  const sorted = [...groups.values()].sort(
    (a, b) => (a.supplierId ?? '~').localeCompare(b.supplierId ?? '~') || a.locationId.localeCompare(b.locationId),
  );
  for (const g of sorted) g.lines.sort((a, b) => a.sku.localeCompare(b.sku));
  return sorted;
}

/** Calendar days (UTC) from `from` to `to`, both included, as YYYY-MM-DD. */
export function daysBetween(from: string, to: string): string[] {
  const days: string[] = [];
  for (let t = Date.parse(`${from}T00:00:00Z`); t <= Date.parse(`${to}T00:00:00Z`); t += 86_400_000)
    days.push(new Date(t).toISOString().slice(0, 10));
  return days;
}

export const dayOf = (at: Date) => at.toISOString().slice(0, 10);
export const addDays = (day: string, n: number) => new Date(Date.parse(`${day}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);
