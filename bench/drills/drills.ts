import { sleep } from '../../scripts/stack';
import type { DrillEnv, ServiceName } from './env';
import type { Submission } from './load';
import type { FakeErp, FakeShopify } from './upstreams';

// The faults. Each injects its fault while orders keep arriving, and says when the fault ended and how to
// see that the system is processing again.

export interface DrillContext {
  env: DrillEnv;
  shopify: FakeShopify;
  erp: FakeErp;
  log: (msg: string) => void;
  serviceDownMs?: number; // how long a stopped service stays down (default: a quick restart)
}

export interface FaultWindow {
  startedAt: number;
  endedAt: number; // the moment the system could work again: service healthy, process restarted, upstream answering
  details: Record<string, unknown>;
}

export interface Drill {
  name: string;
  title: string;
  /** What "processing again" means for this fault, in words, for the report. */
  recoveryMeans: string;
  /** When set, the fault is injected only once this holds (checked after the warm-up, for up to a minute). */
  ready?(ctx: DrillContext, since: number): boolean;
  /** When set, new orders stop arriving this long after the fault began, even if it lasts longer. */
  loadCapMs?: number;
  inject(ctx: DrillContext): Promise<FaultWindow>;
  /** The time of the first sign of processing at or after `since`, or undefined while there is none. */
  processedSince(ctx: DrillContext, since: number, submissions: Submission[]): Promise<number | undefined>;
  /** More to report once recovered. */
  detailsAfter?(ctx: DrillContext, since: number): Record<string, unknown>;
}

const OUTAGE_MS = 30_000;
// Orders keep arriving for the outage's first seconds; the backlog then keeps both parties called for the rest of it.
const OUTAGE_LOAD_MS = 10_000;
const WORKER_RESTART_DELAY_MS = 2_000; // what a process supervisor typically waits before a restart

// An order state change the worker projected into the orders view after the fault (the API only ever writes
// version 1). Looked up by _id, a few orders per round in turn, because any other query scans the collection.
const SAMPLE = 8;
let cursor = 0;
async function orderMovedSince(ctx: DrillContext, since: number, subs: Submission[]): Promise<number | undefined> {
  return orderMoved(
    ctx,
    since,
    subs.filter((s) => s.acceptedAt !== undefined),
  );
}

// After a Temporal restart an activity dispatched before the stop can still finish and write; an order
// captured after the restart moving on proves tasks are dispatched again.
async function newOrderMovedSince(ctx: DrillContext, since: number, subs: Submission[]): Promise<number | undefined> {
  return orderMoved(
    ctx,
    since,
    subs.filter((s) => s.acceptedAt !== undefined && s.firstAttemptAt >= since),
  );
}

async function orderMoved(ctx: DrillContext, since: number, accepted: Submission[]): Promise<number | undefined> {
  if (accepted.length === 0) return undefined;
  const sample = Array.from({ length: Math.min(SAMPLE, accepted.length) }, () => accepted[cursor++ % accepted.length]);
  const orders = ctx.env.db.collection<{ _id: string; version: number; updatedAt: Date }>('orders');
  try {
    const docs = await Promise.all(sample.map((s) => orders.findOne({ _id: s.orderId }, { projection: { version: 1, updatedAt: 1 } })));
    const moved = docs.filter((d) => d && d.version > 1 && d.updatedAt.getTime() >= since).map((d) => d!.updatedAt.getTime());
    return moved.length ? Math.min(...moved) : undefined;
  } catch {
    return undefined; // MongoDB still away
  }
}

// A webhook accepted after the fault, taken off the BullMQ queue and turned into an order (lookups by _id only).
async function webhookProcessedSince(ctx: DrillContext, since: number, subs: Submission[]): Promise<number | undefined> {
  const candidates = subs.filter((s) => s.webhookDeliveries.length > 0 && s.acceptedAt !== undefined && s.acceptedAt >= since).slice(0, 5);
  let first: number | undefined;
  for (const s of candidates) {
    try {
      const doc = await ctx.env.db
        .collection<{ _id: string; status: string; updatedAt: Date }>('webhook_deliveries')
        .findOne({ _id: s.webhookDeliveries[0] });
      if (doc?.status === 'processed' && (first === undefined || doc.updatedAt.getTime() < first)) first = doc.updatedAt.getTime();
    } catch {
      return undefined;
    }
  }
  return first;
}

export const workerKill: Drill = {
  name: 'worker-sigkill',
  title: 'worker SIGKILL, restarted',
  recoveryMeans: 'restarted worker process spawned -> first order state change the worker projects into the orders view',
  async inject(ctx) {
    const startedAt = Date.now();
    await ctx.env.killApp('worker');
    ctx.log(`worker killed with SIGKILL; restarting in ${WORKER_RESTART_DELAY_MS / 1000} s`);
    await sleep(WORKER_RESTART_DELAY_MS);
    const endedAt = Date.now();
    // Its start-up counts towards the recovery time, as it would under a supervisor.
    await ctx.env.startApp('worker', { wait: false });
    return { startedAt, endedAt, details: { downSeconds: (endedAt - startedAt) / 1000 } };
  },
  processedSince: orderMovedSince,
};

