import { lineCancelProblems, lineShare, partCapture, withLinesCancelled } from '../../domain/line-cancel';
import { toOrder, totalsOf } from '../../domain/order';
import { parsedOrder } from '../support/fixtures';

const order = toOrder(
  parsedOrder({
    lines: [
      { sku: 'MUG-1', quantity: 3, unitPrice: 1000 },
      { sku: 'CAP-2', quantity: 4, unitPrice: 2500 },
      { sku: 'TEE-3', quantity: 1, unitPrice: 1999 },
    ],
  }),
  '2026-01-01T00:00:00.000Z',
);
const priced = {
  ...order,
  lines: order.lines.map((l) => (l.sku === 'CAP-2' ? { ...l, discount: 1001, tax: 1901 } : l.sku === 'MUG-1' ? { ...l, tax: 570 } : l)),
  discounts: [{ code: 'WELCOME', amount: 700 }],
};
const pricedOrder = { ...priced, totals: totalsOf(priced) };

test('a request naming a sku not on the order, a sku twice and too many units is refused naming each line', () => {
  expect(
    lineCancelProblems('order:manual:1', order.lines, [
      { sku: 'NOPE', quantity: 1 },
      { sku: 'MUG-1', quantity: 4 },
      { sku: 'CAP-2', quantity: 1 },
      { sku: 'CAP-2', quantity: 1 },
    ]),
  ).toEqual([
    { path: 'lines.0.sku', message: 'NOPE is not on order order:manual:1' },
    { path: 'lines.1.quantity', message: '4 is more than is left of MUG-1: 3' },
    { path: 'lines.3.sku', message: 'repeats CAP-2: give each sku once' },
  ]);
});

test('cancelling every remaining unit points to cancelling the order instead', () => {
  const all = order.lines.map((l) => ({ sku: l.sku, quantity: l.quantity }));
  expect(lineCancelProblems('order:manual:1', order.lines, all)).toEqual([
    {
      path: 'lines',
      message: 'would cancel every remaining unit of order order:manual:1: cancel the order instead (POST /orders/order:manual:1/cancel)',
    },
  ]);
  expect(lineCancelProblems('order:manual:1', order.lines, all.slice(1))).toEqual([]);
});

test('the order loses exactly the money of the cancelled units: price less their share of the line discount, plus their tax', () => {
  const {
    order: after,
    lines,
    amount,
  } = withLinesCancelled(pricedOrder, [
    { sku: 'TEE-3', quantity: 1 },
    { sku: 'CAP-2', quantity: 3 },
  ]);
  // CAP-2: 3 of 4 units: (10000 - 1001) * 3 / 4 = 6749.25 -> 6749 goods, 1901 * 3 / 4 = 1425.75 -> 1425 tax
  expect(lines).toEqual([
    { sku: 'CAP-2', quantity: 3, amount: 6749 + 1425 },
    { sku: 'TEE-3', quantity: 1, amount: 1999 },
  ]);
  expect(amount).toBe(6749 + 1425 + 1999);
  expect(after.lines.map((l) => [l.sku, l.quantity])).toEqual([
    ['MUG-1', 3],
    ['CAP-2', 1],
  ]);
  expect(after.totals).toEqual(totalsOf(after));
  expect(after.totals.total).toBe(pricedOrder.totals.total - amount);
  // The last unit carries what is left of the line's discount and tax.
  const rest = withLinesCancelled(after, [{ sku: 'CAP-2', quantity: 1 }]);
  expect(rest.amount + amount - 1999).toBe(lineShare(pricedOrder.lines[1], 4).amount);
});

test("a split order's parts capture amounts that add up to the total, shipping and order discounts spread over them", () => {
  const parts = [
    [{ sku: 'MUG-1', quantity: 3 }],
    [
      { sku: 'CAP-2', quantity: 4 },
      { sku: 'TEE-3', quantity: 1 },
    ],
  ];
  const first = partCapture(pricedOrder, parts[1], { capturedSoFar: 0, last: false });
  const second = partCapture(pricedOrder, parts[0], { capturedSoFar: first, last: true });
  expect(first + second).toBe(pricedOrder.totals.total);
  const goods = (p: { sku: string; quantity: number }[]) =>
    p.reduce(
      (s, x) =>
        s +
        lineShare(
          pricedOrder.lines.find((l) => l.sku === x.sku)!,
          x.quantity,
        ).amount,
      0,
    );
  // Shipping 495 less the 700 discount: -205, spread in proportion to each part's goods.
  const orderLevel = pricedOrder.totals.total - goods(parts[0]) - goods(parts[1]);
  expect(orderLevel).toBe(495 - 700);
  expect(first).toBe(goods(parts[1]) + Math.trunc((orderLevel * goods(parts[1])) / (goods(parts[0]) + goods(parts[1]))));
});
