import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { Redis } from 'ioredis';
import { loadConfig, type Config } from './config';
import type { Stores } from './deps';
import type { Logger } from './logger';
import { createLogger } from './logger';
import { installTemporalRuntime, serveWorkerMetrics } from './telemetry';
import { connectMongo, ensureIndexes } from '../store/mongo';
import { migrate } from '../store/migrations';
import { createPaymentProviders } from './deps';
import { createWiredStores } from './wiring';
import { channelReturnsOf } from '../services/channel-returns';
import { createOrderWorker } from './order-worker';
import { startWebhookConsumer } from './webhook-consumer';
import { startStockPushConsumer } from '../services/stock-sync';
import { startStockOfferConsumer } from './stock-offers';
import { startPromiseRecomputeConsumer } from './promise-recomputes';
import { startMailer } from './mailer';
import { startOutboundWebhookSender } from './outbound-webhooks';
import { createSmtpSender, smtpTarget } from '../connectors/smtp';
import { createPreorderService } from '../services/preorders';
import { ensureConnectionSchedules, ensureMaintenanceSchedules } from '../services/schedules';

// The worker process: order and sync workflows with their activities (Temporal), and the BullMQ consumers
// for webhook deliveries and stock pushes. Stateless; run as many as needed.
async function main(): Promise<void> {
  const config = loadConfig();
  const log = createLogger(config.LOG_LEVEL, { process: 'worker' });
  installTemporalRuntime(log, config.TEMPORAL_METRICS_ADDRESS);
  if (config.TEMPORAL_METRICS_ADDRESS) log.info('temporal metrics served', { url: `http://${config.TEMPORAL_METRICS_ADDRESS}/metrics` });
  const metricsServer = await serveWorkerMetrics(config.WORKER_METRICS_ADDRESS);
  if (metricsServer) log.info('worker metrics served', { url: `http://${config.WORKER_METRICS_ADDRESS}/metrics` });
  const mongo = await connectMongo(config.MONGODB_URL, config.MONGODB_DB, { maxPoolSize: config.MONGODB_MAX_POOL_SIZE });
  await ensureIndexes(mongo.db);
  await migrate(mongo.db, (msg, fields) => log.info(msg, fields));
  const redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: null });
  redis.on('error', (err) => log.warn('redis error', { error: err.message }));
  const { stores, notifier } = createWiredStores(mongo.db, redis, config.encryptionKey, log, config.BULLMQ_PREFIX);
  const clientConnection = await Connection.connect({ address: config.TEMPORAL_ADDRESS });
  const temporal = new Client({ connection: clientConnection, namespace: config.TEMPORAL_NAMESPACE });
  const connection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
  const worker = await createOrderWorker({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    activityDeps: { ...stores, payments: createPaymentProviders(stores.payments), log },
    channelDeps: { ...stores, temporal, taskQueue: config.TEMPORAL_TASK_QUEUE, redis, log },
    ...(process.env.WORKFLOW_BUNDLE_PATH && { workflowBundlePath: process.env.WORKFLOW_BUNDLE_PATH }),
    tuning: {
      maxConcurrentActivityTaskExecutions: config.WORKER_MAX_CONCURRENT_ACTIVITIES,
      maxConcurrentWorkflowTaskExecutions: config.WORKER_MAX_CONCURRENT_WORKFLOW_TASKS,
      maxCachedWorkflows: config.WORKER_MAX_CACHED_WORKFLOWS,
    },
  });
  const intake = {
    temporal,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    orders: stores.orders,
    items: stores.items,
    suppliers: stores.suppliers,
    log,
    channelPreorders: createPreorderService(stores),
  };
  const channelReturns = channelReturnsOf({ ...stores, temporal, taskQueue: config.TEMPORAL_TASK_QUEUE, redis, log });
  const webhooks = startWebhookConsumer({ stores, intake, redis, log, channelReturns }, { prefix: config.BULLMQ_PREFIX });
  const stockPush = startStockPushConsumer({ ...stores, redis, log }, { prefix: config.BULLMQ_PREFIX });
  const stockOffers = startStockOfferConsumer({ ...stores, temporal, redis, log }, { prefix: config.BULLMQ_PREFIX });
  const promiseRecomputes = startPromiseRecomputeConsumer({ ...stores, redis, log }, { prefix: config.BULLMQ_PREFIX });
  const mailer = startCustomerMailer(config, stores, redis, log);
  const outboundWebhooks = startOutboundWebhookSender(
    { ...stores, redis, log },
    {
      prefix: config.BULLMQ_PREFIX,
      attempts: config.WEBHOOK_MAX_ATTEMPTS,
      backoffMs: config.WEBHOOK_RETRY_DELAY_MS,
      sweepMs: config.WEBHOOK_SWEEP_MS,
    },
  );
  await ensureMaintenanceSchedules(temporal, config.TEMPORAL_TASK_QUEUE);
  await ensureConnectionSchedules(temporal, config.TEMPORAL_TASK_QUEUE, await stores.connections.list(), log);
  log.info('worker started', { taskQueue: config.TEMPORAL_TASK_QUEUE, namespace: config.TEMPORAL_NAMESPACE });
  // The SDK stops polling on SIGINT/SIGTERM and lets running tasks finish before run() resolves.
  await worker.run();
  await Promise.allSettled([
    webhooks.close(),
    stockPush.close(),
    stockOffers.close(),
    promiseRecomputes.close(),
    mailer?.close(),
    outboundWebhooks.close(),
    notifier.close(),
  ]);
  await metricsServer?.close();
  await connection.close();
  await clientConnection.close();
  await mongo.close();
  await redis.quit().catch(() => undefined);
  log.info('worker stopped');
}

// Customer notifications by email, when there is a mail server to send them to.
function startCustomerMailer(config: Config, stores: Stores, redis: Redis, log: Logger) {
  if (!config.smtpUrl) {
    log.warn('no SMTP_URL: customer notifications are not emailed (they wait in the outbox)');
    return undefined;
  }
  const sender = createSmtpSender(config.smtpUrl, config.MAIL_FROM);
  log.info('customer mail goes out by SMTP', { smtp: smtpTarget(config.smtpUrl), from: config.MAIL_FROM });
  const mailer = startMailer(
    { ...stores, sender, defaultLanguage: config.MAIL_DEFAULT_LANGUAGE, redis, log },
    {
      prefix: config.BULLMQ_PREFIX,
      attempts: config.MAIL_MAX_ATTEMPTS,
      backoffMs: config.MAIL_RETRY_DELAY_MS,
      sweepMs: config.MAIL_SWEEP_MS,
      lockMs: config.MAIL_LOCK_MS,
    },
  );
  return { close: () => mailer.close().finally(() => sender.close()) };
}

main().catch((err) => {
  createLogger('error', { process: 'worker' }).error('worker failed', { error: err });
  process.exit(1);
});
