import { performance } from 'node:perf_hooks';
import { Queue, Worker } from 'bullmq';
import { CONNECTIONS, shopifyDelivery } from '../setup';
import { metric, percentile } from '../stats';
import { sleep, until, type FigureContext, type FigureResult } from './context';

// Figure 3: from a webhook's 200 to the order appearing in GET /orders. Deliveries go one every
// 100 ms (a busy shop, not a flood) and one poller lists the channel's newest orders back to back, so
// a time is an upper bound within one poll (a list call plus POLL_GAP_MS).
// Baseline: the bare path the webhook takes, without Orderhub: a BullMQ job whose processor inserts
// one document into the same FerretDB, found by the same kind of poll.

const PACE_MS = 100;
const POLL_GAP_MS = 10;
let nextOrder = 0;

export async function captureToVisible(ctx: FigureContext): Promise<FigureResult> {
  const { smoke, log } = ctx;
  const runs = smoke ? 2 : 3;
  const perRun = smoke ? 10 : 60;
  const failures: string[] = [];
  const real = { p50: [] as number[], p99: [] as number[] };
  const base = { p50: [] as number[], p99: [] as number[] };
  const samples: number[] = [];
  for (let run = 1; run <= runs; run++) {
    const r = await webhookRun(ctx, perRun);
    if (r.missing > 0)
      failures.push(
        `capture to visible run ${run}: ${r.missing} of ${perRun} orders did not appear in GET /orders within 15 s of the last webhook`,
      );
    if (r.refused > 0) failures.push(`capture to visible run ${run}: ${r.refused} webhooks not answered 200`);
    real.p50.push(percentile(r.latencies, 50));
    real.p99.push(percentile(r.latencies, 99));
    samples.push(...r.latencies);
    const b = await baselineRun(ctx, perRun, run);
    base.p50.push(percentile(b, 50));
    base.p99.push(percentile(b, 99));
    log(
      `  visible run ${run}: p50 ${percentile(r.latencies, 50).toFixed(0)} ms p99 ${percentile(r.latencies, 99).toFixed(0)} ms; bare queue+insert p50 ${percentile(b, 50).toFixed(0)} ms`,
    );
  }
  // Let these orders finish their way to release, so figure 2 starts from a quiet system.
  const created = (await ctx.bench.temporal.workflow.count(`SalesChannel = '${CONNECTIONS.visible}'`)).count;
  const drained = await until(
    'figure 3 orders released',
    300_000,
    async () =>
      (await ctx.bench.temporal.workflow.count(`SalesChannel = '${CONNECTIONS.visible}' AND OrderStatus = 'released_to_fulfillment'`))
        .count >= created,
    1_000,
  );
  if (!drained) failures.push(`capture to visible: not all ${created} webhook orders were released within 300 s`);
  const fig = '3 capture to visible';
  const baseline = (runs: number[]) => ({ name: 'BullMQ job inserting one doc', runs });
  return {
    metrics: [
      metric({
        figure: fig,
        name: 'p50 webhook 200 → in GET /orders',
        unit: 'ms',
        better: 'lower',
        runs: real.p50,
        baseline: baseline(base.p50),
      }),
      metric({
        figure: fig,
        name: 'p99 webhook 200 → in GET /orders',
        unit: 'ms',
        better: 'lower',
        runs: real.p99,
        baseline: baseline(base.p99),
      }),
    ],
    failures,
    details: { runs, ordersPerRun: perRun, paceMs: PACE_MS, allRunsP50: percentile(samples, 50), allRunsP99: percentile(samples, 99) },
  };
}

async function webhookRun(ctx: FigureContext, count: number): Promise<{ latencies: number[]; missing: number; refused: number }> {
  const { api } = ctx.bench;
  const answeredAt = new Map<string, number>(); // order id -> when its webhook got its 200
  const seenAt = new Map<string, number>();
  let refused = 0;
  let sending = true;
  let lastAnswer = performance.now();
  const poller = (async () => {
    while (sending || seenAt.size < answeredAt.size) {
      const res = await api.get<{ orders: { orderId: string }[] }>(`/orders?channel=${CONNECTIONS.visible}&limit=20`);
      const now = performance.now();
      for (const o of res.body.orders ?? []) if (answeredAt.has(o.orderId) && !seenAt.has(o.orderId)) seenAt.set(o.orderId, now);
      if (!sending && now - lastAnswer > 15_000) break; // the rest never showed up
      await sleep(POLL_GAP_MS);
    }
  })();
  const posts: Promise<void>[] = [];
  for (let i = 0; i < count; i++) {
    const n = nextOrder++;
    const channelOrderId = 8_300_000_000_000 + n;
    const delivery = shopifyDelivery(channelOrderId, `${ctx.runTag}-visible-${n}`);
    posts.push(
      api.postRaw(`/webhooks/${CONNECTIONS.visible}`, delivery.body, delivery.headers).then((res) => {
        lastAnswer = performance.now();
        if (res.status === 200) answeredAt.set(`order:${CONNECTIONS.visible}:${channelOrderId}`, lastAnswer);
        else refused++;
      }),
    );
    await sleep(PACE_MS);
  }
  await Promise.all(posts);
  sending = false;
  await poller;
  // Seen before its own 200 arrived (the poll raced the answer) counts as 0.
  const latencies = [...answeredAt].flatMap(([id, at]) => (seenAt.has(id) ? [Math.max(0, seenAt.get(id)! - at)] : []));
  return { latencies, missing: answeredAt.size - seenAt.size, refused };
}

async function baselineRun(ctx: FigureContext, count: number, run: number): Promise<number[]> {
  const { redis, db } = ctx.bench;
  const name = 'bench-visible-baseline';
  const collection = db.collection<{ _id: string; run: string; at: Date }>('bench_visible_baseline');
  const runKey = `${ctx.runTag}-${run}`;
  const queue = new Queue(name, { connection: redis, prefix: 'bench' });
  const connection = redis.duplicate({ maxRetriesPerRequest: null });
  const worker = new Worker<{ id: string }>(
    name,
    async (job) => {
      await collection.insertOne({ _id: job.data.id, run: runKey, at: new Date() });
    },
    { connection, prefix: 'bench', concurrency: 20 },
  );
  const addedAt = new Map<string, number>();
  const seenAt = new Map<string, number>();
  let sending = true;
  let lastAdd = performance.now();
  const poller = (async () => {
    const deadline = () => !sending && performance.now() - lastAdd > 15_000;
    while ((sending || seenAt.size < addedAt.size) && !deadline()) {
      const docs = await collection.find({ run: runKey }).sort({ at: -1 }).limit(20).toArray();
      const now = performance.now();
      for (const d of docs) if (addedAt.has(d._id) && !seenAt.has(d._id)) seenAt.set(d._id, now);
      await sleep(POLL_GAP_MS);
    }
  })();
  for (let i = 0; i < count; i++) {
    const id = `${runKey}-${i}`;
    const delivery = shopifyDelivery(8_400_000_000_000 + i, id);
    await queue.add('delivery', { id, ...delivery }, { removeOnComplete: true });
    lastAdd = performance.now();
    addedAt.set(id, lastAdd);
    await sleep(PACE_MS);
  }
  sending = false;
  await poller;
  await worker.close();
  await connection.quit().catch(() => undefined);
  await queue.obliterate({ force: true }).catch(() => undefined);
  await queue.close();
  return [...addedAt].flatMap(([id, at]) => (seenAt.has(id) ? [Math.max(0, seenAt.get(id)! - at)] : []));
}
