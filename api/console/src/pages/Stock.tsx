import { useEffect, useState, type FormEvent, type ReactNode } from 'react';
import { useSearchParams } from 'react-router-dom';
import { ApiError, api, query, seg } from '../api';
import { useSession } from '../session';
import { ErrorText, Section, useResource, when } from '../ui';

// Stock: a sku's stock per location (on hand, reserved, available, inbound from open purchase orders), the
// ledger of one location newest first, the receipt and adjustment forms, and the low-stock list. The sku
// and location live in the URL (?sku=&location=), so other pages can link here.

interface Balance {
  locationId: string;
  onHand: number;
  reserved: number;
  available: number;
  quarantined?: number;
}
interface StockView {
  sku: string;
  total: { onHand: number; reserved: number; available: number; quarantined: number };
  locations: Balance[];
  inboundByLocation: { locationId: string; quantity: number; nextExpectedDate: string }[];
}
interface LedgerEntry {
  id: string;
  seq: number;
  type: string;
  quantity: number;
  balance: { onHand: number; reserved: number; available: number };
  actor: string;
  at: string;
  reference?: string;
  reason?: string;
  note?: string;
}
interface LedgerPage {
  entries: LedgerEntry[];
  nextBefore: number | null;
}
interface LowStockItem {
  sku: string;
  locationId: string;
  onHand: number;
  available: number;
  inbound: number;
  reorderPoint: number;
  orderUpTo: number;
  toOrder: number;
}
interface Location {
  id: string;
  name: string;
}

const ADJUSTMENT_REASONS = ['cycle_count', 'damaged', 'lost', 'found', 'correction', 'other'];

export function Stock() {
  const [params, setParams] = useSearchParams();
  const sku = params.get('sku') ?? '';
  const locationId = params.get('location') ?? '';
  // Bumped after a receipt or adjustment: the table and the ledger read again.
  const [round, setRound] = useState(0);
  const show = (next: { sku?: string; location?: string }) => {
    const s = next.sku ?? sku;
    const l = next.location ?? (next.sku && next.sku !== sku ? '' : locationId);
    setParams(Object.fromEntries(Object.entries({ sku: s, location: l }).filter(([, v]) => v)));
  };
  return (
    <div>
      <h1>Stock</h1>
      <SkuSearch sku={sku} onSearch={(s) => show({ sku: s })} />
      {sku && <SkuStock key={`${sku}|${round}`} sku={sku} selected={locationId} onSelect={(l) => show({ location: l })} />}
      {sku && locationId && <Ledger key={`${sku}|${locationId}|${round}`} sku={sku} locationId={locationId} />}
      <StockForms sku={sku} locationId={locationId} onApplied={(s, l) => (show({ sku: s, location: l }), setRound((r) => r + 1))} />
      <LowStock onOpen={(s, l) => show({ sku: s, location: l })} />
    </div>
  );
}

function SkuSearch({ sku, onSearch }: { sku: string; onSearch: (sku: string) => void }) {
  const [text, setText] = useState(sku);
  const { data } = useResource<{ items: { sku: string; name: string }[] }>(
    text.trim().length >= 2 ? `/items${query({ search: text.trim(), limit: 20 })}` : null,
  );
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (text.trim()) onSearch(text.trim());
  };
  return (
    <form className="filters card" onSubmit={submit} role="search">
      <label>
        Sku
        <input value={text} onChange={(e) => setText(e.target.value)} list="stock-skus" placeholder="e.g. TEE-M" autoComplete="off" />
      </label>
      <datalist id="stock-skus">
        {data?.items.map((i) => (
          <option key={i.sku} value={i.sku}>
            {i.name}
          </option>
        ))}
      </datalist>
      <button type="submit">Show stock</button>
    </form>
  );
}

