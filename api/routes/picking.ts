import { randomBytes } from 'node:crypto';
import { Router, type Request } from 'express';
import { z } from 'zod';
import { locationIdSchema, skuSchema } from '../../domain/catalog';
import { ConflictError, NotFoundError, ValidationError, type FieldProblem } from '../../domain/errors';
import type { OrderView } from '../../domain/order-state';
import {
  binCode,
  binSchema,
  buildPicklist,
  closePicking,
  confirmPick,
  currentStop,
  pickedByOrder,
  picklistCriteriaSchema,
  replayPicking,
  shortPick,
  startPicking,
  type Picklist,
  type PickState,
  type ReleasedOrder,
} from '../../domain/picking';
import { parseOrThrow, problemsOf } from '../../domain/validation';
import { DEFAULT_ORDER_SETTINGS, fulfillmentEventSignal, rejectAllocationSignal } from '../../workflows/order';
import { flowIndex, isTerminal } from '../../domain/status';
import { parsePickUnitId, pickUnitId } from '../../domain/ids';
import { signalOrder } from '../../services/order-intake';
import type { ApiDeps } from '../app';

// Warehouse work over HTTP: bin locations, picklists built from released orders, scans and short picks.

const MAX_BINS = 10_000;
const binsBody = z.strictObject({
  bins: z.record(z.string(), binSchema).refine((bins) => Object.keys(bins).length <= MAX_BINS, `may hold at most ${MAX_BINS} skus`),
});

const picklistBody = z.strictObject({ locationId: locationIdSchema, criteria: picklistCriteriaSchema.optional() });

const idempotencyKeySchema = z
  .string()
  .min(8)
  .max(200)
  .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces');
const quantitySchema = z.number().int('must be a whole number').positive('must be at least 1').max(100_000);
const scanBody = z.strictObject({
  // What the scanner read: a barcode, or the sku typed in.
  code: z
    .string()
    .trim()
    .min(1, 'must be a barcode or sku')
    .max(64)
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'must be a barcode or sku: letters, digits and . _ -'),
  quantity: quantitySchema,
  idempotencyKey: idempotencyKeySchema.optional(),
});
const closeBody = z.strictObject({ reason: z.string().min(1).max(500).optional() }).default({});
const shortBody = z.strictObject({ sku: skuSchema, missingQuantity: quantitySchema, idempotencyKey: idempotencyKeySchema.optional() });

export const picklistIdSchema = z
  .string()
  .regex(/^PL-[A-Za-z0-9_-]{1,64}-\d{8}T\d{6}-[0-9a-f]{6}$/, 'must look like PL-<location>-<yyyymmddThhmmss>-<6 hex digits>');

// The picked SLA the order workflow applies by default: the picklist ranks orders by when it falls due.
const PICKED_SLA_MS = DEFAULT_ORDER_SETTINGS.slaMs.picked;
// Orders have no priority field yet: every order ranks alike, then by SLA and age.
const DEFAULT_PRIORITY = 100;
const RELEASED_PAGE = 1000;

const actorOf = (req: Request) => req.actor ?? 'api';

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
      priority: DEFAULT_PRIORITY,
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

// Rebuild the pick state from the stored log. Every event was checked against the state of the events
// before it when it was appended, so replaying never refuses one.
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