// A service of the stack stopped and started again on the same data; the fault ends when it answers.
function serviceRestart(opts: {
  name: string;
  service: ServiceName;
  title: string;
  recoveryMeans: string;
  defaultDownMs: number;
  processedSince: Drill['processedSince'];
}): Drill {
  return {
    name: opts.name,
    title: opts.title,
    recoveryMeans: opts.recoveryMeans,
    async inject(ctx) {
      const startedAt = Date.now();
      const outage = await ctx.env.restartService(opts.service, ctx.serviceDownMs ?? opts.defaultDownMs);
      return {
        startedAt,
        endedAt: outage.healthyAt,
        details: {
          downSeconds: (outage.healthyAt - outage.stoppedAt) / 1000,
          restartSeconds: (outage.healthyAt - outage.restartedAt) / 1000,
        },
      };
    },
    processedSince: opts.processedSince,
  };
}

export const temporalRestart = serviceRestart({
  name: 'temporal-restart',
  service: 'temporal',
  title: 'Temporal dev server stopped and started (state file kept)',
  recoveryMeans: 'Temporal answering again -> first state change of an order captured after the restart, projected by the worker',
  defaultDownMs: 1_000,
  processedSince: newOrderMovedSince,
});

export const redisRestart = serviceRestart({
  name: 'redis-restart',
  service: 'redis',
  title: 'Redis stopped and started (AOF kept) while webhooks arrive',
  recoveryMeans: 'Redis answering again -> first webhook delivery processed by the worker (API -> BullMQ -> workflow)',
  defaultDownMs: 2_000,
  processedSince: webhookProcessedSince,
});

export const mongoRestart = serviceRestart({
  name: 'ferretdb-restart',
  service: 'mongo',
  title: 'FerretDB stopped and started (its data is in PostgreSQL, which stays up)',
  recoveryMeans: 'FerretDB answering again -> first order state change the worker projects into the orders view',
  defaultDownMs: 2_000,
  processedSince: orderMovedSince,
});

export const postgresRestart = serviceRestart({
  name: 'postgres-restart',
  service: 'postgres',
  title: 'PostgreSQL under FerretDB stopped (fast shutdown) and started (same data directory)',
  recoveryMeans: 'PostgreSQL answering again -> first order state change the worker projects into the orders view (through FerretDB)',
  defaultDownMs: 2_000,
  processedSince: orderMovedSince,
});

export const outboundOutage: Drill = {
  name: 'channel+carrier-500-429',
  title: `channel (Shopify stand-in) and carrier stand-in (ERP) answering 500/429 for ${OUTAGE_MS / 1000} s`,
  recoveryMeans:
    'both answering normally again -> first successful POST to each (fulfillment or inventory push; sales order or invoice); the later of the two',
  // Start the outage once orders are reaching the outside world, so it hits calls in flight.
  ready: (ctx, since) =>
    ctx.erp.firstSuccessAfter(since, (c) => c.method === 'POST') !== undefined ||
    ctx.shopify.firstSuccessAfter(since, (c) => c.method === 'POST') !== undefined,
  loadCapMs: OUTAGE_LOAD_MS,
  async inject(ctx) {
    const startedAt = Date.now();
    ctx.shopify.startOutage();
    ctx.erp.startOutage();
    await sleep(OUTAGE_MS);
    ctx.shopify.endOutage();
    ctx.erp.endOutage();
    const endedAt = Date.now();
    // Calls refused in each 5 s of the outage: the outage was hit from start to end, not just at its start.
    const refused = (calls: { at: number }[]) =>
      Array.from(
        { length: Math.ceil(OUTAGE_MS / 5_000) },
        (_, i) => calls.filter((c) => c.at >= startedAt + i * 5_000 && c.at < Math.min(endedAt, startedAt + (i + 1) * 5_000)).length,
      );
    return {
      startedAt,
      endedAt,
      details: {
        outageSeconds: OUTAGE_MS / 1000,
        channelCallsRefusedPer5s: refused(ctx.shopify.calls),
        carrierCallsRefusedPer5s: refused(ctx.erp.calls),
      },
    };
  },
  async processedSince(ctx, since) {
    const channel = ctx.shopify.firstSuccessAfter(since, (c) => c.method === 'POST');
    const carrier = ctx.erp.firstSuccessAfter(since, (c) => c.method === 'POST');
    return channel !== undefined && carrier !== undefined ? Math.max(channel, carrier) : undefined;
  },
  detailsAfter(ctx, since) {
    const channel = ctx.shopify.firstSuccessAfter(since, (c) => c.method === 'POST');
    const carrier = ctx.erp.firstSuccessAfter(since, (c) => c.method === 'POST');
    return {
      channelRecoverySeconds: channel === undefined ? null : (channel - since) / 1000,
      carrierRecoverySeconds: carrier === undefined ? null : (carrier - since) / 1000,
    };
  },
};

export const ALL_DRILLS: Drill[] = [workerKill, temporalRestart, redisRestart, mongoRestart, postgresRestart, outboundOutage];
