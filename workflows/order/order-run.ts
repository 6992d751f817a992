// What one order's run holds while its phases execute: the state the outside world reads, what commands
// asked for (intents), the parts it is fulfilled as, the compensations owed if it is cancelled, and the
// few moves every phase makes: change status, run a step that parks on failure, wait at a checkpoint
// that honours hold and cancel.
import {
  ActivityFailure,
  ApplicationFailure,
  condition,
  patched,
  proxyActivities,
  proxyLocalActivities,
  upsertSearchAttributes,
  type ActivityInterfaceFor,
  type ActivityOptions,
  type LocalActivityOptions,
} from '@temporalio/workflow';
import type { OrderActivities } from '../../activities/order-activities';
import type { ChannelActivities } from '../../activities/channel-activities';
import type { CarrierActivities } from '../../activities/carrier-activities';
import type { DropShipActivities } from '../../activities/drop-ship-activities';
import type { SupplierAnswer } from '../../domain/drop-ship';
import type { Order } from '../../domain/order';
import { initialOrderState, type OrderState } from '../../domain/order-state';
import { flowIndex, FLOW, type FlowStatus, type FulfillmentEventType, type OrderStatus } from '../../domain/status';
import {
  DEFAULT_ORDER_SETTINGS,
  OrderLateKey,
  OrderStatusKey,
  type AllocationRejection,
  type CancelLinesRequest,
  type CancelRequest,
  type CarrierException,
  type ChannelEdit,
  type FulfillmentEvent,
  type HoldRequest,
  type OrderOutcome,
  type OrderSettings,
  type OrderWorkflowInput,
} from './api';
import { Parts, type PartRun } from './parts';
import {
  FEWER_PROJECTIONS,
  LIGHTER_HAPPY_PATH,
  MIXED_DROP_SHIP,
  ONE_HOLD_FOR_ALL_PARTS,
  PER_PART_CAPTURE,
  PRE_ORDERS,
  SERIAL_PROJECTIONS,
} from './patches';
import { isMixedOrder } from '../../domain/drop-ship';
import { isPreOrder } from '../../domain/preorder';
import type { Refusal } from './rules';
import { partCapture } from '../../domain/line-cancel';
import { describeLines } from '../../domain/backorder';

// Thrown at a checkpoint once a cancel was accepted; the workflow catches it and compensates.
export class OrderCancelled extends Error {}

export type PaymentDecision = { confirmed: true; reference?: string } | { confirmed: false; reason: string };

// What commands and notices asked for. Handlers only record intent; the phases act on it at their next
// checkpoint.
export interface Intents {
  cancel?: CancelRequest;
  hold?: HoldRequest;
  retry: boolean;
  stockChanged: boolean;
  payment?: PaymentDecision;
  rejection?: AllocationRejection;
  pickedUp: boolean;
  carrierException?: CarrierException;
  trackingChanged: boolean;
  edit?: ChannelEdit; // the newest channel edit not yet taken
  lineCancel?: PendingLineCancel; // accepted, applied at the main flow's next wait
  supplierAnswers?: SupplierAnswer[]; // drop-ship suppliers' answers not yet acted on, oldest first
  dropShipReroute?: { part: string; supplierId: string }; // accepted, taken by the part parked on its refusal
}

// A cancel of some lines, accepted and waiting to be applied; the Update answers once it is done or refused.
export interface PendingLineCancel {
  commandId: string;
  request: CancelLinesRequest;
  done?: boolean;
  refusal?: Refusal;
}

export interface StepOptions {
  cancellable?: boolean; // a cancel ends the parked step (default); compensations are not cancellable
  beforePark?: () => Promise<unknown>;
}

export interface WaitOptions {
  sla?: { stage: FlowStatus; ms: number }; // past this the order is marked late, and the wait goes on
  timeoutMs?: number; // past this the wait answers false
}

