import { ApplicationFailure } from '@temporalio/workflow';
import { withEdit } from '../../../domain/order-edit';
import { editToTake, takeEditBeforeReserving } from '../edits';
import type { OrderRun } from '../order-run';

// 1. Validate the order against stored facts (skus, locations, channel). An invalid order is rejected
// with the reason; false ends the run. An order waiting in needs_attention on an unknown sku may be fixed
// at the channel (the line removed or changed): a retry then checks the order as the channel's edit has
// it, and the edit is taken.
export async function validate(run: OrderRun): Promise<boolean> {
  try {
    await run.step('validate', () => {
      const edit = run.intents.edit;
      return run.acts.validateOrder(edit ? withEdit(run.order, edit.edit) : run.order);
    });
  } catch (err) {
    if (err instanceof ApplicationFailure && err.type === 'InvalidOrder') {
      await run.reject(err.message, err.details?.[0]);
      return false;
    }
    throw err;
  }
  if (editToTake(run)) await takeEditBeforeReserving(run);
  // Payment follows at once: the view shows this status only when something stops the order here.
  await run.setStatus('validated', undefined, { project: !run.lighter });
  await run.checkpoint();
  return true;
}