export function picklistsRouter(deps: ApiDeps): Router {
  const router = Router();
  const { locations, items, orders, bins, picklists } = deps.stores;

  async function locationOrThrow(id: string) {
    const location = await locations.get(id);
    if (!location) throw new NotFoundError(`Location ${id} does not exist`, { id });
    return location;
  }

  async function picklistOrThrow(rawId: unknown): Promise<Picklist> {
    const id = parseOrThrow(picklistIdSchema, rawId, 'picklist id', 'id');
    const picklist = await picklists.get(id);
    if (!picklist) throw new NotFoundError(`Picklist ${id} does not exist`, { id });
    return picklist;
  }

  // ---- bin locations ----

  router.get('/locations/:id/bins', async (req, res) => {
    const id = parseOrThrow(locationIdSchema, req.params.id, 'location id', 'id');
    await locationOrThrow(id);
    res.json(await bins.get(id));
  });

  // Replace the whole sku → bin map of a location. Unknown skus are named one by one.
  router.put('/locations/:id/bins', async (req, res) => {
    const id = parseOrThrow(locationIdSchema, req.params.id, 'location id', 'id');
    const parsed = binsBody.safeParse(req.body);
    const problems: FieldProblem[] = parsed.success ? [] : problemsOf(parsed.error);
    const keys =
      req.body && typeof req.body.bins === 'object' && req.body.bins !== null && !Array.isArray(req.body.bins)
        ? Object.keys(req.body.bins)
        : [];
    for (const sku of keys) {
      const r = skuSchema.safeParse(sku);
      if (!r.success) problems.push({ path: `bins.${sku}`, message: `is not a sku: ${r.error.issues[0].message}` });
    }
    if (problems.length || !parsed.success) throw new ValidationError(`Invalid bin locations: ${problems.length} problem(s)`, problems);
    await locationOrThrow(id);
    const missing = await items.missing(keys);
    if (missing.length) {
      throw new ValidationError(
        `Invalid bin locations: ${missing.length} unknown sku(s)`,
        missing.map((sku) => ({ path: `bins.${sku}`, message: `unknown sku ${sku}` })),
      );
    }
    const codes = Object.fromEntries(Object.entries(parsed.data.bins).map(([sku, bin]) => [sku, binCode(bin)]));
    res.json(await bins.replace(id, codes, actorOf(req)));
  });

  // ---- picklists ----

  router.post('/picklists', async (req, res) => {
    const body = parseOrThrow(picklistBody, req.body, 'picklist request');
    const location = await locations.get(body.locationId);
    if (!location)
      throw new ValidationError('Invalid picklist request: unknown location', [
        { path: 'locationId', message: `unknown location ${body.locationId}` },
      ]);
    const criteria = picklistCriteriaSchema.parse(body.criteria ?? {});

    // Released orders: equality on status (FerretDB pushes it down), the location checked here.
    const released: ReleasedOrder[] = [];
    let cursor: string | undefined;
    do {
      const page = await orders.list({ status: 'released_to_fulfillment', limit: RELEASED_PAGE, ...(cursor && { cursor }) });
      for (const view of page.orders) released.push(...releasedAt(view, location.id));
      cursor = page.nextCursor;
    } while (cursor);

    const onLists = await picklists.claimedOf(released.map((o) => o.id));
    const candidates = released.filter((o) => !onLists.has(o.id));
    const waiting = `${released.length} released at ${location.id}, ${onLists.size} already on a picklist`;
    if (candidates.length === 0) {
      throw new ConflictError(`No released orders at ${location.id} are waiting for a picklist (${waiting})`, {
        locationId: location.id,
        released: released.length,
        onPicklists: onLists.size,
      });
    }

    const now = new Date();
    const id = newPicklistId(location.id, now);
    const { bins: binMap } = await bins.get(location.id);
    const skus = [...new Set(candidates.flatMap((o) => o.lines.map((l) => l.sku)))];
    const catalogue = (await Promise.all(skus.map((sku) => items.get(sku)))).filter((i) => i !== null);
    const build = (orders: ReleasedOrder[]) =>
      buildPicklist({ id, locationId: location.id, createdAt: now.toISOString(), orders, bins: binMap, items: catalogue, criteria });

    // Each chosen order is claimed by insert: of two racing requests, one list gets the order, and a lost
    // order's place goes to the next in rank.
    const { picklist, claimed } = await picklists.claimOrders(id, candidates, build);
    if (picklist.orderIds.length === 0) {
      const reasons = [...new Set(picklist.leftOut.map((l) => l.reason))].join(', ');
      throw new ConflictError(
        `No released order at ${location.id} fits the criteria (${waiting}${reasons ? `; left out: ${reasons}` : ''})`,
        { locationId: location.id, leftOut: picklist.leftOut.length },
      );
    }
    try {
      await picklists.insert(picklist, actorOf(req));
    } catch (err) {
      await picklists.releaseClaims(id, claimed).catch(() => undefined);
      throw err;
    }
    deps.log.info('picklist created', { picklistId: id, locationId: location.id, orders: picklist.orderIds.length, by: actorOf(req) });
    res.status(201).json({ picklist, progress: progressOf(startPicking(picklist)) });
  });

  router.get('/picklists/:id', async (req, res) => {
    const picklist = await picklistOrThrow(req.params.id);
    res.json({ picklist, progress: progressOf(await picklists.state(picklist)) });
  });

  router.post('/picklists/:id/scans', async (req, res) => {
    const scan = parseOrThrow(scanBody, req.body, 'scan');
    const picklist = await picklistOrThrow(req.params.id);
    // The scanned code as a sku, so a refusal can name an item that is not on this list.
    const known = await items.get(scan.code).catch(() => null);
    const at = new Date().toISOString();
    const out = await picklists.appendDecided(picklist, {
      ...(scan.idempotencyKey !== undefined && { key: scan.idempotencyKey }),
      actor: actorOf(req),
      decide: (state) => ({
        state: confirmPick(state, { code: scan.code, quantity: scan.quantity, at }, known ? [known] : []),
        result: undefined,
      }),
      same: (earlier) => {
        if (earlier.event.kind !== 'picked' || earlier.event.code !== scan.code || earlier.event.quantity !== scan.quantity) {
          throw new ConflictError(
            `idempotencyKey ${scan.idempotencyKey} was already used for another ${earlier.event.kind === 'picked' ? 'scan' : 'short pick'} on picklist ${picklist.id}`,
            { idempotencyKey: scan.idempotencyKey },
          );
        }
        return undefined;
      },
    });
    // Orders this scan finished are picked: tell their workflows (a repeat is ignored there, so a repeated
    // request heals a crash between the stored scan and the signal).
    const sku = out.state.stops.find((s) => s.sku === scan.code || s.barcode === scan.code)?.sku;
    const finished = pickedByOrder(out.state).filter(
      (o) => o.lines.some((l) => l.sku === sku) && o.lines.every((l) => l.picked >= l.quantity),
    );
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
    res
      .status(out.duplicate ? 200 : 201)
      .json({ picklistId: picklist.id, duplicate: out.duplicate, pickedOrders: reported, progress: progressOf(out.state) });
  });

  router.post('/picklists/:id/short', async (req, res) => {
    const body = parseOrThrow(shortBody, req.body, 'short pick');
    const picklist = await picklistOrThrow(req.params.id);
    const at = new Date().toISOString();
    const out = await picklists.appendDecided(picklist, {
      ...(body.idempotencyKey !== undefined && { key: body.idempotencyKey }),
      actor: actorOf(req),
      decide: (state) => {
        const r = shortPick(state, body.sku, body.missingQuantity, at);
        return { state: r.state, extra: { shortLines: r.shortLines }, result: r.shortLines };
      },
      same: (earlier) => {
        if (earlier.event.kind !== 'short' || earlier.event.sku !== body.sku || earlier.event.quantity !== body.missingQuantity) {
          throw new ConflictError(
            `idempotencyKey ${body.idempotencyKey} was already used for another ${earlier.event.kind === 'short' ? 'short pick' : 'scan'} on picklist ${picklist.id}`,
            { idempotencyKey: body.idempotencyKey },
          );
        }
        return earlier.shortLines ?? [];
      },
    });
    deps.log.info('short pick', {
      picklistId: picklist.id,
      sku: body.sku,
      missing: body.missingQuantity,
      orderIds: out.result.map((l) => l.orderId),
      by: actorOf(req),
    });
    // Each order made short is taken off this list and routed again without this location (its stock of
    // the sku written off as not there), unless it has moved on already. A repeated request asks nothing again.
    const reroutes: { orderId: string; outcome: 'requested' | 'not_rerouted'; detail: string }[] = [];
    if (!out.duplicate) {
      for (const unitId of [...new Set(out.result.map((l) => l.orderId))]) {
        const skus = [...new Set(out.result.filter((l) => l.orderId === unitId).map((l) => l.sku))];
        const { orderId } = parsePickUnitId(unitId);
        const view = await orders.get(orderId);
        const allocatedAt = view ? (view.allocation ? [view.allocation.locationId] : (view.parts ?? []).map((p) => p.locationId)) : [];
        const here = allocatedAt.includes(picklist.locationId);
        const picked = (view?.parts ?? []).some((p) => flowIndex(p.stage) >= flowIndex('picked'));
        if (!view || !here || picked || isTerminal(view.status) || !['stock_reserved', 'released_to_fulfillment'].includes(view.stage)) {
          const detail = !view
            ? 'order not found'
            : `order is ${view.status}${here ? '' : ` and allocated at ${allocatedAt.join(', ') || 'no location'}`}${picked ? ' with a part already picked' : ''}`;
          reroutes.push({ orderId: unitId, outcome: 'not_rerouted', detail });
          continue;
        }
        await signalOrder(deps.temporal, orderId, rejectAllocationSignal, {
          reason: 'not_in_stock',
          skus,
          note: `short pick on ${picklist.id}`,
          locationId: picklist.locationId,
        });
        await picklists.releaseClaims(picklist.id, [unitId]);
        reroutes.push({ orderId: unitId, outcome: 'requested', detail: `routing again without ${picklist.locationId}` });
      }
    }
    res.status(out.duplicate ? 200 : 201).json({
      picklistId: picklist.id,
      duplicate: out.duplicate,
      shortLines: out.result,
      reroutes,
      progress: progressOf(out.state),
    });
  });

  // Close the list: finished, or abandoned half way. Orders fully picked stay on it; every other order is
  // released from it (its claim deleted) so the next POST /picklists takes it again. Closing a closed
  // list answers how it was closed and frees its orders again (heals a crash between the two writes).
  router.post('/picklists/:id/close', async (req, res) => {
    const body = parseOrThrow(closeBody, req.body ?? {}, 'close request');
    const picklist = await picklistOrThrow(req.params.id);
    const close = async (): Promise<{ state: PickState; result: string[]; duplicate: boolean }> => {
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
          actor: actorOf(req),
          decide: (state) => {
            const r = closePicking(state, { ...(body.reason !== undefined && { reason: body.reason }), at: new Date().toISOString() });
            return { state: r.state, result: r.released };
          },
          same: () => [],
        });
      } catch (err) {
        // Another request closed it first: answer as that close.
        if (err instanceof ConflictError && (await picklists.log(picklist.id)).some((e) => e.event.kind === 'closed')) return close();
        throw err;
      }
    };
    const out = await close();
    await picklists.releaseClaims(picklist.id, out.result);
    const kept = picklist.orderIds.filter((o) => !out.result.includes(o));
    if (!out.duplicate)
      deps.log.info('picklist closed', { picklistId: picklist.id, kept: kept.length, released: out.result.length, by: actorOf(req) });
    res
      .status(out.duplicate ? 200 : 201)
      .json({ picklistId: picklist.id, duplicate: out.duplicate, kept, released: out.result, progress: progressOf(out.state) });
  });

  return router;
}
