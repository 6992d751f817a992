import { performance } from 'node:perf_hooks';
import { mapLimit } from '../api-client';
import { LOCATIONS, orderBody } from '../setup';
import { metric } from '../stats';
import { sleep, until, type FigureContext, type FigureResult } from './context';

// Figure 8: three bursts of one-unit orders on one sku holding 100 units (250 per burst in the full run,
// 60 in the smoke run), one after another, with the stock topped up between them: each top-up covers the
// orders left waiting by the burst before (which get it first come, first served) and brings the shelf
// back to 100 units for the next burst. A burst is settled when every one of its orders is released or
// waiting for stock. Nothing may end in needs_attention, nothing may be oversold, and the third burst,
// with the first two bursts' orders and ledger entries stored, should settle about as fast as the first.

interface LedgerEntryView {
  type: string;
  quantity: number;
  balance: { onHand: number; reserved: number; available: number };
}

const count = async (ctx: FigureContext, query: string) => (await ctx.bench.temporal.workflow.count(query)).count;

export async function bursts(ctx: FigureContext): Promise<FigureResult> {
  const { bench, smoke, log } = ctx;
  const perBurst = smoke ? 60 : 250;
  const shelf = smoke ? 24 : 100;
  const sku = `BURST-${ctx.runTag}`;
  const channels = [1, 2, 3].map((n) => `bench-burst-${n}`);
  const inChannels = `(${channels.map((c) => `SalesChannel = '${c}'`).join(' OR ')})`;
  const failures: string[] = [];
  const settleSeconds: number[] = [];
  const topUpSeconds: number[] = [];
  let received = 0;
  const receive = async (quantity: number, ref: string) => {
    await bench.api.postOk(
      '/stock/receipts',
      { sku, locationId: LOCATIONS.hot, quantity, reference: ref, idempotencyKey: `${ctx.runTag}-${ref}` },
      [201],
    );
    received += quantity;
  };
  await bench.api.postOk('/items', { sku, name: 'Burst item' }, [201]);
  await receive(shelf, 'burst-opening');

  for (const [i, channel] of channels.entries()) {
    if (i > 0) {
      // Top up: what the waiting orders need, plus a full shelf for the next burst.
      const waiting = await count(ctx, `${inChannels} AND OrderStatus = 'awaiting_stock'`);
      const started = performance.now();
      await receive(waiting + shelf, `burst-topup-${i}`);
      const served = await until(
        'waiting orders released after the top-up',
        180_000,
        async () => (await count(ctx, `${inChannels} AND OrderStatus = 'awaiting_stock'`)) === 0,
        250,
      );
      if (!served)
        failures.push(
          `bursts: ${await count(ctx, `${inChannels} AND OrderStatus = 'awaiting_stock'`)} orders still waiting 180 s after a top-up that covered them`,
        );
      topUpSeconds.push((performance.now() - started) / 1000);
    }
    const started = performance.now();
    const answers = await mapLimit(
      Array.from({ length: perBurst }, (_, k) => k),
      perBurst,
      (k) => bench.api.post('/orders', orderBody(channel, `${ctx.runTag}-burst-${i + 1}-${k}`, [{ sku, quantity: 1 }])),
    );
    const refused = answers.filter((a) => a.status !== 202);
    if (refused.length)
      failures.push(
        `bursts: burst ${i + 1}: ${refused.length} of ${perBurst} captures answered ${[...new Set(refused.map((a) => a.status))].join(', ')}`,
      );
    const settledQuery = `SalesChannel = '${channel}' AND (OrderStatus = 'released_to_fulfillment' OR OrderStatus = 'awaiting_stock')`;
    const settled = await until(
      `burst ${i + 1} settled`,
      600_000,
      async () => (await count(ctx, settledQuery)) >= perBurst - refused.length,
      250,
    );
    const seconds = (performance.now() - started) / 1000;
    if (!settled) failures.push(`bursts: burst ${i + 1} did not settle within 600 s (${await count(ctx, settledQuery)} of ${perBurst})`);
    settleSeconds.push(seconds);
    const released = await count(ctx, `SalesChannel = '${channel}' AND OrderStatus = 'released_to_fulfillment'`);
    log(
      `  burst ${i + 1}: ${perBurst} orders settled in ${seconds.toFixed(1)} s (${released} released, ${perBurst - released} waiting)${i > 0 ? `; top-up served the waiting orders in ${topUpSeconds[i - 1].toFixed(1)} s` : ''}`,
    );
  }
  await sleep(1_000);
  const attention = await count(ctx, `${inChannels} AND OrderStatus = 'needs_attention'`);
  if (attention) failures.push(`bursts: ${attention} orders in needs_attention`);

  const ledger = await bench.api.get<{ entries: LedgerEntryView[] }>(`/stock/${encodeURIComponent(sku)}/ledger?limit=1000`);
  const entries = ledger.body.entries ?? [];
  const reserved =
    entries.filter((e) => e.type === 'reservation').reduce((n, e) => n + e.quantity, 0) -
    entries.filter((e) => e.type === 'release').reduce((n, e) => n + e.quantity, 0);
  const negative = entries.filter((e) => e.balance.available < 0 || e.balance.reserved < 0 || e.balance.onHand < 0).length;
  const releasedAll = await count(ctx, `${inChannels} AND OrderStatus = 'released_to_fulfillment'`);
  const oversell = Math.max(0, reserved - received) + negative + Math.max(0, releasedAll - received);
  if (oversell)
    failures.push(
      `bursts: OVERSELL ${oversell} (reserved ${reserved} of ${received} received, ${negative} negative balances, ${releasedAll} released)`,
    );
  if (entries.length >= 1000) failures.push('bursts: the ledger check read only the first 1,000 entries');

  const fig = '8 bursts';
  const n = `${perBurst} orders on 1 sku`;
  return {
    metrics: [
      metric({ figure: fig, name: `first burst settle, ${n}`, unit: 's', better: 'lower', runs: [settleSeconds[0]] }),
      metric({
        figure: fig,
        name: `third burst settle, ${n}`,
        unit: 's',
        better: 'lower',
        runs: [settleSeconds[2]],
        baseline: { name: 'first burst settle, same run', runs: [settleSeconds[0]] },
      }),
      metric({ figure: fig, name: 'top-up → waiting orders released', unit: 's', better: 'lower', runs: topUpSeconds }),
      metric({ figure: fig, name: 'orders in needs_attention', unit: 'orders', better: 'lower', runs: [attention] }),
      metric({ figure: fig, name: 'oversell', unit: 'units', better: 'lower', runs: [oversell] }),
    ],
    failures,
    details: { perBurst, shelf, received, settleSeconds, topUpSeconds, releasedAll, reserved },
  };
}
