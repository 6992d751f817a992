import express, { Router } from 'express';
import { z } from 'zod';
import { ValidationError } from '../../domain/errors';
import { parseOrThrow } from '../../domain/validation';
import { createOrderImportService } from '../../services/order-import';
import { createPreorderService } from '../../services/preorders';
import type { ApiDeps } from '../app';
import { requires } from '../auth';

// Files of up to 10,000 orders: larger bodies than the API's other routes take (api/app.ts gives this
// route's JSON the same limit).
export const IMPORT_BODY_LIMIT = '25mb';

const importIdSchema = z.string().regex(/^imp_[0-9a-f]{32}$/, 'must look like imp_ and 32 hex digits');

export function importsRouter(deps: ApiDeps): Router {
  const router = Router();
  // Pre-orders claim as POST /orders's do (api/routes/orders.ts builds the same service).
  const imports = createOrderImportService({ ...deps.stores, ...deps, preorders: createPreorderService(deps.stores) });
  // CSV (text/csv, one row per order line) or JSON ({ orders: [...] }): 202 with the import (its id,
  // the problems by row and column, progress), 200 with the same import for a file uploaded before.
  router.post(
    '/orders/import',
    requires('orders:write'),
    express.text({ type: ['text/csv', 'application/csv'], limit: IMPORT_BODY_LIMIT }),
    async (req, res) => {
      const type = req.headers['content-type']?.split(';')[0].trim().toLowerCase();
      let file: Parameters<typeof imports.upload>[0];
      if (type === 'text/csv' || type === 'application/csv') file = { format: 'csv', text: typeof req.body === 'string' ? req.body : '' };
      else if (type === 'application/json')
        file = { format: 'json', body: req.body, raw: (req as express.Request & { rawBody?: Buffer }).rawBody ?? Buffer.alloc(0) };
      else
        throw new ValidationError('Invalid import: 1 problem(s)', [
          { path: '(body)', message: 'must be text/csv (one row per order line) or application/json ({ orders: [...] })' },
        ]);
      const { view, created } = await imports.upload(file, req.actor ?? 'api');
      res.status(created ? 202 : 200).json(view);
    },
  );
  router.get('/imports/:id', requires('orders:read'), async (req, res) => {
    res.json(await imports.get(parseOrThrow(importIdSchema, req.params.id, 'import id', 'id')));
  });
  return router;
}
