import { Client, Connection } from '@temporalio/client';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { loadConfig } from '../worker/config';
import { createWiredStores } from '../worker/wiring';
import { createLogger } from '../worker/logger';
import { WEBHOOK_QUEUE } from '../services/webhooks';
import { STOCK_PUSH_QUEUE } from '../services/stock-sync';
import { STOCK_OFFER_QUEUE } from '../worker/stock-offers';
import { PROMISE_RECOMPUTE_QUEUE } from '../worker/promise-recomputes';
import { CUSTOMER_MAIL_QUEUE } from '../services/customer-mail';
import { OUTBOUND_WEBHOOK_QUEUE } from '../services/outbound-webhooks';
import { connectMongo, ensureIndexes } from '../store/mongo';
import { createApp } from './app';

// The API process: builds its dependencies once and listens. Stateless; run as many as needed.
async function main(): Promise<void> {
  const config = loadConfig();
  const log = createLogger(config.LOG_LEVEL, { process: 'api' });
  const mongo = await connectMongo(config.MONGODB_URL, config.MONGODB_DB, { maxPoolSize: config.MONGODB_MAX_POOL_SIZE });
  await ensureIndexes(mongo.db);
  const redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: null });
  redis.on('error', (err) => log.warn('redis error', { error: err.message }));
  const { stores, notifier } = createWiredStores(mongo.db, redis, config.encryptionKey, log, config.BULLMQ_PREFIX);
  await stores.apiKeys.register(config.apiKey, 'bootstrap');
  const connection = await Connection.connect({ address: config.TEMPORAL_ADDRESS });
  const temporal = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
  const webhookQueue = new Queue(WEBHOOK_QUEUE, { connection: redis, prefix: config.BULLMQ_PREFIX });
  // Every queue the worker consumes, for bull-board and /metrics.
  const otherQueues = [STOCK_PUSH_QUEUE, STOCK_OFFER_QUEUE, PROMISE_RECOMPUTE_QUEUE, CUSTOMER_MAIL_QUEUE, OUTBOUND_WEBHOOK_QUEUE].map(
    (name) => new Queue(name, { connection: redis, prefix: config.BULLMQ_PREFIX }),
  );
  const queues = [webhookQueue, ...otherQueues];
  const admission = { maxInFlight: config.API_MAX_IN_FLIGHT, maxQueued: config.API_MAX_QUEUED, queueTimeoutMs: 10_000 };
  const app = createApp({
    stores,
    db: mongo.db,
    temporal,
    redis,
    webhookQueue,
    queues,
    metricsToken: config.METRICS_TOKEN,
    ...(config.LOCAL_MAILBOX_URL && { localMailboxUrl: config.LOCAL_MAILBOX_URL }),
    requireHttpsWebhooks: config.NODE_ENV === 'production',
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    log,
    admission,
  });
  const server = app.listen(config.PORT, config.API_HOST, () =>
    log.info('api listening', { url: `http://${config.API_HOST}:${config.PORT}` }),
  );
  const stop = () => {
    log.info('api stopping');
    server.close(async () => {
      await Promise.allSettled([connection.close(), mongo.close(), notifier.close(), ...queues.map((q) => q.close())]);
      await redis.quit().catch(() => undefined);
      process.exit(0);
    });
    setTimeout(() => process.exit(0), 10_000).unref();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err) => {
  createLogger('error', { process: 'api' }).error('api failed', { error: err });
  process.exit(1);
});
