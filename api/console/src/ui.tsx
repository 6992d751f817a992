import { useCallback, useEffect, useState, type ReactNode } from 'react';
import { api } from './api';

// Small shared pieces: loading a resource, showing an error, money and time.

export interface Loaded<T> {
  data: T | undefined;
  error: string | null;
  loading: boolean;
  reload(): void;
}

/** GET `path` (null: nothing to load yet); reloads when the path changes or on reload(). */
export function useResource<T>(path: string | null): Loaded<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const [round, setRound] = useState(0);
  useEffect(() => {
    if (path === null) return;
    const abort = new AbortController();
    setLoading(true);
    api
      .get<T>(path, abort.signal)
      .then((d) => {
        setData(d);
        setError(null);
      })
      .catch((err: Error) => {
        if (err.name !== 'AbortError') setError(err.message);
      })
      .finally(() => {
        if (!abort.signal.aborted) setLoading(false);
      });
    return () => abort.abort();
  }, [path, round]);
  const reload = useCallback(() => setRound((r) => r + 1), []);
  return { data, error, loading, reload };
}

export function ErrorText({ error }: { error: string | null | undefined }) {
  if (!error) return null;
  return (
    <p className="error" role="alert">
      {error}
    </p>
  );
}

export function Section({ title, children, actions }: { title: string; children: ReactNode; actions?: ReactNode }) {
  return (
    <section className="card">
      <div className="section-head">
        <h2>{title}</h2>
        {actions}
      </div>
      {children}
    </section>
  );
}

export const money = (minor: number | undefined, currency: string | undefined) =>
  minor === undefined ? '' : `${(minor / 100).toFixed(2)} ${currency ?? ''}`.trim();

export const when = (iso: string | undefined) => (iso ? new Date(iso).toLocaleString() : '');

export function Status({ status }: { status: string }) {
  return <span className={`status status-${status}`}>{status.replace(/_/g, ' ')}</span>;
}
