import { performance } from 'node:perf_hooks';
import { mapLimit } from '../api-client';
import { orderBody } from '../setup';
import { metric } from '../stats';
import { sleep, type FigureContext, type FigureResult } from './context';

// Figure 9: B2B bulk import. A CSV file of N one-line orders through POST /orders/import, timed from the
// upload until GET /imports/:id says every order is captured (stored and its workflow started), against the
// same N orders sent one by one to POST /orders, 20 at once, timed until the last 202. The orders are for an
// sku with no stock: they wait for it, so their workflows cost little and the figure is the intake. Each
// phase's orders are left to reach awaiting_stock before the next phase starts: the worker that captures an
// import's chunks also runs the order workflows, so a phase started on the previous one's backlog (1,000
// workflows started in 20 s, run at a few orders a second) measured that backlog (5 /s instead of 42 /s).

const AT_ONCE = 20;
// B2B orders on invoice (net 30): like the single orders (paid), they go straight on to reserve stock.
const HEADER =
  'channel,order_ref,customer_name,customer_email,ship_line1,ship_city,ship_postal_code,ship_country,currency,payment_method,net_days,sku,quantity,unit_price,shipping';
const SKU = 'BENCH-IMPORT';

// Until every order of the channel waits for stock (its workflow has run its first phases).
async function untilWaiting(ctx: FigureContext, channel: string, orders: number, deadlineMs: number): Promise<boolean> {
  const deadline = Date.now() + deadlineMs;
  while (Date.now() < deadline) {
    let waiting = 0;
    let cursor: string | undefined;
    do {
      const q = `/orders?status=awaiting_stock&channel=${channel}&limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const page = (await ctx.bench.api.get<{ orders: unknown[]; nextCursor?: string }>(q)).body;
      waiting += page.orders.length;
      cursor = page.nextCursor;
    } while (cursor);
    if (waiting >= orders) return true;
    await sleep(1_000);
  }
  return false;
}

export async function bulkImport(ctx: FigureContext): Promise<FigureResult> {
  const { bench, smoke, log, runTag } = ctx;
  const runs = smoke ? 1 : 3;
  const orders = smoke ? 100 : 1_000;
  const failures: string[] = [];
  const imported: number[] = [];
  const single: number[] = [];
  await bench.api.postOk('/items', { sku: SKU, name: 'Bench import item' }, [201, 409]);
  for (let run = 1; run <= runs; run++) {
    const channel = `imp${runTag}${run}`.slice(0, 32);
    const csv = [
      HEADER,
      ...Array.from(
        { length: orders },
        (_, i) => `${channel},B-${i},Buyer ${i},buyer${i}@b2b.example,Industriestr. 1,Berlin,10115,DE,EUR,invoice,30,${SKU},1,19.99,4.95`,
      ),
    ].join('\n');
    const started = performance.now();
    const uploaded = await bench.api.postText('/orders/import', csv, 'text/csv');
    if (uploaded.status !== 202) {
      failures.push(`import run ${run}: POST /orders/import answered ${uploaded.status}: ${JSON.stringify(uploaded.body).slice(0, 300)}`);
      continue;
    }
    const { importId } = uploaded.body as { importId: string };
    let done = false;
    const deadline = Date.now() + (smoke ? 120_000 : 600_000);
    while (!done && Date.now() < deadline) {
      const view = (await bench.api.get<{ status: string; progress: { captured: number } }>(`/imports/${importId}`)).body;
      done = view.status === 'completed';
      if (done && view.progress.captured !== orders) failures.push(`import run ${run}: ${view.progress.captured} of ${orders} captured`);
      if (!done) await sleep(200);
    }
    if (!done) {
      failures.push(`import run ${run}: not completed in time`);
      continue;
    }
    const importRate = orders / ((performance.now() - started) / 1000);
    if (!(await untilWaiting(ctx, channel, orders, 600_000)))
      failures.push(`import run ${run}: imported orders did not all reach awaiting_stock`);
    const singleChannel = `one${runTag}${run}`.slice(0, 32);
    const oneStarted = performance.now();
    const answers = await mapLimit(
      Array.from({ length: orders }, (_, i) => i),
      AT_ONCE,
      async (i) => (await bench.api.post('/orders', orderBody(singleChannel, `S-${i}`, [{ sku: SKU, quantity: 1 }]))).status,
    );
    const singleRate = orders / ((performance.now() - oneStarted) / 1000);
    const refused = answers.filter((s) => s !== 202).length;
    if (refused) failures.push(`import run ${run}: ${refused} single POST /orders not answered 202`);
    if (!(await untilWaiting(ctx, singleChannel, orders - refused, 600_000)))
      failures.push(`import run ${run}: single orders did not all reach awaiting_stock`);
    imported.push(importRate);
    single.push(singleRate);
    log(`  import run ${run}: ${orders} orders by CSV import ${importRate.toFixed(1)}/s; one by one ${singleRate.toFixed(1)}/s`);
  }
  const fig = '9 bulk import';
  return {
    metrics: [
      metric({
        figure: fig,
        name: `orders captured by CSV import, ${orders} per file`,
        unit: '/s',
        better: 'higher',
        runs: imported,
        baseline: { name: `single POST /orders, ${AT_ONCE} at once`, runs: single },
      }),
    ],
    failures,
    details: { runs, ordersPerFile: orders, singleAtOnce: AT_ONCE },
  };
}
