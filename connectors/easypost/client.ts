import { NotFoundError, UnauthorizedError } from '../../domain/errors';
import { UpstreamError, type HttpClient } from '../http';
import type { ConnectorContext } from '../types';

export interface EasyPostClientConfig {
  baseUrl: string;
  apiKey: string;
  requestsPerSecond: number;
  burst: number;
  timeoutMs: number;
}

// EasyPost's HTTP surface: Basic auth with the API key as the user name, JSON bodies, and errors as
// { error: { code, message, errors: [{ field, message }] } }.
export class EasyPostClient {
  private readonly http: HttpClient;
  private readonly once: HttpClient;
  private readonly auth: Record<string, string>;

  constructor(config: EasyPostClientConfig, ctx: ConnectorContext) {
    const base = {
      baseURL: config.baseUrl,
      limit: { ratePerSecond: config.requestsPerSecond, burst: config.burst },
      headers: { accept: 'application/json' },
      timeoutMs: config.timeoutMs,
    };
    this.http = ctx.http(base);
    // Calls that spend money or create a referenced shipment are sent once: after a timeout or a 5xx
    // nobody knows whether they took effect, so the caller retries the whole purchase, which looks first.
    this.once = ctx.http({ ...base, maxAttempts: 1 });
    // Per request, not client headers, so a rotated key is used at once.
    this.auth = { authorization: `Basic ${Buffer.from(`${config.apiKey}:`).toString('base64')}` };
  }

  async get<T>(url: string, params?: Record<string, string | number | boolean | undefined>): Promise<T> {
    try {
      return (await this.http.request<T>({ method: 'GET', url, params, headers: this.auth })).data;
    } catch (err) {
      throw explain(err, `GET ${url}`);
    }
  }

  // GET that answers undefined for 404 (a reference nobody has used yet).
  async find<T>(url: string): Promise<T | undefined> {
    try {
      return (await this.http.request<T>({ method: 'GET', url, headers: this.auth })).data;
    } catch (err) {
      if (err instanceof UpstreamError && err.status === 404) return undefined;
      throw explain(err, `GET ${url}`);
    }
  }

  async post<T>(url: string, body: unknown, opts: { once?: boolean } = {}): Promise<T> {
    const client = opts.once ? this.once : this.http;
    try {
      return (await client.request<T>({ method: 'POST', url, data: body, headers: { ...this.auth, 'content-type': 'application/json' } }))
        .data;
    } catch (err) {
      throw explain(err, `POST ${url}`);
    }
  }
}

interface EasyPostErrorBody {
  error?: { code?: string; message?: string; errors?: { field?: string; message?: string }[] };
}

// 4xx answers as our errors, with EasyPost's own code and message so an operator can act on them.
export function explain(err: unknown, what: string): unknown {
  if (!(err instanceof UpstreamError) || err.status === undefined) return err;
  const body = (err.body ?? {}) as EasyPostErrorBody;
  const code = body.error?.code;
  const fields = (body.error?.errors ?? []).filter((e) => e.field).map((e) => `${e.field}: ${e.message ?? 'is invalid'}`);
  const said = [code, body.error?.message, ...fields].filter(Boolean).join('; ');
  if (err.status === 401 || err.status === 403) {
    return new UnauthorizedError(
      `EasyPost refused the API key (${what}: ${err.status}${said ? `, ${said}` : ''}): check the connection's apiKey credential`,
    );
  }
  if (err.status === 404)
    return new NotFoundError(`EasyPost has no such object (${what}${said ? `: ${said}` : ''})`, { status: 404, code });
  return new UpstreamError(`EasyPost refused ${what} with ${err.status}${said ? `: ${said}` : ''}`, err.status, body);
}
