import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Order } from '../domain/order';
import { paymentProviderOf } from '../domain/order-state';
import type { OrderState } from '../domain/order-state';
import { stepKey } from '../domain/ids';
import type { Allocations, AllocationLine, ReserveResult } from '../store/allocations';
import type { LocationCapacityLedger } from '../store/capacity';
import type { Items, Locations } from '../store/catalog';
import type { OrdersView } from '../store/orders';
import type { StockLedger } from '../store/stock-ledger';
import type { RoutingSetup } from '../store/routing';
import type { CustomerNotifications, NotificationKind } from '../store/notifications';
import type { OutboundWebhooks } from '../store/outbound-webhooks';
import { statusEventOf } from '../domain/outbound-webhooks';
import type { RefundLedger } from '../store/refunds';
import { routeOrder, routingOrderOf, type AvailableStock, type RoutingExplanation, type RoutingPart } from '../domain/routing';
import type { PaymentOutcome, PaymentProviders } from '../connectors/payments/types';
import type { Logger } from '../domain/logger';
import { describeLines as describe, fillAt, lineAllowsBackorder, withoutUnits, type BackorderLine } from '../domain/backorder';
import { claimedAhead, preorderLines, withoutClaimed } from '../domain/preorder';
import type { PreorderClaims } from '../store/preorder-claims';
import { stockedLines } from '../domain/drop-ship';

export interface OrderActivityDeps {
  orders: Pick<OrdersView, 'project'>;
  items: Pick<Items, 'missing'>;
  locations: Pick<Locations, 'list'>;
  allocations: Pick<
    Allocations,
    'abandon' | 'decideShort' | 'releaseAll' | 'releaseEverythingOf' | 'releaseSome' | 'reserveAll' | 'shipAll' | 'started'
  >;
  ledger: Pick<StockLedger, 'apply' | 'balance' | 'balancesForSku' | 'findByIdempotencyKey'>;
  routing: Pick<RoutingSetup, 'inputFor'>;
  capacity: Pick<LocationCapacityLedger, 'usedToday' | 'claim' | 'release'>;
  notifications: Pick<CustomerNotifications, 'queue'>;
  outboundWebhooks: Pick<OutboundWebhooks, 'recordEvent'>;
  payments: PaymentProviders;
  refunds: Pick<RefundLedger, 'claim'>;
  preorderClaims: Pick<PreorderClaims, 'active' | 'settle' | 'reduce'>;
  log: Logger;
}

// The money for cancelled lines: voided from the authorisation, refunded from the capture, or nothing to do.
export interface LinesMoney {
  kind: 'voided' | 'refunded' | 'none';
  amount: number;
  reference?: string;
}

export type ReserveOutcome =
  | { reserved: true; reservationId: string; locationId: string; routing: RoutingExplanation }
  | { reserved: false; shortfall?: { sku: string; requested: number; available: number }; tried: string[]; routing: RoutingExplanation }
  // No single location can fill the order and the rules split it: the workflow reserves each part
  // (reservePart), so the plan is kept in its history and a retry follows the same one.
  | { reserved: false; split: RoutingPart[]; tried: string[]; routing: RoutingExplanation };

// What a backordered order can reserve now: a part at one location, and the units that stay backordered.
export interface BackorderPlan {
  part?: RoutingPart;
  later: BackorderLine[];
  summary: string;
}

const ACTOR = 'order-workflow';

// Stock an order holds at one location: the whole order, or (with lines) one part of a split order.
export interface HeldStock {
  reservationId: string;
  locationId: string;
  lines?: AllocationLine[];
}

const unitsOf = (lines: AllocationLine[]) => lines.reduce((n, l) => n + l.quantity, 0);

// Drop-shipped lines never touch the ledger: a whole-order reservation holds the stocked lines.
const linesOf = (order: Order, held: HeldStock): AllocationLine[] =>
  held.lines ?? stockedLines(order.lines).map((l) => ({ sku: l.sku, quantity: l.quantity }));

