import { performance } from 'node:perf_hooks';
import { mapLimit } from '../api-client';
import { LOCATIONS, orderBody } from '../setup';
import { metric } from '../stats';
import { until, type FigureContext, type FigureResult } from './context';

// Figure 5: many orders at once for one sku at one location, with less stock than orders. Every order
// goes through the API and its workflow; the reservations race in the ledger. Reservations per second
// are counted from the ledger entries themselves (first to last reservation), and oversell is any unit
// reserved beyond what was received, or any balance below zero at any entry.
// Baseline: plain insertOne calls into the same FerretDB, as many at once as there are orders.

interface LedgerEntryView {
  id: string;
  type: string;
  quantity: number;
  reference?: string; // the order id, for reservations
  balance: { onHand: number; reserved: number; available: number };
  at: string;
}

export async function hotSku(ctx: FigureContext): Promise<FigureResult> {
  const { bench, smoke, log } = ctx;
  const runs = smoke ? 1 : 3;
  const orders = smoke ? 30 : 100;
  const stock = Math.round(orders * 0.7); // fewer units than orders: the last ones must be refused, not oversold
  const failures: string[] = [];
  const rates: number[] = [];
  const baseRates: number[] = [];
  const settleRates: number[] = [];
  const distinctRates: number[] = [];
  let oversold = 0;
  let strandedTotal = 0;
  const perRun: unknown[] = [];
  for (let run = 1; run <= runs; run++) {
    const sku = `HOT-${ctx.runTag}-${run}`;
    const channel = `bench-hot-${run}`;
    await bench.api.postOk('/items', { sku, name: `Hot item ${run}` }, [201]);
    await bench.api.postOk(
      '/stock/receipts',
      { sku, locationId: LOCATIONS.hot, quantity: stock, reference: 'hot sku', idempotencyKey: `${ctx.runTag}-hot-${run}` },
      [201],
    );
    const started = performance.now();
    const answers = await mapLimit(
      Array.from({ length: orders }, (_, i) => i),
      orders,
      (i) => bench.api.post('/orders', orderBody(channel, `${ctx.runTag}-hot-${run}-${i}`, [{ sku, quantity: 1 }])),
    );
    const refused = answers.filter((a) => a.status !== 202).length;
    if (refused) failures.push(`hot sku run ${run}: ${refused} of ${orders} captures refused`);
    const settledQuery = `SalesChannel = '${channel}' AND (OrderStatus = 'released_to_fulfillment' OR OrderStatus = 'awaiting_stock')`;
    const settled = await until(
      'hot sku orders settled',
      240_000,
      async () => (await bench.temporal.workflow.count(settledQuery)).count >= orders - refused,
      250,
    );
    if (!settled) failures.push(`hot sku run ${run}: not every order was released or left waiting for stock within 240 s`);
    const elapsed = (performance.now() - started) / 1000;

    const ledger = await bench.api.get<{ entries: LedgerEntryView[] }>(`/stock/${encodeURIComponent(sku)}/ledger?limit=1000`);
    const entries = ledger.body.entries ?? [];
    const reservations = entries.filter((e) => e.type === 'reservation');
    const releases = entries.filter((e) => e.type === 'release');
    const reservedUnits = reservations.reduce((t, e) => t + e.quantity, 0) - releases.reduce((t, e) => t + e.quantity, 0);
    const negative = entries.filter((e) => e.balance.available < 0 || e.balance.onHand < 0 || e.balance.reserved < 0).length;
    const total = (
      await bench.api.get<{ total: { onHand: number; reserved: number; available: number } }>(`/stock/${encodeURIComponent(sku)}`)
    ).body.total;
    const released = (await bench.temporal.workflow.count(`SalesChannel = '${channel}' AND OrderStatus = 'released_to_fulfillment'`)).count;
    const over = Math.max(0, reservedUnits - stock) + negative + (total.available < 0 ? 1 : 0) + Math.max(0, released - stock);
    oversold += over;
    if (over > 0)
      failures.push(
        `hot sku run ${run}: OVERSELL ${over} (reserved ${reservedUnits} of ${stock}, ${negative} negative balances, ${released} orders released)`,
      );
    if (reservedUnits < Math.min(stock, orders - refused))
      failures.push(`hot sku run ${run}: only ${reservedUnits} of ${stock} units reserved with ${orders} orders waiting`);
    // Stock held for an order that believes it has none: its reserveStock attempt timed out after reserving,
    // and the retry saw no stock left (its own) and reported a shortfall.
    const views = await bench.db
      .collection<{ _id: string; status: string }>('orders')
      .find({ channel }, { projection: { status: 1 } })
      .toArray();
    const holding = new Set(reservations.map((e) => e.reference));
    const stranded = views.filter((v) => v.status === 'awaiting_stock' && holding.has(v._id)).length;
    strandedTotal += stranded;
    if (stranded > 0) failures.push(`hot sku run ${run}: ${stranded} orders wait for stock while holding a reservation (stranded stock)`);
    const times = reservations.map((e) => Date.parse(e.at)).sort((a, b) => a - b);
    const span = (times[times.length - 1] - times[0]) / 1000;
    const rate = span > 0 ? reservations.length / span : Number.NaN;
    rates.push(rate);

    const baseRate = await rawInserts(ctx, run, orders, smoke ? 300 : 1_000);
    baseRates.push(baseRate);
    settleRates.push((orders - refused) / elapsed);
    const distinct = await distinctSkus(ctx, run, orders);
    distinctRates.push(distinct.rate);
    if (distinct.failure) failures.push(distinct.failure);
    perRun.push({
      run,
      orders,
      stock,
      stranded,
      reservations: reservations.length,
      reservedUnits,
      released,
      waiting: orders - refused - released,
      oversold: over,
      reservationSpanSeconds: span,
      secondsToSettle: elapsed,
      final: total,
    });
    log(
      `  hot sku run ${run}: ${reservations.length} reservations in ${span.toFixed(2)} s (${rate.toFixed(0)}/s), ${released} released, oversell ${over}, stranded ${stranded}; raw inserts ${baseRate.toFixed(0)}/s; ${orders} orders settled at ${settleRates[run - 1].toFixed(1)}/s, on ${orders} skus ${distinct.rate.toFixed(1)}/s`,
    );
  }
  const fig = '5 hot sku';
  return {
    metrics: [
      metric({
        figure: fig,
        name: `reservations, ${orders} orders on 1 sku`,
        unit: '/s',
        better: 'higher',
        runs: rates,
        baseline: { name: `raw insertOne, ${orders} at once`, runs: baseRates },
      }),
      metric({
        figure: fig,
        name: `orders settled, ${orders} orders on 1 sku`,
        unit: '/s',
        better: 'higher',
        runs: settleRates,
        baseline: { name: `${orders} orders on ${orders} skus, same run`, runs: distinctRates },
      }),
      metric({ figure: fig, name: 'oversell', unit: 'units', better: 'lower', runs: [oversold] }),
      metric({
        figure: fig,
        name: 'orders waiting for stock while holding a reservation',
        unit: 'orders',
        better: 'lower',
        runs: [strandedTotal],
      }),
    ],
    failures,
    details: { runs, ordersPerRun: orders, stockPerRun: stock, perRun },
  };
}

