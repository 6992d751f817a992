import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { SignalDefinition } from '@temporalio/common';
import { toOrder, type OrderInput } from '../domain/order';
import { initialOrderState, type OrderView } from '../domain/order-state';
import { NotFoundError } from '../domain/errors';
import type { OrdersView } from '../store/orders';
import type { Suppliers } from '../store/purchasing';
import type { Items } from '../store/catalog';
import { orderWorkflow, type OrderWorkflowInput } from '../workflows/order';
import { OrderLateKey, OrderStatusKey, OrderTypeKey, SalesChannelKey } from '../workflows/search-attributes';
import type { Logger } from '../domain/logger';
import type { PreorderService } from './preorders';

export interface IntakeDeps {
  temporal: Client;
  taskQueue: string;
  orders: Pick<OrdersView, 'insertReceived' | 'get'>;
  log: Logger;
  orderSettings?: OrderWorkflowInput['settings'];
  // Channel orders: lines of items that allow backorders may be backordered (the channel sold them anyway).
  // and lines of items drop-shipped by a supplier are shipped by it (services/item-suppliers.ts).
  items?: Pick<Items, 'backorderable' | 'dropShippers'>;
  suppliers?: Pick<Suppliers, 'get'>; // a channel order is drop-shipped only by a supplier that drop-ships
  // Channel orders for items the catalogue sells as pre-orders become pre-orders (services/channel-orders.ts).
  channelPreorders?: Pick<PreorderService, 'markChannelOrder' | 'claimWhatIsLeft'>;
}

export interface CaptureResult {
  orderId: string;
  duplicate: boolean;
  status: OrderView['status'];
}

// Capture an order exactly once, however often it arrives: the view insert and the workflow start are
// both keyed by the order id, so a repeat (or a retry after a crash between the two) changes nothing.
// channelUpdatedAt: the channel's time of this copy (a channel order), kept so an older copy arriving
// later is not taken as an edit.
export async function captureOrder(
  deps: IntakeDeps,
  input: OrderInput,
  channelUpdatedAt?: string,
  exchange?: OrderWorkflowInput['exchange'],
): Promise<CaptureResult> {
  const order = toOrder(input, new Date().toISOString());
  const state = initialOrderState(order);
  if (channelUpdatedAt) state.channelUpdatedAt = channelUpdatedAt;
  if (exchange) state.exchangeFor = exchange.returnId;
  const inserted = await deps.orders.insertReceived(order, state);
  let started = false;
  try {
    await deps.temporal.workflow.start(orderWorkflow, {
      workflowId: order.id,
      taskQueue: deps.taskQueue,
      args: [
        {
          order,
          ...(channelUpdatedAt && { channelUpdatedAt }),
          ...(deps.orderSettings && { settings: deps.orderSettings }),
          ...(exchange && { exchange }),
        },
      ],
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      typedSearchAttributes: [
        { key: OrderStatusKey, value: 'received' },
        { key: SalesChannelKey, value: order.channel },
        { key: OrderTypeKey, value: order.type },
        { key: OrderLateKey, value: false },
      ],
    });
    started = true;
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
  }
  if (inserted || started) {
    deps.log.info('order captured', { orderId: order.id, channel: order.channel });
    return { orderId: order.id, duplicate: false, status: 'received' };
  }
  const existing = await deps.orders.get(order.id);
  return { orderId: order.id, duplicate: true, status: existing?.status ?? 'received' };
}

export async function signalOrder<Args extends unknown[]>(
  temporal: Client,
  orderId: string,
  signal: SignalDefinition<Args>,
  ...args: Args
): Promise<void> {
  try {
    await temporal.workflow.getHandle(orderId).signal(signal, ...args);
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) throw new NotFoundError(`Order ${orderId} has no running workflow`, { orderId });
    throw err;
  }
}
