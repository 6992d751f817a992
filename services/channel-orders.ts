import { orderWorkflowId } from '../domain/ids';
import { canCancel, isTerminal } from '../domain/status';
import type { ChannelOrder } from '../connectors/types';
import { orderhubSkuOf, type SkuMapEntry } from '../domain/connection';
import { ConflictError, NotFoundError } from '../domain/errors';
import { totalsOf } from '../domain/order';
import { editContentOf, orderChanges, withEdit } from '../domain/order-edit';
import { applyChannelEditUpdate, cancelOrderSignal } from '../workflows/order';
import { dropShipSupplierProblems, withItemSuppliers } from './item-suppliers';
import { captureOrder, signalOrder, type IntakeDeps } from './order-intake';
import { submitOrderCommand } from './order-commands';

// edited: the channel changed an order it had sent (address, contact or lines) and the order was handed
// the change; duplicate: the channel's copy holds nothing the order does not have.
export type IngestOutcome = 'captured' | 'duplicate' | 'edited' | 'cancelled' | 'ignored';

// One channel order, from a webhook or a poll: capture it once, pass on a cancellation made at the channel,
// or hand the order a change the channel made to it (an order edit), which the order's workflow takes
// before picking or records as a notice after. Its lines' skus are Orderhub's: a channel sku the
// connection's map names is taken as the mapped one.
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
  const marked = deps.channelPreorders ? await deps.channelPreorders.markChannelOrder(co.order) : co.order;
  const order = await withDropShip(deps, orderId, await withBackorders(deps, marked));
  // A channel pre-order claims what is left of the inbound stock before it is captured (the first time only).
  if (deps.channelPreorders && order.type === 'pre_order' && !(await deps.orders.get(orderId))) {
    const unclaimed = await deps.channelPreorders.claimWhatIsLeft(orderId, order);
    if (unclaimed.length) deps.log.warn('channel pre-order beyond what is inbound waits without a claim', { orderId, skus: unclaimed });
  }
  const result = await captureOrder(deps, order, co.updatedAt);
  return result.duplicate ? passOnEdit(deps, orderId, { ...co, order }) : 'captured';
}

// A channel sells an item out of stock when its listing says so (Shopify: inventory policy CONTINUE, which
// the catalogue import records as the item's allowBackorder): such lines may be backordered.
async function withBackorders(deps: IntakeDeps, order: ChannelOrder['order']): Promise<ChannelOrder['order']> {
  if (!deps.items || order.lines.every((l) => l.allowBackorder !== undefined)) return order;
  const allowed = await deps.items.backorderable(order.lines.map((l) => l.sku));
  if (allowed.size === 0) return order;
  return {
    ...order,
    lines: order.lines.map((l) => (allowed.has(l.sku) && l.allowBackorder === undefined ? { ...l, allowBackorder: true } : l)),
  };
}

// Lines for items drop-shipped by a supplier are shipped by it, as for POST /orders (beside stocked lines, the
// order ships in parts). A channel order was sold already and is never refused: one that cannot be
// drop-shipped as it stands (a pickup, allowSplit false across sources, an item naming a supplier that does
// not drop-ship) ships from stock, and the reason is logged.
async function withDropShip(deps: IntakeDeps, orderId: string, order: ChannelOrder['order']): Promise<ChannelOrder['order']> {
  if (!deps.items) return order;
  const routed = await withItemSuppliers(deps.items, order);
  if (!routed.routed) return order;
  const problems = [
    ...routed.problems.map((p) => ({ path: p.path.join('.'), message: p.message })),
    ...(deps.suppliers ? await dropShipSupplierProblems(deps.suppliers, routed.input) : []),
  ];
  if (problems.length === 0) return routed.input;
  deps.log.warn('channel order for drop-ship items cannot be drop-shipped; it ships from stock', { orderId, problems });
  return order;
}

// The order exists: if the channel's copy is newer than the one the order has and differs in what an edit
// covers, the order gets it as an Update whose id is the channel's time of the copy, so a redelivery (or
// the poll seeing the same copy) is applied once.
async function passOnEdit(deps: IntakeDeps, orderId: string, co: ChannelOrder): Promise<IngestOutcome> {
  const view = await deps.orders.get(orderId);
  if (!view || isTerminal(view.status)) return 'duplicate';
  if (view.channelUpdatedAt && Date.parse(co.updatedAt) <= Date.parse(view.channelUpdatedAt)) return 'duplicate';
  const edit = editContentOf({ ...co.order, totals: totalsOf(co.order) });
  if (orderChanges(view.order, withEdit(view.order, edit)).descriptions.length === 0) return 'duplicate';
  const channelUpdatedAt = new Date(Date.parse(co.updatedAt)).toISOString();
  try {
    await submitOrderCommand({ temporal: deps.temporal, orders: deps.orders }, orderId, {
      update: applyChannelEditUpdate,
      args: [{ edit, channelUpdatedAt }],
      action: 'apply a channel edit to',
      commandId: `channel-edit:${channelUpdatedAt}`,
    });
  } catch (err) {
    // Ended meanwhile, or a newer copy already taken: nothing to change.
    if (err instanceof ConflictError || err instanceof NotFoundError) {
      deps.log.info('channel edit not taken', { orderId, reason: err.message });
      return 'ignored';
    }
    throw err;
  }
  deps.log.info('channel edit handed to the order', { orderId, channelUpdatedAt });
  return 'edited';
}
