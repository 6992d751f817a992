import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { startBench, tuningLabel, type Bench, type WorkerTuning } from './harness';
import { seed } from './setup';
import { markdownTable, textTable, type Metric } from './stats';
import { collectionSizes, type FigureContext, type FigureResult } from './figures/context';
import { webhookIntake } from './figures/intake';
import { ordersEndToEnd, realOrdersRun, IN_FLIGHT } from './figures/orders';
import { captureToVisible } from './figures/visible';
import { stockToChannelManySkus, stockToChannelOneSku } from './figures/stock';
import { hotSku } from './figures/hot-sku';
import { memoryFigure, snapshotMemory } from './figures/memory';
import { scaleFigure, scaleSample, type ScaleSample } from './figures/scale';
import { bursts } from './figures/bursts';
import { bulkImport } from './figures/import';
import { checkGoals } from './goals';
import { EMBEDDED_TUNING } from '../scripts/tuning';

// `npm run bench` (full, about 10 minutes), `npm run bench:smoke` (every figure small, about a minute,
// non-zero exit when anything breaks) and `npm run bench -- --tune` (figure 2 under several worker
// settings). Each starts its own stack and processes and stops them; see bench/README.md.

/** The worker settings the bench runs with: npm start's for the embedded store; see bench/README.md for why. */
export const BENCH_TUNING: WorkerTuning = { ...EMBEDDED_TUNING };

const TUNING_CANDIDATES: WorkerTuning[] = [
  { activities: 100, workflowTasks: 40, cachedWorkflows: 2000 },
  { activities: 20, workflowTasks: 10, cachedWorkflows: 2000 },
  { activities: 50, workflowTasks: 20, cachedWorkflows: 2000 },
  { activities: 200, workflowTasks: 80, cachedWorkflows: 2000 },
  { activities: 100, workflowTasks: 40, cachedWorkflows: 500 },
  { activities: 10, workflowTasks: 5, cachedWorkflows: 2000 },
];

const RESULTS_DIR = path.join(__dirname, 'results');

interface Args {
  only?: number[];
  smoke: boolean;
  tune: boolean;
  tuning: WorkerTuning;
  candidates: WorkerTuning[];
}

function parseArgs(argv: string[]): Args {
  const args: Args = { smoke: false, tune: false, tuning: { ...BENCH_TUNING }, candidates: TUNING_CANDIDATES };
  for (const a of argv) {
    if (a === '--smoke') args.smoke = true;
    else if (/^--only=\d(,\d)*$/.test(a)) args.only = a.slice('--only='.length).split(',').map(Number);
    else if (a === '--tune') args.tune = true;
    else if (/^--candidates=(\d+\/\d+\/\d+,?)+$/.test(a)) {
      // --candidates=100/40/2000,20/10/2000: activities/workflow tasks/cached workflows, tried in this order
      args.candidates = a
        .slice('--candidates='.length)
        .split(',')
        .filter(Boolean)
        .map((c) => {
          const [activities, workflowTasks, cachedWorkflows] = c.split('/').map(Number);
          return { activities, workflowTasks, cachedWorkflows };
        });
    } else if (/^--(activities|workflow-tasks|cached-workflows)=\d+$/.test(a)) {
      const [k, v] = a.slice(2).split('=');
      const key = ({ activities: 'activities', 'workflow-tasks': 'workflowTasks', 'cached-workflows': 'cachedWorkflows' } as const)[
        k as 'activities'
      ];
      args.tuning[key] = Number(v);
    } else {
      console.error(
        `unknown argument ${a}\nusage: npm run bench [-- --smoke | --tune [--candidates=A/W/C,...]] [--activities=N --workflow-tasks=N --cached-workflows=N]`,
      );
      process.exit(2);
    }
  }
  return args;
}

const t0 = performance.now();
const log = (msg: string) => console.log(`[bench ${((performance.now() - t0) / 1000).toFixed(0).padStart(3)} s] ${msg}`);

