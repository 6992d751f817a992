import type { Client } from '@temporalio/client';
import type { Db } from 'mongodb';
import { sleep } from '../../scripts/stack';
import type { Submission } from './load';
import type { FakeErp, FakeShopify } from './upstreams';
import { toView, type OrderDoc as StoredOrder } from '../../store/orders';

// After a drill: did every order reach the state it should, exactly once? Checked against what Orderhub
// stored (orders view, stock ledger, payments journal, webhook deliveries), against Temporal (one run per
// order id) and against what the stand-in channel and ERP recorded.

export interface Finding {
  orderId?: string;
  sku?: string;
  what: string;
}

export interface DrillVerdict {
  orders: number; // distinct orders submitted
  accepted: number;
  completed: number;
  lost: number; // orders, or effects of orders, that should exist and do not
  duplicated: number; // orders, or effects of orders, that exist more than once
  lostBy: Record<string, number>;
  duplicatedBy: Record<string, number>;
  stock: { skuLocations: number; ledgerEntries: number; mismatches: number; channelDrift: string[] };
  webhookDeliveries: Record<string, number>;
  examples: Finding[];
}

interface LedgerDoc {
  _id: string;
  sku: string;
  locationId: string;
  seq: number;
  type: string;
  quantity: number;
  deltas: { onHand: number; reserved: number };
  balance: { onHand: number; reserved: number; available: number };
  idempotencyKey: string;
}

export interface DrainOutcome {
  seconds: number;
  started: number; // order workflows started since the drills began
  running: number; // still running at the end (parked ones included)
  parked: number; // waiting in needs_attention for an operator
}

/**
 * Waits until every accepted order's workflow has started and every running one is parked or finished.
 * Counted in Temporal's visibility store, so waiting adds no load to MongoDB.
 */
export async function drain(
  temporal: Client,
  since: Date,
  expected: number,
  timeoutMs: number,
  log: (m: string) => void,
): Promise<DrainOutcome> {
  const started = Date.now();
  const base = `WorkflowType = 'orderWorkflow' AND StartTime >= '${since.toISOString()}'`;
  const count = async (q: string) => (await temporal.workflow.count(q)).count;
  let last: Omit<DrainOutcome, 'seconds'> = { started: 0, running: expected, parked: 0 };
  let settledRounds = 0;
  let lastReport = started;
  for (;;) {
    try {
      const [startedCount, running, parked] = await Promise.all([
        count(base),
        count(`${base} AND ExecutionStatus = 'Running'`),
        count(`${base} AND ExecutionStatus = 'Running' AND OrderStatus = 'needs_attention'`),
      ]);
      last = { started: startedCount, running, parked };
      // Visibility lags a little behind: believe "done" only when it holds twice in a row.
      settledRounds = startedCount >= expected && running === parked ? settledRounds + 1 : 0;
    } catch (err) {
      log(`drain: could not count workflows: ${(err as Error).message}`);
    }
    if (settledRounds >= 2) return { seconds: (Date.now() - started) / 1000, ...last };
    if (Date.now() - started > timeoutMs) {
      log(`drain: gave up after ${Math.round(timeoutMs / 1000)} s: ${JSON.stringify(last)}`);
      return { seconds: (Date.now() - started) / 1000, ...last };
    }
    if (Date.now() - lastReport > 20_000) {
      log(
        `drain: ${last.running - last.parked} order(s) still moving, ${last.parked} parked, ${Math.max(0, expected - last.started)} not started`,
      );
      lastReport = Date.now();
    }
    await sleep(2_000);
  }
}

/**
 * Waits until none of these webhook deliveries is still queued. A resend or an orders/updated delivery
 * can be taken off the queue after its order finished; a job that was running when Redis or the worker
 * went away is only retried once BullMQ declares it stalled (30 s lock, checked every 30 s).
 */
