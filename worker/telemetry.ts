import { createServer } from 'node:http';
import { Runtime } from '@temporalio/worker';
import { collectDefaultMetrics, register } from 'prom-client';

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

/**
 * The worker's own Prometheus endpoint at http://<address>/metrics: prom-client's default registry, where
 * the worker's modules count (connector call outcomes, stock-push lag) with the process metrics. Off unless
 * WORKER_METRICS_ADDRESS is set; like the Temporal runtime's endpoint it has no authentication, so bind it
 * to an address only the scraper reaches.
 */
export async function serveWorkerMetrics(bindAddress: string | undefined): Promise<{ close(): Promise<void> } | undefined> {
  if (!bindAddress) return undefined;
  collectDefaultMetrics();
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || req.url?.split('?')[0] !== '/metrics') return void res.writeHead(404).end();
    register.metrics().then(
      (body) => res.writeHead(200, { 'content-type': register.contentType }).end(body),
      () => res.writeHead(500).end(),
    );
  });
  const at = bindAddress.lastIndexOf(':');
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(Number(bindAddress.slice(at + 1)), bindAddress.slice(0, at), resolve);
  });
  return { close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
