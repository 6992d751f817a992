import { useEffect, useRef, useState, type FormEvent } from 'react';
import { useSearchParams } from 'react-router-dom';
import { ApiError, api, query, seg } from '../api';
import { useSession } from '../session';
import { ErrorText, Section, useResource, when } from '../ui';

// Warehouse: pick a location, its picklists (create one from the released orders, list, open), a picklist's
// lines in walking order with their progress, the scan screen (a big input a scanner's keyboard wedge types
// into; works on a phone) and the documents (picklist PDF, packing slips, labels). The location and the
// open picklist live in the URL (?location=&picklist=).

interface Stop {
  bin: string | null;
  sku: string;
  barcode?: string;
  expected: number;
  picked: number;
  short: number;
  orders: { orderId: string; quantity: number; picked: number; short: number }[];
}
interface Progress {
  status: 'picking' | 'complete' | 'closed';
  currentStop: Stop | null;
  totals: { expected: number; picked: number; short: number; events: number };
  stops: Stop[];
}
interface Picklist {
  id: string;
  locationId: string;
  createdAt: string;
  orderIds: string[];
  stops: { sku: string; name: string; bin: string | null }[];
  unlocated: { sku: string; name: string; bin: string | null }[];
}
interface PicklistSummary {
  id: string;
  createdAt: string;
  createdBy: string;
  orders: number;
  stops: number;
  status: Progress['status'];
  currentStop: Stop | null;
  totals: Progress['totals'];
}

const docUrl = (kind: string, ref: string) => `/documents/${seg(`doc:${kind}:${ref}`)}`;
const remaining = (s: Stop) => s.expected - s.picked - s.short;
// crypto.getRandomValues works on plain http too (randomUUID needs a secure context).
const newKey = () => `scan-${Array.from(crypto.getRandomValues(new Uint8Array(12)), (b) => b.toString(16).padStart(2, '0')).join('')}`;

export function Warehouse() {
  const [params, setParams] = useSearchParams();
  const locationId = params.get('location') ?? '';
  const picklistId = params.get('picklist') ?? '';
  const set = (next: Record<string, string>) => setParams(Object.fromEntries(Object.entries(next).filter(([, v]) => v)));
  return (
    <div>
      <h1>Warehouse</h1>
      <LocationPicker locationId={locationId} onChange={(l) => set({ location: l })} />
      {locationId && !picklistId && <Picklists locationId={locationId} onOpen={(id) => set({ location: locationId, picklist: id })} />}
      {locationId && picklistId && <PicklistScreen id={picklistId} onBack={() => set({ location: locationId })} />}
    </div>
  );
}

function LocationPicker({ locationId, onChange }: { locationId: string; onChange: (id: string) => void }) {
  const { session, can } = useSession();
  const scoped = session?.principal.locations;
  const { data } = useResource<{ locations: { id: string; name: string }[] }>(can('catalog:read') ? '/locations' : null);
  // A warehouse user sees its own locations only.
  const choices = (data?.locations ?? []).filter((l) => !scoped || scoped.includes(l.id));
  const ids = choices.length ? choices.map((l) => ({ id: l.id, name: l.name })) : (scoped ?? []).map((id) => ({ id, name: id }));
  useEffect(() => {
    if (!locationId && ids.length === 1) onChange(ids[0].id);
  }, [locationId, ids.length]);
  return (
    <div className="filters card">
      <label style={{ minWidth: 0, maxWidth: '100%' }}>
        Location
        <select value={locationId} onChange={(e) => onChange(e.target.value)} style={{ maxWidth: '100%' }}>
          <option value="">Choose a location</option>
          {ids.map((l) => (
            <option key={l.id} value={l.id}>
              {l.name === l.id ? l.id : `${l.name} (${l.id})`}
            </option>
          ))}
        </select>
      </label>
    </div>
  );
}

