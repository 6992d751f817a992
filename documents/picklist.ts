import { UNLOCATED_SECTION, type Picklist, type PickStop } from '../domain/picking';
import { facts, heading, renderPdf, type Pdf } from './pdf';
import { pdfText } from './format';

// Columns: stop number, bin, sku, name, barcode, quantity; each stop's order split on a line beneath.
const COLUMNS = [
  { header: '#', width: 26 },
  { header: 'Bin', width: 64 },
  { header: 'SKU', width: 100 },
  { header: 'Item', width: 170 },
  { header: 'Barcode', width: 96 },
  { header: 'Qty', width: 40, align: 'right' as const },
];

function drawHeader(doc: Pdf): void {
  const left = doc.page.margins.left;
  const y = doc.y;
  doc.font('Helvetica-Bold').fontSize(9);
  let x = left;
  for (const c of COLUMNS) {
    doc.text(c.header, x, y, { width: c.width - 4, align: c.align ?? 'left', lineBreak: false });
    x += c.width;
  }
  doc
    .moveTo(left, y + 12)
    .lineTo(x, y + 12)
    .lineWidth(0.5)
    .stroke();
  doc.x = left;
  doc.y = y + 16;
}

function drawStop(doc: Pdf, n: number, stop: PickStop): void {
  const left = doc.page.margins.left;
  const ordersText = pdfText(`Orders: ${stop.orders.map((o) => `${o.orderId} ×${o.quantity}`).join(', ')}`);
  const width = COLUMNS.reduce((s, c) => s + c.width, 0);
  doc.font('Helvetica').fontSize(8);
  const needed = 14 + doc.heightOfString(ordersText, { width: width - 26 }) + 6;
  if (doc.y + needed > doc.page.height - doc.page.margins.bottom) {
    doc.addPage();
    drawHeader(doc);
  }
  const y = doc.y;
  const cells = [String(n), stop.bin ?? '—', stop.sku, stop.name, stop.barcode ?? '', String(stop.totalQuantity)];
  let x = left;
  COLUMNS.forEach((c, i) => {
    doc.font(i === 1 || i === 5 ? 'Helvetica-Bold' : 'Helvetica').fontSize(10);
    doc.text(pdfText(cells[i]), x, y, { width: c.width - 4, align: c.align ?? 'left', lineBreak: false, ellipsis: true, height: 12 });
    x += c.width;
  });
  doc
    .font('Helvetica')
    .fontSize(8)
    .text(ordersText, left + 26, y + 14, { width: width - 26 });
  doc.x = left;
  doc.y += 6;
}

// The picker's sheet: stops in walking order, then the unlocated section, each with its order split.
export function renderPicklistPdf(picklist: Picklist): Promise<Buffer> {
  return renderPdf(
    { title: `Picklist ${picklist.id}`, subject: `Location ${picklist.locationId}`, createdAt: picklist.createdAt },
    (doc) => {
      heading(doc, `Picklist ${picklist.id}`);
      facts(doc, [
        ['Location', picklist.locationId],
        ['Created', picklist.createdAt],
        ['Route', picklist.route],
        ['Orders', `${picklist.totals.orders} (${picklist.orderIds.join(', ')})`],
        ['Stops', String(picklist.totals.stops)],
        ['Units', String(picklist.totals.units)],
      ]);
      drawHeader(doc);
      picklist.stops.forEach((stop, i) => drawStop(doc, i + 1, stop));
      if (picklist.unlocated.length > 0) {
        doc.moveDown(0.5);
        heading(doc, `${UNLOCATED_SECTION}: no bin at ${picklist.locationId}`, 12);
        drawHeader(doc);
        picklist.unlocated.forEach((stop, i) => drawStop(doc, picklist.stops.length + i + 1, stop));
      }
    },
  );
}
