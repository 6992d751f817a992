import { Runtime } from '@temporalio/worker';

/**
 * The Temporal runtime's own Prometheus endpoint (worker and SDK metrics: task slots, poll and schedule
 * latencies, sticky cache, activity and workflow task outcomes), served at http://<address>/metrics.
 * Off unless TEMPORAL_METRICS_ADDRESS is set. Runtime.install is once per process and must come before
 * the first connection, which would otherwise install the default runtime.
 */
export function installTemporalMetrics(bindAddress: string | undefined): boolean {
  if (!bindAddress) return false;
  Runtime.install({
    telemetryOptions: { metrics: { prometheus: { bindAddress, countersTotalSuffix: true, useSecondsForDurations: true } } },
  });
  return true;
}