export async function settleDeliveries(db: Db, ids: string[], timeoutMs: number): Promise<{ seconds: number; queued: number }> {
  const started = Date.now();
  const col = db.collection<{ _id: string; status: string }>('webhook_deliveries');
  for (;;) {
    let queued = ids.length;
    try {
      const docs = await col.find({ _id: { $in: ids } }, { projection: { status: 1 } }).toArray();
      queued = docs.filter((d) => d.status === 'queued').length;
    } catch {
      // MongoDB busy or away: ask again
    }
    if (queued === 0 || Date.now() - started > timeoutMs) return { seconds: (Date.now() - started) / 1000, queued };
    await sleep(2_000);
  }
}

/** How many runs each order workflow id has had since `since` (more than one: an order captured twice). */
export async function workflowRuns(temporal: Client, since: Date): Promise<Map<string, number>> {
  const runs = new Map<string, number>();
  for await (const wf of temporal.workflow.list({ query: `WorkflowType = 'orderWorkflow' AND StartTime >= '${since.toISOString()}'` })) {
    runs.set(wf.workflowId, (runs.get(wf.workflowId) ?? 0) + 1);
  }
  return runs;
}

export interface VerifyInput {
  db: Db;
  apiUrl: string;
  apiKey: string;
  shopify: FakeShopify;
  erp: FakeErp;
  submissions: Submission[];
  skus: string[];
  webSkus: string[];
  runs: Map<string, number>; // from workflowRuns()
}

