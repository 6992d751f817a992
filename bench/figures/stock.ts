import { performance } from 'node:perf_hooks';
import { Queue, Worker } from 'bullmq';
import { STOCK_PUSH_QUEUE } from '../../services/stock-sync';
import { mapLimit } from '../api-client';
import { BULLMQ_PREFIX } from '../harness';
import { CONNECTIONS, LOCATIONS, SHOPIFY_LOCATION, stockSku } from '../setup';
import { metric, percentile } from '../stats';
import { newestStableShopifyVersion } from '../../connectors/shopify';
import { BASELINE_TOKEN } from '../fake-shopify';
import { sleep, until, type FigureContext, type FigureResult } from './context';

// Figure 4: from a stock receipt's 201 (POST /stock/receipts) to the Shopify stand-in receiving the
// GraphQL inventorySetQuantities call that carries the new quantity: the ledger's change mark, the 1 s
// debounce, the push job, the connector (current levels read, then set with changeFromQuantity) with its
// Redis rate limit (2 calls/s, burst 40, per connection).
// Baseline: a BullMQ job delayed by the same 1 s debounce whose processor makes the same inventory
// calls straight to the stand-in, with no ledger read and no rate limit.

const DEBOUNCE_MS = 1_000; // services/stock-sync.ts
const SHOPIFY_REST = { ratePerSecond: 2, burst: 40 }; // connectors/shopify/client.ts (GraphQL shares it)

export async function stockToChannelOneSku(ctx: FigureContext): Promise<FigureResult> {
  const { smoke, log } = ctx;
  const runs = smoke ? 3 : 5;
  const sku = stockSku(0);
  const failures: string[] = [];
  const latencies: number[] = [];
  let available = 0;
  // Warm-up, not counted: the first push of a sku also looks its inventory item up (then cached for a day).
  available += 1;
  await receiptAndArrival(ctx, sku, 1, available).catch((err: Error) => failures.push(`stock push warm-up: ${err.message}`));
  for (let run = 1; run <= runs && failures.length === 0; run++) {
    await pushPipelineIdle(ctx);
    available += 1;
    try {
      latencies.push(await receiptAndArrival(ctx, sku, 1, available));
    } catch (err) {
      failures.push(`stock to channel (1 sku) run ${run}: ${(err as Error).message}`);
    }
  }
  const baseline = await baselineRuns(ctx, runs, 1);
  log(`  stock 1 sku: ${latencies.map((l) => l.toFixed(0)).join(', ')} ms; baseline ${baseline.map((l) => l.toFixed(0)).join(', ')} ms`);
  const fig = '4 stock to channel, 1 sku';
  return {
    metrics: [
      metric({
        figure: fig,
        name: 'receipt 201 → Shopify call',
        unit: 'ms',
        better: 'lower',
        runs: latencies,
        baseline: { name: '1 s delayed job → same call', runs: baseline },
      }),
    ],
    failures,
    details: { runs, debounceMs: DEBOUNCE_MS, note: 'median/min/max are over runs; each run is one receipt' },
  };
}

export interface ManySkus {
  /** Resolves once every receipt was answered (the change is "made at once"). */
  receipts: Promise<void>;
  /** Resolves when every sku's new level reached the stand-in, or the time ran out. */
  result: Promise<FigureResult>;
}

