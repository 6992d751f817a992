import {
  proxyActivities,
  proxyLocalActivities,
  upsertSearchAttributes,
  type ActivityOptions,
  type LocalActivityOptions,
} from '@temporalio/workflow';
import type { Order } from '../../domain/order';
import { initialOrderState } from '../../domain/order-state';
import type { OrderStatus } from '../../domain/status';
import { OrderStatusKey } from '../../workflows/search-attributes';
import type { BaselineActivities } from './activities';

// The shape of orderWorkflow from start to released_to_fulfillment, with no-op activities: the same
// eight activity calls (the state projections local, as there) with the same timeout and retry profiles, the same payloads (order and state),
// and the same five OrderStatus search-attribute upserts. Whatever this costs is Temporal's floor.

const quick: ActivityOptions = {
  startToCloseTimeout: '10s',
  retry: { initialInterval: 1_000, backoffCoefficient: 2, maximumInterval: '1m', maximumAttempts: 6 },
};
const projection: LocalActivityOptions = { startToCloseTimeout: '10s', retry: { initialInterval: '500ms', maximumInterval: '30s' } };

export async function baselineOrderWorkflow(input: { order: Order }): Promise<{ orderId: string; status: OrderStatus }> {
  const { order } = input;
  const acts = proxyActivities<BaselineActivities>(quick);
  const { recordOrderState } = proxyLocalActivities<BaselineActivities>(projection);
  const state = initialOrderState(order);
  const setStatus = async (status: OrderStatus) => {
    state.status = status;
    state.history.push({ status, at: new Date().toISOString() });
    state.version++;
    upsertSearchAttributes([{ key: OrderStatusKey, value: status }]);
    await recordOrderState(order, state);
  };

  upsertSearchAttributes([{ key: OrderStatusKey, value: state.status }]);
  await recordOrderState(order, state);
  await acts.validateOrder(order);
  await setStatus('validated');
  await acts.authorizePayment(order);
  await setStatus('payment_authorized');
  await acts.reserveStock(order, 1);
  await setStatus('stock_reserved');
  await setStatus('released_to_fulfillment');
  return { orderId: order.id, status: state.status };
}
