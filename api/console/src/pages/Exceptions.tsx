import { useEffect, useMemo, useState } from 'react';
import { Link } from 'react-router-dom';
import { api, query, seg } from '../api';
import { Results, retryAll, type CommandResult } from '../commands';
import type { OrderPage, OrderView } from '../orders';
import { useSession } from '../session';
import { ErrorText, Section, Status, useResource, when } from '../ui';

// What needs an operator, each with its fix: orders in needs_attention grouped by step and error (retry),
// late orders by stage, orders waiting for stock by sku (receive stock), dead-letter webhooks (replay),
// and each channel connection's orders poll, lag, last stock push and last error (test it, sync it now).

interface DeadLetter {
  id: string;
  connectionId: string;
  topic: string;
  receivedAt: string;
  deadReason?: string;
  outcome?: string;
  replays: number;
}
interface Connection {
  id: string;
  kind: string;
  name?: string;
  enabled: boolean;
  ordersCursor?: string; // orders changed up to this time are in Orderhub
  lastOrdersPoll?: { at: string; lastSuccessAt?: string; ok: boolean; captured?: number; error?: string };
}

function groupBy<T>(items: T[], key: (t: T) => string): [string, T[]][] {
  const groups = new Map<string, T[]>();
  for (const item of items) groups.set(key(item), [...(groups.get(key(item)) ?? []), item]);
  return [...groups].sort((a, b) => b[1].length - a[1].length);
}

// What to do about a parked order, from its error.
function fixFor(o: OrderView): string {
  const error = o.attention?.error ?? '';
  if (/unknown sku/i.test(error)) return 'Create the missing items (and their stock), then retry.';
  if (/credential|unauthori[sz]ed|forbidden|401|403/i.test(error)) return 'Fix the connection’s credentials, then retry.';
  return 'Fix the cause named in the error, then retry.';
}

export function Exceptions() {
  return (
    <div>
      <h1>Exceptions</h1>
      <NeedsAttention />
      <LateOrders />
      <WaitingForStock />
      <DeadLetters />
      <Channels />
    </div>
  );
}

function NeedsAttention() {
  const { can } = useSession();
  const { data, error, reload } = useResource<OrderPage>(`/orders${query({ status: 'needs_attention', limit: 200 })}`);
  const [results, setResults] = useState<CommandResult[]>([]);
  const [busy, setBusy] = useState(false);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const groups = useMemo(() => groupBy(data?.orders ?? [], (o) => `${o.attention?.step ?? '?'}\u0000${o.attention?.error ?? ''}`), [data]);
  // Only orders still listed count as selected (one retried elsewhere drops out on reload).
  const listed = useMemo(() => new Set((data?.orders ?? []).map((o) => o.orderId)), [data]);
  const chosen = [...selected].filter((id) => listed.has(id));
  const mayRetry = can('orders:retry');

  async function retry(ids: string[]) {
    setBusy(true);
    setResults(await retryAll(ids));
    setSelected((s) => new Set([...s].filter((id) => !ids.includes(id))));
    setBusy(false);
    reload();
  }
  const toggle = (ids: string[], on: boolean) =>
    setSelected((s) => {
      const next = new Set(s);
      for (const id of ids)
        if (on) next.add(id);
        else next.delete(id);
      return next;
    });

  return (
    <Section
      title={`Needs attention (${data?.orders.length ?? '…'})`}
      actions={
        mayRetry && (
          <button type="button" disabled={busy || chosen.length === 0} onClick={() => void retry(chosen)}>
            Retry selected ({chosen.length})
          </button>
        )
      }
    >
      <ErrorText error={error} />
      <Results results={results} />
      {data && groups.length === 0 && <p className="empty">No order needs attention.</p>}
      {groups.map(([key, orders]) => {
        const [step, err] = key.split('\u0000');
        const ids = orders.map((o) => o.orderId);
        const all = ids.every((id) => selected.has(id));
        return (
          <div className="group" key={key} data-testid="attention-group">
            <h3>
              {step}: <span className="error-text">{err}</span> ({orders.length})
            </h3>
            <p className="small">{fixFor(orders[0])}</p>
            {mayRetry && (
              <div className="actions">
                <label className="check">
                  <input type="checkbox" checked={all} onChange={(e) => toggle(ids, e.target.checked)} /> Select all in group
                </label>
                <button type="button" disabled={busy} onClick={() => void retry(ids)}>
                  Retry all {orders.length}
                </button>
              </div>
            )}
            <ul>
              {orders.map((o) => (
                <li key={o.orderId} data-order-id={o.orderId}>
                  {mayRetry && (
                    <input
                      type="checkbox"
                      aria-label={`Select ${o.channelOrderId}`}
                      checked={selected.has(o.orderId)}
                      onChange={(e) => toggle([o.orderId], e.target.checked)}
                    />
                  )}{' '}
                  <Link to={`/orders/${seg(o.orderId)}`}>{o.channelOrderId}</Link> <span className="muted">{o.channel}</span> since{' '}
                  {when(o.attention?.since)}{' '}
                  {mayRetry && (
                    <button type="button" className="link" disabled={busy} onClick={() => void retry([o.orderId])}>
                      Retry
                    </button>
                  )}
                </li>
              ))}
            </ul>
          </div>
        );
      })}
    </Section>
  );
}

