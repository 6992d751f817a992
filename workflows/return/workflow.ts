// A return, from request to money back (or a replacement), as one durable workflow: return:<orderId>:<n>.
// requested → approved | rejected → awaiting_items → received → inspected → refunded | exchanged | closed;
// a step that fails past its retries parks the return in needs_attention until an operator retries it,
// as orders do; before the items arrive it can be cancelled.
import {
  ActivityFailure,
  ApplicationFailure,
  condition,
  getExternalWorkflowHandle,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { ReturnActivities } from '../../activities/return-activities';
import type { ChannelActivities } from '../../activities/channel-activities';
import type { CarrierActivities } from '../../activities/carrier-activities';
import { refundFor } from '../../domain/refund';
import type { Inspection, ReturnState, ReturnStatus } from '../../domain/returns';
import { cancelOrderSignal, COMMAND_REFUSED, exchangeItemsReceivedSignal, INVALID_COMMAND, OrderStatusKey } from '../order/api';
import {
  attachReturnLabelUpdate,
  cancelReturnUpdate,
  channelRefundSignal,
  decideReturnUpdate,
  inspectReturnUpdate,
  receiveReturnUpdate,
  retryReturnUpdate,
  returnStateQuery,
  returnTrackingSignal,
  type CancelReturnRequest,
  type InspectRequest,
  type ReceiveRequest,
  type ReturnOutcome,
  type ReturnWorkflowInput,
  type ReviewDecision,
} from './api';

type ReturnActs = ReturnActivities &
  Pick<ChannelActivities, 'reportRefundToChannel'> &
  Pick<CarrierActivities, 'buyReturnLabel' | 'trackReturnParcel' | 'voidReturnLabel'>;
// Activities are database or provider calls; the worker heartbeats each (a dead worker's attempt is retried
// after 10 s). Retries as the input's settings say (the order settings the API runs with).
const activitiesFor = (settings: ReturnWorkflowInput['settings']) =>
  proxyActivities<ReturnActs>({
    startToCloseTimeout: '5m',
    heartbeatTimeout: '10s',
    retry: {
      initialInterval: settings?.activityInitialIntervalMs ?? 1_000,
      backoffCoefficient: 2,
      maximumInterval: '1m',
      maximumAttempts: settings?.activityMaxAttempts ?? 5,
    },
  });
const { recordReturnState } = proxyLocalActivities<ReturnActivities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '500ms', maximumInterval: '30s' },
});

class ReturnCancelled extends Error {}

const refuse = (message: string) => ApplicationFailure.create({ type: COMMAND_REFUSED, message, nonRetryable: true });
const invalid = (message: string, problems: { path: string; message: string }[]) =>
  ApplicationFailure.create({ type: INVALID_COMMAND, message, details: [{ problems }], nonRetryable: true });

// Per sku, the units in a list of lines.
const unitsBySku = (lines: { sku: string; quantity: number }[]) => {
  const out = new Map<string, number>();
  for (const l of lines) out.set(l.sku, (out.get(l.sku) ?? 0) + l.quantity);
  return out;
};

// An inspection must decide every received unit, once: per sku the dispositions add up to what was scanned.
function inspectionProblems(received: { sku: string; quantity: number }[], inspection: Inspection) {
  const problems: { path: string; message: string }[] = [];
  const got = unitsBySku(received);
  const decided = unitsBySku(inspection.lines);
  inspection.lines.forEach((l, i) => {
    if (!got.has(l.sku)) problems.push({ path: `lines.${i}.sku`, message: `${l.sku} was not received on this return` });
    if (l.disposition === 'scrap' && !l.reason)
      problems.push({ path: `lines.${i}.reason`, message: 'is required to scrap: why it is written off' });
  });
  for (const [sku, quantity] of got) {
    const d = decided.get(sku) ?? 0;
    if (d !== quantity)
      problems.push({ path: 'lines', message: `${sku}: ${d} unit(s) decided, ${quantity} received; decide each unit once` });
  }
  return problems;
}

class ReturnRun {
  readonly state: ReturnState;
  private decision?: ReviewDecision;
  private receipt?: ReceiveRequest;
  private inspection?: InspectRequest;
  private cancel?: CancelReturnRequest;
  private retry = false;

  readonly acts: ReturnActs;

  constructor(private readonly input: ReturnWorkflowInput) {
    this.state = input.state;
    this.acts = activitiesFor(input.settings);
  }

  now() {
    return new Date().toISOString();
  }

