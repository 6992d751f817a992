import { UnauthorizedError } from '../../domain/errors';
import { UpstreamError, type HttpClient } from '../http';
import type { ConnectorContext } from '../types';

export interface ErpClientConfig {
  baseUrl: string;
  apiKey: string;
  requestsPerSecond: number;
  burst: number;
}

// The ERP's HTTP surface: bearer auth, the connection's shared rate limit, and the two answers the
// contract gives meaning to (401/403: bad key; 409 on a POST: that Idempotency-Key was already applied).
export class ErpClient {
  private readonly http: HttpClient;
  private readonly auth: Record<string, string>;

  constructor(config: ErpClientConfig, ctx: ConnectorContext) {
    this.http = ctx.http({
      baseURL: config.baseUrl,
      limit: { ratePerSecond: config.requestsPerSecond, burst: config.burst },
      headers: { accept: 'application/json' },
    });
    // Sent per request, not as client headers: ctx.http reuses one client per base URL and limit, so
    // client headers would outlive a rotated key.
    this.auth = { authorization: `Bearer ${config.apiKey}` };
  }

  async get<T>(url: string, params?: Record<string, string | number | undefined>): Promise<T> {
    try {
      const res = await this.http.request<T>({ method: 'GET', url, params, headers: this.auth });
      return res.data;
    } catch (err) {
      throw explain(err);
    }
  }

  // A POST the ERP applies once per Idempotency-Key; a repeat answered 409 already took effect.
  async postOnce(url: string, body: unknown, idempotencyKey: string): Promise<void> {
    if (!idempotencyKey) throw new TypeError(`POST ${url} needs an idempotency key`);
    try {
      await this.http.request({
        method: 'POST',
        url,
        data: body,
        headers: { ...this.auth, 'idempotency-key': idempotencyKey, 'content-type': 'application/json' },
      });
    } catch (err) {
      if (err instanceof UpstreamError && err.status === 409) return;
      throw explain(err);
    }
  }
}

function explain(err: unknown): unknown {
  if (err instanceof UpstreamError && (err.status === 401 || err.status === 403)) {
    return new UnauthorizedError(`The ERP refused the API key (${err.message}): check the connection's apiKey credential`);
  }
  return err;
}
