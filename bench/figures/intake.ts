import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';
import { Queue } from 'bullmq';
import { WEBHOOK_QUEUE } from '../../services/webhooks';
import { BULLMQ_PREFIX } from '../harness';
import { CONNECTIONS, shopifyDelivery } from '../setup';
import { metric, percentile } from '../stats';
import type { FigureContext, FigureResult } from './context';

// Figure 1: signed Shopify deliveries accepted by POST /webhooks/:connectionId (verify, store the raw
// delivery once, queue it), by autocannon over loopback, each request its own delivery and order id.
// The webhook queue is paused meanwhile, so the worker's consumer does not compete for the two cores
// and the figure is the intake alone; the queued deliveries are dropped afterwards.
// Baseline: the same payloads through a plain BullMQ Queue.add from one process, as many at once.

const CONNECTIONS_AT_ONCE = 20;
let nextOrder = 0;

export async function webhookIntake(ctx: FigureContext): Promise<FigureResult> {
  const { bench, smoke, log } = ctx;
  const runs = smoke ? 2 : 3;
  const seconds = smoke ? 2 : 10;
  const queue = new Queue(WEBHOOK_QUEUE, { connection: bench.redis, prefix: BULLMQ_PREFIX });
  const baselineQueue = new Queue('bench-intake-baseline', { connection: bench.redis, prefix: 'bench' });
  const failures: string[] = [];
  const real = { rate: [] as number[], p50: [] as number[], p99: [] as number[] };
  const base = { rate: [] as number[], p50: [] as number[], p99: [] as number[] };
  await queue.pause();
  try {
    await loadWebhooks(ctx, smoke ? 1 : 3); // warm-up: JIT, connection pools, FerretDB's first inserts
    for (let run = 1; run <= runs; run++) {
      const r = await loadWebhooks(ctx, seconds);
      const bad = r.non2xx + r.errors + r.timeouts;
      if (bad > 0) failures.push(`webhook intake run ${run}: ${r.non2xx} non-2xx answers, ${r.errors} errors, ${r.timeouts} timeouts`);
      real.rate.push(r['2xx'] / r.duration);
      real.p50.push(r.latency.p50);
      real.p99.push(r.latency.p99);
      const b = await plainQueueAdds(ctx, baselineQueue, seconds);
      base.rate.push(b.rate);
      base.p50.push(b.p50);
      base.p99.push(b.p99);
      log(
        `  intake run ${run}: ${(r['2xx'] / r.duration).toFixed(0)}/s p50 ${r.latency.p50} ms p99 ${r.latency.p99} ms; plain Queue.add ${b.rate.toFixed(0)}/s`,
      );
    }
  } finally {
    await queue.drain(true).catch(() => undefined);
    await queue.resume();
    await queue.close();
    await baselineQueue.obliterate({ force: true }).catch(() => undefined);
    await baselineQueue.close();
  }
  // What the stored deliveries cost afterwards: the consumer reads and settles each delivery by _id.
  const deliveries = bench.db.collection<{ _id: string }>('webhook_deliveries');
  const stored = await deliveries.estimatedDocumentCount();
  const probeStarted = performance.now();
  for (let i = 0; i < 3; i++) await deliveries.findOne({ _id: `${CONNECTIONS.intake}|no-such-delivery-${i}` });
  const idLookupMs = (performance.now() - probeStarted) / 3;
  log(`  ${stored} stored deliveries; one lookup by _id now takes ${idLookupMs.toFixed(0)} ms`);
  const fig = '1 webhook intake';
  const baseline = (runs: number[]) => ({ name: 'BullMQ Queue.add, same payloads', runs });
  return {
    metrics: [
      metric({ figure: fig, name: 'deliveries accepted', unit: '/s', better: 'higher', runs: real.rate, baseline: baseline(base.rate) }),
      metric({ figure: fig, name: 'p50 latency', unit: 'ms', better: 'lower', runs: real.p50, baseline: baseline(base.p50) }),
      metric({ figure: fig, name: 'p99 latency', unit: 'ms', better: 'lower', runs: real.p99, baseline: baseline(base.p99) }),
    ],
    failures,
    details: {
      connections: CONNECTIONS_AT_ONCE,
      secondsPerRun: seconds,
      runs,
      afterwards: { storedDeliveries: stored, deliveryLookupByIdMs: idLookupMs },
    },
  };
}

function loadWebhooks(ctx: FigureContext, seconds: number): Promise<autocannon.Result> {
  const path = `/webhooks/${CONNECTIONS.intake}`;
  return autocannon({
    url: `${ctx.bench.api.baseUrl}${path}`,
    connections: CONNECTIONS_AT_ONCE,
    duration: seconds,
    requests: [
      {
        method: 'POST',
        path,
        // Called for every request: a new order id and delivery id, so a new signature too.
        setupRequest: (req) => {
          const n = nextOrder++;
          const delivery = shopifyDelivery(8_100_000_000_000 + n, `${ctx.runTag}-intake-${n}`);
          return { ...req, body: delivery.body, headers: delivery.headers };
        },
      },
    ],
  });
}

// The same number of adds in flight as autocannon has connections, for the same time.
async function plainQueueAdds(ctx: FigureContext, queue: Queue, seconds: number): Promise<{ rate: number; p50: number; p99: number }> {
  const latencies: number[] = [];
  const end = performance.now() + seconds * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONNECTIONS_AT_ONCE }, async () => {
      while (performance.now() < end) {
        const n = nextOrder++;
        const deliveryId = `${ctx.runTag}-baseline-${n}`;
        const delivery = shopifyDelivery(8_200_000_000_000 + n, deliveryId);
        const t = performance.now();
        await queue.add('delivery', delivery, {
          jobId: createHash('sha1').update(deliveryId).digest('hex'),
          attempts: 12,
          backoff: { type: 'exponential', delay: 1_000 },
          removeOnComplete: { age: 24 * 3600 },
          removeOnFail: { age: 7 * 24 * 3600 },
        });
        latencies.push(performance.now() - t);
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  await queue.obliterate({ force: true });
  return { rate: latencies.length / elapsed, p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
}
