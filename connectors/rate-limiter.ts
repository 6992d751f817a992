import type { Redis } from 'ioredis';

export interface RateLimit {
  ratePerSecond: number; // sustained rate (e.g. 0.0056 for Amazon searchOrders)
  burst: number; // bucket size
}

// A token bucket in Redis, shared by every worker process: the limit is per connection, not per process.
// The script refills by elapsed time, takes the tokens asked for (one a call, or a GraphQL query's cost)
// when it can, and otherwise says how long to wait.
// A "paused until" key set after a 429 makes every process wait out the channel's Retry-After.
const TAKE = `
local bucket = KEYS[1]
local pause = KEYS[2]
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local cost = math.min(tonumber(ARGV[4]), burst)
local pausedUntil = tonumber(redis.call('GET', pause) or '0')
if pausedUntil > now then return pausedUntil - now end
local state = redis.call('HMGET', bucket, 'tokens', 'at')
local tokens = tonumber(state[1]) or burst
local at = tonumber(state[2]) or now
tokens = math.min(burst, tokens + (now - at) * rate / 1000)
local wait = 0
if tokens >= cost then tokens = tokens - cost else wait = math.ceil((cost - tokens) * 1000 / rate) end
redis.call('HSET', bucket, 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', bucket, math.ceil(burst * 1000 / rate) + 60000)
return wait
`;

// The vendor said how much is left in its own bucket (which also counts calls from anything else using the
// same credentials): ours follows it.
const OBSERVE = `
local burst = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
redis.call('HSET', KEYS[1], 'tokens', tostring(math.max(0, math.min(burst, tonumber(ARGV[3])))), 'at', ARGV[4])
redis.call('PEXPIRE', KEYS[1], math.ceil(burst * 1000 / rate) + 60000)
return 0
`;

export class RateLimiter {
  constructor(
    private readonly redis: Redis,
    private readonly prefix = 'orderhub:ratelimit',
  ) {}

  // Wait until the bucket for `key` gives a token (or `cost` tokens: never more than the bucket holds).
  async acquire(key: string, limit: RateLimit, opts: { maxWaitMs?: number; cost?: number } = {}): Promise<void> {
    const started = Date.now();
    for (;;) {
      const wait = Number(
        await this.redis.eval(
          TAKE,
          2,
          `${this.prefix}:${key}:bucket`,
          `${this.prefix}:${key}:pause`,
          limit.ratePerSecond,
          limit.burst,
          Date.now(),
          Math.max(0, opts.cost ?? 1),
        ),
      );
      if (wait <= 0) return;
      if (opts.maxWaitMs !== undefined && Date.now() - started + wait > opts.maxWaitMs) {
        throw new RateLimitWaitTooLong(key, wait);
      }
      await new Promise((r) => setTimeout(r, wait));
    }
  }

  // Set what is left in the bucket for `key` to what the vendor reported.
  async observe(key: string, limit: RateLimit, available: number): Promise<void> {
    await this.redis.eval(OBSERVE, 1, `${this.prefix}:${key}:bucket`, limit.burst, limit.ratePerSecond, available, Date.now());
  }

  // The channel said 429 with Retry-After: everyone waits that long.
  async pause(key: string, ms: number): Promise<void> {
    const until = Date.now() + ms;
    await this.redis.set(`${this.prefix}:${key}:pause`, String(until), 'PX', ms + 1000);
  }
}

export class RateLimitWaitTooLong extends Error {
  constructor(
    readonly key: string,
    readonly waitMs: number,
  ) {
    super(`Rate limit for ${key} needs a wait of ${waitMs} ms, longer than allowed`);
    this.name = new.target.name;
  }
}
