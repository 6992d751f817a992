import { Router } from 'express';
import { z } from 'zod';
import { orderIdSchema } from '../../domain/order';
import { parseOrThrow } from '../../domain/validation';
import { emailSchema } from '../../domain/access';
import { NOTIFICATION_KINDS, NOTIFICATION_STATUSES } from '../../store/notifications';
import { createNotificationService } from '../../services/notifications';
import { createDevMailbox } from '../../services/dev-mailbox';
import { createSubscriberService } from '../../services/outbound-webhooks';
import type { ApiDeps } from '../app';
import { requires } from '../auth';
import { orderLookup } from '../../services/orders';
import { orderLocations } from '../order-scope';

// The customer notifications outbox over HTTP (services/notifications.ts).
const listQuery = z.strictObject({
  status: z.enum(NOTIFICATION_STATUSES).optional(),
  orderId: orderIdSchema.optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

const mailboxQuery = z.strictObject({
  to: emailSchema.optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
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
  const subscribers = createSubscriberService(deps.stores);
  router.get('/customer-notifications', requires('notifications:read'), async (req, res) => {
    const { status, orderId, limit } = parseOrThrow(listQuery, req.query, 'query');
    res.json(await notifications.list({ limit, ...(status && { status }), ...(orderId && { orderId }) }));
  });
  router.post('/customer-notifications/:id/sent', requires('notifications:write'), async (req, res) => {
    parseOrThrow(z.strictObject({}), req.body ?? {}, 'body');
    const id = parseOrThrow(notificationIdSchema, req.params.id, 'notification id', 'id');
    res.json(await notifications.markSent(id, req.actor ?? 'api'));
  });
  router.post('/customer-notifications/:id/retry', requires('notifications:write'), async (req, res) => {
    parseOrThrow(z.strictObject({}), req.body ?? {}, 'body');
    const id = parseOrThrow(notificationIdSchema, req.params.id, 'notification id', 'id');
    res.json(await notifications.retry(id));
  });
  router.get('/orders/:id/notifications', requires('orders:read', orderLocations(orderLookup(deps.stores))), async (req, res) => {
    parseOrThrow(z.strictObject({}), req.query, 'query');
    const orderId = parseOrThrow(orderIdSchema, req.params.id, 'order id', 'id');
    const found = await notifications.forOrder(orderId); // 404 for an unknown order
    const webhookDeliveries = await subscribers.deliveriesOf(orderId);
    res.json({ orderId, notifications: found, webhookDeliveries });
  });
  const mailbox = createDevMailbox(deps.localMailboxUrl);
  router.get('/dev/mail', requires('notifications:mailbox'), async (req, res) => {
    const { to, limit } = parseOrThrow(mailboxQuery, req.query, 'query');
    res.json(await mailbox.list({ limit, ...(to && { to }) }));
  });
  return router;
}
