import type { RequestHandler } from 'express';
import { UnauthorizedError } from '../domain/errors';
import type { ApiKeys } from '../store/api-keys';
import { hashApiKey } from '../store/api-keys';

declare module 'express-serve-static-core' {
  interface Request {
    actor?: string;
  }
}

const CACHE_MS = 30_000;

// Bearer API keys, checked against their stored hashes; a short cache spares MongoDB one read per request.
export function requireApiKey(apiKeys: ApiKeys): RequestHandler {
  const cache = new Map<string, { actor: string; until: number }>();
  return async (req, _res, next) => {
    try {
      const match = /^Bearer ([\x21-\x7e]{1,200})$/.exec(req.get('authorization') ?? '');
      if (!match) throw new UnauthorizedError();
      const hash = hashApiKey(match[1]);
      const hit = cache.get(hash);
      if (hit && hit.until > Date.now()) {
        req.actor = hit.actor;
        return next();
      }
      const actor = await apiKeys.verify(match[1]);
      if (!actor) throw new UnauthorizedError('The API key is not valid');
      if (cache.size > 10_000) cache.clear();
      cache.set(hash, { actor, until: Date.now() + CACHE_MS });
      req.actor = actor;
      next();
    } catch (err) {
      next(err);
    }
  };
}
