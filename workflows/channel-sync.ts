import { proxyActivities } from '@temporalio/workflow';
import type { ChannelActivities } from '../activities/channel-activities';

// Scheduled per connection (see worker/schedules.ts); each run is one long activity that heartbeats.
const sync = { startToCloseTimeout: '30m', heartbeatTimeout: '2m', retry: { initialInterval: '5s', maximumAttempts: 5 } } as const;
const { pollChannelOrders, reconcileChannelStock, pullErpReceipts, importChannelCatalog } = proxyActivities<ChannelActivities>(sync);

export interface ConnectionSyncInput {
  connectionId: string;
}

export async function pollChannelOrdersWorkflow(input: ConnectionSyncInput) {
  return pollChannelOrders(input.connectionId);
}

export async function reconcileChannelStockWorkflow(input: ConnectionSyncInput) {
  return reconcileChannelStock(input.connectionId);
}

export async function pullErpReceiptsWorkflow(input: ConnectionSyncInput) {
  return pullErpReceipts(input.connectionId);
}

export async function importChannelCatalogWorkflow(input: ConnectionSyncInput) {
  return importChannelCatalog(input.connectionId);
}
