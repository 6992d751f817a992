// The transition rules for operator and integration commands, in one place: each answers why the order,
// as the workflow holds it now, cannot take the command (or undefined when it can). The Updates' validators
// refuse with these reasons; nothing else checks them.
import { lineCancelProblems } from '../../domain/line-cancel';
import type { OrderState } from '../../domain/order-state';
import { acceptsEvent, canCancel, flowIndex, FULFILLMENT_EVENTS, isTerminal, type FlowStatus } from '../../domain/status';
import type { AllocationRejection, CancelLinesRequest, ChannelEdit, DropShipReroute, FulfillmentEvent } from './api';
import type { Intents } from './order-run';
import type { PartRun, Parts } from './parts';

export interface Refusal {
  kind: 'refused' | 'invalid'; // refused: not in this state (409); invalid: the arguments do not fit this order (400)
  message: string;
  details?: Record<string, unknown>;
}

// What the rules read: the order's state, its parts and what is already asked for.
export interface OrderFacts {
  state: OrderState;
  parts: Parts;
  intents: Intents;
  shippedAny: boolean;
  fulfillmentMethod: 'ship' | 'pickup';
  orderLines: { sku: string; quantity: number }[];
  orderEvents: ReadonlyMap<string, FulfillmentEvent>; // reported for the whole order
  dropShip?: boolean; // its suppliers ship it (no stock of ours is held)
  backorderRejections?: boolean; // its parts filled from the backorder may be rejected (since BACKORDER_REJECTIONS)
}

const refused = (message: string, details?: Record<string, unknown>): Refusal => ({
  kind: 'refused',
  message,
  ...(details && { details }),
});
const invalid = (message: string, path: string): Refusal => ({ kind: 'invalid', message, details: { problems: [{ path, message }] } });

function ended(f: OrderFacts, action: string): Refusal | undefined {
  const { orderId, status } = f.state;
  return isTerminal(status) ? refused(`Cannot ${action} order ${orderId}: it is ${status}`, { status }) : undefined;
}

export function cancelRefusal(f: OrderFacts): Refusal | undefined {
  const { orderId, stage, parts } = f.state;
  const over = ended(f, 'cancel');
  if (over) return over;
  if (!canCancel(stage))
    return refused(`Cannot cancel order ${orderId}: it has already ${stage === 'shipped' ? 'shipped' : `reached ${stage}`}`, { stage });
  const gone = (parts ?? []).filter((p) => !canCancel(p.stage));
  if (gone.length)
    return refused(`Cannot cancel order ${orderId}: part ${gone.map((p) => p.id).join(', ')} has already shipped`, {
      stage,
      parts: gone.map((p) => ({ id: p.id, stage: p.stage })),
    });
  // Shipped, and the order is still recording it.
  if (f.shippedAny) return refused(`Cannot cancel order ${orderId}: it has already shipped`, { stage });
  return undefined;
}

export const holdRefusal = (f: OrderFacts): Refusal | undefined => ended(f, 'hold');

export function releaseRefusal(f: OrderFacts): Refusal | undefined {
  const over = ended(f, 'release');
  if (over) return over;
  const { orderId, status } = f.state;
  if (!f.intents.hold && status !== 'on_hold') return refused(`Order ${orderId} is ${status}, not on_hold: nothing to release`, { status });
  return undefined;
}

export function retryRefusal(f: OrderFacts): Refusal | undefined {
  const { orderId, status } = f.state;
  if (status !== 'needs_attention') return refused(`Order ${orderId} is ${status}, not needs_attention: nothing to retry`, { status });
  if (f.intents.retry) return refused(`Order ${orderId} is already being retried`, { status });
  return undefined;
}

export function paymentDecisionRefusal(f: OrderFacts): Refusal | undefined {
  const { orderId, status } = f.state;
  if (status !== 'awaiting_payment') return refused(`Order ${orderId} is ${status}, not awaiting_payment`, { status });
  if (f.intents.payment) return refused(`Order ${orderId} already has a payment decision`, { status });
  return undefined;
}

export function pickupRefusal(f: OrderFacts): Refusal | undefined {
  const { orderId, status } = f.state;
  if (f.fulfillmentMethod !== 'pickup') return refused(`Order ${orderId} is shipped, not collected`, { fulfillment: { method: 'ship' } });
  if (status !== 'ready_for_pickup') return refused(`Order ${orderId} is ${status}, not ready_for_pickup`, { status });
  return undefined;
}

