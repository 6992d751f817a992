import { createServer } from 'node:http';
import { Runtime } from '@temporalio/worker';
import { collectDefaultMetrics, register } from 'prom-client';
import { temporalLogger, type Logger } from './logger';

/**
 * The Temporal runtime of this process, installed once before the first connection (which would otherwise
 * install the default one):
 * - its logger is the process's (pino): the SDK's lines, activity and workflow logs (`log` from
 *   @temporalio/workflow reaches it through the SDK's sink) and the core's own warnings, forwarded, come
 *   out as the same JSON lines as ours;
 * - its own Prometheus endpoint (worker and SDK metrics: task slots, poll and schedule latencies, sticky
 *   cache, activity and workflow task outcomes) at http://<metricsAddress>/metrics, when
 *   TEMPORAL_METRICS_ADDRESS is set.
 */
export function installTemporalRuntime(log: Logger, metricsAddress: string | undefined): void {
  Runtime.install({
    logger: temporalLogger(log),
    telemetryOptions: {
      logging: { forward: {}, filter: { core: 'WARN', other: 'ERROR' } },
      ...(metricsAddress && {
        metrics: { prometheus: { bindAddress: metricsAddress, countersTotalSuffix: true, useSecondsForDurations: true } },
      }),
    },
  });
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
