import { toOrder, totalsOf, type Order, type OrderInput } from '../../domain/order';
import { describeChanges, editContentOf, orderChanges, withEdit } from '../../domain/order-edit';
import { parsedOrder } from '../support/fixtures';

const order = (input: OrderInput): Order => toOrder(input, '2026-11-29T09:00:00.000Z');
const captured = order(
  parsedOrder({
    lines: [
      { sku: 'MUG-1', quantity: 2 },
      { sku: 'TEE-M', quantity: 1 },
    ],
    billingAddress: { line1: 'Unter den Linden 5', city: 'Berlin', postalCode: '10117', country: 'DE' },
    notes: 'leave with the neighbour',
  }),
);
// The channel's copy: the captured order with some fields replaced, totals recomputed.
const copy = (change: Partial<OrderInput>): Order => {
  const input = { ...captured, ...change };
  return { ...input, totals: totalsOf(input) };
};

test('the same order, even with its address keys in another order, has no changes', () => {
  const reordered = copy({
    shippingAddress: Object.fromEntries(Object.entries(captured.shippingAddress).reverse()) as Order['shippingAddress'],
  });
  expect(orderChanges(captured, withEdit(captured, editContentOf(reordered)))).toEqual({ descriptions: [], lines: [] });
});

test('address, contact and line changes are each named, and the quantity changes are listed for the reservation', () => {
  const edited = copy({
    shippingAddress: { ...captured.shippingAddress, line1: 'Karl-Marx-Allee 90' },
    customer: { ...captured.customer, phone: '+49 30 999' },
    lines: [
      { sku: 'MUG-1', quantity: 3, unitPrice: 1999, discount: 0, tax: 0 },
      { sku: 'CAP-2', quantity: 1, unitPrice: 990, discount: 0, tax: 0 },
    ],
  });
  const changes = orderChanges(captured, withEdit(captured, editContentOf(edited)));
  expect(describeChanges(changes)).toBe(
    `shipping address changed; contact changed; line MUG-1 2 -> 3; line CAP-2 added (1); line TEE-M removed (1); total ${captured.totals.total} -> ${edited.totals.total}`,
  );
  expect(changes.lines).toEqual([
    { sku: 'MUG-1', from: 2, to: 3 },
    { sku: 'CAP-2', from: 0, to: 1 },
    { sku: 'TEE-M', from: 1, to: 0 },
  ]);
});

test('a price change alone moves no stock', () => {
  const edited = copy({ lines: captured.lines.map((l) => (l.sku === 'TEE-M' ? { ...l, unitPrice: 1500 } : l)) });
  const changes = orderChanges(captured, withEdit(captured, editContentOf(edited)));
  expect(changes.lines).toEqual([]);
  expect(changes.descriptions[0]).toBe('line TEE-M price changed');
});

test('an edit takes contact, addresses and lines, drops a billing address the channel no longer has, and keeps the rest as captured', () => {
  const { billingAddress: _gone, ...withoutBilling } = copy({ notes: 'changed at the channel', tags: ['x'] });
  const edited = withEdit(captured, editContentOf(withoutBilling as Order));
  expect(edited).not.toHaveProperty('billingAddress');
  expect(edited.notes).toBe('leave with the neighbour');
  expect(edited.payment).toEqual(captured.payment);
  expect(edited.id).toBe(captured.id);
  expect(orderChanges(captured, edited).descriptions).toEqual(['billing address changed']);
});
