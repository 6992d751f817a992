import type { Address } from '../domain/address';
import { addressLines, pdfText } from './format';
import { renderPdf } from './pdf';

// Our own label for carriers that return none (a local courier, a pallet haulier). Carriers that issue
// labels (EasyPost and the like) return their PDF, which is served as is; this is only the fallback.

export interface ShippingLabel {
  carrier: string;
  service: string;
  trackingNumber: string;
  from: Address;
  to: Address;
  createdAt: string;
  orderNumber?: string;
  weightGrams?: number;
  parcel?: { index: number; count: number };
}

// 4 × 6 inches, the size thermal label printers take.
const LABEL_SIZE: [number, number] = [288, 432];

// Code 128 prints its data in full under the bars; grouped by four it is also easy to key in by hand.
export function humanReadableTracking(trackingNumber: string): string {
  return trackingNumber
    .replace(/\s+/g, '')
    .toUpperCase()
    .replace(/(.{4})(?=.)/g, '$1 ');
}

export function renderShippingLabelPdf(label: ShippingLabel): Promise<Buffer> {
  const tracking = label.trackingNumber.replace(/\s+/g, '');
  if (!/^[\x21-\x7e]{4,64}$/.test(tracking))
    throw new RangeError(`tracking number must be 4 to 64 printable ASCII characters, got ${JSON.stringify(label.trackingNumber)}`);
  return renderPdf(
    {
      title: `Label ${label.carrier} ${tracking}`,
      subject: label.orderNumber ? `Order ${label.orderNumber}` : undefined,
      createdAt: label.createdAt,
      size: LABEL_SIZE,
      margin: 14,
    },
    (doc) => {
      const left = 14;
      const width = LABEL_SIZE[0] - 28;
      doc.font('Helvetica-Bold').fontSize(18).text(pdfText(label.carrier), left, 14, { width });
      doc.font('Helvetica').fontSize(11).text(pdfText(label.service), left, doc.y, { width });
      doc
        .moveTo(left, doc.y + 6)
        .lineTo(left + width, doc.y + 6)
        .lineWidth(1)
        .stroke();

      doc
        .font('Helvetica-Bold')
        .fontSize(7)
        .text('FROM', left, doc.y + 12, { width });
      doc.font('Helvetica').fontSize(8);
      for (const line of addressLines(label.from)) doc.text(pdfText(line), left, doc.y, { width });
      doc
        .moveTo(left, doc.y + 6)
        .lineTo(left + width, doc.y + 6)
        .lineWidth(1)
        .stroke();

      doc
        .font('Helvetica-Bold')
        .fontSize(8)
        .text('SHIP TO', left, doc.y + 12, { width });
      doc.font('Helvetica-Bold').fontSize(13);
      for (const line of addressLines(label.to)) doc.text(pdfText(line), left, doc.y, { width });

      const boxTop = 300;
      doc.rect(left, boxTop, width, 84).lineWidth(2).stroke();
      doc
        .font('Helvetica-Bold')
        .fontSize(8)
        .text('TRACKING NUMBER', left + 8, boxTop + 8, { width: width - 16 });
      doc
        .font('Courier-Bold')
        .fontSize(16)
        .text(humanReadableTracking(tracking), left + 8, boxTop + 24, { width: width - 16, align: 'center' });
      doc
        .font('Courier')
        .fontSize(9)
        .text(tracking, left + 8, boxTop + 50, { width: width - 16, align: 'center' });
      doc
        .font('Helvetica')
        .fontSize(6)
        .text('No carrier barcode: key in the tracking number', left + 8, boxTop + 68, { width: width - 16, align: 'center' });

      const footer = [
        label.orderNumber && `Order ${label.orderNumber}`,
        label.weightGrams !== undefined && `${(label.weightGrams / 1000).toFixed(2)} kg`,
        label.parcel && `Parcel ${label.parcel.index} of ${label.parcel.count}`,
      ].filter((f): f is string => typeof f === 'string');
      doc
        .font('Helvetica')
        .fontSize(8)
        .text(pdfText(footer.join('   ')), left, 396, { width, lineBreak: false });
    },
  );
}
