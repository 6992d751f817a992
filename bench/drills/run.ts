import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sleep } from '../../scripts/stack';
import { REPO_ROOT } from '../../scripts/tools';
import type { Drill, DrillContext, FaultWindow } from './drills';
import { DRILL_API_KEY, DrillEnv } from './env';
import { Warehouse } from './warehouse';
import { LoadGenerator, type Shop } from './load';
import { FakeErp, FakeShopify, SHOPIFY_LOCATION_ID } from './upstreams';
import { drain, settleDeliveries, verifyDrill, workflowRuns, type DrainOutcome, type DrillVerdict } from './verify';

// Sets up one world (stack, stand-ins, API, worker, connections), runs drills in it one after another
// under load, checks each, and reports.

export interface RunOptions {
  drills: Drill[];
  ratePerSecond: number;
  webhookShare: number;
  warmupMs: number; // load before the fault
  afterMs: number; // load after the fault ended (at least until recovery is seen)
  drainTimeoutMs: number;
  recoveryTimeoutMs: number;
  resultsName: string;
  keepData: boolean;
  serviceDownMs?: number;
  log: (msg: string) => void;
}

export interface DrillResult {
  drill: string;
  title: string;
  recoveryMeans: string;
  load: {
    ratePerSecondTarget: number;
    ratePerSecondAchieved: number;
    seconds: number;
    webhookOrders: number;
    apiOrders: number;
    submissionRetries: number;
    submissionFailures: Record<string, number>;
    gaveUp: number;
  };
  fault: { startedAt: string; endedAt: string; seconds: number; details: Record<string, unknown> };
  recoverySeconds: number | null;
  settle: {
    seconds: number;
    stillRunning: number;
    parkedInNeedsAttention: number;
    webhookDeliveriesSettledSeconds: number;
    signalRetries: Record<string, number>;
  };
  verdict: DrillVerdict;
  passed: boolean;
}

export interface RunSummary {
  results: DrillResult[];
  file: string;
  seconds: number;
}

interface DrillRun {
  drill: Drill;
  since: Date;
  skus: { store: string[]; web: string[] };
  load: LoadGenerator;
  loadSeconds: number;
  fault: FaultWindow;
  recoveredAt?: number;
  details: Record<string, unknown>;
}

const SHOP_IDS = ['shop-de', 'shop-fr', 'shop-nl', 'shop-it'];
const STOCK_CONNECTION = 'outlet'; // a storefront fed with stock only: keeps inventory pushes off the order shops' call budget
const WAREHOUSE = 'WH-DRILL';
const WEBHOOK_SECRET = 'drill-shopify-client-secret';
const OPENING_STOCK = 20_000;

/**
 * One stack for the whole run; each drill gets a fresh database, task queue and BullMQ prefix with its own
 * API and worker processes, so its checks see only its own orders and it starts from an empty ledger.
 */
