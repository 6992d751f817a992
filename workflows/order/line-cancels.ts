// Cancelling some lines or units of an order before they ship (the cancelOrderLines Update). The
// validator refuses what does not fit (rules.ts cancelLinesRefusal); an accepted cancel is applied at the
// main flow's next wait, where nothing of the flow is in flight: the order becomes the order with the
// quantities reduced, exactly the cancelled units are given back from the reservation holding them (which
// stays open for the rest), and their money is voided from the authorisation or, once captured, refunded
// through the refund ledger. The history and `cancelledLines` name what was cancelled.
import { condition, currentUpdateInfo, patched, setHandler, uuid4 } from '@temporalio/workflow';
import { withLinesCancelled } from '../../domain/line-cancel';
import type { LinesCancellation } from '../../domain/order-state';
import { isTerminal } from '../../domain/status';
import { cancelLinesUpdate, type CancelLinesRequest } from './api';
import { facts, refuse } from './commands';
import type { OrderRun, PendingLineCancel } from './order-run';
import { CANCEL_LINES, PREORDER_LINE_CANCELS } from './patches';
import { cancelLinesRefusal, planLineCancel } from './rules';

export function registerLineCancels(run: OrderRun): void {
  const { state, intents } = run;
  let applying = false;
  setHandler(
    cancelLinesUpdate,
    async (request: CancelLinesRequest) => {
      const pending: PendingLineCancel = { commandId: currentUpdateInfo()?.id ?? uuid4(), request };
      intents.lineCancel = pending;
      await condition(() => !!pending.done || !!pending.refusal || isTerminal(state.status) || state.status === 'needs_attention');
      if (pending.refusal) refuse(pending.refusal);
      if (!pending.done && isTerminal(state.status))
        refuse({ kind: 'refused', message: `Order ${state.orderId} ended (${state.status}) before the lines were cancelled` });
      return state;
    },
    { validator: (request: CancelLinesRequest) => refuse(cancelLinesRefusal(facts(run), request)) },
  );
  run.interject = {
    due: () => !applying && !!intents.lineCancel && !intents.lineCancel.done && !intents.lineCancel.refusal,
    run: async () => {
      applying = true;
      const pending = intents.lineCancel!;
      try {
        await applyLineCancel(run, pending);
      } finally {
        applying = false;
        if (intents.lineCancel === pending) intents.lineCancel = undefined;
      }
    },
  };
}

const listed = (lines: { sku: string; quantity: number }[]) => lines.map((l) => `${l.sku} ×${l.quantity}`).join(', ');

function reduce<L extends { sku: string; quantity: number }>(lines: L[], taking: { sku: string; quantity: number }[]): L[] {
  return lines
    .map((l) => ({ ...l, quantity: l.quantity - (taking.find((t) => t.sku === l.sku)?.quantity ?? 0) }))
    .filter((l) => l.quantity > 0);
}

async function applyLineCancel(run: OrderRun, pending: PendingLineCancel): Promise<void> {
  const { state } = run;
  // Checked again: the order may have moved on between the validator and this wait (a part picked).
  const refusal = cancelLinesRefusal({ ...facts(run), intents: { ...run.intents, lineCancel: undefined } }, pending.request);
  if (refusal || !patched(CANCEL_LINES)) {
    pending.refusal = refusal ?? { kind: 'refused', message: `Order ${state.orderId} cannot cancel lines` };
    return;
  }
  const reason = pending.request.reason || 'lines cancelled by operator';
  const plan = planLineCancel(facts(run), pending.request.lines);
  const cancelled = withLinesCancelled(run.order, pending.request.lines);
  // Taken at once, so that whatever the flow does next works with the reduced order.
  run.order = cancelled.order;
  const paid = state.payment.status === 'captured';
  if (!paid) state.payment.amount = cancelled.order.totals.total;
  const released: LinesCancellation['released'] = [];
  const earlier = state.cancelledLines ?? [];
  // Backordered units hold no stock: they simply stop waiting.
  if (state.backorder && plan.fromBackorder.length)
    state.backorder = { ...state.backorder, lines: reduce(state.backorder.lines, plan.fromBackorder) };
  for (const { run: part, lines } of plan.fromParts) {
    const held = part.held;
    // The n-th partial release of this reservation's line, so that a retry releases nothing twice.
    const numbered = lines.map((l) => ({
      ...l,
      n: 1 + earlier.reduce((c, e) => c + e.released.filter((r) => r.reservationId === held.reservationId && r.sku === l.sku).length, 0),
    }));
    if (held.lines) held.lines = reduce(held.lines, lines);
    const view = run.parts.view(part);
    if (view) view.lines = reduce(view.lines, lines);
    await run.step('release_stock', () => run.acts.releaseCancelledUnits(run.order, held, numbered, `lines cancelled: ${reason}`), {
      cancellable: false,
    });
    for (const l of lines)
      released.push({
        locationId: held.locationId,
        reservationId: held.reservationId,
        sku: l.sku,
        quantity: l.quantity,
        ...(run.parts.listed && { part: part.id }),
      });
  }
  // A pre-order's claims hold only what its lines still have (a claim already settled gives back nothing).
  if (run.preorder && patched(PREORDER_LINE_CANCELS))
    await run.step('reduce_preorder_claims', () => run.acts.reducePreorderClaims(run.order, cancelled.lines), { cancellable: false });
  const capturedAmount = state.payment.captured ?? state.payment.amount;
  const money = await run.step(
    'cancel_lines_payment',
    () =>
      run.acts.settleCancelledLines(run.order, { commandId: pending.commandId, amount: cancelled.amount, captured: paid, capturedAmount }),
    { cancellable: false },
  );
  if (money.kind === 'refunded') state.payment.refunded = (state.payment.refunded ?? 0) + money.amount;
  const entry: LinesCancellation = {
    commandId: pending.commandId,
    at: run.now(),
    reason,
    lines: cancelled.lines,
    released,
    amount: cancelled.amount,
    money,
  };
  state.cancelledLines = [...earlier, entry];
  // Waiting for stock with nothing held: fewer units may fit now, so the next attempt comes at once.
  if (run.parts.count === 0) run.intents.stockChanged = true;
  const where = released.length ? `; stock given back at ${[...new Set(released.map((r) => r.locationId))].join(', ')}` : '';
  const moneyNote = money.kind === 'none' ? '' : `; ${money.amount} ${state.payment.currency} ${money.kind}`;
  await run.noteProgress(`lines cancelled: ${listed(cancelled.lines)} (${reason})${where}${moneyNote}`);
  const details = {
    items: listed(cancelled.lines),
    reason,
    ...(money.kind !== 'none' && { [money.kind]: `${money.amount} ${state.payment.currency}` }),
  };
  const n = state.cancelledLines.length;
  await run.step('notify_customer', () => run.acts.notifyCustomer(run.order, 'lines_cancelled', details, undefined, n), {
    cancellable: false,
  });
  pending.done = true;
}
