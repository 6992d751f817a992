import { pino, type DestinationStream, type Logger as Pino } from 'pino';
import type { Logger as TemporalLogger, LogLevel as TemporalLogLevel, LogMetadata } from '@temporalio/common';
import type { Logger, LogLevel } from '../domain/logger';

// Structured logs: one JSON object per line on stdout, written by pino. Callers pass ids, never secrets or
// personal data; what slips through under a known secret's name is redacted below anyway.
export type { Logger, LogLevel } from '../domain/logger';
export { silentLogger } from '../domain/logger';

// Field names that hold secrets, redacted at the top of a log line's fields and one level down (pino's
// paths do not match at any depth): `{ password }`, `{ connection: { apiKey } }`, `{ headers: { cookie } }`.
const SECRET_KEYS = [
  'authorization',
  'cookie',
  'set-cookie',
  'password',
  'pass',
  'secret',
  'token',
  'accessToken',
  'refreshToken',
  'sessionToken',
  'apiKey',
  'api_key',
  'x-api-key',
  'clientSecret',
  'webhookSecret',
  'signingSecret',
  'credentials',
  'encryptionKey',
  'smtpPassword',
  'taskToken', // Temporal's, on every activity line: it completes the activity from outside
];
const prop = (key: string) => (/^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `["${key}"]`);
export const REDACTED_PATHS = [
  ...SECRET_KEYS.flatMap((key) => [prop(key).replace(/^\./, ''), `*${prop(key)}`]),
  // Request and response objects handed to a log line: their headers, whatever they are under.
  ...['authorization', 'cookie', 'set-cookie', 'x-api-key'].flatMap((h) => [`headers${prop(h)}`, `*.headers${prop(h)}`]),
];

// The pino instance under each logger createLogger made: createApp hands it to pino-http, the worker to Temporal.
const pinoByLogger = new WeakMap<Logger, Pino>();

/**
 * The process's logger: pino at `level` (LOG_LEVEL), with `base` on every line (`{ process: 'api' }`).
 * Lines read `{"level":"info","time":"<ISO>","process":"api","msg":"...",...fields}`. Tests pass a
 * `destination` to read what was written.
 */
export function createLogger(level: LogLevel = 'info', base: Record<string, unknown> = {}, destination?: DestinationStream): Logger {
  const instance = pino(
    {
      level,
      base,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      // Errors handed over as objects (Temporal's meta, `{ err }`) become their type, message and stack.
      serializers: { err: pino.stdSerializers.err, error: pino.stdSerializers.err },
    },
    destination ?? pino.destination({ dest: 1, sync: true }),
  );
  return fromPino(instance);
}

/** Our `Logger` shape over a pino instance (ours take the message first, pino the fields first). */
export function fromPino(instance: Pino): Logger {
  const write =
    (level: LogLevel) =>
    (msg: string, fields?: Record<string, unknown>): void =>
      fields ? instance[level](fields, msg) : instance[level](msg);
  const log: Logger = { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') };
  pinoByLogger.set(log, instance);
  return log;
}

/** The pino instance under a logger from createLogger; for any other (silentLogger, a test's) a disabled one. */
export function pinoOf(log: Logger): Pino {
  return pinoByLogger.get(log) ?? pino({ enabled: false });
}

const TEMPORAL_LEVELS: Record<TemporalLogLevel, 'trace' | LogLevel> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
};

/**
 * Temporal's Logger interface over the process's logger, for `Runtime.install({ logger })`: the SDK's own
 * lines, activity and workflow context logs (`log` from @temporalio/workflow, through the SDK's sink) and
 * the core's forwarded ones come out as the same JSON lines, with the SDK's fields (sdkComponent,
 * workflowId, runId, taskQueue, activityType, ...).
 */
export function temporalLogger(log: Logger): TemporalLogger {
  const instance = pinoOf(log);
  const write = (level: TemporalLogLevel, message: string, meta?: LogMetadata): void => {
    const method = TEMPORAL_LEVELS[level] ?? 'info';
    // Symbol keys (the SDK's own timestamp) are not fields: pino drops them.
    if (meta) instance[method](meta, message);
    else instance[method](message);
  };
  return {
    log: write,
    trace: (message, meta) => write('TRACE', message, meta),
    debug: (message, meta) => write('DEBUG', message, meta),
    info: (message, meta) => write('INFO', message, meta),
    warn: (message, meta) => write('WARN', message, meta),
    error: (message, meta) => write('ERROR', message, meta),
  };
}
