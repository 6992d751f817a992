import { NO_PROMISE_REASON, nextAvailableDate, promiseDates, type InboundLot } from '../../domain/promise';
import type { StockWaiter } from '../../domain/stock';

const today = '2026-03-01';
const waiter = (orderId: string, since: string, lines: [string, number][], expedite = false): StockWaiter => ({
  orderId,
  since: `2026-02-${since}T00:00:00.000Z`,
  lines: lines.map(([sku, quantity]) => ({ sku, quantity })),
  ...(expedite && { expedite }),
});
const lot = (sku: string, quantity: number, expectedDate: string, purchaseOrderId: string): InboundLot => ({
  sku,
  quantity,
  expectedDate,
  purchaseOrderId,
});
const datesOf = (input: Parameters<typeof promiseDates>[0]) => Object.fromEntries(promiseDates(input).map((p) => [p.orderId, p.date]));

describe('promise dates', () => {
  it('an order bigger than any single lot is promised the date the lots together cover it, with both named', () => {
    const [p] = promiseDates({
      today,
      availableNow: { MUG: 2 },
      inbound: [lot('MUG', 3, '2026-03-05', 'PO-1'), lot('MUG', 4, '2026-03-09', 'PO-2')],
      waiting: [waiter('A', '01', [['MUG', 8]])],
    });
    expect(p).toEqual({
      orderId: 'A',
      date: '2026-03-09',
      basis: [
        { sku: 'MUG', from: 'stock', expectedDate: today, quantity: 2 },
        { sku: 'MUG', from: 'PO-1', expectedDate: '2026-03-05', quantity: 3 },
        { sku: 'MUG', from: 'PO-2', expectedDate: '2026-03-09', quantity: 3 },
      ],
    });
  });

  it('several lots are consumed in line order: the first in line takes the earliest units', () => {
    expect(
      datesOf({
        today,
        availableNow: {},
        inbound: [lot('MUG', 3, '2026-03-05', 'PO-1'), lot('MUG', 3, '2026-03-09', 'PO-2'), lot('MUG', 3, '2026-03-20', 'PO-3')],
        waiting: [waiter('B', '02', [['MUG', 3]]), waiter('A', '01', [['MUG', 3]]), waiter('C', '03', [['MUG', 3]])],
      }),
    ).toEqual({ A: '2026-03-05', B: '2026-03-09', C: '2026-03-20' });
  });

  it('an order the supply on a date does not cover is passed over there, as the stock offers pass it over', () => {
    // 3 arrive on the 5th: A (5) cannot take them, B (2) can; A is covered once PO-2 arrives.
    expect(
      datesOf({
        today,
        availableNow: {},
        inbound: [lot('MUG', 3, '2026-03-05', 'PO-1'), lot('MUG', 10, '2026-03-09', 'PO-2')],
        waiting: [waiter('A', '01', [['MUG', 5]]), waiter('B', '02', [['MUG', 2]]), waiter('C', '03', [['MUG', 4]])],
      }),
    ).toEqual({ A: '2026-03-09', B: '2026-03-05', C: '2026-03-09' });
  });

  it('a multi-line order is promised when its last line is covered, and takes nothing until then', () => {
    const promises = promiseDates({
      today,
      availableNow: { MUG: 1 },
      inbound: [lot('CAP', 2, '2026-03-07', 'PO-7'), lot('MUG', 1, '2026-03-03', 'PO-3')],
      waiting: [
        waiter('A', '01', [
          ['MUG', 1],
          ['CAP', 2],
        ]),
        waiter('B', '02', [['MUG', 1]]),
        waiter('C', '03', [['MUG', 1]]),
      ],
    });
    // A is not covered before the 7th, so the mug in stock goes to B today and PO-3's to C on the 3rd;
    // A then has no mug left on the 7th: nothing covers it.
    expect(Object.fromEntries(promises.map((p) => [p.orderId, p.date]))).toEqual({ A: null, B: today, C: '2026-03-03' });
    expect(promises[0]).toEqual({ orderId: 'A', date: null, reason: NO_PROMISE_REASON, basis: [] });
  });

  it('a multi-line order covered by every lot at once is promised the latest of its lines', () => {
    const [a] = promiseDates({
      today,
      availableNow: { MUG: 5 },
      inbound: [lot('CAP', 2, '2026-03-07', 'PO-7')],
      waiting: [
        waiter('A', '01', [
          ['MUG', 2],
          ['CAP', 2],
          ['MUG', 1],
        ]),
      ],
    });
    expect(a).toEqual({
      orderId: 'A',
      date: '2026-03-07',
      basis: [
        { sku: 'MUG', from: 'stock', expectedDate: today, quantity: 3 },
        { sku: 'CAP', from: 'PO-7', expectedDate: '2026-03-07', quantity: 2 },
      ],
    });
  });

  it('an expedited order goes first, however long the others waited', () => {
    expect(
      datesOf({
        today,
        availableNow: {},
        inbound: [lot('MUG', 2, '2026-03-05', 'PO-1'), lot('MUG', 2, '2026-03-09', 'PO-2')],
        waiting: [waiter('OLD', '01', [['MUG', 2]]), waiter('RUSH', '20', [['MUG', 2]], true)],
      }),
    ).toEqual({ RUSH: '2026-03-05', OLD: '2026-03-09' });
  });

  it('stock available now is promised today, and an overdue purchase order counts from today', () => {
    expect(
      datesOf({
        today,
        availableNow: { MUG: 1 },
        inbound: [lot('MUG', 1, '2026-02-20', 'PO-LATE')],
        waiting: [waiter('A', '01', [['MUG', 1]]), waiter('B', '02', [['MUG', 1]])],
      }),
    ).toEqual({ A: today, B: today });
  });

  it('an order nothing inbound covers gets no date, and the supply goes on to the next in line', () => {
    expect(
      datesOf({
        today,
        availableNow: { MUG: 0 },
        inbound: [lot('MUG', 3, '2026-03-05', 'PO-1')],
        waiting: [waiter('BIG', '01', [['MUG', 50]]), waiter('SMALL', '02', [['MUG', 3]]), waiter('NONE', '03', [['TEE', 1]])],
      }),
    ).toEqual({ BIG: null, SMALL: '2026-03-05', NONE: null });
  });
});

