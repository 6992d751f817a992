import { dropShipGroups, isDropShipOrder, isMixedOrder, stockedLines, supplierAnswerProblem } from '../../domain/drop-ship';
import { orderInputSchema, toOrder } from '../../domain/order';
import { inboundOf, replayPurchaseOrder, type PurchaseOrderHeader } from '../../domain/purchasing';
import { orderBody } from '../support/fixtures';

const line = (sku: string, supplierId?: string) => ({ sku, quantity: 1, unitPrice: 1000, ...(supplierId && { dropShip: { supplierId } }) });
const problems = (body: object) => {
  const parsed = orderInputSchema.safeParse(body);
  return parsed.success ? [] : parsed.error.issues.map((i) => i.path.join('.'));
};

describe('drop-ship orders', () => {
  test('an order whose lines all name a supplier is a drop_ship order, its lines grouped per supplier in order of appearance', () => {
    const order = toOrder(
      orderInputSchema.parse(orderBody({ lines: [line('SOFA', 'acme'), line('LAMP', 'lumen'), line('RUG', 'acme')] })),
      '2026-12-07T08:00:00Z',
    );
    expect(order.type).toBe('drop_ship');
    expect(isDropShipOrder(order)).toBe(true);
    expect(dropShipGroups(order)).toEqual([
      {
        supplierId: 'acme',
        lines: [
          { sku: 'SOFA', quantity: 1 },
          { sku: 'RUG', quantity: 1 },
        ],
      },
      { supplierId: 'lumen', lines: [{ sku: 'LAMP', quantity: 1 }] },
    ]);
    const stocked = toOrder(orderInputSchema.parse(orderBody({ lines: [line('SOFA')] })), '2026-12-07T08:00:00Z');
    expect(stocked.type).toBe('standard');
    expect(isDropShipOrder(stocked)).toBe(false);
  });

  test('stocked lines beside drop-shipped ones are taken (the order keeps its type), but not on a drop_ship order nor in one shipment; a pickup, one shipment from two suppliers, or a drop_ship type without suppliers is refused', () => {
    const body = orderBody({ lines: [line('SOFA', 'acme'), line('LAMP'), line('RUG')] });
    expect(problems(body)).toEqual([]);
    const mixed = toOrder(orderInputSchema.parse(body), '2026-12-07T08:00:00Z');
    expect(mixed.type).toBe('standard');
    expect(isMixedOrder(mixed)).toBe(true);
    expect(stockedLines(mixed.lines).map((l) => l.sku)).toEqual(['LAMP', 'RUG']);
    expect(dropShipGroups(mixed)).toEqual([{ supplierId: 'acme', lines: [{ sku: 'SOFA', quantity: 1 }] }]);
    expect(problems({ ...body, type: 'drop_ship' })).toEqual(['lines.1.dropShip', 'lines.2.dropShip']);
    expect(problems({ ...body, fulfillment: { method: 'ship', allowSplit: false } })).toEqual(['fulfillment.allowSplit']);
    expect(problems(orderBody({ lines: [line('SOFA', 'acme')], fulfillment: { method: 'ship', allowSplit: false } }))).toEqual([]);
    expect(problems(orderBody({ lines: [line('SOFA', 'acme')], fulfillment: { method: 'pickup', pickupLocationId: 'BER-1' } }))).toEqual([
      'fulfillment.method',
    ]);
    expect(
      problems(orderBody({ lines: [line('SOFA', 'acme'), line('LAMP', 'lumen')], fulfillment: { method: 'ship', allowSplit: false } })),
    ).toEqual(['fulfillment.allowSplit']);
    expect(problems(orderBody({ type: 'drop_ship', lines: [line('SOFA')] }))).toEqual(['lines']);
    expect(problems(orderBody({ lines: [line('SOFA', 'has space')] }))).toEqual(['lines.0.dropShip.supplierId']);
  });

  test("a drop-ship purchase order follows its supplier's answers, is never inbound stock, and takes no answer once shipped or cancelled", () => {
    const header: PurchaseOrderHeader = {
      id: 'DS-1',
      supplierId: 'acme',
      locationId: 'drop-ship',
      currency: 'EUR',
      expectedDate: '2026-12-12',
      initialStatus: 'open',
      lines: [{ sku: 'SOFA', quantity: 1, unitCost: 0 }],
      createdAt: '2026-12-07T08:00:00Z',
      createdBy: 'order-workflow',
      dropShip: { orderId: 'order:manual:1', part: '1', via: 'email' },
    };
    const at = '2026-12-07T09:00:00Z';
    const po = replayPurchaseOrder(header, [
      { type: 'sent', at, by: 'order-workflow', via: 'email' },
      { type: 'supplier', at, by: 'op', eventId: 'e1', answer: 'confirmed' },
      { type: 'supplier', at, by: 'op', eventId: 'e2', answer: 'shipped', carrier: 'DHL', trackingNumber: '123456' },
    ]);
    expect(po.status).toBe('open');
    expect(po.dropShip).toEqual({
      orderId: 'order:manual:1',
      part: '1',
      via: 'email',
      status: 'shipped',
      carrier: 'DHL',
      trackingNumber: '123456',
    });
    expect(po.history.map((h) => h.event)).toEqual([
      'created (open)',
      'sent to the supplier (email)',
      'supplier confirmed',
      'supplier shipped: DHL 123456',
    ]);
    expect(inboundOf(po)).toEqual([]);
    expect(supplierAnswerProblem('shipped', 'refused')).toBe('the supplier has already shipped it');
    expect(supplierAnswerProblem('cancelled', 'shipped')).toBe('it was cancelled by Orderhub');
    expect(supplierAnswerProblem('refused', 'shipped')).toBeUndefined(); // the goods left after all
    expect(supplierAnswerProblem('sent', 'refused')).toBeUndefined();
  });
});
