import type { Order } from './order';

// Pre-orders: lines sold before the goods exist, released to the warehouse on a release date. No I/O and no
// zod (the order workflow imports this file).
//
// Each pre-order takes a claim on the stock its purchase orders still expect, per sku, first come first
// served: the claims are a log per sku (store/preorder-claims.ts), decided one after the other. A claim is
// active from the order's capture until the order reserves its stock (settled: 'reserved') or is cancelled
// (settled: 'cancelled'). While active it holds its units against every normal order, and against every
// pre-order that claimed after it.

/** A release date as given: a calendar date (released at 00:00 UTC that day) or an ISO date-time. */
export const isCalendarDate = (value: string) => /^\d{4}-\d{2}-\d{2}$/.test(value);

/** The instant a release date means, in ms since the epoch (NaN when it is not a date). */
export function releaseInstant(value: string): number {
  return Date.parse(isCalendarDate(value) ? `${value}T00:00:00Z` : value);
}

/**
 * Whether a release date has passed: a calendar date before today (UTC), a date-time before now. Today's
 * date is not past: it releases at once.
 */
export function releaseDateIsPast(value: string, now: Date): boolean {
  if (isCalendarDate(value)) return value < now.toISOString().slice(0, 10);
  return releaseInstant(value) < now.getTime();
}

/** The line's release date, normalised to an ISO date-time in UTC. */
export const normalisedReleaseAt = (value: string) => new Date(releaseInstant(value)).toISOString();

type Lines = Pick<Order, 'lines'>;

/** The lines sold as pre-orders. */
export const preorderLines = (order: Lines) => order.lines.filter((l) => l.preorder !== undefined);

export const isPreOrder = (order: Pick<Order, 'type' | 'lines'>) => order.type === 'pre_order' || preorderLines(order).length > 0;

/** When the order may go to the warehouse: the latest release date of its pre-order lines (one shipment). */
export function releaseAtOf(order: Lines): string | undefined {
  const times = preorderLines(order).map((l) => releaseInstant(l.preorder!.releaseAt));
  return times.length ? new Date(Math.max(...times)).toISOString() : undefined;
}

// ---- claims ----

// reduced: the order's claim now holds at most `quantity` (units of its line cancelled before it reserved);
// it keeps its place in line.
export type ClaimEvent =
  | { kind: 'claim'; seq: number; orderId: string; quantity: number; at: string }
  | { kind: 'reduced'; seq: number; orderId: string; quantity: number; at: string }
  | { kind: 'settled'; seq: number; orderId: string; reason: 'reserved' | 'cancelled' | 'refused'; at: string };

/** A claim still holding units: its order has neither reserved its stock nor ended. */
export interface ActiveClaim {
  orderId: string;
  quantity: number;
  seq: number; // its place in line
  at: string;
}

/** The active claims of a sku's log, first claimed first. */
export function activeClaims(log: readonly ClaimEvent[]): ActiveClaim[] {
  const active = new Map<string, ActiveClaim>();
  for (const e of [...log].sort((a, b) => a.seq - b.seq)) {
    if (e.kind === 'claim') active.set(e.orderId, { orderId: e.orderId, quantity: e.quantity, seq: e.seq, at: e.at });
    else if (e.kind === 'reduced') {
      const claim = active.get(e.orderId);
      if (claim) active.set(e.orderId, { ...claim, quantity: Math.min(claim.quantity, e.quantity) });
    } else active.delete(e.orderId);
  }
  return [...active.values()];
}

export const claimedTotal = (claims: readonly ActiveClaim[]) => claims.reduce((n, c) => n + c.quantity, 0);

/**
 * How many more units pre-orders may claim: what open purchase orders still expect, plus the units on hand
 * that already arrived for active claims (received, not yet reserved by their pre-orders), less what is
 * claimed. Free stock on hand is not claimable: normal orders may take it at any moment.
 */
export function claimHeadroom(s: { inbound: number; available: number; claimed: number }): number {
  const arrivedForClaims = Math.min(Math.max(0, s.available), s.claimed);
  return Math.max(0, s.inbound + arrivedForClaims - s.claimed);
}

/**
 * The units an order must leave to pre-orders ahead of it: a normal order leaves every active claim, a
 * pre-order those claimed before its own. (Its own claim is what it is allowed to take.)
 */
export function claimedAhead(claims: readonly ActiveClaim[], orderId: string): number {
  const own = claims.find((c) => c.orderId === orderId);
  return claimedTotal(claims.filter((c) => c.orderId !== orderId && (!own || c.seq < own.seq)));
}

/**
 * Per-location availability with `held` units taken out for others (claims are per sku, not per location):
 * taken from the locations in the order given, so the total available drops by `held` (never below 0).
 */
export function withoutClaimed<T extends { available: number }>(balances: readonly T[], held: number): T[] {
  let left = held;
  return balances.map((b) => {
    const take = Math.min(left, Math.max(0, b.available));
    left -= take;
    return take ? { ...b, available: b.available - take } : b;
  });
}