export async function runDrills(opts: RunOptions): Promise<RunSummary> {
  const { log } = opts;
  const started = Date.now();
  const shopify = new FakeShopify((sku) => sku.includes('-WEB-'));
  const erp = new FakeErp();
  await Promise.all([shopify.listen(), erp.listen()]);
  let env: DrillEnv | undefined;
  let warehouse: Warehouse | undefined;
  const results: DrillResult[] = [];
  try {
    env = await DrillEnv.start(log);
    log(
      `stack up in ${((Date.now() - started) / 1000).toFixed(0)} s, workflows bundled in ${env.workflowBundleSeconds.toFixed(1)} s (data: ${env.dataDir})`,
    );
    const api = apiClient(env.apiUrl);
    const ctx: DrillContext = { env, shopify, erp, log, ...(opts.serviceDownMs !== undefined && { serviceDownMs: opts.serviceDownMs }) };
    for (const [i, drill] of opts.drills.entries()) {
      const index = i + 1;
      log(`--- drill ${index}/${opts.drills.length}: ${drill.title}`);
      env.useScope({ db: `drill_${index}`, taskQueue: `orderhub-drill-${index}`, bullPrefix: `drill${index}` });
      await env.startApp('api');
      await env.startApp('worker');
      await setUpConnections(api, shopify, erp);
      warehouse = new Warehouse(env.temporal);
      const run = await loadAndFault(drill, index, ctx, api, warehouse, opts);
      const accepted = run.load.submissions.filter((s) => s.acceptedAt).length;
      const drained = await drain(env.temporal, run.since, accepted, opts.drainTimeoutMs, log);
      warehouse.close();
      log(
        `settled ${drained.seconds.toFixed(0)} s after the load (${drained.running - drained.parked} still moving, ${drained.parked} parked in needs_attention)`,
      );
      const deliveries = await settleDeliveries(
        env.db,
        run.load.submissions.flatMap((sub) => sub.webhookDeliveries),
        90_000,
      );
      if (deliveries.seconds > 2)
        log(`webhook deliveries settled ${deliveries.seconds.toFixed(0)} s later (${deliveries.queued} still queued)`);
      const verdict = await verifyDrill({
        db: env.db,
        apiUrl: env.apiUrl,
        apiKey: DRILL_API_KEY,
        shopify,
        erp,
        submissions: run.load.submissions,
        skus: [...run.skus.store, ...run.skus.web],
        webSkus: run.skus.web,
        runs: await workflowRuns(env.temporal, run.since),
      });
      const result = toResult(run, verdict, drained, deliveries, warehouse.errors, opts);
      results.push(result);
      log(
        `${drill.name}: ${verdict.orders} orders, ${verdict.lost} lost, ${verdict.duplicated} duplicated, recovery ${result.recoverySeconds === null ? 'not seen' : `${result.recoverySeconds.toFixed(1)} s`}`,
      );
      await env.stopApps();
    }
  } finally {
    warehouse?.close();
    await env?.stop({ keepData: opts.keepData });
    await Promise.all([shopify.close(), erp.close()]);
  }
  const file = writeResults(opts, results, (Date.now() - started) / 1000);
  return { results, file, seconds: (Date.now() - started) / 1000 };
}

async function loadAndFault(
  drill: Drill,
  index: number,
  ctx: DrillContext,
  api: ApiClient,
  warehouse: Warehouse,
  opts: RunOptions,
): Promise<DrillRun> {
  const { env, log } = ctx;
  const prefix = `K${index}${Date.now().toString(36).slice(-4).toUpperCase()}`;
  // Enough skus that orders do not queue behind each other on one ledger head (changes to a sku are serialised).
  const skus = {
    store: 'ABCDEFGHJK'.split('').map((c) => `${prefix}-${c}`),
    web: ['TEE', 'MUG', 'CAP', 'BAG'].map((w) => `${prefix}-WEB-${w}`),
  };
  for (const sku of [...skus.store, ...skus.web]) {
    await api.post('/items', { sku, name: `Drill item ${sku}` }, 201);
    await api.post(
      '/stock/receipts',
      { sku, locationId: WAREHOUSE, quantity: OPENING_STOCK, reference: `PO-${prefix}`, idempotencyKey: `opening-${sku}` },
      201,
    );
  }
  const since = new Date(Date.now() - 1_000);
  const load = new LoadGenerator({
    apiUrl: env.apiUrl,
    apiKey: DRILL_API_KEY,
    shopify: ctx.shopify,
    shops: SHOP_IDS.map((id) => ({ id, secret: WEBHOOK_SECRET }) satisfies Shop),
    ratePerSecond: opts.ratePerSecond,
    webhookShare: opts.webhookShare,
    skus,
    idPrefix: 7_000 + index * 100 + Math.floor(Math.random() * 100),
    onAccepted: (sub) => warehouse.follow(sub),
  });
  const loadStarted = Date.now();
  load.start();
  let fault: FaultWindow | undefined;
  let watching: Promise<number | undefined> | undefined;
  try {
    await sleep(opts.warmupMs);
    if (drill.ready) {
      const until = Date.now() + 60_000;
      while (!drill.ready(ctx, loadStarted) && Date.now() < until) await sleep(250);
    }
    const injecting = drill.inject(ctx);
    // A long fault: the orders already in flight keep the system busy; more would only lengthen the settling.
    const cap = drill.loadCapMs === undefined ? undefined : setTimeout(() => void load.stop(), drill.loadCapMs);
    fault = await injecting;
    clearTimeout(cap);
    log(`fault over after ${((fault.endedAt - fault.startedAt) / 1000).toFixed(1)} s; watching for processing`);
    const endedAt = fault.endedAt;
    watching = (async () => {
      const deadline = endedAt + opts.recoveryTimeoutMs;
      while (Date.now() < deadline) {
        const at = await drill.processedSince(ctx, endedAt, load.submissions);
        if (at !== undefined) return at;
        await sleep(250);
      }
      return undefined;
    })();
    await sleep(Math.max(0, endedAt + opts.afterMs - Date.now()));
  } finally {
    await load.stop();
  }
  if (!fault) throw new Error(`${drill.name}: the fault was not injected`);
  const loadSeconds = ((load.stoppedAt ?? Date.now()) - loadStarted) / 1000;
  log(`load: ${load.submissions.length} orders in ${loadSeconds.toFixed(0)} s (${load.rateAchieved.toFixed(1)}/s sent), all accepted`);
  const recoveredAt = await watching;
  log(
    recoveredAt === undefined
      ? 'no processing seen after the fault'
      : `processing again ${((recoveredAt - fault.endedAt) / 1000).toFixed(1)} s after the fault ended`,
  );
  return { drill, since, skus, load, loadSeconds, fault, recoveredAt, details: drill.detailsAfter?.(ctx, fault.endedAt) ?? {} };
}

