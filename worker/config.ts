import { z } from 'zod';

// Every setting Orderhub reads from the environment, validated in one place.
// Defaults run the local stack that `npm start` brings up.
const schema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  API_HOST: z.string().default('127.0.0.1'),
  TEMPORAL_ADDRESS: z.string().default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().default('default'),
  TEMPORAL_TASK_QUEUE: z.string().default('orderhub-orders'),
  TEMPORAL_UI_URL: z.string().default('http://127.0.0.1:8233'),
  MONGODB_URL: z.string().default('mongodb://127.0.0.1:27027/'),
  MONGODB_DB: z.string().default('orderhub'),
  // Operations one process has in the store at once (the driver's pool); more queue in the process.
  MONGODB_MAX_POOL_SIZE: z.coerce.number().int().min(1).max(1000).default(50),
  REDIS_URL: z.string().default('redis://127.0.0.1:6390'),
  // The first operator API key; stored hashed on start. Required in production.
  ORDERHUB_API_KEY: z.string().min(16).optional(),
  // 32 bytes, base64: encrypts connection credentials at rest. Required in production.
  ORDERHUB_ENCRYPTION_KEY: z.string().optional(),
  BULLMQ_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/)
    .default('orderhub'),
  // A bearer token that may read GET /metrics and nothing else (for Prometheus); unset: only keys with metrics:read.
  METRICS_TOKEN: z
    .string()
    .regex(/^[\x21-\x7e]{16,200}$/, 'must be 16 to 200 printable characters')
    .optional(),
  // host:port where the worker's Temporal runtime serves its Prometheus metrics; unset: not served.
  TEMPORAL_METRICS_ADDRESS: z
    .string()
    .regex(/^[^\s:]+:\d{1,5}$/, 'must be host:port')
    .optional(),
  // host:port where the worker serves its own metrics (connector calls, stock-push lag); unset: not served.
  WORKER_METRICS_ADDRESS: z
    .string()
    .regex(/^[^\s:]+:\d{1,5}$/, 'must be host:port')
    .optional(),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  // Back-pressure in each API process: requests worked on at once, and waiting for a place (then 503).
  API_MAX_IN_FLIGHT: z.coerce.number().int().positive().default(128),
  API_MAX_QUEUED: z.coerce.number().int().min(0).default(1024),
  // Worker tuning (see README, Performance).
  WORKER_MAX_CONCURRENT_ACTIVITIES: z.coerce.number().int().positive().default(100),
  WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: z.coerce.number().int().positive().default(40),
  WORKER_MAX_CACHED_WORKFLOWS: z.coerce.number().int().positive().default(2000),
});

export type Config = z.infer<typeof schema> & { apiKey: string; encryptionKey: string };

export const DEV_API_KEY = 'orderhub-dev-key-change-me';
// Development only: a fixed key so a local stack can be restarted and still read its credentials.
export const DEV_ENCRYPTION_KEY = Buffer.from('orderhub-development-only-key-32').toString('base64');

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`Invalid configuration: ${problems}`);
  }
  const cfg = parsed.data;
  if (cfg.NODE_ENV === 'production' && !cfg.ORDERHUB_API_KEY) {
    throw new Error('Invalid configuration: ORDERHUB_API_KEY must be set in production (at least 16 characters)');
  }
  if (cfg.NODE_ENV === 'production' && !cfg.ORDERHUB_ENCRYPTION_KEY) {
    throw new Error(
      'Invalid configuration: ORDERHUB_ENCRYPTION_KEY must be set in production (32 bytes, base64: `openssl rand -base64 32`)',
    );
  }
  const encryptionKey = cfg.ORDERHUB_ENCRYPTION_KEY ?? DEV_ENCRYPTION_KEY;
  if (Buffer.from(encryptionKey, 'base64').length !== 32)
    throw new Error('Invalid configuration: ORDERHUB_ENCRYPTION_KEY must be 32 bytes, base64-encoded');
  return { ...cfg, apiKey: cfg.ORDERHUB_API_KEY ?? DEV_API_KEY, encryptionKey };
}
