// Returns as the API and the channels ask for them: the policy (replaced whole), a return asked for on a
// delivered order (checked against the order and every earlier return, decided by the policy, then run by
// its workflow), and the commands an operator or a store sends it.
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { ConflictError, NotFoundError, ValidationError } from '../domain/errors';
import { parseReturnId, returnWorkflowId } from '../domain/ids';
import type { OrderView } from '../domain/order-state';
import {
  checkReturnLines,
  type AttachReturnLabel,
  decideReturn,
  type ReturnDecision,
  type ReturnPolicy,
  type ReturnRequest,
  type ReturnState,
  type ReturnableOrder,
} from '../domain/returns';
import { paymentProviderOf } from '../domain/order-state';
import type { Items, Locations } from '../store/catalog';
import type { Connections } from '../store/connections';
import { isCarrierKind } from '../domain/connection';
import type { OrdersView } from '../store/orders';
import { unitsInReturns, type ReturnSetup, type ReturnsView } from '../store/returns';
import { OrderStatusKey, OrderTypeKey, SalesChannelKey } from '../workflows/search-attributes';
import type { ReturnOrderFacts, ReturnWorkflowInput } from '../workflows/return/api';
import { commandWorkflow, DEFAULT_ANSWER_WITHIN_MS, type CommandAnswer, type OrderCommand } from './order-commands';

export interface ReturnServiceDeps {
  returns: Pick<ReturnSetup, 'policy' | 'replacePolicy'>;
  returnsView: Pick<ReturnsView, 'create' | 'forOrder' | 'get'>;
  orders: Pick<OrdersView, 'get'>;
  items: Pick<Items, 'missing'>;
  locations: Pick<Locations, 'get'>;
  connections: Pick<Connections, 'view'>;
  temporal: Client;
  taskQueue: string;
  commandAnswerWithinMs?: number;
  now?: () => Date;
  orderSettings?: { activityMaxAttempts?: number; activityInitialIntervalMs?: number }; // the return's retries, as orders'
}

export interface ReturnAsk {
  idempotencyKey?: string;
  actor: string;
  source?: ReturnState['source'];
  channelReturnId?: string;
  // A return made at the channel: the channel decided (approved) or will decide (review), not the policy.
  channelDecision?: 'approved' | 'review';
  expectItems?: boolean; // false: a refund made at the channel with nothing coming back
  channelRefund?: ReturnState['channelRefund'];
}

// When the customer had the goods: the order's first delivered (or, collected at a store, completed) state.
export function deliveredAtOf(view: Pick<OrderView, 'history'>): string | undefined {
  return view.history.find((h) => h.status === 'delivered' || h.status === 'completed')?.at;
}

// What the customer received, per sku: the order's lines (less any quantities cancelled before shipping).
function receivedLines(view: OrderView): { sku: string; quantity: number }[] {
  const cancelled = new Map<string, number>();
  for (const c of (view as OrderView & { cancelledLines?: { sku: string; quantity: number }[] }).cancelledLines ?? [])
    cancelled.set(c.sku, (cancelled.get(c.sku) ?? 0) + c.quantity);
  return view.order.lines.map((l) => ({ sku: l.sku, quantity: l.quantity - (cancelled.get(l.sku) ?? 0) })).filter((l) => l.quantity > 0);
}

function channelDecisionOf(decision: 'approved' | 'review', channel: string): ReturnDecision {
  return decision === 'approved'
    ? { outcome: 'approved', rule: 'channel_approved', why: `approved at ${channel}` }
    : { outcome: 'review', rule: 'channel_decides', why: `asked for at ${channel}, which approves or declines it` };
}

