// Warehouse work: bin locations, picklists built from released orders, scans, short picks and closing a
// list. The API's picking routes parse and call these; the decisions on a list are the pure rules of
// domain/picking.ts, applied to its stored event log.
import { randomBytes } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { ConflictError, NotFoundError, ValidationError } from '../domain/errors';
import { parsePickUnitId, pickUnitId } from '../domain/ids';
import type { Logger } from '../domain/logger';
import type { OrderView } from '../domain/order-state';
import {
  buildPicklist,
  closePicking,
  confirmPick,
  currentStop,
  pickedByOrder,
  replayPicking,
  shortPick,
  startPicking,
  type Picklist,
  type PicklistCriteria,
  type PickState,
  type ReleasedOrder,
  type ShortLine,
} from '../domain/picking';
import type { Items, Locations } from '../store/catalog';
import type { OrdersView } from '../store/orders';
import type { BinLocations, Picklists } from '../store/picking';
import { DEFAULT_ORDER_SETTINGS, fulfillmentEventSignal, rejectAllocationUpdate } from '../workflows/order';
import { commandOrder } from './order-commands';
import { signalOrder } from './order-intake';

// What the service reads and writes: the store operations it needs, not the stores.
export interface PickingDeps {
  locations: Pick<Locations, 'get'>;
  items: Pick<Items, 'get' | 'missing'>;
  orders: Pick<OrdersView, 'get' | 'list'>;
  bins: Pick<BinLocations, 'get' | 'replace'>;
  picklists: Pick<
    Picklists,
    'get' | 'claimedOf' | 'claimOrders' | 'insert' | 'releaseClaims' | 'appendDecided' | 'state' | 'log' | 'newestAt'
  >;
  temporal: Client;
  log: Logger;
}

// The picked SLA the order workflow applies by default: the picklist ranks orders by when it falls due.
const PICKED_SLA_MS = DEFAULT_ORDER_SETTINGS.slaMs.picked;
// Expedited orders rank before the rest; then SLA due time and age decide.
const PRIORITY_RANK = { expedite: 10, standard: 100 } as const;
const RELEASED_PAGE = 1000;

export function newPicklistId(locationId: string, at: Date): string {
  const stamp = at.toISOString().replace(/[-:]/g, '').slice(0, 15); // yyyymmddThhmmss
  return `PL-${locationId}-${stamp}-${randomBytes(3).toString('hex')}`;
}

// What a location has to pick of a released order: the whole order, or its part of a split order (a
// part already picked is not offered again).
function releasedAt(view: OrderView, locationId: string): ReleasedOrder[] {
  const unit = (id: string, lines: readonly { sku: string; quantity: number }[]): ReleasedOrder => {
    const quantities = new Map<string, number>();
    for (const l of lines) quantities.set(l.sku, (quantities.get(l.sku) ?? 0) + l.quantity);
    return {
      id,
      channel: view.channel,
      locationId,
      priority: PRIORITY_RANK[view.order.priority ?? 'standard'],
      slaDueAt: new Date(Date.parse(view.createdAt) + PICKED_SLA_MS).toISOString(),
      createdAt: view.createdAt,
      lines: [...quantities].map(([sku, quantity]) => ({ sku, quantity })),
    };
  };
  if (view.allocation?.locationId === locationId) return [unit(view.orderId, view.order.lines)];
  return (view.parts ?? [])
    .filter((p) => p.locationId === locationId && p.stage === 'released_to_fulfillment')
    .map((p) => unit(pickUnitId(view.orderId, p.id), p.lines));
}

// A list's progress as the API shows it, from its pick state.
export function progressOf(state: PickState) {
  const sum = (pick: (s: PickState['stops'][number]) => number) => state.stops.reduce((n, s) => n + pick(s), 0);
  return {
    status: state.status,
    currentStop: currentStop(state) ?? null,
    totals: { expected: sum((s) => s.expected), picked: sum((s) => s.picked), short: sum((s) => s.short), events: state.events.length },
    stops: state.stops,
    pickedByOrder: pickedByOrder(state),
  };
}

