import { channelReturnsOf } from '../../services/channel-returns';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { temporal as temporalProto } from '@temporalio/proto';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Runtime, DefaultLogger, type Worker } from '@temporalio/worker';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { connectMongo, ensureIndexes, type Mongo } from '../../store/mongo';
import { createPaymentProviders, type Stores } from '../../worker/deps';
import { createWiredStores } from '../../worker/wiring';
import { createOrderWorker, type OrderWorkerOptions } from '../../worker/order-worker';
import { silentLogger, type Logger } from '../../domain/logger';
import { startWebhookConsumer } from '../../worker/webhook-consumer';
import { WEBHOOK_QUEUE } from '../../services/webhooks';
import { startStockPushConsumer } from '../../services/stock-sync';
import { startStockOfferConsumer } from '../../worker/stock-offers';
import { startPromiseRecomputeConsumer } from '../../worker/promise-recomputes';
import { createPreorderService } from '../../services/preorders';
import type { StockListeners } from '../../worker/wiring';
import type { PaymentProviders } from '../../connectors/payments/types';
import { workflowBundlePath } from './paths';

// The real services scripts/test.ts started for this run.
export function stackEnv() {
  const { TEMPORAL_ADDRESS, MONGODB_URL, REDIS_URL, SMTP_URL } = process.env;
  if (!TEMPORAL_ADDRESS || !MONGODB_URL || !REDIS_URL || !SMTP_URL) {
    throw new Error('The test stack is not running: run the tests with `npm test` (it starts Temporal, FerretDB, Redis and a mail server)');
  }
  return { TEMPORAL_ADDRESS, MONGODB_URL, REDIS_URL, SMTP_URL };
}

export const TEST_ENCRYPTION_KEY = Buffer.alloc(32, 7).toString('base64');

