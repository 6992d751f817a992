// Backorders (domain/backorder.ts): an order whose lines allow it ships what is in stock now as a part and
// keeps the rest backordered; each time stock arrives the backorder reserves what it can at one location,
// in the order orders started waiting (the stock offers wake it like any waiting order), and that part is
// released and shipped on its own, until nothing is backordered. The customer is told what ships later.
// (No patch needed: no order allowed backorders before this code knew them; rejecting a part filled later came
// after, behind BACKORDER_REJECTIONS.)
import type { HeldStock } from '../../activities/order-activities';
import type { RoutingPart } from '../../domain/routing';
import type { ReserveResult } from '../../store/allocations';
import { patched } from '@temporalio/workflow';
import { describeLines as listed, withUnits, withoutUnits, type BackorderLine } from '../../domain/backorder';
import type { OrderRun } from './order-run';
import type { PartRun } from './parts';
import { BACKORDER_REJECTIONS } from './patches';
import { stockedLines } from '../../domain/drop-ship';

interface Taken {
  held: HeldStock;
  later: BackorderLine[];
  summary: string;
}

// Of the wanted lines, reserve what one location can ship now. tag: the reservation's own id within the
// order, fresh for every try (a try that lost its stock to another order stays decided as rolled back).
async function reserveWhatIsInStock(
  run: OrderRun,
  wanted: BackorderLine[],
  excluded: string[],
  reserve: (part: RoutingPart) => Promise<ReserveResult>,
): Promise<Taken | undefined> {
  const plan = await run.step('reserve_stock', () => run.acts.planBackorder(run.order, wanted, excluded));
  const part = plan.part;
  if (!part) return undefined;
  const result = await run.step('reserve_stock', () => reserve(part));
  if (!result.reserved) return undefined;
  return {
    held: { reservationId: result.reservationId, locationId: result.locationId, lines: part.lines },
    later: plan.later,
    summary: plan.summary,
  };
}

// The reserve phase found the whole order short: hold what is in stock now as the first part and backorder
// the rest. False: nothing can ship now (the order waits whole, as any other).
export async function backorderTheRest(run: OrderRun, attempt: number, excluded: string[]): Promise<boolean> {
  const wanted = stockedLines(run.order.lines).map((l) => ({ sku: l.sku, quantity: l.quantity }));
  const taken = await reserveWhatIsInStock(run, wanted, excluded, (part) => run.acts.reservePart(run.order, attempt, part));
  if (!taken) return false;
  const { state } = run;
  if (taken.later.length === 0) {
    // Stock arrived meanwhile: the whole order is held at one location after all.
    run.parts.holdWhole(taken.held);
    if (!run.mixed)
      state.allocation = { reservationId: taken.held.reservationId, locationId: taken.held.locationId, reservedAt: run.now() };
  } else {
    state.backorder = { lines: taken.later, since: state.awaitingStock?.since ?? run.now(), filledParts: 0 };
    run.parts.holdSplit([taken.held]);
    await tellCustomer(run, taken.held.lines!, taken.later, 1);
  }
  state.routing = { summary: taken.summary, steps: [] };
  state.awaitingStock = undefined;
  return true;
}

async function tellCustomer(run: OrderRun, now: BackorderLine[], later: BackorderLine[], n: number): Promise<void> {
  const details = { shipsNow: listed(now), backordered: listed(later) };
  await run.step('notify_customer', () => run.acts.notifyCustomer(run.order, 'backordered', details, undefined, n), {
    cancellable: false,
  });
}

