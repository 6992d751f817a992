import express, { Router } from 'express';
import { returnPolicySchema } from '../../domain/returns';
import { parseOrThrow } from '../../domain/validation';
import { createReturnService } from '../../services/returns';
import type { ApiDeps } from '../app';

const actorOf = (req: express.Request) => req.actor ?? 'api';

export function returnsRouter(deps: ApiDeps): Router {
  const router = Router();
  const returns = createReturnService(deps.stores);
  router.get('/return-policy', async (_req, res) => {
    res.json(await returns.policy());
  });
  // Replace the whole policy; a field left out takes its default.
  router.put('/return-policy', async (req, res) => {
    const policy = parseOrThrow(returnPolicySchema, req.body, 'return policy');
    res.json(await returns.replacePolicy(policy, actorOf(req)));
  });
  return router;
}