// Late orders (GET /orders/late), grouped by the stage they are late for.
function LateOrders() {
  const { data, error } = useResource<OrderPage>('/orders/late?limit=200');
  const late = data?.orders;
  const byStage = groupBy(late ?? [], (o) => o.lateStages[o.lateStages.length - 1]?.stage ?? o.stage);
  return (
    <Section title={`Late orders (${late?.length ?? '…'})`}>
      <ErrorText error={error} />
      {late && late.length === 0 && <p className="empty">No order is late.</p>}
      {byStage.map(([stage, orders]) => (
        <div className="group" key={stage} data-testid="late-group">
          <h3>
            Late to be {stage.replace(/_/g, ' ')} ({orders.length})
          </h3>
          <p className="small">Fix: chase the location it is at, or hold the order and tell the customer.</p>
          <ul>
            {orders.map((o) => (
              <li key={o.orderId} data-order-id={o.orderId}>
                <Link to={`/orders/${seg(o.orderId)}`}>{o.channelOrderId}</Link> <Status status={o.status} />{' '}
                {o.allocation && <span className="small">at {o.allocation.locationId} </span>}
                <span className="small">due {when(o.lateStages[o.lateStages.length - 1]?.dueAt)}</span>
              </li>
            ))}
          </ul>
        </div>
      ))}
    </Section>
  );
}

function WaitingForStock() {
  const { data, error } = useResource<OrderPage>(`/orders${query({ status: 'awaiting_stock', limit: 200 })}`);
  const bySku = groupBy(data?.orders ?? [], (o) => o.awaitingStock?.shortfall?.sku ?? o.order.lines.map((l) => l.sku).join(', '));
  return (
    <Section title={`Waiting for stock (${data?.orders.length ?? '…'})`}>
      <ErrorText error={error} />
      {data && bySku.length === 0 && <p className="empty">No order waits for stock.</p>}
      {bySku.map(([sku, orders]) => (
        <div className="group" key={sku}>
          <h3>
            {sku} ({orders.length} orders)
          </h3>
          <p className="small">
            Fix: receive stock of {sku} (<Link to={`/stock${query({ sku })}`}>stock</Link>) or a purchase order; waiting orders are offered
            it first come, first served.
          </p>
          <ul>
            {orders.map((o) => (
              <li key={o.orderId}>
                <Link to={`/orders/${seg(o.orderId)}`}>{o.channelOrderId}</Link> since {when(o.awaitingStock?.since)}
                {o.awaitingStock?.shortfall && (
                  <span className="small">
                    {' '}
                    (needs {o.awaitingStock.shortfall.requested}, {o.awaitingStock.shortfall.available} available)
                  </span>
                )}
              </li>
            ))}
          </ul>
        </div>
      ))}
    </Section>
  );
}

