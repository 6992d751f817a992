import { useState } from 'react';
import { Link, useParams } from 'react-router-dom';
import { seg } from '../api';
import { Results, sendCommand, type CommandResult } from '../commands';
import { OrderNotifications } from '../notifications';
import type { OrderView } from '../orders';
import { useSession } from '../session';
import { ErrorText, money, Section, Status, useResource, when } from '../ui';

// One order: what the API says about it, and the commands its state allows (the workflow still decides:
// a refusal shows its reason).

interface Documents {
  documents: { id: string; kind: string; title: string; url: string }[];
}
interface Returns {
  returns: { returnId: string; status: string; createdAt?: string; lines?: { sku: string; quantity: number }[] }[];
}

const FINAL = ['completed', 'cancelled', 'rejected'];
const PICKED_OR_LATER = ['picked', 'packed', 'ready_for_pickup', 'shipped', 'delivered', 'completed'];

// Which commands to offer for a status (the workflow refuses the rest anyway).
export function commandsFor(o: OrderView): { name: string; label: string; permission: string; reason?: boolean }[] {
  if (FINAL.includes(o.status)) return [];
  const list: { name: string; label: string; permission: string; reason?: boolean }[] = [];
  if (o.status === 'needs_attention') list.push({ name: 'retry', label: 'Retry', permission: 'orders:retry' });
  if (o.status === 'on_hold') list.push({ name: 'release', label: 'Release', permission: 'orders:hold' });
  else if (!PICKED_OR_LATER.includes(o.status)) list.push({ name: 'hold', label: 'Hold', permission: 'orders:hold', reason: true });
  if (!['shipped', 'delivered'].includes(o.status))
    list.push({ name: 'cancel', label: 'Cancel order', permission: 'orders:cancel', reason: true });
  if (o.status === 'released_to_fulfillment' && (o.allocation || o.parts?.length))
    list.push({ name: 'allocation/reject', label: 'Reject allocation', permission: 'orders:fulfil' });
  return list;
}