export function allocationRejectionRefusal(f: OrderFacts, r: AllocationRejection): Refusal | undefined {
  if (!r || (r.reason !== 'not_in_stock' && r.reason !== 'damaged')) return invalid('must be not_in_stock or damaged', 'reason');
  const over = ended(f, 'reject the allocation of');
  if (over) return over;
  const later = filledPartRejected(f, r);
  if (later) return 'refusal' in later ? later.refusal : skusRefusal(f, later.part, r.skus);
  const { orderId, status, stage } = f.state;
  const held = f.parts.stock;
  const picked = held.filter((run) => f.parts.reachedAtLeast(run, 'picked'));
  if (
    held.length === 0 ||
    !(['stock_reserved', 'released_to_fulfillment'] as FlowStatus[]).includes(stage) ||
    status === 'awaiting_stock' ||
    picked.length ||
    f.intents.rejection
  ) {
    const pickedNote = picked.length && f.parts.listed ? ` with part ${picked.map((p) => p.id).join(', ')} picked` : '';
    return refused(
      `Order ${orderId} is ${status} at ${stage}${pickedNote}: only a reserved order not yet picked can be rejected by its location`,
      { status, stage },
    );
  }
  const where = held.map((h) => h.held.locationId).join(', ');
  if (r.locationId === undefined && f.parts.listed) return invalid(`is required: order ${orderId} is split across ${where}`, 'locationId');
  const at = f.parts.at(r.locationId);
  if (!at) return invalid(`order ${orderId} is not allocated at ${r.locationId} (it is at ${where})`, 'locationId');
  return skusRefusal(f, at, r.skus);
}

function skusRefusal(f: OrderFacts, at: PartRun, skus: string[] | undefined): Refusal | undefined {
  const { orderId } = f.state;
  const onOrder = new Set((at.held.lines ?? f.orderLines).map((l) => l.sku));
  for (const [i, sku] of (skus ?? []).entries()) {
    if (!onOrder.has(sku))
      return invalid(
        `${sku} is not on ${f.parts.listed ? `the part of order ${orderId} at ${at.held.locationId}` : `order ${orderId}`}`,
        `skus.${i}`,
      );
  }
  return undefined;
}

// A part filled from the backorder (after the first parts were picked) that its location rejects before
// picking it: which part (undefined: the rejection is not about such a part, the rules above apply).
export function filledPartRejected(f: OrderFacts, r: AllocationRejection): { part: PartRun } | { refusal: Refusal } | undefined {
  if (!f.backorderRejections) return undefined;
  const { orderId, status } = f.state;
  const open = f.parts.stock.filter((p) => p.filled && !f.parts.reachedAtLeast(p, 'picked'));
  let part: PartRun | undefined;
  if (r.part !== undefined) {
    const named = f.parts.find(r.part);
    if (!named?.filled) return undefined;
    if (!open.includes(named))
      return {
        refusal: refused(`Part ${named.id} of order ${orderId} has been picked: only a part not yet picked can be rejected`, { status }),
      };
    if (r.locationId !== undefined && r.locationId !== named.held.locationId)
      return { refusal: invalid(`part ${named.id} of order ${orderId} is at ${named.held.locationId}, not ${r.locationId}`, 'locationId') };
    part = named;
  } else {
    if (r.locationId === undefined) return undefined;
    const here = open.filter((p) => p.held.locationId === r.locationId);
    if (here.length === 0) return undefined;
    if (here.length > 1)
      return {
        refusal: invalid(`is required: parts ${here.map((p) => p.id).join(', ')} of order ${orderId} wait at ${r.locationId}`, 'part'),
      };
    part = here[0];
  }
  if (f.intents.rejection) return { refusal: refused(`Order ${orderId} is already taking a rejection; try again in a moment`, { status }) };
  return { part };
}

export function fulfillmentEventRefusal(f: OrderFacts, event: FulfillmentEvent): Refusal | undefined {
  // The API checks the shape with zod; a command sent from the Temporal UI or CLI is checked here.
  if (!event || !FULFILLMENT_EVENTS.includes(event.type)) return invalid(`must be one of ${FULFILLMENT_EVENTS.join(', ')}`, 'type');
  if (event.type === 'shipped' && (!event.carrier || !event.trackingNumber))
    return invalid('carrier and trackingNumber are required when the order is shipped', event.carrier ? 'trackingNumber' : 'carrier');
  const over = ended(f, `record ${event.type} for`);
  if (over) return over;
  const { orderId } = f.state;
  let run: PartRun | undefined;
  if (f.parts.listed) {
    const ids = f.parts.list.map((p) => p.id).join(', ');
    run = event.part === undefined ? undefined : f.parts.find(event.part);
    if (!run)
      return invalid(
        event.part === undefined
          ? `is required: order ${orderId} is split into parts ${ids}`
          : `order ${orderId} has no part ${event.part} (its parts: ${ids})`,
        'part',
      );
  } else if (event.part !== undefined) {
    return invalid(`order ${orderId} is not split: leave part out`, 'part');
  }
  const view = run ? f.parts.view(run) : undefined;
  const stage = view?.stage ?? f.state.stage;
  const what = run ? `Part ${run.id} of order ${orderId}` : `Order ${orderId}`;
  if (!acceptsEvent(stage, event.type))
    return refused(`${what} is at ${stage}: "${event.type}" does not apply`, { stage, type: event.type });
  if (run ? run.reported.has(event.type) || f.orderEvents.has(event.type) : f.orderEvents.has(event.type))
    return refused(`${what} already has "${event.type}" recorded`, { stage, type: event.type });
  if (event.type === 'delivered' && stage !== 'shipped') return refused(`${what} has not shipped yet`, { stage });
  return undefined;
}

