import { timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { Queue } from 'bullmq';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import { collectDefaultMetrics, Counter, Gauge, Histogram, register, Registry } from 'prom-client';
import type { Principal } from '../domain/access';
import type { Logger } from '../domain/logger';
import { mergeExpositions, statusClass } from '../domain/prometheus';
import type { Stores } from '../worker/deps';
import { tokenOf } from './auth';

// What GET /metrics exposes (Prometheus text, prom-client), and bull-board at /admin/queues.
//
// Per request the API only observes one histogram sample when the answer is sent (no I/O). What the store
// knows (orders in progress by status and channel, dead letters) is read at scrape time, at most once per
// SNAPSHOT_MS whatever the number of scrapers or API processes' scrapes: one equality read per status on
// the `status` index (store/orders.ts countInProgress), never a scan of all orders. Queue depths come from
// BullMQ's own Queue.exportPrometheusMetrics() (a few Redis reads per queue per scrape).

export const SNAPSHOT_MS = 20_000;
const HTTP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

export interface MetricsDeps {
  stores: Pick<Stores, 'orders' | 'webhooks'>;
  queues: () => Queue[];
  log: Logger;
}

export interface ApiMetrics {
  /** Observes every request's latency by route pattern and status class. */
  recordRequests: RequestHandler;
  webhookIntake: Counter<'outcome'>;
  contentType: string;
  exposition(): Promise<string>;
}

interface Snapshot {
  orders: { status: string; channel: string; count: number }[];
  deadLetters: number;
}

export function createApiMetrics(deps: MetricsDeps, opts: { snapshotMs?: number } = {}): ApiMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const snapshotMs = opts.snapshotMs ?? SNAPSHOT_MS;
  let snapshot: { at: number; value: Promise<Snapshot> } | undefined;
  const current = (): Promise<Snapshot> => {
    if (!snapshot || Date.now() - snapshot.at >= snapshotMs) {
      const value = Promise.all([deps.stores.orders.countInProgress(), deps.stores.webhooks.countDead()]).then(([orders, deadLetters]) => ({
        orders,
        deadLetters,
      }));
      const taken = { at: Date.now(), value };
      snapshot = taken;
      value.catch(() => {
        if (snapshot === taken) snapshot = undefined; // the next scrape tries again
      });
    }
    return snapshot.value;
  };
  // The gauges below are set from one snapshot per scrape; a failed read leaves them empty and is logged.
  const read = async (set: (s: Snapshot) => void) => {
    try {
      set(await current());
    } catch (err) {
      deps.log.warn('metrics: store not read', { error: String(err) });
    }
  };

  const http = new Histogram({
    name: 'orderhub_http_request_duration_seconds',
    help: 'API request latency by route pattern, method and status class',
    labelNames: ['method', 'route', 'status_class'] as const,
    buckets: HTTP_BUCKETS,
    registers: [registry],
  });
  new Gauge({
    name: 'orderhub_orders',
    help: `Orders in progress by status and channel (final statuses are not counted; read at most every ${snapshotMs / 1000} s)`,
    labelNames: ['status', 'channel'] as const,
    registers: [registry],
    async collect() {
      await read((s) => {
        this.reset();
        for (const o of s.orders) this.set({ status: o.status, channel: o.channel }, o.count);
      });
    },
  });
  new Gauge({
    name: 'orderhub_orders_needs_attention',
    help: 'Orders stopped in needs_attention, waiting for an operator',
    registers: [registry],
    async collect() {
      await read((s) => this.set(s.orders.filter((o) => o.status === 'needs_attention').reduce((n, o) => n + o.count, 0)));
    },
  });
  new Gauge({
    name: 'orderhub_webhook_dead_letters',
    help: 'Webhook deliveries that failed for good and wait for a replay',
    registers: [registry],
    async collect() {
      await read((s) => this.set(s.deadLetters));
    },
  });
  const webhookIntake = new Counter({
    name: 'orderhub_webhooks_received_total',
    help: 'Webhook deliveries received by this API process: accepted, duplicate (already received) or rejected (bad signature or input, or not stored)',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });

  const recordRequests: RequestHandler = (req, res, next) => {
    const start = process.hrtime.bigint();
    res.once('finish', () => {
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      http.observe(
        { method: METHODS.has(req.method) ? req.method : 'other', route: routeOf(req), status_class: statusClass(res.statusCode) },
        seconds,
      );
    });
    next();
  };

  return {
    recordRequests,
    webhookIntake,
    contentType: registry.contentType,
    async exposition() {
      // The process's default registry holds what modules below the API count (connector calls).
      const [own, shared, queues] = await Promise.all([
        registry.metrics(),
        register.metrics(),
        Promise.all(deps.queues().map((q) => q.exportPrometheusMetrics())).catch((err: unknown) => {
          deps.log.warn('metrics: queues not read', { error: String(err) });
          return [];
        }),
      ]);
      return own + shared + mergeExpositions(queues);
    },
  };
}

// The route pattern (never the raw path: ids would make a label value per order).
function routeOf(req: Parameters<RequestHandler>[0]): string {
  if (req.originalUrl.startsWith('/admin/queues')) return '/admin/queues';
  const path = (req.route as { path?: unknown } | undefined)?.path;
  return typeof path === 'string' ? path : 'unmatched';
}

/**
 * GET /metrics for a scraper holding METRICS_TOKEN (when set), or any principal whose role has
 * metrics:read (authenticated as every other route). The token grants nothing else.
 */
export function metricsAuthentication(token: () => string | undefined, authenticate: RequestHandler): RequestHandler {
  return (req, res, next) => {
    const configured = token();
    const expected = configured === undefined ? undefined : Buffer.from(configured);
    const given = Buffer.from(tokenOf(req) ?? '');
    if (expected && given.length === expected.length && timingSafeEqual(given, expected)) {
      req.principal = SCRAPER;
      req.actor = SCRAPER.name;
      return next();
    }
    return authenticate(req, res, next);
  };
}
// Only ever set for GET /metrics, whose only requirement is metrics:read.
const SCRAPER: Principal = { kind: 'key', id: 'metrics-token', name: 'metrics scraper', role: 'operator' };

/** bull-board over the queues, built on first use (the app is also built only to read its routes). */
export function queueBoard(basePath: string, queues: () => Queue[]): RequestHandler {
  let board: RequestHandler | undefined;
  return (req, res, next) => {
    if (!board) {
      const adapter = new ExpressAdapter().setBasePath(basePath);
      createBullBoard({ queues: queues().map((q) => new BullMQAdapter(q)), serverAdapter: adapter });
      const router = adapter.getRouter() as RequestHandler & { disable?: (s: string) => void };
      router.disable?.('x-powered-by');
      board = router;
    }
    board(req, res, next);
  };
}
