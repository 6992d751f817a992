import express, { Router, type Request, type Response } from 'express';
import type { UpdateDefinition } from '@temporalio/common';
import { z } from 'zod';
import { orderIdSchema } from '../../domain/order';
import {
  attachReturnLabelSchema,
  inspectionSchema,
  receiveReturnSchema,
  returnPolicySchema,
  returnRequestSchema,
  type ReturnState,
} from '../../domain/returns';
import { parseOrThrow } from '../../domain/validation';
import { createReturnService, type ReturnService } from '../../services/returns';
import {
  attachReturnLabelUpdate,
  cancelReturnUpdate,
  decideReturnUpdate,
  inspectReturnUpdate,
  receiveReturnUpdate,
  retryReturnUpdate,
} from '../../workflows/return/api';
import { idempotencyKeyHeader } from '../idempotency';
import type { ApiDeps } from '../app';
import { requires } from '../auth';

const actorOf = (req: express.Request) => req.actor ?? 'api';

const returnIdSchema = z
  .string()
  .max(200)
  .regex(/^return:order:[a-z0-9_-]{1,32}:[A-Za-z0-9][A-Za-z0-9._#-]{0,127}:[1-9][0-9]{0,5}$/, 'must look like return:<orderId>:<n>');
const decisionSchema = z.strictObject({ reason: z.string().min(1).max(500).optional() }).default({});

export function returnsRouter(deps: ApiDeps): Router {
  const router = Router();
  const returns = createReturnService({ ...deps.stores, ...deps });
  const send = sender(returns);
  router.get('/return-policy', requires('settings:read'), async (_req, res) => {
    res.json(await returns.policy());
  });
  // Replace the whole policy; a field left out takes its default.
  router.put('/return-policy', requires('settings:write'), async (req, res) => {
    const policy = parseOrThrow(returnPolicySchema, req.body, 'return policy');
    res.json(await returns.replacePolicy(policy, actorOf(req)));
  });
  // A return asked for on a delivered order: 201 with the return (its decision and why), 200 with the
  // same return for a repeated Idempotency-Key.
  router.post('/orders/:id/returns', requires('returns:write'), async (req, res) => {
    const orderId = parseOrThrow(orderIdSchema, req.params.id, 'order id', 'id');
    const request = parseOrThrow(returnRequestSchema, req.body, 'return request');
    const key = idempotencyKeyHeader(req);
    const { state, created } = await returns.request(orderId, request, { actor: actorOf(req), ...(key && { idempotencyKey: key }) });
    res.status(created ? 201 : 200).json(state);
  });
  router.get('/orders/:id/returns', requires('returns:read'), async (req, res) => {
    const orderId = parseOrThrow(orderIdSchema, req.params.id, 'order id', 'id');
    res.json({ returns: await returns.forOrder(orderId) });
  });
  router.get('/returns/:id', requires('returns:read'), async (req, res) => {
    res.json(await returns.get(returnIdOf(req)));
  });
  commandRoutes(router, returns, send);
  return router;
}

// Commands: the return's workflow decides and answers.
function commandRoutes(router: Router, returns: ReturnService, send: ReturnType<typeof sender>): void {
  router.post('/returns/:id/approve', requires('returns:write'), async (req, res) => {
    const body = parseOrThrow(decisionSchema, req.body ?? {}, 'approval');
    await send(req, res, 'approve', decideReturnUpdate, [{ approve: true, ...body, by: actorOf(req) }]);
  });
  router.post('/returns/:id/reject', requires('returns:write'), async (req, res) => {
    const body = parseOrThrow(decisionSchema, req.body ?? {}, 'rejection');
    await send(req, res, 'reject', decideReturnUpdate, [{ approve: false, ...body, by: actorOf(req) }]);
  });
  // The items are back: at a warehouse, or in store (BORIS) where the store operator scans them and may
  // decide each line at once.
  router.post('/returns/:id/receive', requires('returns:write'), async (req, res) => {
    const body = parseOrThrow(receiveReturnSchema, req.body, 'receipt');
    await returns.checkReceivingLocation(body.locationId);
    await send(req, res, 'receive', receiveReturnUpdate, [{ ...body, by: actorOf(req) }]);
  });
  router.post('/returns/:id/inspect', requires('returns:write'), async (req, res) => {
    const body = parseOrThrow(inspectionSchema, req.body, 'inspection');
    await send(req, res, 'inspect', inspectReturnUpdate, [{ ...body, by: actorOf(req) }]);
  });
  // The tracking number of a parcel the customer sends back another way (no label bought: a manual
  // carrier, the customer's own); with a carrier connection, its tracking webhooks move the return.
  router.post('/returns/:id/label', requires('returns:write'), async (req, res) => {
    const body = parseOrThrow(attachReturnLabelSchema, req.body, 'return label');
    const carrier = await returns.resolveParcelCarrier(body);
    await send(req, res, 'label', attachReturnLabelUpdate, [{ ...body, carrier, by: actorOf(req) }]);
  });
  router.post('/returns/:id/cancel', requires('returns:write'), async (req, res) => {
    const body = parseOrThrow(decisionSchema, req.body ?? {}, 'cancellation');
    await send(req, res, 'cancel', cancelReturnUpdate, [{ ...body, by: actorOf(req) }]);
  });
  router.post('/returns/:id/retry', requires('returns:write'), (req, res) =>
    send(req, res, 'retry', retryReturnUpdate, [{ by: actorOf(req) }]),
  );
}

const returnIdOf = (req: Request) => parseOrThrow(returnIdSchema, req.params.id, 'return id', 'id');

// 200 with the return once its workflow acted, 409 with its reason when refused, 202 with the command id
// when it has not answered in time (repeat with that id as Idempotency-Key).
function sender(returns: ReturnService) {
  return async <Args extends unknown[]>(
    req: Request,
    res: Response,
    accepted: string,
    update: UpdateDefinition<ReturnState, Args>,
    args: Args,
  ) => {
    const returnId = returnIdOf(req);
    const commandId = idempotencyKeyHeader(req);
    const answer = await returns.command(returnId, { update, args, action: accepted, ...(commandId && { commandId }) });
    if (answer.done) res.status(200).json({ ...answer.state, accepted, commandId: answer.commandId });
    else res.status(202).json({ returnId, accepted, commandId: answer.commandId, pending: true });
  };
}
