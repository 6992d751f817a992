import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createOrderActivities, type OrderActivityDeps } from '../activities/order-activities';
import { createChannelActivities, type ChannelActivityDeps } from '../activities/channel-activities';
import { createCarrierActivities } from '../activities/carrier-activities';

export interface OrderWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  activityDeps: OrderActivityDeps;
  channelDeps: ChannelActivityDeps;
  // Tests bundle the workflows once per run and pass the bundle; processes bundle at start.
  workflowBundlePath?: string;
  tuning?: Pick<WorkerOptions, 'maxConcurrentActivityTaskExecutions' | 'maxConcurrentWorkflowTaskExecutions' | 'maxCachedWorkflows'>;
}

export function createOrderWorker(opts: OrderWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: opts.connection,
    namespace: opts.namespace,
    taskQueue: opts.taskQueue,
    activities: { ...createOrderActivities(opts.activityDeps), ...createChannelActivities(opts.channelDeps), ...createCarrierActivities(opts.channelDeps) },
    ...(opts.workflowBundlePath
      ? { workflowBundle: { codePath: opts.workflowBundlePath } }
      : { workflowsPath: require.resolve('../workflows') }),
    ...opts.tuning,
  });
}
