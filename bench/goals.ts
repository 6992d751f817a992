import { fmt, type Metric } from './stats';

// The performance goals of issue 9, read off the metrics of one run. Reported beside the table, not
// failures: a smoke run is too short to judge them, and a busy machine moves them.

export interface GoalCheck {
  goal: string;
  measured: string;
  met?: boolean; // undefined when the run has no such metric
}

const find = (metrics: Metric[], figure: string, name: RegExp) => metrics.find((m) => m.figure.startsWith(figure) && name.test(m.name));

export function checkGoals(metrics: Metric[]): GoalCheck[] {
  const checks: GoalCheck[] = [];
  const check = (goal: string, m: Metric | undefined, test: (m: Metric) => boolean, show: (m: Metric) => string) =>
    checks.push(m ? { goal, measured: show(m), met: test(m) } : { goal, measured: 'not measured' });
  const ratio = (m: Metric) => m.ratio ?? Number.NaN;

  const byId = find(metrics, '7', /^GET \/orders\/:id p99/);
  check(
    'GET /orders/:id p99 under 50 ms with the history stored',
    byId,
    (m) => m.value.median < 50,
    (m) => `${fmt(m.value.median)} ms`,
  );
  check(
    'GET /orders/:id p99 at most 1.3x the empty store',
    byId,
    (m) => ratio(m) <= 1.3,
    (m) => `${fmt(ratio(m))}x (empty ${fmt(m.baseline?.median ?? Number.NaN)} ms)`,
  );
  check(
    'orders released at least 0.9x the empty store',
    find(metrics, '7', /^orders released/),
    (m) => ratio(m) >= 0.9,
    (m) => `${fmt(m.value.median)}/s, ${fmt(ratio(m))}x`,
  );
  check(
    'GET /orders p99 (first page by status and channel) under 100 ms',
    find(metrics, '7', /^GET \/orders p99, first page by status/),
    (m) => m.value.median < 100,
    (m) => `${fmt(m.value.median)} ms`,
  );
  check(
    'bursts: needs_attention 0',
    find(metrics, '8', /needs_attention/),
    (m) => m.value.max === 0,
    (m) => fmt(m.value.max),
  );
  check(
    'bursts: oversell 0',
    find(metrics, '8', /^oversell/),
    (m) => m.value.max === 0,
    (m) => fmt(m.value.max),
  );
  check(
    'bursts: third burst settle at most 1.2x the first',
    find(metrics, '8', /^third burst settle/),
    (m) => ratio(m) <= 1.2,
    (m) => `${fmt(m.value.median)} s, ${fmt(ratio(m))}x`,
  );
  check(
    'orders released /s at least 0.6x the no-op workflow floor',
    find(metrics, '2', /^orders released/),
    (m) => ratio(m) >= 0.6,
    (m) => `${fmt(m.value.median)}/s, ${fmt(ratio(m))}x`,
  );
  check(
    'hot sku at least 0.8x the distinct-sku order rate',
    find(metrics, '5', /^orders settled/),
    (m) => ratio(m) >= 0.8,
    (m) => `${fmt(m.value.median)}/s, ${fmt(ratio(m))}x`,
  );
  return checks;
}
