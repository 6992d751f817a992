import { Router } from 'express';
import { z } from 'zod';
import { carrierRulesSchema } from '../../domain/carrier-rules';
import { parseOrThrow } from '../../domain/validation';
import { createCarrierService } from '../../services/carriers';
import type { ApiDeps } from '../app';
import { requires } from '../auth';

const rulesBody = z.strictObject({ rules: carrierRulesSchema });

export function carriersRouter(deps: ApiDeps): Router {
  const router = Router();
  const carriers = createCarrierService(deps.stores);
  router.get('/carrier-rules', requires('settings:read'), async (_req, res) => {
    res.json(await carriers.rules());
  });
  // Replace the carrier rules whole (services/carriers.ts checks every carrier named).
  router.put('/carrier-rules', requires('settings:write'), async (req, res) => {
    const { rules } = parseOrThrow(rulesBody, req.body, 'carrier rules');
    res.json(await carriers.replaceRules(rules, req.actor ?? 'api'));
  });
  return router;
}