export async function verifyDrill(input: VerifyInput): Promise<DrillVerdict> {
  const { db, submissions } = input;
  const lostBy: Record<string, number> = {};
  const duplicatedBy: Record<string, number> = {};
  const examples: Finding[] = [];
  const lostOrders = new Set<string>();
  const duplicatedOrders = new Set<string>();
  const lose = (what: string, orderId?: string, sku?: string) => {
    lostBy[what] = (lostBy[what] ?? 0) + 1;
    if (orderId) lostOrders.add(orderId);
    if (examples.length < 20) examples.push({ what: `lost: ${what}`, ...(orderId && { orderId }), ...(sku && { sku }) });
  };
  const duplicate = (what: string, orderId?: string, sku?: string) => {
    duplicatedBy[what] = (duplicatedBy[what] ?? 0) + 1;
    if (orderId) duplicatedOrders.add(orderId);
    if (examples.length < 20) examples.push({ what: `duplicated: ${what}`, ...(orderId && { orderId }), ...(sku && { sku }) });
  };

  const byId = new Map(submissions.map((s) => [s.orderId, s]));
  const ids = [...byId.keys()];
  const views = new Map(
    (
      await db
        .collection<StoredOrder>('orders')
        .find({ _id: { $in: ids } })
        .toArray()
    ).map((d) => [d._id, toView(d)]),
  );

  // 1. Every order that was submitted is there and completed (an unaccepted one may still have arrived).
  let completed = 0;
  for (const [id, sub] of byId) {
    const view = views.get(id);
    if (!view) {
      lose(sub.acceptedAt ? 'accepted order missing' : `order never accepted (${sub.gaveUp ?? 'no answer'})`, id);
      continue;
    }
    if (view.status === 'completed') completed++;
    else lose(`order ${view.status}${view.attention ? ` at ${view.attention.step}` : ''}`, id);
  }

  // 2. One workflow run per order id: a second run would be an order captured twice.
  const runs = input.runs;
  for (const id of ids) {
    const n = runs.get(id) ?? 0;
    if (n > 1) duplicate('order workflow started twice', id);
    if (n === 0 && views.has(id)) lose('order without a workflow', id);
  }

  // 3. The ledger: each order line reserved once net of releases and shipped once.
  const entries = await db
    .collection<LedgerDoc>('stock_ledger')
    .find({ sku: { $in: input.skus } })
    .toArray();
  const perLine = new Map<string, { reserve: number; release: number; ship: number }>();
  for (const e of entries) {
    const m = /^(order:.+):alloc:\d+(?:\.\d+)?:[^|]+\|(.+)\|(reserve|release|ship)$/.exec(e.idempotencyKey);
    if (!m) continue;
    const key = `${m[1]}\u0000${m[2]}`;
    const counts = perLine.get(key) ?? { reserve: 0, release: 0, ship: 0 };
    counts[m[3] as 'reserve' | 'release' | 'ship']++;
    perLine.set(key, counts);
  }
  for (const [id, sub] of byId) {
    const view = views.get(id);
    if (view?.status !== 'completed') continue;
    for (const line of sub.lines) {
      const c = perLine.get(`${id}\u0000${line.sku}`) ?? { reserve: 0, release: 0, ship: 0 };
      const held = c.reserve - c.release;
      if (held > 1) duplicate('stock reserved twice', id, line.sku);
      if (c.ship > 1) duplicate('stock shipped twice', id, line.sku);
      if (c.ship === 0) lose('shipment missing from the ledger', id, line.sku);
      else if (held < 1) lose('shipment without a reservation', id, line.sku);
    }
  }
  for (const key of perLine.keys()) {
    const id = key.split('\u0000')[0];
    if (!byId.has(id) && id.startsWith('order:')) duplicate('ledger entry for an order nobody sent', id);
  }

  // 4. Payments: money taken once per completed order.
  const payments = await db
    .collection<{ orderId: string; operation: string; status: string }>('payments')
    .find({ orderId: { $in: ids } })
    .toArray();
  const captures = new Map<string, number>();
  for (const p of payments) {
    if (p.operation === 'capture' || (p.operation === 'authorize' && p.status === 'captured'))
      captures.set(p.orderId, (captures.get(p.orderId) ?? 0) + 1);
  }
  for (const id of ids) {
    const n = captures.get(id) ?? 0;
    if (n > 1) duplicate('payment captured twice', id);
    if (n === 0 && views.get(id)?.status === 'completed') lose('payment never captured', id);
  }

  // 5. The outside world: one fulfillment per Shopify order, one sales order and one invoice per order in the ERP.
  for (const [id, sub] of byId) {
    if (views.get(id)?.status !== 'completed') continue;
    if (sub.via === 'webhook') {
      const n = input.shopify.fulfillmentsOf(id.split(':')[2]);
      if (n > 1) duplicate('shipment reported to the channel twice', id);
      if (n === 0) lose('shipment never reported to the channel', id);
    }
    for (const kind of ['salesOrders', 'invoices'] as const) {
      const n = input.erp.countFor(kind, id);
      const label = kind === 'salesOrders' ? 'ERP sales order' : 'ERP invoice';
      if (n > 1) duplicate(`${label} pushed twice`, id);
      if (n === 0) lose(`${label} never pushed`, id);
    }
  }

  // 6. Every webhook delivery settled: processed (or ignored), none left queued or dead.
  const deliveryIds = submissions.flatMap((sub) => sub.webhookDeliveries);
  const webhookDeliveries: Record<string, number> = {};
  const settled = new Map(
    (
      await db
        .collection<{ _id: string; status: string }>('webhook_deliveries')
        .find({ _id: { $in: deliveryIds } }, { projection: { status: 1 } })
        .toArray()
    ).map((d) => [d._id, d.status]),
  );
  for (const id of deliveryIds) {
    const status = settled.get(id) ?? 'missing';
    webhookDeliveries[status] = (webhookDeliveries[status] ?? 0) + 1;
  }
  for (const status of ['queued', 'dead'])
    if (webhookDeliveries[status]) lostBy[`webhook delivery left ${status}`] = webhookDeliveries[status];
  const accepted = new Set(submissions.filter((sub) => sub.acceptedAt).flatMap((sub) => sub.webhookDeliveries.slice(0, 1)));
  const missingDeliveries = [...accepted].filter((id) => !settled.has(id)).length;
  if (missingDeliveries) lostBy['accepted webhook delivery not stored'] = missingDeliveries;

  // 7. Stock: every balance is the sum of its ledger entries, entry by entry; nothing stays reserved.
  const stock = await checkStock(input, entries);
  if (stock.mismatches.length) lostBy['stock balance differs from the ledger'] = stock.mismatches.length;
  for (const m of stock.mismatches.slice(0, 5)) examples.push({ what: `stock: ${m}` });

  const extraLost = Object.entries(lostBy)
    .filter(([k]) => k.startsWith('webhook delivery') || k.startsWith('accepted webhook') || k.startsWith('stock balance'))
    .reduce((sum, [, n]) => sum + n, 0);
  return {
    orders: ids.length,
    accepted: submissions.filter((s) => s.acceptedAt).length,
    completed,
    lost: lostOrders.size + extraLost,
    duplicated: duplicatedOrders.size,
    lostBy,
    duplicatedBy,
    stock: {
      skuLocations: stock.skuLocations,
      ledgerEntries: entries.length,
      mismatches: stock.mismatches.length,
      channelDrift: stock.channelDrift,
    },
    webhookDeliveries,
    examples,
  };
}

