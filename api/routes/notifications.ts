import { Router } from 'express';
import { z } from 'zod';
import { orderIdSchema } from '../../domain/order';
import { parseOrThrow } from '../../domain/validation';
import { NOTIFICATION_KINDS } from '../../store/notifications';
import { createNotificationService } from '../../services/notifications';
import type { ApiDeps } from '../app';
import { requires } from '../auth';

// The customer notifications outbox over HTTP (services/notifications.ts).
const listQuery = z.strictObject({
  status: z.enum(['pending', 'sent']).optional(),
  orderId: orderIdSchema.optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

const notificationIdSchema = z
  .string()
  .max(300)
  .regex(
    new RegExp(
      `^(order:[a-z0-9_-]{1,32}:[A-Za-z0-9][A-Za-z0-9._#-]{0,127}|stock:[A-Za-z0-9][A-Za-z0-9._-]{0,63}:[A-Za-z0-9][A-Za-z0-9_-]{0,63})\\|(${NOTIFICATION_KINDS.join('|')})(\\|part:[1-9][0-9]{0,2})?(\\|n:[1-9][0-9]{0,5})?$`,
    ),
    `must look like <orderId>|<kind>[|part:<n>][|n:<n>], kind one of ${NOTIFICATION_KINDS.join(', ')}`,
  );

export function notificationsRouter(deps: ApiDeps): Router {
  const router = Router();
  const notifications = createNotificationService(deps.stores);
  router.get('/customer-notifications', requires('notifications:read'), async (req, res) => {
    const { status, orderId, limit } = parseOrThrow(listQuery, req.query, 'query');
    res.json(await notifications.list({ limit, ...(status && { status }), ...(orderId && { orderId }) }));
  });
  router.post('/customer-notifications/:id/sent', requires('notifications:write'), async (req, res) => {
    parseOrThrow(z.strictObject({}), req.body ?? {}, 'body');
    const id = parseOrThrow(notificationIdSchema, req.params.id, 'notification id', 'id');
    res.json(await notifications.markSent(id, req.actor ?? 'api'));
  });
  return router;
}
