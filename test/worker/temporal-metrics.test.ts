import type { ChildProcess } from 'node:child_process';
import { get } from 'node:http';
import { createServer } from 'node:net';
import { eventually } from '../support/fixtures';
import { createTestContext, type TestContext } from '../support/stack';
import { killWorkerProcess, startWorkerProcess } from '../support/worker-process';

// The worker's Temporal runtime metrics (TEMPORAL_METRICS_ADDRESS) and its own (WORKER_METRICS_ADDRESS). Runtime.install is once per process,
// and this suite's own process already has its runtime: the real worker runs as a child process.

let ctx: TestContext;
let worker: ChildProcess | undefined;

beforeAll(async () => {
  ctx = await createTestContext('temporal_metrics');
}, 60_000);
afterAll(async () => {
  if (worker) await killWorkerProcess(worker);
  await ctx?.close();
});

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });

// One GET without keep-alive (no socket left open after the suite).
const scrape = (port: number) =>
  new Promise<string>((resolve, reject) => {
    get({ host: '127.0.0.1', port, path: '/metrics', agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve(res.statusCode === 200 ? body : ''));
    }).on('error', reject);
  });

test('with TEMPORAL_METRICS_ADDRESS and WORKER_METRICS_ADDRESS the worker serves the Temporal runtime metrics and its own', async () => {
  const port = await freePort();
  const ownPort = await freePort();
  worker = await startWorkerProcess(ctx, {
    TEMPORAL_METRICS_ADDRESS: `127.0.0.1:${port}`,
    WORKER_METRICS_ADDRESS: `127.0.0.1:${ownPort}`,
  });
  const text = await eventually(
    async () => {
      try {
        return await scrape(port);
      } catch {
        return '';
      }
    },
    (body) => /temporal_\w*poll/.test(body),
    30_000,
    'the worker to serve its pollers in /metrics',
  );
  expect(text).toMatch(/^# (HELP|TYPE) temporal_/m);
  expect(text).toContain(`task_queue="${ctx.taskQueue}"`);
  // The worker's own: connector calls, stock-push lag, process metrics.
  const own = await scrape(ownPort);
  for (const family of ['orderhub_connector_calls_total', 'orderhub_stock_push_lag_seconds', 'process_cpu_user_seconds_total'])
    expect(own).toContain(`# TYPE ${family} `);
}, 60_000);