export const uniqueId = (prefix: string) => `${prefix}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;

let runtimeQuieted = false;
function quietRuntime() {
  if (runtimeQuieted) return;
  runtimeQuieted = true;
  Runtime.install({ logger: new DefaultLogger('ERROR') });
}

// One isolated database, Temporal task queue and BullMQ prefix per suite; everything is dropped afterwards.
export interface TestContext {
  mongo: Mongo;
  stores: Stores;
  notifier: StockListeners;
  temporal: Client;
  redis: Redis;
  taskQueue: string;
  bullPrefix: string;
  webhookQueue: Queue;
  log: Logger;
  startWorker(opts?: {
    payments?: PaymentProviders;
    taskQueue?: string;
    activityOverrides?: OrderWorkerOptions['activityOverrides'];
  }): Promise<RunningWorker>;
  // The BullMQ consumers the worker process runs: webhook deliveries and debounced stock pushes (startWorker
  // starts the stock offer rounds).
  startConsumers(): Promise<{ stop(): Promise<void> }>;
  close(): Promise<void>;
}

export interface RunningWorker {
  worker: Worker;
  stop(): Promise<void>;
}

export async function createTestContext(name: string): Promise<TestContext> {
  quietRuntime();
  const env = stackEnv();
  const mongo = await connectMongo(env.MONGODB_URL, uniqueId(`t_${name}`).replace(/-/g, '_'));
  await ensureIndexes(mongo.db);
  const redis = new Redis(env.REDIS_URL, { maxRetriesPerRequest: null });
  const bullPrefix = uniqueId(`bull-${name}`);
  const { stores, notifier } = createWiredStores(mongo.db, redis, TEST_ENCRYPTION_KEY, silentLogger, bullPrefix);
  const connection = await Connection.connect({ address: env.TEMPORAL_ADDRESS });
  const temporal = new Client({ connection });
  const taskQueue = uniqueId(`tq-${name}`);
  const webhookQueue = new Queue(WEBHOOK_QUEUE, { connection: redis, prefix: bullPrefix });
  const stoppers: Array<() => Promise<void>> = [];
  const nativeConnection = await NativeConnection.connect({ address: env.TEMPORAL_ADDRESS });
  // The worker process always runs the stock offer rounds (freed stock to waiting orders): so does a test's worker.
  let offerConsumer: { close(): Promise<void> } | undefined;

  return {
    mongo,
    stores,
    notifier,
    temporal,
    redis,
    taskQueue,
    bullPrefix,
    webhookQueue,
    log: silentLogger,
    async startWorker(opts = {}) {
      const worker = await createOrderWorker({
        connection: nativeConnection,
        namespace: 'default',
        taskQueue: opts.taskQueue ?? taskQueue,
        workflowBundlePath: workflowBundlePath(),
        activityDeps: { ...stores, payments: opts.payments ?? createPaymentProviders(stores.payments), log: silentLogger },
        channelDeps: { ...stores, temporal, taskQueue: opts.taskQueue ?? taskQueue, redis, log: silentLogger },
        ...(opts.activityOverrides && { activityOverrides: opts.activityOverrides }),
      });
      const running = worker.run();
      if (!offerConsumer) {
        const consumer = startStockOfferConsumer({ ...stores, temporal, redis, log: silentLogger }, { prefix: bullPrefix });
        offerConsumer = consumer;
        stoppers.push(() => consumer.close());
        // And so the promise date recomputes that follow stock changes.
        const recomputes = startPromiseRecomputeConsumer({ ...stores, redis, log: silentLogger }, { prefix: bullPrefix });
        stoppers.push(() => recomputes.close());
      }
      const handle: RunningWorker = {
        worker,
        async stop() {
          if (worker.getState() === 'RUNNING') worker.shutdown();
          await running;
        },
      };
      stoppers.push(() => handle.stop());
      return handle;
    },
    async startConsumers() {
      // As worker/main.ts builds it.
      const intake = {
        temporal,
        taskQueue,
        orders: stores.orders,
        items: stores.items,
        suppliers: stores.suppliers,
        log: silentLogger,
        channelPreorders: createPreorderService(stores),
      };
      const channelReturns = channelReturnsOf({ ...stores, temporal, taskQueue, redis, log: silentLogger });
      const webhooks = startWebhookConsumer({ stores, intake, redis, log: silentLogger, channelReturns }, { prefix: bullPrefix });
      const stock = startStockPushConsumer({ ...stores, redis, log: silentLogger }, { prefix: bullPrefix });
      let stopped = false;
      const stop = async () => {
        if (stopped) return;
        stopped = true;
        await Promise.all([webhooks.close(), stock.close()]);
      };
      stoppers.push(stop);
      return { stop };
    },
    async close() {
      // ORDERHUB_RECORD_HISTORIES=<dir>: keep this suite's order and return histories, for the replay test.
      if (process.env.ORDERHUB_RECORD_HISTORIES) await recordHistories(temporal, taskQueue, name, process.env.ORDERHUB_RECORD_HISTORIES);
      await Promise.all(stoppers.map((s) => s()));
      await Promise.all([notifier.close(), webhookQueue.close()]);
      await nativeConnection.close();
      await mongo.db.dropDatabase().catch(() => undefined);
      await mongo.close();
      await connection.close();
      redis.disconnect();
    },
  };
}

// Order and return workflow histories of one suite's task queue as binary protobuf files (test/workflows/replay.test.ts
// replays them against later versions of the workflow code).
async function recordHistories(temporal: Client, taskQueue: string, suite: string, dir: string): Promise<void> {
  mkdirSync(dir, { recursive: true });
  for await (const wf of temporal.workflow.list({ query: `TaskQueue="${taskQueue}"` })) {
    if (wf.type !== 'orderWorkflow' && wf.type !== 'returnWorkflow') continue;
    const history = await temporal.workflow.getHandle(wf.workflowId, wf.runId).fetchHistory();
    writeFileSync(
      join(dir, `${suite}__${wf.workflowId}`.replace(/[^A-Za-z0-9_.-]+/g, '_') + '.pb'),
      temporalProto.api.history.v1.History.encode(history).finish(),
    );
  }
}
