// Operator and integration commands on an order, sent as the workflow's Updates: the workflow alone
// decides whether the order can take the command (its validator refuses with the reason, nothing is
// applied) and answers once it has acted on it, with the order's state. The caller gets that answer, or,
// when the order is slow to act (a worker restarting), an acknowledgement it can repeat the request
// against: the command id is the Update's id, and Temporal applies one id once.
import { randomUUID } from 'node:crypto';
import {
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
  WorkflowUpdateStage,
  type Client,
  type WorkflowUpdateHandle,
  type WorkflowUpdateOptions,
} from '@temporalio/client';
import { ApplicationFailure, type UpdateDefinition } from '@temporalio/common';
import { ConflictError, NotFoundError, UpstreamUnavailableError, ValidationError, type FieldProblem } from '../domain/errors';
import type { OrderState } from '../domain/order-state';
import { isTerminal } from '../domain/status';
import type { OrdersView } from '../store/orders';
import { COMMAND_REFUSED, INVALID_COMMAND } from '../workflows/order/api';

export interface OrderCommandDeps {
  temporal: Client;
  orders: Pick<OrdersView, 'get'>;
  answerWithinMs?: number; // how long the caller waits for the order to act (default 10 s)
}

export const DEFAULT_ANSWER_WITHIN_MS = 10_000;

export interface OrderCommand<Args extends unknown[], State = OrderState> {
  update: UpdateDefinition<State, Args>;
  args: Args;
  action: string; // for messages: "cancel", "record picked for", …
  commandId?: string; // the caller's Idempotency-Key: the same id is applied once
}

// startUpdate with the Update named and its arguments as a list (its overloads want them typed per arity).
type StartUpdate<State = OrderState> = (
  name: string,
  options: WorkflowUpdateOptions & { args: unknown[]; waitForStage: typeof WorkflowUpdateStage.ACCEPTED },
) => Promise<WorkflowUpdateHandle<State>>;

export type CommandAnswer<State = OrderState> = { done: true; commandId: string; state: State } | { done: false; commandId: string }; // accepted or on its way; repeat with the same id for the answer

export async function commandOrder<Args extends unknown[]>(
  deps: OrderCommandDeps,
  orderId: string,
  command: OrderCommand<Args>,
): Promise<CommandAnswer> {
  return commandWorkflow(deps.temporal, orderId, command, deps.answerWithinMs ?? DEFAULT_ANSWER_WITHIN_MS, () =>
    orderNotRunning(deps, orderId, command.action),
  );
}

// Any workflow's command as an Update (an order's, a return's): the answer once it acted, or the
// acceptance when it is slow; refusals mapped as asApiError says, a workflow not running by notRunning.
export async function commandWorkflow<Args extends unknown[], State>(
  temporal: Client,
  workflowId: string,
  command: OrderCommand<Args, State>,
  within: number,
  notRunning: () => Promise<unknown>,
): Promise<CommandAnswer<State>> {
  const commandId = command.commandId ?? randomUUID();
  try {
    // Both calls end at the deadline (gRPC's own), so a slow workflow leaves no poll running behind.
    const state = await temporal.withDeadline(Date.now() + within, async () => {
      const workflow = temporal.workflow.getHandle(workflowId);
      const start = workflow.startUpdate.bind(workflow) as StartUpdate<State>;
      const handle = await start(command.update.name, {
        args: command.args,
        updateId: commandId,
        waitForStage: WorkflowUpdateStage.ACCEPTED,
      });
      return handle.result();
    });
    return { done: true, commandId, state };
  } catch (err) {
    if (err instanceof WorkflowUpdateRPCTimeoutOrCancelledError) return { done: false, commandId };
    throw err instanceof WorkflowNotFoundError ? await notRunning() : asApiError(err);
  }
}

// For senders that must not wait for the order to act (a webhook consumer handing over a channel edit): the
// command is handed over once the order has accepted it (it is then in the order's history and will be
// acted on, however long the order takes), or refused with the reason as commandOrder refuses. The answer
// is the order's state when the order acted at once, or just the acceptance. Not accepted within the time
// (no worker running): a retryable error, and repeating with the same command id is applied once.
export async function submitOrderCommand<Args extends unknown[]>(
  deps: OrderCommandDeps,
  orderId: string,
  command: OrderCommand<Args> & { commandId: string },
): Promise<CommandAnswer> {
  const { commandId } = command;
  const within = deps.answerWithinMs ?? DEFAULT_ANSWER_WITHIN_MS;
  let handle: WorkflowUpdateHandle<OrderState>;
  try {
    handle = await deps.temporal.withDeadline(Date.now() + within, () => {
      const workflow = deps.temporal.workflow.getHandle(orderId);
      const start = workflow.startUpdate.bind(workflow) as StartUpdate;
      return start(command.update.name, { args: command.args, updateId: commandId, waitForStage: WorkflowUpdateStage.ACCEPTED });
    });
  } catch (err) {
    if (err instanceof WorkflowUpdateRPCTimeoutOrCancelledError)
      throw new UpstreamUnavailableError(`Order ${orderId} did not accept the command in time: its worker may be away`, { orderId });
    throw err instanceof WorkflowNotFoundError ? await orderNotRunning(deps, orderId, command.action) : asApiError(err);
  }
  try {
    // A refusal is already known; an accepted command is answered if the order acts within a moment.
    const state = await deps.temporal.withDeadline(Date.now() + QUICK_ANSWER_MS, () => handle.result());
    return { done: true, commandId, state };
  } catch (err) {
    if (err instanceof WorkflowUpdateRPCTimeoutOrCancelledError) return { done: false, commandId };
    throw err instanceof WorkflowNotFoundError ? await orderNotRunning(deps, orderId, command.action) : asApiError(err);
  }
}

const QUICK_ANSWER_MS = 1_000;

// A refusal becomes 409 with the workflow's reason, arguments that do not fit 400.
export function asApiError(err: unknown): unknown {
  if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure) {
    const { type, message, details } = err.cause;
    const detail = (details?.[0] ?? undefined) as { problems?: FieldProblem[] } | Record<string, unknown> | undefined;
    if (type === INVALID_COMMAND) {
      const problems = (detail as { problems?: FieldProblem[] } | undefined)?.problems ?? [];
      return new ValidationError(`Invalid command: ${message}`, problems);
    }
    if (type === COMMAND_REFUSED) return new ConflictError(message, detail);
  }
  return err;
}

// An order that is not running: 404, or (ended) 409.
async function orderNotRunning(deps: OrderCommandDeps, orderId: string, action: string): Promise<unknown> {
  const view = await deps.orders.get(orderId);
  if (!view) return new NotFoundError(`Order ${orderId} does not exist`, { orderId });
  if (isTerminal(view.status)) return new ConflictError(`Cannot ${action} order ${orderId}: it is ${view.status}`, { status: view.status });
  return new NotFoundError(`Order ${orderId} has no running workflow`, { orderId });
}
