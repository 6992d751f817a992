import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';

// A stand-in for the Shopify Admin API on 127.0.0.1, answering the calls the connector makes for
// stock pushes through GraphQL as Shopify does (sku -> inventory item, the current available quantities,
// then inventorySetQuantities with changeFromQuantity checked, applied whole or not at all; cost
// extensions on every answer) and recording when each quantity arrives, on the bench process's monotonic
// clock. REST inventory_levels/set.json is answered too, for the bench's baseline.

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
  private readonly levels = new Map<string, number>(); // `${itemId}|${locationId}` -> available
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

  // A quantity that arrived: recorded, and any waiter for it resolved.
  private record(at: number, level: { inventory_item_id: number; location_id: number; available: number }): void {
    const call: InventoryCall = {
      at,
      sku: this.skusByItem.get(Number(level.inventory_item_id)),
      inventoryItemId: Number(level.inventory_item_id),
      locationId: Number(level.location_id),
      available: level.available,
    };
    this.levels.set(`${call.inventoryItemId}|${call.locationId}`, call.available);
    this.calls.push(call);
    if (call.sku === undefined) return;
    const key = `${call.sku}|${call.available}`;
    const list = this.arrivals.get(key);
    if (list) list.push(at);
    else this.arrivals.set(key, [at]);
    const matched = this.waiters.filter((w) => w.sku === call.sku && w.available === call.available);
    if (matched.length) {
      this.waiters = this.waiters.filter((w) => !matched.includes(w));
      for (const w of matched) w.resolve(at);
    }
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
      const { variables = {} } = JSON.parse(body) as { variables?: Record<string, unknown> };
      const cost = {
        requestedQueryCost: 10,
        actualQueryCost: 10,
        throttleStatus: { maximumAvailable: 2000, currentlyAvailable: 1990, restoreRate: 100 },
      };
      const answer = (data: unknown) => send(200, { data, extensions: { cost } });
      if (typeof variables.query === 'string') {
        // productVariants(query: "sku:\"A\" OR sku:\"B\"") -> one variant per sku, each with its inventory item.
        const skus = [...variables.query.matchAll(/sku:"((?:[^"\\]|\\.)*)"/g)].map((m) => m[1].replace(/\\(.)/g, '$1'));
        return answer({
          productVariants: {
            nodes: skus.map((sku) => ({ sku, inventoryItem: { id: `gid://shopify/InventoryItem/${this.itemIdFor(sku)}` } })),
          },
        });
      }
      if (Array.isArray(variables.ids)) {
        const location = idOf(String(variables.locationId));
        const nodes = (variables.ids as string[]).map((id) => {
          const available = this.levels.get(`${idOf(id)}|${location}`);
          return { id, inventoryLevel: available === undefined ? null : { quantities: [{ name: 'available', quantity: available }] } };
        });
        return answer({ nodes });
      }
      const input = variables.input as {
        quantities: { inventoryItemId: string; locationId: string; quantity: number; changeFromQuantity: number | null }[];
      };
      const userErrors = input.quantities.flatMap((q, i) => {
        const now = this.levels.get(`${idOf(q.inventoryItemId)}|${idOf(q.locationId)}`) ?? null;
        return q.changeFromQuantity === now
          ? []
          : [
              {
                field: ['input', 'quantities', String(i), 'changeFromQuantity'],
                message: 'The quantity has changed',
                code: 'CHANGE_FROM_QUANTITY_STALE',
              },
            ];
      });
      if (userErrors.length === 0)
        for (const q of input.quantities)
          this.record(at, { inventory_item_id: idOf(q.inventoryItemId), location_id: idOf(q.locationId), available: q.quantity });
      return answer({ inventorySetQuantities: { userErrors } });
    }
    if (req.method === 'POST' && path === '/inventory_levels/set.json') {
      const level = JSON.parse(body) as { inventory_item_id: number; location_id: number; available: number };
      this.record(at, level);
      return send(200, { inventory_level: { ...level, updated_at: new Date().toISOString() } });
    }
    if (req.method === 'GET' && path === '/orders.json') return send(200, { orders: [] });
    if (req.method === 'GET' && path === '/shop.json')
      return send(200, { shop: { name: 'Orderhub bench', myshopify_domain: 'orderhub-bench.myshopify.com' } });
    this.unexpected.push(`${req.method} ${req.url}`);
    return send(404, { errors: 'Not Found' });
  }
}

// gid://shopify/InventoryItem/808950810 (or a bare id) -> 808950810
const idOf = (id: string) => Number(/(\d+)$/.exec(id)?.[1] ?? NaN);
