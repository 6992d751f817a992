import { UnauthorizedError } from '../../domain/errors';
import { UpstreamError, type HttpClient } from '../http';
import type { ConnectorContext } from '../types';
import { lwaTokenSchema, parseAmazon } from './schemas';

// Login with Amazon. One endpoint for every SP-API region.
export const LWA_BASE_URL = 'https://api.amazon.com';
const LWA_TOKEN_PATH = '/auth/o2/token';
const TOKEN_CACHE_KEY = 'amazon:lwa-access-token';
// Stop using a token this long before Amazon says it expires (clock skew, slow requests).
const EXPIRY_MARGIN_S = 60;
// LWA publishes no usage plan; this keeps a broken credential from hammering it.
const LWA_LIMIT = { ratePerSecond: 1, burst: 5 };

export interface LwaCredentials {
  clientId: string;
  clientSecret: string;
  refreshToken: string;
}

// Exchanges the seller's refresh token for short-lived access tokens, cached per connection in Redis
// so every worker process shares one token. Secrets go only into the form body of the token request.
export class LwaAuth {
  private readonly http: HttpClient;
  private inflight?: Promise<string>;

  constructor(
    private readonly credentials: LwaCredentials,
    private readonly ctx: ConnectorContext,
  ) {
    this.http = ctx.http({ baseURL: LWA_BASE_URL, limit: LWA_LIMIT });
  }

  async accessToken(): Promise<string> {
    const cached = await this.ctx.cache.get(TOKEN_CACHE_KEY);
    return cached || this.fetchOnce();
  }

  // SP-API refused `rejected`: take a newer token if another caller already replaced it, else fetch one.
  // The fetched token overwrites the cached one, which is how the refused token is dropped.
  async replace(rejected: string): Promise<string> {
    const cached = await this.ctx.cache.get(TOKEN_CACHE_KEY);
    if (cached && cached !== rejected) return cached;
    return this.fetchOnce();
  }

  // Concurrent callers in this process share one token request.
  private fetchOnce(): Promise<string> {
    this.inflight ??= this.fetchToken().finally(() => {
      this.inflight = undefined;
    });
    return this.inflight;
  }

  private async fetchToken(): Promise<string> {
    const form = new URLSearchParams({
      grant_type: 'refresh_token',
      refresh_token: this.credentials.refreshToken,
      client_id: this.credentials.clientId,
      client_secret: this.credentials.clientSecret,
    });
    let data: unknown;
    try {
      const res = await this.http.request({
        method: 'POST',
        url: LWA_TOKEN_PATH,
        data: form.toString(),
        headers: { 'content-type': 'application/x-www-form-urlencoded;charset=UTF-8' },
        limitKey: 'lwa',
      });
      data = res.data;
    } catch (err) {
      // LWA answers 400/401 with { error, error_description } for a bad refresh token or client.
      if (err instanceof UpstreamError && err.status !== undefined && err.status >= 400 && err.status < 500) {
        throw new UnauthorizedError(
          `Login with Amazon refused the connection's credentials (${err.status}${lwaErrorCode(err.body)}): check credentials.clientId, credentials.clientSecret and credentials.refreshToken`,
        );
      }
      throw err;
    }
    const token = parseAmazon(lwaTokenSchema, data, 'Login with Amazon token');
    const ttlMs = (token.expires_in - EXPIRY_MARGIN_S) * 1000;
    if (ttlMs > 0) await this.ctx.cache.set(TOKEN_CACHE_KEY, token.access_token, ttlMs);
    return token.access_token;
  }
}

// Only the documented error code (e.g. invalid_grant), never the description or the request.
function lwaErrorCode(body: unknown): string {
  const code = (body as { error?: unknown } | undefined)?.error;
  return typeof code === 'string' && /^[a-z_]{1,64}$/.test(code) ? ` ${code}` : '';
}
