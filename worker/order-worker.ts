import { Context } from '@temporalio/activity';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createOrderActivities, type OrderActivityDeps } from '../activities/order-activities';
import { createChannelActivities, type ChannelActivityDeps } from '../activities/channel-activities';
import { createCarrierActivities } from '../activities/carrier-activities';
import { createReturnActivities, type ReturnActivityDeps } from '../activities/return-activities';
import { createImportActivities, type ImportActivityDeps } from '../activities/import-activities';
import { createMaintenanceActivities, type MaintenanceActivityDeps } from '../activities/maintenance-activities';
import { createReplenishmentActivities, type ReplenishmentActivityDeps } from '../activities/replenishment-activities';
import { createDropShipActivities, type DropShipActivityDeps } from '../activities/drop-ship-activities';

export interface OrderWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  activityDeps: OrderActivityDeps & MaintenanceActivityDeps & ReturnActivityDeps & ReplenishmentActivityDeps;
  channelDeps: ChannelActivityDeps & { orderImports: ImportActivityDeps['orderImports'] } & DropShipActivityDeps;
  // Tests bundle the workflows once per run and pass the bundle; processes bundle at start.
  workflowBundlePath?: string;
  tuning?: Pick<WorkerOptions, 'maxConcurrentActivityTaskExecutions' | 'maxConcurrentWorkflowTaskExecutions' | 'maxCachedWorkflows'>;
  // Tests only: activities replaced by name (e.g. one that stalls, to time an attempt out).
  activityOverrides?: Record<string, (...args: never[]) => Promise<unknown>>;
}

export function createOrderWorker(opts: OrderWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: opts.connection,
    namespace: opts.namespace,
    taskQueue: opts.taskQueue,
    activities: {
      // The order workflow's activities run under a heartbeat timeout (workflows/order.ts): alive is told by heartbeats.
      ...withHeartbeats(createOrderActivities(opts.activityDeps)),
      ...withHeartbeats(createCarrierActivities(opts.channelDeps)),
      ...withHeartbeats(createDropShipActivities(opts.channelDeps)),
      ...withHeartbeats(
        createReturnActivities({
          ...opts.activityDeps,
          intake: {
            temporal: opts.channelDeps.temporal,
            taskQueue: opts.channelDeps.taskQueue,
            orders: opts.channelDeps.orders,
            log: opts.channelDeps.log,
          },
        }),
      ),
      ...withHeartbeats(
        createImportActivities({
          orderImports: opts.channelDeps.orderImports,
          intake: {
            temporal: opts.channelDeps.temporal,
            taskQueue: opts.channelDeps.taskQueue,
            orders: opts.channelDeps.orders,
            log: opts.channelDeps.log,
          },
        }),
      ),
      // These heartbeat their own progress (a page cursor, a count), which a bare heartbeat would overwrite.
      ...createChannelActivities(opts.channelDeps),
      ...createMaintenanceActivities(opts.activityDeps),
      ...createReplenishmentActivities(opts.activityDeps),
      ...opts.activityOverrides,
    },
    ...(opts.workflowBundlePath
      ? { workflowBundle: { codePath: opts.workflowBundlePath } }
      : { workflowsPath: require.resolve('../workflows') }),
    ...opts.tuning,
  });
}

export const HEARTBEAT_EVERY_MS = 2_000;

/**
 * Each activity heartbeats while it runs, so its workflow can tell a slow attempt (a store busy with a
 * burst: keeps heartbeating, may take minutes) from a dead worker (silent: retried after the heartbeat
 * timeout). Outside an activity (a local activity, a test calling the function) it is a plain call.
 */
export function withHeartbeats<T extends Record<string, (...args: never[]) => Promise<unknown>>>(activities: T): T {
  return Object.fromEntries(
    Object.entries(activities).map(([name, fn]) => [
      name,
      async (...args: never[]) => {
        let ctx: Context | undefined;
        try {
          ctx = Context.current();
        } catch {
          ctx = undefined;
        }
        if (!ctx || ctx.info.isLocal) return fn(...args); // a local activity has no heartbeats: its workflow task waits
        const beat = setInterval(() => ctx!.heartbeat(), HEARTBEAT_EVERY_MS);
        try {
          return await fn(...args);
        } finally {
          clearInterval(beat);
        }
      },
    ]),
  ) as T;
}
