import { orderWorkflowId } from '../domain/ids';
import { canCancel, isTerminal } from '../domain/status';
import type { ChannelOrder } from '../connectors/types';
import { orderhubSkuOf, type SkuMapEntry } from '../domain/connection';
import { cancelOrderSignal } from '../workflows/order';
import { captureOrder, signalOrder, type IntakeDeps } from './order-intake';

export type IngestOutcome = 'captured' | 'duplicate' | 'cancelled' | 'ignored';

// One channel order, from a webhook or a poll: capture it once, or pass on a cancellation made at the channel.
// Its lines' skus are Orderhub's: a channel sku the connection's map names is taken as the mapped one.
export async function ingestChannelOrder(
  deps: IntakeDeps,
  channelOrder: ChannelOrder,
  skuMap?: readonly SkuMapEntry[],
): Promise<IngestOutcome> {
  const co = skuMap?.length
    ? {
        ...channelOrder,
        order: { ...channelOrder.order, lines: channelOrder.order.lines.map((l) => ({ ...l, sku: orderhubSkuOf(skuMap, l.sku) })) },
      }
    : channelOrder;
  const orderId = orderWorkflowId(co.order.channel, co.order.channelOrderId);
  if (co.cancelled) {
    const view = await deps.orders.get(orderId);
    if (!view || isTerminal(view.status) || !canCancel(view.stage)) return 'ignored';
    await signalOrder(deps.temporal, orderId, cancelOrderSignal, {
      reason: `cancelled at ${co.order.channel}${co.cancelReason ? `: ${co.cancelReason}` : ''}`,
      source: 'channel',
    });
    return 'cancelled';
  }
  const result = await captureOrder(deps, co.order);
  return result.duplicate ? 'duplicate' : 'captured';
}
