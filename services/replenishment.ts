// Replenishment: daily demand counted from the stock ledger's shipments, a forecast and reorder levels per
// sku and location (recomputed nightly by replenishmentWorkflow), low-stock alerts to the operators'
// outbox once per crossing, and purchase orders suggested per supplier from the live stock position.
import { randomBytes } from 'node:crypto';
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { NotFoundError, ValidationError, type FieldProblem } from '../domain/errors';
import { backtest, fitDemand, reorderLevels } from '../domain/forecast';
import type { InboundStock, PurchaseOrder, PurchaseOrderInput } from '../domain/purchasing';
import {
  addDays,
  BACKTEST_DAYS,
  dayOf,
  daysBetween,
  DEFAULT_LEAD_TIME_DAYS,
  defaultSettings,
  groupSuggestions,
  HISTORY_DAYS,
  isLow,
  planFor,
  suggestLine,
  type ReplenishmentPlan,
  type ReplenishmentSettings,
  type StockPosition,
  type SuggestedLine,
} from '../domain/replenishment';
import type { Items, Locations } from '../store/catalog';
import type { CustomerNotifications } from '../store/notifications';
import type { PurchaseOrders, Suppliers } from '../store/purchasing';
import type { ReplenishmentStore } from '../store/replenishment';
import type { StockLedger } from '../store/stock-ledger';
import { replenishmentWorkflow } from '../workflows/replenishment';

export interface ReplenishmentServiceDeps {
  replenishment: Pick<
    ReplenishmentStore,
    | 'settings'
    | 'putSettings'
    | 'recordDay'
    | 'demandDays'
    | 'demandCursor'
    | 'moveDemandCursor'
    | 'writePlan'
    | 'finishRun'
    | 'latestRun'
    | 'plansOf'
    | 'plan'
    | 'lowStockState'
    | 'setLowStockState'
  >;
  items: Pick<Items, 'get' | 'allSkus'>;
  locations: Pick<Locations, 'get'>;
  suppliers: Pick<Suppliers, 'get'>;
  ledger: Pick<StockLedger, 'balancesForSku' | 'balance' | 'entriesAfter'>;
  purchaseOrders: Pick<PurchaseOrders, 'inboundForSku'>;
  notifications: Pick<CustomerNotifications, 'queue'>;
  now?: () => Date;
}

// The stock ledger is walked this many entries at a time when counting demand.
const LEDGER_PAGE = 500;

const inboundAt = (inbound: InboundStock[], locationId: string) =>
  inbound.filter((i) => i.locationId === locationId).reduce((n, i) => n + i.quantity, 0);

