import { patched } from '@temporalio/workflow';
import type { HeldStock } from '../../../activities/order-activities';
import type { RoutingPart } from '../../../domain/routing';
import type { AllocationRejection } from '../api';
import { editToTake, takeEditBeforeReserving, takeEditWhileHolding } from '../edits';
import { OrderCancelled, type OrderRun } from '../order-run';
import { RELEASE_ALL_STOCK } from '../patches';
import { backordersApply, describeLines } from '../../../domain/backorder';
import { backorderTheRest } from '../backorders';
import { stockedLines } from '../../../domain/drop-ship';
import type { Order } from '../../../domain/order';

const stockedOf = (order: Order) => stockedLines(order.lines).map((l) => ({ sku: l.sku, quantity: l.quantity }));

// 3. Stock: reserve the order where the routing rules place it (one location, or split into parts when no
// single location can fill it and the rules and the order allow it), or wait for stock to arrive; then
// release it to the warehouse. A location that rejects its allocation before picking gives it back
// (adjusting its stock as the reason says) and the order is routed again without it. The phase ends when
// a location has picked the order (or, for one nobody rejected, when picking may start).
interface Allocation {
  round: number;
  attempts: number; // reservation attempts so far, each with its own idempotency key
  splitMisses: number;
  rejectedAt: string[]; // locations that rejected the order, skipped when routing again
}

export async function reserve(run: OrderRun): Promise<void> {
  const a: Allocation = { round: 0, attempts: 0, splitMisses: 0, rejectedAt: [] };
  for (;;) {
    a.round++;
    await reserveSomewhere(run, a);
    // A pre-order holds its stock now: its claims on inbound stock stop holding units for it.
    if (run.preorder && a.round === 1)
      await run.step('settle_preorder_claims', () => run.acts.settlePreorderClaims(run.order, 'reserved'), { cancellable: false });
    const withdrawUndo = owePartsBack(run);
    await release(run, a.round);
    const next = await untilPicked(run, withdrawUndo);
    if (next === 'picked') return;
    if (next === 'edited') continue; // the channel changed the lines: stock given back, routed again
    const refused = run.intents.rejection!;
    run.intents.rejection = undefined;
    await routeAgain(run, a, refused);
    withdrawUndo();
    await run.setStatus('awaiting_stock', `${a.rejectedAt.at(-1)} rejected the allocation (${refused.reason}); routing again`);
  }
}

// Until a location has picked the order or rejected its allocation; meanwhile the channel's edits are
// taken (one that changes the lines gives the stock back: 'edited'). The SLA runs from the release.
async function untilPicked(run: OrderRun, withdrawUndo: () => void): Promise<'picked' | 'rejected' | 'edited'> {
  const due = Date.now() + run.settings.slaMs.picked;
  for (;;) {
    await run.waitUntil(() => run.parts.anyReached('picked') || !!run.intents.rejection || editToTake(run), {
      ...(due > Date.now() && { sla: { stage: 'picked' as const, ms: due - Date.now() } }),
    });
    if (run.parts.anyReached('picked') || (!run.intents.rejection && !editToTake(run))) return 'picked';
    if (run.intents.rejection) return 'rejected';
    if (await takeEditWhileHolding(run, withdrawUndo)) return 'edited';
  }
}

