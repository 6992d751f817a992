// Everything the worker registers as a workflow.
export { orderWorkflow } from './order';
export { returnWorkflow } from './return/workflow';
export {
  pollChannelOrdersWorkflow,
  reconcileChannelStockWorkflow,
  pullErpReceiptsWorkflow,
  importChannelCatalogWorkflow,
} from './channel-sync';
export { reconcileReservationsWorkflow } from './maintenance';
export { importOrdersWorkflow } from './import/workflow';
export { replenishmentWorkflow } from './replenishment';
