import {
  activeClaims,
  claimedAhead,
  claimHeadroom,
  isPreOrder,
  releaseAtOf,
  releaseDateIsPast,
  withoutClaimed,
  type ClaimEvent,
} from '../../domain/preorder';
import { chooseOffers, type StockWaiter } from '../../domain/stock';

const claim = (seq: number, orderId: string, quantity: number): ClaimEvent => ({ kind: 'claim', seq, orderId, quantity, at: `t${seq}` });
const settled = (seq: number, orderId: string, reason: 'reserved' | 'cancelled' | 'refused' = 'reserved'): ClaimEvent => ({
  kind: 'settled',
  seq,
  orderId,
  reason,
  at: `t${seq}`,
});

describe('pre-order claims', () => {
  it('a claim holds units until its order reserves or ends, first claimed first', () => {
    const log = [claim(1, 'A', 3), claim(2, 'B', 2), settled(3, 'A'), claim(4, 'C', 4), claim(5, 'D', 1), settled(6, 'D', 'cancelled')];
    expect(activeClaims(log).map((c) => [c.orderId, c.quantity, c.seq])).toEqual([
      ['B', 2, 2],
      ['C', 4, 4],
    ]);
    // The log's order is its sequence, however it was read.
    expect(activeClaims([...log].reverse())).toEqual(activeClaims(log));
  });

  it('a claim reduced by cancelled units holds what is left in its place in line; a reduction never grows it', () => {
    const reduced = (seq: number, orderId: string, quantity: number): ClaimEvent => ({
      kind: 'reduced',
      seq,
      orderId,
      quantity,
      at: `t${seq}`,
    });
    const log = [claim(1, 'A', 3), claim(2, 'B', 2), reduced(3, 'A', 1), reduced(4, 'B', 5), reduced(5, 'C', 1)];
    expect(activeClaims(log).map((c) => [c.orderId, c.quantity, c.seq])).toEqual([
      ['A', 1, 1],
      ['B', 2, 2],
    ]);
    expect(activeClaims([...log, settled(6, 'A', 'reserved'), reduced(7, 'A', 0)]).map((c) => c.orderId)).toEqual(['B']);
  });

  it('pre-orders claim what purchase orders still expect, never more', () => {
    expect(claimHeadroom({ inbound: 10, available: 0, claimed: 0 })).toBe(10);
    expect(claimHeadroom({ inbound: 10, available: 0, claimed: 7 })).toBe(3);
    expect(claimHeadroom({ inbound: 10, available: 0, claimed: 10 })).toBe(0);
    // Free stock on hand is for anyone: it is not claimable (a normal order may take it at any moment).
    expect(claimHeadroom({ inbound: 0, available: 25, claimed: 0 })).toBe(0);
    expect(claimHeadroom({ inbound: 4, available: 25, claimed: 0 })).toBe(4);
  });

  it('units received for active claims still count for them until their pre-orders reserve: a receipt moves no headroom', () => {
    // 10 inbound, 6 claimed; 6 arrive and wait on hand for the claims, 4 still inbound.
    const before = claimHeadroom({ inbound: 10, available: 0, claimed: 6 });
    const afterReceipt = claimHeadroom({ inbound: 4, available: 6, claimed: 6 });
    // The pre-orders reserve: 6 off available, their claims settled.
    const afterReserve = claimHeadroom({ inbound: 4, available: 0, claimed: 0 });
    expect([before, afterReceipt, afterReserve]).toEqual([4, 4, 4]);
    // Units arriving beyond the claims are free stock, not headroom.
    expect(claimHeadroom({ inbound: 0, available: 9, claimed: 6 })).toBe(0);
  });

  it('a normal order leaves every active claim; a pre-order only those claimed before its own', () => {
    const claims = activeClaims([claim(1, 'P1', 3), claim(2, 'P2', 2), claim(3, 'P3', 5)]);
    expect(claimedAhead(claims, 'normal')).toBe(10);
    expect(claimedAhead(claims, 'P1')).toBe(0);
    expect(claimedAhead(claims, 'P2')).toBe(3);
    expect(claimedAhead(claims, 'P3')).toBe(5);
  });

  it('claimed units come off the locations in routing order, never below zero', () => {
    const balances = [
      { locationId: 'A', available: 2 },
      { locationId: 'B', available: 5 },
      { locationId: 'C', available: 0 },
    ];
    expect(withoutClaimed(balances, 4)).toEqual([
      { locationId: 'A', available: 0 },
      { locationId: 'B', available: 3 },
      { locationId: 'C', available: 0 },
    ]);
    expect(withoutClaimed(balances, 20).reduce((n, b) => n + b.available, 0)).toBe(0);
    expect(withoutClaimed(balances, 0)).toEqual(balances);
  });

  it('freed stock is offered to pre-orders holding claims first, in claim order, then to normal orders first come first served', () => {
    const waiter = (orderId: string, since: string, quantity: number, extra: Partial<StockWaiter> = {}): StockWaiter => ({
      orderId,
      since: `2026-03-01T0${since}:00:00Z`,
      lines: [{ sku: 'GAME', quantity }],
      ...extra,
    });
    const waiters = [
      waiter('normal-early', '1', 2),
      waiter('expedited', '2', 1, { expedite: true }),
      waiter('pre-2', '3', 2, { claim: 7 }),
      waiter('pre-1', '4', 3, { claim: 4 }),
    ];
    expect(chooseOffers(waiters, { GAME: 5 })).toEqual(['pre-1', 'pre-2']);
    expect(chooseOffers(waiters, { GAME: 6 })).toEqual(['pre-1', 'pre-2', 'expedited']);
    expect(chooseOffers(waiters, { GAME: 8 })).toEqual(['pre-1', 'pre-2', 'expedited', 'normal-early']);
  });
});

describe('release dates', () => {
  const now = new Date('2026-12-07T10:00:00Z');
  it('a date before today or a time before now is past; today is not', () => {
    expect(releaseDateIsPast('2026-12-06', now)).toBe(true);
    expect(releaseDateIsPast('2026-12-07', now)).toBe(false);
    expect(releaseDateIsPast('2026-12-07T09:59:59Z', now)).toBe(true);
    expect(releaseDateIsPast('2026-12-07T12:00:00+01:00', now)).toBe(false);
  });

  it('an order is released on the latest release date of its pre-order lines', () => {
    const line = (sku: string, releaseAt?: string) => ({
      sku,
      quantity: 1,
      unitPrice: 100,
      discount: 0,
      tax: 0,
      ...(releaseAt && { preorder: { releaseAt } }),
    });
    const order = { type: 'standard' as const, lines: [line('A', '2027-01-10'), line('B'), line('C', '2027-01-12T08:00:00Z')] };
    expect(releaseAtOf(order)).toBe('2027-01-12T08:00:00.000Z');
    expect(isPreOrder(order)).toBe(true);
    expect(releaseAtOf({ lines: [line('B')] })).toBeUndefined();
    expect(isPreOrder({ type: 'standard', lines: [line('B')] })).toBe(false);
  });
});