// Try until the order holds stock: whole at one location, or in parts; between tries, wait for stock.
async function reserveSomewhere(run: OrderRun, a: Allocation): Promise<void> {
  const { acts, state, intents } = run;
  for (;;) {
    if (editToTake(run)) await takeEditBeforeReserving(run);
    const order = run.order; // as the channel last edited it
    let attempt = ++a.attempts;
    const excluded = order.fulfillment?.method === 'pickup' ? [] : [...a.rejectedAt];
    // Cleared before the attempt, not after: stock arriving while it runs must wake the next one.
    intents.stockChanged = false;
    // Parking the order gives back whatever the attempts reserved, and a retry starts a new attempt.
    const giveBack = async () => {
      if (!patched(RELEASE_ALL_STOCK)) return;
      await acts.abandonReservation(order, attempt);
      attempt = ++a.attempts;
    };
    const result = await run.step('reserve_stock', () => acts.reserveStock(order, attempt, excluded), {
      cancellable: true,
      beforePark: giveBack,
    });
    state.routing = result.routing;
    if (result.reserved) {
      // A mixed order's stocked lines are a part of their own (reserveStock reserved only those).
      if (run.mixed) run.parts.holdWhole({ reservationId: result.reservationId, locationId: result.locationId, lines: stockedOf(order) });
      else {
        run.parts.holdWhole({ reservationId: result.reservationId, locationId: result.locationId });
        state.allocation = { reservationId: result.reservationId, locationId: result.locationId, reservedAt: run.now() };
      }
      state.awaitingStock = undefined;
      return;
    }
    let shortfall = 'shortfall' in result ? result.shortfall : undefined;
    if ('split' in result) {
      const parts = await reserveParts(run, attempt, result.split);
      if (parts.reserved) {
        run.parts.holdSplit(parts.held);
        state.awaitingStock = undefined;
        return;
      }
      shortfall = parts.shortfall;
      // Another order took a part's stock between routing and reserving: route again at once, twice.
      if (++a.splitMisses % 3 !== 0) continue;
    }
    // Backorders allowed: what is in stock now ships, the rest waits as a backorder.
    if (backordersApply({ ...order, lines: stockedLines(order.lines) }) && (await backorderTheRest(run, ++a.attempts, excluded))) return;
    state.awaitingStock = { since: state.awaitingStock?.since ?? run.now(), attempts: attempt, ...(shortfall && { shortfall }) };
    if (state.status !== 'awaiting_stock') {
      await run.setStatus(
        'awaiting_stock',
        shortfall
          ? `short of ${shortfall.sku}: ${shortfall.available} available, ${shortfall.requested} needed`
          : (result.routing?.summary ?? 'no location can ship this order'),
      );
    }
    await run.waitUntil(() => intents.stockChanged || editToTake(run), { timeoutMs: run.settings.awaitingStockRecheckMs });
  }
}

type PartsReserved =
  { reserved: true; held: HeldStock[] } | { reserved: false; shortfall?: { sku: string; requested: number; available: number } };

// Reserve each part of a split plan; if one falls short, give back the parts already held.
async function reserveParts(run: OrderRun, attempt: number, plan: RoutingPart[]): Promise<PartsReserved> {
  const held: HeldStock[] = [];
  const giveBack = async () => {
    for (const h of held.splice(0))
      await run.step('release_stock', () => run.acts.releaseStock(run.order, h, 'split reservation fell short'), { cancellable: false });
  };
  // Cancelled while reserving: the compensations give back what is held so far.
  const withdraw = run.owe(giveBack);
  for (const part of plan) {
    const result = await run.step('reserve_stock', () => run.acts.reservePart(run.order, attempt, part));
    if (!result.reserved) {
      await giveBack();
      withdraw();
      return { reserved: false, ...(result.shortfall && { shortfall: result.shortfall }) };
    }
    held.push({ reservationId: result.reservationId, locationId: result.locationId, lines: part.lines });
  }
  withdraw();
  return { reserved: true, held };
}

// Cancelled from here on: every part's stock is given back. Returns the withdrawal, for when the stock is
// given back another way (the allocation was rejected).
function owePartsBack(run: OrderRun): () => void {
  const holding = run.parts.stock.map((r) => r.held);
  return run.owe(async () => {
    for (const held of holding)
      await run.step('release_stock', () => run.acts.releaseStock(run.order, held, 'order cancelled'), { cancellable: false });
  });
}

