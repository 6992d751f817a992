import axios from 'axios';
import { connectorCalls } from './call-metrics';

// POSTs to subscribers' URLs (outbound webhooks): third-party HTTP, one try per call (the caller's queue
// retries with backoff and logs each try), counted with the connector calls as connector "outbound_webhook".

const http = axios.create({
  timeout: 10_000,
  maxRedirects: 0, // a subscriber's URL is where it gets the event, not a hop elsewhere
  validateStatus: () => true,
  headers: { 'user-agent': 'Orderhub-Webhooks/0.1', 'content-type': 'application/json' },
  transformResponse: [(data: unknown) => data],
});

export interface PostResult {
  statusCode?: number;
  ms: number;
  error?: string;
}

export async function postSigned(url: string, body: string, headers: Record<string, string>): Promise<PostResult> {
  const started = Date.now();
  try {
    const res = await http.post(url, body, { headers });
    const ok = res.status >= 200 && res.status < 300;
    connectorCalls.inc({ connector: 'outbound_webhook', outcome: ok ? 'ok' : res.status < 500 ? 'rejected' : 'unavailable' });
    return { statusCode: res.status, ms: Date.now() - started, ...(!ok && { error: `answered ${res.status}` }) };
  } catch (err) {
    connectorCalls.inc({ connector: 'outbound_webhook', outcome: 'unavailable' });
    return { ms: Date.now() - started, error: err instanceof Error ? err.message : String(err) };
  }
}
