import { Router } from 'express';
import { z } from 'zod';
import { carrierRulesSchema } from '../../domain/carrier-rules';
import { isCarrierKind } from '../../domain/connection';
import { ValidationError } from '../../domain/errors';
import { parseOrThrow } from '../../domain/validation';
import type { ApiDeps } from '../app';

const rulesBody = z.strictObject({ rules: carrierRulesSchema });

export function carriersRouter(deps: ApiDeps): Router {
  const router = Router();
  const { carriers, connections } = deps.stores;

  router.get('/carrier-rules', async (_req, res) => {
    res.json(await carriers.rules());
  });

  // Replace the carrier rules: per region or postal prefix, carrier services in priority order, and how to
  // choose among their rates. Every carrier named must be an existing carrier connection.
  router.put('/carrier-rules', async (req, res) => {
    const { rules } = parseOrThrow(rulesBody, req.body, 'carrier rules');
    const kinds = new Map((await connections.list()).map((c) => [c.id, c.kind]));
    const problems = rules.flatMap((rule, i) =>
      rule.services.flatMap((ref, j) => {
        const kind = kinds.get(ref.carrier);
        if (kind === undefined)
          return [
            { path: `rules.${i}.services.${j}.carrier`, message: `no connection ${ref.carrier}: create it with POST /connections first` },
          ];
        if (!isCarrierKind(kind))
          return [
            { path: `rules.${i}.services.${j}.carrier`, message: `connection ${ref.carrier} is a ${kind} connection, not a carrier` },
          ];
        return [];
      }),
    );
    if (problems.length) throw new ValidationError(`Invalid carrier rules: ${problems.length} problem(s)`, problems);
    res.json(await carriers.replaceRules(rules, req.actor ?? 'api'));
  });

  return router;
}
