import { performance } from 'node:perf_hooks';
import type { Client } from '@temporalio/client';
import { orderInputSchema, toOrder } from '../../domain/order';
import { OrderLateKey, OrderStatusKey, OrderTypeKey, SalesChannelKey } from '../../workflows/search-attributes';
import { baselineOrderWorkflow } from '../baseline/workflows';
import { BASELINE_TASK_QUEUE } from '../harness';
import { E2E_SKUS, orderBody } from '../setup';
import { metric, percentile } from '../stats';
import { collectionSizes, sleep, until, type FigureContext, type FigureResult } from './context';

// Figure 2: orders from capture (POST /orders) to released_to_fulfillment in the orders view.
// A closed loop keeps IN_FLIGHT orders between capture and release: a new order is captured as soon as
// Temporal's visibility counts another one released (OrderStatus search attribute). The figures come
// afterwards from the view itself (updatedAt of the released projection) against each order's
// capture time, so the poll that paces the loop is not what is measured.
// Baseline: baselineOrderWorkflow (bench/baseline) started straight on Temporal through the same loop:
// the same eight activity calls doing nothing, on its own worker with the same settings.

export const IN_FLIGHT = 20; // well past the knee (about 5 for the no-op workflow), so both paths are saturated
const COUNT_EVERY_MS = 250;

export interface LoopResult {
  captured: number;
  released: number;
  throughput: number; // per second, over the window after the warm-up
  p50: number; // ms
  p99: number; // ms
  notReleased: string[];
  refused: number;
}

interface LoopOptions {
  label: string;
  seconds: number;
  warmupSeconds: number;
  inFlight: number;
  /** Captures one order; resolves with its id once accepted, or undefined when refused. */
  capture(n: number): Promise<string | undefined>;
  /** How many of this loop's orders are released so far (may lag). */
  countReleased(): Promise<number>;
  /** After the loop: the time each of these orders was released (epoch ms), by order id. */
  releaseTimes(ids: string[]): Promise<Map<string, number>>;
  drainTimeoutMs: number;
  /** Smoke runs are too short to reach a steady state: count every release, up to the last one. */
  countDrain?: boolean;
}

export async function closedLoop(opts: LoopOptions): Promise<LoopResult> {
  const sentAt = new Map<string, number>(); // order id -> epoch ms just before the capture call
  let captured = 0;
  let posting = 0;
  let refused = 0;
  let released = 0;
  let n = 0;
  const start = Date.now();
  const end = start + opts.seconds * 1000;
  let counting = true;
  const counter = (async () => {
    while (counting) {
      released = await opts.countReleased().catch(() => released);
      await sleep(COUNT_EVERY_MS);
    }
  })();
  const inflightCaptures: Promise<void>[] = [];
  while (Date.now() < end) {
    while (captured + posting - released < opts.inFlight && Date.now() < end) {
      posting++;
      const at = Date.now();
      const p = opts.capture(n++).then(
        (id) => {
          posting--;
          if (id) {
            sentAt.set(id, at);
            captured++;
          } else refused++;
        },
        () => {
          posting--;
          refused++;
        },
      );
      inflightCaptures.push(p);
    }
    await sleep(10);
  }
  await Promise.all(inflightCaptures);
  await until('every order released', opts.drainTimeoutMs, async () => (await opts.countReleased()) >= captured, 250);
  counting = false;
  await counter;

  // The view (or Temporal) is the source of truth; read it once, after the measurement.
  const times = await opts.releaseTimes([...sentAt.keys()]);
  const notReleased = [...sentAt.keys()].filter((id) => !times.has(id));
  const windowStart = start + opts.warmupSeconds * 1000;
  const windowEnd = opts.countDrain ? Math.max(end, ...times.values()) : end;
  const inWindow = [...times.values()].filter((t) => t >= windowStart && t <= windowEnd).length;
  const latencies = [...sentAt].flatMap(([id, at]) => (at >= windowStart && times.has(id) ? [times.get(id)! - at] : []));
  return {
    captured,
    released: times.size,
    throughput: inWindow / ((windowEnd - windowStart) / 1000),
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    notReleased,
    refused,
  };
}