// Beside the parts already shipping: fill the backorder part by part as stock arrives, each released to its
// warehouse and shipped (ship) on its own. Ends when nothing is backordered and every part it started ended.
// A part its location rejects before picking it (since BACKORDER_REJECTIONS) gives its stock back and its
// units are backordered again, to be filled from the next stock wherever it is.
export async function fillBackorder(run: OrderRun, ship: (part: PartRun) => Promise<void>): Promise<void> {
  const { state, intents } = run;
  run.backorderRejections = patched(BACKORDER_REJECTIONS);
  const shipping: Promise<void>[] = [];
  let open = 0; // parts started and not yet ended
  let tries = 0;
  let stopped: { error: unknown } | undefined;
  try {
    for (;;) {
      while (state.backorder && state.backorder.lines.length > 0) {
        const backorder = state.backorder;
        intents.stockChanged = false;
        const tag = `backorder:${backorder.filledParts + 1}:${++tries}`;
        const taken = await reserveWhatIsInStock(run, backorder.lines, [], (part) => run.acts.reservePart(run.order, 0, part, tag));
        if (!taken) {
          await run.waitUntil(() => intents.stockChanged || !state.backorder?.lines.length, {
            timeoutMs: run.settings.awaitingStockRecheckMs,
          });
          continue;
        }
        const part = run.parts.add(taken.held);
        const lines = taken.held.lines!;
        // Cancelled before any part ships (only then can the order be cancelled): this part's stock goes back.
        const withdraw = run.owe(async () => {
          await run.step('release_stock', () => run.acts.releaseStock(run.order, part.held, 'order cancelled'), { cancellable: false });
        });
        state.backorder = { ...backorder, lines: withoutUnits(backorder.lines, lines), filledParts: backorder.filledParts + 1 };
        const rest = state.backorder.lines.length
          ? `; still backordered: ${listed(state.backorder.lines)}`
          : '; nothing backordered any more';
        run.parts.view(part)!.stage = 'released_to_fulfillment';
        await run.noteProgress(`backordered part ${part.id} reserved at ${part.held.locationId} and released: ${listed(lines)}${rest}`);
        if (!run.backorderRejections) {
          shipping.push(ship(part));
          continue;
        }
        open++;
        shipping.push(shipUnlessRejected(run, part, ship, withdraw).finally(() => open--));
      }
      if (!run.backorderRejections) break;
      // Every unit is reserved: until the parts end, a rejected one backorders its units again.
      await run.waitUntil(() => open === 0 || !!state.backorder?.lines.length);
      if (!state.backorder?.lines.length) break;
    }
  } catch (error) {
    stopped = { error };
  }
  // A cancellation waits for the parts already shipping to stop, as fulfilByCarrier does.
  const settled = await Promise.allSettled(shipping);
  if (stopped) throw stopped.error;
  const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}

// A part filled from the backorder, until its location picks it (then shipped as any part) or rejects it:
// its reservation is given back (the location's stock corrected as the reason says, as for any
// rejection), the part is gone, and its units are backordered again.
async function shipUnlessRejected(
  run: OrderRun,
  part: PartRun,
  ship: (part: PartRun) => Promise<void>,
  withdraw: () => void,
): Promise<void> {
  const { intents, state } = run;
  const rejected = () => intents.rejection?.part === part.id;
  await run.waitUntil(() => run.parts.reachedAtLeast(part, 'picked') || rejected(), {
    sla: { stage: 'picked', ms: run.settings.slaMs.picked },
  });
  if (!rejected() || run.parts.reachedAtLeast(part, 'picked')) return ship(part);
  const refused = intents.rejection!;
  await run.step('reject_allocation', () => run.acts.rejectAllocation(run.order, part.held, refused, `backorder:${part.id}`), {
    cancellable: false,
  });
  withdraw();
  intents.rejection = undefined;
  run.parts.remove(part);
  const lines = part.held.lines!;
  const backorder = state.backorder ?? { lines: [], since: run.now(), filledParts: 1 };
  state.backorder = { ...backorder, lines: withUnits(backorder.lines, lines), filledParts: backorder.filledParts - 1 };
  state.rejections = [
    ...(state.rejections ?? []),
    {
      locationId: part.held.locationId,
      reason: refused.reason,
      ...(refused.skus && { skus: refused.skus }),
      ...(refused.note && { note: refused.note }),
      at: run.now(),
      part: part.id,
    },
  ];
  await run.noteProgress(
    `${part.held.locationId} rejected backordered part ${part.id} (${refused.reason}): ${listed(lines)} backordered again; still backordered: ${listed(state.backorder.lines)}`,
  );
}
