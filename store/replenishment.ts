import type { Collection, Db } from 'mongodb';
import type { ReplenishmentPlan, ReplenishmentSettings } from '../domain/replenishment';
import { insertOnce, replaceRacing, upsertRacing } from './atomic';

// Replenishment's stored facts: settings per sku, daily demand per sku and location, the plans each
// recompute run wrote, and which sku/locations are below their reorder point (for the low-stock alerts).
//
// Daily demand is one document per sku, location and finished day (`<sku>|<locationId>|<YYYY-MM-DD>`), the
// units shipped that day, inserted once: a finished day's shipments never change, so two recomputes racing
// to count the same day insert the same document and the unique _id keeps one. Nothing is ever $inc'ed.
// A cursor per sku and location remembers the last ledger sequence counted (a stale cursor only means
// counting again what is already there).

interface SettingsDoc extends ReplenishmentSettings {
  _id: string; // sku
  updatedAt: Date;
  updatedBy: string;
}

interface DailyDemandDoc {
  _id: string; // `${sku}|${locationId}|${day}`
  series: string; // `${sku}|${locationId}`: all the days of one series, by one equality lookup
  sku: string;
  locationId: string;
  day: string;
  quantity: number;
  source: 'ledger' | 'import';
}

interface CursorDoc {
  _id: string; // `${sku}|${locationId}`
  seq: number; // the last ledger sequence whose day is counted
  at: Date;
}

interface PlanDoc extends ReplenishmentPlan {
  _id: string; // `${runId}|${sku}|${locationId}`
  runId: string;
}

interface RunDoc {
  _id: string; // a run id, or 'latest' (which names the newest finished run)
  runId: string;
  startedAt: string;
  finishedAt: string;
  plans: number;
}

interface AlertStateDoc {
  _id: string; // `${sku}|${locationId}`
  below: boolean;
  crossings: number; // how many times it went from above to at or below its reorder point
  at: Date;
}

const seriesId = (sku: string, locationId: string) => `${sku}|${locationId}`;

export class ReplenishmentStore {
  private readonly settingsCol: Collection<SettingsDoc>;
  private readonly demand: Collection<DailyDemandDoc>;
  private readonly cursors: Collection<CursorDoc>;
  private readonly plans: Collection<PlanDoc>;
  private readonly runs: Collection<RunDoc>;
  private readonly alerts: Collection<AlertStateDoc>;

  constructor(db: Db) {
    this.settingsCol = db.collection<SettingsDoc>('replenishment_settings');
    this.demand = db.collection<DailyDemandDoc>('daily_demand');
    this.cursors = db.collection<CursorDoc>('demand_cursors');
    this.plans = db.collection<PlanDoc>('replenishment_plans');
    this.runs = db.collection<RunDoc>('replenishment_runs');
    this.alerts = db.collection<AlertStateDoc>('low_stock_states');
  }

  async settings(sku: string): Promise<(ReplenishmentSettings & { updatedAt: string; updatedBy: string }) | null> {
    const doc = await this.settingsCol.findOne({ _id: sku });
    if (!doc) return null;
    const { _id, updatedAt, ...rest } = doc;
    return { ...rest, updatedAt: updatedAt.toISOString() };
  }

  // Replaced whole: the last writer wins, as for any settings page.
  async putSettings(sku: string, settings: ReplenishmentSettings, by: string): Promise<void> {
    await replaceRacing<SettingsDoc>(this.settingsCol, { ...settings, _id: sku, updatedAt: new Date(), updatedBy: by });
  }

  // ---- daily demand ----

  /** A finished day's demand, written once (a repeat with the same day changes nothing). */
  recordDay(sku: string, locationId: string, day: string, quantity: number, source: DailyDemandDoc['source'] = 'ledger'): Promise<boolean> {
    return insertOnce(this.demand, {
      _id: `${seriesId(sku, locationId)}|${day}`,
      series: seriesId(sku, locationId),
      sku,
      locationId,
      day,
      quantity,
      source,
    });
  }

  /** Every recorded day of a sku at a location, oldest first. */
  async demandDays(sku: string, locationId: string): Promise<{ day: string; quantity: number }[]> {
    const docs = await this.demand.find({ series: seriesId(sku, locationId) }).toArray();
    return docs.map((d) => ({ day: d.day, quantity: d.quantity })).sort((a, b) => a.day.localeCompare(b.day));
  }

  async demandCursor(sku: string, locationId: string): Promise<number> {
    return (await this.cursors.findOne({ _id: seriesId(sku, locationId) }))?.seq ?? 0;
  }

  // Only forward in intent; a racing writer may leave it behind, which costs a recount, never a double count.
  async moveDemandCursor(sku: string, locationId: string, seq: number): Promise<void> {
    await upsertRacing(this.cursors, { _id: seriesId(sku, locationId), seq: { $lt: seq } }, { $set: { seq, at: new Date() } });
  }

  // ---- plans and runs ----

  async writePlan(runId: string, plan: ReplenishmentPlan): Promise<void> {
    await replaceRacing<PlanDoc>(this.plans, { ...plan, _id: `${runId}|${seriesId(plan.sku, plan.locationId)}`, runId });
  }

  /** Marks a run finished and the newest; the run before it keeps its plans until the next run finishes. */
  async finishRun(run: Omit<RunDoc, '_id'>): Promise<void> {
    const previous = await this.runs.findOne({ _id: 'latest' });
    await replaceRacing<RunDoc>(this.runs, { ...run, _id: run.runId });
    if (previous && previous.startedAt > run.startedAt) return; // a newer run finished first
    await replaceRacing<RunDoc>(this.runs, { ...run, _id: 'latest' });
    if (previous && previous.runId !== run.runId) await this.plans.deleteMany({ runId: previous.runId });
  }

  async latestRun(): Promise<Omit<RunDoc, '_id'> | null> {
    const doc = await this.runs.findOne({ _id: 'latest' });
    if (!doc) return null;
    const { _id, ...run } = doc;
    return run;
  }

  async plansOf(runId: string): Promise<ReplenishmentPlan[]> {
    const docs = await this.plans.find({ runId }).toArray();
    return docs.map(({ _id, runId: _run, ...plan }) => plan);
  }

  async plan(runId: string, sku: string, locationId: string): Promise<ReplenishmentPlan | null> {
    const doc = await this.plans.findOne({ _id: `${runId}|${seriesId(sku, locationId)}` });
    if (!doc) return null;
    const { _id, runId: _run, ...plan } = doc;
    return plan;
  }

  // ---- low-stock crossings ----

  async lowStockState(sku: string, locationId: string): Promise<{ below: boolean; crossings: number }> {
    const doc = await this.alerts.findOne({ _id: seriesId(sku, locationId) });
    return { below: doc?.below ?? false, crossings: doc?.crossings ?? 0 };
  }

  // Two recomputes racing write the same state from the same facts; the alert itself is keyed by crossing.
  async setLowStockState(sku: string, locationId: string, state: { below: boolean; crossings: number }): Promise<void> {
    await replaceRacing<AlertStateDoc>(this.alerts, { _id: seriesId(sku, locationId), ...state, at: new Date() });
  }
}
