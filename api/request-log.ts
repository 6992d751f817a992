import { createHash, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Request, RequestHandler } from 'express';
import { pinoHttp } from 'pino-http';
import type { Logger } from '../domain/logger';
import { pinoOf } from '../worker/logger';

export const REQUEST_ID_HEADER = 'X-Request-Id';
// An incoming id is kept when a proxy or caller could have made it: letters, digits and `._:-`, up to 128.
// Anything else (control characters, spaces, a kilobyte of text) would forge or flood log lines: replaced.
const SANE_REQUEST_ID = /^[\w.:-]{1,128}$/;

/** The request's id as the API answers it (X-Request-Id), once the request log has named it. */
export function requestIdOf(req: IncomingMessage): string | undefined {
  return typeof req.id === 'string' ? req.id : undefined;
}

// Health checks and Prometheus scrapes come every few seconds: logged at debug, unless they fail.
const quiet = (req: Request) => req.method === 'GET' && /^\/(health|metrics)(\?|$)/.test(req.originalUrl);

// Who made the request, never with what: an API key by its id, a user by a hash of the email (personal data).
function actorOf(req: Request): string | undefined {
  const p = req.principal;
  if (!p) return undefined;
  if (p.kind === 'key') return `key:${p.id}`;
  return `user:${createHash('sha256').update(p.id).digest('hex').slice(0, 12)}`;
}

// The path without its query (search terms, cursors), and with an email in a segment left out.
const pathOf = (req: Request) =>
  req.originalUrl
    .split('?')[0]
    .split('/')
    .map((segment) => (segment.includes('@') || segment.toLowerCase().includes('%40') ? ':email' : segment))
    .join('/');

/**
 * One log line per request, when its answer is sent: its id (also answered in X-Request-Id and in error
 * bodies), method, path, route pattern, status, duration and the actor. Never headers, query or body:
 * that is where keys, cookies and passwords travel.
 */
export function requestLog(log: Logger): RequestHandler {
  const middleware = pinoHttp<IncomingMessage, ServerResponse>({
    logger: pinoOf(log),
    customAttributeKeys: { reqId: 'requestId' },
    quietReqLogger: true,
    quietResLogger: true,
    genReqId(req, res) {
      const incoming = req.headers['x-request-id'];
      const id = typeof incoming === 'string' && SANE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
      res.setHeader(REQUEST_ID_HEADER, id);
      return id;
    },
    customLogLevel(req, res, err) {
      if (err || res.statusCode >= 500) return 'error';
      return quiet(req as Request) ? 'debug' : 'info';
    },
    customSuccessObject: (req, res, val: { responseTime: number }) => fieldsOf(req as Request, res, val.responseTime),
    customErrorObject: (req, res, _err, val: { responseTime: number }) => fieldsOf(req as Request, res, val.responseTime),
  });
  return middleware as unknown as RequestHandler;
}

function fieldsOf(req: Request, res: ServerResponse, durationMs: number) {
  const route = (req.route as { path?: unknown } | undefined)?.path;
  const actor = actorOf(req);
  return {
    method: req.method,
    path: pathOf(req),
    ...(typeof route === 'string' && { route }),
    status: res.statusCode,
    durationMs,
    ...(actor && { actor }),
  };
}
