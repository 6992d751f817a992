import { z } from 'zod';
import { MAIL_LANGUAGES } from '../domain/notification-templates';
import { MAX_MAIL_JOB_ATTEMPTS } from '../services/customer-mail';
import { MAX_WEBHOOK_JOB_ATTEMPTS } from '../services/outbound-webhooks';

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
  // Customer mail (worker/mailer.ts). SMTP_URL: smtp[s]://[user:pass@]host:port; unset outside production:
  // the local mail server `npm start` runs; unset in production: no mail is sent (the outbox waits).
  SMTP_URL: z
    .string()
    .regex(/^smtps?:\/\/\S+$/, 'must be smtp://[user:pass@]host:port or smtps://...')
    .optional(),
  MAIL_FROM: z.string().min(3).max(200).default('Orderhub <orders@orderhub.localhost>'),
  // The merchant's language: for customers whose own we have no template for (en, de).
  MAIL_DEFAULT_LANGUAGE: z.enum(MAIL_LANGUAGES).default('en'),
  MAIL_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(MAX_MAIL_JOB_ATTEMPTS).default(6),
  MAIL_RETRY_DELAY_MS: z.coerce.number().int().min(10).default(30_000), // doubled after every failure
  MAIL_SWEEP_MS: z.coerce.number().int().min(100).default(60_000),
  MAIL_LOCK_MS: z.coerce.number().int().min(500).default(30_000),
  // Outbound webhooks (worker/outbound-webhooks.ts): tries per delivery, and the first wait (doubled each time).
  WEBHOOK_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(MAX_WEBHOOK_JOB_ATTEMPTS).default(8),
  WEBHOOK_RETRY_DELAY_MS: z.coerce.number().int().min(10).default(10_000),
  WEBHOOK_SWEEP_MS: z.coerce.number().int().min(100).default(60_000), // asks again for what a lost request left undone
  // The local mail server's mailbox (set by the stack): GET /dev/mail shows it. Unset: that route answers 404.
  LOCAL_MAILBOX_URL: z.preprocess((v) => (v === '' ? undefined : v), z.url().optional()), // '': the stack's mail is someone else's
  // Back-pressure in each API process: requests worked on at once, and waiting for a place (then 503).
  API_MAX_IN_FLIGHT: z.coerce.number().int().positive().default(128),
  API_MAX_QUEUED: z.coerce.number().int().min(0).default(1024),
  // Worker tuning (see README, Performance).
  WORKER_MAX_CONCURRENT_ACTIVITIES: z.coerce.number().int().positive().default(100),
  WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: z.coerce.number().int().positive().default(40),
  WORKER_MAX_CACHED_WORKFLOWS: z.coerce.number().int().positive().default(2000),
});

export type Config = z.infer<typeof schema> & { apiKey: string; encryptionKey: string; smtpUrl: string | undefined };

export const LOCAL_SMTP_URL = 'smtp://127.0.0.1:2526'; // scripts/stack.ts DEFAULT_PORTS.mail

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
  const smtpUrl = cfg.SMTP_URL ?? (cfg.NODE_ENV === 'production' ? undefined : LOCAL_SMTP_URL);
  return { ...cfg, apiKey: cfg.ORDERHUB_API_KEY ?? DEV_API_KEY, encryptionKey, smtpUrl };
}