const pickLines = (n: number) => {
  const lines = [{ sku: E2E_SKUS[n % E2E_SKUS.length], quantity: 1 + (n % 3) }];
  if (n % 2 === 1) lines.push({ sku: E2E_SKUS[(n * 7 + 3) % E2E_SKUS.length], quantity: 1 });
  return lines.filter((l, i) => i === 0 || l.sku !== lines[0].sku);
};

const countQuery = (temporal: Client, query: string) => temporal.workflow.count(query).then((c) => c.count);

/** One run of the real path: POST /orders through to released_to_fulfillment in the view. */
export function realOrdersRun(ctx: FigureContext, channel: string, seconds: number, inFlight = IN_FLIGHT): Promise<LoopResult> {
  const { bench } = ctx;
  return closedLoop({
    label: channel,
    seconds,
    warmupSeconds: ctx.smoke ? 0 : Math.min(5, seconds / 4),
    inFlight,
    drainTimeoutMs: 120_000,
    countDrain: ctx.smoke,
    async capture(n) {
      const res = await bench.api.post<{ orderId: string }>('/orders', orderBody(channel, `${ctx.runTag}-${n}`, pickLines(n)));
      return res.status === 202 ? res.body.orderId : undefined;
    },
    countReleased: () => countQuery(bench.temporal, `SalesChannel = '${channel}' AND OrderStatus = 'released_to_fulfillment'`),
    async releaseTimes(ids) {
      // The search attribute moves just before the view is projected: give the last projections a moment.
      const read = async () => {
        const docs = await bench.db
          .collection<{ _id: string; status: string; updatedAt: Date }>('orders')
          .find({ channel }, { projection: { status: 1, updatedAt: 1 } })
          .toArray();
        return new Map(docs.filter((d) => d.status === 'released_to_fulfillment').map((d) => [d._id, d.updatedAt.getTime()]));
      };
      let times = await read();
      const deadline = Date.now() + 60_000;
      while (ids.some((id) => !times.has(id)) && Date.now() < deadline) {
        await sleep(500);
        times = await read();
      }
      return times;
    },
  });
}

/** One run of the baseline: the no-op workflow of the same shape, started straight on Temporal. */
export function baselineOrdersRun(ctx: FigureContext, channel: string, seconds: number, inFlight = IN_FLIGHT): Promise<LoopResult> {
  const { temporal } = ctx.bench;
  return closedLoop({
    label: channel,
    seconds,
    warmupSeconds: ctx.smoke ? 0 : Math.min(5, seconds / 4),
    inFlight,
    drainTimeoutMs: 120_000,
    countDrain: ctx.smoke,
    async capture(n) {
      const order = toOrder(orderInputSchema.parse(orderBody(channel, `${ctx.runTag}-${n}`, pickLines(n))), new Date().toISOString());
      await temporal.workflow.start(baselineOrderWorkflow, {
        workflowId: `baseline:${order.id}`,
        taskQueue: BASELINE_TASK_QUEUE,
        args: [{ order }],
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        typedSearchAttributes: [
          { key: OrderStatusKey, value: 'received' },
          { key: SalesChannelKey, value: channel },
          { key: OrderTypeKey, value: order.type },
          { key: OrderLateKey, value: false },
        ],
      });
      return `baseline:${order.id}`;
    },
    countReleased: () => countQuery(temporal, `SalesChannel = '${channel}' AND ExecutionStatus = 'Completed'`),
    async releaseTimes() {
      const times = new Map<string, number>();
      for await (const wf of temporal.workflow.list({ query: `SalesChannel = '${channel}' AND ExecutionStatus = 'Completed'` })) {
        if (wf.closeTime) times.set(wf.workflowId, wf.closeTime.getTime());
      }
      return times;
    },
  });
}

