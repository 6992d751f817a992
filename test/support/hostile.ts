import { createHash, createHmac } from 'node:crypto';
import type { Agent, Response, Test } from 'supertest';
import type { TestContext } from './stack';
import { ID_ONLY_COLLECTIONS, STORE_INDEXES } from '../../store/mongo';

// Building blocks for table-driven hostile-input suites: what a case is, how its answer is checked,
// and a fingerprint of everything the API could have written, taken before and after each case.

export type { Agent };

export interface HostileCase {
  route: string; // "POST /orders": the route under attack, for the coverage check
  name: string;
  send: (http: Agent) => Test;
  status: number;
  code?: string; // defaults from the status
  paths?: string[]; // validation details must name at least these paths
  // 'all': no collection, queue or workflow history may change; 'counts': nothing may be added or removed.
  unchanged?: 'all' | 'counts';
  check?: (res: Response) => void; // for the few cases that expect a non-error answer
}

export const CODE_BY_STATUS: Record<number, string> = {
  400: 'validation_failed',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  409: 'conflict',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
};

// Every collection the API or the stores behind it can write: all the store declares (store/mongo.ts).
// Not watched: bookkeeping of who called, not an effect of what was sent (when a key was last used, the
// audit entries of accepted writes, written just after the answer).
const BOOKKEEPING = ['api_key_usage', 'audit_log', 'audit_hours', 'connection_polls']; // written by reads, and by background polls
export const WATCHED_COLLECTIONS = [...new Set([...Object.keys(STORE_INDEXES), ...ID_ONLY_COLLECTIONS])]
  .filter((c) => !BOOKKEEPING.includes(c))
  .sort();

export interface Fingerprint {
  collections: Record<string, { count: number; digest: string }>;
  extra: Record<string, unknown>;
}

// Counts and a digest of every document, so an update shows as well as an insert.
export async function fingerprint(
  ctx: TestContext,
  extra: () => Promise<Record<string, unknown>> = async () => ({}),
): Promise<Fingerprint> {
  const collections: Fingerprint['collections'] = {};
  for (const name of WATCHED_COLLECTIONS) {
    const docs = await ctx.mongo.db.collection(name).find({}).toArray();
    const lines = docs.map((d) => JSON.stringify(d)).sort();
    collections[name] = { count: docs.length, digest: createHash('sha256').update(lines.join('\n')).digest('hex').slice(0, 16) };
  }
  return { collections, extra: await extra() };
}

export const countsOf = (f: Fingerprint) => ({
  ...Object.fromEntries(Object.entries(f.collections).map(([k, v]) => [k, v.count])),
  ...f.extra,
});

// A refusal: the status and code expected, the documented error shape, every named path present.
export function expectRefused(res: Response, c: HostileCase): void {
  // Status and body in one string, so a failure shows what came back.
  expect(`${res.status} ${JSON.stringify(res.body)?.slice(0, 600)}`).toMatch(new RegExp(`^${c.status} `));
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  expect(res.body).toEqual({ error: expect.objectContaining({ code: c.code ?? CODE_BY_STATUS[c.status], message: expect.any(String) }) });
  expect(Object.keys(res.body.error).filter((k) => !['code', 'message', 'details', 'requestId'].includes(k))).toEqual([]);
  // The id the API logged the request under, as in its X-Request-Id header.
  expect(res.body.error.requestId).toBe(res.headers['x-request-id']);
  if (c.paths) {
    const details = res.body.error.details as { path: unknown; message: unknown }[];
    expect(Array.isArray(details)).toBe(true);
    for (const d of details) expect(d).toEqual({ path: expect.any(String), message: expect.any(String) });
    expect(details.map((d) => d.path)).toEqual(expect.arrayContaining(c.paths));
  }
}

// A copy of `base` with the value at a dotted path set (or removed when value is undefined).
export function withField<T extends object>(base: T, path: string, value: unknown): T {
  const copy = structuredClone(base) as Record<string, unknown>;
  const keys = path.split('.');
  let node: Record<string, unknown> = copy;
  keys.slice(0, -1).forEach((key, i) => {
    node[key] ??= /^\d+$/.test(keys[i + 1]) ? [] : {};
    node = node[key] as Record<string, unknown>;
  });
  const last = keys[keys.length - 1];
  // defineProperty, not assignment: `__proto__` must become an own key, not the prototype.
  if (value === undefined) delete node[last];
  else Object.defineProperty(node, last, { value, enumerable: true, writable: true, configurable: true });
  return copy as T;
}

// JSON text with `"__FIELD__"` replaced by raw JSON: for what JSON.stringify cannot write
// (1e999, -0, duplicate keys, `__proto__` as an own key).
export function rawBody(base: object, path: string, rawValue: string): string {
  return JSON.stringify(withField(base, path, '__RAW__')).replace('"__RAW__"', rawValue);
}

export const hmacBase64 = (body: string | Buffer, secret: string) => createHmac('sha256', secret).update(body).digest('base64');

// `{"$gt":""}` as it appears in a URL: an id that is a MongoDB operator if anything parses it.
export const OPERATOR_IN_URL = encodeURIComponent('{"$gt":""}');