export interface Scan {
  code: string;
  quantity: number;
  idempotencyKey?: string;
}
export interface Short {
  sku: string;
  missingQuantity: number;
  idempotencyKey?: string;
}
export interface Reroute {
  orderId: string;
  outcome: 'requested' | 'not_rerouted';
  detail: string;
}

export function createPickingService(deps: PickingDeps) {
  const { locations, items, orders, bins, picklists } = deps;

  async function locationOrThrow(id: string) {
    const location = await locations.get(id);
    if (!location) throw new NotFoundError(`Location ${id} does not exist`, { id });
    return location;
  }

  async function picklistOrThrow(id: string): Promise<Picklist> {
    const picklist = await picklists.get(id);
    if (!picklist) throw new NotFoundError(`Picklist ${id} does not exist`, { id });
    return picklist;
  }

  // Released orders: equality on status (FerretDB pushes it down), the location checked here.
  async function releasedOrders(locationId: string): Promise<ReleasedOrder[]> {
    const released: ReleasedOrder[] = [];
    let cursor: string | undefined;
    do {
      const page = await orders.list({ status: 'released_to_fulfillment', limit: RELEASED_PAGE, ...(cursor && { cursor }) });
      for (const view of page.orders) released.push(...releasedAt(view, locationId));
      cursor = page.nextCursor;
    } while (cursor);
    return released;
  }

  // Orders a scan finished are picked: tell their workflows (a repeat is ignored there, so a repeated
  // request heals a crash between the stored scan and the report).
  async function reportPicked(state: PickState, code: string): Promise<string[]> {
    const sku = state.stops.find((s) => s.sku === code || s.barcode === code)?.sku;
    const finished = pickedByOrder(state).filter((o) => o.lines.some((l) => l.sku === sku) && o.lines.every((l) => l.picked >= l.quantity));
    const reported: string[] = [];
    for (const { orderId: unitId } of finished) {
      const { orderId, part } = parsePickUnitId(unitId);
      try {
        await signalOrder(deps.temporal, orderId, fulfillmentEventSignal, { type: 'picked', ...(part !== undefined && { part }) });
        reported.push(unitId);
      } catch (err) {
        if (!(err instanceof NotFoundError)) throw err; // the order is closed: nothing to report
      }
    }
    return reported;
  }

  // An order made short is taken off the list and routed again without this location (its stock of the
  // sku written off as not there). The order's workflow decides: one that moved on refuses, with why.
  async function reroute(picklist: Picklist, unitId: string, skus: string[]): Promise<Reroute> {
    const { orderId } = parsePickUnitId(unitId);
    const rejection = { reason: 'not_in_stock' as const, skus, note: `short pick on ${picklist.id}`, locationId: picklist.locationId };
    try {
      await commandOrder({ temporal: deps.temporal, orders }, orderId, {
        update: rejectAllocationUpdate,
        args: [rejection],
        action: 'reject the allocation of',
        commandId: `short:${picklist.id}:${unitId}`,
      });
    } catch (err) {
      if (err instanceof ConflictError || err instanceof ValidationError || err instanceof NotFoundError)
        return { orderId: unitId, outcome: 'not_rerouted', detail: err.message };
      throw err;
    }
    await picklists.releaseClaims(picklist.id, [unitId]);
    return { orderId: unitId, outcome: 'requested', detail: `routing again without ${picklist.locationId}` };
  }

  async function closeOnce(
    picklist: Picklist,
    actor: string,
    reason?: string,
  ): Promise<{ state: PickState; result: string[]; duplicate: boolean }> {
    const log = await picklists.log(picklist.id);
    const closed = log.find((e) => e.event.kind === 'closed');
    if (closed?.event.kind === 'closed')
      return {
        state: replayPicking(
          picklist,
          log.map((e) => e.event),
        ),
        result: closed.event.released,
        duplicate: true,
      };
    try {
      return await picklists.appendDecided(picklist, {
        actor,
        decide: (state) => {
          const r = closePicking(state, { ...(reason !== undefined && { reason }), at: new Date().toISOString() });
          return { state: r.state, result: r.released };
        },
        same: () => [],
      });
    } catch (err) {
      // Another request closed it first: answer as that close.
      if (err instanceof ConflictError && (await picklists.log(picklist.id)).some((e) => e.event.kind === 'closed'))
        return closeOnce(picklist, actor, reason);
      throw err;
    }
  }

  return {
    async bins(locationId: string) {
      await locationOrThrow(locationId);
      return bins.get(locationId);
    },

    // Replace the whole sku → bin map of a location. Unknown skus are named one by one.
    async replaceBins(locationId: string, codes: Record<string, string>, actor: string) {
      await locationOrThrow(locationId);
      const missing = await items.missing(Object.keys(codes));
      if (missing.length)
        throw new ValidationError(
          `Invalid bin locations: ${missing.length} unknown sku(s)`,
          missing.map((sku) => ({ path: `bins.${sku}`, message: `unknown sku ${sku}` })),
        );
      return bins.replace(locationId, codes, actor);
    },

    async create(locationId: string, criteria: PicklistCriteria, actor: string) {
      const location = await locations.get(locationId);
      if (!location)
        throw new ValidationError('Invalid picklist request: unknown location', [
          { path: 'locationId', message: `unknown location ${locationId}` },
        ]);
      const released = await releasedOrders(location.id);
      const onLists = await picklists.claimedOf(released.map((o) => o.id));
      const candidates = released.filter((o) => !onLists.has(o.id));
      const waiting = `${released.length} released at ${location.id}, ${onLists.size} already on a picklist`;
      if (candidates.length === 0)
        throw new ConflictError(`No released orders at ${location.id} are waiting for a picklist (${waiting})`, {
          locationId: location.id,
          released: released.length,
          onPicklists: onLists.size,
        });
      const now = new Date();
      const id = newPicklistId(location.id, now);
      const { bins: binMap } = await bins.get(location.id);
      const skus = [...new Set(candidates.flatMap((o) => o.lines.map((l) => l.sku)))];
      const catalogue = (await Promise.all(skus.map((sku) => items.get(sku)))).filter((i) => i !== null);
      const build = (chosen: ReleasedOrder[]) =>
        buildPicklist({
          id,
          locationId: location.id,
          createdAt: now.toISOString(),
          orders: chosen,
          bins: binMap,
          items: catalogue,
          criteria,
        });
      // Each chosen order is claimed by insert: of two racing requests, one list gets the order, and a lost
      // order's place goes to the next in rank.
      const { picklist, claimed } = await picklists.claimOrders(id, candidates, build);
      if (picklist.orderIds.length === 0) {
        const reasons = [...new Set(picklist.leftOut.map((l) => l.reason))].join(', ');
        throw new ConflictError(
          `No released order at ${location.id} fits the criteria (${waiting}${reasons ? `; left out: ${reasons}` : ''})`,
          {
            locationId: location.id,
            leftOut: picklist.leftOut.length,
          },
        );
      }
      try {
        await picklists.insert(picklist, actor);
      } catch (err) {
        await picklists.releaseClaims(id, claimed).catch(() => undefined);
        throw err;
      }
      deps.log.info('picklist created', { picklistId: id, locationId: location.id, orders: picklist.orderIds.length, by: actor });
      return { picklist, progress: progressOf(startPicking(picklist)) };
    },

    // A location's newest picklists, each with its status and totals (what a warehouse screen lists).
    async listAt(locationId: string, limit: number) {
      await locationOrThrow(locationId);
      const lists = await picklists.newestAt(locationId, limit);
      const summaries = await Promise.all(
        lists.map(async ({ picklist, createdBy }) => {
          const { status, currentStop: stop, totals } = progressOf(await picklists.state(picklist));
          return {
            id: picklist.id,
            createdAt: picklist.createdAt,
            createdBy,
            orders: picklist.totals.orders,
            stops: picklist.totals.stops,
            status,
            currentStop: stop,
            totals,
          };
        }),
      );
      return { locationId, picklists: summaries };
    },

    async get(id: string) {
      const picklist = await picklistOrThrow(id);
      return { picklist, progress: progressOf(await picklists.state(picklist)) };
    },

    async scan(id: string, scan: Scan, actor: string) {
      const picklist = await picklistOrThrow(id);
      // The scanned code as a sku, so a refusal can name an item that is not on this list.
      const known = await items.get(scan.code).catch(() => null);
      const at = new Date().toISOString();
      const out = await picklists.appendDecided(picklist, {
        ...(scan.idempotencyKey !== undefined && { key: scan.idempotencyKey }),
        actor,
        decide: (state) => ({
          state: confirmPick(state, { code: scan.code, quantity: scan.quantity, at }, known ? [known] : []),
          result: undefined,
        }),
        same: (earlier) => {
          if (earlier.event.kind !== 'picked' || earlier.event.code !== scan.code || earlier.event.quantity !== scan.quantity)
            throw new ConflictError(
              `idempotencyKey ${scan.idempotencyKey} was already used for another ${earlier.event.kind === 'picked' ? 'scan' : 'short pick'} on picklist ${picklist.id}`,
              { idempotencyKey: scan.idempotencyKey },
            );
          return undefined;
        },
      });
      const pickedOrders = await reportPicked(out.state, scan.code);
      return { picklistId: picklist.id, duplicate: out.duplicate, pickedOrders, progress: progressOf(out.state) };
    },

    async short(id: string, short: Short, actor: string) {
      const picklist = await picklistOrThrow(id);
      const at = new Date().toISOString();
      const out = await picklists.appendDecided<ShortLine[]>(picklist, {
        ...(short.idempotencyKey !== undefined && { key: short.idempotencyKey }),
        actor,
        decide: (state) => {
          const r = shortPick(state, short.sku, short.missingQuantity, at);
          return { state: r.state, extra: { shortLines: r.shortLines }, result: r.shortLines };
        },
        same: (earlier) => {
          if (earlier.event.kind !== 'short' || earlier.event.sku !== short.sku || earlier.event.quantity !== short.missingQuantity)
            throw new ConflictError(
              `idempotencyKey ${short.idempotencyKey} was already used for another ${earlier.event.kind === 'short' ? 'short pick' : 'scan'} on picklist ${picklist.id}`,
              { idempotencyKey: short.idempotencyKey },
            );
          return earlier.shortLines ?? [];
        },
      });
      const orderIds = [...new Set(out.result.map((l) => l.orderId))];
      deps.log.info('short pick', { picklistId: picklist.id, sku: short.sku, missing: short.missingQuantity, orderIds, by: actor });
      // A repeated request asks nothing again.
      const reroutes: Reroute[] = [];
      if (!out.duplicate)
        for (const unitId of orderIds)
          reroutes.push(await reroute(picklist, unitId, [...new Set(out.result.filter((l) => l.orderId === unitId).map((l) => l.sku))]));
      return { picklistId: picklist.id, duplicate: out.duplicate, shortLines: out.result, reroutes, progress: progressOf(out.state) };
    },

    // Close the list: finished, or abandoned half way. Orders fully picked stay on it; every other order is
    // released from it (its claim deleted) so the next picklist takes it again. Closing a closed list
    // answers how it was closed and frees its orders again (heals a crash between the two writes).
    async close(id: string, actor: string, reason?: string) {
      const picklist = await picklistOrThrow(id);
      const out = await closeOnce(picklist, actor, reason);
      await picklists.releaseClaims(picklist.id, out.result);
      const kept = picklist.orderIds.filter((o) => !out.result.includes(o));
      if (!out.duplicate)
        deps.log.info('picklist closed', { picklistId: picklist.id, kept: kept.length, released: out.result.length, by: actor });
      return { picklistId: picklist.id, duplicate: out.duplicate, kept, released: out.result, progress: progressOf(out.state) };
    },
  };
}

export type PickingService = ReturnType<typeof createPickingService>;
