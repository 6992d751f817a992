import type { Address } from '../domain/address';
import type { Order } from '../domain/order';
import type { ReturnState } from '../domain/returns';
import { barcodeTracking, drawCode128, humanReadableTracking } from './barcode';
import { addressLines, pdfText } from './format';
import { block, facts, heading, renderPdf, table } from './pdf';

// The customer's permission to send items back: what, why, where to, and (when Orderhub bought one) the
// carrier and tracking number of the return label, with the tracking number as a scannable barcode.

export interface ReturnAuthorisation {
  raNumber: string;
  returnId: string;
  orderNumber: string; // the channel's order number, which the customer knows
  issuedAt: string;
  merchant: { name: string };
  customer: Address;
  returnTo: Address;
  lines: { sku: string; name?: string; quantity: number }[];
  reason: string; // the reason's code, or its label where the policy has one
  resolution: ReturnState['request']['resolution'];
  exchangeLines?: { sku: string; name?: string; quantity: number }[];
  decision: { outcome: string; why: string; at: string; by: string };
  note?: string;
  label?: { carrier: string; service?: string; trackingNumber: string; labelUrl?: string };
}

const RESOLUTIONS: Record<ReturnAuthorisation['resolution'], string> = {
  refund: 'Refund to the original payment',
  exchange: 'Exchange',
  store_credit: 'Store credit',
};

// The authorisation of a return (approved or further) on a stored order. Names come from the order's lines.
export function returnAuthorisationFromReturn(
  state: Pick<ReturnState, 'returnId' | 'request' | 'decision' | 'label' | 'history' | 'createdAt' | 'lines'>,
  order: Pick<Order, 'channelOrderId' | 'customer' | 'shippingAddress' | 'lines'>,
  options: { raNumber: string; merchant: ReturnAuthorisation['merchant']; returnTo: Address; reasonLabel?: string },
): ReturnAuthorisation {
  const names = new Map<string, string>();
  for (const l of [...order.lines, ...state.lines]) if (l.name !== undefined) names.set(l.sku, l.name);
  const named = (l: { sku: string; quantity: number }) => ({
    sku: l.sku,
    ...(names.has(l.sku) && { name: names.get(l.sku) }),
    quantity: l.quantity,
  });
  // Issued when it was approved: the first approval in the history, else the decision's time.
  const approvedAt = state.history.find((h) => h.status === 'approved')?.at ?? state.decision.at;
  return {
    raNumber: options.raNumber,
    returnId: state.returnId,
    orderNumber: order.channelOrderId,
    issuedAt: approvedAt,
    merchant: options.merchant,
    customer: { ...order.shippingAddress, name: order.shippingAddress.name ?? order.customer.name },
    returnTo: options.returnTo,
    lines: state.request.lines.map(named),
    reason: options.reasonLabel ?? state.request.reason,
    resolution: state.request.resolution,
    ...(state.request.exchangeLines && { exchangeLines: state.request.exchangeLines.map(named) }),
    decision: { outcome: state.decision.outcome, why: state.decision.why, at: state.decision.at, by: state.decision.by },
    ...(state.request.note !== undefined && { note: state.request.note }),
    ...(state.label && { label: state.label }),
  };
}

export function renderReturnAuthorisationPdf(ra: ReturnAuthorisation): Promise<Buffer> {
  const tracking = ra.label && barcodeTracking(ra.label.trackingNumber);
  return renderPdf({ title: `Return authorisation ${ra.raNumber}`, subject: `Order ${ra.orderNumber}`, createdAt: ra.issuedAt }, (doc) => {
    const left = doc.page.margins.left;
    const width = doc.page.width - left - doc.page.margins.right;
    heading(doc, `Return authorisation ${ra.raNumber}`);
    facts(doc, [
      ['RA number', ra.raNumber],
      ['Order number', ra.orderNumber],
      ['Date', ra.issuedAt.slice(0, 10)],
      ['Merchant', ra.merchant.name],
    ]);
    const top = doc.y;
    const afterCustomer = block(doc, 'Customer', addressLines(ra.customer), left, top, 240);
    const afterTo = block(doc, 'Send the items to', addressLines(ra.returnTo), left + 260, top, 240);
    doc.x = left;
    doc.y = Math.max(afterCustomer, afterTo) + 16;

    table(
      doc,
      [
        { header: 'SKU', width: 130 },
        { header: 'Item being returned', width: 300 },
        { header: 'Qty', width: 60, align: 'right' },
      ],
      ra.lines.map((l) => [l.sku, l.name ?? '', String(l.quantity)]),
    );
    doc.moveDown(0.5);
    facts(doc, [
      ['Reason', ra.reason],
      ['Resolution', RESOLUTIONS[ra.resolution]],
      ['Decision', `${ra.decision.outcome}: ${ra.decision.why}`],
      ['Decided', `${ra.decision.at.slice(0, 10)} by ${ra.decision.by}`],
    ]);
    if (ra.exchangeLines?.length) {
      table(
        doc,
        [
          { header: 'SKU', width: 130 },
          { header: 'Wanted instead', width: 300 },
          { header: 'Qty', width: 60, align: 'right' },
        ],
        ra.exchangeLines.map((l) => [l.sku, l.name ?? '', String(l.quantity)]),
      );
      doc.moveDown(0.5);
    }
    if (ra.note)
      doc
        .fontSize(9)
        .text(pdfText(`Note: ${ra.note}`), left, doc.y, { width })
        .moveDown(0.5);

    heading(doc, 'How to return the items', 12);
    const steps = [
      `Pack the items listed above with this authorisation inside the parcel, and write ${ra.raNumber} on the outside.`,
      ra.label
        ? `Stick the return label on the parcel and hand it to ${ra.label.carrier} (tracking number below).`
        : 'Send it to the address above with a tracked service and keep the receipt: no return label comes with this return.',
      'Items not listed here, or sent without this number, may not be accepted.',
    ];
    doc.font('Helvetica').fontSize(10);
    steps.forEach((s, i) => doc.text(pdfText(`${i + 1}. ${s}`), left, doc.y, { width }));
    doc.moveDown(0.5);

    if (ra.label && tracking) {
      if (doc.y + 130 > doc.page.height - doc.page.margins.bottom) doc.addPage();
      const y = doc.y + 6;
      doc
        .font('Helvetica-Bold')
        .fontSize(10)
        .text(pdfText(`Return label: ${ra.label.carrier}${ra.label.service ? ` ${ra.label.service}` : ''}`), left, y, { width });
      doc
        .font('Helvetica')
        .fontSize(10)
        .text(pdfText(`Tracking number: ${tracking}`), left, doc.y, { width });
      if (ra.label.labelUrl) doc.text(pdfText(`Label file: ${ra.label.labelUrl}`), left, doc.y, { width });
      const barTop = doc.y + 8;
      // 300 points wide: the quiet zones stay clear of the page's text either side.
      const drawn = drawCode128(doc, tracking, { left: left + (width - 300) / 2, top: barTop, width: 300, height: 50 });
      doc
        .font('Courier-Bold')
        .fontSize(12)
        .text(drawn ? humanReadableTracking(tracking) : 'Too long for a barcode: key in the tracking number', left, barTop + 56, {
          width,
          align: 'center',
        });
    }
    doc.font('Helvetica');
  });
}