// A channel edit is checked for shape here (the service builds it from a mapped channel order; one sent
// from the Temporal UI or CLI is not), refused once the order has ended, and refused when it is not newer
// than the copy already taken or waiting (webhooks arrive in any order: an older copy must not undo a newer).
export function channelEditRefusal(f: OrderFacts, e: ChannelEdit): Refusal | undefined {
  const edit = e?.edit;
  if (!e || typeof e.channelUpdatedAt !== 'string' || Number.isNaN(Date.parse(e.channelUpdatedAt)))
    return invalid('must be the ISO time of the channel copy', 'channelUpdatedAt');
  if (!edit || !Array.isArray(edit.lines) || edit.lines.length === 0) return invalid('an order needs at least one line', 'edit.lines');
  const bad = edit.lines.findIndex((l) => !l?.sku || !Number.isInteger(l.quantity) || l.quantity < 1);
  if (bad >= 0) return invalid('needs a sku and a whole quantity of at least 1', `edit.lines.${bad}`);
  if (!edit.shippingAddress?.line1) return invalid('is required', 'edit.shippingAddress');
  if (!edit.customer?.name) return invalid('is required', 'edit.customer.name');
  if (!edit.totals || !Number.isSafeInteger(edit.totals.total))
    return invalid('must be a whole number of minor units', 'edit.totals.total');
  const over = ended(f, 'apply a channel edit to');
  if (over) return over;
  const newest = [f.state.channelUpdatedAt, f.intents.edit?.channelUpdatedAt]
    .filter((t): t is string => t !== undefined)
    .reduce((a, t) => Math.max(a, Date.parse(t)), -Infinity);
  if (Date.parse(e.channelUpdatedAt) <= newest)
    return refused(`Order ${f.state.orderId} already has the channel's copy of ${new Date(newest).toISOString()}; this one is not newer`, {
      channelUpdatedAt: e.channelUpdatedAt,
    });
  return undefined;
}

// Which units of each requested sku come off which part: backordered units first (nothing holds them yet),
// then parts not yet picked, the last part first. A part of a split order left with nothing to ship is
// not allowed (cancel the order, or fewer units).
export interface LineCancelPlan {
  fromBackorder: { sku: string; quantity: number }[];
  fromParts: { run: PartRun; lines: { sku: string; quantity: number }[] }[];
  problems: { path: string; message: string }[];
}

export function planLineCancel(f: OrderFacts, request: CancelLinesRequest['lines']): LineCancelPlan {
  const problems: LineCancelPlan['problems'] = [];
  const fromParts = new Map<PartRun, { sku: string; quantity: number }[]>();
  const held = (run: PartRun) => run.held.lines ?? f.orderLines;
  const open = f.parts.list.filter((run) => !f.parts.reachedAtLeast(run, 'picked'));
  const fromBackorder: LineCancelPlan['fromBackorder'] = [];
  request.forEach((r, i) => {
    if (f.parts.count === 0) return; // nothing reserved yet: only the order changes
    let wanted = r.quantity;
    const backordered = Math.min(wanted, f.state.backorder?.lines.find((l) => l.sku === r.sku)?.quantity ?? 0);
    if (backordered > 0) fromBackorder.push({ sku: r.sku, quantity: backordered });
    wanted -= backordered;
    if (wanted === 0) return;
    for (const run of [...open].reverse()) {
      const has = held(run).find((l) => l.sku === r.sku)?.quantity ?? 0;
      const take = Math.min(has, wanted);
      if (take <= 0) continue;
      fromParts.set(run, [...(fromParts.get(run) ?? []), { sku: r.sku, quantity: take }]);
      wanted -= take;
    }
    if (wanted === 0) return;
    const picked = f.parts.list.filter((run) => !open.includes(run) && held(run).some((l) => l.sku === r.sku));
    const where = f.parts.listed ? `part ${picked.map((p) => p.id).join(', ')} holding it` : 'the order';
    problems.push({
      path: `lines.${i}`,
      message: `${r.sku}: ${where} has already been picked (${r.quantity - wanted} of ${r.quantity} units could still be cancelled)`,
    });
  });
  for (const [run, taking] of fromParts) {
    const left = held(run).reduce((s, l) => s + l.quantity, 0) - taking.reduce((s, l) => s + l.quantity, 0);
    if (f.parts.listed && left === 0 && problems.length === 0)
      problems.push({ path: 'lines', message: `would leave part ${run.id} with nothing to ship: cancel fewer units, or the whole order` });
  }
  return { fromBackorder, fromParts: [...fromParts].map(([run, lines]) => ({ run, lines })), problems };
}