describe('the next buyer’s date (a sold-out listing’s restock date)', () => {
  const inbound = [lot('MUG', 3, '2026-03-05', 'PO-1'), lot('MUG', 10, '2026-03-20', 'PO-2'), lot('TEE', 50, '2026-03-02', 'PO-3')];

  it('is the first lot that arrives when nobody waits, and today when stock is there', () => {
    expect(nextAvailableDate({ today, sku: 'MUG', availableNow: 0, inbound, waiting: [] })).toBe('2026-03-05');
    expect(nextAvailableDate({ today, sku: 'MUG', availableNow: 1, inbound, waiting: [] })).toBe(today);
  });

  it('comes after the orders waiting for the sku, counting only their lines of it', () => {
    // A waits for 3 mugs (and a tee, which does not matter here): the next buyer gets PO-2's units.
    const waiting = [
      waiter('A', '01', [
        ['MUG', 3],
        ['TEE', 1],
      ]),
    ];
    expect(nextAvailableDate({ today, sku: 'MUG', availableNow: 0, inbound, waiting })).toBe('2026-03-20');
  });

  it('is null when nothing inbound is left for one more unit', () => {
    const waiting = [waiter('A', '01', [['MUG', 3]]), waiter('B', '02', [['MUG', 10]])];
    expect(nextAvailableDate({ today, sku: 'MUG', availableNow: 0, inbound, waiting })).toBeNull();
  });

  it('passes over an order the first lot cannot cover yet, as the stock offers do', () => {
    const waiting = [waiter('A', '01', [['MUG', 13]])];
    expect(nextAvailableDate({ today, sku: 'MUG', availableNow: 0, inbound, waiting })).toBe('2026-03-05');
  });
});
