import axios, { AxiosError, type AxiosInstance, type AxiosRequestConfig, type AxiosResponse } from 'axios';
import { OrderhubError, UpstreamUnavailableError } from '../domain/errors';
import type { Logger } from '../domain/logger';
import type { RateLimit, RateLimiter } from './rate-limiter';
import { parseJsonExact } from './exact-json';
import { connectorCalls, connectorRetries } from './call-metrics';

export interface HttpClientOptions {
  connectionId: string;
  connector?: string; // the connection's kind, for the call metrics
  baseURL: string;
  limiter: RateLimiter;
  limit: RateLimit; // default bucket for this connection
  log: Logger;
  headers?: Record<string, string>;
  timeoutMs?: number; // per attempt; default 15 s
  maxAttempts?: number; // default 5
  baseDelayMs?: number; // first backoff; default 500 ms
  maxDelayMs?: number; // cap on one backoff or Retry-After wait; default 60 s
}

export interface RequestOptions extends AxiosRequestConfig {
  // A separate bucket for endpoints with their own documented limit (e.g. Amazon searchOrders).
  limitKey?: string;
  limit?: RateLimit;
  cost?: number; // tokens this call takes from the bucket (default 1): a GraphQL query's estimated cost
}

export class UpstreamError extends OrderhubError {
  constructor(
    message: string,
    readonly status: number | undefined,
    readonly body?: unknown,
  ) {
    // A refusal (4xx) is not an outage: retrying will not help, and the API reports it as 502.
    super(status !== undefined && status >= 400 && status < 500 && status !== 429 ? 'upstream_rejected' : 'upstream_unavailable', message, {
      status,
    });
  }
}

// Every outbound call goes through here: a shared per-connection rate limit, timeouts, retries with
// exponential backoff and full jitter on 5xx and network errors, and Retry-After honoured on 429.
export interface HttpClient {
  request<T = unknown>(config: RequestOptions): Promise<AxiosResponse<T>>;
  // The vendor reported what is left in its bucket for this connection (e.g. Shopify's GraphQL
  // throttleStatus): the shared bucket `limitKey` follows it, so every process sees the same budget.
  observeBucket(limitKey: string | undefined, limit: RateLimit, available: number): Promise<void>;
}

function parseJsonOrText(text: string): unknown {
  try {
    return parseJsonExact(text);
  } catch {
    return text;
  }
}

export function createHttpClient(opts: HttpClientOptions): HttpClient {
  const instance: AxiosInstance = axios.create({
    baseURL: opts.baseURL,
    timeout: opts.timeoutMs ?? 15_000,
    headers: { 'user-agent': 'Orderhub/0.1', ...opts.headers },
    validateStatus: () => true, // statuses are classified below, not thrown by axios
    // JSON as axios parses it, except that ids past 2^53 stay exact (as strings); not JSON: the text.
    transformResponse: [(data: unknown) => (typeof data === 'string' && /^\s*[[{]/.test(data) ? parseJsonOrText(data) : data)],
  });
  const maxAttempts = opts.maxAttempts ?? 5;
  const baseDelay = opts.baseDelayMs ?? 500;
  const maxDelay = opts.maxDelayMs ?? 60_000;
  const connector = opts.connector ?? 'unknown';

  return {
    async request<T>(config: RequestOptions): Promise<AxiosResponse<T>> {
      const { limitKey, limit, cost, ...axiosConfig } = config;
      const bucket = `${opts.connectionId}:${limitKey ?? 'default'}`;
      const what = `${(config.method ?? 'GET').toUpperCase()} ${config.url}`;
      for (let attempt = 1; ; attempt++) {
        await opts.limiter.acquire(bucket, limit ?? opts.limit, { cost: cost ?? 1 });
        let response: AxiosResponse<T> | undefined;
        let networkError: unknown;
        try {
          response = await instance.request<T>(axiosConfig);
        } catch (err) {
          networkError = err;
        }
        if (response && response.status < 400) {
          connectorCalls.inc({ connector, outcome: 'ok' });
          return response;
        }
        if (response && response.status >= 400 && response.status < 500 && response.status !== 429) {
          // 4xx other than 429 will not get better by retrying.
          connectorCalls.inc({ connector, outcome: 'rejected' });
          throw new UpstreamError(`${what} was refused with ${response.status}`, response.status, response.data);
        }
        let delay = Math.min(maxDelay, Math.random() * baseDelay * 2 ** (attempt - 1));
        if (response?.status === 429) {
          const retryAfter = retryAfterMs(response.headers['retry-after']);
          delay = Math.min(maxDelay, retryAfter ?? Math.max(delay, 1_000));
          // Every process waits, even when this call gives up below.
          await opts.limiter.pause(bucket, delay);
        }
        if (attempt >= maxAttempts) {
          connectorCalls.inc({ connector, outcome: 'unavailable' });
          const why = response ? `status ${response.status}` : describeNetworkError(networkError);
          throw new UpstreamUnavailableError(`${what} failed after ${attempt} attempts: ${why}`, { status: response?.status });
        }
        connectorRetries.inc({ connector, reason: !response ? 'network' : response.status === 429 ? 'rate_limited' : 'server_error' });
        opts.log.warn('outbound call will be retried', {
          connectionId: opts.connectionId,
          request: what,
          status: response?.status,
          attempt,
          delayMs: Math.round(delay),
        });
        await new Promise((r) => setTimeout(r, delay));
      }
    },
    async observeBucket(limitKey, limit, available) {
      await opts.limiter.observe(`${opts.connectionId}:${limitKey ?? 'default'}`, limit, available);
    },
  };
}

function describeNetworkError(err: unknown): string {
  if (err instanceof AxiosError) return err.code ?? err.message;
  return String(err);
}

// Retry-After is either seconds or an HTTP date.
export function retryAfterMs(header: unknown): number | undefined {
  if (typeof header !== 'string' || header.trim() === '') return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}
