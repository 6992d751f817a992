// Numbers for the bench: percentiles of one run, and median/min/max over several runs.

/** Nearest-rank percentile (p in 0..100) of unsorted samples; NaN when there are none. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

export interface Spread {
  median: number;
  min: number;
  max: number;
  runs: number[];
}

export function spread(runs: readonly number[]): Spread {
  const finite = runs.filter((r) => Number.isFinite(r));
  return { median: percentile(finite, 50), min: Math.min(...finite), max: Math.max(...finite), runs: [...runs] };
}

/** One line of the table: a figure measured several times, next to its baseline from the same run. */
export interface Metric {
  figure: string;
  name: string;
  unit: string;
  /** Whether more is better (throughput) or less is better (latency, memory); says how to read the ratio. */
  better: 'higher' | 'lower';
  value: Spread;
  baseline?: Spread & { name: string };
  /** value.median / baseline.median */
  ratio?: number;
  note?: string;
}

export function metric(
  m: Omit<Metric, 'value' | 'baseline' | 'ratio'> & { runs: number[]; baseline?: { name: string; runs: number[] } },
): Metric {
  const value = spread(m.runs);
  const baseline = m.baseline ? { name: m.baseline.name, ...spread(m.baseline.runs) } : undefined;
  const ratio = baseline && baseline.median !== 0 ? value.median / baseline.median : undefined;
  const { runs: _runs, baseline: _b, ...rest } = m;
  void _runs;
  void _b;
  return { ...rest, value, ...(baseline && { baseline }), ...(ratio !== undefined && Number.isFinite(ratio) && { ratio }) };
}

// ---- Formatting ---------------------------------------------------------------------------------------

export function fmt(n: number): string {
  if (!Number.isFinite(n)) return '–';
  const abs = Math.abs(n);
  if (abs >= 1000) return Math.round(n).toLocaleString('en-US');
  if (abs >= 100) return n.toFixed(0);
  if (abs >= 10) return n.toFixed(1);
  return n.toFixed(2);
}

const range = (s: Spread) => (s.runs.length > 1 ? `${fmt(s.min)}–${fmt(s.max)}` : '');

export function tableRows(metrics: readonly Metric[]): string[][] {
  return metrics.map((m) => [
    m.figure,
    `${m.name} (${m.unit})`,
    fmt(m.value.median),
    range(m.value),
    m.baseline ? `${fmt(m.baseline.median)}${m.baseline.runs.length > 1 ? ` (${range(m.baseline)})` : ''}` : '',
    m.baseline ? m.baseline.name : '',
    m.ratio !== undefined ? `${m.ratio.toFixed(2)}×` : '',
  ]);
}

const HEADER = ['figure', 'metric', 'median', 'min–max', 'baseline median (min–max)', 'baseline', 'ratio'];

/** A plain-text table for the terminal. */
export function textTable(metrics: readonly Metric[]): string {
  const rows = [HEADER, ...tableRows(metrics)];
  const widths = HEADER.map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const line = (r: string[]) =>
    r
      .map((c, i) => (i >= 2 && i <= 4 ? c.padStart(widths[i]) : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(rows[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n');
}

/** The same table as Markdown, for bench/README.md. */
export function markdownTable(metrics: readonly Metric[]): string {
  const rows = tableRows(metrics);
  const align = HEADER.map((_, i) => (i >= 2 && i <= 4 ? '---:' : i === 6 ? '---:' : '---'));
  return [HEADER, align, ...rows].map((r) => `| ${r.map((c) => c.replace(/\|/g, '\\|')).join(' | ')} |`).join('\n');
}
