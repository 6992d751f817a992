import express, { Router } from 'express';
import { z } from 'zod';
import { connectionIdSchema } from '../../domain/connection';
import { parseOrThrow } from '../../domain/validation';
import { createWebhookService } from '../../services/webhooks';
import { connectionOfDelivery, inScope } from '../../domain/access';
import type { ApiDeps } from '../app';
import { requires, publicRoute } from '../auth';
import type { ApiMetrics } from '../metrics';

// Intake: verify first (401, nothing stored), store the raw delivery once, queue it, answer quickly.
export function webhookIntakeRouter(deps: ApiDeps, metrics?: Pick<ApiMetrics, 'webhookIntake'>): Router {
  const router = Router();
  const webhooks = createWebhookService({ ...deps.stores, ...deps });
  router.post('/webhooks/:connectionId', publicRoute(), express.raw({ type: () => true, limit: '2mb' }), async (req, res) => {
    try {
      const connectionId = parseOrThrow(connectionIdSchema, req.params.connectionId, 'connection id', 'connectionId');
      const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k.toLowerCase(), Array.isArray(v) ? v[0] : v]));
      const received = await webhooks.receive(connectionId, raw, headers);
      metrics?.webhookIntake.inc({ outcome: received.duplicate ? 'duplicate' : 'accepted' });
      res.status(200).json(received);
    } catch (err) {
      metrics?.webhookIntake.inc({ outcome: 'rejected' });
      throw err;
    }
  });
  return router;
}

const listQuery = z.strictObject({ limit: z.coerce.number().int().min(1).max(500).default(100) });
const deadLetterIdSchema = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,31}\|[\x21-\x7e]{1,200}$/, 'is not a dead letter id');

export function deadLettersRouter(deps: ApiDeps): Router {
  const router = Router();
  const webhooks = createWebhookService({ ...deps.stores, ...deps });
  router.get('/webhooks/dead-letters', requires('webhooks:read'), async (req, res) => {
    const page = await webhooks.deadLetters(parseOrThrow(listQuery, req.query, 'query').limit);
    // A principal scoped to connections sees only theirs (of the page read).
    const mine = (id: string) => !req.principal || inScope(req.principal, 'connection', connectionOfDelivery(id) ?? '');
    res.json({ ...page, deadLetters: page.deadLetters.filter((d) => mine(d.id)) });
  });
  router.post(
    '/webhooks/dead-letters/:id/replay',
    requires('webhooks:replay', { connection: (req) => connectionOfDelivery(String(req.params.id)) }),
    async (req, res) => {
      res.status(202).json(await webhooks.replay(parseOrThrow(deadLetterIdSchema, req.params.id, 'dead letter id', 'id')));
    },
  );
  return router;
}
