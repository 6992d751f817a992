// How the order answers the outside world: its query, its commands as Updates (validated by the rules,
// answered once the order has acted on them) and the same commands as signals (kept for orders started
// before the Updates existed and for the worker's own senders; a signal the order cannot take is dropped).
import type { UpdateDefinition } from '@temporalio/common';
import { ApplicationFailure, condition, setHandler } from '@temporalio/workflow';
import type { OrderState } from '../../domain/order-state';
import { canCancel, FULFILLMENT_EVENTS, flowIndex, isTerminal } from '../../domain/status';
import {
  cancelOrderSignal,
  cancelOrderUpdate,
  carrierExceptionSignal,
  COMMAND_REFUSED,
  confirmPaymentSignal,
  confirmPaymentUpdate,
  declinePaymentSignal,
  declinePaymentUpdate,
  fulfillmentEventSignal,
  fulfillmentEventUpdate,
  holdOrderSignal,
  holdOrderUpdate,
  INVALID_COMMAND,
  orderStatusQuery,
  pickupConfirmedSignal,
  pickupConfirmedUpdate,
  rejectAllocationSignal,
  rejectAllocationUpdate,
  releaseOrderSignal,
  exchangeItemsReceivedSignal,
  releaseOrderUpdate,
  retryOrderSignal,
  retryOrderUpdate,
  rerouteDropShipUpdate,
  stockChangedSignal,
  trackingUpdateSignal,
  supplierAnswerSignal,
  type AllocationRejection,
  type CancelRequest,
  type FulfillmentEvent,
} from './api';
import type { OrderRun } from './order-run';
import { isDropShipOrder, SUPPLIER_EVENT_TYPES } from '../../domain/drop-ship';
import {
  allocationRejectionRefusal,
  cancelRefusal,
  dropShipRerouteRefusal,
  filledPartRejected,
  fulfillmentEventRefusal,
  holdRefusal,
  paymentDecisionRefusal,
  pickupRefusal,
  releaseRefusal,
  retryRefusal,
  type OrderFacts,
  type Refusal,
} from './rules';

// ---- What each command does to the run's intents (shared by its Update and its signal) -----------------

function requestCancel(run: OrderRun, req: Partial<CancelRequest> | undefined): void {
  run.intents.cancel ??= { reason: req?.reason || 'cancelled by operator', ...(req?.source && { source: req.source }) };
}

function recordRejection(run: OrderRun, r: AllocationRejection): void {
  const later = filledPartRejected(facts(run), r);
  if (later && 'part' in later) {
    run.intents.rejection ??= { ...r, locationId: later.part.held.locationId, part: later.part.id };
    return;
  }
  const at = run.parts.at(r.locationId);
  if (at) run.intents.rejection ??= { ...r, locationId: at.held.locationId };
}

function recordEvent(run: OrderRun, event: FulfillmentEvent): void {
  const part = event.part === undefined ? undefined : run.parts.find(event.part);
  if (part) part.reported.set(event.type, event);
  else if (event.part === undefined) run.reported.set(event.type, event);
}

// ---- Signals: lenient, as they always were (their effect on running orders must not change) ------------

function registerSignals(run: OrderRun): void {
  const { state, intents, parts } = run;
  setHandler(cancelOrderSignal, (req) => {
    if (!isTerminal(state.status) && canCancel(state.stage) && !run.shippedAny) requestCancel(run, req);
  });
  setHandler(holdOrderSignal, (req) => {
    if (!isTerminal(state.status)) intents.hold = { reason: req?.reason || 'held by operator' };
  });
  setHandler(exchangeItemsReceivedSignal, () => {
    if (intents.hold && intents.hold.reason === run.exchangeHold) intents.hold = undefined;
    run.exchangeHold = undefined;
  });
  setHandler(releaseOrderSignal, () => {
    intents.hold = undefined;
  });
  setHandler(retryOrderSignal, () => {
    intents.retry = true;
  });
  setHandler(stockChangedSignal, () => {
    intents.stockChanged = true;
  });
  setHandler(rejectAllocationSignal, (r) => {
    if (!r || (r.reason !== 'not_in_stock' && r.reason !== 'damaged') || parts.stock.length === 0 || isTerminal(state.status)) return;
    if (flowIndex(state.stage) >= flowIndex('picked') || parts.anyReached('picked')) return;
    recordRejection(run, r);
  });
  setHandler(pickupConfirmedSignal, () => {
    if (state.status === 'ready_for_pickup' || state.stage === 'ready_for_pickup') intents.pickedUp = true;
  });
  setHandler(trackingUpdateSignal, (update) => {
    if (!update?.trackingNumber || !update.status || !update.at) return;
    const list = state.tracking ?? [];
    const known = list.find((t) => t.trackingNumber === update.trackingNumber);
    if (known && Date.parse(known.at) > Date.parse(update.at)) return; // an older scan arriving late (times as instants, not strings)
    state.tracking = known ? list.map((t) => (t === known ? update : t)) : [...list, update].slice(-100);
    intents.trackingChanged = true;
  });
  setHandler(supplierAnswerSignal, (answer) => {
    if (!answer?.purchaseOrderId || !answer.eventId || !SUPPLIER_EVENT_TYPES.includes(answer.type) || isTerminal(state.status)) return;
    const key = `${answer.purchaseOrderId}|${answer.eventId}`;
    if (run.supplierEventsSeen.has(key)) return;
    run.supplierEventsSeen.add(key);
    (intents.supplierAnswers ??= []).push(answer);
  });
  setHandler(carrierExceptionSignal, (ex) => {
    if (ex?.message && !isTerminal(state.status)) intents.carrierException ??= ex;
  });
  setHandler(confirmPaymentSignal, (req) => {
    intents.payment ??= { confirmed: true, ...(req?.reference !== undefined && { reference: req.reference }) };
  });
  setHandler(declinePaymentSignal, (req) => {
    intents.payment ??= { confirmed: false, reason: req?.reason || 'payment declined by operator' };
  });
  setHandler(fulfillmentEventSignal, (event) => {
    if (!event || !FULFILLMENT_EVENTS.includes(event.type)) return;
    if (event.type === 'shipped' && (!event.carrier || !event.trackingNumber)) return;
    if (isTerminal(state.status) || run.reported.has(event.type)) return;
    if (event.part !== undefined) {
      const part = parts.find(event.part);
      if (!part || part.reported.has(event.type)) return;
      if (event.type === 'delivered' && !parts.reportedFor(part, 'shipped')) return;
      recordEvent(run, event);
      return;
    }
    const allShipped = parts.count > 0 && parts.list.every((r) => !!parts.reportedFor(r, 'shipped'));
    if (event.type === 'delivered' && !run.reported.has('shipped') && !allShipped && flowIndex(state.stage) < flowIndex('shipped')) return;
    recordEvent(run, event);
  });
}

