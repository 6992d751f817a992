import { createLogger, type LogLevel } from '../../worker/logger';

export type LogLine = Record<string, unknown> & { level: string; msg: string; time: string };

// The process's real logger (pino, as createLogger builds it) writing into memory instead of stdout.
export function captureLogs(level: LogLevel = 'debug', base: Record<string, unknown> = {}) {
  let text = '';
  const log = createLogger(level, base, { write: (chunk: string) => void (text += chunk) });
  return {
    log,
    /** Everything written, as written. */
    text: () => text,
    /** Every line, parsed: a line that is not one JSON object fails the test here. */
    lines: (): LogLine[] =>
      text
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as LogLine),
  };
}

// The JSON lines in a process's output (its stdout), and any line that is not one.
export function parseLogLines(output: string): { lines: LogLine[]; other: string[] } {
  const lines: LogLine[] = [];
  const other: string[] = [];
  for (const line of output.split('\n').filter((l) => l.trim())) {
    try {
      lines.push(JSON.parse(line) as LogLine);
    } catch {
      other.push(line);
    }
  }
  return { lines, other };
}
