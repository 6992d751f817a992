// Returns and refunds made at a channel (Shopify's returns/* and refunds/create webhooks), mapped by the
// connector to a ChannelReturnEvent and handed here by the webhook consumer (worker/webhook-consumer.ts).
// createChannelReturns below applies them to Orderhub's returns; loggingChannelReturns only logs them.
import type { Client } from '@temporalio/client';
import type { Redis } from 'ioredis';
import { buildConnector } from '../connectors/registry';
import type { Connections } from '../store/connections';
import type { ChannelReturnEvent } from '../connectors/types';
import { ConflictError, ValidationError } from '../domain/errors';
import { orderWorkflowId } from '../domain/ids';
import type { Logger } from '../domain/logger';
import type { ReturnState } from '../domain/returns';
import { capturedOf } from '../domain/order-state';
import type { OrdersView } from '../store/orders';
import type { RefundLedger } from '../store/refunds';
import type { ReturnsView } from '../store/returns';
import { cancelReturnUpdate, channelRefundSignal, decideReturnUpdate } from '../workflows/return/api';
import type { OrderCommand } from './order-commands';
import { createReturnService, type ReturnService, type ReturnServiceDeps } from './returns';

// What became of an event: applied to Orderhub's return or refund, a repeat of one already applied, or
// nothing Orderhub acts on (its return is unknown, or the event changes nothing).
export type ChannelReturnOutcome = 'applied' | 'duplicate' | 'ignored';

export interface ChannelReturns {
  // Must be safe to call again with the same event (a webhook delivery is retried until it settles).
  // Throws to have the delivery retried; a ValidationError makes it a dead letter naming the problem.
  apply(connectionId: string, event: ChannelReturnEvent): Promise<ChannelReturnOutcome>;
}

// Until the return service takes channel returns in: every event is logged and answered 'ignored', so the
// delivery is settled with the event's description and can be found later.
export function loggingChannelReturns(log: Logger): ChannelReturns {
  return {
    async apply(connectionId, event) {
      log.info('channel return event received; not applied yet (no return service)', {
        connectionId,
        kind: event.kind,
        channelOrderId: event.channelOrderId,
        channelReturnId: event.channelReturnId,
        channelRefundId: event.channelRefundId,
        lines: event.lines.length,
        at: event.at,
      });
      return 'ignored';
    },
  };
}

// One line naming the event, for the delivery's settled outcome.
export function describeChannelReturn(event: ChannelReturnEvent): string {
  const ids = [
    event.channelReturnId && `return ${event.channelReturnId}`,
    event.channelRefundId && `refund ${event.channelRefundId}`,
    event.channelOrderId && `order ${event.channelOrderId}`,
  ].filter(Boolean);
  return `${event.kind} (${ids.join(', ')})`;
}

export interface ChannelReturnDeps {
  returns: Pick<ReturnService, 'request' | 'command'>;
  returnsView: Pick<ReturnsView, 'byIdempotencyKey'>;
  refunds: Pick<RefundLedger, 'claim'>;
  orders: Pick<OrdersView, 'get'>;
  temporal: Client;
  log: Logger;
  // The channel's line item id -> sku for an order, for events whose lines carry no sku.
  lineSkus?: (connectionId: string, channelOrderId: string) => Promise<Record<string, string>>;
}

const channelReturnKey = (connectionId: string, channelReturnId: string) => `channel:${connectionId}:${channelReturnId}`;

// The channel's reason as a return reason code ("SIZE_TOO_SMALL" -> size_too_small).
const reasonCodeOf = (reason: string | undefined) => {
  const code = (reason ?? 'other')
    .toLowerCase()
    .replace(/[^a-z0-9_]+/g, '_')
    .replace(/^[^a-z]+/, '')
    .slice(0, 40);
  return code || 'other';
};