export class OrderRun {
  order: Order; // as captured, or as the channel last edited it (before picking)
  readonly settings: OrderSettings;
  readonly state: OrderState;
  readonly intents: Intents = { retry: false, stockChanged: false, pickedUp: false, trackingChanged: false };
  // Events reported for the whole order (no part named); each part's own are on the part.
  readonly reported = new Map<FulfillmentEventType, FulfillmentEvent>();
  readonly parts: Parts;
  // Undo steps for what succeeded, run in reverse when the order is cancelled.
  readonly compensations: Array<() => Promise<void>> = [];
  shippedAny = false; // from the first part that ships on, cancellation no longer applies
  // An exchange replacement's hold, applied once its stock is reserved, until the returned items are back.
  exchangeHold?: string;
  finished = false;
  fewerProjections = false;
  // Started since LIGHTER_HAPPY_PATH: transient statuses are not projected, the ERP push is skipped without ERPs.
  lighter = false;
  // A pre-order (started since the PRE_ORDERS patch): its claims are settled, and it waits for its release date.
  preorder = false;
  // An order mixing stocked and drop-shipped lines (started since the MIXED_DROP_SHIP patch): its stocked
  // and supplier parts run side by side.
  mixed = false;
  // A backordered order (since the BACKORDER_REJECTIONS patch): a part filled later may be rejected by its location.
  backorderRejections = false;
  // Such an order's status a side that did not park it asked for while the other side had it parked (or
  // held): taken when the order leaves needs_attention or on_hold.
  private deferred?: OrderStatus;
  // Work the main flow does at its next wait, before anything else (a partial cancel): only while it waits
  // is nothing of it in flight that the work would change under it.
  interject?: { due: () => boolean; run: () => Promise<void> };
  private serialProjections = false;
  private projecting: Promise<void> = Promise.resolve();

  readonly acts: ActivityInterfaceFor<OrderActivities & ChannelActivities & CarrierActivities & DropShipActivities>;
  // Drop-ship suppliers' event ids already taken (a resent webhook is signalled again).
  readonly supplierEventsSeen = new Set<string>();
  private readonly project: OrderActivities['recordOrderState'];
  // Short reads that run inside the workflow task (no activity task of their own).
  readonly local: Pick<ChannelActivities, 'erpConnectionCount'>;

  constructor(input: OrderWorkflowInput) {
    this.order = input.order;
    this.settings = {
      ...DEFAULT_ORDER_SETTINGS,
      ...input.settings,
      slaMs: { ...DEFAULT_ORDER_SETTINGS.slaMs, ...input.settings?.slaMs },
    };
    this.state = initialOrderState(this.order);
    if (input.channelUpdatedAt) this.state.channelUpdatedAt = input.channelUpdatedAt;
    if (input.exchange) {
      this.state.exchangeFor = input.exchange.returnId;
      if (input.exchange.holdUntilReceived) this.exchangeHold = `exchange: ships once the items of ${input.exchange.returnId} are back`;
    }
    this.parts = new Parts(this.state, this.reported);
    // Activities are database or provider calls, usually short. The worker heartbeats every running
    // activity (worker/order-worker.ts), so a dead worker's attempt is retried after 10 s without a
    // heartbeat, while a slow one (a store busy with a burst) may take minutes without failing: slow is
    // not broken. A label purchase may try several carriers, each with retries of its own, in the same 5 min.
    const quick: ActivityOptions = {
      startToCloseTimeout: '5m',
      heartbeatTimeout: '10s',
      retry: {
        initialInterval: this.settings.activityInitialIntervalMs,
        backoffCoefficient: 2,
        maximumInterval: '1m',
        maximumAttempts: this.settings.activityMaxAttempts,
      },
    };
    // The view must catch up eventually, however long MongoDB is away: retry without limit. A local
    // activity: it runs inside the workflow task that changed the state, which saves Temporal two task
    // round trips per status change; it is as durable (re-run after a crash) and the write is idempotent
    // (version-guarded).
    const projection: LocalActivityOptions = { startToCloseTimeout: '30s', retry: { initialInterval: '500ms', maximumInterval: '30s' } };
    this.acts = proxyActivities<OrderActivities & ChannelActivities & CarrierActivities & DropShipActivities>(quick);
    this.project = proxyLocalActivities<OrderActivities>(projection).recordOrderState;
    this.local = proxyLocalActivities<ChannelActivities>({ startToCloseTimeout: '30s', retry: quick.retry });
  }

  // The run's first moves: the status search attribute, the first projection (unless the capture wrote it
  // already) and the tracking projection beside the main flow.
  async start(): Promise<void> {
    this.fewerProjections = patched(FEWER_PROJECTIONS);
    this.serialProjections = patched(SERIAL_PROJECTIONS);
    this.lighter = patched(LIGHTER_HAPPY_PATH);
    // Asked only of pre-orders, so the histories of other orders carry no marker.
    this.preorder = isPreOrder(this.order) && patched(PRE_ORDERS);
    this.mixed = isMixedOrder(this.order) && patched(MIXED_DROP_SHIP);
    upsertSearchAttributes([{ key: OrderStatusKey, value: this.state.status }]);
    if (!this.fewerProjections) await this.publishAsIs();
    void this.projectTracking();
  }

