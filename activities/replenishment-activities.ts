import { Context } from '@temporalio/activity';
import type { Logger } from '../domain/logger';
import { createReplenishmentService, type ReplenishmentServiceDeps } from '../services/replenishment';

export type ReplenishmentActivityDeps = ReplenishmentServiceDeps & { log: Logger };

interface Progress {
  done: number;
}

export function createReplenishmentActivities(deps: ReplenishmentActivityDeps) {
  const replenishment = createReplenishmentService(deps);
  return {
    // Idempotent: plans are keyed by run, daily demand and alerts by their own keys. A retry resumes after
    // the skus its predecessor heartbeated as done (their plans are already written).
    async recomputeReplenishment(input: { runId: string }) {
      const resumeAt = (heartbeatDetails() as Progress | undefined)?.done ?? 0;
      const result = await replenishment.recompute(input.runId, { resumeAt, progress: (done) => heartbeat({ done }) });
      deps.log.info('replenishment recomputed', { ...result, resumedAt: resumeAt });
      return result;
    },
  };
}

function heartbeatDetails(): unknown {
  try {
    return Context.current().info.heartbeatDetails;
  } catch {
    return undefined; // called outside an activity (a test)
  }
}

function heartbeat(details: Progress): void {
  try {
    Context.current().heartbeat(details);
  } catch {
    // called outside an activity (a test)
  }
}

export type ReplenishmentActivities = ReturnType<typeof createReplenishmentActivities>;
