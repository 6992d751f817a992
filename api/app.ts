import express, { type Express } from 'express';
import type { Client } from '@temporalio/client';
import type { Redis } from 'ioredis';
import type { Db } from 'mongodb';
import { z } from 'zod';
import { parseOrThrow } from '../domain/validation';
import type { Stores } from '../worker/deps';
import type { Logger } from '../domain/logger';
import type { OrderWorkflowInput } from '../workflows/order';
import { requireApiKey } from './auth';
import { admission, DEFAULT_ADMISSION, type AdmissionLimits } from './admission';
import { errorHandler, notFoundRoute } from './errors';
import { checkHealth } from './health';
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
import { documentsRouter } from './routes/documents';
import { purchasingRouter } from './routes/purchasing';
import { promisesRouter } from './routes/promises';
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
}

const apiKeyRequestSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9 ._-]{1,64}$/, 'must be 1 to 64 letters, digits, spaces or . _ -'),
});

export function createApp(deps: ApiDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple'); // no nested objects from query strings: `?status[$ne]=x` stays a plain string
  // Every request but GET /health waits its turn or is turned away when the API is at capacity.
  app.use(admission(deps.admission ?? DEFAULT_ADMISSION, (req) => req.method === 'GET' && req.path === '/health'));
  app.use(webhookIntakeRouter(deps)); // raw body for signature checks: before the JSON parser
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

  app.get('/health', async (_req, res) => {
    const health = await checkHealth({ temporal: deps.temporal, db: deps.db, redis: deps.redis });
    res.status(health.ok ? 200 : 503).json(health);
  });
  app.get('/openapi.json', (_req, res) => {
    res.json(openApiDocument());
  });
  app.get('/docs', (_req, res) => {
    res.type('html').send(docsPage());
  });

  app.use(requireApiKey(deps.stores.apiKeys));
  app.post('/api-keys', async (req, res) => {
    const { name } = parseOrThrow(apiKeyRequestSchema, req.body, 'API key request');
    const key = await deps.stores.apiKeys.create(name);
    deps.log.info('api key created', { name, by: req.actor });
    res.status(201).json({ name, key, note: 'Store this key now: only its hash is kept.' });
  });
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
  app.use(purchasingRouter(deps));
  app.use(promisesRouter(deps));
  app.use(replenishmentRouter(deps));
  app.use(deadLettersRouter(deps));

  app.use(notFoundRoute);
  app.use(errorHandler(deps.log));
  return app;
}