let bench: Bench | undefined;
let stopped: Promise<void> | undefined;
// One stop, however it is asked for: a signal and the end of main() may both want it.
const stopOnce = (): Promise<void> =>
  (stopped ??= (async () => {
    log('stopping the stack');
    await bench?.stop();
  })());

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (stopped) return;
      log(`${signal}: stopping everything the bench started`);
      void stopOnce().finally(() => process.exit(130));
    });
  }
  const startedAt = new Date();
  const loadStart = os.loadavg();
  const mode = args.tune ? 'tune' : args.smoke ? 'smoke' : 'full';
  log(
    `mode ${mode}; ${os.cpus().length} cores, load average ${loadStart.map((l) => l.toFixed(2)).join(' ')}; worker: ${tuningLabel(args.tuning)}`,
  );
  if (args.tune) return tune(args.candidates, startedAt, loadStart);
  bench = await startBench({ tuning: args.tuning, log });
  const ctx: FigureContext = { bench, smoke: args.smoke, log, runTag: `b${Date.now().toString(36)}` };
  const idle = await snapshotMemory(ctx);
  const manySkus = args.smoke ? 20 : 1_000;
  await seed(bench, { stockSkus: manySkus, log });

  const results: FigureResult[] = [];
  const figure = async (name: string, run: () => Promise<FigureResult>) => {
    log(`figure ${name}`);
    const started = performance.now();
    const sizesBefore = await collectionSizes(ctx);
    try {
      const result = await run();
      result.details = {
        ...result.details,
        sizesBefore,
        sizesAfter: await collectionSizes(ctx),
        seconds: Math.round((performance.now() - started) / 1000),
      };
      results.push(result);
    } catch (err) {
      results.push({ metrics: [], failures: [`${name}: ${(err as Error).stack ?? err}`], details: {} });
    }
    log(`figure ${name} done in ${((performance.now() - started) / 1000).toFixed(0)} s`);
  };

  // --only=1,7,8: a subset of the figures, for working on one of them (not for the recorded results).
  const want = (n: number) => !args.only || args.only.includes(n);
  // Figure 7's empty-store half: before any other figure adds orders.
  let empty: ScaleSample | undefined;
  if (want(7)) {
    log('figure 7: scale, empty store');
    try {
      empty = await scaleSample(ctx, 'empty', []);
    } catch (err) {
      results.push({ metrics: [], failures: [`7 scale (empty store): ${(err as Error).stack ?? err}`], details: {} });
    }
  }
  if (want(4)) await figure('4a: stock to channel, 1 sku', () => stockToChannelOneSku(ctx));
  // Shopify's REST limit makes the many-sku push take minutes in the full run; it needs no CPU to speak
  // of, so it finishes while the next figures run (see bench/README.md).
  const many = want(4) ? stockToChannelManySkus(ctx, manySkus, args.smoke ? 30_000 : 720_000) : undefined;
  if (many) {
    log(`figure 4b: stock to channel, ${manySkus} skus (${args.smoke ? 'now' : 'in the background'})`);
    await many.receipts;
    if (args.smoke) results.push(await many.result);
  }
  if (want(3)) await figure('3: capture to visible', () => captureToVisible(ctx));
  if (want(2)) await figure('2: orders end to end', () => ordersEndToEnd(ctx));
  if (want(6)) {
    const loaded = await snapshotMemory(ctx);
    const running = (await bench.temporal.workflow.count(`ExecutionStatus = 'Running'`)).count;
    results.push(memoryFigure(idle, loaded, running));
  }
  if (want(5)) await figure('5: hot sku', () => hotSku(ctx));
  // Last of the small-store figures: it leaves thousands of stored deliveries behind.
  if (want(1)) await figure('1: webhook intake', () => webhookIntake(ctx));
  if (many && !args.smoke) {
    log('waiting for figure 4b to finish');
    results.push(await many.result);
  }
  // With a year of orders stored: the scale figure's second half, then the bursts on that store.
  if (empty) await figure('7: scale, with the history stored', () => scaleFigure(ctx, empty!));
  if (want(8)) await figure('8: bursts', () => bursts(ctx));
  if (want(9)) await figure('9: bulk import', () => bulkImport(ctx));

  const metrics = order(results.flatMap((r) => r.metrics));
  const failures = results.flatMap((r) => r.failures);
  failures.push(...bench.shopify.unexpected.slice(0, 5).map((u) => `unexpected call to the Shopify stand-in: ${u}`));
  const loadEnd = os.loadavg();
  const finishedAt = new Date();
  const report = {
    version: 1,
    mode,
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    seconds: Math.round((finishedAt.getTime() - startedAt.getTime()) / 1000),
    machine: machine(loadStart, loadEnd),
    worker: args.tuning,
    inFlightOrders: IN_FLIGHT,
    metrics,
    details: Object.fromEntries(results.map((r, i) => [r.metrics[0]?.figure ?? `figure-${i}`, r.details])),
    failures,
    goals: checkGoals(metrics),
    ok: failures.length === 0,
  };
  const file = writeReport(report, mode);
  console.log(`\n${textTable(metrics)}\n`);
  console.log(`load average at start ${fmtLoad(loadStart)}, at end ${fmtLoad(loadEnd)}; results in ${path.relative(process.cwd(), file)}`);
  console.log(
    `goals (issue 9):\n${report.goals.map((g) => `  ${g.met === undefined ? '?' : g.met ? 'met    ' : 'MISSED '} ${g.goal}: ${g.measured}`).join('\n')}`,
  );
  if (!args.smoke) console.log(`\nMarkdown:\n\n${markdownTable(metrics)}\n`);
  if (failures.length) {
    console.error(`\nbench FAILED:\n- ${failures.join('\n- ')}`);
    return 1;
  }
  console.log(`bench ${mode}: every figure ran, nothing broke`);
  return 0;
}

