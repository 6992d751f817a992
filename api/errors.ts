import type { ErrorRequestHandler, RequestHandler } from 'express';
import { OrderhubError, ValidationError } from '../domain/errors';
import type { Logger } from '../worker/logger';

const STATUS: Record<string, number> = {
  validation_failed: 400,
  insufficient_stock: 409,
  unauthorized: 401,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  upstream_unavailable: 503,
  upstream_rejected: 502,
};

export const notFoundRoute: RequestHandler = (req, res) => {
  res.status(404).json({ error: { code: 'not_found', message: `No route ${req.method} ${req.path}` } });
};

// Every error leaves as { error: { code, message, details } }; unknown errors never leak internals.
export function errorHandler(log: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    void _next;
    if (err instanceof OrderhubError) {
      const details = err instanceof ValidationError ? err.problems : err.details;
      res.status(STATUS[err.code] ?? 400).json({ error: { code: err.code, message: err.message, ...(details !== undefined && { details }) } });
      return;
    }
    // body-parser failures: broken JSON, too large, wrong charset.
    const type = (err as { type?: string }).type;
    if (type === 'entity.parse.failed') {
      res.status(400).json({ error: { code: 'validation_failed', message: 'Request body is not valid JSON', details: [{ path: '(body)', message: 'is not valid JSON' }] } });
      return;
    }
    if (type === 'entity.too.large') {
      const limit = (err as { limit?: number }).limit; // JSON bodies 1 MB, webhook bodies 2 MB
      res.status(413).json({ error: { code: 'payload_too_large', message: `Request body is larger than the ${limit ? `${Math.round(limit / 2 ** 20)} MB` : 'size'} limit` } });
      return;
    }
    const status = (err as { status?: number }).status;
    if (status && status >= 400 && status < 500) {
      // body-parser answers 415 for a charset or Content-Encoding it cannot read.
      res.status(status).json({ error: { code: status === 415 ? 'unsupported_media_type' : 'validation_failed', message: String((err as Error).message) } });
      return;
    }
    log.error('unhandled error', { method: req.method, path: req.path, error: String((err as Error)?.stack ?? err) });
    res.status(500).json({ error: { code: 'internal', message: 'Internal error; see the API logs' } });
  };
}
