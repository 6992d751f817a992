import type { ErrorRequestHandler, RequestHandler, Response } from 'express';
import { MongoError, MongoServerError } from 'mongodb';
import { OrderhubError, UnavailableError, ValidationError } from '../domain/errors';
import type { Logger } from '../domain/logger';
import { requestIdOf } from './request-log';

const STATUS: Record<string, number> = {
  validation_failed: 400,
  insufficient_stock: 409,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  unavailable: 503,
  upstream_unavailable: 503,
  upstream_rejected: 502,
};

export interface ErrorBody {
  code: string;
  message: string;
  details?: unknown;
}

/** The JSON body of every error answer: `{ error: { code, message, details?, requestId } }`, the id as in X-Request-Id. */
export function errorBody(res: Response, body: ErrorBody): { error: ErrorBody & { requestId?: string } } {
  const requestId = requestIdOf(res.req);
  return { error: { ...body, ...(requestId && { requestId }) } };
}

export const notFoundRoute: RequestHandler = (req, res) => {
  res.status(404).json(errorBody(res, { code: 'not_found', message: `No route ${req.method} ${req.path}` }));
};

// MongoDB server errors that say "not now" rather than "never": timeouts, elections, shutdowns, and
// FerretDB's InternalError (1), which is what it answers when PostgreSQL is busy or away.
const TRANSIENT_SERVER_CODES = new Set([1, 6, 7, 50, 89, 91, 189, 262, 9001, 10107, 11600, 11602, 13435, 13436]);
// gRPC statuses of a Temporal server that is away or overloaded.
const TRANSIENT_GRPC_CODES = new Set([4 /* DEADLINE_EXCEEDED */, 8 /* RESOURCE_EXHAUSTED */, 14 /* UNAVAILABLE */]);

/**
 * Which of Orderhub's own services failed, when an error is one of theirs being away or overloaded (the
 * request changed nothing it did not finish, and may be sent again), or undefined for anything else.
 */
export function unavailableService(err: unknown): 'the store' | 'Temporal' | 'Redis' | undefined {
  if (err instanceof MongoServerError) {
    return TRANSIENT_SERVER_CODES.has(Number(err.code)) || err.hasErrorLabel('RetryableWriteError') ? 'the store' : undefined;
  }
  if (err instanceof MongoError) return 'the store'; // the driver's own: network, server selection, pool, timeouts
  const e = err as { name?: string; code?: unknown; cause?: unknown; message?: string };
  if (e?.name === 'ServiceError' || e?.name === 'ConnectionError' || e?.name === 'TransportError') {
    const code = (e.cause as { code?: unknown } | undefined)?.code ?? e.code;
    if (e.name !== 'ServiceError' || TRANSIENT_GRPC_CODES.has(Number(code))) return 'Temporal';
  }
  if (e?.name === 'MaxRetriesPerRequestError' || /^Connection is closed|^Stream isn't writeable/.test(e?.message ?? '')) return 'Redis';
  return undefined;
}

function sendError(res: Response, status: number, body: ErrorBody, retryAfterSeconds?: number): void {
  if (retryAfterSeconds !== undefined) res.set('Retry-After', String(retryAfterSeconds));
  res.status(status).json(errorBody(res, body));
}

// Every error leaves as { error: { code, message, details, requestId } }; unknown errors never leak internals.
export function errorHandler(log: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    void _next;
    if (err instanceof OrderhubError) {
      const details = err instanceof ValidationError ? err.problems : err.details;
      const status = STATUS[err.code] ?? 400;
      const retryAfter = err instanceof UnavailableError ? err.retryAfterSeconds : status === 503 || status === 429 ? 5 : undefined;
      sendError(res, status, { code: err.code, message: err.message, ...(details !== undefined && { details }) }, retryAfter);
      return;
    }
    // body-parser failures: broken JSON, too large, wrong charset.
    const type = (err as { type?: string }).type;
    if (type === 'entity.parse.failed') {
      sendError(res, 400, {
        code: 'validation_failed',
        message: 'Request body is not valid JSON',
        details: [{ path: '(body)', message: 'is not valid JSON' }],
      });
      return;
    }
    if (type === 'entity.too.large') {
      const limit = (err as { limit?: number }).limit; // JSON bodies 1 MB, webhook bodies 2 MB
      sendError(res, 413, {
        code: 'payload_too_large',
        message: `Request body is larger than the ${limit ? `${Math.round(limit / 2 ** 20)} MB` : 'size'} limit`,
      });
      return;
    }
    const status = (err as { status?: number }).status;
    if (status && status >= 400 && status < 500) {
      // body-parser answers 415 for a charset or Content-Encoding it cannot read.
      sendError(res, status, {
        code: status === 415 ? 'unsupported_media_type' : 'validation_failed',
        message: String((err as Error).message),
      });
      return;
    }
    const away = unavailableService(err);
    if (away) {
      log.warn('service unavailable for a request', {
        requestId: requestIdOf(req),
        method: req.method,
        path: req.path,
        service: away,
        error: String((err as Error)?.message ?? err),
      });
      sendError(
        res,
        503,
        { code: 'unavailable', message: `${away === 'the store' ? 'The store' : away} is not answering right now; send the request again` },
        2,
      );
      return;
    }
    log.error('unhandled error', {
      requestId: requestIdOf(req),
      method: req.method,
      path: req.path,
      error: String((err as Error)?.stack ?? err),
    });
    sendError(res, 500, { code: 'internal', message: 'Internal error; see the API logs' });
  };
}
