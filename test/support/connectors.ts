import { Redis } from 'ioredis';
import { createConnectorContext } from '../../connectors/context';
import type { ConnectorContext } from '../../connectors/types';
import { silentLogger } from '../../domain/logger';
import { stackEnv, uniqueId } from './stack';

// A real connector context over the test stack's Redis: real rate limiting, real token cache.
// Each call gets a fresh connection id, so limits and caches never leak between tests.
export function testConnectorContext(channel = 'test-channel'): { ctx: ConnectorContext; redis: Redis; close(): void } {
  const redis = new Redis(stackEnv().REDIS_URL, { maxRetriesPerRequest: 1 });
  const ctx = createConnectorContext({ connectionId: uniqueId('conn'), channel, redis, log: silentLogger });
  return { ctx, redis, close: () => redis.disconnect() };
}
