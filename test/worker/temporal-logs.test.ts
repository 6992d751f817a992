import type { ChildProcess } from 'node:child_process';
import { captureOrder } from '../../services/order-intake';
import { eventually, location, parsedOrder, seed } from '../support/fixtures';
import { parseLogLines, type LogLine } from '../support/logs';
import { createTestContext, type TestContext } from '../support/stack';
import { killWorkerProcess, startWorkerProcess } from '../support/worker-process';

// The real worker process (worker/main.ts) at LOG_LEVEL=debug: its Temporal runtime logs through the
// process's pino logger, so the SDK's lines, the workflow's (`log` from @temporalio/workflow, through the
// SDK's sink) and the activities' come out on stdout as the same JSON lines as the worker's own.
// Runtime.install is once per process and this suite's process has its own: the worker runs as a child.

let ctx: TestContext;
let worker: ChildProcess | undefined;

beforeAll(async () => {
  ctx = await createTestContext('temporal_logs');
  await seed(ctx.stores, {
    skus: ['LOG-TEE'],
    locations: [location('WH-LOG', 1)],
    stock: [{ sku: 'LOG-TEE', locationId: 'WH-LOG', quantity: 10 }],
  });
}, 60_000);
afterAll(async () => {
  if (worker) await killWorkerProcess(worker);
  await ctx?.close();
});

test("the worker's Temporal runtime logs through pino: SDK, workflow and activity lines are JSON with the worker's fields", async () => {
  let output = '';
  worker = await startWorkerProcess(ctx, { LOG_LEVEL: 'debug' }, { onOutput: (chunk) => (output += chunk) });
  const intake = { temporal: ctx.temporal, taskQueue: ctx.taskQueue, orders: ctx.stores.orders, log: ctx.log };
  const { orderId } = await captureOrder(
    intake,
    parsedOrder({ lines: [{ sku: 'LOG-TEE', quantity: 1 }], payment: { method: 'prepaid', alreadyPaid: true } }),
  );
  await eventually(
    async () => (await ctx.stores.orders.get(orderId))?.status,
    (s) => s === 'released_to_fulfillment',
    60_000,
    'the order to be released',
  );

  const forOrder = (l: LogLine) => l.workflowId === orderId;
  const { lines } = await eventually(
    async () => parseLogLines(output),
    ({ lines }) => lines.some((l) => forOrder(l) && l.msg === 'Activity completed'),
    10_000, // the runtime holds forwarded lines back for 100 ms to put them in order
    "the order's activity lines",
  );
  // Every line the worker writes is one JSON object (the core's own lines too: forwarded, not printed).
  expect(parseLogLines(output).other).toEqual([]);
  for (const line of lines) expect(line).toMatchObject({ process: 'worker', level: expect.any(String), time: expect.any(String) });

  // The SDK's worker lifecycle, at info.
  expect(lines).toContainEqual(
    expect.objectContaining({
      level: 'info',
      msg: 'Worker state changed',
      state: 'RUNNING',
      sdkComponent: 'worker',
      taskQueue: ctx.taskQueue,
    }),
  );
  // The workflow's own log, written inside the workflow through the sink.
  expect(lines).toContainEqual(
    expect.objectContaining({
      level: 'debug',
      msg: 'Workflow started',
      workflowId: orderId,
      workflowType: 'orderWorkflow',
      runId: expect.any(String),
      taskQueue: ctx.taskQueue,
    }),
  );
  // The activities', with what ran and how long it took.
  expect(lines).toContainEqual(
    expect.objectContaining({
      level: 'debug',
      msg: 'Activity completed',
      sdkComponent: 'worker',
      workflowId: orderId,
      activityType: expect.any(String),
      durationMs: expect.any(Number),
      taskToken: '[redacted]', // it completes the activity from outside
    }),
  );
}, 120_000);
