import { Router } from 'express';
import { orderCostsSchema, orderMetricsQuerySchema } from '../../domain/order-metrics';
import { parseOrThrow } from '../../domain/validation';
import { createOrderMetricsService } from '../../services/order-metrics';
import type { ApiDeps } from '../app';
import { requires } from '../auth';

// Seed 003's order metrics over a period and channel (services/order-metrics.ts), and the monthly costs
// behind cost per order. Beside GET /metrics (Prometheus, operations), not under it: /metrics is matched
// exactly there.
export function orderMetricsRouter(deps: ApiDeps): Router {
  const router = Router();
  const metrics = createOrderMetricsService({ ...deps.stores, ...(deps.orderSettings && { orderSettings: deps.orderSettings }) });
  router.get('/metrics/orders', requires('reports:read'), async (req, res) => {
    const query = parseOrThrow(orderMetricsQuerySchema, req.query, 'metrics query');
    res.json(await metrics.compute(query));
  });
  router.get('/metrics/order-costs', requires('reports:read'), async (_req, res) => {
    res.json(await metrics.costs());
  });
  // The whole list of monthly costs, replaced at once.
  router.put('/metrics/order-costs', requires('settings:write'), async (req, res) => {
    const { costs } = parseOrThrow(orderCostsSchema, req.body, 'order costs');
    res.json(await metrics.replaceCosts(costs, req.actor ?? 'api'));
  });
  return router;
}
