// The console's one way to the Orderhub API: same origin, the session cookie, and the header the API asks
// of cookie-authenticated writes (api/auth.ts CSRF_HEADER / CSRF_VALUE). Errors become ApiError with a
// message a person can act on, naming every field the API named.

export const CSRF_HEADER = 'X-Requested-With';
export const CSRF_VALUE = 'orderhub-console';

interface ErrorBody {
  error?: { code?: string; message?: string; details?: unknown };
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

// Listeners told when the API says the session is gone (401), so the app can send the user to sign in.
const signedOutListeners = new Set<() => void>();
export function onSignedOut(listener: () => void): () => void {
  signedOutListeners.add(listener);
  return () => signedOutListeners.delete(listener);
}

/** A readable message from the API's `{ error: { code, message, details } }`, naming each bad field. */
export function messageOf(status: number, body: ErrorBody | undefined): string {
  const e = body?.error;
  if (!e) return `The API answered ${status}`;
  const message = e.message ?? `The API answered ${status}`;
  if (Array.isArray(e.details)) {
    const fields = e.details
      .filter((d): d is { path: string; message: string } => typeof d === 'object' && d !== null && 'path' in d && 'message' in d)
      .map((d) => `${d.path}: ${d.message}`);
    if (fields.length) return `${message} (${fields.join('; ')})`;
  }
  return message;
}

export interface RequestOptions {
  body?: unknown;
  idempotencyKey?: string;
  signal?: AbortSignal;
}

export async function request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<{ status: number; body: T }> {
  const headers: Record<string, string> = { [CSRF_HEADER]: CSRF_VALUE, Accept: 'application/json' };
  if (opts.body !== undefined) headers['Content-Type'] = 'application/json';
  if (opts.idempotencyKey) headers['Idempotency-Key'] = opts.idempotencyKey;
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers,
      credentials: 'same-origin',
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
      signal: opts.signal,
    });
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    throw new ApiError(0, 'network', 'The API cannot be reached: check the connection and try again');
  }
  const text = await res.text();
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  if (!res.ok) {
    const err = (body as ErrorBody | undefined)?.error;
    if (res.status === 401 && path !== '/session') for (const l of signedOutListeners) l();
    throw new ApiError(res.status, err?.code ?? 'error', messageOf(res.status, body as ErrorBody), err?.details);
  }
  return { status: res.status, body: body as T };
}

export const api = {
  get: async <T>(path: string, signal?: AbortSignal) => (await request<T>('GET', path, { signal })).body,
  post: async <T>(path: string, body?: unknown, opts: Omit<RequestOptions, 'body'> = {}) =>
    (await request<T>('POST', path, { ...opts, body: body ?? {} })).body,
  put: async <T>(path: string, body: unknown) => (await request<T>('PUT', path, { body })).body,
  patch: async <T>(path: string, body: unknown) => (await request<T>('PATCH', path, { body })).body,
  delete: async <T>(path: string) => (await request<T>('DELETE', path)).body,
};

/** A query string from the set values only: `?status=x&limit=50`. */
export function query(params: Record<string, string | number | boolean | undefined | null>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

/** An id in a path segment (order ids hold colons). */
export const seg = (id: string) => encodeURIComponent(id);

// Shapes the pages read (the parts of the API's answers they use).
export type Role = 'admin' | 'operator' | 'warehouse' | 'customer_service' | 'integration' | 'read_only';
export interface Principal {
  kind: 'key' | 'user';
  id: string;
  name: string;
  role: Role;
  locations?: string[];
  connections?: string[];
}
export interface SessionInfo {
  principal: Principal;
  permissions: string[];
}
