import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';

// A stand-in for the Shopify Admin API on 127.0.0.1, answering the calls the connector makes for
// stock pushes (sku -> inventory item through GraphQL, then inventory_levels/set.json) and recording
// when each inventory call arrives, on the bench process's monotonic clock.

export interface InventoryCall {
  at: number; // performance.now() when the request body had arrived
  sku: string | undefined;
  inventoryItemId: number;
  locationId: number;
  available: number;
}

type Waiter = { sku: string; available: number; resolve: (at: number) => void };

export class FakeShopify {
  readonly calls: InventoryCall[] = [];
  readonly unexpected: string[] = [];
  graphqlCalls = 0;
  private readonly arrivals = new Map<string, number[]>(); // `${sku}|${available}` -> arrival times, in order
  private readonly itemIds = new Map<string, number>();
  private readonly skusByItem = new Map<number, string>();
  private waiters: Waiter[] = [];
  private server?: http.Server;
  url = '';

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

  /** The inventory item id the stand-in gives a sku (stable for the bench's lifetime). */
  itemIdFor(sku: string): number {
    let id = this.itemIds.get(sku);
    if (id === undefined) {
      id = 900_000_000 + this.itemIds.size;
      this.itemIds.set(sku, id);
      this.skusByItem.set(id, sku);
    }
    return id;
  }

  private handle(req: http.IncomingMessage, body: string, res: http.ServerResponse): void {
    const at = performance.now();
    const path = (req.url ?? '').split('?')[0].replace(/^\/admin\/api\/\d{4}-\d{2}/, '');
    const send = (status: number, payload: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(payload));
    };
    if (req.method === 'POST' && path === '/graphql.json') {
      this.graphqlCalls++;
      // productVariants(query: "sku:\"A\" OR sku:\"B\"") -> one variant per sku, each with its inventory item.
      const query = String((JSON.parse(body) as { variables?: { query?: string } }).variables?.query ?? '');
      const skus = [...query.matchAll(/sku:"((?:[^"\\]|\\.)*)"/g)].map((m) => m[1].replace(/\\(.)/g, '$1'));
      const nodes = skus.map((sku) => ({ sku, inventoryItem: { id: `gid://shopify/InventoryItem/${this.itemIdFor(sku)}` } }));
      return send(200, { data: { productVariants: { nodes } } });
    }
    if (req.method === 'POST' && path === '/inventory_levels/set.json') {
      const level = JSON.parse(body) as { inventory_item_id: number; location_id: number; available: number };
      const call: InventoryCall = {
        at,
        sku: this.skusByItem.get(Number(level.inventory_item_id)),
        inventoryItemId: Number(level.inventory_item_id),
        locationId: Number(level.location_id),
        available: level.available,
      };
      this.calls.push(call);
      if (call.sku !== undefined) {
        const key = `${call.sku}|${call.available}`;
        const list = this.arrivals.get(key);
        if (list) list.push(at);
        else this.arrivals.set(key, [at]);
      }
      const matched = this.waiters.filter((w) => w.sku === call.sku && w.available === call.available);
      if (matched.length) {
        this.waiters = this.waiters.filter((w) => !matched.includes(w));
        for (const w of matched) w.resolve(at);
      }
      return send(200, { inventory_level: { ...level, updated_at: new Date().toISOString() } });
    }
    if (req.method === 'GET' && path === '/orders.json') return send(200, { orders: [] });
    if (req.method === 'GET' && path === '/shop.json')
      return send(200, { shop: { name: 'Orderhub bench', myshopify_domain: 'orderhub-bench.myshopify.com' } });
    this.unexpected.push(`${req.method} ${req.url}`);
    return send(404, { errors: 'Not Found' });
  }
}