// Which attempt of the current activity this is (1 outside an activity, e.g. in tests).
function activityAttempt(): number {
  try {
    return Context.current().info.attempt;
  } catch {
    return 1;
  }
}

// The first line the best-stocked location cannot fill, for the order's awaiting_stock note.
function shortfallOf(lines: AllocationLine[], stock: AvailableStock): { sku: string; requested: number; available: number } | undefined {
  for (const line of lines) {
    const best = Math.max(0, ...Object.values(stock[line.sku] ?? {}));
    if (best < line.quantity) return { sku: line.sku, requested: line.quantity, available: best };
  }
  return undefined;
}

const units = (lines: BackorderLine[]) => lines.reduce((n, l) => n + l.quantity, 0);

export function createOrderActivities(deps: OrderActivityDeps) {
  const provider = (order: Order) => {
    const p = deps.payments[paymentProviderOf(order)];
    // A provider that does not exist will not appear by retrying.
    if (!p)
      throw ApplicationFailure.nonRetryable(`No payment provider "${paymentProviderOf(order)}" is configured`, 'UnknownPaymentProvider');
    return p;
  };
  // Gives back the capacity these reservations claimed. Without a location that declares a capacity there
  // is nothing to give back, and no lookup is made (the list of locations is cached).
  const releaseCapacity = async (...reservationIds: string[]) => {
    if (!(await deps.locations.list()).some((l) => l.capacity)) return;
    for (const reservationId of reservationIds) await deps.capacity.release(reservationId);
  };
  // When an authorisation the provider gave now lapses (providers whose authorisations do).
  const withExpiry = (order: Order, outcome: PaymentOutcome): PaymentOutcome => {
    const validity = provider(order).authorizationValidityMs;
    if (outcome.status !== 'authorized' || !validity || outcome.expiresAt) return outcome;
    return { ...outcome, expiresAt: new Date(Date.now() + validity).toISOString() };
  };
  // Stock as an order may take it: less what active pre-order claims ahead of it hold (a normal order is
  // behind every claim, a pre-order behind those claimed before its own).
  const claimAwareLedger = (order: Order): Pick<StockLedger, 'balancesForSku'> => ({
    async balancesForSku(sku: string) {
      const [balances, claims] = await Promise.all([deps.ledger.balancesForSku(sku), deps.preorderClaims.active(sku)]);
      return claims.length ? withoutClaimed(balances, claimedAhead(claims, order.id)) : balances;
    },
  });
  const paymentRequest = (order: Order, step: string) => ({
    orderId: order.id,
    amount: order.totals.total,
    currency: order.currency,
    idempotencyKey: stepKey(order.id, step),
  });

  return {
    // Project the workflow's state into the `orders` view (older versions are ignored).
    async recordOrderState(order: Order, state: OrderState): Promise<void> {
      await deps.orders.project(order, state);
      // Outbound webhooks: the latest status change, recorded once (a repeated projection finds it there).
      const event = statusEventOf(
        'order.status_changed',
        { id: state.orderId, orderId: state.orderId, history: state.history },
        {
          channel: order.channel,
          channelOrderId: order.channelOrderId,
        },
      );
      if (event) await deps.outboundWebhooks.recordEvent(event);
    },

    // Rules that need stored facts: every sku must be in the catalogue. An order naming a sku Orderhub does
    // not know yet (a channel's new product) is not refused: the step fails, the order waits in
    // needs_attention naming the skus, and a retry once they are created or imported carries on.
    async validateOrder(order: Order): Promise<void> {
      const missing = await deps.items.missing(order.lines.map((l) => l.sku));
      if (missing.length > 0) {
        const details = order.lines
          .map((l, i) => ({ path: `lines.${i}.sku`, message: `unknown sku ${l.sku}` }))
          .filter((p) => missing.some((sku) => p.message.endsWith(` ${sku}`)));
        throw ApplicationFailure.nonRetryable(
          `Unknown sku(s) ${missing.join(', ')}: create them (POST /items), then retry the order`,
          'UnknownSku',
          details,
        );
      }
    },

    async authorizePayment(order: Order): Promise<PaymentOutcome> {
      const outcome = await provider(order).authorize({
        ...paymentRequest(order, 'payment:authorize'),
        alreadyPaid: order.payment.alreadyPaid,
        ...(order.payment.reference !== undefined && { reference: order.payment.reference }),
      });
      deps.log.info('payment authorisation', { orderId: order.id, status: outcome.status });
      return withExpiry(order, outcome);
    },

    async confirmPayment(order: Order, reference?: string): Promise<PaymentOutcome> {
      return withExpiry(
        order,
        await provider(order).confirm({ ...paymentRequest(order, 'payment:confirm'), ...(reference !== undefined && { reference }) }),
      );
    },

    // A pre-order released after its authorisation lapsed is authorised again, under a key of its own, before
    // it goes to the warehouse (and is captured when it ships).
    async reauthorizePayment(order: Order): Promise<PaymentOutcome> {
      const outcome = await provider(order).authorize({ ...paymentRequest(order, 'payment:authorize:release'), alreadyPaid: false });
      deps.log.info('payment authorised again at release', { orderId: order.id, status: outcome.status });
      return withExpiry(order, outcome);
    },

    // A pre-order's claims on inbound stock stop holding units: it reserved its stock, or it ended. Once per
    // claim however often it is retried (a settled claim is not settled again).
    async settlePreorderClaims(order: Order, reason: 'reserved' | 'cancelled'): Promise<number> {
      let settled = 0;
      for (const line of preorderLines(order)) if (await deps.preorderClaims.settle(line.sku, order.id, reason)) settled++;
      return settled;
    },

    // Units of a pre-order's lines were cancelled: each of those skus' claim holds no more than what its line
    // still has (nothing when the line is gone), so the units go back to the next pre-order and to normal
    // orders. Setting the claim to what is left is idempotent: a retry gives nothing back twice.
    async reducePreorderClaims(order: Order, cancelled: { sku: string }[]): Promise<number> {
      let reduced = 0;
      for (const sku of new Set(cancelled.map((l) => l.sku))) {
        const left = order.lines.find((l) => l.sku === sku)?.quantity ?? 0;
        if (await deps.preorderClaims.reduce(sku, order.id, left)) reduced++;
      }
      return reduced;
    },

    // The whole order once, or (part) one part of a split order as it ships, each under its own key.
    async capturePayment(order: Order, part?: { id: string; amount: number }): Promise<PaymentOutcome> {
      if (!part) return provider(order).capture(paymentRequest(order, 'payment:capture'));
      return provider(order).capture({ ...paymentRequest(order, `payment:capture:part:${part.id}`), amount: part.amount });
    },

    // Give the money back the right way: void what was only authorised, refund what was taken. amount: what
    // is still authorised or captured less refunds (absent: the order's total, as orders before it did).
    // captured: the capture, when the order knows it; the refund is then granted by the refund ledger first,
    // so it is on record beside the refunds for cancelled lines and never exceeds the capture.
    async cancelPayment(
      order: Order,
      status: OrderState['payment']['status'],
      amount?: number,
      captured?: number,
    ): Promise<PaymentOutcome | undefined> {
      const request = (step: string) => ({ ...paymentRequest(order, step), ...(amount !== undefined && { amount }) });
      if (status === 'authorized' || status === 'pending') return provider(order).void(request('payment:void'));
      if (status !== 'captured') return undefined;
      if (captured === undefined) return provider(order).refund(request('payment:refund'));
      const { entry } = await deps.refunds.claim({
        orderId: order.id,
        idempotencyKey: stepKey(order.id, 'payment:refund'),
        wanted: amount ?? captured,
        captured,
        currency: order.currency,
        source: { kind: 'other', note: 'order cancelled' },
      });
      return provider(order).refund({ ...request('payment:refund'), amount: entry.amount });
    },

    // The money for lines cancelled by one command (commandId): voided from what is only authorised, or,
    // once captured, refunded through the refund ledger (which never grants beyond the capture less earlier
    // refunds, and grants once per key) and then paid back by the provider under a key of that grant.
    async settleCancelledLines(
      order: Order,
      args: { commandId: string; amount: number; captured: boolean; capturedAmount: number },
    ): Promise<LinesMoney> {
      if (args.amount <= 0) return { kind: 'none', amount: 0 };
      if (!args.captured) {
        const voided = await provider(order).void({
          ...paymentRequest(order, `payment:void:lines:${args.commandId}`),
          amount: args.amount,
        });
        return { kind: 'voided', amount: args.amount, reference: voided.reference };
      }
      const { entry } = await deps.refunds.claim({
        orderId: order.id,
        idempotencyKey: stepKey(order.id, `cancel_lines:${args.commandId}`),
        wanted: args.amount,
        captured: args.capturedAmount,
        currency: order.currency,
        source: { kind: 'cancel_lines', commandId: args.commandId },
      });
      if (entry.amount === 0) return { kind: 'none', amount: 0 };
      const refunded = await provider(order).refund({
        orderId: order.id,
        amount: entry.amount,
        currency: order.currency,
        idempotencyKey: stepKey(order.id, `payment:refund:${entry.seq}`), // the grant's sequence number on the order
      });
      deps.log.info('refund for cancelled lines', { orderId: order.id, amount: entry.amount, commandId: args.commandId });
      return { kind: 'refunded', amount: entry.amount, reference: refunded.reference };
    },

    // Reserve the whole order where the routing rules place it (domain/routing.ts), or report why it waits.
    // Reservation ids are per workflow attempt and location, the same for every activity attempt. A retry
    // may run beside its timed-out predecessor (which keeps going), so it first adopts whatever that one
    // reserved, and once it has decided it writes "rolled back" for every other location, so a straggler
    // that reserves there afterwards follows that decision and gives its units back.
    // Of an order mixing stocked and drop-shipped lines, the stocked lines (their suppliers ship the others).
    async reserveStock(sent: Order, attempt: number, excludedLocationIds: string[] = []): Promise<ReserveOutcome> {
      const order = { ...sent, lines: stockedLines(sent.lines) };
      const lines: AllocationLine[] = order.lines.map((l) => ({ sku: l.sku, quantity: l.quantity }));
      const retried = activityAttempt() > 1;
      const reservation = (locationId: string) => ({
        reservationId: stepKey(order.id, `alloc:${attempt}:${locationId}`),
        orderId: order.id,
        locationId,
        lines,
        actor: ACTOR,
      });
      const locations = retried ? await deps.locations.list() : [];
      const byEarlierAttempt = (r: { reservationId: string; locationId: string }): ReserveOutcome => ({
        ...r,
        reserved: true,
        routing: { summary: `Reserved at ${r.locationId} by an earlier attempt of this step`, steps: [] },
      });
      // Settle the other locations' reservation ids; returns a reservation an earlier attempt completed meanwhile.
      const settleOthers = async (kept: { reservationId: string; locationId: string } | undefined): Promise<ReserveResult | undefined> => {
        if (!retried) return undefined;
        for (const location of locations) {
          if (location.id === kept?.locationId) continue;
          const decided = await deps.allocations.decideShort(reservation(location.id));
          if (!decided.reserved) {
            // A straggler that claimed capacity there and reserved nothing gives the capacity back.
            await releaseCapacity(decided.reservationId);
            continue;
          }
          if (!kept) return decided;
          // A straggler won a second location: keep its reservation and give ours back.
          await deps.allocations.releaseAll({ ...reservation(kept.locationId), reason: 'allocation_superseded' });
          await releaseCapacity(kept.reservationId);
          return decided;
        }
        return undefined;
      };
      if (retried) {
        for (const location of locations) {
          if (!(await deps.allocations.started(reservation(location.id)))) continue;
          const adopted = await deps.allocations.reserveAll(reservation(location.id));
          if (adopted.reserved) {
            return byEarlierAttempt((await settleOthers(adopted)) ?? adopted);
          }
        }
      }
      const lostRaces: string[] = [...excludedLocationIds];
      const fullAt: string[] = []; // locations whose capacity another order took between routing and claiming
      let shortfall: { sku: string; requested: number; available: number } | undefined;
      // A location chosen on a snapshot of stock can be emptied by another order before we reserve there:
      // route again without it, a few times.
      for (let pass = 0; pass < 3; pass++) {
        const input = await deps.routing.inputFor(
          routingOrderOf(order),
          { ledger: claimAwareLedger(order), locations: deps.locations, capacity: deps.capacity },
          lostRaces,
        );
        const { decision, explanation } = routeOrder(input);
        const routing = explanation;
        if (decision.kind === 'single' || decision.kind === 'pickup') {
          const { reservationId } = reservation(decision.locationId);
          // Today's capacity there first (pickup orders go to their store whatever its capacity): another
          // order that took the rest since routing read it sends this one to be routed again.
          if (decision.kind === 'single') {
            const location = input.locations.find((l) => l.id === decision.locationId)!;
            const claim = await deps.capacity.claim({ reservationId, orderId: order.id, location, units: unitsOf(lines) });
            if (!claim.claimed) {
              fullAt.push(decision.locationId);
              continue;
            }
          }
          const result = await deps.allocations.reserveAll(reservation(decision.locationId));
          if (result.reserved) {
            const other = await settleOthers(result);
            return other ? byEarlierAttempt(other) : { ...result, routing };
          }
          await releaseCapacity(reservationId);
          lostRaces.push(decision.locationId);
          shortfall ??= result.shortfall;
          continue;
        }
        const other = await settleOthers(undefined);
        if (other) return byEarlierAttempt(other);
        if (decision.kind === 'split') return { reserved: false, split: decision.parts, tried: input.locations.map((l) => l.id), routing };
        shortfall ??= shortfallOf(lines, input.stock);
        return { reserved: false, tried: input.locations.map((l) => l.id), routing, ...(shortfall && { shortfall }) };
      }
      const other = await settleOthers(undefined);
      if (other) return byEarlierAttempt(other);
      return {
        reserved: false,
        tried: lostRaces,
        ...(shortfall && { shortfall }),
        routing: {
          summary: `Waiting: other orders took the ${fullAt.length ? "stock or today's capacity" : 'stock'} at ${[...new Set([...lostRaces, ...fullAt])].join(', ')} first`,
          steps: [],
        },
      };
    },

    // A location rejected its allocation: give the reservation back, then correct its stock as the reason
    // says (damaged: the order's units are written off; not_in_stock: what the ledger thought was available
    // there is not). Each adjustment once per rejection round, however often this is retried.
    async rejectAllocation(
      order: Order,
      allocation: HeldStock,
      rejection: { reason: 'not_in_stock' | 'damaged'; skus?: string[]; note?: string },
      round: number | string, // the order's routing round, or `backorder:<part>` for a part filled from the backorder
    ): Promise<void> {
      const lines = linesOf(order, allocation);
      await deps.allocations.releaseAll({
        reservationId: allocation.reservationId,
        locationId: allocation.locationId,
        orderId: order.id,
        lines,
        actor: 'location',
        reason: `allocation rejected: ${rejection.reason}`,
      });
      await releaseCapacity(allocation.reservationId);
      for (const line of lines.filter((l) => !rejection.skus || rejection.skus.includes(l.sku))) {
        const idempotencyKey = stepKey(order.id, `reject:${round}:${line.sku}`);
        if (await deps.ledger.findByIdempotencyKey(idempotencyKey)) continue;
        const { available } = await deps.ledger.balance(line.sku, allocation.locationId);
        const writeOff = rejection.reason === 'damaged' ? Math.min(line.quantity, available) : available;
        if (writeOff <= 0) continue;
        await deps.ledger.apply({
          sku: line.sku,
          locationId: allocation.locationId,
          type: 'adjustment',
          quantity: -writeOff,
          reason: rejection.reason === 'damaged' ? 'damaged' : 'lost',
          idempotencyKey,
          actor: 'location',
          reference: order.id,
          ...(rejection.note && { note: rejection.note }),
        });
      }
    },

    // Tell the customer, once per order, kind (and part of a split order, or n-th of its kind), through the
    // notifications outbox.
    async notifyCustomer(order: Order, kind: NotificationKind, details: Record<string, string>, part?: string, n?: number): Promise<void> {
      const { name, email, phone, language } = order.customer;
      await deps.notifications.queue({
        orderId: order.id,
        kind,
        ...(part !== undefined && { part }),
        ...(n !== undefined && { n }),
        channel: order.channel,
        to: { name, ...(email && { email }), ...(phone && { phone }), ...(language && { language }) },
        details,
      });
    },

    // One part of a split order, at the location the routing engine chose for it. The reservation id is
    // per reservation attempt and location, so a retry of this activity converges on the same outcome.
    // Today's capacity at the location is claimed first: a part it no longer fits is not reserved, and the
    // workflow routes the order again (the claim is given back when the stock falls short).
    // tag: a backordered part's own numbering (`backorder:<n>`), apart from the order's reservation attempts.
    async reservePart(order: Order, attempt: number, part: RoutingPart, tag?: string): Promise<ReserveResult> {
      const reservationId = stepKey(order.id, tag ? `alloc:${tag}:${part.locationId}` : `alloc:${attempt}:part:${part.locationId}`);
      const location = (await deps.locations.list()).find((l) => l.id === part.locationId);
      if (location) {
        const claim = await deps.capacity.claim({ reservationId, orderId: order.id, location, units: unitsOf(part.lines) });
        if (!claim.claimed) return { reserved: false, reservationId, locationId: part.locationId };
      }
      const result = await deps.allocations.reserveAll({
        reservationId,
        orderId: order.id,
        locationId: part.locationId,
        lines: part.lines,
        actor: ACTOR,
      });
      if (!result.reserved) await releaseCapacity(reservationId);
      return result;
    },

    // A backordered order: of the wanted lines (the whole order, or what is still backordered), what one
    // location can ship now, routed by the same rules as a whole order (the location must qualify for the
    // units it ships); the rest stays backordered. Reads only: the workflow reserves the part (reservePart)
    // so that the plan is kept in its history.
    async planBackorder(order: Order, wanted: BackorderLine[], excludedLocationIds: string[] = []): Promise<BackorderPlan> {
      const lines = wanted.map((w) => {
        const line = order.lines.find((l) => l.sku === w.sku);
        return { ...w, backorder: !!line && lineAllowsBackorder(order, line) };
      });
      const input = await deps.routing.inputFor(
        routingOrderOf({ ...order, lines: order.lines.filter((l) => wanted.some((w) => w.sku === l.sku)) }),
        { ledger: deps.ledger, locations: deps.locations, capacity: deps.capacity },
        excludedLocationIds,
      );
      const excluded = new Set(excludedLocationIds);
      const candidates = input.locations
        .filter((l) => l.active && l.ships && !excluded.has(l.id))
        .map((l) => ({ location: l, fill: fillAt(lines, (sku) => input.stock[sku]?.[l.id] ?? 0) }))
        .filter((c): c is { location: typeof c.location; fill: NonNullable<typeof c.fill> } => !!c.fill)
        .sort(
          (a, b) =>
            units(b.fill.now) - units(a.fill.now) || a.location.priority - b.location.priority || (a.location.id < b.location.id ? -1 : 1),
        );
      for (const { fill } of candidates.slice(0, 3)) {
        // The rules decide where these units ship from: a location they rule out (region, safety stock) does not.
        const { decision, explanation } = routeOrder({ ...input, order: { ...input.order, lines: fill.now, allowSplit: false } });
        if (decision.kind !== 'single') continue;
        const later = withoutUnits(wanted, fill.now);
        return {
          part: { locationId: decision.locationId, lines: fill.now },
          later,
          summary: `${explanation.summary}; backordered: ${describe(later)}`,
        };
      }
      return { later: wanted, summary: `Nothing of ${describe(wanted)} can ship now` };
    },

    // The reserve step failed past its retries and the order parks: whatever its attempts reserved (an
    // attempt that timed out may have reserved after all, or still be running) is given back, so a parked
    // order holds no stock. A retry starts a new reservation from scratch.
    async abandonReservation(order: Order, attempt: number): Promise<number> {
      const locations = await deps.locations.list();
      const reservationIds = locations.map((l) => ({ reservationId: stepKey(order.id, `alloc:${attempt}:${l.id}`), locationId: l.id }));
      const lines = stockedLines(order.lines).map((l) => ({ sku: l.sku, quantity: l.quantity }));
      const released = await deps.allocations.abandon({
        orderId: order.id,
        reservationIds,
        lines,
        actor: ACTOR,
        reason: 'reservation attempt abandoned: the order needs attention',
      });
      await releaseCapacity(...reservationIds.map((r) => r.reservationId));
      if (released.length)
        deps.log.info('abandoned reservation attempt gave stock back', { orderId: order.id, attempt, reservations: released.length });
      return released.length;
    },

    // The order is over (cancelled): give back everything any attempt of it still holds, including what a
    // timed-out attempt reserved that the workflow never heard of. Nothing is reserved for it afterwards.
    async releaseOrderStock(order: Order, reason: string): Promise<number> {
      const released = await deps.allocations.releaseEverythingOf(order.id, { actor: ACTOR, reason });
      await releaseCapacity(...released.map((r) => r.reservationId));
      if (released.length) deps.log.info('released stock an order still held', { orderId: order.id, reservations: released.length });
      return released.length;
    },

    async releaseStock(order: Order, allocation: HeldStock, reason: string): Promise<void> {
      await deps.allocations.releaseAll({
        reservationId: allocation.reservationId,
        locationId: allocation.locationId,
        orderId: order.id,
        lines: linesOf(order, allocation),
        actor: ACTOR,
        reason,
      });
      // Given back before it shipped: the location will not pick it today.
      await releaseCapacity(allocation.reservationId);
    },

    // Units cancelled before they shipped: given back from a reservation that stays open; n numbers this
    // reservation line's partial releases, so a retry gives nothing back twice.
    async releaseCancelledUnits(
      order: Order,
      allocation: HeldStock,
      lines: (AllocationLine & { n: number })[],
      reason: string,
    ): Promise<void> {
      await deps.allocations.releaseSome({
        reservationId: allocation.reservationId,
        locationId: allocation.locationId,
        orderId: order.id,
        lines,
        actor: ACTOR,
        reason,
      });
    },

    async shipStock(order: Order, allocation: HeldStock, trackingNumber: string): Promise<void> {
      await deps.allocations.shipAll({
        reservationId: allocation.reservationId,
        locationId: allocation.locationId,
        orderId: order.id,
        lines: linesOf(order, allocation),
        actor: ACTOR,
        reference: `${order.id} tracking ${trackingNumber}`,
      });
    },
  };
}

export type OrderActivities = ReturnType<typeof createOrderActivities>;
