// The customer notifications outbox: what the worker's mailer delivers (services/customer-mail.ts), and for
// any other sender: read what is pending, send it, mark it sent. Operators see every try and send a failed
// one again.
import { ConflictError, NotFoundError } from '../domain/errors';
import type { CustomerNotification, CustomerNotifications } from '../store/notifications';
import type { OrdersView } from '../store/orders';

export interface NotificationServiceDeps {
  notifications: Pick<CustomerNotifications, 'list' | 'markSent' | 'retry' | 'forOrder'>;
  orders: Pick<OrdersView, 'get'>;
}

export const notificationJson = (n: CustomerNotification) => {
  const { _id, at, sentAt, failedAt, attempts, ...rest } = n;
  return {
    id: _id,
    ...rest,
    at: at.toISOString(),
    ...(sentAt && { sentAt: sentAt.toISOString() }),
    ...(failedAt && { failedAt: failedAt.toISOString() }),
    attempts: (attempts ?? []).map((a) => ({ ...a, at: a.at.toISOString() })),
  };
};

export function createNotificationService(deps: NotificationServiceDeps) {
  const { notifications } = deps;
  return {
    async list(q: Parameters<CustomerNotifications['list']>[0]) {
      return { notifications: (await notifications.list(q)).map(notificationJson) };
    },
    async forOrder(orderId: string) {
      const found = await notifications.forOrder(orderId);
      // None: an order without notices yet, or no order at all (404, as for GET /orders/:id).
      if (found.length === 0 && !(await deps.orders.get(orderId))) throw new NotFoundError(`Order ${orderId} does not exist`, { orderId });
      return found.sort((a, b) => a.at.getTime() - b.at.getTime() || (a._id < b._id ? -1 : 1)).map(notificationJson);
    },
    async markSent(id: string, actor: string) {
      const marked = await notifications.markSent(id, actor);
      if (!marked) throw new NotFoundError(`Notification ${id} does not exist`, { id });
      return notificationJson(marked);
    },
    // A failed notification back to pending: the mailer tries it again, with its full count of tries.
    async retry(id: string) {
      const result = await notifications.retry(id);
      if (!result) throw new NotFoundError(`Notification ${id} does not exist`, { id });
      if (!result.retried)
        throw new ConflictError(`Notification ${id} is ${result.notification.status}: only a failed one can be retried`, {
          id,
          status: result.notification.status,
        });
      return notificationJson(result.notification);
    },
  };
}
