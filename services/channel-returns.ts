// Returns and refunds made at a channel (Shopify's returns/* and refunds/create webhooks), mapped by the
// connector to a ChannelReturnEvent and handed here by the webhook consumer (worker/webhook-consumer.ts).
// The return service will implement ChannelReturns; until it exists, the default only logs each event.
import type { ChannelReturnEvent } from '../connectors/types';
import type { Logger } from '../domain/logger';

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
