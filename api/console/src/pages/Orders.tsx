import { useState, type FormEvent } from 'react';
import { Link, useSearchParams } from 'react-router-dom';
import { query, seg } from '../api';
import { Results, retryAll, type CommandResult } from '../commands';
import { ORDER_STATUSES, totalOf, type OrderPage } from '../orders';
import { useSession } from '../session';
import { ErrorText, money, Status, useResource, when } from '../ui';

// Orders, newest first: filtered by what GET /orders takes, a page at a time. Orders in needs_attention
// can be selected and retried together.

const FILTERS = ['status', 'channel', 'sku', 'customer', 'from', 'to', 'late'] as const;

// A date input (yyyy-mm-dd) as the start of that day in UTC, for the API's from/to.
const dayStart = (day: string | null) => (day ? `${day}T00:00:00.000Z` : undefined);
const dayAfter = (day: string | null) => (day ? new Date(Date.parse(`${day}T00:00:00.000Z`) + 86_400_000).toISOString() : undefined);

export function Orders() {
  const [params, setParams] = useSearchParams();
  const { can } = useSession();
  const cursor = params.get('cursor') ?? undefined;
  // Late orders come from their own list (GET /orders/late), which takes no other filter.
  const late = params.get('late') === 'on';
  const path = late
    ? '/orders/late?limit=200'
    : `/orders${query({
        status: params.get('status'),
        channel: params.get('channel'),
        sku: params.get('sku'),
        customer: params.get('customer'),
        from: dayStart(params.get('from')),
        to: dayAfter(params.get('to')),
        limit: 50,
        cursor,
      })}`;
  const { data, error, loading, reload } = useResource<OrderPage>(path);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [results, setResults] = useState<CommandResult[]>([]);
  const [busy, setBusy] = useState(false);
  const [previous, setPrevious] = useState<string[]>([]);

  function applyFilters(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    const next = new URLSearchParams();
    for (const f of FILTERS) {
      const v = String(form.get(f) ?? '').trim();
      if (v) next.set(f, v);
    }
    setPrevious([]);
    setSelected(new Set());
    setParams(next);
  }

  function page(to: string | undefined, back: boolean) {
    const next = new URLSearchParams(params);
    if (to) next.set('cursor', to);
    else next.delete('cursor');
    setPrevious(back ? previous.slice(0, -1) : [...previous, cursor ?? '']);
    setSelected(new Set());
    setParams(next);
  }

  async function retrySelected() {
    setBusy(true);
    setResults(await retryAll([...selected]));
    setSelected(new Set());
    setBusy(false);
    reload();
  }

  const orders = data?.orders ?? [];
  const toggle = (id: string) => {
    const next = new Set(selected);
    if (next.has(id)) next.delete(id);
    else next.add(id);
    setSelected(next);
  };

  return (
    <div>
      <h1>Orders</h1>
      <form className="filters card" onSubmit={applyFilters} aria-label="Filters" key={params.toString()}>
        <label>
          Status
          <select name="status" defaultValue={params.get('status') ?? ''}>
            <option value="">any</option>
            {ORDER_STATUSES.map((s) => (
              <option key={s} value={s}>
                {s.replace(/_/g, ' ')}
              </option>
            ))}
          </select>
        </label>
        <label>
          Channel
          <input name="channel" placeholder="shopify, manual…" defaultValue={params.get('channel') ?? ''} />
        </label>
        <label>
          SKU
          <input name="sku" placeholder="TEE-M" defaultValue={params.get('sku') ?? ''} />
        </label>
        <label>
          Customer
          <input name="customer" placeholder="email or customer id" defaultValue={params.get('customer') ?? ''} />
        </label>
        <label>
          Created from
          <input name="from" type="date" defaultValue={params.get('from') ?? ''} />
        </label>
        <label>
          to
          <input name="to" type="date" defaultValue={params.get('to') ?? ''} />
        </label>
        <label className="check">
          <input name="late" type="checkbox" defaultChecked={late} />
          Late only
        </label>
        <button type="submit">Search</button>
      </form>
      {late && <p className="small">Late orders still in progress, newest first; the other filters do not apply to them.</p>}
      <ErrorText error={error} />
      {can('orders:retry') && (
        <div className="toolbar">
          <button type="button" disabled={selected.size === 0 || busy} onClick={() => void retrySelected()}>
            Retry selected ({selected.size})
          </button>
        </div>
      )}
      <Results results={results} />
      <div className="table-wrap">
        <table className="orders">
          <thead>
            <tr>
              <th aria-label="Select" />
              <th>Order</th>
              <th>Channel</th>
              <th>Status</th>
              <th>Customer</th>
              <th className="num">Total</th>
              <th>Created</th>
            </tr>
          </thead>
          <tbody>
            {orders.map((o) => (
              <tr key={o.orderId} data-order-id={o.orderId}>
                <td>
                  {o.status === 'needs_attention' && can('orders:retry') && (
                    <input
                      type="checkbox"
                      aria-label={`Select ${o.orderId}`}
                      checked={selected.has(o.orderId)}
                      onChange={() => toggle(o.orderId)}
                    />
                  )}
                </td>
                <td>
                  <Link to={`/orders/${seg(o.orderId)}`}>{o.channelOrderId}</Link>
                </td>
                <td>{o.channel}</td>
                <td>
                  <Status status={o.status} /> {o.late && <span className="late">late</span>}
                  {o.attention && <div className="small">{o.attention.error}</div>}
                </td>
                <td>{o.order.customer?.name ?? o.order.shippingAddress?.name ?? ''}</td>
                <td className="num">{money(totalOf(o), o.order.currency)}</td>
                <td>{when(o.createdAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {!loading && data && orders.length === 0 && <p className="empty">No orders match.</p>}
      {loading && <p className="loading">Loading…</p>}
      <div className="pager">
        <button type="button" disabled={previous.length === 0} onClick={() => page(previous[previous.length - 1] || undefined, true)}>
          ← Newer
        </button>
        <button type="button" disabled={!data?.nextCursor} onClick={() => page(data?.nextCursor, false)}>
          Older →
        </button>
      </div>
    </div>
  );
}
