import { Counter, register } from 'prom-client';

// Outbound calls to channels, carriers and ERPs (every one goes through http.ts), in the process's
// default prom-client registry: the API's /metrics and the worker's WORKER_METRICS_ADDRESS serve it.
// Labelled by connector kind (shopify, amazon, easypost, ...), never by connection or URL.

export const connectorCalls = new Counter({
  name: 'orderhub_connector_calls_total',
  help: 'Outbound connector calls by connector kind and outcome: ok, rejected (a 4xx other than 429), unavailable (gave up after retries)',
  labelNames: ['connector', 'outcome'] as const,
  registers: [register],
});

export const connectorRetries = new Counter({
  name: 'orderhub_connector_call_retries_total',
  help: 'Outbound connector attempts retried, by connector kind and reason: rate_limited (429), server_error (5xx), network',
  labelNames: ['connector', 'reason'] as const,
  registers: [register],
});