// Figure 2 under each candidate, each on a fresh stack: on FerretDB every lookup scans, so a stack that
// already holds the previous candidates' orders would make each candidate look worse than the last.
async function tune(candidates: WorkerTuning[], startedAt: Date, loadStart: number[]): Promise<number> {
  const rows: unknown[] = [];
  const seconds = 30;
  for (const [i, t] of candidates.entries()) {
    log(`tuning ${i + 1}/${candidates.length}: ${tuningLabel(t)}`);
    bench = await startBench({ tuning: t, log });
    const ctx: FigureContext = { bench, smoke: false, log, runTag: `t${Date.now().toString(36)}` };
    await seed(bench, { stockSkus: 0, log });
    await realOrdersRun(ctx, 'bench-tune-warm', 5);
    const r = await realOrdersRun(ctx, 'bench-tune', seconds);
    const mem = await snapshotMemory(ctx);
    const row = {
      ...t,
      ordersPerSecond: r.throughput,
      p50Ms: r.p50,
      p99Ms: r.p99,
      orders: r.captured,
      notReleased: r.notReleased.length,
      workerRssMiB: mem.worker?.rssMiB,
      loadAverage: os.loadavg()[0],
    };
    rows.push(row);
    log(
      `  ${r.throughput.toFixed(1)} orders/s, p50 ${r.p50.toFixed(0)} ms, p99 ${r.p99.toFixed(0)} ms, worker ${mem.worker?.rssMiB.toFixed(0)} MiB, load ${os.loadavg()[0].toFixed(2)}`,
    );
    await bench.stop();
    bench = undefined;
  }
  const report = {
    version: 1,
    mode: 'tune',
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    machine: machine(loadStart, os.loadavg()),
    inFlightOrders: IN_FLIGHT,
    secondsPerSetting: seconds,
    rows,
  };
  const file = writeReport(report, 'tune');
  console.log(JSON.stringify(rows, null, 2));
  console.log(`results in ${path.relative(process.cwd(), file)}`);
  return 0;
}

// The table reads in the issue's order: 1, 2, 3, 4 (1 sku, then many), 5, 6.
function order(metrics: Metric[]): Metric[] {
  return [...metrics].sort((a, b) => a.figure.localeCompare(b.figure, 'en', { numeric: true }));
}

function machine(loadStart: number[], loadEnd: number[]) {
  return {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
    loadAverage: { start: loadStart.map((l) => Number(l.toFixed(2))), end: loadEnd.map((l) => Number(l.toFixed(2))) },
  };
}

const fmtLoad = (l: number[]) => l.map((x) => x.toFixed(2)).join(' ');

function writeReport(report: object, mode: string): string {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const stamp = new Date()
    .toISOString()
    .replace(/:/g, '-')
    .replace(/\.\d+Z$/, 'Z');
  const file = path.join(RESULTS_DIR, `${stamp}${mode === 'full' ? '' : `-${mode}`}.json`);
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  return file;
}

main()
  .catch((err: Error) => {
    console.error(`[bench] ${err.stack ?? err.message}`);
    return 1;
  })
  .then(async (code) => {
    const interrupted = stopped !== undefined;
    await stopOnce();
    process.exit(interrupted ? 130 : code);
  });
