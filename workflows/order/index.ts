// The order workflow: its contract (./api.ts) and its lifecycle (./workflow.ts).
export * from './api';
export { orderWorkflow } from './workflow';