// ---- Updates: validated by the rules, answered with the state once the order has acted -----------------

export function facts(run: OrderRun): OrderFacts {
  return {
    state: run.state,
    parts: run.parts,
    intents: run.intents,
    shippedAny: run.shippedAny,
    fulfillmentMethod: run.order.fulfillment?.method === 'pickup' ? 'pickup' : 'ship',
    orderLines: run.order.lines,
    orderEvents: run.reported,
    ...(isDropShipOrder(run.order) && { dropShip: true }),
    ...(run.backorderRejections && { backorderRejections: true }),
  };
}

export function refuse(refusal: Refusal | undefined): void {
  if (!refusal) return;
  throw ApplicationFailure.create({
    type: refusal.kind === 'invalid' ? INVALID_COMMAND : COMMAND_REFUSED,
    message: refusal.message,
    nonRetryable: true,
    ...(refusal.details && { details: [refusal.details] }),
  });
}

function registerUpdates(run: OrderRun): void {
  const { state, intents } = run;
  // Answer once settled() holds (the order acted on the command) or the order has ended.
  const answer = async (settled: () => boolean): Promise<OrderState> => {
    await condition(() => settled() || isTerminal(state.status));
    return state;
  };
  const command = <Args extends unknown[]>(
    def: UpdateDefinition<OrderState, Args>,
    refusal: (...args: NoInfer<Args>) => Refusal | undefined,
    apply: (...args: NoInfer<Args>) => () => boolean,
  ) =>
    setHandler(def, (...args: Args) => answer(apply(...args)), {
      validator: (...args: Args) => refuse(refusal(...args)),
    });
  const parked = () => state.status === 'on_hold' || state.status === 'needs_attention';
  const moved = () => {
    const before = state.version;
    return () => state.version > before || parked();
  };

  command(
    cancelOrderUpdate,
    () => cancelRefusal(facts(run)),
    (req) => {
      requestCancel(run, req);
      return () => false; // answered when cancelled (the compensations ran)
    },
  );
  command(
    holdOrderUpdate,
    () => holdRefusal(facts(run)),
    (req) => {
      intents.hold = { reason: req?.reason || 'held by operator' };
      return () => state.status === 'on_hold' || !intents.hold || !!intents.cancel;
    },
  );
  command(
    releaseOrderUpdate,
    () => releaseRefusal(facts(run)),
    () => {
      intents.hold = undefined;
      return () => state.status !== 'on_hold';
    },
  );
  command(
    retryOrderUpdate,
    () => retryRefusal(facts(run)),
    () => {
      intents.retry = true;
      return () => state.status !== 'needs_attention';
    },
  );
  command(
    fulfillmentEventUpdate,
    (event) => fulfillmentEventRefusal(facts(run), event),
    (event) => {
      const settled = moved();
      recordEvent(run, event);
      return settled;
    },
  );
  command(
    confirmPaymentUpdate,
    () => paymentDecisionRefusal(facts(run)),
    (req) => {
      intents.payment = { confirmed: true, ...(req?.reference !== undefined && { reference: req.reference }) };
      return () => state.status !== 'awaiting_payment';
    },
  );
  command(
    declinePaymentUpdate,
    () => paymentDecisionRefusal(facts(run)),
    (req) => {
      intents.payment = { confirmed: false, reason: req?.reason || 'payment declined by operator' };
      return () => state.status !== 'awaiting_payment';
    },
  );
  command(
    rejectAllocationUpdate,
    (r) => allocationRejectionRefusal(facts(run), r),
    (r) => {
      const settled = moved();
      recordRejection(run, r);
      return settled;
    },
  );
  command(
    rerouteDropShipUpdate,
    (r) => dropShipRerouteRefusal(facts(run), r),
    (r) => {
      intents.dropShipReroute = { part: r.part ?? '1', supplierId: r.supplierId };
      return () => state.status !== 'needs_attention';
    },
  );
  command(
    pickupConfirmedUpdate,
    () => pickupRefusal(facts(run)),
    () => {
      intents.pickedUp = true;
      return () => state.status !== 'ready_for_pickup';
    },
  );
}

export function registerCommands(run: OrderRun): void {
  setHandler(orderStatusQuery, () => run.state);
  registerSignals(run);
  registerUpdates(run);
}
