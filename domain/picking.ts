import { z } from 'zod';
import { locationIdSchema, skuSchema } from './catalog';
import { ConflictError, NotFoundError, ValidationError } from './errors';
import { parseOrThrow } from './validation';

// Warehouse picking: bin locations, batching released orders into a picklist, and confirming picks.
// Pure: the caller loads the released orders, the sku→bin map and the items; the API route or activity
// stores the picklist and the pick state this module returns.

// ---------------------------------------------------------------------------------------------
// Bin locations

// A bin is zone-aisle-shelf[-position], e.g. "A-03-2" or "B-12-4-1". Shelf numbers count along the
// aisle from its front end (the end on the main cross aisle); position is the slot within the shelf.
export interface BinLocation {
  zone: string;
  aisle: number;
  shelf: number;
  position?: number;
}

const BIN_CODE = /^([A-Z][A-Z0-9]{0,3})-(\d{1,3})-(\d{1,3})(?:-(\d{1,3}))?$/;
const binPart = z.number().int('must be a whole number').min(0).max(999);

export const binLocationSchema = z.strictObject({
  zone: z
    .string()
    .regex(/^[A-Za-z][A-Za-z0-9]{0,3}$/, 'must be a letter then up to 3 letters or digits, such as "A"')
    .transform((zone) => zone.toUpperCase()),
  aisle: binPart,
  shelf: binPart,
  position: binPart.optional(),
});

// A bin code string or the structured form; both come out structured.
export const binSchema = z.union([
  z
    .string()
    .transform((code) => code.trim().toUpperCase())
    .pipe(z.string().regex(BIN_CODE, 'must be zone-aisle-shelf[-position], such as "A-03-2"'))
    .transform((code): BinLocation => {
      const [, zone, aisle, shelf, position] = BIN_CODE.exec(code)!;
      return { zone, aisle: Number(aisle), shelf: Number(shelf), ...(position !== undefined && { position: Number(position) }) };
    }),
  binLocationSchema,
]);

export function parseBin(input: string | BinLocation): BinLocation {
  return parseOrThrow(binSchema, input, 'bin location', 'bin');
}

// The canonical code: aisle two digits so codes sort and read alike ("A-03-2").
export function binCode(bin: BinLocation): string {
  const base = `${bin.zone}-${String(bin.aisle).padStart(2, '0')}-${bin.shelf}`;
  return bin.position === undefined ? base : `${base}-${bin.position}`;
}

export const WALKING_ROUTES = ['serpentine', 'ascending'] as const;
export type WalkingRoute = (typeof WALKING_ROUTES)[number];

/**
 * Walking order: zone, then aisle, then shelf, then position.
 * 'serpentine' (the default): odd aisles are walked up from the front, even aisles back down from the far
 * end, so a picker leaving aisle 1 at the back enters aisle 2 at the back and never walks an aisle empty.
 * 'ascending': every aisle from the front, for layouts where each aisle is a dead end.
 */
export function compareBins(a: BinLocation, b: BinLocation, route: WalkingRoute = 'serpentine'): number {
  if (a.zone !== b.zone) return a.zone < b.zone ? -1 : 1;
  if (a.aisle !== b.aisle) return a.aisle - b.aisle;
  const direction = route === 'serpentine' && a.aisle % 2 === 0 ? -1 : 1;
  if (a.shelf !== b.shelf) return direction * (a.shelf - b.shelf);
  return direction * ((a.position ?? 0) - (b.position ?? 0));
}

// ---------------------------------------------------------------------------------------------
// Building a picklist

export const ORDER_SIZES = ['any', 'single_item', 'multi_item'] as const;
export type OrderSize = (typeof ORDER_SIZES)[number];

const channelSchema = z.string().regex(/^[a-z0-9_-]{1,32}$/, 'must be 1 to 32 lowercase letters, digits, _ or -');
const quantitySchema = z.number().int('must be a whole number').positive('must be at least 1').max(100_000);

// What POST /picklists asks for: which released orders at the location go into this batch.
export const picklistCriteriaSchema = z.strictObject({
  // Absent: every channel.
  channels: z.array(channelSchema).min(1).max(100).optional(),
  // Single-item orders hold one unit in all: they need no sorting at the pack bench, so they batch apart.
  orderSize: z.enum(ORDER_SIZES).default('any'),
  maxOrders: z.number().int('must be a whole number').min(1).max(1000).default(50),
  route: z.enum(WALKING_ROUTES).default('serpentine'),
});
export type PicklistCriteria = z.infer<typeof picklistCriteriaSchema>;
export type PicklistCriteriaInput = z.input<typeof picklistCriteriaSchema>;

