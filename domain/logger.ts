// Structured logs: one JSON object per line. Callers pass ids, never secrets or personal data.
// The shape every part logs through; worker/logger.ts writes it to stdout.
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type Logger = Record<LogLevel, (msg: string, fields?: Record<string, unknown>) => void>;

export const silentLogger: Logger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
