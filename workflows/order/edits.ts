// Order edits from the channel (Shopify orders/updated after an edit): the Update that hands one over, and
// how the order takes it. Before picking, the order takes the new contact, addresses and lines: an edit
// that changes the lines gives back the stock the order holds (as reserved for the order before the edit)
// and the order is routed and reserved again, so an added line is reserved, a removed one released and a
// quantity change follows, and nothing is oversold or leaked. From picking on, the order is left as it is
// and the change is recorded as a notice for an operator. Either way the history names what changed.
import { condition, patched, setHandler } from '@temporalio/workflow';
import type { Order } from '../../domain/order';
import { describeChanges, orderChanges, withEdit, type OrderChanges } from '../../domain/order-edit';
import { flowIndex, isTerminal } from '../../domain/status';
import { applyChannelEditUpdate, type ChannelEdit } from './api';
import { facts, refuse } from './commands';
import type { OrderRun } from './order-run';
import { CHANNEL_EDITS } from './patches';
import { channelEditRefusal } from './rules';

export function registerChannelEdits(run: OrderRun): void {
  const { state, intents } = run;
  setHandler(
    applyChannelEditUpdate,
    async (e: ChannelEdit) => {
      intents.edit = e; // a newer edit replaces one still waiting: the channel's copy is whole
      await condition(
        () => intents.edit !== e || state.status === 'on_hold' || state.status === 'needs_attention' || isTerminal(state.status),
      );
      return state;
    },
    { validator: (e: ChannelEdit) => refuse(channelEditRefusal(facts(run), e)) },
  );
}

// From picking on (any part picked) the order no longer changes.
export function pickedOrLater(run: OrderRun): boolean {
  return run.shippedAny || run.parts.anyReached('picked') || flowIndex(run.state.stage) >= flowIndex('picked');
}

export const editToTake = (run: OrderRun): boolean => !!run.intents.edit && !pickedOrLater(run);

// The edit's skus must all be in the catalogue. An unknown one parks the order in needs_attention naming
// it, with the order unchanged and its stock still held; a retry checks the newest edit waiting then.
// Returns the edit checked, if it is still the newest.
async function checkedEdit(run: OrderRun): Promise<ChannelEdit | undefined> {
  if (!patched(CHANNEL_EDITS)) return undefined;
  for (;;) {
    let checking: ChannelEdit | undefined;
    await run.step('validate_channel_edit', async () => {
      checking = run.intents.edit;
      if (checking) await run.acts.validateOrder(withEdit(run.order, checking.edit));
    });
    if (!checking || run.intents.edit === checking) return checking;
  }
}

// The order becomes the edited one; the amount to capture follows the new total unless the money was
// already taken (a paid channel order: the channel settles the difference with its customer). Returns the
// history text.
function take(run: OrderRun, e: ChannelEdit, edited: Order, changes: OrderChanges): string {
  const { state } = run;
  run.order = edited;
  state.channelUpdatedAt = e.channelUpdatedAt;
  if (run.intents.edit === e) run.intents.edit = undefined;
  const paid = state.payment.status === 'captured';
  if (!paid) state.payment.amount = edited.totals.total;
  const moneyNote = paid && changes.descriptions.some((d) => d.startsWith('total ')) ? '; payment already captured: amount unchanged' : '';
  return `channel edit: ${describeChanges(changes)}${moneyNote}`;
}

// Nothing reserved yet (before reserving, or waiting for stock): the edit is simply taken.
export async function takeEditBeforeReserving(run: OrderRun): Promise<void> {
  const e = await checkedEdit(run);
  if (!e) return;
  const edited = withEdit(run.order, e.edit);
  const changes = orderChanges(run.order, edited);
  const text = take(run, e, edited, changes);
  if (changes.descriptions.length) await run.noteProgress(text);
}

// Stock held and released to the warehouse, nothing picked. Contact and address changes are taken as
// they are; a change of lines gives every part's stock back and answers true: the order is routed again.
export async function takeEditWhileHolding(run: OrderRun, withdrawUndo: () => void): Promise<boolean> {
  const e = await checkedEdit(run);
  if (!e || pickedOrLater(run)) return false; // picked meanwhile: recorded as a notice instead
  const before = run.order;
  const edited = withEdit(before, e.edit);
  const changes = orderChanges(before, edited);
  if (changes.lines.length === 0) {
    const text = take(run, e, edited, changes);
    if (changes.descriptions.length) await run.noteProgress(text);
    return false;
  }
  const reason = `channel edit: ${describeChanges(changes)}`;
  for (const part of run.parts.stock)
    await run.step('release_stock', () => run.acts.releaseStock(before, part.held, reason), { cancellable: false });
  withdrawUndo();
  run.parts.drop();
  const text = take(run, e, edited, changes);
  await run.setStatus('awaiting_stock', `${text}; stock given back, routing again`);
  return true;
}

// Beside the main flow until the run ends: an edit that arrives once the order is picked is recorded as a
// notice, and the order carries on unchanged.
export async function noticeLateEdits(run: OrderRun): Promise<void> {
  const { state, intents } = run;
  for (;;) {
    await condition(() => (!!intents.edit && pickedOrLater(run)) || run.finished);
    const e = intents.edit;
    if (!e || run.finished || !patched(CHANNEL_EDITS)) return;
    intents.edit = undefined;
    state.channelUpdatedAt = e.channelUpdatedAt;
    const changes = orderChanges(run.order, withEdit(run.order, e.edit));
    if (changes.descriptions.length === 0) continue;
    const text = describeChanges(changes);
    const notice = {
      at: run.now(),
      source: 'channel' as const,
      message: `The channel changed the order after it was picked; the change was not applied: ${text}`,
      changes: changes.descriptions,
    };
    state.notices = [...(state.notices ?? []), notice].slice(-50);
    await run.noteProgress(`channel edit after picking, not applied: ${text}`);
  }
}