/** Many skus changed at once. In the full run this is left to finish while other figures run: it waits on Shopify's rate limit, not on the CPU. */
export function stockToChannelManySkus(ctx: FigureContext, count: number, timeoutMs: number): ManySkus {
  const { bench, log } = ctx;
  const skus = Array.from({ length: count }, (_, i) => stockSku(i + 1));
  const quantity = 5; // fresh skus: 0 -> 5, so the first call carrying 5 is the one
  const answeredAt = new Map<string, number>();
  const failures: string[] = [];
  const since = performance.now();
  const receipts = (async () => {
    await pushPipelineIdle(ctx);
    await mapLimit(skus, 32, async (sku) => {
      const res = await bench.api.post('/stock/receipts', {
        sku,
        locationId: LOCATIONS.feed,
        quantity,
        reference: `${ctx.runTag}-bulk`,
        idempotencyKey: `${ctx.runTag}-bulk-${sku}`,
      });
      if (res.status !== 201) failures.push(`receipt for ${sku} answered ${res.status}`);
      answeredAt.set(sku, performance.now());
    });
    log(`  stock ${count} skus: ${count} receipts answered in ${((performance.now() - since) / 1000).toFixed(1)} s`);
  })();
  const result = (async (): Promise<FigureResult> => {
    await receipts;
    const arrived = () => skus.filter((sku) => bench.shopify.arrival(sku, quantity, since) !== undefined).length;
    const done = await until('all skus pushed', timeoutMs, () => arrived() === count, 500);
    const latencies = skus.flatMap((sku) => {
      const at = bench.shopify.arrival(sku, quantity, since);
      return at === undefined ? [] : [at - answeredAt.get(sku)!];
    });
    if (!done)
      failures.push(
        `stock to channel (${count} skus): ${count - latencies.length} skus never reached the channel within ${Math.round(timeoutMs / 1000)} s`,
      );
    const last = Math.max(...latencies);
    const baseline = await baselineRuns(ctx, 1, count);
    const baselineLatencies = baseline.slice(1); // per sku
    const floor = rateLimitFloor(count);
    log(
      `  stock ${count} skus: p50 ${(percentile(latencies, 50) / 1000).toFixed(1)} s, p99 ${(percentile(latencies, 99) / 1000).toFixed(1)} s, last ${(last / 1000).toFixed(1)} s`,
    );
    const fig = `4 stock to channel, ${count.toLocaleString('en-US')} skus`;
    const base = (runs: number[]) => ({ name: '1 s delayed job → same calls, no limit', runs });
    return {
      metrics: [
        metric({
          figure: fig,
          name: 'p50 receipt 201 → Shopify call',
          unit: 's',
          better: 'lower',
          runs: [percentile(latencies, 50) / 1000],
          baseline: base([percentile(baselineLatencies, 50) / 1000]),
        }),
        metric({
          figure: fig,
          name: 'p99 receipt 201 → Shopify call',
          unit: 's',
          better: 'lower',
          runs: [percentile(latencies, 99) / 1000],
          baseline: base([percentile(baselineLatencies, 99) / 1000]),
        }),
      ],
      failures,
      details: {
        skus: count,
        arrived: latencies.length,
        lastSeconds: last / 1000,
        inventoryCallsPerSecond: latencies.length / (last / 1000),
        rateLimitFloorSeconds: { p50: floor.p50, p99: floor.p99, last: floor.last },
        note: 'one run: GraphQL inventorySetQuantities, 250 skus a call, after reading their current levels 100 at a time',
      },
    };
  })();
  return { receipts, result };
}

// What the connection's call limit alone allows: the k-th call waits for its token (burst 40, then 2/s):
// the sku look-ups (25 a query), the level reads (100 a query) and the sets (250 a call).
function rateLimitFloor(count: number): { p50: number; p99: number; last: number } {
  const calls = Math.ceil(count / 25) + Math.ceil(count / 100) + Math.ceil(count / 250);
  const at = (k: number) => Math.max(0, k - SHOPIFY_REST.burst) / SHOPIFY_REST.ratePerSecond + DEBOUNCE_MS / 1000;
  return { p50: at(Math.ceil(calls * 0.5)), p99: at(Math.ceil(calls * 0.99)), last: at(calls) };
}

async function receiptAndArrival(ctx: FigureContext, sku: string, quantity: number, expected: number): Promise<number> {
  const { bench } = ctx;
  const arrival = bench.shopify.waitForLevel(sku, expected, 30_000);
  arrival.catch(() => undefined); // awaited below; a refused receipt must not leave it unhandled
  const res = await bench.api.post('/stock/receipts', {
    sku,
    locationId: LOCATIONS.feed,
    quantity,
    reference: `${ctx.runTag}-one`,
    idempotencyKey: `${ctx.runTag}-one-${expected}`,
  });
  const answered = performance.now();
  if (res.status !== 201) throw new Error(`receipt answered ${res.status}: ${JSON.stringify(res.body).slice(0, 300)}`);
  return (await arrival) - answered;
}

