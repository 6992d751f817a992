import {
  ActivityFailure,
  ApplicationFailure,
  condition,
  defineQuery,
  defineSignal,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  upsertSearchAttributes,
  type ActivityOptions,
  type LocalActivityOptions,
} from '@temporalio/workflow';
import type { OrderActivities } from '../activities/order-activities';
import type { ChannelActivities } from '../activities/channel-activities';
import type { CarrierActivities } from '../activities/carrier-activities';
import type { Parcel } from '../domain/carrier';
import type { Order } from '../domain/order';
import { initialOrderState, type OrderLabel, type OrderPart, type OrderState, type ParcelTracking } from '../domain/order-state';
import type { HeldStock } from '../activities/order-activities';
import type { RoutingPart } from '../domain/routing';
import {
  canCancel,
  flowIndex,
  FLOW,
  FULFILLMENT_EVENTS,
  isTerminal,
  type FlowStatus,
  type FulfillmentEventType,
  type OrderStatus,
} from '../domain/status';
import { OrderLateKey, OrderStatusKey } from './search-attributes';

// ---- Contract -------------------------------------------------------------------------------------------

export interface FulfillmentEvent {
  type: FulfillmentEventType;
  carrier?: string; // required with "shipped"
  trackingNumber?: string; // required with "shipped"
  parcels?: Parcel[]; // with "packed": what the label is bought for
  part?: string; // a split order's part this event is for; absent: every part
}

// The carrier reports a problem (address unknown, damaged, refused): the order needs an operator.
export interface CarrierException {
  trackingNumber: string;
  message: string;
  at?: string;
}

// source 'channel': the channel itself cancelled the order, so it is not told again.
export const cancelOrderSignal = defineSignal<[{ reason: string; source?: 'operator' | 'channel' }]>('cancel');
export const holdOrderSignal = defineSignal<[{ reason: string }]>('hold');
export const releaseOrderSignal = defineSignal<[]>('release');
export const retryOrderSignal = defineSignal<[]>('retry');
export const fulfillmentEventSignal = defineSignal<[FulfillmentEvent]>('fulfillmentEvent');
export const confirmPaymentSignal = defineSignal<[{ reference?: string }]>('confirmPayment');
export const declinePaymentSignal = defineSignal<[{ reason: string }]>('declinePayment');
export const stockChangedSignal = defineSignal<[]>('stockChanged');
export const carrierExceptionSignal = defineSignal<[CarrierException]>('carrierException');
// The location cannot fill its allocation: nothing there (not_in_stock) or the goods are damaged.
export interface AllocationRejection {
  reason: 'not_in_stock' | 'damaged';
  skus?: string[]; // absent: every line
  note?: string;
  locationId?: string; // the location rejecting (for a split order, the part's); one not holding the order is ignored
}
export const rejectAllocationSignal = defineSignal<[AllocationRejection]>('rejectAllocation');
// What the carrier said about a parcel; kept on the order (latest scan per parcel), it moves nothing.
export const trackingUpdateSignal = defineSignal<[ParcelTracking]>('trackingUpdate');
// The customer collected a pickup order at the store.
export const pickupConfirmedSignal = defineSignal<[{ by?: string }]>('pickupConfirmed');
export const orderStatusQuery = defineQuery<OrderState>('orderStatus');

export interface OrderSettings {
  // Time allowed to reach each fulfilment stage after the previous one; a breach marks the order late.
  slaMs: Record<FulfillmentEventType, number>;
  awaitingStockRecheckMs: number; // safety net when no stock notification arrives
  pickupHoldMs: number; // a pickup order not collected within this is cancelled and its stock released
  paymentConfirmationTimeoutMs: number; // an unconfirmed manual payment rejects the order after this
  activityMaxAttempts: number; // past this, the step puts the order in needs_attention
  activityInitialIntervalMs: number;
}

export const DEFAULT_ORDER_SETTINGS: OrderSettings = {
  slaMs: {
    picked: 4 * 3600_000,
    packed: 2 * 3600_000,
    shipped: 24 * 3600_000,
    delivered: 7 * 24 * 3600_000,
  },
  awaitingStockRecheckMs: 15 * 60_000,
  pickupHoldMs: 7 * 24 * 3600_000,
  paymentConfirmationTimeoutMs: 3 * 24 * 3600_000,
  activityMaxAttempts: 6,
  activityInitialIntervalMs: 1_000,
};

export interface OrderWorkflowInput {
  order: Order;
  settings?: Partial<Omit<OrderSettings, 'slaMs'>> & { slaMs?: Partial<OrderSettings['slaMs']> };
}

