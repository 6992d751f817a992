import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { stackEnv, TEST_ENCRYPTION_KEY, type TestContext } from './stack';
import { workflowBundlePath } from './paths';

// The real worker entry point (worker/main.ts) on the suite's database and task queue, as its own process,
// so SIGKILL is a real crash. Resolves once Temporal lists the process among the task queue's pollers;
// `onOutput` receives everything it writes (its log lines on stdout).
export function startWorkerProcess(
  ctx: TestContext,
  env: Record<string, string> = {},
  opts: { onOutput?: (chunk: string) => void } = {},
): Promise<ChildProcess> {
  const root = join(__dirname, '..', '..');
  const taskQueue = env.TEMPORAL_TASK_QUEUE ?? ctx.taskQueue;
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'worker', 'main.ts')], {
    cwd: root,
    env: {
      ...process.env,
      ...stackEnv(),
      MONGODB_DB: ctx.mongo.db.databaseName,
      TEMPORAL_TASK_QUEUE: taskQueue,
      BULLMQ_PREFIX: ctx.bullPrefix, // the suite's own queues (the mailer's too), as the suite's API uses
      ORDERHUB_ENCRYPTION_KEY: TEST_ENCRYPTION_KEY, // reads the secrets the suite's API stored (subscribers, connections)
      WORKFLOW_BUNDLE_PATH: workflowBundlePath(),
      LOG_LEVEL: 'warn',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const onData = (d: Buffer) => {
    const chunk = d.toString();
    output = (output + chunk).slice(-20_000);
    opts.onOutput?.(chunk);
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  return new Promise((resolve, reject) => {
    let settled = false;
    const settle = (err?: Error) => {
      if (settled) return;
      settled = true;
      if (err) reject(err);
      else resolve(child);
    };
    child.once('exit', (code) => settle(new Error(`worker exited early (${code}): ${output.slice(-2000)}`)));
    const started = Date.now();
    const poll = async () => {
      while (!settled) {
        const { pollers } = await ctx.temporal.workflowService
          .describeTaskQueue({ namespace: 'default', taskQueue: { name: taskQueue }, taskQueueType: 1 /* WORKFLOW */ })
          .catch(() => ({ pollers: [] }));
        // The SDK's worker identity starts with its process id.
        if ((pollers ?? []).some((p) => p.identity?.startsWith(`${child.pid}@`))) return settle();
        if (Date.now() - started > 60_000) {
          child.kill('SIGKILL');
          return settle(new Error(`worker not polling after 60 s: ${output.slice(-2000)}`));
        }
        await new Promise((r) => setTimeout(r, 200));
      }
    };
    void poll();
  });
}

// SIGKILL, and wait until the process is gone.
export async function killWorkerProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
}