export function parsePicklistCriteria(input: unknown): PicklistCriteria {
  return parseOrThrow(picklistCriteriaSchema, input, 'picklist criteria');
}

const isoSchema = z.iso.datetime({ offset: true });

export const releasedOrderSchema = z.strictObject({
  id: z.string().min(1).max(200),
  channel: channelSchema,
  // The location the order was released to; absent: trusted to be the picklist's location.
  locationId: locationIdSchema.optional(),
  // Lower numbers are picked first, as with location priority.
  priority: z.number().int().min(0).max(1_000_000).default(100),
  slaDueAt: isoSchema,
  createdAt: isoSchema,
  lines: z
    .array(z.strictObject({ sku: skuSchema, quantity: quantitySchema }))
    .min(1, 'an order needs at least one line')
    .max(500),
});
export type ReleasedOrder = z.infer<typeof releasedOrderSchema>;

export const picklistInputSchema = z
  .strictObject({
    id: z.string().min(1).max(200),
    locationId: locationIdSchema,
    createdAt: isoSchema,
    orders: z.array(releasedOrderSchema).max(100_000),
    // The pick face of each sku at this location; a sku missing here is picked from the "Unlocated" section.
    bins: z.record(z.string(), binSchema).default({}),
    items: z.array(z.object({ sku: skuSchema, name: z.string().min(1).max(300), barcode: z.string().max(64).optional() })).default([]),
    criteria: picklistCriteriaSchema.default({ orderSize: 'any', maxOrders: 50, route: 'serpentine' }),
  })
  .superRefine((input, ctx) => {
    const seen = new Set<string>();
    input.orders.forEach((o, i) => {
      if (seen.has(o.id)) ctx.addIssue({ code: 'custom', path: ['orders', i, 'id'], message: `order ${o.id} appears more than once` });
      seen.add(o.id);
    });
  });
export type PicklistInput = z.input<typeof picklistInputSchema>;

export interface PickStopOrder {
  orderId: string;
  quantity: number;
}

export interface PickStop {
  // Canonical bin code; null in the unlocated section.
  bin: string | null;
  sku: string;
  name: string;
  barcode?: string;
  totalQuantity: number;
  // In the batch's order ranking, so the packer and short picks treat orders alike.
  orders: PickStopOrder[];
}

export type LeftOutReason = 'other_location' | 'channel' | 'order_size' | 'batch_full';

export interface LeftOutOrder {
  orderId: string;
  reason: LeftOutReason;
  message: string;
}

export const UNLOCATED_SECTION = 'Unlocated';

export interface Picklist {
  id: string;
  locationId: string;
  createdAt: string;
  route: WalkingRoute;
  criteria: PicklistCriteria;
  // Ranked: priority, then SLA due time, then age.
  orderIds: string[];
  // Located stops in walking order, one per sku.
  stops: PickStop[];
  // Skus with no bin at this location, by sku; walked last, under the UNLOCATED_SECTION heading.
  unlocated: PickStop[];
  leftOut: LeftOutOrder[];
  totals: { orders: number; stops: number; units: number };
}

const byString = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const unitsOf = (o: ReleasedOrder) => o.lines.reduce((sum, l) => sum + l.quantity, 0);
const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

// Priority, then SLA due time, then age, then id so the same orders always rank the same.
function compareOrders(a: ReleasedOrder, b: ReleasedOrder): number {
  return (
    a.priority - b.priority ||
    Date.parse(a.slaDueAt) - Date.parse(b.slaDueAt) ||
    Date.parse(a.createdAt) - Date.parse(b.createdAt) ||
    byString(a.id, b.id)
  );
}

function leftOutBy(order: ReleasedOrder, locationId: string, criteria: PicklistCriteria): LeftOutOrder | undefined {
  const orderId = order.id;
  if (order.locationId !== undefined && order.locationId !== locationId) {
    return { orderId, reason: 'other_location', message: `released to ${order.locationId}, not ${locationId}` };
  }
  if (criteria.channels && !criteria.channels.includes(order.channel)) {
    return { orderId, reason: 'channel', message: `channel ${order.channel} is not ${criteria.channels.join(' or ')}` };
  }
  const units = unitsOf(order);
  if (criteria.orderSize === 'single_item' && units !== 1) {
    return { orderId, reason: 'order_size', message: `has ${plural(units, 'unit')}; the batch takes single-item orders only` };
  }
  if (criteria.orderSize === 'multi_item' && units === 1) {
    return { orderId, reason: 'order_size', message: 'has 1 unit; the batch takes multi-item orders only' };
  }
  return undefined;
}

