import { ApplicationFailure } from '@temporalio/workflow';
import { isDropShipOrder } from '../../../domain/drop-ship';
import type { OrderRun } from '../order-run';

// 2. Payment: authorised by the provider, or (manual payments) confirmed or declined by an operator within
// the time allowed. From the first authorisation on, cancelling gives the money back (void or refund).
// False: the order was rejected and the run ends.
export async function pay(run: OrderRun): Promise<boolean> {
  const { acts, order, state, intents } = run;
  let auth = await run.step('authorize_payment', () => acts.authorizePayment(order));
  if (auth.status === 'declined') {
    state.payment.status = 'declined';
    await run.reject(`payment declined: ${auth.message}`);
    return false;
  }
  state.payment = { ...state.payment, status: auth.status === 'pending' ? 'pending' : state.payment.status, reference: auth.reference };
  const returnPayment = async () => {
    // The order as it is then: a channel edit may have changed the amount since the authorisation.
    // What is still authorised, or captured less refunds for cancelled lines.
    const amount = run.returnableAmount();
    const outcome = await run.step(
      'cancel_payment',
      () => acts.cancelPayment(run.order, state.payment.status, amount, state.payment.captured),
      {
        cancellable: false,
      },
    );
    if (outcome && (outcome.status === 'voided' || outcome.status === 'refunded')) state.payment.status = outcome.status;
  };
  run.owe(returnPayment);
  if (auth.status === 'pending') {
    await run.setStatus('awaiting_payment', auth.message);
    const decided = await run.waitUntil(() => intents.payment !== undefined, { timeoutMs: run.settings.paymentConfirmationTimeoutMs });
    const decision = intents.payment;
    if (!decided || !decision || !decision.confirmed) {
      await returnPayment();
      await run.reject(decision && !decision.confirmed ? decision.reason : 'payment was not confirmed in time');
      return false;
    }
    auth = await run.step('confirm_payment', () => acts.confirmPayment(order, decision.reference));
  }
  if (auth.status !== 'authorized' && auth.status !== 'captured')
    throw ApplicationFailure.nonRetryable(`Unexpected payment status ${auth.status}`, 'PaymentProtocol');
  state.payment = {
    ...state.payment,
    status: auth.status,
    reference: auth.reference,
    ...(auth.status === 'captured' && { captured: order.totals.total }), // already paid at the channel or till
    ...(auth.status === 'authorized' && auth.expiresAt && { authorizationExpiresAt: auth.expiresAt }),
  };
  // A drop-ship order waits here for its suppliers; any other goes on to reserve at once, and the view
  // shows this status only when something stops it here.
  await run.setStatus('payment_authorized', undefined, { project: !run.lighter || isDropShipOrder(run.order) });
  await run.checkpoint();
  return true;
}
