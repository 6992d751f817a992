// The customer notifications outbox, for whatever sends the emails and texts: read what is pending,
// send it, mark it sent.
import { NotFoundError } from '../domain/errors';
import type { CustomerNotification, CustomerNotifications } from '../store/notifications';

export interface NotificationServiceDeps {
  notifications: Pick<CustomerNotifications, 'list' | 'markSent'>;
}

const toJson = (n: CustomerNotification) => {
  const { _id, at, sentAt, ...rest } = n;
  return { id: _id, ...rest, at: at.toISOString(), ...(sentAt && { sentAt: sentAt.toISOString() }) };
};

export function createNotificationService(deps: NotificationServiceDeps) {
  const { notifications } = deps;
  return {
    async list(q: Parameters<CustomerNotifications['list']>[0]) {
      return { notifications: (await notifications.list(q)).map(toJson) };
    },
    async markSent(id: string, actor: string) {
      const marked = await notifications.markSent(id, actor);
      if (!marked) throw new NotFoundError(`Notification ${id} does not exist`, { id });
      return toJson(marked);
    },
  };
}
