import PDFDocument from 'pdfkit';
import { pdfText } from './format';

// The one place that drives PDFKit: a document to a Buffer, plus a table that repeats its header per page.

export type Pdf = PDFKit.PDFDocument;

export interface PdfMeta {
  title: string;
  // ISO time of the business event (picklist created, invoice issued): the PDF's creation date, so the
  // same input always renders to the same bytes (PDFKit derives the file ID from the info dictionary).
  createdAt: string;
  subject?: string;
  size?: [number, number] | 'A4';
  margin?: number;
}

export async function renderPdf(meta: PdfMeta, draw: (doc: Pdf) => void): Promise<Buffer> {
  const created = new Date(meta.createdAt);
  if (Number.isNaN(created.getTime())) throw new RangeError(`createdAt must be an ISO date-time, got ${meta.createdAt}`);
  const doc = new PDFDocument({
    size: meta.size ?? 'A4',
    margin: meta.margin ?? 48,
    info: {
      Title: pdfText(meta.title),
      ...(meta.subject !== undefined && { Subject: pdfText(meta.subject) }),
      Producer: 'Orderhub',
      Creator: 'Orderhub',
      CreationDate: created,
      ModDate: created,
    },
  });
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('data', (chunk: Buffer) => chunks.push(chunk));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  doc.font('Helvetica');
  draw(doc);
  doc.end();
  return done;
}

// Cut text to a width with an ellipsis, so a long item name never wraps into the next row.
export function fit(doc: Pdf, text: string, width: number): string {
  let t = pdfText(text);
  if (doc.widthOfString(t) <= width) return t;
  while (t.length > 1 && doc.widthOfString(`${t}…`) > width) t = t.slice(0, -1);
  return `${t}…`;
}

export interface Column {
  header: string;
  width: number;
  align?: 'left' | 'right' | 'center';
}

const ROW_HEIGHT = 16;

// Rows under a bold header; a new page repeats the header. Returns the y below the last row.
export function table(
  doc: Pdf,
  columns: readonly Column[],
  rows: readonly (readonly string[])[],
  options: { fontSize?: number } = {},
): number {
  const fontSize = options.fontSize ?? 9;
  const left = doc.page.margins.left;
  const bottom = () => doc.page.height - doc.page.margins.bottom;
  const drawRow = (cells: readonly string[], font: string) => {
    doc.font(font).fontSize(fontSize);
    let x = left;
    const y = doc.y;
    columns.forEach((col, i) => {
      doc.text(fit(doc, cells[i] ?? '', col.width - 4), x, y, { width: col.width - 4, align: col.align ?? 'left', lineBreak: false });
      x += col.width;
    });
    doc.x = left;
    doc.y = y + ROW_HEIGHT;
  };
  const header = () => {
    drawRow(
      columns.map((c) => c.header),
      'Helvetica-Bold',
    );
    const width = columns.reduce((s, c) => s + c.width, 0);
    doc
      .moveTo(left, doc.y - 4)
      .lineTo(left + width, doc.y - 4)
      .lineWidth(0.5)
      .stroke();
  };
  header();
  for (const row of rows) {
    if (doc.y + ROW_HEIGHT > bottom()) {
      doc.addPage();
      header();
    }
    drawRow(row, 'Helvetica');
  }
  doc.font('Helvetica');
  return doc.y;
}

export function heading(doc: Pdf, text: string, size = 16): void {
  doc.font('Helvetica-Bold').fontSize(size).text(pdfText(text), doc.page.margins.left, doc.y);
  doc.font('Helvetica').fontSize(10).moveDown(0.3);
}

// Label: value pairs, one per line.
export function facts(doc: Pdf, pairs: readonly [string, string][]): void {
  for (const [label, value] of pairs) {
    doc
      .font('Helvetica-Bold')
      .fontSize(10)
      .text(`${pdfText(label)}: `, { continued: true })
      .font('Helvetica')
      .text(pdfText(value));
  }
  doc.moveDown(0.5);
}

export function block(doc: Pdf, title: string, lines: readonly string[], x: number, y: number, width: number): number {
  doc.font('Helvetica-Bold').fontSize(9).text(pdfText(title), x, y, { width });
  doc.font('Helvetica').fontSize(10);
  for (const line of lines) doc.text(pdfText(line), x, doc.y, { width });
  return doc.y;
}