function toResult(
  run: DrillRun,
  verdict: DrillVerdict,
  drained: DrainOutcome,
  deliveries: { seconds: number; queued: number },
  signalRetries: Record<string, number>,
  opts: RunOptions,
): DrillResult {
  const subs = run.load.submissions;
  const failures: Record<string, number> = {};
  for (const s of subs) for (const [k, n] of Object.entries(s.failures)) failures[k] = (failures[k] ?? 0) + n;
  const recoverySeconds = run.recoveredAt === undefined ? null : Math.max(0, (run.recoveredAt - run.fault.endedAt) / 1000);
  const rate = run.load.rateAchieved;
  return {
    drill: run.drill.name,
    title: run.drill.title,
    recoveryMeans: run.drill.recoveryMeans,
    load: {
      ratePerSecondTarget: opts.ratePerSecond,
      ratePerSecondAchieved: Number(rate.toFixed(2)),
      seconds: Number(run.loadSeconds.toFixed(1)),
      webhookOrders: subs.filter((s) => s.via === 'webhook').length,
      apiOrders: subs.filter((s) => s.via === 'api').length,
      submissionRetries: subs.reduce((n, s) => n + Math.max(0, s.attempts - 1), 0),
      submissionFailures: failures,
      gaveUp: subs.filter((s) => s.gaveUp).length,
    },
    fault: {
      startedAt: new Date(run.fault.startedAt).toISOString(),
      endedAt: new Date(run.fault.endedAt).toISOString(),
      seconds: (run.fault.endedAt - run.fault.startedAt) / 1000,
      details: { ...run.fault.details, ...run.details },
    },
    recoverySeconds,
    settle: {
      seconds: Number(drained.seconds.toFixed(1)),
      stillRunning: drained.running,
      parkedInNeedsAttention: drained.parked,
      webhookDeliveriesSettledSeconds: Number(deliveries.seconds.toFixed(1)),
      signalRetries,
    },
    verdict,
    passed: verdict.lost === 0 && verdict.duplicated === 0 && recoverySeconds !== null && rate >= 10,
  };
}

// ---- Set-up through the API, as an operator would ----------------------------------------------------------

interface ApiClient {
  post(path: string, body: object, expect?: number): Promise<unknown>;
}

function apiClient(apiUrl: string): ApiClient {
  return {
    async post(p, body, expect) {
      const res = await fetch(`${apiUrl}${p}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${DRILL_API_KEY}` },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(30_000),
      });
      const json = await res.json().catch(() => undefined);
      if (expect !== undefined && res.status !== expect)
        throw new Error(`POST ${p} answered ${res.status}, expected ${expect}: ${JSON.stringify(json)}`);
      return json;
    },
  };
}