function SkuStock({ sku, selected, onSelect }: { sku: string; selected: string; onSelect: (locationId: string) => void }) {
  const { data, error } = useResource<StockView>(`/stock/${seg(sku)}`);
  const inbound = new Map((data?.inboundByLocation ?? []).map((i) => [i.locationId, i]));
  // A location with only inbound (nothing received there yet) still gets its row.
  const rows = data
    ? [
        ...data.locations,
        ...[...inbound.keys()]
          .filter((l) => !data.locations.some((b) => b.locationId === l))
          .map((l) => ({ locationId: l, onHand: 0, reserved: 0, available: 0 })),
      ]
    : [];
  return (
    <Section title={`Stock of ${sku}`}>
      <ErrorText error={error} />
      {data && rows.length === 0 && <p className="empty">No stock of {sku} anywhere yet.</p>}
      {rows.length > 0 && (
        <div className="table-wrap">
          <table data-testid="stock-table">
            <thead>
              <tr>
                <th>Location</th>
                <th className="num">On hand</th>
                <th className="num">Reserved</th>
                <th className="num">Available</th>
                <th className="num">Inbound</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {rows.map((b) => (
                <tr
                  key={b.locationId}
                  data-location={b.locationId}
                  style={b.locationId === selected ? { background: '#eef4fd' } : undefined}
                >
                  <td>{b.locationId}</td>
                  <td className="num" data-col="onHand">
                    {b.onHand}
                  </td>
                  <td className="num" data-col="reserved">
                    {b.reserved}
                  </td>
                  <td className="num" data-col="available">
                    {b.available}
                  </td>
                  <td className="num" data-col="inbound">
                    {inbound.get(b.locationId)?.quantity ?? 0}
                    {inbound.get(b.locationId) && <span className="small"> (next {inbound.get(b.locationId)!.nextExpectedDate})</span>}
                  </td>
                  <td>
                    <button type="button" className="link" onClick={() => onSelect(b.locationId)}>
                      Ledger
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
            {data && (
              <tfoot>
                <tr>
                  <th>Total</th>
                  <th className="num">{data.total.onHand}</th>
                  <th className="num">{data.total.reserved}</th>
                  <th className="num">{data.total.available}</th>
                  <th className="num">{[...inbound.values()].reduce((n, i) => n + i.quantity, 0)}</th>
                  <th />
                </tr>
              </tfoot>
            )}
          </table>
        </div>
      )}
    </Section>
  );
}

const PAGE = 25;

function Ledger({ sku, locationId }: { sku: string; locationId: string }) {
  // The pages read so far, newest first; "Older" reads the next one below the last.
  const [before, setBefore] = useState<number[]>([]);
  return (
    <Section title={`Ledger of ${sku} at ${locationId}`}>
      <div className="table-wrap">
        <table data-testid="ledger">
          <thead>
            <tr>
              <th className="num">#</th>
              <th>When</th>
              <th>Type</th>
              <th className="num">Quantity</th>
              <th className="num">On hand</th>
              <th className="num">Reserved</th>
              <th className="num">Available</th>
              <th>By</th>
              <th>Reason, reference, note</th>
            </tr>
          </thead>
          <LedgerRows sku={sku} locationId={locationId} onMore={(b) => setBefore([...before, b])} last={before.length === 0} />
          {before.map((b, i) => (
            <LedgerRows
              key={b}
              sku={sku}
              locationId={locationId}
              before={b}
              onMore={(n) => setBefore([...before, n])}
              last={i === before.length - 1}
            />
          ))}
        </table>
      </div>
    </Section>
  );
}

function LedgerRows(props: { sku: string; locationId: string; before?: number; last: boolean; onMore: (before: number) => void }) {
  const { data, error } = useResource<LedgerPage>(
    `/stock/${seg(props.sku)}/locations/${seg(props.locationId)}/ledger${query({ limit: PAGE, before: props.before })}`,
  );
  return (
    <tbody>
      {error && (
        <tr>
          <td colSpan={9}>
            <ErrorText error={error} />
          </td>
        </tr>
      )}
      {data && data.entries.length === 0 && props.before === undefined && (
        <tr>
          <td colSpan={9} className="empty">
            No entries yet.
          </td>
        </tr>
      )}
      {data?.entries.map((e) => (
        <tr key={e.id} data-seq={e.seq}>
          <td className="num">{e.seq}</td>
          <td>{when(e.at)}</td>
          <td>{e.type.replace(/_/g, ' ')}</td>
          <td className="num">{e.type === 'adjustment' && e.quantity > 0 ? `+${e.quantity}` : e.quantity}</td>
          <td className="num">{e.balance.onHand}</td>
          <td className="num">{e.balance.reserved}</td>
          <td className="num">{e.balance.available}</td>
          <td>{e.actor}</td>
          <td className="small">{[e.reason?.replace(/_/g, ' '), e.reference, e.note].filter(Boolean).join(' · ')}</td>
        </tr>
      ))}
      {props.last && data?.nextBefore && (
        <tr>
          <td colSpan={9}>
            <button type="button" className="link" onClick={() => props.onMore(data.nextBefore!)}>
              Older entries
            </button>
          </td>
        </tr>
      )}
    </tbody>
  );
}

// Field errors from the API, by field name: details [{ path, message }].
function fieldErrorsOf(err: unknown): Record<string, string> {
  if (!(err instanceof ApiError) || !Array.isArray(err.details)) return {};
  const out: Record<string, string> = {};
  for (const d of err.details as { path?: unknown; message?: unknown }[])
    if (typeof d?.path === 'string' && typeof d.message === 'string')
      out[d.path] = out[d.path] ? `${out[d.path]}; ${d.message}` : d.message;
  return out;
}

function Field({ label, name, errors, children }: { label: string; name: string; errors: Record<string, string>; children: ReactNode }) {
  return (
    <label>
      {label}
      {children}
      {errors[name] && (
        <span className="error-text" data-field-error={name}>
          {errors[name]}
        </span>
      )}
    </label>
  );
}

// One key per filled-in form: a retry of the same submission (a lost answer) applies once; a new
// submission after a success gets a new key.
// crypto.getRandomValues works on plain http too (randomUUID needs a secure context).
const newKey = () => `console-${Array.from(crypto.getRandomValues(new Uint8Array(12)), (b) => b.toString(16).padStart(2, '0')).join('')}`;

function StockForms({
  sku,
  locationId,
  onApplied,
}: {
  sku: string;
  locationId: string;
  onApplied: (sku: string, locationId: string) => void;
}) {
  const { can } = useSession();
  const { data: locations } = useResource<{ locations: Location[] }>(can('catalog:read') ? '/locations' : null);
  if (!can('stock:write')) return null;
  return (
    <div className="grid">
      <StockForm kind="receipt" sku={sku} locationId={locationId} locations={locations?.locations ?? []} onApplied={onApplied} />
      <StockForm kind="adjustment" sku={sku} locationId={locationId} locations={locations?.locations ?? []} onApplied={onApplied} />
    </div>
  );
}

function StockForm(props: {
  kind: 'receipt' | 'adjustment';
  sku: string;
  locationId: string;
  locations: Location[];
  onApplied: (sku: string, locationId: string) => void;
}) {
  const { kind } = props;
  const [sku, setSku] = useState(props.sku);
  const [locationId, setLocationId] = useState(props.locationId);
  const [quantity, setQuantity] = useState('');
  const [reason, setReason] = useState('cycle_count');
  const [reference, setReference] = useState('');
  const [note, setNote] = useState('');
  const [key, setKey] = useState(newKey);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [done, setDone] = useState<string | null>(null);
  const amountField = kind === 'receipt' ? 'quantity' : 'delta';
  // The sku and location shown on the page fill the form in.
  useEffect(() => setSku(props.sku), [props.sku]);
  useEffect(() => setLocationId(props.locationId), [props.locationId]);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    setErrors({});
    setDone(null);
    // Sent as typed: the API names every field it refuses (a number field left empty is sent as such).
    const amount = quantity.trim() === '' ? undefined : Number(quantity);
    const body =
      kind === 'receipt'
        ? { sku, locationId, quantity: amount, ...(reference && { reference }) }
        : { sku, locationId, delta: amount, reason, ...(reference && { reference }), ...(note && { note }) };
    try {
      const res = await api.post<{ entry: LedgerEntry; duplicate: boolean }>(`/stock/${kind}s`, body, { idempotencyKey: key });
      setDone(
        `${kind === 'receipt' ? 'Received' : 'Adjusted'} ${res.entry.quantity} ${sku} at ${locationId}: on hand ${res.entry.balance.onHand}, available ${res.entry.balance.available}${res.duplicate ? ' (already applied)' : ''}`,
      );
      setKey(newKey());
      setQuantity('');
      setNote('');
      props.onApplied(sku, locationId);
    } catch (err) {
      setErrors(fieldErrorsOf(err));
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  }

  const title = kind === 'receipt' ? 'Receive stock' : 'Adjust stock';
  const form = kind;
  return (
    <Section title={title}>
      <form
        onSubmit={(e) => void submit(e)}
        aria-label={title}
        data-form={form}
        style={{ display: 'flex', flexDirection: 'column', gap: '0.5rem' }}
      >
        <Field label="Sku" name="sku" errors={errors}>
          <input name="sku" value={sku} onChange={(e) => setSku(e.target.value)} />
        </Field>
        <Field label="Location" name="locationId" errors={errors}>
          <input name="locationId" list={`${form}-locations`} value={locationId} onChange={(e) => setLocationId(e.target.value)} />
          <datalist id={`${form}-locations`}>
            {props.locations.map((l) => (
              <option key={l.id} value={l.id}>
                {l.name}
              </option>
            ))}
          </datalist>
        </Field>
        <Field label={kind === 'receipt' ? 'Quantity' : 'Change (+ found, − missing)'} name={amountField} errors={errors}>
          <input name={amountField} inputMode="numeric" value={quantity} onChange={(e) => setQuantity(e.target.value)} />
        </Field>
        {kind === 'adjustment' && (
          <Field label="Reason" name="reason" errors={errors}>
            <select name="reason" value={reason} onChange={(e) => setReason(e.target.value)}>
              {ADJUSTMENT_REASONS.map((r) => (
                <option key={r} value={r}>
                  {r.replace(/_/g, ' ')}
                </option>
              ))}
            </select>
          </Field>
        )}
        <Field label={kind === 'receipt' ? 'Reference (delivery note)' : 'Reference'} name="reference" errors={errors}>
          <input name="reference" value={reference} onChange={(e) => setReference(e.target.value)} />
        </Field>
        {kind === 'adjustment' && (
          <Field label="Note" name="note" errors={errors}>
            <input name="note" value={note} onChange={(e) => setNote(e.target.value)} />
          </Field>
        )}
        <ErrorText error={error} />
        {done && (
          <p className="notice" role="status">
            {done}
          </p>
        )}
        <div className="actions">
          <button type="submit" disabled={busy}>
            {kind === 'receipt' ? 'Receive' : 'Adjust'}
          </button>
        </div>
      </form>
    </Section>
  );
}

function LowStock({ onOpen }: { onOpen: (sku: string, locationId: string) => void }) {
  const { data, error } = useResource<{ computedAt: string | null; items: LowStockItem[] }>('/low-stock');
  return (
    <Section title={`Low stock (${data?.items.length ?? '…'})`}>
      <ErrorText error={error} />
      {data && data.computedAt === null && <p className="empty">No reorder points yet: they come from the replenishment recompute.</p>}
      {data && data.computedAt !== null && data.items.length === 0 && <p className="empty">Nothing is at or below its reorder point.</p>}
      {data && data.items.length > 0 && (
        <div className="table-wrap">
          <table data-testid="low-stock">
            <thead>
              <tr>
                <th>Sku</th>
                <th>Location</th>
                <th className="num">Available</th>
                <th className="num">Inbound</th>
                <th className="num">Reorder point</th>
                <th className="num">To order</th>
              </tr>
            </thead>
            <tbody>
              {data.items.map((i) => (
                <tr key={`${i.sku}|${i.locationId}`}>
                  <td>
                    <button type="button" className="link" onClick={() => onOpen(i.sku, i.locationId)}>
                      {i.sku}
                    </button>
                  </td>
                  <td>{i.locationId}</td>
                  <td className="num">{i.available}</td>
                  <td className="num">{i.inbound}</td>
                  <td className="num">{i.reorderPoint}</td>
                  <td className="num">{i.toOrder}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {data.computedAt && <p className="small">Reorder points of {when(data.computedAt)}; stock as of now.</p>}
        </div>
      )}
    </Section>
  );
}