  now(): string {
    return new Date().toISOString();
  }

  outcome(): OrderOutcome {
    return { orderId: this.order.id, status: this.state.status };
  }

  // Write the state into the view (the MongoDB projection), as the next version.
  async publish(): Promise<void> {
    this.state.version++;
    await this.write();
  }

  async publishAsIs(): Promise<void> {
    await this.write();
  }

  // One write at a time, each of the state as it was when asked for: while one local activity is out no
  // other starts, so the commands that follow each write come in the same order when the history replays.
  private write(): Promise<void> {
    if (!this.serialProjections) return this.project(this.order, this.state);
    const snapshot = JSON.parse(JSON.stringify(this.state)) as OrderState;
    const written = this.projecting.then(() => this.project(this.order, snapshot));
    this.projecting = written.catch(() => undefined);
    return written;
  }

  // `project: false` for a status the next change follows at once: the view gets both with that change.
  // Versions count projections, so they stay consecutive (the view's guard against stragglers needs that).
  async setStatus(status: OrderStatus, reason?: string, opts: { project?: boolean } = {}): Promise<void> {
    const { state } = this;
    if (this.mixed && this.parkedElsewhere(status)) return this.defer(status, reason, opts);
    state.status = status;
    if ((FLOW as readonly string[]).includes(status) && flowIndex(status as FlowStatus) > flowIndex(state.stage))
      state.stage = status as FlowStatus;
    state.history.push({ status, at: this.now(), ...(reason !== undefined && { reason }) });
    upsertSearchAttributes([{ key: OrderStatusKey, value: status }]);
    if (opts.project === false) return;
    await this.publish();
  }

  // A part's progress in the order's history without a status change (the status follows the slowest part).
  async noteProgress(reason: string): Promise<void> {
    this.state.history.push({ status: this.state.status, at: this.now(), reason });
    await this.publish();
  }

  async markLate(stage: FlowStatus, dueAt: string): Promise<void> {
    this.state.late = true;
    this.state.lateStages.push({ stage, dueAt });
    this.state.version++;
    upsertSearchAttributes([{ key: OrderLateKey, value: true }]);
    await this.publishAsIs();
  }

  // A part reached a stage. A one-part order's status is the part's; a split order's status follows its
  // slowest part, and the others' progress is noted in the history.
  async advance(part: PartRun, stage: FlowStatus, reason?: string): Promise<void> {
    if (!this.parts.listed) return this.setStatus(stage, reason);
    const { state } = this;
    const view = this.parts.view(part)!;
    if (flowIndex(stage) > flowIndex(view.stage)) view.stage = stage;
    const text = `part ${part.id} (${part.held.locationId}) ${stage}${reason ? `: ${reason}` : ''}`;
    const slowest = state.parts!.reduce<FlowStatus>((min, p) => (flowIndex(p.stage) < flowIndex(min) ? p.stage : min), 'completed');
    if (flowIndex(slowest) <= flowIndex(state.stage)) return this.noteProgress(text);
    // Every part is past the order's stage. During a hold or a failed step the status stays; the stage moves.
    if (!(FLOW as readonly string[]).includes(state.status)) {
      state.stage = slowest;
      return this.noteProgress(text);
    }
    const backordered = state.backorder?.lines.length ? `; still backordered: ${describeLines(state.backorder.lines)}` : '';
    await this.setStatus(slowest, `${text}; all ${this.parts.count} parts ${slowest}${backordered}`);
  }

  // The status to go back to after a hold or a failed step: where the order was, or further along the
  // flow if another part of a split order moved it on meanwhile (or, mixed, where the other side went).
  resumeStatus(was: OrderStatus): OrderStatus {
    const { stage } = this.state;
    const parked = was === 'needs_attention' || was === 'on_hold';
    const to = (!parked && this.deferred) || was;
    if (!parked) this.deferred = undefined;
    return (FLOW as readonly string[]).includes(to) && flowIndex(stage) > flowIndex(to as FlowStatus) ? stage : to;
  }

  // A mixed order parked (needs_attention) or held by one side: the other side's moves do not take the
  // status from the operator's view; they move the stage, are noted, and are taken when the order resumes.
  private parkedElsewhere(status: OrderStatus): boolean {
    const { state } = this;
    const parked = (state.status === 'needs_attention' && !!state.attention) || (state.status === 'on_hold' && !!state.hold);
    return parked && !['needs_attention', 'on_hold', 'cancelled', 'rejected', 'completed'].includes(status);
  }

