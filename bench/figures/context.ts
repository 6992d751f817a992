import type { Bench } from '../harness';
import type { Metric } from '../stats';

export interface FigureContext {
  bench: Bench;
  smoke: boolean;
  log: (msg: string) => void;
  /** Unique per bench run, so ids never collide with an earlier run's on a reused server. */
  runTag: string;
}

export interface FigureResult {
  metrics: Metric[];
  /** What broke: an oversell, an order never released, a request refused. Any entry fails the bench. */
  failures: string[];
  details: Record<string, unknown>;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function until(what: string, timeoutMs: number, check: () => Promise<boolean> | boolean, intervalMs = 100): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > deadline) return false;
    await sleep(intervalMs);
  }
  void what;
}

/**
 * How big the collections that matter are. FerretDB v1 on SQLite answers only _id filters from an
 * index; others scan, so some costs grow with these sizes (see bench/README.md).
 */
export async function collectionSizes(ctx: FigureContext): Promise<{ ledgerEntries: number; orders: number }> {
  const [ledgerEntries, orders] = await Promise.all([
    ctx.bench.db.collection('stock_ledger').estimatedDocumentCount(),
    ctx.bench.db.collection('orders').estimatedDocumentCount(),
  ]);
  return { ledgerEntries, orders };
}
