// Customer notifications by email: the outbox (store/notifications.ts) is the source of truth, a BullMQ
// job per notification (fed when one is queued or retried, and by a periodic sweep for any missed) asks the
// worker's mailer to deliver it. Delivery is at least once: a mailer that dies between the send and the
// mark sends again, with the same Message-ID, derived from the notification id, so a mail client and the
// receiving server can tell the two apart.
import { createHash } from 'node:crypto';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { mailLanguage, renderMail, type MailLanguage } from '../domain/notification-templates';
import type { Logger } from '../domain/logger';
import type { CustomerNotification, CustomerNotifications, NotificationKind } from '../store/notifications';
import type { Connections } from '../store/connections';
import type { MailSender } from '../connectors/smtp';

export const CUSTOMER_MAIL_QUEUE = 'orderhub-customer-mail';

export interface MailJob {
  id: string; // the notification id
}

// BullMQ ids may not hold ':' (notification ids do): a digest. A retry by an operator is a new job.
export const mailJobId = (notificationId: string, round: number) =>
  createHash('sha1').update(`mail|${notificationId}|${round}`).digest('hex');

/** The Message-ID every send of this notification carries. */
export const messageIdOf = (notificationId: string) =>
  `<${createHash('sha256').update(notificationId).digest('hex').slice(0, 40)}@orderhub.notifications>`;

// The mailer (worker/mailer.ts) decides how many tries a notification gets and how long it waits between
// them; a job allows at most this many.
export const MAX_MAIL_JOB_ATTEMPTS = 50;

/** The producer: asks the mailer to deliver one notification (idempotent per notification and round). */
export class MailRequests {
  private readonly queue: Queue;
  constructor(redis: Redis, prefix: string) {
    this.queue = new Queue(CUSTOMER_MAIL_QUEUE, { connection: redis, prefix });
  }

  async request(notificationId: string, round = 0): Promise<void> {
    await this.queue.add('deliver', { id: notificationId } satisfies MailJob, {
      jobId: mailJobId(notificationId, round),
      attempts: MAX_MAIL_JOB_ATTEMPTS,
      backoff: { type: 'mail' }, // the mailer's backoffStrategy
      removeOnComplete: { age: 24 * 3600 },
      // The last try settles the notification (failed) and completes; a job that failed anyway (the store was
      // down) goes, so that the mailer's sweep asks again for its still pending notification.
      removeOnFail: true,
    });
  }

  close(): Promise<void> {
    return this.queue.close();
  }
}

export interface CustomerMailDeps {
  notifications: Pick<CustomerNotifications, 'get' | 'markSent' | 'settle' | 'recordAttempt'>;
  connections: Pick<Connections, 'view'>;
  sender: MailSender;
  defaultLanguage: MailLanguage; // the merchant's, for customers whose language we have no template for
  log: Logger;
}

export type DeliveryOutcome = 'sent' | 'skipped' | 'failed' | 'not_pending' | 'retrying';

// Kinds a Shopify connection with notifyCustomer (its default) tells its customers itself.
const SHOPIFY_NOTIFIES: NotificationKind[] = ['shipped', 'return_refunded'];

async function skipReason(deps: CustomerMailDeps, n: CustomerNotification): Promise<string | undefined> {
  const connection = await deps.connections.view(n.channel);
  if (connection?.kind === 'shopify' && connection.options.notifyCustomer !== false && SHOPIFY_NOTIFIES.includes(n.kind))
    return `channel ${n.channel} (Shopify, notifyCustomer) tells its customers itself`;
  if (!n.to.email) return 'no email address';
  return undefined;
}

export function createCustomerMailService(deps: CustomerMailDeps) {
  const { notifications, log } = deps;
  return {
    /**
     * One try at delivering a notification. Throws on an SMTP failure unless it was the last try, which
     * marks the notification failed with the error.
     */
    async deliver(id: string, try_: { attempt: number; last: boolean }): Promise<DeliveryOutcome> {
      const n = await notifications.get(id);
      if (!n || n.status !== 'pending') return 'not_pending';
      const skip = await skipReason(deps, n);
      if (skip) {
        await notifications.settle(id, 'skipped', skip);
        log.info('customer notification skipped', { notificationId: id, orderId: n.orderId, reason: skip });
        return 'skipped';
      }
      const rendered = renderMail(n, mailLanguage(n.to.language, deps.defaultLanguage));
      const messageId = messageIdOf(id);
      const started = Date.now();
      try {
        await deps.sender.send({
          to: { name: n.to.name, email: n.to.email! },
          ...rendered,
          messageId,
          headers: { 'X-Orderhub-Notification-Id': id, 'X-Orderhub-Kind': n.kind, 'X-Orderhub-Order-Id': n.orderId },
        });
      } catch (err) {
        const error = err instanceof Error ? err.message : String(err);
        await notifications.recordAttempt(id, { at: new Date(), ok: false, error, ms: Date.now() - started }, messageId);
        log.warn('customer mail not sent', { notificationId: id, orderId: n.orderId, attempt: try_.attempt, error });
        if (!try_.last) throw err;
        await notifications.settle(id, 'failed', error);
        return 'failed';
      }
      await notifications.recordAttempt(id, { at: new Date(), ok: true, ms: Date.now() - started }, messageId);
      await notifications.markSent(id, 'mailer');
      log.info('customer mail sent', { notificationId: id, orderId: n.orderId, kind: n.kind, language: rendered.language });
      return 'sent';
    },
  };
}
