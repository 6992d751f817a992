import { NativeConnection, Worker } from '@temporalio/worker';
import { loadConfig } from '../../worker/config';
import { createBaselineActivities } from './activities';

// The baseline's worker process: same Temporal server, same worker settings (read by the same config
// module), its own task queue, and the no-op activities.
async function main(): Promise<void> {
  const config = loadConfig();
  const codePath = process.env.BASELINE_BUNDLE_PATH;
  const taskQueue = process.env.BASELINE_TASK_QUEUE ?? 'bench-baseline';
  const connection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
  const worker = await Worker.create({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue,
    activities: createBaselineActivities(),
    ...(codePath ? { workflowBundle: { codePath } } : { workflowsPath: require.resolve('./workflows') }),
    maxConcurrentActivityTaskExecutions: config.WORKER_MAX_CONCURRENT_ACTIVITIES,
    maxConcurrentWorkflowTaskExecutions: config.WORKER_MAX_CONCURRENT_WORKFLOW_TASKS,
    maxCachedWorkflows: config.WORKER_MAX_CACHED_WORKFLOWS,
  });
  await worker.run();
  await connection.close();
}

main().catch((err) => {
  process.stderr.write(
    `${JSON.stringify({ time: new Date().toISOString(), level: 'error', msg: 'baseline worker failed', error: String(err?.stack ?? err) })}\n`,
  );
  process.exit(1);
});