  private async defer(status: OrderStatus, reason: string | undefined, opts: { project?: boolean }): Promise<void> {
    const { state } = this;
    if ((FLOW as readonly string[]).includes(status) && flowIndex(status as FlowStatus) > flowIndex(state.stage))
      state.stage = status as FlowStatus;
    if (this.deferred === status) return;
    this.deferred = status;
    state.history.push({ status: state.status, at: this.now(), reason: `${status}${reason !== undefined ? `: ${reason}` : ''}` });
    if (opts.project !== false) await this.publish();
  }

  // Hold pauses the order where it stands; release puts it back to the status it had.
  private async honourHold(): Promise<void> {
    const { intents } = this;
    if (!intents.hold || intents.cancel) return;
    // Another side of the order (a mixed order's supplier or stock side, another part of a split order)
    // holds it already: this side waits for the release too, and records nothing.
    if (this.state.hold && (this.mixed || patched(ONE_HOLD_FOR_ALL_PARTS))) {
      await condition(() => !intents.hold || !!intents.cancel);
      return;
    }
    const resumeTo = this.state.status;
    this.state.hold = { reason: intents.hold.reason, since: this.now() };
    await this.setStatus('on_hold', intents.hold.reason);
    await condition(() => !intents.hold || !!intents.cancel);
    this.state.hold = undefined;
    if (!intents.cancel) await this.setStatus(this.resumeStatus(resumeTo), 'released from hold');
  }

  // The explicit hold and cancel checkpoint between phases: a pending cancel ends the run here, a
  // pending hold pauses it here.
  async checkpoint(): Promise<void> {
    await this.waitUntil(() => true);
  }

  // Wait for pred while honouring hold and cancel; an SLA deadline marks the order late but keeps waiting.
  async waitUntil(pred: () => boolean, opts: WaitOptions = {}): Promise<boolean> {
    const { intents } = this;
    const started = Date.now();
    let slaDeadline = opts.sla ? started + opts.sla.ms : undefined;
    for (;;) {
      if (intents.cancel) throw new OrderCancelled();
      if (this.interject?.due()) {
        await this.interject.run();
        continue;
      }
      if (intents.hold) {
        await this.honourHold();
        continue;
      }
      if (pred()) return true;
      const deadlines = [slaDeadline, opts.timeoutMs !== undefined ? started + opts.timeoutMs : undefined].filter(
        (d): d is number => d !== undefined,
      );
      const wake = deadlines.length ? Math.max(1, Math.min(...deadlines) - Date.now()) : undefined;
      const wakeOn = () => pred() || !!intents.hold || !!intents.cancel || !!this.interject?.due();
      const woke = wake === undefined ? await condition(wakeOn) : await condition(wakeOn, wake);
      if (woke) continue;
      if (slaDeadline !== undefined && Date.now() >= slaDeadline) {
        await this.markLate(opts.sla!.stage, new Date(slaDeadline).toISOString());
        slaDeadline = undefined;
      }
      if (opts.timeoutMs !== undefined && Date.now() - started >= opts.timeoutMs) return false;
    }
  }

  // Park the order in needs_attention until an operator retries (true) or, where allowed, cancels (false).
  async park(stepName: string, error: string, reason: string, until: () => boolean): Promise<void> {
    this.state.attention = { step: stepName, error, since: this.now() };
    this.intents.retry = false;
    await this.setStatus('needs_attention', reason);
    await condition(() => this.intents.retry || until());
    this.state.attention = undefined;
  }

  // Run a side effect; when it fails past its retry policy, park the order in needs_attention until an
  // operator retries (or cancels) instead of failing the workflow.
  async step<T>(name: string, run: () => Promise<T>, opts: StepOptions = { cancellable: true }): Promise<T> {
    const { intents } = this;
    for (;;) {
      try {
        return await run();
      } catch (err) {
        if (!(err instanceof ActivityFailure)) throw err;
        const cause = err.cause;
        if (cause instanceof ApplicationFailure && cause.type === 'InvalidOrder') throw cause;
        // Best effort: a cancel and the reservations reconciliation cover what this could not do.
        if (opts.beforePark) await opts.beforePark().catch(() => undefined);
        const resumeTo = this.state.status;
        const error = cause?.message ?? err.message;
        await this.park(name, error, `${name} failed: ${error}`, () => opts.cancellable !== false && !!intents.cancel);
        if (!intents.retry && intents.cancel) throw new OrderCancelled();
        intents.retry = false;
        await this.setStatus(this.resumeStatus(resumeTo), `retrying ${name}`);
      }
    }
  }

