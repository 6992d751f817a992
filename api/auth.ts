import type { Request, RequestHandler } from 'express';
import { hasPermission, inScope, type Permission, type Principal, type ScopeKind } from '../domain/access';
import { ForbiddenError, UnauthorizedError } from '../domain/errors';
import type { Logger } from '../domain/logger';
import type { ApiKeys } from '../store/api-keys';
import type { AuditLog } from '../store/audit';
import { isSessionToken, type Users } from '../store/users';

declare module 'express-serve-static-core' {
  interface Request {
    actor?: string; // as recorded on changes: a key's name, a user's email
    principal?: Principal;
  }
}

export const SESSION_COOKIE = 'orderhub_session';
// Cross-site request forgery: writes authenticated by the cookie need this header, which a page on another
// site cannot send without a CORS preflight the API never grants (besides the cookie's SameSite=Strict), or
// the browser's own `Sec-Fetch-Site: same-origin`, which no page can set (bull-board's buttons send only that).
export const CSRF_HEADER = 'X-Requested-With';
export const CSRF_VALUE = 'orderhub-console';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The bearer token of a request: the Authorization header, or the console's session cookie. */
export function tokenOf(req: Request): string | undefined {
  const header = req.get('authorization');
  if (header !== undefined) return /^Bearer ([\x21-\x7e]{1,200})$/.exec(header)?.[1];
  const cookie = (req.get('cookie') ?? '').split(/;\s*/).find((c) => c.startsWith(`${SESSION_COOKIE}=`));
  const value = cookie?.slice(SESSION_COOKIE.length + 1);
  return value && /^ohs_[\x21-\x7e]{1,200}$/.test(value) ? value : undefined;
}

// API keys (checked against their stored hashes, remembered briefly by store/api-keys.ts) and console
// sessions (`ohs_` tokens). Sets req.principal; what it may do is each route's `requires`.
export function authenticate(apiKeys: ApiKeys, users: Users): RequestHandler {
  return async (req, _res, next) => {
    try {
      const token = tokenOf(req);
      if (!token) throw new UnauthorizedError();
      const sameOrigin = req.get(CSRF_HEADER) === CSRF_VALUE || req.get('sec-fetch-site') === 'same-origin';
      if (req.get('authorization') === undefined && !SAFE_METHODS.has(req.method) && !sameOrigin) {
        // A cookie is sent by the browser on any site's form; this header only by the console's own script.
        throw new ForbiddenError(`A write signed in by cookie must carry the header ${CSRF_HEADER}: ${CSRF_VALUE}`, {
          header: CSRF_HEADER,
        });
      }
      const principal = isSessionToken(token) ? await users.verifySession(token) : await apiKeys.verify(token);
      if (!principal)
        throw new UnauthorizedError(isSessionToken(token) ? 'The session has ended: sign in again' : 'The API key is not valid');
      req.principal = principal;
      req.actor = principal.kind === 'user' ? principal.id : principal.name; // a user by email: names repeat
      next();
    } catch (err) {
      next(err);
    }
  };
}

// Where a request acts: an id, several (it acts at any of them: an order fulfilled at two locations), or
// undefined when the request does not say (its handler then answers 400 or 404). Called only for a
// principal scoped to that kind.
type ScopeOf = (req: Request) => unknown;

// What a route declares: the structure test reads these markers from the app's route stack.
export interface Declared {
  permission?: Permission;
  access?: 'public' | 'authenticated';
}
export const DECLARED = Symbol('access');

const who = (p: Principal) => `${p.kind === 'key' ? 'API key' : 'user'} ${p.name} (role ${p.role})`;

/**
 * The permission a route needs, and optionally where it acts: a location or connection read from the
 * request, which a scoped principal must hold. 403 names what is missing; the handler never runs.
 * A scope value that is not a string is left to the handler's validation (400).
 */
export function requires(permission: Permission, scope?: { location?: ScopeOf; connection?: ScopeOf }): RequestHandler {
  const handler: RequestHandler = async (req, res, next) => {
    try {
      const p = req.principal;
      if (!p) throw new UnauthorizedError();
      res.locals.auditTargets = { ...req.params };
      if (!hasPermission(p.role, permission)) throw new ForbiddenError(`The ${who(p)} lacks the permission ${permission}`, { permission });
      for (const kind of ['location', 'connection'] as ScopeKind[]) {
        const of = scope?.[kind];
        if (!of || (kind === 'location' ? !p.locations : !p.connections)) continue;
        const at = await of(req);
        const ids = typeof at === 'string' ? [at] : Array.isArray(at) ? at.map(String) : undefined;
        if (ids && !ids.some((id) => inScope(p, kind, id))) {
          const id = ids.join(', ') || 'none';
          throw new ForbiddenError(`The ${who(p)} is not scoped to ${kind} ${id}`, { permission, scope: kind, id });
        }
      }
      next();
    } catch (err) {
      next(err);
    }
  };
  return Object.assign(handler, { [DECLARED]: { permission } satisfies Declared });
}

/** A route anyone may call (health, docs, login): declared, so the structure test knows it is meant. */
export function publicRoute(): RequestHandler {
  return Object.assign<RequestHandler, Record<symbol, Declared>>((_req, _res, next) => next(), { [DECLARED]: { access: 'public' } });
}

/** A route any signed-in principal may call for itself (logout). */
export function authenticated(): RequestHandler {
  return Object.assign<RequestHandler, Record<symbol, Declared>>(
    (req, res, next) => {
      if (!req.principal) return next(new UnauthorizedError());
      res.locals.auditTargets = { ...req.params };
      next();
    },
    { [DECLARED]: { access: 'authenticated' } },
  );
}

const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

// Every write that succeeded (2xx) is recorded with who made it; bodies are never recorded (they may hold
// passwords, keys or credentials). Written after the answer: a failed audit write is logged, not answered.
export function auditWrites(audit: AuditLog, log: Logger): RequestHandler {
  return (req, res, next) => {
    if (!WRITES.has(req.method)) return next();
    res.on('finish', () => {
      if (res.statusCode < 200 || res.statusCode > 299) return;
      const p = req.principal;
      const targets = res.locals.auditTargets as Record<string, string> | undefined;
      audit
        .record({
          at: new Date(),
          actor: p ? { kind: p.kind, id: p.id, name: p.name } : { kind: 'anonymous', id: 'anonymous', name: 'anonymous' },
          ...(p && { role: p.role }),
          method: req.method,
          path: req.originalUrl.split('?')[0],
          ...(targets && Object.keys(targets).length > 0 && { targets }),
          status: res.statusCode,
        })
        .catch((err: Error) => log.warn('audit entry not written', { method: req.method, path: req.path, error: err.message }));
    });
    next();
  };
}