/**
 * Batch released orders into one picklist: filter by the criteria, rank (priority, SLA, age), take up to
 * maxOrders, then merge the lines by sku so each bin is visited once, stops in walking order.
 * Throws a ValidationError naming every bad field of the input.
 */
export function buildPicklist(input: PicklistInput): Picklist {
  const { id, locationId, createdAt, orders, bins, items, criteria } = parseOrThrow(picklistInputSchema, input, 'picklist input');

  const leftOut: LeftOutOrder[] = [];
  const eligible: ReleasedOrder[] = [];
  for (const order of orders) {
    const reason = leftOutBy(order, locationId, criteria);
    if (reason) leftOut.push(reason);
    else eligible.push(order);
  }
  eligible.sort(compareOrders);
  const chosen = eligible.slice(0, criteria.maxOrders);
  eligible.slice(criteria.maxOrders).forEach((order, i) => {
    leftOut.push({
      orderId: order.id,
      reason: 'batch_full',
      message: `ranked ${criteria.maxOrders + i + 1} of ${eligible.length}; the batch takes ${plural(criteria.maxOrders, 'order')}`,
    });
  });

  // sku → per-order quantities, in ranking order (a sku on two lines of one order is one demand).
  const demand = new Map<string, Map<string, number>>();
  for (const order of chosen) {
    for (const { sku, quantity } of order.lines) {
      if (!demand.has(sku)) demand.set(sku, new Map());
      const perOrder = demand.get(sku)!;
      perOrder.set(order.id, (perOrder.get(order.id) ?? 0) + quantity);
    }
  }

  const itemBySku = new Map(items.map((item) => [item.sku, item]));
  const located: { stop: PickStop; bin: BinLocation }[] = [];
  const unlocated: PickStop[] = [];
  for (const [sku, perOrder] of demand) {
    const item = itemBySku.get(sku);
    const bin = Object.hasOwn(bins, sku) ? bins[sku] : undefined;
    const stop: PickStop = {
      bin: bin ? binCode(bin) : null,
      sku,
      name: item?.name ?? sku,
      ...(item?.barcode !== undefined && { barcode: item.barcode }),
      totalQuantity: [...perOrder.values()].reduce((sum, q) => sum + q, 0),
      orders: [...perOrder].map(([orderId, quantity]) => ({ orderId, quantity })),
    };
    if (bin) located.push({ stop, bin });
    else unlocated.push(stop);
  }
  // Two skus sharing a bin are adjacent stops, by sku.
  located.sort((a, b) => compareBins(a.bin, b.bin, criteria.route) || byString(a.stop.sku, b.stop.sku));
  unlocated.sort((a, b) => byString(a.sku, b.sku));

  const stops = located.map((l) => l.stop);
  return {
    id,
    locationId,
    createdAt,
    route: criteria.route,
    criteria,
    orderIds: chosen.map((o) => o.id),
    stops,
    unlocated,
    leftOut,
    totals: {
      orders: chosen.length,
      stops: stops.length + unlocated.length,
      units: [...stops, ...unlocated].reduce((sum, s) => sum + s.totalQuantity, 0),
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Confirming picks

export interface PickedOrderLine {
  orderId: string;
  quantity: number;
  picked: number;
  short: number;
}

export interface StopProgress {
  bin: string | null;
  sku: string;
  barcode?: string;
  expected: number;
  picked: number;
  short: number;
  orders: PickedOrderLine[];
}

export type PickEvent =
  | { kind: 'picked'; sku: string; code: string; quantity: number; at?: string }
  | { kind: 'short'; sku: string; quantity: number; at?: string }
  // The list is closed: nothing more is picked on it; orders not fully picked go back to the backlog.
  | { kind: 'closed'; reason?: string; released: string[]; at?: string };

// Plain JSON, so it can live in a MongoDB document or a workflow's state.
export interface PickState {
  picklistId: string;
  orderIds: string[];
  status: 'picking' | 'complete' | 'closed';
  // Located stops in walking order, then the unlocated ones.
  stops: StopProgress[];
  events: PickEvent[];
}

export interface Scan {
  // What the scanner read: a barcode, or the sku typed in when the label will not scan.
  code: string;
  quantity: number;
  at?: string;
}

export interface ShortLine {
  orderId: string;
  sku: string;
  // Units of this order line that will not be picked, made short by this call.
  quantity: number;
}

export function startPicking(picklist: Picklist): PickState {
  const stops = [...picklist.stops, ...picklist.unlocated].map((s): StopProgress => ({
    bin: s.bin,
    sku: s.sku,
    ...(s.barcode !== undefined && { barcode: s.barcode }),
    expected: s.totalQuantity,
    picked: 0,
    short: 0,
    orders: s.orders.map((o) => ({ orderId: o.orderId, quantity: o.quantity, picked: 0, short: 0 })),
  }));
  return {
    picklistId: picklist.id,
    orderIds: [...picklist.orderIds],
    status: stops.length === 0 ? 'complete' : 'picking',
    stops,
    events: [],
  };
}

const remainingOf = (s: StopProgress) => s.expected - s.picked - s.short;
const where = (s: StopProgress) => (s.bin === null ? `${s.sku} (${UNLOCATED_SECTION.toLowerCase()})` : `${s.sku} at ${s.bin}`);

// The next stop in walking order with units still to pick.
export function currentStop(state: PickState): StopProgress | undefined {
  return state.stops.find((s) => remainingOf(s) > 0);
}

function currentStopText(state: PickState): string {
  const stop = currentStop(state);
  return stop ? `the current stop is ${where(stop)}` : `picklist ${state.picklistId} is complete`;
}

function refuseIfClosed(state: PickState): void {
  if (state.status === 'closed')
    throw new ConflictError(`Picklist ${state.picklistId} is closed: nothing more is picked on it`, {
      picklistId: state.picklistId,
      status: state.status,
    });
}

/**
 * Close the list (done, or abandoned): no scan or short pick is taken after this. Orders whose lines are
 * all picked stay on it (they are on their way to packing); every other order is released from it, to go
 * on another picklist. Units already picked for a released order go back to their bins.
 */
export function closePicking(state: PickState, opts: { reason?: string; at?: string } = {}): { state: PickState; released: string[] } {
  refuseIfClosed(state);
  const released = pickedByOrder(state)
    .filter((o) => !o.lines.every((l) => l.picked >= l.quantity))
    .map((o) => o.orderId);
  const event: PickEvent = {
    kind: 'closed',
    released,
    ...(opts.reason !== undefined && { reason: opts.reason }),
    ...(opts.at !== undefined && { at: opts.at }),
  };
  return { state: { ...state, status: 'closed', events: [...state.events, event] }, released };
}

function withStop(state: PickState, index: number, stop: StopProgress, event: PickEvent): PickState {
  const stops = state.stops.map((s, i) => (i === index ? stop : s));
  return { ...state, stops, status: stops.every((s) => remainingOf(s) === 0) ? 'complete' : 'picking', events: [...state.events, event] };
}

function checkQuantity(quantity: number, path: string): void {
  if (!Number.isSafeInteger(quantity) || quantity < 1) {
    throw new ValidationError(`Invalid ${path}: must be a whole number of at least 1`, [
      { path, message: 'must be a whole number of at least 1' },
    ]);
  }
}

/**
 * Confirm a scan at any stop on the list. Picks need not follow walking order: a picker who finds a
 * bin blocked or spots the next item early should not be stopped, and the order of picks changes nothing
 * downstream. What is refused is what would put the wrong goods in the tote: a code not on the list,
 * and more units than the list still needs. Picked units go to orders in ranking order.
 * `items` (optional) names the sku behind a scanned barcode that is not on the list.
 */
export function confirmPick(state: PickState, scan: Scan, items: readonly { sku: string; barcode?: string }[] = []): PickState {
  const code = typeof scan.code === 'string' ? scan.code.trim() : '';
  if (!code) throw new ValidationError('Invalid scan: code is empty', [{ path: 'code', message: 'must be a barcode or sku' }]);
  checkQuantity(scan.quantity, 'quantity');
  refuseIfClosed(state);

  // A barcode wins over a sku that happens to read the same.
  let index = state.stops.findIndex((s) => s.barcode === code);
  if (index < 0) index = state.stops.findIndex((s) => s.sku === code);
  if (index < 0) {
    const known = items.find((i) => i.barcode === code) ?? items.find((i) => i.sku === code);
    const scanned = known && known.sku !== code ? `${code} (${known.sku})` : code;
    const what = known
      ? `${known.sku} is not on picklist ${state.picklistId}`
      : `no item on picklist ${state.picklistId} has this barcode or sku`;
    throw new ConflictError(`Scanned ${scanned} but ${currentStopText(state)}: ${what}`, {
      scanned: code,
      sku: known?.sku,
      currentStop: currentStop(state) ?? null,
    });
  }

  const stop = state.stops[index];
  const remaining = remainingOf(stop);
  if (scan.quantity > remaining) {
    const listed = `${stop.expected} ${stop.expected === 1 ? 'is' : 'are'} on the list`;
    const message =
      remaining === stop.expected
        ? `Picked ${scan.quantity} of ${stop.sku} but only ${listed}`
        : remaining === 0
          ? `Picked ${scan.quantity} of ${stop.sku} but nothing is left to pick: the ${stop.expected} on the list ${stop.expected === 1 ? 'is' : 'are'} picked or short`
          : `Picked ${scan.quantity} of ${stop.sku} but only ${remaining} of the ${stop.expected} on the list ${remaining === 1 ? 'is' : 'are'} still to pick`;
    throw new ConflictError(message, { sku: stop.sku, bin: stop.bin, expected: stop.expected, remaining, scanned: scan.quantity });
  }

  // Fill orders front to back; shorts are taken from the back, so the two never meet.
  let toPlace = scan.quantity;
  const orders = stop.orders.map((o) => {
    const take = Math.min(toPlace, o.quantity - o.picked - o.short);
    toPlace -= take;
    return take > 0 ? { ...o, picked: o.picked + take } : o;
  });
  const event: PickEvent = { kind: 'picked', sku: stop.sku, code, quantity: scan.quantity, ...(scan.at !== undefined && { at: scan.at }) };
  return withStop(state, index, { ...stop, picked: stop.picked + scan.quantity, orders }, event);
}

/**
 * Record that `missingQuantity` units of a sku are not in the bin. The shortage falls on the
 * lowest-ranked orders first, so the most urgent orders keep their units. Returns the order lines this
 * call made short (only the new shortage, so routing each result once re-routes every missing unit once).
 */
export function shortPick(
  state: PickState,
  sku: string,
  missingQuantity: number,
  at?: string,
): { state: PickState; shortLines: ShortLine[] } {
  checkQuantity(missingQuantity, 'missingQuantity');
  refuseIfClosed(state);
  const index = state.stops.findIndex((s) => s.sku === sku);
  if (index < 0) throw new NotFoundError(`${sku} is not on picklist ${state.picklistId}`, { sku });
  const stop = state.stops[index];
  const remaining = remainingOf(stop);
  if (missingQuantity > remaining) {
    throw new ConflictError(
      `Cannot mark ${missingQuantity} of ${sku} short: only ${remaining} of the ${stop.expected} on the list ${remaining === 1 ? 'is' : 'are'} still to pick`,
      { sku, expected: stop.expected, remaining, missing: missingQuantity },
    );
  }

  let toShort = missingQuantity;
  const shortLines: ShortLine[] = [];
  const orders = [...stop.orders];
  for (let i = orders.length - 1; i >= 0 && toShort > 0; i--) {
    const o = orders[i];
    const take = Math.min(toShort, o.quantity - o.picked - o.short);
    if (take === 0) continue;
    toShort -= take;
    orders[i] = { ...o, short: o.short + take };
    shortLines.unshift({ orderId: o.orderId, sku, quantity: take });
  }
  const event: PickEvent = { kind: 'short', sku, quantity: missingQuantity, ...(at !== undefined && { at }) };
  return { state: withStop(state, index, { ...stop, short: stop.short + missingQuantity, orders }, event), shortLines };
}

// What each order got, for the pack bench: the per-order split of everything picked or short.
export function pickedByOrder(
  state: PickState,
): { orderId: string; lines: { sku: string; quantity: number; picked: number; short: number }[] }[] {
  const byOrder = new Map<string, { sku: string; quantity: number; picked: number; short: number }[]>();
  for (const stop of state.stops) {
    for (const o of stop.orders) {
      if (!byOrder.has(o.orderId)) byOrder.set(o.orderId, []);
      byOrder.get(o.orderId)!.push({ sku: stop.sku, quantity: o.quantity, picked: o.picked, short: o.short });
    }
  }
  return state.orderIds.filter((id) => byOrder.has(id)).map((orderId) => ({ orderId, lines: byOrder.get(orderId)! }));
}

/** The state of a picklist after these events, in order: the log is the truth, the state its replay. */
export function replayPicking(picklist: Picklist, events: readonly PickEvent[]): PickState {
  let state = startPicking(picklist);
  for (const event of events) {
    const at = event.at !== undefined ? { at: event.at } : {};
    if (event.kind === 'picked') state = confirmPick(state, { code: event.code, quantity: event.quantity, ...at });
    else if (event.kind === 'short') state = shortPick(state, event.sku, event.quantity, event.at).state;
    else state = closePicking(state, { ...(event.reason !== undefined && { reason: event.reason }), ...at }).state;
  }
  return state;
}
