import type { Redis } from 'ioredis';
import type { Logger } from '../domain/logger';
import { createHttpClient } from './http';
import { RateLimiter } from './rate-limiter';
import type { ConnectorContext } from './types';

// The real context: HTTP clients share a Redis rate limiter, and the cache lives in Redis, so every
// worker process sees the same limits and the same cached tokens.
export function createConnectorContext(args: {
  connectionId: string;
  channel: string;
  redis: Redis;
  log: Logger;
  kind?: string; // the connector, for the call metrics
}): ConnectorContext {
  const limiter = new RateLimiter(args.redis);
  const cacheKey = (key: string) => `orderhub:connector:${args.connectionId}:${key}`;
  return {
    connectionId: args.connectionId,
    channel: args.channel,
    log: args.log,
    // A client per call: cheap, and its headers (a fresh token) are exactly the ones asked for. The limit
    // that matters lives in Redis, shared by all of them.
    http(opts) {
      return createHttpClient({ ...opts, connectionId: args.connectionId, connector: args.kind, limiter, log: args.log });
    },
    cache: {
      get: (key) => args.redis.get(cacheKey(key)),
      set: async (key, value, ttlMs) => {
        await args.redis.set(cacheKey(key), value, 'PX', Math.max(1, Math.floor(ttlMs)));
      },
    },
  };
}
