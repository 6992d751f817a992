import { Router } from 'express';
import { z } from 'zod';
import { NotFoundError } from '../../domain/errors';
import { orderIdSchema } from '../../domain/order';
import { parseOrThrow } from '../../domain/validation';
import { NOTIFICATION_KINDS, type CustomerNotification } from '../../store/notifications';
import type { ApiDeps } from '../app';

// The customer notifications outbox, for whatever sends the emails and texts: read what is pending,
// send it, mark it sent.
const listQuery = z.strictObject({
  status: z.enum(['pending', 'sent']).optional(),
  orderId: orderIdSchema.optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

const notificationIdSchema = z
  .string()
  .max(300)
  .regex(
    new RegExp(`^order:[a-z0-9_-]{1,32}:[A-Za-z0-9][A-Za-z0-9._#-]{0,127}\\|(${NOTIFICATION_KINDS.join('|')})(\\|part:[1-9][0-9]{0,2})?$`),
    `must look like <orderId>|<kind>[|part:<n>], kind one of ${NOTIFICATION_KINDS.join(', ')}`,
  );

const toJson = (n: CustomerNotification) => {
  const { _id, at, sentAt, ...rest } = n;
  return { id: _id, ...rest, at: at.toISOString(), ...(sentAt && { sentAt: sentAt.toISOString() }) };
};

export function notificationsRouter(deps: ApiDeps): Router {
  const router = Router();
  const { notifications } = deps.stores;

  router.get('/customer-notifications', async (req, res) => {
    const q = parseOrThrow(listQuery, req.query, 'query');
    const found = await notifications.list({
      limit: q.limit,
      ...(q.status && { status: q.status }),
      ...(q.orderId && { orderId: q.orderId }),
    });
    res.json({ notifications: found.map(toJson) });
  });

  router.post('/customer-notifications/:id/sent', async (req, res) => {
    parseOrThrow(z.strictObject({}), req.body ?? {}, 'body');
    const id = parseOrThrow(notificationIdSchema, req.params.id, 'notification id', 'id');
    const marked = await notifications.markSent(id, req.actor ?? 'api');
    if (!marked) throw new NotFoundError(`Notification ${id} does not exist`, { id });
    res.json(toJson(marked));
  });

  return router;
}