export function returnOrderFacts(view: OrderView): ReturnOrderFacts {
  const { order } = view;
  const { name, email, phone, language } = order.customer;
  return {
    id: order.id,
    channel: order.channel,
    channelOrderId: order.channelOrderId,
    currency: order.currency,
    customer: { name, ...(email && { email }), ...(phone && { phone }), ...(language && { language }) },
    paymentProvider: paymentProviderOf(order),
    lines: order.lines.map((l) => ({
      sku: l.sku,
      ...(l.name && { name: l.name }),
      quantity: l.quantity,
      unitPrice: l.unitPrice,
      discount: l.discount,
      tax: l.tax,
    })),
    shipping: { amount: order.shippingAmount, tax: 0 },
    deliveredUnits: receivedLines(view).reduce((s, l) => s + l.quantity, 0),
  };
}

export function createReturnService(deps: ReturnServiceDeps) {
  const now = deps.now ?? (() => new Date());

  async function orderOrThrow(orderId: string): Promise<OrderView> {
    const view = await deps.orders.get(orderId);
    if (!view) throw new NotFoundError(`Order ${orderId} does not exist`, { orderId });
    return view;
  }

  // Start the return's workflow; one already started (a repeated request, a crash between the insert and
  // the start) is left as it is.
  async function ensureStarted(state: ReturnState, view: OrderView, policy: ReturnPolicy): Promise<void> {
    const settings = deps.orderSettings && {
      ...(deps.orderSettings.activityMaxAttempts !== undefined && { activityMaxAttempts: deps.orderSettings.activityMaxAttempts }),
      ...(deps.orderSettings.activityInitialIntervalMs !== undefined && {
        activityInitialIntervalMs: deps.orderSettings.activityInitialIntervalMs,
      }),
    };
    const input: ReturnWorkflowInput = { state, order: returnOrderFacts(view), policy, ...(settings && { settings }) };
    try {
      await deps.temporal.workflow.start('returnWorkflow', {
        workflowId: state.returnId,
        taskQueue: deps.taskQueue,
        args: [input],
        typedSearchAttributes: [
          { key: OrderStatusKey, value: state.status },
          { key: SalesChannelKey, value: state.channel },
          { key: OrderTypeKey, value: 'return' },
        ],
      });
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    }
  }

  return {
    policy: () => deps.returns.policy(),

    async replacePolicy(policy: ReturnPolicy, actor: string) {
      const missing = new Set(await deps.items.missing([...new Set(policy.nonReturnableSkus)]));
      const problems = policy.nonReturnableSkus.flatMap((sku, i) =>
        missing.has(sku) ? [{ path: `nonReturnableSkus.${i}`, message: `unknown sku ${sku}` }] : [],
      );
      if (problems.length) throw new ValidationError(`Invalid return policy: ${problems.length} problem(s)`, problems);
      return deps.returns.replacePolicy(policy, actor);
    },

    // A return asked for on an order. Lines that do not fit the order are a bad request (400, every line
    // named); a request outside the policy is refused (409 naming the rule); nothing is written for either.
    // A key already used answers the return it made.
    async request(orderId: string, request: ReturnRequest, ask: ReturnAsk): Promise<{ state: ReturnState; created: boolean }> {
      const view = await orderOrThrow(orderId);
      const { policy } = await deps.returns.policy();
      if (request.exchangeLines) {
        const missing = new Set(await deps.items.missing(request.exchangeLines.map((l) => l.sku)));
        const problems = request.exchangeLines.flatMap((l, i) =>
          missing.has(l.sku) ? [{ path: `exchangeLines.${i}.sku`, message: `unknown sku ${l.sku}` }] : [],
        );
        if (problems.length) throw new ValidationError(`Invalid return: ${problems.length} problem(s)`, problems);
      }
      const at = now();
      const result = await deps.returnsView.create(orderId, ask.idempotencyKey, (earlier, n) => {
        const returnable: ReturnableOrder = {
          channel: view.channel,
          status: view.status,
          ...(deliveredAtOf(view) && { deliveredAt: deliveredAtOf(view) }),
          lines: receivedLines(view),
          alreadyReturned: unitsInReturns(earlier),
        };
        checkReturnLines(returnable, request);
        const decision = ask.channelDecision
          ? channelDecisionOf(ask.channelDecision, view.channel)
          : decideReturn(policy, returnable, request, at);
        if (decision.outcome === 'refused')
          throw new ConflictError(`Return refused (${decision.rule}): ${decision.why}`, { rule: decision.rule, why: decision.why });
        const returnId = returnWorkflowId(orderId, n);
        const byLine = new Map(view.order.lines.map((l) => [l.sku, l]));
        return {
          returnId,
          orderId,
          n,
          channel: view.channel,
          currency: view.order.currency,
          status: 'requested',
          history: [{ status: 'requested', at: at.toISOString(), reason: decision.why }],
          request,
          lines: request.lines.map((l) => {
            const line = byLine.get(l.sku)!;
            return { sku: l.sku, ...(line.name && { name: line.name }), quantity: l.quantity, unitPrice: line.unitPrice };
          }),
          decision: { ...decision, at: at.toISOString(), by: 'return-policy' },
          source: ask.source ?? 'api',
          ...(ask.channelReturnId && { channelReturnId: ask.channelReturnId }),
          expectItems: ask.expectItems ?? true,
          ...(ask.channelRefund && { channelRefund: ask.channelRefund }),
          version: 1,
          createdAt: at.toISOString(),
        };
      });
      await ensureStarted(result.state, view, policy);
      return result;
    },

    // Items can be received at an active location: a warehouse, or a store (buy online, return in store).
    async checkReceivingLocation(locationId: string): Promise<void> {
      const at = await deps.locations.get(locationId);
      if (!at || !at.active)
        throw new ValidationError('Invalid receipt: 1 problem(s)', [
          { path: 'locationId', message: at ? `location ${locationId} is not active` : `unknown location ${locationId}` },
        ]);
    },

    // The carrier name of a parcel the customer sends another way: as given, else the carrier connection's
    // name; a connection named must be a carrier's.
    async resolveParcelCarrier(body: AttachReturnLabel): Promise<string> {
      if (body.carrierConnectionId) {
        const connection = await deps.connections.view(body.carrierConnectionId);
        if (!connection || !isCarrierKind(connection.kind))
          throw new ValidationError('Invalid return label: 1 problem(s)', [
            {
              path: 'carrierConnectionId',
              message: connection
                ? `connection ${body.carrierConnectionId} is a ${connection.kind} connection, not a carrier`
                : `unknown connection ${body.carrierConnectionId}`,
            },
          ]);
        return body.carrier ?? connection.name;
      }
      if (!body.carrier)
        throw new ValidationError('Invalid return label: 1 problem(s)', [
          { path: 'carrier', message: 'is required when no carrierConnectionId names the carrier' },
        ]);
      return body.carrier;
    },

    async forOrder(orderId: string): Promise<ReturnState[]> {
      await orderOrThrow(orderId);
      return deps.returnsView.forOrder(orderId);
    },

    async get(returnId: string): Promise<ReturnState> {
      const state = parseReturnId(returnId) ? await deps.returnsView.get(returnId) : null;
      if (!state) throw new NotFoundError(`Return ${returnId} does not exist`, { returnId });
      return state;
    },

    // A command to the return's workflow (decide, receive, inspect, cancel, retry), answered once acted on.
    async command<Args extends unknown[]>(returnId: string, command: OrderCommand<Args, ReturnState>): Promise<CommandAnswer<ReturnState>> {
      const state = await this.get(returnId);
      return commandWorkflow(
        deps.temporal,
        returnId,
        command,
        deps.commandAnswerWithinMs ?? DEFAULT_ANSWER_WITHIN_MS,
        async () => new ConflictError(`Cannot ${command.action} return ${returnId}: it is ${state.status}`, { status: state.status }),
      );
    },
  };
}

export type ReturnService = ReturnType<typeof createReturnService>;
