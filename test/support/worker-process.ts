import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { stackEnv, type TestContext } from './stack';
import { workflowBundlePath } from './paths';

// The real worker entry point (worker/main.ts) on the suite's database and task queue, as its own process,
// so SIGKILL is a real crash.
export function startWorkerProcess(ctx: TestContext, env: Record<string, string> = {}): Promise<ChildProcess> {
  const root = join(__dirname, '..', '..');
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'worker', 'main.ts')], {
    cwd: root,
    env: {
      ...process.env,
      ...stackEnv(),
      MONGODB_DB: ctx.mongo.db.databaseName,
      TEMPORAL_TASK_QUEUE: ctx.taskQueue,
      BULLMQ_PREFIX: ctx.bullPrefix, // the suite's own queues (the mailer's too), as the suite's API uses
      WORKFLOW_BUNDLE_PATH: workflowBundlePath(),
      LOG_LEVEL: 'warn',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  return new Promise((resolve, reject) => {
    const onData = (d: Buffer) => {
      output += d.toString();
      if (output.includes('Worker state changed') || output.includes('RUNNING')) resolve(child);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`worker exited early (${code}): ${output.slice(-2000)}`)));
    // The worker logs little at warn level: treat "still alive after its start-up" as started.
    setTimeout(() => resolve(child), 4_000);
  });
}

// SIGKILL, and wait until the process is gone.
export async function killWorkerProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
}
