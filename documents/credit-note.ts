import type { Address } from '../domain/address';
import type { Order } from '../domain/order';
import { DEFAULT_RETURN_POLICY, refundFor, type ReturnRefund, type ReturnState } from '../domain/returns';
import { addressLines, formatMoney } from './format';
import { block, facts, heading, renderPdf, table } from './pdf';

// The credit note of a return's refund: a refund to the original payment and store credit alike are
// documented by one, as an invoice is corrected by one. Amounts are integer minor units of `currency`.

export interface CreditNoteLine {
  sku: string;
  name?: string;
  quantity: number; // returned
  unitPrice: number;
  goods: number; // the returned units' price less their share of the line's discount
  tax: number; // their share of the line's tax
}

export interface CreditNoteDocument {
  number: string;
  returnId: string;
  orderNumber: string;
  invoiceNumber?: string; // the invoice it corrects
  issuedAt: string;
  currency: string;
  locale?: string;
  seller: { name: string; address: Address };
  billTo: Address;
  lines: CreditNoteLine[];
  refund: Pick<ReturnRefund, 'goods' | 'tax' | 'shipping' | 'restockingFee' | 'total' | 'method' | 'reference'>;
}

export interface CreditNoteTotals {
  goods: number; // of the lines
  tax: number; // of the lines
  adjustment: number; // refund's goods and tax less the lines': 0 unless the refund was computed on other lines
  shipping: number;
  restockingFee: number;
  capped: number; // what the refund was short of its parts: never more than captured less earlier refunds
  total: number; // the refund's total
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

// The summary adds up to the refund's total whatever the lines say: differences show as their own rows.
export function creditNoteTotals(note: CreditNoteDocument): CreditNoteTotals {
  const goods = sum(note.lines.map((l) => l.goods));
  const tax = sum(note.lines.map((l) => l.tax));
  const { refund } = note;
  const adjustment = refund.goods + refund.tax - goods - tax;
  const capped = refund.goods + refund.tax + refund.shipping - refund.restockingFee - refund.total;
  return {
    goods,
    tax,
    adjustment,
    shipping: refund.shipping,
    restockingFee: refund.restockingFee,
    capped: Math.max(0, capped),
    total: refund.total,
  };
}

// Per returned line, exactly as refundFor prices it (pro rata, rounded down per line), without the fee,
// shipping or cap, which the summary shows once for the return.
const UNCAPPED = { ...DEFAULT_RETURN_POLICY, restockingFeeBasisPoints: 0, refundShipping: 'never' as const };

// The credit note of a refunded (or credited) return. The units are those received, else those asked for;
// a line's discount and tax are the order's, as refundFor takes them.
export function creditNoteFromReturn(
  state: Pick<ReturnState, 'returnId' | 'request' | 'receipt' | 'lines' | 'refund' | 'creditNote' | 'currency' | 'history' | 'createdAt'>,
  order: Pick<Order, 'channelOrderId' | 'customer' | 'billingAddress' | 'shippingAddress' | 'lines'>,
  options: { number: string; seller: CreditNoteDocument['seller']; invoiceNumber?: string; locale?: string },
): CreditNoteDocument {
  const refund = state.refund;
  if (!refund) throw new RangeError(`return ${state.returnId} has no refund to document`);
  const priced = (sku: string) => {
    const line = order.lines.find((l) => l.sku === sku);
    if (line) return { sku, name: line.name, quantity: line.quantity, unitPrice: line.unitPrice, discount: line.discount, tax: line.tax };
    const own = state.lines.find((l) => l.sku === sku);
    return own && { sku, name: own.name, quantity: own.quantity, unitPrice: own.unitPrice, discount: 0, tax: 0 };
  };
  const returned = state.receipt?.scanned ?? state.request.lines;
  const lines = returned.flatMap((r): CreditNoteLine[] => {
    const line = priced(r.sku);
    if (!line) return []; // not on the order: no price; the summary's adjustment row carries what was refunded for it
    const { goods, tax } = refundFor(
      UNCAPPED,
      { lines: [line], shipping: { amount: 0, tax: 0 }, captured: Infinity, refunded: 0 },
      [r],
      false,
    );
    return [
      { sku: r.sku, ...(line.name !== undefined && { name: line.name }), quantity: r.quantity, unitPrice: line.unitPrice, goods, tax },
    ];
  });
  const billTo = order.billingAddress ?? order.shippingAddress;
  const last = state.history[state.history.length - 1];
  return {
    number: options.number,
    returnId: state.returnId,
    orderNumber: order.channelOrderId,
    ...(options.invoiceNumber !== undefined && { invoiceNumber: options.invoiceNumber }),
    issuedAt: state.creditNote?.issuedAt ?? refund.at ?? last?.at ?? state.createdAt,
    currency: refund.currency,
    ...(options.locale !== undefined && { locale: options.locale }),
    seller: options.seller,
    billTo: { ...billTo, name: billTo.name ?? order.customer.name },
    lines,
    refund: {
      goods: refund.goods,
      tax: refund.tax,
      shipping: refund.shipping,
      restockingFee: refund.restockingFee,
      total: refund.total,
      method: refund.method,
      ...(refund.reference !== undefined && { reference: refund.reference }),
    },
  };
}

const METHODS: Record<ReturnRefund['method'], string> = {
  original_payment: 'Refunded to the original payment method',
  store_credit: 'Store credit',
};

export function renderCreditNotePdf(note: CreditNoteDocument): Promise<Buffer> {
  const totals = creditNoteTotals(note);
  const money = (amount: number) => formatMoney(amount, note.currency, note.locale);
  return renderPdf({ title: `Credit note ${note.number}`, subject: `Order ${note.orderNumber}`, createdAt: note.issuedAt }, (doc) => {
    const left = doc.page.margins.left;
    heading(doc, `Credit note ${note.number}`);
    facts(doc, [
      ['Credit note number', note.number],
      ['Order number', note.orderNumber],
      ...(note.invoiceNumber ? [['Invoice', note.invoiceNumber] as [string, string]] : []),
      ['Date', note.issuedAt.slice(0, 10)],
      ['Method', METHODS[note.refund.method]],
      ...(note.refund.reference && note.refund.reference !== note.number
        ? [['Refund reference', note.refund.reference] as [string, string]]
        : []),
    ]);
    const top = doc.y;
    const afterSeller = block(doc, 'From', [note.seller.name, ...addressLines(note.seller.address)], left, top, 240);
    const afterBill = block(doc, 'Customer', addressLines(note.billTo), left + 260, top, 240);
    doc.x = left;
    doc.y = Math.max(afterSeller, afterBill) + 16;

    table(
      doc,
      [
        { header: 'SKU', width: 80 },
        { header: 'Item returned', width: 150 },
        { header: 'Qty', width: 35, align: 'right' },
        { header: 'Unit price', width: 70, align: 'right' },
        { header: 'Net', width: 60, align: 'right' },
        { header: 'Tax', width: 50, align: 'right' },
        { header: 'Amount', width: 54, align: 'right' },
      ],
      note.lines.map((l) => [
        l.sku,
        l.name ?? '',
        String(l.quantity),
        money(l.unitPrice),
        money(l.goods),
        money(l.tax),
        money(l.goods + l.tax),
      ]),
    );
    doc.moveDown(0.5);

    const summary: [string, string][] = [
      ['Goods returned', money(totals.goods)],
      ['Tax', money(totals.tax)],
    ];
    if (totals.adjustment !== 0) summary.push(['Adjustment', money(totals.adjustment)]);
    if (totals.shipping > 0) summary.push(['Shipping refunded', money(totals.shipping)]);
    if (totals.restockingFee > 0) summary.push(['Restocking fee', money(-totals.restockingFee)]);
    if (totals.capped > 0) summary.push(['Limited to what was paid and not yet refunded', money(-totals.capped)]);
    table(
      doc,
      [
        { header: 'Summary', width: 300 },
        { header: note.currency, width: 199, align: 'right' },
      ],
      summary,
      { fontSize: 10 },
    );
    heading(doc, `Total credited ${money(totals.total)}`, 13);
  });
}
