// The Orderhub API as the demo calls it: JSON with an API key, errors with the API's own message.

export interface ApiAnswer<T = unknown> {
  status: number;
  body: T;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class OrderhubApi {
  constructor(
    readonly baseUrl: string,
    private readonly apiKey: string,
  ) {}

  /** 200 when every part of Orderhub answers; 0 when nothing answers at all. */
  async health(): Promise<number> {
    try {
      const res = await fetch(`${this.baseUrl}/health`, { signal: AbortSignal.timeout(5_000) });
      await res.arrayBuffer();
      return res.status;
    } catch {
      return 0;
    }
  }

  async request<T = unknown>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiAnswer<T>> {
    const res = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${this.apiKey}`,
        ...(body !== undefined && { 'content-type': 'application/json' }),
        ...headers,
      },
      ...(body !== undefined && { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(90_000),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON: keep the text
    }
    if (res.status === 401)
      throw new ApiError(
        401,
        `${method} ${path}: the API refused the key (401). Set ORDERHUB_API_KEY to the key the running Orderhub uses.`,
      );
    return { status: res.status, body: parsed as T };
  }

  /** The answer's body when its status is one of `ok`; else an ApiError naming the API's message and details. */
  async expect<T = unknown>(
    ok: number[],
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<ApiAnswer<T>> {
    const res = await this.request<T>(method, path, body, headers);
    if (!ok.includes(res.status)) {
      const error = (res.body as { error?: { message?: string; details?: unknown } } | undefined)?.error;
      const details = error?.details ? ` ${JSON.stringify(error.details).slice(0, 500)}` : '';
      throw new ApiError(res.status, `${method} ${path} answered ${res.status}: ${error?.message ?? JSON.stringify(res.body)}${details}`);
    }
    return res;
  }

  get<T = unknown>(path: string): Promise<T> {
    return this.expect<T>([200], 'GET', path).then((r) => r.body);
  }
}
