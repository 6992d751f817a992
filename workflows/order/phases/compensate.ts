import { patched } from '@temporalio/workflow';
import type { OrderRun } from '../order-run';
import { RELEASE_ALL_STOCK } from '../patches';

// Cancelled: undo, in reverse order, what the steps that succeeded did (label voided, stock given back,
// payment voided or refunded), free whatever any reservation attempt still holds, and tell the channel
// (unless the channel itself cancelled).
export async function compensate(run: OrderRun): Promise<void> {
  const { acts, order, intents, state } = run;
  const reason = intents.cancel?.reason ?? 'cancelled';
  const fromChannel = intents.cancel?.source === 'channel';
  for (const undo of run.compensations.reverse()) await undo();
  // Whatever any reservation attempt still holds (one that timed out and was never heard of again).
  if (patched(RELEASE_ALL_STOCK))
    await run.step('release_stock', () => acts.releaseOrderStock(order, `order cancelled: ${reason}`), { cancellable: false });
  // A pre-order's claims on inbound stock go back to the next in line.
  if (run.preorder) await run.step('settle_preorder_claims', () => acts.settlePreorderClaims(order, 'cancelled'), { cancellable: false });
  const told = fromChannel
    ? undefined
    : await run.step('channel_cancellation', () => acts.reportCancellationToChannel(order, reason), { cancellable: false });
  state.cancellation = { reason, at: run.now(), ...(told?.notice && { channelNotice: told.notice }) };
  await run.setStatus('cancelled', reason);
}