function Picklists({ locationId, onOpen }: { locationId: string; onOpen: (id: string) => void }) {
  const { can } = useSession();
  const { data, error, reload } = useResource<{ picklists: PicklistSummary[] }>(
    `/locations/${seg(locationId)}/picklists${query({ limit: 50 })}`,
  );
  const [maxOrders, setMaxOrders] = useState('20');
  const [busy, setBusy] = useState(false);
  const [createError, setCreateError] = useState<string | null>(null);

  async function create(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setCreateError(null);
    try {
      const out = await api.post<{ picklist: Picklist }>('/picklists', { locationId, criteria: { maxOrders: Number(maxOrders) } });
      reload();
      onOpen(out.picklist.id);
    } catch (err) {
      setCreateError((err as Error).message);
    } finally {
      setBusy(false);
    }
  }

  return (
    <Section
      title={`Picklists at ${locationId}`}
      actions={
        <button type="button" className="link" onClick={reload}>
          Refresh
        </button>
      }
    >
      {can('picking:write') && (
        <form className="toolbar" onSubmit={(e) => void create(e)}>
          <label>
            Orders per list
            <input inputMode="numeric" value={maxOrders} onChange={(e) => setMaxOrders(e.target.value)} style={{ width: '5rem' }} />
          </label>
          <button type="submit" disabled={busy}>
            New picklist from released orders
          </button>
        </form>
      )}
      <ErrorText error={createError} />
      <ErrorText error={error} />
      {data && data.picklists.length === 0 && <p className="empty">No picklists at {locationId} yet.</p>}
      {data && data.picklists.length > 0 && (
        <div className="table-wrap">
          <table data-testid="picklists">
            <thead>
              <tr>
                <th>Picklist</th>
                <th>Created</th>
                <th>Status</th>
                <th className="num">Orders</th>
                <th className="num">Picked</th>
                <th>Next</th>
              </tr>
            </thead>
            <tbody>
              {data.picklists.map((p) => (
                <tr key={p.id} data-picklist={p.id}>
                  <td>
                    <button type="button" className="link" onClick={() => onOpen(p.id)}>
                      {p.id}
                    </button>
                  </td>
                  <td>
                    {when(p.createdAt)} <span className="small">{p.createdBy}</span>
                  </td>
                  <td>
                    <span className={`status status-${p.status}`}>{p.status}</span>
                  </td>
                  <td className="num">{p.orders}</td>
                  <td className="num">
                    {p.totals.picked} / {p.totals.expected}
                    {p.totals.short > 0 && <span className="error-text"> ({p.totals.short} short)</span>}
                  </td>
                  <td className="small">{p.currentStop ? `${p.currentStop.sku} at ${p.currentStop.bin ?? 'unlocated'}` : ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Section>
  );
}

type Feedback = { kind: 'ok' | 'bad' | 'info'; text: string };

function PicklistScreen({ id, onBack }: { id: string; onBack: () => void }) {
  const { can } = useSession();
  const { data, error, reload } = useResource<{ picklist: Picklist; progress: Progress }>(`/picklists/${seg(id)}`);
  const [progress, setProgress] = useState<Progress | null>(null);
  useEffect(() => setProgress(data?.progress ?? null), [data]);
  const names = new Map([...(data?.picklist.stops ?? []), ...(data?.picklist.unlocated ?? [])].map((s) => [s.sku, s.name]));

  return (
    <div>
      <div className="toolbar">
        <button type="button" className="link" onClick={onBack}>
          ← All picklists
        </button>
        <a href={docUrl('picklist', id)} target="_blank" rel="noreferrer">
          Picklist PDF
        </a>
      </div>
      <ErrorText error={error} />
      {data && progress && (
        <>
          {can('picking:write') && progress.status !== 'closed' && (
            <ScanScreen id={id} progress={progress} names={names} onProgress={setProgress} />
          )}
          {progress.status !== 'picking' && (
            <p className="notice" role="status" data-testid="picklist-status">
              Picklist {progress.status === 'complete' ? 'complete: every line is picked or short' : 'closed'}.
            </p>
          )}
          <Lines progress={progress} names={names} />
          <Documents picklist={data.picklist} />
          {can('picking:write') && progress.status !== 'closed' && <CloseList id={id} onClosed={reload} />}
        </>
      )}
    </div>
  );
}

// The scan screen: the current stop big, one input that keeps the focus. A scanner types the code and
// Enter; a scanned bin code confirms the picker is at the stop's bin, an item's barcode or sku picks it.
function ScanScreen(props: { id: string; progress: Progress; names: Map<string, string>; onProgress: (p: Progress) => void }) {
  const { id, progress } = props;
  const input = useRef<HTMLInputElement>(null);
  const [code, setCode] = useState('');
  const [quantity, setQuantity] = useState(1);
  const [busy, setBusy] = useState(false);
  const [feedback, setFeedback] = useState<Feedback | null>(null);
  const stop = progress.currentStop;
  useEffect(() => input.current?.focus(), [progress, busy]);

  async function scan(e: FormEvent) {
    e.preventDefault();
    const scanned = code.trim();
    setCode('');
    if (!scanned) return;
    if (stop?.bin && scanned.toUpperCase() === stop.bin.toUpperCase()) {
      setFeedback({ kind: 'info', text: `At bin ${stop.bin}: scan ${stop.sku}` });
      return;
    }
    setBusy(true);
    try {
      const out = await api.post<{ progress: Progress; pickedOrders: string[] }>(`/picklists/${seg(id)}/scans`, {
        code: scanned,
        quantity,
        idempotencyKey: newKey(),
      });
      const picked = out.progress.stops.find((s) => s.sku === scanned || s.barcode === scanned);
      const done = out.pickedOrders.length ? `; order ${out.pickedOrders.join(', ')} picked` : '';
      setFeedback({
        kind: 'ok',
        text: `Picked ${quantity} × ${picked?.sku ?? scanned}${picked?.bin ? ` from ${picked.bin}` : ''} (${picked ? `${picked.picked} of ${picked.expected}` : ''})${done}`,
      });
      setQuantity(1);
      props.onProgress(out.progress);
    } catch (err) {
      setFeedback({ kind: 'bad', text: err instanceof ApiError ? err.message : `The scan was not taken: ${(err as Error).message}` });
    } finally {
      setBusy(false);
    }
  }

  const colours = { ok: '#e6f4ea', bad: '#fdecea', info: '#eef4fd' };
  return (
    <Section title="Scan">
      {!stop && <p className="empty">Every line is picked or short.</p>}
      {stop && (
        <div data-testid="current-stop" style={{ fontSize: '1.3rem', marginBottom: '0.6rem' }}>
          <div>
            Bin <strong style={{ fontSize: '2rem' }}>{stop.bin ?? 'unlocated'}</strong>
          </div>
          <div>
            <strong>{stop.sku}</strong> <span className="muted">{props.names.get(stop.sku)}</span>
          </div>
          <div>
            Pick <strong>{remaining(stop)}</strong> of {stop.expected}
          </div>
        </div>
      )}
      <form onSubmit={(e) => void scan(e)} style={{ display: 'flex', flexDirection: 'column', gap: '0.5rem' }}>
        <label>
          Scan bin or item
          <input
            ref={input}
            aria-label="Scan"
            name="code"
            value={code}
            onChange={(e) => setCode(e.target.value)}
            autoFocus
            autoComplete="off"
            autoCapitalize="off"
            spellCheck={false}
            enterKeyHint="go"
            disabled={busy}
            style={{ fontSize: '1.6rem', padding: '0.7rem', width: '100%' }}
          />
        </label>
        <div className="toolbar">
          <label style={{ flexDirection: 'row', alignItems: 'center', gap: '0.4rem' }}>
            Quantity
            <input
              aria-label="Quantity"
              inputMode="numeric"
              value={quantity}
              onChange={(e) => setQuantity(Math.max(1, Number(e.target.value) || 1))}
              style={{ width: '4rem', fontSize: '1.2rem' }}
            />
          </label>
          <button type="submit" disabled={busy} style={{ fontSize: '1.2rem', padding: '0.5rem 1.2rem' }}>
            Pick
          </button>
          {stop && <ShortButton id={id} stop={stop} onProgress={props.onProgress} onFeedback={setFeedback} />}
        </div>
      </form>
      {feedback && (
        <p
          role={feedback.kind === 'bad' ? 'alert' : 'status'}
          data-testid="scan-feedback"
          data-kind={feedback.kind}
          style={{ background: colours[feedback.kind], padding: '0.7rem', borderRadius: 4, fontSize: '1.1rem' }}
        >
          {feedback.kind === 'bad' ? '✗ ' : feedback.kind === 'ok' ? '✓ ' : ''}
          {feedback.text}
        </p>
      )}
    </Section>
  );
}

function ShortButton(props: { id: string; stop: Stop; onProgress: (p: Progress) => void; onFeedback: (f: Feedback) => void }) {
  const [busy, setBusy] = useState(false);
  async function short() {
    const missing = remaining(props.stop);
    if (!window.confirm(`Mark ${missing} × ${props.stop.sku} short? The orders missing it are routed again.`)) return;
    setBusy(true);
    try {
      const out = await api.post<{ progress: Progress }>(`/picklists/${seg(props.id)}/short`, {
        sku: props.stop.sku,
        missingQuantity: missing,
        idempotencyKey: newKey(),
      });
      props.onFeedback({ kind: 'info', text: `${missing} × ${props.stop.sku} marked short` });
      props.onProgress(out.progress);
    } catch (err) {
      props.onFeedback({ kind: 'bad', text: (err as Error).message });
    } finally {
      setBusy(false);
    }
  }
  return (
    <button type="button" className="link" disabled={busy} onClick={() => void short()}>
      Not there (short)
    </button>
  );
}

function Lines({ progress, names }: { progress: Progress; names: Map<string, string> }) {
  return (
    <Section title={`Lines in walking order (${progress.totals.picked} of ${progress.totals.expected} picked)`}>
      <div className="table-wrap">
        <table data-testid="pick-lines">
          <thead>
            <tr>
              <th>Bin</th>
              <th>Sku</th>
              <th className="num">To pick</th>
              <th className="num">Picked</th>
              <th className="num">Short</th>
            </tr>
          </thead>
          <tbody>
            {progress.stops.map((s) => (
              <tr
                key={s.sku}
                data-sku={s.sku}
                data-done={remaining(s) === 0}
                style={
                  progress.currentStop?.sku === s.sku
                    ? { background: '#eef4fd', fontWeight: 600 }
                    : remaining(s) === 0
                      ? { color: '#66707c' }
                      : undefined
                }
              >
                <td style={{ whiteSpace: 'nowrap' }}>{s.bin ?? 'unlocated'}</td>
                <td>
                  {s.sku} <span className="small">{names.get(s.sku)}</span>
                </td>
                <td className="num">{s.expected}</td>
                <td className="num" data-col="picked">
                  {s.picked}
                </td>
                <td className="num">{s.short || ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </Section>
  );
}

interface OrderDocument {
  id: string;
  kind: string;
  title: string;
  url: string;
  part?: string;
}

function Documents({ picklist }: { picklist: Picklist }) {
  return (
    <Section title="Documents">
      <ul data-testid="documents">
        <li>
          <a href={docUrl('picklist', picklist.id)} target="_blank" rel="noreferrer">
            Picklist {picklist.id} (PDF)
          </a>
        </li>
        {picklist.orderIds.map((unit) => (
          <OrderDocuments key={unit} unit={unit} />
        ))}
      </ul>
    </Section>
  );
}

// The packing slip and labels of one order on the list (its part, for a part of a split order): the ones
// the API says exist.
function OrderDocuments({ unit }: { unit: string }) {
  const [orderId, partRef] = unit.split('|');
  const part = partRef?.replace(/^part:/, '');
  const { data, error } = useResource<{ documents: OrderDocument[] }>(`/orders/${seg(orderId)}/documents`);
  const docs = (data?.documents ?? []).filter(
    (d) => (d.kind === 'packing_slip' || d.kind === 'shipping_label') && (part === undefined || d.part === part),
  );
  return (
    <li data-order={unit}>
      {unit}: {error && <span className="error-text">{error}</span>}
      {docs.map((d, i) => (
        <span key={d.id}>
          {i > 0 && ' · '}
          <a href={d.url} target="_blank" rel="noreferrer">
            {d.kind === 'packing_slip' ? 'packing slip' : d.title.replace(/^Shipping label/i, 'label')}
          </a>
        </span>
      ))}
      {data && !docs.some((d) => d.kind === 'shipping_label') && <span className="small"> (no label yet)</span>}
    </li>
  );
}

function CloseList({ id, onClosed }: { id: string; onClosed: () => void }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  async function close() {
    if (!window.confirm('Close this picklist? Orders not fully picked go back for the next list.')) return;
    setBusy(true);
    try {
      await api.post(`/picklists/${seg(id)}/close`, {});
      onClosed();
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  }
  return (
    <div className="actions">
      <ErrorText error={error} />
      <button type="button" disabled={busy} onClick={() => void close()}>
        Close picklist
      </button>
    </div>
  );
}
