import express, { Router } from 'express';
import { z } from 'zod';
import { connectionIdSchema } from '../../domain/connection';
import { NotFoundError, UnauthorizedError, ValidationError } from '../../domain/errors';
import { parseOrThrow } from '../../domain/validation';
import { buildConnector } from '../../connectors/registry';
import { deliveryKey } from '../../store/webhook-deliveries';
import { enqueueDelivery } from '../../worker/webhook-consumer';
import type { ApiDeps } from '../app';

// Intake: verify first (401, nothing stored), store the raw delivery once, queue it, answer quickly.
export function webhookIntakeRouter(deps: ApiDeps): Router {
  const router = Router();
  router.post('/webhooks/:connectionId', express.raw({ type: () => true, limit: '2mb' }), async (req, res) => {
    const connectionId = parseOrThrow(connectionIdSchema, req.params.connectionId, 'connection id', 'connectionId');
    const connection = await deps.stores.connections.withCredentials(connectionId);
    if (!connection || !connection.enabled) throw new NotFoundError(`No enabled connection ${connectionId} takes webhooks`);
    const connector = buildConnector(connection, { redis: deps.redis, log: deps.log });
    const webhooks = connector.orders?.webhooks ?? connector.carrier?.webhooks;
    if (!webhooks) throw new NotFoundError(`Connection ${connectionId} (${connection.kind}) takes no webhooks`);
    const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k.toLowerCase(), Array.isArray(v) ? v[0] : v]));
    let verified;
    try {
      verified = webhooks.verify(raw, headers);
    } catch (err) {
      deps.log.warn('webhook refused', { connectionId, reason: (err as Error).message });
      // A ValidationError comes after the signature matched (a header is missing): 400 naming the header.
      throw err instanceof UnauthorizedError || err instanceof ValidationError
        ? err
        : new UnauthorizedError('Webhook signature could not be verified');
    }
    const fresh = await deps.stores.webhooks.record({
      connectionId,
      deliveryId: verified.deliveryId,
      topic: verified.topic,
      body: raw.toString('utf8'),
    });
    // Enqueue even for a repeat: if the first attempt stored but crashed before queueing, this heals it;
    // the job id derived from the delivery makes it a no-op otherwise.
    await enqueueDelivery(deps.webhookQueue, deliveryKey(connectionId, verified.deliveryId));
    res.status(200).json({ received: true, duplicate: !fresh });
  });
  return router;
}

const listQuery = z.strictObject({ limit: z.coerce.number().int().min(1).max(500).default(100) });

export function deadLettersRouter(deps: ApiDeps): Router {
  const router = Router();
  router.get('/webhooks/dead-letters', async (req, res) => {
    const q = parseOrThrow(listQuery, req.query, 'query');
    const dead = await deps.stores.webhooks.deadLetters(q.limit);
    res.json({
      deadLetters: dead.map(({ _id, body, ...d }) => ({ id: _id, ...d, bodyBytes: d.bodyBytes ?? Buffer.byteLength(body ?? '') })),
    });
  });
  router.post('/webhooks/dead-letters/:id/replay', async (req, res) => {
    const id = parseOrThrow(
      z.string().regex(/^[a-z0-9][a-z0-9_-]{0,31}\|[\x21-\x7e]{1,200}$/, 'is not a dead letter id'),
      req.params.id,
      'dead letter id',
      'id',
    );
    const current = await deps.stores.webhooks.get(id);
    if (!current || current.status !== 'dead') throw new NotFoundError(`No dead letter ${id}`);
    const requeued = (await deps.stores.webhooks.requeue(id))!;
    await enqueueDelivery(deps.webhookQueue, id, requeued.replays);
    res.status(202).json({ id, replay: requeued.replays });
  });
  return router;
}
