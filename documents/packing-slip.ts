import type { Address } from '../domain/address';
import type { Order } from '../domain/order';
import { addressLines, pdfText } from './format';
import { block, facts, heading, renderPdf, table } from './pdf';

export interface PackingSlip {
  // The number the customer knows (the channel's order number), not our internal id.
  orderNumber: string;
  createdAt: string;
  shipTo: Address;
  shipFrom?: Address;
  lines: { sku: string; name?: string; quantity: number }[];
  parcels: number;
  note?: string;
}

export function packingSlipFromOrder(
  order: Pick<Order, 'channelOrderId' | 'shippingAddress' | 'customer' | 'lines' | 'notes'>,
  options: { createdAt: string; parcels: number; shipFrom?: Address },
): PackingSlip {
  return {
    orderNumber: order.channelOrderId,
    createdAt: options.createdAt,
    shipTo: { ...order.shippingAddress, name: order.shippingAddress.name ?? order.customer.name },
    ...(options.shipFrom && { shipFrom: options.shipFrom }),
    lines: order.lines.map((l) => ({ sku: l.sku, ...(l.name !== undefined && { name: l.name }), quantity: l.quantity })),
    parcels: options.parcels,
    ...(order.notes !== undefined && { note: order.notes }),
  };
}

export function renderPackingSlipPdf(slip: PackingSlip): Promise<Buffer> {
  if (!Number.isSafeInteger(slip.parcels) || slip.parcels < 1)
    throw new RangeError(`parcels must be a whole number of at least 1, got ${slip.parcels}`);
  return renderPdf({ title: `Packing slip ${slip.orderNumber}`, createdAt: slip.createdAt }, (doc) => {
    heading(doc, 'Packing slip');
    const units = slip.lines.reduce((s, l) => s + l.quantity, 0);
    facts(doc, [
      ['Order number', slip.orderNumber],
      ['Date', slip.createdAt.slice(0, 10)],
      ['Parcels', String(slip.parcels)],
    ]);
    const top = doc.y;
    const left = doc.page.margins.left;
    const afterTo = block(doc, 'Ship to', addressLines(slip.shipTo), left, top, 240);
    const afterFrom = slip.shipFrom ? block(doc, 'Ship from', addressLines(slip.shipFrom), left + 260, top, 240) : top;
    doc.x = left;
    doc.y = Math.max(afterTo, afterFrom) + 16;
    table(
      doc,
      [
        { header: 'SKU', width: 130 },
        { header: 'Item', width: 300 },
        { header: 'Qty', width: 60, align: 'right' },
      ],
      slip.lines.map((l) => [l.sku, l.name ?? '', String(l.quantity)]),
    );
    doc.moveDown(0.5);
    facts(doc, [
      ['Units', String(units)],
      ['Parcels', `${slip.parcels} ${slip.parcels === 1 ? 'parcel' : 'parcels'}`],
    ]);
    if (slip.note) doc.fontSize(9).text(pdfText(`Note: ${slip.note}`), left, doc.y, { width: 490 });
  });
}
