import { backordersApply, fillAt, lineAllowsBackorder, withUnits, withoutUnits } from '../../domain/backorder';
import { chooseOffers } from '../../domain/stock';
import { parsedOrder } from '../support/fixtures';

describe('which lines may be backordered', () => {
  test('a line says so itself, or the order does (allowBackorder, or type "backorder"); the line wins', () => {
    expect(lineAllowsBackorder({ type: 'standard' }, {})).toBe(false);
    expect(lineAllowsBackorder({ type: 'backorder' }, {})).toBe(true);
    expect(lineAllowsBackorder({ type: 'backorder' }, { allowBackorder: false })).toBe(false);
    expect(lineAllowsBackorder({ type: 'standard', allowBackorder: true }, {})).toBe(true);
    expect(lineAllowsBackorder({ type: 'standard' }, { allowBackorder: true })).toBe(true);
  });

  test('an order ships in parts for its backorders only when it may ship in parts and is not a pickup', () => {
    const lines = [{ sku: 'A', quantity: 2 }];
    expect(backordersApply(parsedOrder({ lines, allowBackorder: true }))).toBe(true);
    expect(backordersApply(parsedOrder({ lines }))).toBe(false);
    expect(backordersApply(parsedOrder({ lines, allowBackorder: true, fulfillment: { method: 'ship', allowSplit: false } }))).toBe(false);
    expect(backordersApply(parsedOrder({ lines, allowBackorder: true, fulfillment: { method: 'pickup', pickupLocationId: 'S1' } }))).toBe(
      false,
    );
  });
});

describe('what one location ships now and what stays backordered', () => {
  const stock = (levels: Record<string, number>) => (sku: string) => levels[sku] ?? 0;

  test('16 wanted with 12 there: 12 now, 4 later', () => {
    expect(fillAt([{ sku: 'BOOT', quantity: 16, backorder: true }], stock({ BOOT: 12 }))).toEqual({
      now: [{ sku: 'BOOT', quantity: 12 }],
      later: [{ sku: 'BOOT', quantity: 4 }],
    });
  });

  test('a line that may not be backordered ships whole or keeps the location from shipping anything', () => {
    const wanted = [
      { sku: 'BOOT', quantity: 16, backorder: true },
      { sku: 'LACE', quantity: 2, backorder: false },
    ];
    expect(fillAt(wanted, stock({ BOOT: 5, LACE: 2 }))).toEqual({
      now: [
        { sku: 'BOOT', quantity: 5 },
        { sku: 'LACE', quantity: 2 },
      ],
      later: [{ sku: 'BOOT', quantity: 11 }],
    });
    expect(fillAt(wanted, stock({ BOOT: 5, LACE: 1 }))).toBeUndefined();
  });

  test('a location with nothing of the lines ships nothing; negative availability counts as none', () => {
    expect(fillAt([{ sku: 'BOOT', quantity: 3, backorder: true }], stock({ BOOT: -2 }))).toBeUndefined();
  });

  test('units taken off lines drop the lines they empty', () => {
    expect(
      withoutUnits(
        [
          { sku: 'A', quantity: 4 },
          { sku: 'B', quantity: 1 },
        ],
        [{ sku: 'B', quantity: 1 }],
      ),
    ).toEqual([{ sku: 'A', quantity: 4 }]);
  });

  test("a rejected part's units are added back to what is still backordered, new skus after the others", () => {
    expect(
      withUnits(
        [{ sku: 'A', quantity: 1 }],
        [
          { sku: 'B', quantity: 2 },
          { sku: 'A', quantity: 3 },
        ],
      ),
    ).toEqual([
      { sku: 'A', quantity: 4 },
      { sku: 'B', quantity: 2 },
    ]);
    expect(withUnits([], [{ sku: 'A', quantity: 2 }])).toEqual([{ sku: 'A', quantity: 2 }]);
  });
});

describe('freed stock offered to backorders', () => {
  test('a backorder is offered what arrives however little; a whole order waits for all it needs, and the stock goes on in line', () => {
    const waiters = [
      { orderId: 'whole', since: '2026-01-01T00:00:00Z', lines: [{ sku: 'BOOT', quantity: 4 }] },
      { orderId: 'backorder', since: '2026-01-02T00:00:00Z', lines: [{ sku: 'BOOT', quantity: 4 }], partial: true },
      { orderId: 'later', since: '2026-01-03T00:00:00Z', lines: [{ sku: 'BOOT', quantity: 1 }] },
    ];
    // 2 arrive: the first in line needs 4 and is passed over; the backorder takes both.
    expect(chooseOffers(waiters, { BOOT: 2 })).toEqual(['backorder']);
    // 9 arrive: 4 for the first, 4 for the backorder, 1 for the last.
    expect(chooseOffers(waiters, { BOOT: 9 })).toEqual(['whole', 'backorder', 'later']);
    // 6 arrive: the backorder takes the 2 left after the first; nothing is left for the last.
    expect(chooseOffers(waiters, { BOOT: 6 })).toEqual(['whole', 'backorder']);
  });
});
