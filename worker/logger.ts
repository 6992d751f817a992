import type { Logger, LogLevel } from '../domain/logger';

// Structured logs: one JSON object per line on stdout. Callers pass ids, never secrets or personal data.
export type { Logger, LogLevel } from '../domain/logger';
export { silentLogger } from '../domain/logger';

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };
const SECRET_FIELD = /authorization|password|secret|token|api[_-]?key|credential/i;

export function createLogger(level: LogLevel = 'info', base: Record<string, unknown> = {}): Logger {
  const write =
    (lvl: LogLevel) =>
    (msg: string, fields: Record<string, unknown> = {}) => {
      if (ORDER[lvl] < ORDER[level]) return;
      const safe = Object.fromEntries(Object.entries({ ...base, ...fields }).map(([k, v]) => [k, SECRET_FIELD.test(k) ? '[redacted]' : v]));
      process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), level: lvl, msg, ...safe })}\n`);
    };
  return { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') };
}
