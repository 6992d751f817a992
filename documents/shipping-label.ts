import type { Address } from '../domain/address';
import { barcodeTracking, drawCode128, humanReadableTracking } from './barcode';
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

export function renderShippingLabelPdf(label: ShippingLabel): Promise<Buffer> {
  const tracking = barcodeTracking(label.trackingNumber);
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

      const boxTop = 290;
      // Rules above and below only: a side rule in line with the bars would crowd the quiet zone.
      for (const y of [boxTop, boxTop + 98])
        doc
          .moveTo(left, y)
          .lineTo(left + width, y)
          .lineWidth(2)
          .stroke();
      doc
        .font('Helvetica-Bold')
        .fontSize(8)
        .text('TRACKING NUMBER', left + 8, boxTop + 6, { width: width - 16 });
      if (!drawCode128(doc, tracking, { left: left + 4, top: boxTop + 18, width: width - 8, height: 44 }))
        doc
          .font('Helvetica')
          .fontSize(8)
          .text('Too long for a barcode on this label: key in the tracking number', left + 8, boxTop + 36, {
            width: width - 16,
            align: 'center',
          });
      doc
        .font('Courier-Bold')
        .fontSize(14)
        .text(humanReadableTracking(tracking), left + 8, boxTop + 66, { width: width - 16, align: 'center' });
      doc
        .font('Courier')
        .fontSize(8)
        .text(tracking, left + 8, boxTop + 84, { width: width - 16, align: 'center' });

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
