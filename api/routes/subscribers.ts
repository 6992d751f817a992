import { Router } from 'express';
import { z } from 'zod';
import { subscriberRequestSchema } from '../../domain/outbound-webhooks';
import { parseOrThrow } from '../../domain/validation';
import { createSubscriberService } from '../../services/outbound-webhooks';
import type { ApiDeps } from '../app';
import { requires } from '../auth';

// Outbound webhook subscribers (admins) and their deliveries' replays (operators): services/outbound-webhooks.ts.
const subscriberIdSchema = z.string().regex(/^sub_[0-9a-f]{16}$/, 'must be a subscriber id (sub_ and 16 hex digits)');
const deliveryIdSchema = z
  .string()
  .max(400)
  .regex(/^(order|return):[^|]{1,300}\|[a-z_]{1,40}\|[1-9][0-9]{0,5}\|sub_[0-9a-f]{16}$/, 'must be <eventId>|<subscriberId>');
const noBody = z.strictObject({});

export function subscribersRouter(deps: ApiDeps): Router {
  const router = Router();
  const subscribers = createSubscriberService(deps.stores);
  const requestSchema = subscriberRequestSchema(deps.requireHttpsWebhooks ?? false);
  router.post('/webhook-subscribers', requires('subscribers:manage'), async (req, res) => {
    const body = parseOrThrow(requestSchema, req.body, 'body');
    const { subscriber, secret } = await subscribers.create(body);
    res.status(201).json({ ...subscriber, secret }); // the secret is shown this once
  });
  router.get('/webhook-subscribers', requires('subscribers:manage'), async (req, res) => {
    parseOrThrow(noBody, req.query, 'query');
    res.json(await subscribers.list());
  });
  router.post('/webhook-subscribers/:id/disable', requires('subscribers:manage'), async (req, res) => {
    parseOrThrow(noBody, req.body ?? {}, 'body');
    res.json(await subscribers.disable(parseOrThrow(subscriberIdSchema, req.params.id, 'subscriber id', 'id')));
  });
  router.post('/webhook-subscribers/:id/rotate-secret', requires('subscribers:manage'), async (req, res) => {
    parseOrThrow(noBody, req.body ?? {}, 'body');
    const { subscriber, secret } = await subscribers.rotateSecret(parseOrThrow(subscriberIdSchema, req.params.id, 'subscriber id', 'id'));
    res.json({ ...subscriber, secret });
  });
  router.post('/webhook-deliveries/:id/replay', requires('subscribers:replay'), async (req, res) => {
    parseOrThrow(noBody, req.body ?? {}, 'body');
    res.json(await subscribers.replay(parseOrThrow(deliveryIdSchema, req.params.id, 'delivery id', 'id')));
  });
  return router;
}
