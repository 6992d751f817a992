// The Orderhub API as the bench calls it: JSON over keep-alive HTTP with the bench's API key.

export interface ApiResponse<T = unknown> {
  status: number;
  body: T;
}

export class ApiClient {
  constructor(
    readonly baseUrl: string,
    private readonly apiKey: string,
  ) {}

  async health(): Promise<number> {
    try {
      const res = await fetch(`${this.baseUrl}/health`, { signal: AbortSignal.timeout(5_000) });
      await res.arrayBuffer();
      return res.status;
    } catch {
      return 0;
    }
  }

  get<T = unknown>(path: string): Promise<ApiResponse<T>> {
    return this.request<T>('GET', path);
  }

  post<T = unknown>(path: string, body?: unknown): Promise<ApiResponse<T>> {
    return this.request<T>('POST', path, body === undefined ? undefined : JSON.stringify(body), { 'content-type': 'application/json' });
  }

  /** A raw POST (for webhooks): the body goes as given, with only the headers passed. */
  async postRaw(path: string, body: string, headers: Record<string, string>): Promise<ApiResponse> {
    return this.request('POST', path, body, headers, false);
  }

  /** An authenticated POST of a body that is not JSON (a CSV file). */
  postText<T = unknown>(path: string, body: string, contentType: string): Promise<ApiResponse<T>> {
    return this.request<T>('POST', path, body, { 'content-type': contentType });
  }

  /** Like post, but throws unless the status is one of `ok`. */
  async postOk<T = unknown>(path: string, body: unknown, ok: number[] = [200, 201, 202]): Promise<ApiResponse<T>> {
    const res = await this.post<T>(path, body);
    if (!ok.includes(res.status)) throw new Error(`POST ${path} answered ${res.status}: ${JSON.stringify(res.body).slice(0, 500)}`);
    return res;
  }

  private async request<T>(
    method: string,
    path: string,
    body?: string,
    headers: Record<string, string> = {},
    auth = true,
  ): Promise<ApiResponse<T>> {
    const res = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: { ...(auth && { authorization: `Bearer ${this.apiKey}` }), ...headers },
      ...(body !== undefined && { body }),
      signal: AbortSignal.timeout(60_000),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON: keep the text
    }
    return { status: res.status, body: parsed as T };
  }
}

/** Runs `task` for each item with at most `limit` at once; resolves with the results in order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, task: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await task(items[i], i);
    }
  });
  await Promise.all(lanes);
  return results;
}