  async setStatus(status: ReturnStatus, reason?: string): Promise<void> {
    this.state.status = status;
    this.state.history.push({ status, at: this.now(), ...(reason !== undefined && { reason }) });
    upsertSearchAttributes([{ key: OrderStatusKey, value: status }]);
    await this.publish();
  }

  async publish(): Promise<void> {
    this.state.version++;
    await recordReturnState(this.state);
  }

  // Run a side effect; past its retries the return parks in needs_attention until an operator retries.
  async step<T>(name: string, run: () => Promise<T>): Promise<T> {
    for (;;) {
      try {
        return await run();
      } catch (err) {
        if (!(err instanceof ActivityFailure)) throw err;
        const error = err.cause?.message ?? err.message;
        const resumeTo = this.state.status;
        this.state.attention = { step: name, error, since: this.now() };
        this.retry = false;
        await this.setStatus('needs_attention', `${name} failed: ${error}`);
        await condition(() => this.retry);
        this.state.attention = undefined;
        await this.setStatus(resumeTo, `retrying ${name}`);
      }
    }
  }

  // The commands, each validated against the return as it stands now, answered once acted on.
  register(): void {
    const { state } = this;
    setHandler(returnStateQuery, () => state);
    setHandler(
      decideReturnUpdate,
      async (d) => {
        this.decision = d;
        await condition(() => state.status !== 'requested');
        return state;
      },
      {
        validator: (_decision) => {
          if (state.status !== 'requested' || this.decision)
            throw refuse(`Return ${state.returnId} is ${state.status}: there is nothing to decide`);
        },
      },
    );
    setHandler(
      receiveReturnUpdate,
      async (r) => {
        this.receipt = r;
        await condition(() => !!state.receipt && (!r.inspection || !!state.inspection) && state.status !== 'needs_attention');
        return state;
      },
      { validator: (r) => this.checkReceipt(r) },
    );
    setHandler(
      inspectReturnUpdate,
      async (i) => {
        this.inspection = i;
        await condition(() => !!state.inspection && state.status !== 'received');
        return state;
      },
      {
        validator: (i) => {
          if (state.status !== 'received' || this.inspection || this.receipt?.inspection)
            throw refuse(`Return ${state.returnId} is ${state.status}: only a received return waiting for inspection can be inspected`);
          const problems = inspectionProblems(state.receipt!.scanned, i);
          if (problems.length) throw invalid(`Invalid inspection: ${problems.length} problem(s)`, problems);
        },
      },
    );
    setHandler(
      cancelReturnUpdate,
      async (c) => {
        this.cancel = c;
        await condition(() => state.status === 'cancelled');
        return state;
      },
      {
        validator: (_cancel) => {
          if (!['requested', 'approved', 'awaiting_items'].includes(state.status) || this.receipt)
            throw refuse(`Return ${state.returnId} is ${state.status}: only a return whose items have not arrived can be cancelled`);
        },
      },
    );
    setHandler(
      retryReturnUpdate,
      async () => {
        this.retry = true;
        await condition(() => state.status !== 'needs_attention');
        return state;
      },
      {
        validator: (_retry) => {
          if (state.status !== 'needs_attention')
            throw refuse(`Return ${state.returnId} is ${state.status}, not needs_attention: nothing to retry`);
        },
      },
    );
    setHandler(
      attachReturnLabelUpdate,
      async (a) => {
        if (a.carrierConnectionId) await this.acts.trackReturnParcel(state.returnId, a.carrierConnectionId, a.trackingNumber);
        state.label = {
          source: 'attached',
          carrier: a.carrier,
          trackingNumber: a.trackingNumber,
          ...(a.carrierConnectionId && { carrierConnectionId: a.carrierConnectionId }),
          ...(a.trackingUrl && { trackingUrl: a.trackingUrl }),
        };
        state.history.push({
          status: state.status,
          at: this.now(),
          reason: `return parcel ${a.carrier} ${a.trackingNumber} entered by ${a.by}`,
        });
        await this.publish();
        return state;
      },
      {
        validator: (a) => {
          if (state.status !== 'awaiting_items' || this.receipt || this.cancel)
            throw refuse(`Return ${state.returnId} is ${state.status}: a parcel can be entered only while the return waits for its items`);
          if (state.label && !state.label.voided)
            throw refuse(`Return ${state.returnId} has a return label already (${state.label.carrier} ${state.label.trackingNumber})`);
          if (!a.trackingNumber) throw invalid('Invalid return label: 1 problem(s)', [{ path: 'trackingNumber', message: 'is required' }]);
        },
      },
    );
    setHandler(channelRefundSignal, (refund) => {
      state.channelRefund ??= refund;
    });
    // The carrier's scans of the parcel on its way back, newest last; a late or repeated scan changes nothing.
    setHandler(returnTrackingSignal, async (scan) => {
      if (state.label?.trackingNumber !== scan.trackingNumber) return;
      if (state.tracking && (state.tracking.at >= scan.at || state.tracking.status === 'delivered')) return;
      state.tracking = { status: scan.status, at: scan.at, ...(scan.detail && { detail: scan.detail }) };
      state.history.push({
        status: state.status,
        at: this.now(),
        reason: `return parcel ${scan.trackingNumber}: ${scan.status}${scan.detail ? ` (${scan.detail})` : ''}`,
      });
      await this.publish();
    });
  }