// Reserved: recorded, then (past the hold and cancel checkpoint) released to the warehouse; the ERPs hear
// of the sales order once.
async function release(run: OrderRun, round: number): Promise<void> {
  const stock = run.parts.stock;
  const holding = stock.map((r) => r.held);
  const where = holding.map((h) => h.locationId).join(', ');
  const backordered = run.state.backorder?.lines.length ? `; backordered: ${describeLines(run.state.backorder.lines)}` : '';
  const releaseAt = run.preorder ? run.state.preorder?.releaseAt : undefined;
  const waitsForRelease = releaseAt !== undefined && Date.now() < Date.parse(releaseAt);
  await run.setStatus(
    'stock_reserved',
    (holding.length > 1 ? `split into ${holding.length} parts: reserved at ${where}` : `reserved at ${where}`) +
      backordered +
      (waitsForRelease ? `; a pre-order, released to the warehouse at ${releaseAt}` : ''),
    { project: !run.fewerProjections || waitsForRelease },
  );
  // An exchange replacement waits here with its stock held until the returned items are back.
  if (round === 1 && run.exchangeHold) run.intents.hold ??= { reason: run.exchangeHold };
  await run.checkpoint();
  if (releaseAt !== undefined && round === 1) await untilReleased(run, releaseAt);
  for (const part of run.state.parts ?? []) if (stock.some((r) => r.id === part.id)) part.stage = 'released_to_fulfillment';
  await run.setStatus('released_to_fulfillment', round > 1 ? `re-routed to ${where}` : undefined);
  if (round === 1)
    await run.step('erp_sales_order', async () =>
      run.lighter && (await run.local.erpConnectionCount()) === 0 ? 0 : run.acts.pushSalesOrderToErps(run.order),
    );
}

// A location rejected its allocation: its stock is adjusted and given back, the other parts give theirs
// back too, and the whole order is routed again without that location.
async function routeAgain(run: OrderRun, a: Allocation, refused: AllocationRejection): Promise<void> {
  const { acts, order, state } = run;
  const stock = run.parts.stock;
  const at = stock.find((r) => r.held.locationId === refused.locationId) ?? stock[0];
  await run.step('reject_allocation', () => acts.rejectAllocation(order, at.held, refused, a.round), { cancellable: false });
  for (const other of stock) {
    if (other !== at)
      await run.step(
        'release_stock',
        () => acts.releaseStock(order, other.held, `routing again: ${at.held.locationId} rejected its part`),
        { cancellable: false },
      );
  }
  a.rejectedAt.push(at.held.locationId);
  state.rejections = [
    ...(state.rejections ?? []),
    {
      locationId: at.held.locationId,
      reason: refused.reason,
      ...(refused.skus && { skus: refused.skus }),
      ...(refused.note && { note: refused.note }),
      at: run.now(),
    },
  ];
  run.parts.drop();
}

// A pre-order holds its stock until its release date (a durable timer; hold and cancel are honoured
// meanwhile). An authorisation that lapsed by then is renewed before the order goes to the warehouse; one
// the provider refuses cancels the order (its stock and claims go back).
async function untilReleased(run: OrderRun, releaseAt: string): Promise<void> {
  const at = Date.parse(releaseAt);
  while (Date.now() < at) await run.waitUntil(() => Date.now() >= at, { timeoutMs: at - Date.now() });
  const { payment } = run.state;
  if (payment.status === 'authorized' && payment.authorizationExpiresAt && Date.parse(payment.authorizationExpiresAt) <= Date.now()) {
    const auth = await run.step('reauthorize_payment', () => run.acts.reauthorizePayment(run.order));
    if (auth.status !== 'authorized') {
      const why = 'message' in auth ? auth.message : auth.status;
      run.intents.cancel ??= { reason: `payment could not be authorised again at release: ${why}` };
      throw new OrderCancelled();
    }
    run.state.payment = {
      ...payment,
      reference: auth.reference,
      reauthorizedAt: run.now(),
      ...(auth.expiresAt ? { authorizationExpiresAt: auth.expiresAt } : { authorizationExpiresAt: undefined }),
    };
  }
  run.state.preorder = { releaseAt, releasedAt: run.now() };
}
