import { ValidationError } from '../../domain/errors';
import {
  checkReturnLines,
  decideReturn,
  DEFAULT_RETURN_POLICY,
  refundFor,
  returnPolicySchema,
  returnRequestSchema,
  type ReturnableOrder,
  type ReturnRequest,
} from '../../domain/returns';

const order: ReturnableOrder = {
  channel: 'shop',
  status: 'delivered',
  deliveredAt: '2026-11-01T10:00:00Z',
  lines: [
    { sku: 'TEE-M', quantity: 2 },
    { sku: 'MUG-1', quantity: 1 },
  ],
  alreadyReturned: { 'TEE-M': 1 },
};
const ask = (r: Partial<ReturnRequest> = {}): ReturnRequest =>
  returnRequestSchema.parse({ lines: [{ sku: 'TEE-M', quantity: 1 }], reason: 'damaged', resolution: 'refund', ...r });
const day = (n: number) => new Date(Date.parse('2026-11-01T10:00:00Z') + n * 86_400_000);

describe('return policy', () => {
  test('an empty policy takes the defaults: 30 days, every resolution, a carrier label, no fee', () => {
    expect(returnPolicySchema.parse({})).toEqual(DEFAULT_RETURN_POLICY);
    expect(DEFAULT_RETURN_POLICY).toMatchObject({ windowDays: 30, returnLabel: 'carrier', restockingFeeBasisPoints: 0 });
    expect(DEFAULT_RETURN_POLICY.resolutions).toEqual(['refund', 'exchange', 'store_credit']);
  });

  test('a policy that repeats a reason or resolution is refused naming where', () => {
    const r = returnPolicySchema.safeParse({
      reasons: [
        { code: 'damaged', label: 'a', approval: 'auto' },
        { code: 'damaged', label: 'b', approval: 'review' },
      ],
      resolutions: ['refund', 'refund'],
    });
    expect(r.success).toBe(false);
    expect(r.error!.issues.map((i) => i.path.join('.'))).toEqual(['reasons.1.code', 'resolutions']);
  });

  test('a request repeating a sku, or an exchange without what is wanted instead, is refused naming each', () => {
    const r = returnRequestSchema.safeParse({
      lines: [
        { sku: 'TEE-M', quantity: 1 },
        { sku: 'TEE-M', quantity: 1 },
      ],
      reason: 'wrong_size',
      resolution: 'exchange',
    });
    expect(r.error!.issues.map((i) => i.path.join('.'))).toEqual(['lines.1.sku', 'exchangeLines']);
  });

  test('lines that do not fit the order are named, each: unknown sku, more than received less earlier returns', () => {
    let thrown: unknown;
    try {
      checkReturnLines(
        order,
        ask({
          lines: [
            { sku: 'TEE-M', quantity: 2 },
            { sku: 'CAP-1', quantity: 1 },
          ],
        }),
      );
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(ValidationError);
    expect((thrown as ValidationError).problems).toEqual([
      { path: 'lines.0.quantity', message: '2 is more than can be returned: 2 received, 1 already in other returns' },
      { path: 'lines.1.sku', message: 'CAP-1 is not on this order' },
    ]);
    expect(() => checkReturnLines(order, ask({ lines: [{ sku: 'TEE-M', quantity: 1 }] }))).not.toThrow();
  });

  test('the policy decides, naming the rule: window per channel, non-returnable skus, resolutions, reasons', () => {
    const policy = returnPolicySchema.parse({
      windowDays: 30,
      channelWindowDays: { shop: 14 },
      nonReturnableSkus: ['MUG-1'],
      resolutions: ['refund', 'exchange'],
    });
    expect(decideReturn(policy, order, ask(), day(14))).toMatchObject({ outcome: 'approved', rule: 'reason_auto_approved' });
    expect(decideReturn(policy, order, ask(), day(15))).toMatchObject({ outcome: 'refused', rule: 'window_closed' });
    expect(decideReturn(policy, { ...order, channel: 'amazon' }, ask(), day(15)).outcome).toBe('approved');
    expect(decideReturn(policy, order, ask({ lines: [{ sku: 'MUG-1', quantity: 1 }] }), day(1))).toEqual({
      outcome: 'refused',
      rule: 'non_returnable',
      why: 'MUG-1 cannot be returned',
    });
    expect(decideReturn(policy, order, ask({ resolution: 'store_credit' }), day(1))).toMatchObject({
      outcome: 'refused',
      rule: 'resolution_not_offered',
    });
    expect(decideReturn(policy, order, ask({ reason: 'bored' }), day(1))).toMatchObject({ outcome: 'refused', rule: 'unknown_reason' });
    expect(decideReturn(policy, order, ask({ reason: 'not_as_described' }), day(1))).toMatchObject({
      outcome: 'review',
      rule: 'reason_needs_review',
    });
  });

  test('an order not delivered yet is refused unless the policy allows it', () => {
    const shipped: ReturnableOrder = { ...order, status: 'shipped', deliveredAt: undefined };
    expect(decideReturn(DEFAULT_RETURN_POLICY, shipped, ask(), day(1))).toMatchObject({ outcome: 'refused', rule: 'not_delivered' });
    expect(decideReturn({ ...DEFAULT_RETURN_POLICY, allowBeforeDelivery: true }, shipped, ask(), day(1)).outcome).toBe('approved');
  });
});

describe('refund for returned lines', () => {
  const paid = {
    lines: [
      { sku: 'TEE-M', quantity: 2, unitPrice: 2000, discount: 400, tax: 608 },
      { sku: 'MUG-1', quantity: 1, unitPrice: 1250, discount: 0, tax: 88 },
    ],
    shipping: { amount: 495, tax: 94 },
    captured: 2 * 2000 - 400 + 608 + 1250 + 88 + 495 + 94,
    refunded: 0,
  };

  test('price less the share of the discount, plus tax, less the restocking fee', () => {
    const policy = { ...DEFAULT_RETURN_POLICY, restockingFeeBasisPoints: 1000 };
    expect(refundFor(policy, paid, [{ sku: 'TEE-M', quantity: 1 }], false)).toEqual({
      goods: 1800,
      tax: 304,
      shipping: 0,
      restockingFee: 180,
      total: 1800 + 304 - 180,
    });
  });

  test('shipping comes back only with the whole order, when the policy says so', () => {
    const policy = { ...DEFAULT_RETURN_POLICY, refundShipping: 'whole_order' as const };
    const all = [
      { sku: 'TEE-M', quantity: 2 },
      { sku: 'MUG-1', quantity: 1 },
    ];
    expect(refundFor(policy, paid, all, true)).toMatchObject({ shipping: 589, total: paid.captured });
    expect(refundFor(DEFAULT_RETURN_POLICY, paid, all, true)).toMatchObject({ shipping: 0, total: paid.captured - 589 });
  });

  test('never more than what was captured less what was refunded before', () => {
    expect(refundFor(DEFAULT_RETURN_POLICY, { ...paid, refunded: paid.captured - 100 }, [{ sku: 'MUG-1', quantity: 1 }], false).total).toBe(
      100,
    );
  });
});
