import { allHandlersFinished, condition } from '@temporalio/workflow';
import type { OrderOutcome, OrderWorkflowInput } from './api';
import { registerCommands } from './commands';
import { noticeLateEdits, registerChannelEdits } from './edits';
import { registerLineCancels } from './line-cancels';
import { OrderCancelled, OrderRun } from './order-run';
import { compensate } from './phases/compensate';
import { pickup, shipping } from './phases/fulfil';
import { dropShip, mixedShipping } from './phases/drop-ship';
import { isDropShipOrder } from '../../domain/drop-ship';
import { pay } from './phases/pay';
import { reserve } from './phases/reserve';
import { validate } from './phases/validate';

// One order's lifecycle, top to bottom: validate, pay, reserve (not for drop-ship; beside the suppliers for a
// mixed order), fulfil, deliver, complete; cancelled at
// any checkpoint before the goods leave, it compensates. A step that fails past its retries parks the
// order in needs_attention until an operator retries it. The contract is in ./api.ts.
export async function orderWorkflow(input: OrderWorkflowInput): Promise<OrderOutcome> {
  const run = new OrderRun(input);
  registerCommands(run);
  registerChannelEdits(run);
  registerLineCancels(run);
  await run.start();
  void noticeLateEdits(run);
  // A drop-ship order's suppliers ship it: it holds no stock (orders started before drop-ship had no
  // supplier on any line, so they take the same path as always). An order mixing stocked and drop-shipped
  // lines reserves its stocked lines beside its suppliers' parts (phases/drop-ship.ts).
  const suppliersShip = isDropShipOrder(run.order);
  const strategy = run.mixed ? mixedShipping : suppliersShip ? dropShip : run.order.fulfillment?.method === 'pickup' ? pickup : shipping;
  try {
    if ((await validate(run)) && (await pay(run))) {
      if (!suppliersShip) await reserve(run);
      await strategy.fulfil(run);
      await strategy.deliver(run);
      await run.setStatus('completed');
    }
  } catch (err) {
    if (!(err instanceof OrderCancelled)) throw err;
    await compensate(run);
  }
  return finish(run);
}

// Commands still being answered get their answer before the run ends.
async function finish(run: OrderRun): Promise<OrderOutcome> {
  run.finished = true;
  await condition(allHandlersFinished);
  return run.outcome();
}
