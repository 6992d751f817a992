import { ApplicationFailure } from '@temporalio/workflow';
import type { OrderRun } from '../order-run';

// 1. Validate the order against stored facts (skus, locations, channel). An invalid order is rejected
// with the reason; false ends the run.
export async function validate(run: OrderRun): Promise<boolean> {
  try {
    await run.step('validate', () => run.acts.validateOrder(run.order));
  } catch (err) {
    if (err instanceof ApplicationFailure && err.type === 'InvalidOrder') {
      await run.reject(err.message, err.details?.[0]);
      return false;
    }
    throw err;
  }
  await run.setStatus('validated');
  await run.checkpoint();
  return true;
}