export interface OrderOutcome {
  orderId: string;
  status: OrderStatus;
}

// ---- Workflow -----------------------------------------------------------------------------------------

class OrderCancelled extends Error {}

// Patch ids (Temporal's patched()): behaviour added while orders were in flight.
const NOTIFY_SHIPMENTS = 'notify-customer-shipped-delivered';
// A cancelled order gives back whatever any reservation attempt still holds; a reservation step that
// parks the order gives back what its attempts reserved.
const RELEASE_ALL_STOCK = 'release-all-stock-on-cancel-and-park';
// The view skips states it would only show for a moment: the capture already wrote the first, and
// stock_reserved is followed at once by released_to_fulfillment (both stay in the history).
const FEWER_PROJECTIONS = 'fewer-projections';

// Stock the order holds at one location and the events reported for it: the whole order, or one part of
// a split order.
interface PartRun {
  id: string;
  held: HeldStock;
  reported: Map<FulfillmentEventType, FulfillmentEvent>;
}

export async function orderWorkflow(input: OrderWorkflowInput): Promise<OrderOutcome> {
  const { order } = input;
  const settings: OrderSettings = {
    ...DEFAULT_ORDER_SETTINGS,
    ...input.settings,
    slaMs: { ...DEFAULT_ORDER_SETTINGS.slaMs, ...input.settings?.slaMs },
  };
  // Activities are database or provider calls, usually short. The worker heartbeats every running activity
  // (worker/order-worker.ts), so a dead worker's attempt is retried after 10 s without a heartbeat, while a
  // slow one (a store busy with a burst) may take minutes without failing: slow is not broken.
  const quick: ActivityOptions = {
    startToCloseTimeout: '5m',
    heartbeatTimeout: '10s',
    retry: {
      initialInterval: settings.activityInitialIntervalMs,
      backoffCoefficient: 2,
      maximumInterval: '1m',
      maximumAttempts: settings.activityMaxAttempts,
    },
  };
  // The view must catch up eventually, however long MongoDB is away: retry without limit. A local activity:
  // it runs inside the workflow task that changed the state, which saves Temporal two task round trips per
  // status change; it is as durable (re-run after a crash) and the write is idempotent (version-guarded).
  const projection: LocalActivityOptions = { startToCloseTimeout: '30s', retry: { initialInterval: '500ms', maximumInterval: '30s' } };
  const acts = proxyActivities<OrderActivities & ChannelActivities>(quick);
  const { recordOrderState } = proxyLocalActivities<OrderActivities>(projection);
  // A label purchase may try several carriers, each with retries of its own: within the same 5 minutes.
  const { buyShippingLabel, voidShippingLabel } = proxyActivities<CarrierActivities>(quick);

  const now = () => new Date().toISOString();
  const state: OrderState = initialOrderState(order);

  // Signals only record intent; the main flow acts on it at the next safe point.
  let cancelRequest: { reason: string; source?: 'operator' | 'channel' } | undefined;
  let holdRequest: { reason: string } | undefined;
  let retryRequested = false;
  let stockChanged = false;
  let paymentDecision: { confirmed: true; reference?: string } | { confirmed: false; reason: string } | undefined;
  // Events reported for the whole order (no part named); each part's own are on its PartRun.
  const reported = new Map<FulfillmentEventType, FulfillmentEvent>();
  let runs: PartRun[] = [];
  const split = () => runs.length > 1;
  let shippedAny = false; // from the first part that ships on, cancellation no longer applies
  const reportedFor = (run: PartRun, type: FulfillmentEventType) => run.reported.get(type) ?? reported.get(type);
  const reachedAtLeast = (run: PartRun, stage: FulfillmentEventType) =>
    FULFILLMENT_EVENTS.slice(FULFILLMENT_EVENTS.indexOf(stage)).some((s) => !!reportedFor(run, s));

  setHandler(orderStatusQuery, () => state);
  setHandler(cancelOrderSignal, (req) => {
    if (!isTerminal(state.status) && canCancel(state.stage) && !shippedAny)
      cancelRequest ??= { reason: req?.reason || 'cancelled by operator', ...(req?.source && { source: req.source }) };
  });
  setHandler(holdOrderSignal, (req) => {
    if (!isTerminal(state.status)) holdRequest = { reason: req?.reason || 'held by operator' };
  });
  setHandler(releaseOrderSignal, () => {
    holdRequest = undefined;
  });
  setHandler(retryOrderSignal, () => {
    retryRequested = true;
  });
  setHandler(stockChangedSignal, () => {
    stockChanged = true;
  });
  let rejection: AllocationRejection | undefined;
  setHandler(rejectAllocationSignal, (r) => {
    if (
      !r ||
      (r.reason !== 'not_in_stock' && r.reason !== 'damaged') ||
      runs.length === 0 ||
      isTerminal(state.status) ||
      flowIndex(state.stage) >= flowIndex('picked')
    )
      return;
    if (runs.some((run) => reachedAtLeast(run, 'picked'))) return;
    const at = r.locationId === undefined ? runs[0] : runs.find((run) => run.held.locationId === r.locationId);
    if (!at) return;
    rejection ??= { ...r, locationId: at.held.locationId };
  });
  let pickedUp = false;
  setHandler(pickupConfirmedSignal, () => {
    if (state.status === 'ready_for_pickup' || state.stage === 'ready_for_pickup') pickedUp = true;
  });
  // Tracking updates are recorded in the view beside the main flow, as they come.
  let trackingChanged = false;
  setHandler(trackingUpdateSignal, (update) => {
    if (!update?.trackingNumber || !update.status || !update.at) return;
    const list = state.tracking ?? [];
    const known = list.find((t) => t.trackingNumber === update.trackingNumber);
    if (known && Date.parse(known.at) > Date.parse(update.at)) return; // an older scan arriving late (times as instants, not strings)
    state.tracking = known ? list.map((t) => (t === known ? update : t)) : [...list, update].slice(-100);
    trackingChanged = true;
  });
  let carrierException: CarrierException | undefined;
  setHandler(carrierExceptionSignal, (ex) => {
    if (ex?.message && !isTerminal(state.status)) carrierException ??= ex;
  });
  setHandler(confirmPaymentSignal, (req) => {
    paymentDecision ??= { confirmed: true, ...(req?.reference !== undefined && { reference: req.reference }) };
  });
  setHandler(declinePaymentSignal, (req) => {
    paymentDecision ??= { confirmed: false, reason: req?.reason || 'payment declined by operator' };
  });
  setHandler(fulfillmentEventSignal, (event) => {
    if (!event || !FULFILLMENT_EVENTS.includes(event.type)) return;
    if (event.type === 'shipped' && (!event.carrier || !event.trackingNumber)) return;
    if (isTerminal(state.status) || reported.has(event.type)) return;
    if (event.part !== undefined) {
      const run = runs.find((r) => r.id === event.part);
      if (!run || run.reported.has(event.type)) return;
      if (event.type === 'delivered' && !reportedFor(run, 'shipped')) return;
      run.reported.set(event.type, event);
      return;
    }
    const allShipped = runs.length > 0 && runs.every((r) => !!reportedFor(r, 'shipped'));
    if (event.type === 'delivered' && !reported.has('shipped') && !allShipped && flowIndex(state.stage) < flowIndex('shipped')) return;
    reported.set(event.type, event);
  });

  // `project: false` for a status the next change follows at once: the view gets both with that change.
  // Versions count projections, so they stay consecutive (the view's guard against stragglers needs that).
  const setStatus = async (status: OrderStatus, reason?: string, opts: { project?: boolean } = {}) => {
    state.status = status;
    if ((FLOW as readonly string[]).includes(status) && flowIndex(status as FlowStatus) > flowIndex(state.stage))
      state.stage = status as FlowStatus;
    state.history.push({ status, at: now(), ...(reason !== undefined && { reason }) });
    upsertSearchAttributes([{ key: OrderStatusKey, value: status }]);
    if (opts.project === false) return;
    state.version++;
    await recordOrderState(order, state);
  };

  // The status to go back to after a hold or a failed step: where the order was, or further along the flow
  // if another part of a split order moved it on meanwhile.
  const resumeStatus = (was: OrderStatus): OrderStatus =>
    (FLOW as readonly string[]).includes(was) && flowIndex(state.stage) > flowIndex(was as FlowStatus) ? state.stage : was;

  // Hold pauses the order where it stands; release puts it back to the status it had.
  const honourHold = async () => {
    if (!holdRequest || cancelRequest) return;
    const resumeTo = state.status;
    state.hold = { reason: holdRequest.reason, since: now() };
    await setStatus('on_hold', holdRequest.reason);
    await condition(() => !holdRequest || !!cancelRequest);
    state.hold = undefined;
    if (!cancelRequest) await setStatus(resumeStatus(resumeTo), 'released from hold');
  };

  const markLate = async (stage: FlowStatus, dueAt: string) => {
    state.late = true;
    state.lateStages.push({ stage, dueAt });
    state.version++;
    upsertSearchAttributes([{ key: OrderLateKey, value: true }]);
    await recordOrderState(order, state);
  };

  // Wait for pred while honouring hold and cancel; an SLA deadline marks the order late but keeps waiting.
  const waitUntil = async (
    pred: () => boolean,
    opts: { sla?: { stage: FlowStatus; ms: number }; timeoutMs?: number } = {},
  ): Promise<boolean> => {
    const started = Date.now();
    let slaDeadline = opts.sla ? started + opts.sla.ms : undefined;
    for (;;) {
      if (cancelRequest) throw new OrderCancelled();
      if (holdRequest) {
        await honourHold();
        continue;
      }
      if (pred()) return true;
      const deadlines = [slaDeadline, opts.timeoutMs !== undefined ? started + opts.timeoutMs : undefined].filter(
        (d): d is number => d !== undefined,
      );
      const wake = deadlines.length ? Math.max(1, Math.min(...deadlines) - Date.now()) : undefined;
      const wakeOn = () => pred() || !!holdRequest || !!cancelRequest;
      const woke = wake === undefined ? await condition(wakeOn) : await condition(wakeOn, wake);
      if (woke) continue;
      if (slaDeadline !== undefined && Date.now() >= slaDeadline) {
        await markLate(opts.sla!.stage, new Date(slaDeadline).toISOString());
        slaDeadline = undefined;
      }
      if (opts.timeoutMs !== undefined && Date.now() - started >= opts.timeoutMs) return false;
    }
  };

  // Run a side effect; when it fails past its retry policy, park the order in needs_attention until an
  // operator sends retry (or cancel) instead of failing the workflow.
  const step = async <T>(
    name: string,
    run: () => Promise<T>,
    opts: { cancellable?: boolean; beforePark?: () => Promise<unknown> } = { cancellable: true },
  ): Promise<T> => {
    for (;;) {
      try {
        return await run();
      } catch (err) {
        if (!(err instanceof ActivityFailure)) throw err;
        const cause = err.cause;
        if (cause instanceof ApplicationFailure && cause.type === 'InvalidOrder') throw cause;
        // Best effort: a cancel and the reservations reconciliation cover what this could not do.
        if (opts.beforePark) await opts.beforePark().catch(() => undefined);
        const resumeTo = state.status;
        state.attention = { step: name, error: cause?.message ?? err.message, since: now() };
        retryRequested = false;
        await setStatus('needs_attention', `${name} failed: ${state.attention.error}`);
        await condition(() => retryRequested || (opts.cancellable !== false && !!cancelRequest));
        state.attention = undefined;
        if (!retryRequested && cancelRequest) throw new OrderCancelled();
        retryRequested = false;
        await setStatus(resumeStatus(resumeTo), `retrying ${name}`);
      }
    }
  };

  const compensations: Array<() => Promise<void>> = [];

  const reject = async (reason: string, details?: unknown): Promise<OrderOutcome> => {
    state.rejection = { reason, ...(details !== undefined && { details }) };
    await setStatus('rejected', reason);
    return { orderId: order.id, status: state.status };
  };

  // ---- Parts: an unsplit order is one part whose progress is the order's; a split order's parts move on
  // their own, and the order's status follows the slowest part.
  const partView = (run: PartRun): OrderPart => state.parts!.find((p) => p.id === run.id)!;
  const labelKeyOf = (run: PartRun) => (split() ? run.id : undefined);

  // A part's progress in the order's history without a status change (the status follows the slowest part).
  const noteProgress = async (reason: string) => {
    state.history.push({ status: state.status, at: now(), reason });
    state.version++;
    await recordOrderState(order, state);
  };

  const advance = async (run: PartRun, stage: FlowStatus, reason?: string) => {
    if (!split()) return setStatus(stage, reason);
    const part = partView(run);
    if (flowIndex(stage) > flowIndex(part.stage)) part.stage = stage;
    const text = `part ${run.id} (${run.held.locationId}) ${stage}${reason ? `: ${reason}` : ''}`;
    const slowest = state.parts!.reduce<FlowStatus>((min, p) => (flowIndex(p.stage) < flowIndex(min) ? p.stage : min), 'completed');
    if (flowIndex(slowest) <= flowIndex(state.stage)) return noteProgress(text);
    // Every part is past the order's stage. During a hold or a failed step the status stays; the stage moves.
    if (!(FLOW as readonly string[]).includes(state.status)) {
      state.stage = slowest;
      return noteProgress(text);
    }
    await setStatus(slowest, `${text}; all ${runs.length} parts ${slowest}`);
  };

  // Reserve each part of a split plan; if one falls short, give back the parts already held.
  const reserveParts = async (
    attempt: number,
    plan: RoutingPart[],
  ): Promise<
    { reserved: true; runs: PartRun[] } | { reserved: false; shortfall?: { sku: string; requested: number; available: number } }
  > => {
    const held: HeldStock[] = [];
    const giveBack = async () => {
      for (const h of held.splice(0))
        await step('release_stock', () => acts.releaseStock(order, h, 'split reservation fell short'), { cancellable: false });
    };
    // Cancelled while reserving: the compensations give back what is held so far.
    compensations.push(giveBack);
    for (const part of plan) {
      const result = await step('reserve_stock', () => acts.reservePart(order, attempt, part));
      if (!result.reserved) {
        await giveBack();
        compensations.splice(compensations.indexOf(giveBack), 1);
        return { reserved: false, ...(result.shortfall && { shortfall: result.shortfall }) };
      }
      held.push({ reservationId: result.reservationId, locationId: result.locationId, lines: part.lines });
    }
    compensations.splice(compensations.indexOf(giveBack), 1);
    return { reserved: true, runs: held.map((h, i) => ({ id: String(i + 1), held: h, reported: new Map() })) };
  };

  let capture: Promise<void> | undefined;
  const captureOnce = () =>
    (capture ??= (async () => {
      const captured = await step('capture_payment', () => acts.capturePayment(order), { cancellable: false });
      state.payment = { ...state.payment, status: 'captured', reference: captured.reference ?? state.payment.reference };
    })());

  // One part from release to shipped: picked, packed, the label bought through the carrier rules (unless
  // the warehouse already reported the shipment), then shipped when the carrier's first scan arrives or
  // the warehouse reports it.
  const shipPart = async (run: PartRun) => {
    for (const stage of ['picked', 'packed'] as const) {
      await waitUntil(() => reachedAtLeast(run, stage), { sla: { stage, ms: settings.slaMs[stage] } });
      await advance(run, stage);
    }
    if (!reportedFor(run, 'shipped')) {
      const parcels = reportedFor(run, 'packed')?.parcels;
      const labelled = await step('buy_label', () => buyShippingLabel(order, run.held, parcels, labelKeyOf(run)));
      if (labelled.bought) {
        const { label } = labelled;
        const more = (labelled.more ?? []).map((l) => ({ trackingNumber: l.trackingNumber, ...(l.labelUrl && { labelUrl: l.labelUrl }) }));
        const bought: OrderLabel = {
          carrierConnectionId: labelled.carrierConnectionId,
          carrier: label.carrier,
          service: label.service,
          trackingNumber: label.trackingNumber,
          ...(label.labelUrl && { labelUrl: label.labelUrl }),
          ...(label.trackingUrl && { trackingUrl: label.trackingUrl }),
          ...(more.length && { moreParcels: more }),
          explanation: labelled.explanation,
        };
        if (split()) partView(run).label = bought;
        else state.label = bought;
        await advance(run, 'packed', `label bought: ${label.carrier} ${label.service} ${label.trackingNumber}`);
        // Cancelled before the carrier has it: the label is voided (refunded) first.
        compensations.push(async () => {
          const voided = await step('void_label', () => voidShippingLabel(order, labelKeyOf(run)), { cancellable: false });
          const at = split() ? partView(run) : state;
          if (at.label) at.label = { ...at.label, voided: voided.status };
        });
      }
    }
    await waitUntil(() => !!reportedFor(run, 'shipped'), { sla: { stage: 'shipped', ms: settings.slaMs.shipped } });
    const shipped = reportedFor(run, 'shipped')!;
    cancelRequest = undefined; // from here on the goods are gone: cancellation no longer applies
    shippedAny = true;
    await step('ship_stock', () => acts.shipStock(order, run.held, shipped.trackingNumber!), { cancellable: false });
    if (state.payment.status === 'authorized' && state.payment.method === 'prepaid') await captureOnce();
    const shipment = { carrier: shipped.carrier!, trackingNumber: shipped.trackingNumber!, shippedAt: now() };
    if (split()) partView(run).shipment = shipment;
    else state.shipment = shipment;
    await advance(run, 'shipped', `${shipment.carrier} ${shipment.trackingNumber}`);
    await step(
      'channel_shipment',
      () => acts.reportShipmentToChannel(order, shipment, split() ? { id: run.id, lines: run.held.lines! } : undefined),
      { cancellable: false },
    );
    // Added after orders were already in flight: patched() keeps their histories replaying unchanged.
    if (patched(NOTIFY_SHIPMENTS)) {
      const label = split() ? partView(run).label : state.label;
      const trackingUrl = label?.trackingNumber === shipment.trackingNumber ? label.trackingUrl : undefined;
      const details = {
        carrier: shipment.carrier,
        trackingNumber: shipment.trackingNumber,
        shippedAt: shipment.shippedAt,
        ...(trackingUrl && { trackingUrl }),
        ...(split() && {
          part: run.id,
          parts: String(runs.length),
          items: run.held.lines!.map((l) => `${l.sku} ×${l.quantity}`).join(', '),
        }),
      };
      await step('notify_customer', () => acts.notifyCustomer(order, 'shipped', details, labelKeyOf(run)), { cancellable: false });
    }
  };

  const fewerProjections = patched(FEWER_PROJECTIONS);
  upsertSearchAttributes([{ key: OrderStatusKey, value: state.status }]);
  // The capture wrote this state (version 1) into the view already.
  if (!fewerProjections) await recordOrderState(order, state);

  void (async () => {
    for (;;) {
      await condition(() => trackingChanged);
      trackingChanged = false;
      state.version++;
      await recordOrderState(order, state);
    }
  })();

  try {
    // 1. Validate against stored facts.
    try {
      await step('validate', () => acts.validateOrder(order));
    } catch (err) {
      if (err instanceof ApplicationFailure && err.type === 'InvalidOrder') return await reject(err.message, err.details?.[0]);
      throw err;
    }
    await setStatus('validated');
    await waitUntil(() => true);

    // 2. Payment. From the first authorisation on, cancelling gives the money back (void or refund).
    let auth = await step('authorize_payment', () => acts.authorizePayment(order));
    if (auth.status === 'declined') {
      state.payment.status = 'declined';
      return await reject(`payment declined: ${auth.message}`);
    }
    state.payment = { ...state.payment, status: auth.status === 'pending' ? 'pending' : state.payment.status, reference: auth.reference };
    const returnPayment = async () => {
      const outcome = await step('cancel_payment', () => acts.cancelPayment(order, state.payment.status), { cancellable: false });
      if (outcome && (outcome.status === 'voided' || outcome.status === 'refunded')) state.payment.status = outcome.status;
    };
    compensations.push(returnPayment);
    if (auth.status === 'pending') {
      await setStatus('awaiting_payment', auth.message);
      const decided = await waitUntil(() => paymentDecision !== undefined, { timeoutMs: settings.paymentConfirmationTimeoutMs });
      const decision = paymentDecision;
      if (!decided || !decision || !decision.confirmed) {
        await returnPayment();
        return await reject(decision && !decision.confirmed ? decision.reason : 'payment was not confirmed in time');
      }
      auth = await step('confirm_payment', () => acts.confirmPayment(order, decision.reference));
    }
    if (auth.status !== 'authorized' && auth.status !== 'captured')
      throw ApplicationFailure.nonRetryable(`Unexpected payment status ${auth.status}`, 'PaymentProtocol');
    state.payment = { ...state.payment, status: auth.status, reference: auth.reference };
    await setStatus('payment_authorized');
    await waitUntil(() => true);

    // 3. Stock: reserve the order where the routing rules place it (one location, or split into parts when
    // no single location can fill it and the rules and the order allow it), or wait for stock to arrive. A
    // location that rejects its allocation before picking gives it back (adjusting its stock as the reason
    // says) and the order is routed again without it.
    const rejectedAt: string[] = [];
    let reserveAttempt = 0;
    let splitMisses = 0;
    for (let round = 1; ; round++) {
      for (;;) {
        let attempt = ++reserveAttempt;
        const excluded = order.fulfillment?.method === 'pickup' ? [] : [...rejectedAt];
        // Cleared before the attempt, not after: stock arriving while it runs must wake the next one.
        stockChanged = false;
        // Parking the order gives back whatever the attempts reserved, and a retry starts a new attempt.
        const giveBack = async () => {
          if (!patched(RELEASE_ALL_STOCK)) return;
          await acts.abandonReservation(order, attempt);
          attempt = ++reserveAttempt;
        };
        const result = await step('reserve_stock', () => acts.reserveStock(order, attempt, excluded), {
          cancellable: true,
          beforePark: giveBack,
        });
        state.routing = result.routing;
        if (result.reserved) {
          runs = [{ id: '1', held: { reservationId: result.reservationId, locationId: result.locationId }, reported: new Map() }];
          state.allocation = { reservationId: result.reservationId, locationId: result.locationId, reservedAt: now() };
          state.awaitingStock = undefined;
          break;
        }
        let shortfall = 'shortfall' in result ? result.shortfall : undefined;
        if ('split' in result) {
          const parts = await reserveParts(attempt, result.split);
          if (parts.reserved) {
            runs = parts.runs;
            state.parts = runs.map((r) => ({
              id: r.id,
              locationId: r.held.locationId,
              reservationId: r.held.reservationId,
              lines: r.held.lines!,
              stage: 'stock_reserved',
            }));
            state.awaitingStock = undefined;
            break;
          }
          shortfall = parts.shortfall;
          // Another order took a part's stock between routing and reserving: route again at once, twice.
          if (++splitMisses % 3 !== 0) continue;
        }
        state.awaitingStock = { since: state.awaitingStock?.since ?? now(), attempts: attempt, ...(shortfall && { shortfall }) };
        if (state.status !== 'awaiting_stock') {
          await setStatus(
            'awaiting_stock',
            shortfall
              ? `short of ${shortfall.sku}: ${shortfall.available} available, ${shortfall.requested} needed`
              : (result.routing?.summary ?? 'no location can ship this order'),
          );
        }
        await waitUntil(() => stockChanged, { timeoutMs: settings.awaitingStockRecheckMs });
      }
      const holding = runs.map((r) => r.held);
      const undo = async () => {
        for (const held of holding)
          await step('release_stock', () => acts.releaseStock(order, held, 'order cancelled'), { cancellable: false });
      };
      compensations.push(undo);
      const where = holding.map((h) => h.locationId).join(', ');
      await setStatus(
        'stock_reserved',
        holding.length > 1 ? `split into ${holding.length} parts: reserved at ${where}` : `reserved at ${where}`,
        { project: !fewerProjections },
      );
      await waitUntil(() => true);
      for (const part of state.parts ?? []) part.stage = 'released_to_fulfillment';
      await setStatus('released_to_fulfillment', round > 1 ? `re-routed to ${where}` : undefined);
      if (round === 1) await step('erp_sales_order', () => acts.pushSalesOrderToErps(order));

      const anyPicked = () => runs.some((r) => reachedAtLeast(r, 'picked'));
      await waitUntil(() => anyPicked() || !!rejection, { sla: { stage: 'picked', ms: settings.slaMs.picked } });
      if (anyPicked() || !rejection) break;
      const refused = rejection;
      rejection = undefined;
      const at = runs.find((r) => r.held.locationId === refused.locationId) ?? runs[0];
      await step('reject_allocation', () => acts.rejectAllocation(order, at.held, refused, round), { cancellable: false });
      // The whole order is routed again: the other parts give their stock back too.
      for (const other of runs) {
        if (other !== at)
          await step(
            'release_stock',
            () => acts.releaseStock(order, other.held, `routing again: ${at.held.locationId} rejected its part`),
            { cancellable: false },
          );
      }
      compensations.splice(compensations.indexOf(undo), 1);
      rejectedAt.push(at.held.locationId);
      state.rejections = [
        ...(state.rejections ?? []),
        {
          locationId: at.held.locationId,
          reason: refused.reason,
          ...(refused.skus && { skus: refused.skus }),
          ...(refused.note && { note: refused.note }),
          at: now(),
        },
      ];
      state.allocation = undefined;
      state.parts = undefined;
      runs = [];
      await setStatus('awaiting_stock', `${at.held.locationId} rejected the allocation (${refused.reason}); routing again`);
    }

    // Pickup: picked and packed at the store, then the customer is told the order waits there; collected,
    // it is done; not collected in time, it is cancelled (stock released, payment voided or refunded).
    if (order.fulfillment?.method === 'pickup') {
      const allocation = runs[0].held;
      for (const stage of ['picked', 'packed'] as const) {
        await waitUntil(() => reachedAtLeast(runs[0], stage), { sla: { stage, ms: settings.slaMs[stage] } });
        await setStatus(stage);
      }
      const holdUntil = new Date(Date.now() + settings.pickupHoldMs).toISOString();
      state.pickup = { locationId: allocation.locationId, readyAt: now(), holdUntil };
      await step('notify_customer', () => acts.notifyCustomer(order, 'ready_for_pickup', { locationId: allocation.locationId, holdUntil }));
      await setStatus('ready_for_pickup', `at ${allocation.locationId} until ${holdUntil}`);
      const collected = await waitUntil(() => pickedUp, { timeoutMs: settings.pickupHoldMs });
      if (!collected) {
        cancelRequest = { reason: `not collected by ${holdUntil}` };
        throw new OrderCancelled();
      }
      cancelRequest = undefined; // collected: the goods are gone
      await step('ship_stock', () => acts.shipStock(order, allocation, `pickup at ${allocation.locationId}`), { cancellable: false });
      if (state.payment.status === 'authorized') {
        const captured = await step('capture_payment', () => acts.capturePayment(order), { cancellable: false });
        state.payment = { ...state.payment, status: 'captured', reference: captured.reference ?? state.payment.reference };
      }
      state.pickup = { ...state.pickup, collectedAt: now() };
      state.deliveredAt = state.pickup.collectedAt;
      const handover = { carrier: 'store_pickup', trackingNumber: `PICKUP-${allocation.locationId}`, shippedAt: state.pickup.collectedAt! };
      await step('erp_invoice', () => acts.pushInvoiceToErps(order, handover), { cancellable: false });
      await setStatus('delivered', `collected at ${allocation.locationId}`);
      await setStatus('completed');
      return { orderId: order.id, status: state.status };
    }

    // 4. Each part (an unsplit order is one) is picked, packed, labelled and shipped on its own, each stage
    // against its SLA; the order moves on when all its parts have. The first part to ship takes the
    // payment and ends cancellation. Parts run side by side; a cancellation waits for all of them to stop
    // so that no label is bought after the compensations ran.
    const settled = await Promise.allSettled(runs.map((run) => shipPart(run)));
    const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    const firstShipment = state.shipment ?? state.parts![0].shipment!;
    await step('erp_invoice', () => acts.pushInvoiceToErps(order, firstShipment), { cancellable: false });

    // Until every part is delivered: a carrier exception parks the order for an operator (retry = handled, carry on).
    const isDelivered = (run: PartRun) => !!reportedFor(run, 'delivered');
    const allDelivered = () => runs.every(isDelivered);
    const newlyDelivered = () => (split() ? runs.filter((r) => isDelivered(r) && !partView(r).deliveredAt) : []);
    for (;;) {
      await waitUntil(() => allDelivered() || newlyDelivered().length > 0 || !!carrierException, {
        sla: { stage: 'delivered', ms: settings.slaMs.delivered },
      });
      const fresh = newlyDelivered();
      for (const run of fresh) Object.assign(partView(run), { stage: 'delivered', deliveredAt: now() });
      if (allDelivered()) break;
      if (fresh.length > 0) {
        await noteProgress(fresh.map((r) => `part ${r.id} (${r.held.locationId}) delivered`).join('; '));
        continue;
      }
      const problem = carrierException!;
      carrierException = undefined;
      state.attention = { step: 'carrier_delivery', error: problem.message, since: now() };
      retryRequested = false;
      await setStatus('needs_attention', `carrier exception for ${problem.trackingNumber}: ${problem.message}`);
      await condition(() => retryRequested || allDelivered());
      state.attention = undefined;
      retryRequested = false;
      await setStatus('shipped', allDelivered() ? 'delivered after a carrier exception' : 'carrier exception handled by an operator');
    }
    if (state.payment.status === 'authorized' && state.payment.method === 'cash_on_delivery') {
      const collected = await step('capture_payment', () => acts.capturePayment(order), { cancellable: false });
      state.payment = { ...state.payment, status: 'captured', reference: collected.reference ?? state.payment.reference };
    }
    state.deliveredAt = now();
    if (patched(NOTIFY_SHIPMENTS)) {
      const deliveredAt = state.deliveredAt;
      await step('notify_customer', () => acts.notifyCustomer(order, 'delivered', { deliveredAt }), { cancellable: false });
    }
    await setStatus('delivered', split() ? `all ${runs.length} parts delivered` : undefined);
    await setStatus('completed');
    return { orderId: order.id, status: state.status };
  } catch (err) {
    if (!(err instanceof OrderCancelled)) throw err;
    // Compensate in reverse order of the steps that succeeded.
    const reason = cancelRequest?.reason ?? 'cancelled';
    const fromChannel = cancelRequest?.source === 'channel';
    for (const undo of compensations.reverse()) await undo();
    // Whatever any reservation attempt still holds (one that timed out and was never heard of again).
    if (patched(RELEASE_ALL_STOCK))
      await step('release_stock', () => acts.releaseOrderStock(order, `order cancelled: ${reason}`), { cancellable: false });
    const told = fromChannel
      ? undefined
      : await step('channel_cancellation', () => acts.reportCancellationToChannel(order, reason), { cancellable: false });
    state.cancellation = { reason, at: now(), ...(told?.notice && { channelNotice: told.notice }) };
    await setStatus('cancelled', reason);
    return { orderId: order.id, status: state.status };
  }
}