/** Waits until no stock push is pending or running for the bench's stock connection. */
export async function pushPipelineIdle(ctx: FigureContext, timeoutMs = 60_000): Promise<void> {
  const { redis } = ctx.bench;
  const queue = new Queue(STOCK_PUSH_QUEUE, { connection: redis, prefix: BULLMQ_PREFIX });
  try {
    await until('stock pushes idle', timeoutMs, async () => {
      const [dirty, locked, counts] = await Promise.all([
        redis.scard(`orderhub:stock-dirty:${CONNECTIONS.stock}`),
        redis.exists(`orderhub:stock-push-lock:${CONNECTIONS.stock}`),
        queue.getJobCounts('waiting', 'delayed', 'active', 'prioritized'),
      ]);
      return dirty === 0 && locked === 0 && Object.values(counts).every((n) => n === 0);
    });
  } finally {
    await queue.close();
  }
  await sleep(200);
}

// The debounce and the inventorySetQuantities calls (250 skus a call), nothing else. Returns per-run latencies for one sku, or for
// many skus [total, ...per sku].
async function baselineRuns(ctx: FigureContext, runs: number, skus: number): Promise<number[]> {
  const { redis, shopify } = ctx.bench;
  const name = 'bench-stock-baseline';
  const queue = new Queue(name, { connection: redis, prefix: 'bench' });
  const connection = redis.duplicate({ maxRetriesPerRequest: null });
  const worker = new Worker<{ skus: string[]; available: number }>(
    name,
    async (job) => {
      // The connector's calls: per 250 skus, their current levels read (100 a query), then one
      // inventorySetQuantities with each changeFromQuantity.
      const graphql = async (variables: Record<string, unknown>) => {
        const res = await fetch(`${shopify.url}/admin/api/${newestStableShopifyVersion()}/graphql.json`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-shopify-access-token': BASELINE_TOKEN },
          body: JSON.stringify({ query: 'baseline', variables }),
        });
        return (await res.json()) as { data: { nodes?: { id: string; inventoryLevel: { quantities: { quantity: number }[] } | null }[] } };
      };
      const locationId = `gid://shopify/Location/${SHOPIFY_LOCATION}`;
      for (let i = 0; i < job.data.skus.length; i += 250) {
        const ids = job.data.skus.slice(i, i + 250).map((sku) => `gid://shopify/InventoryItem/${shopify.itemIdFor(sku)}`);
        const current = new Map<string, number | null>();
        for (let j = 0; j < ids.length; j += 100)
          for (const node of (await graphql({ ids: ids.slice(j, j + 100), locationId })).data.nodes ?? [])
            current.set(node.id, node.inventoryLevel?.quantities[0]?.quantity ?? null);
        const quantities = ids.map((id) => ({
          inventoryItemId: id,
          locationId,
          quantity: job.data.available,
          changeFromQuantity: current.get(id) ?? null,
        }));
        await graphql({ input: { name: 'available', reason: 'correction', quantities }, idempotencyKey: `${job.id}-${i}` });
      }
    },
    { connection, prefix: 'bench', concurrency: 10 },
  );
  const out: number[] = [];
  try {
    for (let run = 1; run <= runs; run++) {
      const names = Array.from({ length: skus }, (_, i) => `BASE-${ctx.runTag}-${skus}-${run}-${i}`);
      const since = performance.now();
      await queue.add('flush', { skus: names, available: run }, { delay: DEBOUNCE_MS, removeOnComplete: true });
      const added = performance.now();
      await until('baseline pushes', 120_000, () => names.every((s) => shopify.arrival(s, run, since) !== undefined), 20);
      const per = names.map((s) => (shopify.arrival(s, run, since) ?? Number.NaN) - added);
      if (skus === 1) out.push(per[0]);
      else out.push(Math.max(...per), ...per);
    }
  } finally {
    await worker.close();
    await connection.quit().catch(() => undefined);
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
  }
  return out;
}