  private checkReceipt(r: ReceiveRequest): void {
    const { state } = this;
    if (!['approved', 'awaiting_items'].includes(state.status) || this.receipt || this.cancel)
      throw refuse(`Return ${state.returnId} is ${state.status}: only an approved return waiting for its items can be received`);
    const requested = unitsBySku(state.request.lines);
    const problems: { path: string; message: string }[] = [];
    const scanned = unitsBySku(r.scanned);
    r.scanned.forEach((l, i) => {
      const wanted = requested.get(l.sku);
      if (wanted === undefined) problems.push({ path: `scanned.${i}.sku`, message: `${l.sku} is not on this return` });
      else if ((scanned.get(l.sku) ?? 0) > wanted)
        problems.push({ path: `scanned.${i}.quantity`, message: `${scanned.get(l.sku)} scanned, but the return is for ${wanted}` });
    });
    if (!problems.length && r.inspection)
      problems.push(...inspectionProblems(r.scanned, r.inspection).map((p) => ({ ...p, path: `inspection.${p.path}` })));
    if (problems.length) throw invalid(`Invalid receipt: ${problems.length} problem(s)`, problems);
  }

  // Wait for pred, or a cancel (which ends the return).
  async waitFor(pred: () => boolean): Promise<void> {
    await condition(() => pred() || !!this.cancel);
    if (this.cancel && !pred()) throw new ReturnCancelled();
  }

  async run(): Promise<ReturnOutcome> {
    const { state, input } = this;
    const { order } = input;
    await this.publish();
    try {
      if (state.decision.outcome === 'review') {
        await this.waitFor(() => !!this.decision);
        const d = this.decision!;
        state.decision = d.approve
          ? { outcome: 'approved', rule: 'operator_approved', why: d.reason ?? 'approved on review', at: this.now(), by: d.by }
          : { outcome: 'refused', rule: 'operator_rejected', why: d.reason ?? 'rejected on review', at: this.now(), by: d.by };
        if (!d.approve) {
          await this.setStatus('rejected', `rejected by ${d.by}${d.reason ? `: ${d.reason}` : ''}`);
          return this.outcome();
        }
      }
      await this.setStatus('approved', state.decision.why);
      // A return label through the carrier rules, when the policy issues one; a channel's return brings its own.
      if (state.expectItems && state.source !== 'channel' && input.policy.returnLabel === 'carrier') await this.issueLabel();
      await this.step('notify_customer', () =>
        this.acts.notifyReturn(order, state.returnId, state.n, 'return_approved', {
          returnId: state.returnId,
          resolution: state.request.resolution,
          ...(state.label && { carrier: state.label.carrier, trackingNumber: state.label.trackingNumber }),
          ...(state.label?.labelUrl && { labelUrl: state.label.labelUrl }),
        }),
      );
      if (state.request.resolution === 'exchange' && state.expectItems) await this.placeExchange();
      if (!state.expectItems) {
        await this.settle();
        return this.outcome();
      }
      await this.setStatus('awaiting_items');
      await this.waitFor(() => !!this.receipt);
    } catch (err) {
      if (!(err instanceof ReturnCancelled)) throw err;
      // An unused return label is voided (refunded by the carrier).
      if (state.label?.source === 'bought' && !state.label.voided) {
        const voided = await this.step('void_return_label', () => this.acts.voidReturnLabel(state.returnId));
        if (voided.status !== 'none') state.label.voided = { status: voided.status, ...(voided.detail && { detail: voided.detail }) };
      }
      // The replacement was only for these items: it is cancelled with them.
      if (state.exchange)
        await getExternalWorkflowHandle(state.exchange.orderId).signal(cancelOrderSignal, {
          reason: `return ${state.returnId} was cancelled`,
        });
      await this.setStatus('cancelled', `cancelled by ${this.cancel!.by}${this.cancel!.reason ? `: ${this.cancel!.reason}` : ''}`);
      return this.outcome();
    }
    await this.receive();
    await this.inspect();
    await this.settle();
    return this.outcome();
  }