// The same burst spread over as many skus as orders (each with stock): what the hot sku's queueing costs.
async function distinctSkus(ctx: FigureContext, run: number, orders: number): Promise<{ rate: number; failure?: string }> {
  const { bench } = ctx;
  const channel = `bench-spread-${run}`;
  const skus = Array.from({ length: orders }, (_, i) => `SPREAD-${ctx.runTag}-${run}-${i}`);
  await mapLimit(skus, 16, async (sku) => {
    await bench.api.postOk('/items', { sku, name: 'Spread item' }, [201]);
    await bench.api.postOk('/stock/receipts', { sku, locationId: LOCATIONS.hot, quantity: 5, idempotencyKey: `${sku}-stock` }, [201]);
  });
  const started = performance.now();
  const answers = await mapLimit(skus, orders, (sku, i) =>
    bench.api.post('/orders', orderBody(channel, `${ctx.runTag}-spread-${run}-${i}`, [{ sku, quantity: 1 }])),
  );
  const accepted = answers.filter((a) => a.status === 202).length;
  const query = `SalesChannel = '${channel}' AND OrderStatus = 'released_to_fulfillment'`;
  const done = await until(
    'spread orders released',
    240_000,
    async () => (await bench.temporal.workflow.count(query)).count >= accepted,
    250,
  );
  const rate = accepted / ((performance.now() - started) / 1000);
  return { rate, ...(!done && { failure: `hot sku run ${run}: the same orders on ${orders} skus were not all released within 240 s` }) };
}

async function rawInserts(ctx: FigureContext, run: number, atOnce: number, total: number): Promise<number> {
  const col = ctx.bench.db.collection<{ _id: string }>('bench_raw_inserts');
  const started = performance.now();
  await mapLimit(
    Array.from({ length: total }, (_, i) => i),
    atOnce,
    (i) =>
      col.insertOne({
        _id: `${ctx.runTag}|${run}|${i}`,
        sku: 'RAW',
        locationId: LOCATIONS.hot,
        seq: i,
        type: 'reservation',
        quantity: 1,
        deltas: { onHand: 0, reserved: 1 },
        balance: { onHand: total, reserved: i + 1, available: total - i - 1 },
        idempotencyKey: `${ctx.runTag}-raw-${run}-${i}`,
        actor: 'bench',
        at: new Date(),
      } as { _id: string }),
  );
  return total / ((performance.now() - started) / 1000);
}