async function checkStock(
  input: VerifyInput,
  entries: LedgerDoc[],
): Promise<{ skuLocations: number; mismatches: string[]; channelDrift: string[] }> {
  const mismatches: string[] = [];
  const groups = new Map<string, LedgerDoc[]>();
  for (const e of entries) {
    const key = `${e.sku}@${e.locationId}`;
    groups.set(key, [...(groups.get(key) ?? []), e]);
  }
  const api = async (path: string) => {
    const res = await fetch(`${input.apiUrl}${path}`, {
      headers: { authorization: `Bearer ${input.apiKey}` },
      signal: AbortSignal.timeout(15_000),
    });
    return (await res.json()) as { locations?: { locationId: string; onHand: number; reserved: number; available: number }[] };
  };
  const available = new Map<string, number>();
  for (const [key, list] of groups) {
    list.sort((a, b) => a.seq - b.seq);
    let onHand = 0;
    let reserved = 0;
    list.forEach((e, i) => {
      if (e.seq !== i + 1) mismatches.push(`${key}: sequence ${e.seq} where ${i + 1} was expected`);
      onHand += e.deltas.onHand;
      reserved += e.deltas.reserved;
      if (e.balance.onHand !== onHand || e.balance.reserved !== reserved || e.balance.available !== onHand - reserved) {
        mismatches.push(
          `${key}#${e.seq}: entry says ${JSON.stringify(e.balance)}, the sum of deltas is onHand ${onHand}, reserved ${reserved}`,
        );
      }
    });
    if (reserved !== 0) mismatches.push(`${key}: ${reserved} still reserved after every order completed`);
    const [sku, locationId] = key.split('@');
    const reported = (await api(`/stock/${encodeURIComponent(sku)}`)).locations?.find((l) => l.locationId === locationId);
    if (!reported || reported.onHand !== onHand || reported.reserved !== reserved) {
      mismatches.push(`${key}: GET /stock says ${JSON.stringify(reported)}, the ledger sums to onHand ${onHand}, reserved ${reserved}`);
    }
    available.set(sku, (available.get(sku) ?? 0) + onHand - reserved);
  }

  // The channel's levels follow the ledger through debounced pushes: give them a few seconds to settle.
  const channelDrift: string[] = [];
  const drift = () => input.webSkus.filter((sku) => input.shopify.levelOf(sku) !== (available.get(sku) ?? 0));
  const until = Date.now() + 15_000;
  while (drift().length && Date.now() < until) await sleep(500);
  for (const sku of drift())
    channelDrift.push(`${sku}: channel shows ${input.shopify.levelOf(sku)}, ledger has ${available.get(sku) ?? 0} available`);
  return { skuLocations: groups.size, mismatches, channelDrift };
}
