import { Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import {
  CUSTOMER_MAIL_QUEUE,
  createCustomerMailService,
  MailRequests,
  type CustomerMailDeps,
  type MailJob,
} from '../services/customer-mail';
import type { CustomerNotifications } from '../store/notifications';
import type { Logger } from './logger';

// The mailer, in the worker process: delivers the customer notifications by email, one BullMQ job each
// (services/customer-mail.ts). A sweep every sweepMs asks again for every pending notification (at most
// SWEEP_BATCH at a time, by the status index): one whose job was lost (Redis restored from an older file,
// a queue call that failed after the outbox write) is still sent. Asking twice is harmless: the job id is
// the notification's.

const SWEEP_BATCH = 200;

export interface MailerOptions {
  prefix: string;
  attempts: number;
  backoffMs: number;
  sweepMs: number;
  lockMs: number; // a job whose mailer died is taken up again once this long has passed without its heartbeat
  concurrency?: number;
}

export function startMailer(
  deps: Omit<CustomerMailDeps, 'notifications'> & { notifications: CustomerNotifications; redis: Redis; log: Logger },
  opts: MailerOptions,
): { close(): Promise<void> } {
  const connection = deps.redis.duplicate({ maxRetriesPerRequest: null });
  const requests = new MailRequests(connection, opts.prefix);
  const mail = createCustomerMailService(deps);
  const processor = async (job: Job<MailJob>) => {
    const attempt = job.attemptsMade + 1;
    const last = attempt >= Math.min(opts.attempts, job.opts.attempts ?? opts.attempts);
    return { outcome: await mail.deliver(job.data.id, { attempt, last }) };
  };
  const worker = new Worker(CUSTOMER_MAIL_QUEUE, processor, {
    connection,
    prefix: opts.prefix,
    concurrency: opts.concurrency ?? 4,
    lockDuration: opts.lockMs,
    stalledInterval: opts.lockMs,
    // A stalled job is only a mailer that died or lagged (the lock not renewed in time): send again (the same
    // Message-ID) rather than fail the job.
    maxStalledCount: 20,
    // Exponential: backoffMs after the first failure, then twice as long each time.
    settings: { backoffStrategy: (attemptsMade: number) => opts.backoffMs * 2 ** Math.max(0, attemptsMade - 1) },
  });
  worker.on('error', (err) => deps.log.warn('mailer error', { error: err.message }));

  const sweep = async () => {
    const pending = await deps.notifications.pending(SWEEP_BATCH);
    for (const n of pending) await requests.request(n._id, n.retries ?? 0);
  };
  let sweeping: Promise<void> = Promise.resolve();
  const timer = setInterval(() => {
    sweeping = sweep().catch((err) => deps.log.warn('mail sweep failed', { error: String(err) }));
  }, opts.sweepMs);
  sweeping = sweep().catch((err) => deps.log.warn('mail sweep failed', { error: String(err) }));
  return {
    async close() {
      clearInterval(timer);
      await sweeping;
      await worker.close();
      await requests.close();
      await connection.quit().catch(() => undefined);
    },
  };
}
