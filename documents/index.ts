// documents/: PDF renderers (picklist, packing slip, invoice, shipping label, return authorisation, credit note) that return a Buffer. Top level, not domain/, because they need PDFKit; not activities/, because they do no I/O and API routes call them directly.
import type { Picklist } from '../domain/picking';
import { renderCreditNotePdf, type CreditNoteDocument } from './credit-note';
import { renderInvoicePdf, type Invoice } from './invoice';
import { renderPackingSlipPdf, type PackingSlip } from './packing-slip';
import { renderPicklistPdf } from './picklist';
import { renderReturnAuthorisationPdf, type ReturnAuthorisation } from './return-authorisation';
import { renderShippingLabelPdf, type ShippingLabel } from './shipping-label';

export { formatMoney, formatRate, minorUnitDigits } from './format';
export {
  invoiceFromOrder,
  invoiceTotals,
  renderInvoicePdf,
  type Invoice,
  type InvoiceLine,
  type InvoiceTotals,
  type TaxLine,
} from './invoice';
export { packingSlipFromOrder, renderPackingSlipPdf, type PackingSlip } from './packing-slip';
export { renderPicklistPdf } from './picklist';
export { renderReturnAuthorisationPdf, returnAuthorisationFromReturn, type ReturnAuthorisation } from './return-authorisation';
export {
  creditNoteFromReturn,
  creditNoteTotals,
  renderCreditNotePdf,
  type CreditNoteDocument,
  type CreditNoteLine,
  type CreditNoteTotals,
} from './credit-note';
export { humanReadableTracking } from './barcode';
export { renderShippingLabelPdf, type ShippingLabel } from './shipping-label';

export const DOCUMENT_KINDS = ['picklist', 'packing_slip', 'invoice', 'shipping_label', 'return_authorisation', 'credit_note'] as const;
export type DocumentKind = (typeof DOCUMENT_KINDS)[number];

export type DocumentRequest =
  | { kind: 'picklist'; picklist: Picklist }
  | { kind: 'packing_slip'; packingSlip: PackingSlip }
  | { kind: 'invoice'; invoice: Invoice }
  | { kind: 'shipping_label'; label: ShippingLabel }
  | { kind: 'return_authorisation'; returnAuthorisation: ReturnAuthorisation }
  | { kind: 'credit_note'; creditNote: CreditNoteDocument };

export interface RenderedDocument {
  kind: DocumentKind;
  fileName: string;
  contentType: 'application/pdf';
  body: Buffer;
}

const safeName = (s: string) => s.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^_+|_+$/g, '') || 'document';

// One entry point for GET /documents/:id: the route loads the data, this renders it with a file name.
export async function renderDocument(request: DocumentRequest): Promise<RenderedDocument> {
  const pdf = (fileName: string, body: Buffer): RenderedDocument => ({
    kind: request.kind,
    fileName: `${safeName(fileName)}.pdf`,
    contentType: 'application/pdf',
    body,
  });
  switch (request.kind) {
    case 'picklist':
      return pdf(`picklist-${request.picklist.id}`, await renderPicklistPdf(request.picklist));
    case 'packing_slip':
      return pdf(`packing-slip-${request.packingSlip.orderNumber}`, await renderPackingSlipPdf(request.packingSlip));
    case 'invoice':
      return pdf(`invoice-${request.invoice.invoiceNumber}`, await renderInvoicePdf(request.invoice));
    case 'shipping_label':
      return pdf(`label-${request.label.carrier}-${request.label.trackingNumber}`, await renderShippingLabelPdf(request.label));
    case 'return_authorisation':
      return pdf(
        `return-authorisation-${request.returnAuthorisation.raNumber}`,
        await renderReturnAuthorisationPdf(request.returnAuthorisation),
      );
    case 'credit_note':
      return pdf(`credit-note-${request.creditNote.number}`, await renderCreditNotePdf(request.creditNote));
  }
}