function DeadLetters() {
  const { can } = useSession();
  const { data, error, reload } = useResource<{ deadLetters: DeadLetter[] }>(
    can('webhooks:read') ? '/webhooks/dead-letters?limit=100' : null,
  );
  const [message, setMessage] = useState<string | null>(null);
  if (!can('webhooks:read')) return null;
  async function replay(id: string) {
    try {
      await api.post(`/webhooks/dead-letters/${seg(id)}/replay`);
      setMessage(`Replaying ${id}`);
    } catch (err) {
      setMessage((err as Error).message);
    }
    reload();
  }
  return (
    <Section title={`Dead-letter webhooks (${data?.deadLetters.length ?? '…'})`}>
      <ErrorText error={error} />
      {message && <p className="notice">{message}</p>}
      {data && data.deadLetters.length === 0 && <p className="empty">No dead letters.</p>}
      {data && data.deadLetters.length > 0 && (
        <table>
          <thead>
            <tr>
              <th>Connection</th>
              <th>Topic</th>
              <th>Received</th>
              <th>Why</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {data.deadLetters.map((d) => (
              <tr key={d.id}>
                <td>{d.connectionId}</td>
                <td>{d.topic}</td>
                <td>{when(d.receivedAt)}</td>
                <td>{d.deadReason ?? d.outcome}</td>
                <td>
                  {can('webhooks:replay') && (
                    <button type="button" onClick={() => void replay(d.id)}>
                      Replay
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Section>
  );
}

// Each connection: its newest orders poll (when, what it captured), how far behind the channel's orders it
// may be (since the newest poll that went through), when stock was last pushed to it (how far behind the
// channel's stock may be), and its last error: the failed orders poll, else the newest dead letter.
function Channels() {
  const { can } = useSession();
  const connections = useResource<{ connections: Connection[] }>(can('connections:read') ? '/connections' : null);
  const dead = useResource<{ deadLetters: DeadLetter[] }>(can('webhooks:read') ? '/webhooks/dead-letters?limit=500' : null);
  const [pushed, setPushed] = useState<Record<string, string | null>>({});
  const [message, setMessage] = useState<string | null>(null);
  // The fixes: test the connection's credentials, or poll and reconcile it now (then the row shows the outcome).
  async function testConnection(id: string) {
    try {
      const r = await api.post<{ latencyMs: number }>(`/connections/${seg(id)}/test`);
      setMessage(`${id}: the channel answered in ${r.latencyMs} ms`);
    } catch (err) {
      setMessage(`${id}: ${(err as Error).message}`);
    }
  }
  async function syncNow(id: string) {
    try {
      await api.post(`/connections/${seg(id)}/sync`);
      setMessage(`${id}: syncing now; reload in a moment for the outcome`);
    } catch (err) {
      setMessage(`${id}: ${(err as Error).message}`);
    }
    setTimeout(() => connections.reload(), 3_000);
  }
  const list = connections.data?.connections;
  useEffect(() => {
    if (!list) return;
    const abort = new AbortController();
    void Promise.all(
      list.map(async (c) => {
        const r = await api
          .get<{ pushes: { pushedAt: string }[] }>(`/connections/${seg(c.id)}/stock-sync`, abort.signal)
          .catch(() => ({ pushes: [] as { pushedAt: string }[] }));
        const newest =
          r.pushes
            .map((p) => p.pushedAt)
            .sort()
            .pop() ?? null;
        return [c.id, newest] as const;
      }),
    ).then((entries) => !abort.signal.aborted && setPushed(Object.fromEntries(entries)));
    return () => abort.abort();
  }, [list]);
  if (!can('connections:read')) return null;
  const lastError = (id: string) =>
    (dead.data?.deadLetters ?? []).filter((d) => d.connectionId === id).sort((a, b) => (a.receivedAt < b.receivedAt ? 1 : -1))[0];
  const ago = (iso: string | null | undefined) => (iso ? `${Math.round((Date.now() - Date.parse(iso)) / 60_000)} min ago` : 'never');
  return (
    <Section title="Channel sync">
      <ErrorText error={connections.error} />
      {message && <p className="notice">{message}</p>}
      {list && list.length === 0 && <p className="empty">No connections.</p>}
      {list && list.length > 0 && (
        <table>
          <thead>
            <tr>
              <th>Connection</th>
              <th>Kind</th>
              <th>Orders polled</th>
              <th>Orders behind by</th>
              <th>Last stock push</th>
              <th>Last error</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {list.map((c) => {
              const e = lastError(c.id);
              const poll = c.lastOrdersPoll;
              return (
                <tr key={c.id}>
                  <td>
                    {c.name ?? c.id} {!c.enabled && <span className="muted">(disabled)</span>}
                  </td>
                  <td>{c.kind}</td>
                  <td>{poll ? `${ago(poll.at)}${poll.ok ? `, ${poll.captured ?? 0} captured` : ', failed'}` : 'never'}</td>
                  <td title={c.ordersCursor && `orders changed up to ${when(c.ordersCursor)} are in`}>
                    {poll?.lastSuccessAt ? ago(poll.lastSuccessAt).replace(' ago', '') : '-'}
                  </td>
                  <td>{ago(pushed[c.id])}</td>
                  <td>
                    {poll && !poll.ok
                      ? `${when(poll.at)}: orders poll failed: ${poll.error}`
                      : e
                        ? `${when(e.receivedAt)}: ${e.deadReason ?? e.outcome ?? 'dead letter'} (replay above)`
                        : 'none'}
                  </td>
                  <td>
                    {can('connections:sync') && (
                      <>
                        <button type="button" onClick={() => void testConnection(c.id)}>
                          Test
                        </button>{' '}
                        <button type="button" onClick={() => void syncNow(c.id)}>
                          Sync now
                        </button>
                      </>
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </Section>
  );
}