// The event's lines per sku, named by the event or found from the channel's line item ids.
function linesOf(event: ChannelReturnEvent, skus: Record<string, string>): { sku: string; quantity: number }[] {
  const problems = event.lines.flatMap((l, i) =>
    l.sku || skus[l.channelLineId]
      ? []
      : [{ path: `lines.${i}.sku`, message: `line item ${l.channelLineId} has no sku on the channel's order` }],
  );
  if (problems.length) throw new ValidationError(`Channel return lines cannot be matched: ${problems.length} problem(s)`, problems);
  const bySku = new Map<string, number>();
  for (const l of event.lines) {
    const sku = l.sku ?? skus[l.channelLineId];
    bySku.set(sku, (bySku.get(sku) ?? 0) + l.quantity);
  }
  return [...bySku].map(([sku, quantity]) => ({ sku, quantity }));
}

// Returns and refunds made at the channel, applied to Orderhub's returns once however often the webhook
// is delivered: a return asked for or approved there becomes (or approves) the return keyed by the channel's
// return id; declined or cancelled there, it is rejected or cancelled here; a refund made there is counted
// against the order's capture and settles its return without moving money again (or, with no return, is
// recorded as a refund-only return with no items coming back).
export function createChannelReturns(deps: ChannelReturnDeps): ChannelReturns {
  const skusFor = async (connectionId: string, event: ChannelReturnEvent & { channelOrderId: string }) =>
    event.lines.every((l) => l.sku) || !deps.lineSkus ? {} : deps.lineSkus(connectionId, event.channelOrderId);
  const command = async <Args extends unknown[]>(returnId: string, c: OrderCommand<Args, ReturnState>): Promise<ChannelReturnOutcome> => {
    try {
      await deps.returns.command(returnId, c);
      return 'applied';
    } catch (err) {
      if (err instanceof ConflictError) return 'duplicate'; // decided already (by this event before, or here)
      throw err;
    }
  };

  async function onReturn(connectionId: string, event: ChannelReturnEvent): Promise<ChannelReturnOutcome> {
    if (!event.channelReturnId)
      throw new ValidationError('Channel return event names no return', [{ path: 'channelReturnId', message: 'is required' }]);
    const key = channelReturnKey(connectionId, event.channelReturnId);
    const existing = await deps.returnsView.byIdempotencyKey(key);
    const by = `channel:${connectionId}`;
    switch (event.kind) {
      case 'return_requested':
      case 'return_approved': {
        if (existing) {
          if (event.kind === 'return_approved' && existing.status === 'requested')
            return command(existing.returnId, {
              update: decideReturnUpdate,
              args: [{ approve: true, reason: 'approved at the channel', by }],
              action: 'approve',
              commandId: `${key}:approve`,
            });
          return 'duplicate';
        }
        if (!event.channelOrderId)
          throw new ValidationError('Channel return names no order', [{ path: 'channelOrderId', message: 'is required' }]);
        const created = await deps.returns.request(
          orderWorkflowId(connectionId, event.channelOrderId),
          {
            lines: linesOf(event, await skusFor(connectionId, { ...event, channelOrderId: event.channelOrderId })),
            reason: reasonCodeOf(event.reason),
            resolution: 'refund',
            ...(event.note && { note: event.note.slice(0, 2000) }),
          },
          {
            idempotencyKey: key,
            actor: by,
            source: 'channel',
            channelReturnId: event.channelReturnId,
            channelDecision: event.kind === 'return_approved' ? 'approved' : 'review',
          },
        );
        return created.created ? 'applied' : 'duplicate';
      }
      case 'return_declined':
        if (!existing) return 'ignored';
        return command(existing.returnId, {
          update: decideReturnUpdate,
          args: [{ approve: false, reason: `declined at the channel${event.reason ? `: ${event.reason}` : ''}`, by }],
          action: 'reject',
          commandId: `${key}:decline`,
        });
      case 'return_cancelled':
        if (!existing) return 'ignored';
        return command(existing.returnId, {
          update: cancelReturnUpdate,
          args: [{ reason: 'cancelled at the channel', by }],
          action: 'cancel',
          commandId: `${key}:cancel`,
        });
      default:
        return 'ignored'; // closed or reopened at the channel: nothing changes for stock or money here
    }
  }

  async function onRefund(connectionId: string, event: ChannelReturnEvent): Promise<ChannelReturnOutcome> {
    if (!event.channelRefundId || !event.refund || !event.channelOrderId)
      throw new ValidationError('Channel refund event is incomplete', [
        ...(!event.channelRefundId ? [{ path: 'channelRefundId', message: 'is required' }] : []),
        ...(!event.refund ? [{ path: 'refund', message: 'is required' }] : []),
        ...(!event.channelOrderId ? [{ path: 'channelOrderId', message: 'is required' }] : []),
      ]);
    const orderId = orderWorkflowId(connectionId, event.channelOrderId);
    const view = await deps.orders.get(orderId);
    if (!view) return 'ignored'; // an order Orderhub never captured
    if (view.status === 'cancelled') return 'ignored'; // the refund of the cancellation Orderhub sent itself
    const refund = { channelRefundId: event.channelRefundId, amount: event.refund.amount, currency: event.refund.currency, at: event.at };
    // Counted against the capture first, so a later refund from Orderhub never takes the total beyond it.
    const { duplicate } = await deps.refunds.claim({
      orderId,
      idempotencyKey: `channel-refund:${connectionId}:${event.channelRefundId}`,
      wanted: event.refund.amount,
      captured: capturedOf(view),
      currency: event.refund.currency,
      source: { kind: 'other', note: `refunded at ${connectionId} (refund ${event.channelRefundId})` },
    });
    const matching = event.channelReturnId
      ? await deps.returnsView.byIdempotencyKey(channelReturnKey(connectionId, event.channelReturnId))
      : null;
    if (matching) {
      await deps.temporal.workflow.getHandle(matching.returnId).signal(channelRefundSignal, refund);
      return duplicate ? 'duplicate' : 'applied';
    }
    const lines = event.lines.length ? linesOf(event, await skusFor(connectionId, { ...event, channelOrderId: event.channelOrderId })) : [];
    if (!lines.length) return duplicate ? 'duplicate' : 'applied'; // money only (shipping, goodwill): the ledger has it
    const created = await deps.returns.request(
      orderId,
      {
        lines,
        reason: reasonCodeOf(event.reason ?? 'refunded_at_channel'),
        resolution: 'refund',
        ...(event.note && { note: event.note.slice(0, 2000) }),
      },
      {
        idempotencyKey: channelReturnKey(connectionId, `refund:${event.channelRefundId}`),
        actor: `channel:${connectionId}`,
        source: 'channel',
        channelDecision: 'approved',
        expectItems: false,
        channelRefund: refund,
      },
    );
    return created.created ? 'applied' : 'duplicate';
  }

  return {
    apply: (connectionId, event) => (event.kind === 'refund_created' ? onRefund(connectionId, event) : onReturn(connectionId, event)),
  };
}

// The channel returns a worker process applies, built from its stores, Temporal client and connectors.
export function channelReturnsOf(
  deps: ReturnServiceDeps &
    Omit<ChannelReturnDeps, 'returns' | 'lineSkus'> & { connections: Pick<Connections, 'withCredentials'>; redis: Redis },
): ChannelReturns {
  const lineSkus = async (connectionId: string, channelOrderId: string) => {
    const connection = await deps.connections.withCredentials(connectionId);
    const refunds = connection ? buildConnector(connection, { redis: deps.redis, log: deps.log }).refunds : undefined;
    return refunds?.lineSkus ? refunds.lineSkus(channelOrderId) : {};
  };
  return createChannelReturns({ ...deps, returns: createReturnService(deps), lineSkus });
}