  private async issueLabel(): Promise<void> {
    const { state } = this;
    const outcome = await this.step('return_label', () => this.acts.buyReturnLabel(state.returnId, state.orderId, state.request.lines));
    if (outcome.bought) {
      const { label } = outcome;
      state.label = {
        source: 'bought',
        carrier: label.carrier,
        service: label.service,
        trackingNumber: label.trackingNumber,
        carrierConnectionId: outcome.carrierConnectionId,
        ...(label.labelUrl && { labelUrl: label.labelUrl }),
        ...(label.trackingUrl && { trackingUrl: label.trackingUrl }),
        ...(label.price && { price: label.price }),
      };
    }
    const reason = outcome.bought
      ? `return label ${outcome.label.carrier} ${outcome.label.service} ${outcome.label.trackingNumber} (${outcome.explanation.join('; ')})`
      : `no return label: ${outcome.reason}; the customer sends the items another way (POST /returns/:id/label enters its tracking number)`;
    state.history.push({ status: state.status, at: this.now(), reason });
    await this.publish();
  }

  private async receive(): Promise<void> {
    const { state, input } = this;
    const r = this.receipt!;
    state.receipt = { locationId: r.locationId, scanned: r.scanned, ...(r.note && { note: r.note }), at: this.now(), by: r.by };
    const units = r.scanned.reduce((s, l) => s + l.quantity, 0);
    await this.setStatus('received', `${units} unit(s) received at ${r.locationId} by ${r.by}`);
    if (state.exchange?.held) await getExternalWorkflowHandle(state.exchange.orderId).signal(exchangeItemsReceivedSignal);
    await this.step('notify_customer', () =>
      this.acts.notifyReturn(input.order, state.returnId, state.n, 'return_received', {
        returnId: state.returnId,
        locationId: r.locationId,
      }),
    );
  }

  private async inspect(): Promise<void> {
    const { state } = this;
    const decided = this.receipt!.inspection ? { ...this.receipt!.inspection, by: this.receipt!.by } : undefined;
    if (!decided) await condition(() => !!this.inspection);
    const inspection = decided ?? this.inspection!;
    const locationId = state.receipt!.locationId;
    for (const [i, line] of inspection.lines.entries())
      await this.step('apply_disposition', () => this.acts.applyDisposition(state.returnId, locationId, line, i));
    state.inspection = { lines: inspection.lines, at: this.now(), by: inspection.by };
    const summary = inspection.lines.map((l) => `${l.sku} ×${l.quantity} ${l.disposition}`).join(', ');
    await this.setStatus('inspected', summary);
  }

  // The money back (to the original payment, or as store credit) for what came back: nothing moves when
  // the channel refunded the customer itself.
  private async settle(): Promise<void> {
    const { state, input } = this;
    const { order, policy } = input;
    const back = state.receipt?.scanned ?? state.request.lines;
    const units = back.reduce((s, l) => s + l.quantity, 0);
    const pricing = { lines: order.lines, shipping: order.shipping, captured: Number.MAX_SAFE_INTEGER, refunded: 0 };
    const priced = refundFor(policy, pricing, back, units === order.deliveredUnits);
    if (state.exchange && !state.channelRefund)
      return this.settleExchange(refundFor({ ...policy, restockingFeeBasisPoints: 0 }, pricing, back, false).total);
    if (state.channelRefund) return this.recordChannelRefund(priced);
    const method = state.request.resolution === 'store_credit' ? 'store_credit' : 'original_payment';
    const outcome = await this.step(method === 'store_credit' ? 'issue_credit_note' : 'refund_payment', () =>
      method === 'store_credit'
        ? this.acts.issueCreditNote(state.returnId, state.n, order, priced.total)
        : this.acts.refundReturn(state.returnId, order, priced.total),
    );
    state.refund = {
      ...priced,
      total: outcome.granted,
      currency: order.currency,
      method,
      status: outcome.status === 'credited' ? 'credited' : 'refunded',
      ...(outcome.reference && { reference: outcome.reference }),
      at: this.now(),
    };
    if (outcome.status === 'credited')
      state.creditNote = { number: outcome.reference!, amount: outcome.granted, currency: order.currency, issuedAt: this.now() };
    // Nothing left of the capture to give back (earlier refunds took it): the return closes without money.
    if (outcome.granted === 0 && priced.total > 0) {
      await this.setStatus(
        'closed',
        `nothing refunded: the order's capture was refunded already (${priced.total} ${order.currency} asked)`,
      );
      return;
    }
    const capped = outcome.granted < priced.total ? ` (capped from ${priced.total}: the rest of the capture was refunded already)` : '';
    await this.setStatus(
      'refunded',
      `${method === 'store_credit' ? 'store credit' : 'refunded'} ${outcome.granted} ${order.currency}${capped}`,
    );
    if (method === 'original_payment' && outcome.granted > 0) {
      state.refund.channel = await this.step('channel_refund', () =>
        this.acts.reportRefundToChannel(order.channel, {
          returnId: state.returnId,
          channelOrderId: order.channelOrderId,
          lines: back.map((l) => ({ sku: l.sku, quantity: l.quantity })),
          amount: outcome.granted,
          currency: order.currency,
          ...(priced.shipping > 0 && { shipping: { amount: priced.shipping } }),
          note: `Orderhub return ${state.returnId}`,
        }),
      );
      await this.publish();
    }
    await this.notifyRefunded(outcome.granted, method);
  }

