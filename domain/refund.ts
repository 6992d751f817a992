import type { ReturnPolicy } from './returns';

// Kept free of zod (types only from ./returns): the return workflow runs this, and a library in the
// workflow bundle is held once per cached workflow (zod there cost the worker about 3 MB per order).

// What is refunded for the returned lines, in minor units: their price less their share of the line's
// discount, plus their tax, less the restocking fee on the goods; shipping when the policy says so and
// the whole order is back. Never more than what was captured less earlier refunds.
export function refundFor(
  policy: Pick<ReturnPolicy, 'restockingFeeBasisPoints' | 'refundShipping'>,
  order: {
    lines: { sku: string; quantity: number; unitPrice: number; discount: number; tax: number }[];
    shipping: { amount: number; tax: number };
    captured: number;
    refunded: number;
  },
  returned: { sku: string; quantity: number }[],
  wholeOrderBack: boolean,
): { goods: number; tax: number; shipping: number; restockingFee: number; total: number } {
  let goods = 0;
  let tax = 0;
  for (const r of returned) {
    const line = order.lines.find((l) => l.sku === r.sku);
    if (!line) throw new RangeError(`${r.sku} is not on the order`);
    // Pro rata, rounded down per line so that returning every unit one by one never exceeds the line.
    goods += Math.floor(((line.quantity * line.unitPrice - line.discount) * r.quantity) / line.quantity);
    tax += Math.floor((line.tax * r.quantity) / line.quantity);
  }
  const restockingFee = Math.round((goods * policy.restockingFeeBasisPoints) / 10_000);
  const shipping = policy.refundShipping === 'whole_order' && wholeOrderBack ? order.shipping.amount + order.shipping.tax : 0;
  const total = Math.max(0, Math.min(goods + tax + shipping - restockingFee, order.captured - order.refunded));
  return { goods, tax, shipping, restockingFee, total };
}