export function createReplenishmentService(deps: ReplenishmentServiceDeps) {
  const now = deps.now ?? (() => new Date());
  const store = deps.replenishment;

  /**
   * Counts the shipments of finished days (UTC) since the last count into daily demand documents. Stops at
   * the first entry of today: a day is counted whole once it is over, so its document never changes.
   */
  async function countDemand(sku: string, locationId: string, today: string, onPage?: () => void): Promise<number> {
    const from = await store.demandCursor(sku, locationId);
    const byDay = new Map<string, number>();
    let counted = from;
    for (let done = false; !done;) {
      const entries = await deps.ledger.entriesAfter(sku, locationId, counted, LEDGER_PAGE);
      for (const e of entries) {
        if (dayOf(e.at) >= today) {
          done = true;
          break;
        }
        if (e.type === 'shipment') byDay.set(dayOf(e.at), (byDay.get(dayOf(e.at)) ?? 0) + e.quantity);
        counted = e.seq;
      }
      if (entries.length < LEDGER_PAGE) done = true;
      onPage?.(); // a first count over a long ledger takes a while: the activity tells Temporal it is alive
    }
    for (const [day, quantity] of byDay) await store.recordDay(sku, locationId, day, quantity);
    if (counted > from) await store.moveDemandCursor(sku, locationId, counted);
    return byDay.size;
  }

  // One number per day from the first recorded day (at most HISTORY_DAYS back) to yesterday; no record is 0.
  async function demandSeries(sku: string, locationId: string, today: string): Promise<number[]> {
    const recorded = await store.demandDays(sku, locationId);
    const yesterday = addDays(today, -1);
    const within = recorded.filter((d) => d.day < today && d.day >= addDays(today, -HISTORY_DAYS));
    if (!within.length) return [];
    const byDay = new Map(within.map((d) => [d.day, d.quantity]));
    return daysBetween(within[0].day, yesterday).map((day) => byDay.get(day) ?? 0);
  }

  // Queued once per crossing: the alert's id carries the crossing's number, so a repeated recompute (or two
  // racing) queue it once; going back above the reorder point ends the crossing.
  async function alertIfLow(plan: ReplenishmentPlan, position: StockPosition): Promise<boolean> {
    const low = isLow(plan, position);
    const state = await store.lowStockState(plan.sku, plan.locationId);
    if (low === state.below) return false;
    if (!low) {
      await store.setLowStockState(plan.sku, plan.locationId, { below: false, crossings: state.crossings });
      return false;
    }
    const crossing = state.crossings + 1;
    const queued = await deps.notifications.queue({
      orderId: `stock:${plan.sku}:${plan.locationId}`,
      kind: 'low_stock',
      n: crossing,
      channel: 'operator',
      to: { name: 'operators' },
      details: {
        sku: plan.sku,
        locationId: plan.locationId,
        available: String(position.available),
        inbound: String(position.inbound),
        reorderPoint: String(plan.reorderPoint),
        orderUpTo: String(plan.orderUpTo),
        supplierId: plan.supplierId ?? '',
      },
    });
    await store.setLowStockState(plan.sku, plan.locationId, { below: true, crossings: crossing });
    return queued;
  }

  async function recomputeSku(runId: string, sku: string, at: Date, onPage?: () => void): Promise<{ plans: number; alerts: number }> {
    const today = dayOf(at);
    const settings = (await store.settings(sku)) ?? defaultSettings();
    const supplier = settings.preferredSupplierId ? await deps.suppliers.get(settings.preferredSupplierId) : null;
    const leadTimeDays = supplier?.leadTimeDays ?? DEFAULT_LEAD_TIME_DAYS;
    const [balances, inbound] = await Promise.all([deps.ledger.balancesForSku(sku), deps.purchaseOrders.inboundForSku(sku)]);
    const locationIds = [...new Set([...balances.map((b) => b.locationId), ...settings.locations.map((l) => l.locationId)])].sort();
    let plans = 0;
    let alerts = 0;
    for (const locationId of locationIds) {
      await countDemand(sku, locationId, today, onPage);
      const history = await demandSeries(sku, locationId, today);
      const model = fitDemand(history);
      const tested = history.length >= BACKTEST_DAYS + 14 ? backtest(history, BACKTEST_DAYS).mape : NaN;
      const plan = planFor(
        {
          sku,
          locationId,
          supplierId: supplier?.id ?? null,
          leadTimeDays,
          method: model.method,
          historyDays: history.length,
          backtestMape: Number.isFinite(tested) ? Math.round(tested * 10) / 10 : null,
          computedAt: at.toISOString(),
        },
        settings,
        reorderLevels(model, leadTimeDays, settings.reviewPeriodDays, settings.serviceLevel),
      );
      const balance = balances.find((b) => b.locationId === locationId) ?? (await deps.ledger.balance(sku, locationId));
      const position = { available: balance.available, onHand: balance.onHand, inbound: inboundAt(inbound, locationId) };
      if (plan.orderUpTo === 0) {
        await alertIfLow(plan, position); // ends a crossing, never starts one
        continue;
      }
      await store.writePlan(runId, plan);
      plans++;
      if (await alertIfLow(plan, position)) alerts++;
    }
    return { plans, alerts };
  }

  // Each plan with the live stock position of its sku and location (inbound read once per sku).
  async function livePositions(plans: ReplenishmentPlan[]): Promise<{ plan: ReplenishmentPlan; position: StockPosition }[]> {
    const out: { plan: ReplenishmentPlan; position: StockPosition }[] = [];
    for (const sku of [...new Set(plans.map((p) => p.sku))]) {
      const inbound = await deps.purchaseOrders.inboundForSku(sku);
      for (const plan of plans.filter((p) => p.sku === sku)) {
        const balance = await deps.ledger.balance(sku, plan.locationId);
        out.push({
          plan,
          position: { available: balance.available, onHand: balance.onHand, inbound: inboundAt(inbound, plan.locationId) },
        });
      }
    }
    return out;
  }

  async function suggestions() {
    const run = await store.latestRun();
    if (!run) return { runId: null, computedAt: null, purchaseOrders: [] };
    const lines: { plan: ReplenishmentPlan; line: SuggestedLine }[] = [];
    for (const { plan, position } of await livePositions(await store.plansOf(run.runId))) {
      const line = suggestLine(plan, position);
      if (line) lines.push({ plan, line });
    }
    const groups = groupSuggestions(lines);
    const suppliers = new Map(
      await Promise.all(
        [...new Set(groups.flatMap((g) => (g.supplierId ? [g.supplierId] : [])))].map(
          async (id) => [id, await deps.suppliers.get(id)] as const,
        ),
      ),
    );
    return {
      runId: run.runId,
      computedAt: run.finishedAt,
      purchaseOrders: groups.map((g) => {
        const supplier = g.supplierId ? suppliers.get(g.supplierId) : undefined;
        return {
          ...g,
          ...(supplier && { supplierName: supplier.name, leadTimeDays: supplier.leadTimeDays, currency: supplier.currency }),
          // The body for POST /purchase-orders, as suggested (none without a supplier: order it by hand).
          ...(g.supplierId && {
            purchaseOrder: {
              supplierId: g.supplierId,
              locationId: g.locationId,
              lines: g.lines.map((l) => ({ sku: l.sku, quantity: l.quantity, unitCost: l.unitCost })),
            },
          }),
        };
      }),
    };
  }

  // Low-stock items: every sku and location of the last recompute whose available plus inbound stock is
  // now at or below its reorder point (as the alerts and suggestions count it), furthest below first.
  async function lowStock(q: { locationId?: string }) {
    if (q.locationId && !(await deps.locations.get(q.locationId)))
      throw new NotFoundError(`Location ${q.locationId} does not exist`, { locationId: q.locationId });
    const run = await store.latestRun();
    if (!run) return { runId: null, computedAt: null, items: [] };
    const plans = (await store.plansOf(run.runId)).filter((p) => !q.locationId || p.locationId === q.locationId);
    const items = (await livePositions(plans))
      .filter(({ plan, position }) => isLow(plan, position))
      .map(({ plan, position }) => ({
        sku: plan.sku,
        locationId: plan.locationId,
        onHand: position.onHand,
        available: position.available,
        inbound: position.inbound,
        position: position.available + position.inbound,
        reorderPoint: plan.reorderPoint,
        orderUpTo: plan.orderUpTo,
        toOrder: plan.orderUpTo - (position.available + position.inbound),
        source: plan.source,
        supplierId: plan.supplierId,
      }))
      .sort(
        (a, b) =>
          b.reorderPoint - b.position - (a.reorderPoint - a.position) ||
          a.sku.localeCompare(b.sku) ||
          a.locationId.localeCompare(b.locationId),
      );
    return { runId: run.runId, computedAt: run.finishedAt, items };
  }

  return {
    countDemand,
    recomputeSku,
    suggestions,
    lowStock,

    /** Every sku in the catalogue, from `resumeAt` on (a retried run resumes where its heartbeat left off). */
    async recompute(runId: string, opts: { resumeAt?: number; progress?: (done: number) => void } = {}) {
      const startedAt = now();
      const skus = await deps.items.allSkus();
      const totals = { plans: 0, alerts: 0 };
      for (let i = opts.resumeAt ?? 0; i < skus.length; i++) {
        const r = await recomputeSku(runId, skus[i], now(), () => opts.progress?.(i));
        totals.plans += r.plans;
        totals.alerts += r.alerts;
        opts.progress?.(i + 1);
      }
      await store.finishRun({ runId, startedAt: startedAt.toISOString(), finishedAt: now().toISOString(), plans: totals.plans });
      return { runId, skus: skus.length, ...totals };
    },

    async settingsOf(sku: string) {
      if (!(await deps.items.get(sku))) throw new NotFoundError(`Item ${sku} does not exist`, { sku });
      const stored = await store.settings(sku);
      const run = await store.latestRun();
      const locationIds = new Set([
        ...(await deps.ledger.balancesForSku(sku)).map((b) => b.locationId),
        ...(stored?.locations ?? []).map((l) => l.locationId),
      ]);
      const computed = run
        ? (await Promise.all([...locationIds].sort().map((l) => store.plan(run.runId, sku, l)))).filter(
            (p): p is ReplenishmentPlan => p !== null,
          )
        : [];
      return { sku, ...(stored ?? defaultSettings()), stored: stored !== null, computed };
    },

    // Checked against stored facts, every problem named at once; nothing is written for a bad one.
    async putSettings(sku: string, settings: ReplenishmentSettings, actor: string) {
      const [item, supplier, locations] = await Promise.all([
        deps.items.get(sku),
        settings.preferredSupplierId ? deps.suppliers.get(settings.preferredSupplierId) : null,
        Promise.all(settings.locations.map((l) => deps.locations.get(l.locationId))),
      ]);
      const problems: FieldProblem[] = [
        ...(item ? [] : [{ path: 'sku', message: `unknown sku ${sku}` }]),
        ...(settings.preferredSupplierId && !supplier
          ? [{ path: 'preferredSupplierId', message: `unknown supplier ${settings.preferredSupplierId}` }]
          : []),
        ...settings.locations.flatMap((l, i) =>
          locations[i] ? [] : [{ path: `locations.${i}.locationId`, message: `unknown location ${l.locationId}` }],
        ),
      ];
      if (problems.length) throw new ValidationError(`Invalid replenishment settings: ${problems.length} problem(s)`, problems);
      await store.putSettings(sku, settings, actor);
      return { sku, ...settings, stored: true };
    },

    /** The suggested purchase order of a supplier for a location, created as a draft (or refused: nothing suggested). */
    async orderSuggestion(
      supplierId: string,
      locationId: string,
      create: (input: PurchaseOrderInput) => Promise<PurchaseOrder>,
    ): Promise<PurchaseOrder> {
      const { purchaseOrders } = await suggestions();
      const suggested = purchaseOrders.find((g) => g.supplierId === supplierId && g.locationId === locationId);
      if (!suggested?.purchaseOrder)
        throw new NotFoundError(`Nothing is suggested to order from ${supplierId} for ${locationId}`, { supplierId, locationId });
      return create({ ...suggested.purchaseOrder, status: 'draft', reference: 'replenishment suggestion' });
    },
  };
}

export type ReplenishmentService = ReturnType<typeof createReplenishmentService>;

/**
 * Starts a recompute now, under its own workflow id: `runId` (given, or made up) names the run, and the
 * same runId again answers the run it started (Temporal refuses a second workflow with that id).
 */
export async function startRecompute(temporal: Client, taskQueue: string, runId?: string) {
  const id = runId ?? `now-${Date.now()}-${randomBytes(3).toString('hex')}`;
  const workflowId = replenishmentWorkflowId(id);
  try {
    await temporal.workflow.start(replenishmentWorkflow, {
      taskQueue,
      workflowId,
      args: [{ runId: id }],
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
    });
    return { runId: id, workflowId, started: true };
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    return { runId: id, workflowId, started: false };
  }
}

export const replenishmentWorkflowId = (runId: string) => `replenishment:${runId}`;