  // The replacement, placed as soon as the exchange is approved so that its stock is reserved at once; it
  // ships once the items are back unless the policy trusts the customer.
  private async placeExchange(): Promise<void> {
    const { state, input } = this;
    const wanted = state.request.exchangeLines ?? [];
    const returned = state.request.lines;
    // No restocking fee on an exchange: the goods come back to be sold again, and the customer stays.
    const returnedValue = refundFor(
      { ...input.policy, restockingFeeBasisPoints: 0 },
      { lines: input.order.lines, shipping: input.order.shipping, captured: Number.MAX_SAFE_INTEGER, refunded: 0 },
      returned,
      false,
    ).total;
    const held = !input.policy.trustExchanges;
    const placed = await this.step('create_exchange_order', () =>
      this.acts.createExchangeOrder(state.returnId, state.n, state.orderId, returned, wanted, returnedValue, held),
    );
    state.exchangeOrderId = placed.orderId;
    state.exchange = { orderId: placed.orderId, value: placed.value, credit: placed.credit, toPay: placed.toPay, held };
    const pays = placed.toPay > 0 ? `; the customer pays ${placed.toPay} ${input.order.currency} more` : '';
    state.history.push({
      status: state.status,
      at: this.now(),
      reason: `replacement ${placed.orderId} placed (${held ? 'ships once the items are back' : 'ships at once'})${pays}`,
    });
    await this.publish();
  }

  // The items are back: what the returned items were worth beyond the replacement goes back to the customer.
  private async settleExchange(returnedValue: number): Promise<void> {
    const { state, input } = this;
    const exchange = state.exchange!;
    const back = Math.max(0, returnedValue - exchange.value);
    if (back > 0) {
      const outcome = await this.step('refund_payment', () => this.acts.refundReturn(state.returnId, input.order, back));
      state.refund = {
        goods: back,
        tax: 0,
        shipping: 0,
        restockingFee: 0,
        total: outcome.granted,
        currency: input.order.currency,
        method: 'original_payment',
        status: 'refunded',
        ...(outcome.reference && { reference: outcome.reference }),
        at: this.now(),
      };
    }
    await this.setStatus(
      'exchanged',
      `replaced by ${exchange.orderId}${back > 0 ? `; ${state.refund!.total} ${input.order.currency} refunded, the difference in value` : ''}`,
    );
  }

  private async recordChannelRefund(priced: ReturnType<typeof refundFor>): Promise<void> {
    const { state, input } = this;
    const refund = state.channelRefund!;
    state.refund = {
      ...priced,
      total: refund.amount,
      currency: refund.currency,
      method: 'original_payment',
      status: 'refunded',
      reference: refund.channelRefundId,
      at: refund.at,
      channel: { status: 'refunded_at_channel' },
    };
    await this.setStatus(
      'refunded',
      `refunded ${refund.amount} ${refund.currency} at ${input.order.channel} (refund ${refund.channelRefundId})`,
    );
    await this.notifyRefunded(refund.amount, 'original_payment');
  }

  private async notifyRefunded(amount: number, method: string): Promise<void> {
    const { state, input } = this;
    await this.step('notify_customer', () =>
      this.acts.notifyReturn(input.order, state.returnId, state.n, 'return_refunded', {
        returnId: state.returnId,
        amount: String(amount),
        currency: input.order.currency,
        method,
      }),
    );
  }

  outcome(): ReturnOutcome {
    return { returnId: this.state.returnId, status: this.state.status };
  }
}

export async function returnWorkflow(input: ReturnWorkflowInput): Promise<ReturnOutcome> {
  const run = new ReturnRun(input);
  run.register();
  return run.run();
}
