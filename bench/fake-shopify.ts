import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';

import { ShopifyShop, STANDARD_PLAN } from './shopify-shop';

// A stand-in for the Shopify Admin API on 127.0.0.1: one Standard shop as its GraphQL Admin API answers
// (bench/shopify-shop.ts: stock, orders, fulfilments, cancellations, a cost bucket of 2,000 points
// restoring 100 a second, THROTTLED when empty, ids past 2^53), recording when each quantity arrives, on
// the bench process's monotonic clock. Anything else (REST included) is an unexpected call. The
// baseline's access token is not metered: the baseline has no rate limit.

export const BASELINE_TOKEN = 'shpat_bench_baseline';

export interface InventoryCall {
  at: number; // performance.now() when the request body had arrived
  sku: string | undefined;
  inventoryItemId: string;
  locationId: string;
  available: number;
}

type Waiter = { sku: string; available: number; resolve: (at: number) => void };

export class FakeShopify {
  readonly calls: InventoryCall[] = [];
  readonly unexpected: string[] = [];
  graphqlCalls = 0;
  readonly shop: ShopifyShop;
  private readonly arrivals = new Map<string, number[]>(); // `${sku}|${available}` -> arrival times, in order
  private waiters: Waiter[] = [];
  private server?: http.Server;
  private arrivedAt = 0; // performance.now() of the request being answered
  url = '';

  constructor() {
    this.shop = new ShopifyShop({
      plan: STANDARD_PLAN,
      firstId: 900_000_000_000_000_000n,
      onApplied: (q, sku) =>
        this.record({
          at: this.arrivedAt,
          sku,
          inventoryItemId: idOf(q.inventoryItemId),
          locationId: idOf(q.locationId),
          available: q.quantity,
        }),
    });
  }

  async start(): Promise<void> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => this.handle(req, Buffer.concat(chunks).toString('utf8'), res));
    });
    this.server.keepAliveTimeout = 60_000;
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }

  /** Resolves with the arrival time of the first inventory call (from now on) that sets `sku` to `available`. */
  waitForLevel(sku: string, available: number, timeoutMs: number): Promise<number> {
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { sku, available, resolve: (at) => (clearTimeout(timer), resolve(at)) };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`Shopify stand-in: no inventory call set ${sku} to ${available} within ${Math.round(timeoutMs / 1000)} s`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  /** The first recorded call at or after `since` that set `sku` to `available`, if any. */
  arrival(sku: string, available: number, since: number): number | undefined {
    return this.arrivals.get(`${sku}|${available}`)?.find((at) => at >= since);
  }

  /** The inventory item id the stand-in gives a sku (stable for the bench's lifetime; past 2^53). */
  itemIdFor(sku: string): string {
    return idOf(this.shop.itemOf(sku)!);
  }

  // A quantity that arrived: recorded, and any waiter for it resolved.
  private record(call: InventoryCall): void {
    this.calls.push(call);
    if (call.sku === undefined) return;
    const key = `${call.sku}|${call.available}`;
    const list = this.arrivals.get(key);
    if (list) list.push(call.at);
    else this.arrivals.set(key, [call.at]);
    const matched = this.waiters.filter((w) => w.sku === call.sku && w.available === call.available);
    if (matched.length) {
      this.waiters = this.waiters.filter((w) => !matched.includes(w));
      for (const w of matched) w.resolve(call.at);
    }
  }

  private handle(req: http.IncomingMessage, body: string, res: http.ServerResponse): void {
    this.arrivedAt = performance.now();
    const path = (req.url ?? '').split('?')[0].replace(/^\/admin\/api\/\d{4}-\d{2}/, '');
    const send = (status: number, payload: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(payload));
    };
    if (req.method === 'POST' && path === '/graphql.json') {
      this.graphqlCalls++;
      let parsed: unknown;
      try {
        parsed = JSON.parse(body);
      } catch {
        return send(400, { errors: 'Bad Request' });
      }
      const answer = this.shop.graphql(parsed, { metered: req.headers['x-shopify-access-token'] !== BASELINE_TOKEN });
      return send(answer.status, answer.body);
    }
    this.unexpected.push(`${req.method} ${req.url}`);
    return send(404, { errors: 'Not Found' });
  }
}

// gid://shopify/InventoryItem/808950810 -> 808950810
const idOf = (gid: string) => /(\d+)$/.exec(gid)?.[1] ?? '';
