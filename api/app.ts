import express, { type Express } from 'express';
import type { Client } from '@temporalio/client';
import type { Redis } from 'ioredis';
import type { Db } from 'mongodb';
import type { Stores } from '../worker/deps';
import type { Logger } from '../domain/logger';
import type { OrderWorkflowInput } from '../workflows/order';
import { auditWrites, authenticate, publicRoute, requires } from './auth';
import { createApiMetrics, metricsAuthentication, queueBoard } from './metrics';
import { apiKeysRouter, signInRouter, usersRouter } from './routes/access';
import { admission, DEFAULT_ADMISSION, type AdmissionLimits } from './admission';
import { errorHandler, notFoundRoute } from './errors';
import { requestLog } from './request-log';
import { checkHealth } from './health';
import { consoleFiles } from './console-files';
import { docsPage, openApiDocument } from './openapi';
import { catalogRouter } from './routes/catalog';
import { ordersRouter } from './routes/orders';
import { IMPORT_BODY_LIMIT, importsRouter } from './routes/imports';
import { stockRouter } from './routes/stock';
import { connectionsRouter } from './routes/connections';
import { routingRouter } from './routes/routing';
import { returnsRouter } from './routes/returns';
import { carriersRouter } from './routes/carriers';
import { picklistsRouter } from './routes/picking';
import { notificationsRouter } from './routes/notifications';
import { subscribersRouter } from './routes/subscribers';
import { documentsRouter } from './routes/documents';
import { purchasingRouter } from './routes/purchasing';
import { promisesRouter } from './routes/promises';
import { orderMetricsRouter } from './routes/order-metrics';
import { replenishmentRouter } from './routes/replenishment';
import { deadLettersRouter, webhookIntakeRouter } from './routes/webhooks';
import type { Queue } from 'bullmq';

export interface ApiDeps {
  stores: Stores;
  db: Db;
  temporal: Client;
  redis: Redis;
  taskQueue: string;
  log: Logger;
  webhookQueue: Queue;
  orderSettings?: OrderWorkflowInput['settings'];
  admission?: AdmissionLimits;
  commandAnswerWithinMs?: number; // how long a command waits for the order's answer before 202 (default 10 s)
  queues?: Queue[]; // shown in bull-board and /metrics; default the webhook queue
  metricsToken?: string; // METRICS_TOKEN: a bearer token that may read /metrics and nothing else
  consoleDist?: string; // the console's built files (default api/console/dist)
  localMailboxUrl?: string; // LOCAL_MAILBOX_URL: the local mail server's mailbox, shown at GET /dev/mail
  requireHttpsWebhooks?: boolean; // production: webhook subscribers' URLs must be https
}

export function createApp(deps: ApiDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple'); // no nested objects from query strings: `?status[$ne]=x` stays a plain string
  const queues = () => deps.queues ?? [deps.webhookQueue];
  const metrics = createApiMetrics({ stores: deps.stores, queues, log: deps.log });
  // First of all: every request gets its id (X-Request-Id) and one log line, those turned away included.
  app.use(requestLog(deps.log));
  app.use(metrics.recordRequests); // before admission: requests turned away at capacity are observed too
  // Every request but GET /health waits its turn or is turned away when the API is at capacity.
  app.use(admission(deps.admission ?? DEFAULT_ADMISSION, (req) => req.method === 'GET' && req.path === '/health'));
  app.use(webhookIntakeRouter(deps, metrics)); // raw body for signature checks: before the JSON parser
  // Bulk order files are larger than anything else the API takes.
  const json = express.json({ limit: '1mb', strict: true });
  // The file's bytes are kept: an import is named by them (the same file is the same import).
  const bulkJson = express.json({
    limit: IMPORT_BODY_LIMIT,
    strict: true,
    verify: (req, _res, buf) => {
      (req as express.Request & { rawBody?: Buffer }).rawBody = buf;
    },
  });
  app.use((req, res, next) => (req.path === '/orders/import' ? bulkJson : json)(req, res, next));

  app.get('/health', publicRoute(), async (_req, res) => {
    const health = await checkHealth({ temporal: deps.temporal, db: deps.db, redis: deps.redis });
    res.status(health.ok ? 200 : 503).json(health);
  });
  app.get('/openapi.json', publicRoute(), (_req, res) => {
    res.json(openApiDocument());
  });
  app.get('/docs', publicRoute(), (_req, res) => {
    res.type('html').send(docsPage());
  });
  // The operator console's static files, no key needed: they hold no data, and every call the console
  // makes is to the routes below, authenticated as any other. Not an API route, so not in /openapi.json.
  app.use('/console', consoleFiles(deps.consoleDist));

  // Every write from here on that succeeds is in the audit log (webhook intake above is not: it is
  // authenticated by its signature and recorded in webhook_deliveries).
  app.use(auditWrites(deps.stores.audit, deps.log));
  app.use(signInRouter(deps));
  const authenticated = authenticate(deps.stores.apiKeys, deps.stores.users);
  // Prometheus scrapes with an operator's or admin's key, or with METRICS_TOKEN (README, Operations).
  app.get(
    '/metrics',
    metricsAuthentication(() => deps.metricsToken, authenticated),
    requires('metrics:read'),
    async (_req, res) => {
      res.type(metrics.contentType).send(await metrics.exposition());
    },
  );
  app.use(authenticated);
  // bull-board: job payloads, retries and removals, for admins alone.
  app.use('/admin/queues', requires('queues:manage'), queueBoard('/admin/queues', queues));
  // Each route declares the permission it needs (requires(...)); test/structure/route-access.test.ts checks.
  app.use(apiKeysRouter(deps));
  app.use(usersRouter(deps));
  app.use(importsRouter(deps));
  app.use(ordersRouter(deps));
  app.use(catalogRouter(deps));
  app.use(stockRouter(deps));
  app.use(connectionsRouter(deps));
  app.use(routingRouter(deps));
  app.use(returnsRouter(deps));
  app.use(carriersRouter(deps));
  app.use(picklistsRouter(deps));
  app.use(documentsRouter(deps));
  app.use(notificationsRouter(deps));
  app.use(subscribersRouter(deps));
  app.use(purchasingRouter(deps));
  app.use(promisesRouter(deps));
  app.use(replenishmentRouter(deps));
  app.use(orderMetricsRouter(deps));
  app.use(deadLettersRouter(deps));

  app.use(notFoundRoute);
  app.use(errorHandler(deps.log));
  return app;
}