// Lines can be cancelled once the payment is settled (authorised or captured) and until the part holding
// them is picked: from then on the goods are out of their bins, in a tote or a parcel, and the warehouse
// would have to put them back.
export function cancelLinesRefusal(f: OrderFacts, req: CancelLinesRequest): Refusal | undefined {
  if (!req || !Array.isArray(req.lines)) return invalid('must be a list of { sku, quantity }', 'lines');
  if (req.reason !== undefined && (typeof req.reason !== 'string' || req.reason.length > 500))
    return invalid('must be text of up to 500 characters', 'reason');
  const over = ended(f, 'cancel lines of');
  if (over) return over;
  const { orderId, status, stage } = f.state;
  if (f.dropShip)
    return refused(`Cannot cancel lines of drop-ship order ${orderId}: its suppliers have the whole purchase orders; cancel the order`, {
      status,
    });
  const problems = lineCancelProblems(orderId, f.orderLines, req.lines);
  if (problems.length) return { kind: 'invalid', message: `${problems.length} line(s) do not fit order ${orderId}`, details: { problems } };
  if (status === 'awaiting_payment' || flowIndex(stage) < flowIndex('payment_authorized'))
    return refused(`Cannot cancel lines of order ${orderId}: its payment is not settled yet (${status})`, { status });
  if (f.intents.cancel) return refused(`Cannot cancel lines of order ${orderId}: it is being cancelled`, { status });
  if (status === 'on_hold' || status === 'needs_attention')
    return refused(`Cannot cancel lines of order ${orderId}: it is ${status}; ${status === 'on_hold' ? 'release' : 'retry'} it first`, {
      status,
    });
  if (f.intents.lineCancel || f.intents.edit || f.intents.rejection)
    return refused(`Cannot cancel lines of order ${orderId} now: another change to it is being taken; try again in a moment`, { status });
  if (f.shippedAny && f.parts.count <= 1 && !f.state.backorder?.lines.length)
    return refused(`Cannot cancel lines of order ${orderId}: it has already shipped`, { stage });
  const plan = planLineCancel(f, req.lines);
  if (plan.problems.length)
    return refused(`Cannot cancel lines of order ${orderId}: ${plan.problems.map((p) => p.message).join('; ')}`, {
      stage,
      problems: plan.problems,
    });
  return undefined;
}

// A drop-ship part can go to another supplier while the order is parked on its supplier's refusal: to a
// supplier that has not had this part before (the service checks the supplier exists and drop-ships).
export function dropShipRerouteRefusal(f: OrderFacts, r: DropShipReroute): Refusal | undefined {
  if (!r || typeof r.supplierId !== 'string' || r.supplierId === '') return invalid('is required', 'supplierId');
  const over = ended(f, 're-route');
  if (over) return over;
  const { orderId, status } = f.state;
  if (!f.dropShip) return refused(`Order ${orderId} is not a drop-ship order: nothing to re-route to a supplier`, { status });
  const ids = f.parts.list.map((p) => p.id).join(', ');
  if (r.part === undefined && f.parts.listed) return invalid(`is required: order ${orderId} is split into parts ${ids}`, 'part');
  const part = r.part ?? '1';
  if (!f.parts.find(part)) return invalid(`order ${orderId} has no part ${part}${ids ? ` (its parts: ${ids})` : ''}`, 'part');
  const tried = (f.state.dropShip?.purchaseOrders ?? []).filter((p) => p.part === part);
  const current = tried.at(-1);
  if (!current || current.status !== 'refused' || status !== 'needs_attention' || f.state.attention?.step !== 'supplier_refused')
    return refused(`Order ${orderId} is ${status}, not waiting on a refused purchase order${f.parts.listed ? ` for part ${part}` : ''}`, {
      status,
      ...(current && { supplierStatus: current.status }),
    });
  if (f.intents.dropShipReroute || f.intents.retry || f.intents.cancel)
    return refused(`Order ${orderId} is already being re-routed, retried or cancelled`, { status });
  if (tried.some((p) => p.supplierId === r.supplierId))
    return refused(`Supplier ${r.supplierId} already had ${f.parts.listed ? `part ${part} of ` : ''}order ${orderId}`, {
      status,
      supplierId: r.supplierId,
    });
  return undefined;
}
