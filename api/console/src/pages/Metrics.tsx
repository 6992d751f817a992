import type { FormEvent } from 'react';
import { useSearchParams } from 'react-router-dom';
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart as ChartJS,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
} from 'chart.js';
import { Bar, Chart } from 'react-chartjs-2';
import { query } from '../api';
import { ErrorText, money, Section, useResource } from '../ui';

// Seed 003's order metrics over a period and channel (GET /metrics/orders): each with its value, its
// formula and the inputs that went in, or why it is unavailable; orders and average order value per day,
// and how long orders took (cycle time distribution), as charts (chart.js through react-chartjs-2).

// The controllers too: the daily chart mixes bars and a line in one chart.
ChartJS.register(BarController, LineController, CategoryScale, LinearScale, BarElement, LineElement, PointElement, Tooltip, Legend);

interface Breakdown {
  key: string;
  value: number | null;
  inputs: Record<string, number>;
}
export interface Metric {
  name: string;
  label: string;
  value: number | null;
  unit: string;
  formula: string;
  inputs: Record<string, number | string | null>;
  unavailable?: string;
  note?: string;
  breakdown?: Breakdown[];
  distribution?: { bucket: string; count: number }[];
}
interface MetricsAnswer {
  period: { from: string; to: string };
  channel: string | null;
  ordersReceived: number;
  metrics: Metric[];
  daily: { day: string; orders: number; revenue: Record<string, number> }[];
}

const DAY = 86_400_000;
const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);
// Charts size to their box (the console's stylesheet is shared: the box is sized here).
const CHART_BOX = { position: 'relative' as const, height: 260 };
const NO_ANIMATION = { animation: false as const, responsive: true, maintainAspectRatio: false };

/** A metric's value as a person reads it: a percentage, money, hours or a plain number. */
export function shown(value: number | null, unit: string): string {
  if (value === null) return '—';
  if (unit === 'ratio') return `${(value * 100).toFixed(2)} %`;
  const currency = /^minor units of ([A-Z]{3})$/.exec(unit)?.[1];
  if (currency) return money(value, currency);
  if (unit.startsWith('hours')) return `${value} h`;
  return `${value} ${unit}`;
}

function MetricCard({ m }: { m: Metric }) {
  return (
    <article className="card metric" data-metric={m.name}>
      <h3>{m.label}</h3>
      <p className="metric-value" data-value={m.value === null ? 'null' : String(m.value)}>
        {shown(m.value, m.unit)}
      </p>
      {m.unavailable && <p className="notice metric-unavailable">Unavailable: {m.unavailable}</p>}
      <p className="small">
        Formula: <code className="metric-formula">{m.formula}</code>
      </p>
      {Object.keys(m.inputs).length > 0 && (
        <dl className="metric-inputs small">
          {Object.entries(m.inputs).map(([k, v]) => (
            <div key={k} data-input={k}>
              <dt>{k}</dt>
              <dd>{v === null ? '—' : String(v)}</dd>
            </div>
          ))}
        </dl>
      )}
      {m.note && <p className="small muted metric-note">{m.note}</p>}
      {m.breakdown && m.breakdown.length > 0 && (
        <table className="metric-breakdown small">
          <tbody>
            {m.breakdown.map((b) => (
              <tr key={b.key} data-key={b.key}>
                <th>{b.key}</th>
                <td className="num">{b.value === null ? '—' : String(b.value)}</td>
                <td>
                  {Object.entries(b.inputs)
                    .map(([k, v]) => `${k} ${v}`)
                    .join(', ')}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </article>
  );
}

function DailyChart({ data }: { data: MetricsAnswer }) {
  const currencies = [...new Set(data.daily.flatMap((d) => Object.keys(d.revenue)))].sort();
  const currency = currencies[0];
  return (
    <div className="chart" style={CHART_BOX} role="img" aria-label="Orders and average order value per day">
      <Chart
        type="bar"
        options={{
          ...NO_ANIMATION,
          scales: { orders: { position: 'left', beginAtZero: true }, aov: { position: 'right', beginAtZero: true } },
        }}
        data={{
          labels: data.daily.map((d) => d.day),
          datasets: [
            { type: 'bar' as const, label: 'Orders', data: data.daily.map((d) => d.orders), yAxisID: 'orders', backgroundColor: '#1f5fbf' },
            ...(currency
              ? [
                  {
                    type: 'line' as const,
                    label: `Average order value (${currency})`,
                    data: data.daily.map((d) => (d.orders ? (d.revenue[currency] ?? 0) / d.orders / 100 : 0)),
                    yAxisID: 'aov',
                    borderColor: '#1e7a34',
                    backgroundColor: '#1e7a34',
                  },
                ]
              : []),
          ],
        }}
      />
    </div>
  );
}

function CycleChart({ metrics }: { metrics: Metric[] }) {
  const internal = metrics.find((m) => m.name === 'order_cycle_time_internal');
  const full = metrics.find((m) => m.name === 'order_cycle_time_full');
  const buckets = internal?.distribution?.map((d) => d.bucket) ?? [];
  return (
    <div className="chart" style={CHART_BOX} role="img" aria-label="Cycle time distribution">
      <Bar
        options={{ ...NO_ANIMATION, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } }}
        data={{
          labels: buckets,
          datasets: [
            { label: 'Released to shipped', data: internal?.distribution?.map((d) => d.count) ?? [], backgroundColor: '#1f5fbf' },
            { label: 'Placed to delivered', data: full?.distribution?.map((d) => d.count) ?? [], backgroundColor: '#8a5a00' },
          ],
        }}
      />
    </div>
  );
}

export function Metrics() {
  const [params, setParams] = useSearchParams();
  const today = isoDay(Date.now());
  const from = params.get('from') ?? isoDay(Date.now() - 29 * DAY);
  const to = params.get('to') ?? today;
  const channel = params.get('channel') ?? '';
  const { data, error, loading } = useResource<MetricsAnswer>(`/metrics/orders${query({ from, to, channel })}`);

  function apply(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    const next = new URLSearchParams();
    for (const f of ['from', 'to', 'channel']) {
      const v = String(form.get(f) ?? '').trim();
      if (v) next.set(f, v);
    }
    setParams(next);
  }

  return (
    <div>
      <h1>Metrics</h1>
      <form className="filters card" onSubmit={apply} aria-label="Period" key={params.toString()}>
        <label>
          From
          <input name="from" type="date" defaultValue={from} />
        </label>
        <label>
          To
          <input name="to" type="date" defaultValue={to} />
        </label>
        <label>
          Channel
          <input name="channel" placeholder="all channels" defaultValue={channel} />
        </label>
        <button type="submit">Show</button>
      </form>
      <ErrorText error={error} />
      {loading && !data && <p className="loading">Loading…</p>}
      {data && (
        <>
          <p className="small" data-testid="metrics-summary">
            {data.ordersReceived} orders received from {data.period.from.slice(0, 10)} to {isoDay(Date.parse(data.period.to) - 1)} (UTC),{' '}
            {data.channel ? `channel ${data.channel}` : 'all channels'}
          </p>
          <div className="grid">
            <Section title="Orders and average order value per day">
              <DailyChart data={data} />
            </Section>
            <Section title="Cycle time distribution">
              <CycleChart metrics={data.metrics} />
            </Section>
          </div>
          <div className="grid metrics">
            {data.metrics.map((m) => (
              <MetricCard key={m.name} m={m} />
            ))}
          </div>
        </>
      )}
    </div>
  );
}