export function OrderDetail() {
  const { id = '' } = useParams();
  const { can } = useSession();
  const order = useResource<OrderView>(`/orders/${seg(id)}`);
  const documents = useResource<Documents>(can('documents:read') ? `/orders/${seg(id)}/documents` : null);
  const returns = useResource<Returns>(can('returns:read') ? `/orders/${seg(id)}/returns` : null);
  const [results, setResults] = useState<CommandResult[]>([]);
  const [busy, setBusy] = useState(false);
  const [reason, setReason] = useState('');
  const o = order.data;

  async function run(name: string, withReason?: boolean) {
    if (!o) return;
    let body: unknown = withReason && reason.trim() ? { reason: reason.trim() } : {};
    if (name === 'allocation/reject') {
      const locationId = o.allocation?.locationId ?? o.parts?.[0]?.locationId;
      body = {
        reason: 'not_in_stock',
        ...(o.parts?.length && !o.allocation && { locationId }),
        ...(reason.trim() && { note: reason.trim() }),
      };
    }
    setBusy(true);
    const result = await sendCommand(o.orderId, name, body);
    setResults([result]);
    setBusy(false);
    order.reload();
    documents.reload();
  }

  if (order.error) return <ErrorText error={order.error} />;
  if (!o) return <p className="loading">Loading…</p>;
  const commands = commandsFor(o).filter((c) => can(c.permission));
  const currency = o.order.currency;

  return (
    <div className="order-detail">
      <p>
        <Link to="/orders">← Orders</Link>
      </p>
      <h1>
        Order {o.channelOrderId} <Status status={o.status} /> {o.late && <span className="late">late</span>}
      </h1>
      <p className="small">
        <code>{o.orderId}</code> · {o.channel} · {o.type} · created {when(o.createdAt)} · updated {when(o.updatedAt)}
      </p>
      {o.attention && (
        <p className="attention">
          Needs attention at <strong>{o.attention.step}</strong> since {when(o.attention.since)}: {o.attention.error}
        </p>
      )}
      {o.hold && (
        <p className="notice">
          On hold since {when(o.hold.since)}: {o.hold.reason}
        </p>
      )}
      {o.cancellation && (
        <p className="notice">
          Cancelled {when(o.cancellation.at)}: {o.cancellation.reason}
        </p>
      )}
      {o.rejection && <p className="notice">Rejected: {o.rejection.reason}</p>}

      {commands.length > 0 && (
        <Section title="Actions">
          <div className="actions">
            <input aria-label="Reason or note" placeholder="Reason (optional)" value={reason} onChange={(e) => setReason(e.target.value)} />
            {commands.map((c) => (
              <button key={c.name} type="button" disabled={busy} onClick={() => void run(c.name, c.reason)}>
                {c.label}
              </button>
            ))}
          </div>
        </Section>
      )}
      {/* Outside the actions: a command that ends the order's actions still shows its answer. */}
      <Results results={results} />

      <div className="grid">
        <Section title="Customer and address">
          <p>
            {o.order.customer?.name} {o.order.customer?.email && <span className="small">{o.order.customer.email}</span>}
          </p>
          <p className="small">
            {o.order.shippingAddress.line1}, {o.order.shippingAddress.postalCode} {o.order.shippingAddress.city},{' '}
            {o.order.shippingAddress.country}
          </p>
        </Section>
        <Section title="Payment">
          <p>
            {o.payment.method} · {o.payment.status} · {money(o.payment.amount, currency)}
            {o.payment.captured !== undefined && <> · captured {money(o.payment.captured, currency)}</>}
            {o.payment.refunded !== undefined && <> · refunded {money(o.payment.refunded, currency)}</>}
          </p>
        </Section>
      </div>

      <Section title="Lines">
        <table>
          <thead>
            <tr>
              <th>SKU</th>
              <th className="num">Qty</th>
              <th className="num">Unit price</th>
            </tr>
          </thead>
          <tbody>
            {o.order.lines.map((l) => (
              <tr key={l.sku}>
                <td>{l.sku}</td>
                <td className="num">{l.quantity}</td>
                <td className="num">{money(l.unitPrice, currency)}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {o.awaitingStock && (
          <p className="notice">
            Waiting for stock since {when(o.awaitingStock.since)} ({o.awaitingStock.attempts} attempts)
            {o.awaitingStock.shortfall &&
              `: ${o.awaitingStock.shortfall.sku} needs ${o.awaitingStock.shortfall.requested}, ${o.awaitingStock.shortfall.available} available`}
          </p>
        )}
        {o.backorder && (
          <p className="notice">
            Backordered since {when(o.backorder.since)}: {o.backorder.lines.map((l) => `${l.quantity} × ${l.sku}`).join(', ')}
          </p>
        )}
      </Section>

      {(o.allocation || o.parts?.length) && (
        <Section title="Fulfilment">
          {o.allocation && (
            <p>
              Allocated at <strong>{o.allocation.locationId}</strong> {when(o.allocation.reservedAt)}
            </p>
          )}
          {o.parts && o.parts.length > 0 && (
            <table>
              <thead>
                <tr>
                  <th>Part</th>
                  <th>Location</th>
                  <th>Stage</th>
                  <th>Lines</th>
                  <th>Shipment</th>
                </tr>
              </thead>
              <tbody>
                {o.parts.map((p) => (
                  <tr key={p.id}>
                    <td>{p.id}</td>
                    <td>{p.locationId}</td>
                    <td>{p.stage}</td>
                    <td>{p.lines.map((l) => `${l.quantity} × ${l.sku}`).join(', ')}</td>
                    <td>{p.shipment ? `${p.shipment.carrier} ${p.shipment.trackingNumber}` : (p.label?.trackingNumber ?? '')}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          {o.rejections && o.rejections.length > 0 && (
            <ul>
              {o.rejections.map((r, i) => (
                <li key={i}>
                  {r.locationId} rejected the allocation ({r.reason}) {when(r.at)} {r.note}
                </li>
              ))}
            </ul>
          )}
        </Section>
      )}

      {o.routing && (
        <Section title="Routing">
          <p>{o.routing.summary}</p>
          <ol className="small">
            {o.routing.steps.map((s, i) => (
              <li key={i}>
                {s.rule ? <strong>{s.rule.name}: </strong> : null}
                {s.message} <span className="muted">({s.outcome})</span>
              </li>
            ))}
          </ol>
        </Section>
      )}

      {(o.label || o.shipment || o.tracking?.length) && (
        <Section title="Shipping and tracking">
          {o.label && (
            <p>
              Label: {o.label.carrier} {o.label.service} · {o.label.trackingNumber}{' '}
              {o.label.trackingUrl && (
                <a href={o.label.trackingUrl} target="_blank" rel="noreferrer">
                  track
                </a>
              )}
            </p>
          )}
          {o.shipment && (
            <p>
              Shipped {when(o.shipment.shippedAt)} with {o.shipment.carrier}, {o.shipment.trackingNumber}
            </p>
          )}
          {o.tracking?.map((t) => (
            <p key={t.trackingNumber} className="small">
              {t.carrier} {t.trackingNumber}: {t.status.replace(/_/g, ' ')} ({t.carrierStatus}) {when(t.at)} {t.detail}
            </p>
          ))}
        </Section>
      )}

      {documents.data && (
        <Section title="Documents">
          <ul>
            {documents.data.documents.map((d) => (
              <li key={d.id}>
                <a href={d.url} target="_blank" rel="noreferrer">
                  {d.title}
                </a>{' '}
                <span className="muted">({d.kind.replace(/_/g, ' ')})</span>
              </li>
            ))}
          </ul>
        </Section>
      )}
      <ErrorText error={documents.error} />

      {returns.data && returns.data.returns.length > 0 && (
        <Section title="Returns">
          <ul>
            {returns.data.returns.map((r) => (
              <li key={r.returnId}>
                <code>{r.returnId}</code> <Status status={r.status} /> {r.lines?.map((l) => `${l.quantity} × ${l.sku}`).join(', ')}
              </li>
            ))}
          </ul>
        </Section>
      )}

      {o.notices && o.notices.length > 0 && (
        <Section title="Channel changes not applied">
          <ul>
            {o.notices.map((n, i) => (
              <li key={i}>
                {when(n.at)}: {n.message} ({n.changes.join('; ')})
              </li>
            ))}
          </ul>
        </Section>
      )}

      <OrderNotifications orderId={o.orderId} />

      <Section title="History">
        <table>
          <tbody>
            {o.history.map((h, i) => (
              <tr key={i}>
                <td>{when(h.at)}</td>
                <td>
                  <Status status={h.status} />
                </td>
                <td>{h.reason}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {o.lateStages.length > 0 && (
          <p className="late">Late at: {o.lateStages.map((s) => `${s.stage} (due ${when(s.dueAt)})`).join(', ')}</p>
        )}
      </Section>
    </div>
  );
}