async function setUpConnections(api: ApiClient, shopify: FakeShopify, erp: FakeErp): Promise<void> {
  await api.post(
    '/locations',
    {
      id: WAREHOUSE,
      name: 'Drill warehouse',
      type: 'warehouse',
      address: { line1: 'Lagerstrasse 1', city: 'Berlin', postalCode: '10117', country: 'DE' },
      priority: 1,
    },
    201,
  );
  // Schedules stay out of the way (daily); the drills trigger nothing on a timer.
  const sync = { ordersEveryMinutes: 1440, stockEveryMinutes: 1440 };
  for (const id of SHOP_IDS) {
    await api.post(
      '/connections',
      {
        id,
        kind: 'shopify',
        name: `Drill ${id}`,
        options: { shopDomain: `${id}.myshopify.com`, baseUrl: shopify.baseUrl(id) },
        credentials: { accessToken: `shpat_${id}_drill`, webhookSecret: WEBHOOK_SECRET },
        sync,
      },
      201,
    );
  }
  await api.post(
    '/connections',
    {
      id: STOCK_CONNECTION,
      kind: 'shopify',
      name: 'Drill outlet (stock feed)',
      options: { shopDomain: `${STOCK_CONNECTION}.myshopify.com`, baseUrl: shopify.baseUrl(STOCK_CONNECTION) },
      credentials: { accessToken: 'shpat_outlet_drill', webhookSecret: WEBHOOK_SECRET },
      stockFeeds: [{ channelLocationId: SHOPIFY_LOCATION_ID, locationIds: [WAREHOUSE] }],
      sync,
    },
    201,
  );
  // The ERP's own limit is configurable; a real one for this volume would allow well over the 2 calls per order per second.
  await api.post(
    '/connections',
    {
      id: 'erp',
      kind: 'erp',
      name: 'Drill ERP',
      options: { baseUrl: erp.baseUrl(), requestsPerSecond: 100, burst: 200 },
      credentials: { apiKey: 'drill-erp-key' },
      sync,
    },
    201,
  );
}

// ---- Report ---------------------------------------------------------------------------------------------------

export function formatTable(results: DrillResult[]): string {
  const rows = [
    ['drill', 'orders', 'lost', 'duplicated', 'recovery s', 'rate/s', 'settled s', 'result'],
    ...results.map((r) => [
      r.drill,
      String(r.verdict.orders),
      String(r.verdict.lost),
      String(r.verdict.duplicated),
      r.recoverySeconds === null ? 'not seen' : r.recoverySeconds.toFixed(1),
      r.load.ratePerSecondAchieved.toFixed(1),
      r.settle.seconds.toFixed(0),
      r.passed ? 'ok' : 'FAIL',
    ]),
  ];
  const widths = rows[0].map((_, c) => Math.max(...rows.map((row) => row[c].length)));
  const line = (row: string[]) => row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ');
  return [line(rows[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n');
}

function writeResults(opts: RunOptions, results: DrillResult[], totalSeconds: number): string {
  const dir = path.join(REPO_ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const stamp = new Date()
    .toISOString()
    .replace(/\.\d+Z$/, 'Z')
    .replace(/:/g, '');
  const file = path.join(dir, `${opts.resultsName}-${stamp}.json`);
  const doc = {
    kind: opts.resultsName,
    at: new Date().toISOString(),
    totalSeconds: Number(totalSeconds.toFixed(1)),
    machine: { cpus: os.cpus().length, loadAverage: os.loadavg().map((l) => Number(l.toFixed(2))), node: process.version },
    settings: {
      ratePerSecond: opts.ratePerSecond,
      webhookShare: opts.webhookShare,
      warmupSeconds: opts.warmupMs / 1000,
      afterSeconds: opts.afterMs / 1000,
    },
    passed: results.length > 0 && results.every((r) => r.passed),
    results,
  };
  writeFileSync(file, `${JSON.stringify(doc, null, 2)}\n`);
  return file;
}