export async function ordersEndToEnd(ctx: FigureContext): Promise<FigureResult> {
  const { smoke, log } = ctx;
  const runs = smoke ? 1 : 3;
  const seconds = smoke ? 6 : 60;
  const baselineSeconds = smoke ? 4 : 20;
  const failures: string[] = [];
  const real = { rate: [] as number[], p50: [] as number[], p99: [] as number[] };
  const base = { rate: [] as number[], p50: [] as number[], p99: [] as number[] };
  const perRun: unknown[] = [];
  for (let run = 1; run <= runs; run++) {
    const started = performance.now();
    const sizes = await collectionSizes(ctx);
    const r = await realOrdersRun(ctx, `bench-e2e-${run}`, seconds);
    if (r.notReleased.length)
      failures.push(
        `orders end to end run ${run}: ${r.notReleased.length} of ${r.captured} orders never released (e.g. ${r.notReleased.slice(0, 3).join(', ')})`,
      );
    if (r.refused) failures.push(`orders end to end run ${run}: ${r.refused} captures refused`);
    real.rate.push(r.throughput);
    real.p50.push(r.p50);
    real.p99.push(r.p99);
    const b = await baselineOrdersRun(ctx, `bench-base-${run}`, baselineSeconds);
    if (b.notReleased.length) failures.push(`baseline workflow run ${run}: ${b.notReleased.length} never completed`);
    base.rate.push(b.throughput);
    base.p50.push(b.p50);
    base.p99.push(b.p99);
    perRun.push({
      run,
      sizesBefore: sizes,
      real: { ...r, notReleased: r.notReleased.length },
      baseline: { ...b, notReleased: b.notReleased.length },
    });
    log(
      `  orders run ${run}: ${r.throughput.toFixed(1)}/s p50 ${r.p50.toFixed(0)} ms p99 ${r.p99.toFixed(0)} ms (${r.captured} orders); ` +
        `no-op workflow ${b.throughput.toFixed(1)}/s p50 ${b.p50.toFixed(0)} ms (${((performance.now() - started) / 1000).toFixed(0)} s)`,
    );
  }
  // The same paths with one order at a time: latency without queueing.
  const aloneSeconds = smoke ? 2 : 8;
  const alone = await realOrdersRun(ctx, 'bench-alone', aloneSeconds, 1);
  const aloneBase = await baselineOrdersRun(ctx, 'bench-base-alone', aloneSeconds, 1);
  if (alone.notReleased.length) failures.push(`orders end to end, one at a time: ${alone.notReleased.length} never released`);
  log(
    `  one order at a time: p50 ${alone.p50.toFixed(0)} ms (${alone.captured} orders); no-op workflow p50 ${aloneBase.p50.toFixed(0)} ms`,
  );
  const fig = '2 orders end to end';
  const baseline = (runs: number[]) => ({ name: 'no-op workflow, same shape', runs });
  return {
    metrics: [
      metric({
        figure: fig,
        name: 'p50 capture → released, one order at a time',
        unit: 'ms',
        better: 'lower',
        runs: [alone.p50],
        baseline: baseline([aloneBase.p50]),
      }),
      metric({ figure: fig, name: 'orders released', unit: '/s', better: 'higher', runs: real.rate, baseline: baseline(base.rate) }),
      metric({
        figure: fig,
        name: `p50 capture → released, ${IN_FLIGHT} in flight`,
        unit: 'ms',
        better: 'lower',
        runs: real.p50,
        baseline: baseline(base.p50),
      }),
      metric({
        figure: fig,
        name: `p99 capture → released, ${IN_FLIGHT} in flight`,
        unit: 'ms',
        better: 'lower',
        runs: real.p99,
        baseline: baseline(base.p99),
      }),
    ],
    failures,
    details: {
      runs,
      secondsPerRun: seconds,
      baselineSecondsPerRun: baselineSeconds,
      inFlight: IN_FLIGHT,
      perRun,
      oneAtATime: {
        real: { ...alone, notReleased: alone.notReleased.length },
        baseline: { ...aloneBase, notReleased: aloneBase.notReleased.length },
      },
    },
  };
}
