import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { ReplenishmentActivities } from '../activities/replenishment-activities';

// The nightly replenishment recompute on a Temporal Schedule (maintenance:replenishment, services/schedules.ts),
// visible, pausable and triggerable in the UI; POST /replenishment/recompute starts one now.
// One activity walks the catalogue and heartbeats the skus done, so a retry resumes where it stopped.
const nightly = { startToCloseTimeout: '2h', heartbeatTimeout: '2m', retry: { initialInterval: '10s', maximumAttempts: 5 } } as const;
const { recomputeReplenishment } = proxyActivities<ReplenishmentActivities>(nightly);

/** Counts yesterday's demand, forecasts, sets reorder levels per sku and location, queues low-stock alerts. */
export async function replenishmentWorkflow(input: { runId?: string } = {}) {
  // A scheduled run is named after its workflow id (the schedule adds the time it ran).
  return recomputeReplenishment({ runId: input.runId ?? workflowInfo().workflowId });
}