  async reject(reason: string, details?: unknown): Promise<OrderOutcome> {
    // A rejected pre-order gives its claims on inbound stock back.
    if (this.preorder)
      await this.step('settle_preorder_claims', () => this.acts.settlePreorderClaims(this.order, 'cancelled'), { cancellable: false });
    this.state.rejection = { reason, ...(details !== undefined && { details }) };
    await this.setStatus('rejected', reason);
    return this.outcome();
  }

  // Register an undo step; the returned function withdraws it (the thing it undoes was given back).
  owe(undo: () => Promise<void>): () => void {
    this.compensations.push(undo);
    return () => {
      const at = this.compensations.indexOf(undo);
      if (at >= 0) this.compensations.splice(at, 1);
    };
  }

  // Capture the payment once, however many parts ship (orders started before per-part capture, one-part
  // orders and pickups).
  private capture?: Promise<void>;
  captureOnce(): Promise<void> {
    return (this.capture ??= (async () => {
      const amount = this.order.totals.total;
      const captured = await this.step('capture_payment', () => this.acts.capturePayment(this.order), { cancellable: false });
      this.state.payment = {
        ...this.state.payment,
        status: 'captured',
        captured: amount,
        reference: captured.reference ?? this.state.payment.reference,
      };
    })());
  }

  // A part that ships captures its own amount (domain/line-cancel.ts partCapture: its lines' money and its
  // share of shipping and order discounts; the last part what is left of the total), under its own key.
  // The payment is captured when every part has.
  private partCaptures = new Map<string, Promise<void>>();
  private committedCapture = 0;
  private finishedCaptures = 0;
  capturePart(part: PartRun): Promise<void> {
    if (!this.parts.listed || !patched(PER_PART_CAPTURE)) return this.captureOnce();
    const started = this.partCaptures.get(part.id);
    if (started) return started;
    // A backordered order's last part is one filled when nothing is backordered any more; a mixed order's
    // is not a supplier's while its stocked lines are not held yet (their part follows).
    const stockToCome = this.mixed && this.parts.stock.length === 0;
    const last = this.partCaptures.size === this.parts.count - 1 && !this.state.backorder?.lines.length && !stockToCome;
    const amount = partCapture(this.order, part.held.lines ?? [], { capturedSoFar: this.committedCapture, last });
    this.committedCapture += amount;
    const capturing = (async () => {
      const captured = await this.step('capture_payment', () => this.acts.capturePayment(this.order, { id: part.id, amount }), {
        cancellable: false,
      });
      const view = this.parts.view(part);
      if (view) view.captured = amount;
      const all =
        ++this.finishedCaptures === this.parts.count &&
        !this.state.backorder?.lines.length &&
        !(this.mixed && this.parts.stock.length === 0);
      this.state.payment = {
        ...this.state.payment,
        captured: (this.state.payment.captured ?? 0) + amount,
        reference: captured.reference ?? this.state.payment.reference,
        ...(all && { status: 'captured' as const }),
      };
    })();
    this.partCaptures.set(part.id, capturing);
    return capturing;
  }

  // A backordered order whose last backordered units were cancelled after every part had captured: the rest
  // of the total (their parts' share of the shipping) is captured once, as part "rest".
  async captureRemainder(): Promise<void> {
    const { payment } = this.state;
    if (!this.state.backorder || payment.status !== 'authorized' || this.finishedCaptures !== this.parts.count) return;
    const amount = this.order.totals.total - (payment.captured ?? 0);
    if (amount <= 0 || (payment.method !== 'prepaid' && payment.method !== 'invoice')) return;
    const captured = await this.step('capture_payment', () => this.acts.capturePayment(this.order, { id: 'rest', amount }), {
      cancellable: false,
    });
    this.state.payment = {
      ...this.state.payment,
      status: 'captured',
      captured: (payment.captured ?? 0) + amount,
      reference: captured.reference ?? payment.reference,
    };
  }

  // What giving the money back concerns: what was captured less refunds, or what is still authorised.
  returnableAmount(): number | undefined {
    const p = this.state.payment;
    if (p.status === 'captured') return p.captured === undefined ? undefined : p.captured - (p.refunded ?? 0);
    return p.amount;
  }

  // Tracking scans are written into the view beside the main flow, as they come, until the run ends.
  async projectTracking(): Promise<void> {
    for (;;) {
      await condition(() => this.intents.trackingChanged || this.finished);
      if (!this.intents.trackingChanged) return;
      this.intents.trackingChanged = false;
      await this.publish();
    }
  }
}
