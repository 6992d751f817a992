import type { Address } from '../domain/address';
import type { Order } from '../domain/order';
import { addressLines, formatMoney, formatRate } from './format';
import { block, facts, heading, renderPdf, table } from './pdf';

// Amounts are integer minor units of `currency`; every sum below stays in integers.

export interface InvoiceLine {
  sku: string;
  name?: string;
  quantity: number;
  unitPrice: number;
  discount?: number;
  tax: number;
  // Basis points (1900 = 19%), for the tax summary; absent: the line's tax is listed without a rate.
  taxRate?: number;
}

export interface Invoice {
  invoiceNumber: string;
  orderNumber: string;
  issuedAt: string;
  currency: string;
  // How amounts are written (Intl locale); the currency decides the minor-unit digits.
  locale?: string;
  taxLabel?: string;
  seller: { name: string; address: Address; taxId?: string };
  billTo: Address;
  shipTo?: Address;
  lines: InvoiceLine[];
  // Order-level discounts, after line discounts.
  discounts?: { code?: string; amount: number }[];
  shipping?: { amount: number; tax?: number; taxRate?: number };
  // B2B: the customer's account, their purchase-order number, and the payment terms.
  customerAccount?: string;
  purchaseOrderRef?: string;
  terms?: { netDays: number; dueDate?: string }; // dueDate YYYY-MM-DD once the order shipped
}

export interface TaxLine {
  label: string;
  rate?: number;
  base: number;
  tax: number;
}

export interface InvoiceTotals {
  subtotal: number;
  discountTotal: number;
  shippingTotal: number;
  taxTotal: number;
  total: number;
  taxLines: TaxLine[];
}

function add(a: number, b: number): number {
  const sum = a + b;
  if (!Number.isSafeInteger(sum)) throw new RangeError('invoice amounts add up to more than can be counted exactly in minor units');
  return sum;
}

function checkAmount(amount: number, what: string): number {
  if (!Number.isSafeInteger(amount) || amount < 0)
    throw new RangeError(`${what} must be a whole, non-negative number of minor units, got ${amount}`);
  return amount;
}

const lineNet = (l: InvoiceLine) =>
  checkAmount(l.quantity * checkAmount(l.unitPrice, `unit price of ${l.sku}`), `amount of ${l.sku}`) - (l.discount ?? 0);

// Same arithmetic as domain/order.ts totalsOf, plus one tax line per rate (net base and tax).
export function invoiceTotals(invoice: Invoice): InvoiceTotals {
  const label = invoice.taxLabel ?? 'Tax';
  const byRate = new Map<string, TaxLine>();
  const addTax = (rate: number | undefined, base: number, tax: number) => {
    const key = rate === undefined ? label : `${label} ${formatRate(rate)}`;
    const line = byRate.get(key) ?? { label: key, ...(rate !== undefined && { rate }), base: 0, tax: 0 };
    byRate.set(key, { ...line, base: add(line.base, base), tax: add(line.tax, tax) });
  };

  let subtotal = 0;
  let discountTotal = 0;
  let taxTotal = 0;
  for (const l of invoice.lines) {
    subtotal = add(subtotal, l.quantity * l.unitPrice);
    discountTotal = add(discountTotal, checkAmount(l.discount ?? 0, `discount of ${l.sku}`));
    taxTotal = add(taxTotal, checkAmount(l.tax, `tax of ${l.sku}`));
    addTax(l.taxRate, lineNet(l), l.tax);
  }
  for (const d of invoice.discounts ?? []) discountTotal = add(discountTotal, checkAmount(d.amount, 'discount'));
  const shippingTotal = checkAmount(invoice.shipping?.amount ?? 0, 'shipping');
  const shippingTax = checkAmount(invoice.shipping?.tax ?? 0, 'shipping tax');
  if (shippingTotal > 0 || shippingTax > 0) {
    taxTotal = add(taxTotal, shippingTax);
    addTax(invoice.shipping?.taxRate, shippingTotal, shippingTax);
  }
  const taxLines = [...byRate.values()].sort((a, b) => (b.rate ?? -1) - (a.rate ?? -1));
  return { subtotal, discountTotal, shippingTotal, taxTotal, total: add(add(subtotal - discountTotal, taxTotal), shippingTotal), taxLines };
}

// An invoice for a stored order. Order lines carry tax amounts only; pass the rates to show them per rate.
export function invoiceFromOrder(
  order: Pick<
    Order,
    | 'channelOrderId'
    | 'currency'
    | 'customer'
    | 'billingAddress'
    | 'shippingAddress'
    | 'lines'
    | 'discounts'
    | 'shippingAmount'
    | 'purchaseOrderRef'
    | 'payment'
  >,
  options: {
    invoiceNumber: string;
    issuedAt: string;
    seller: Invoice['seller'];
    taxRates?: { [sku: string]: number };
    shippingTaxRate?: number;
    locale?: string;
    taxLabel?: string;
    dueDate?: string; // an order paid on invoice, once it shipped
  },
): Invoice {
  const billTo = order.billingAddress ?? order.shippingAddress;
  return {
    invoiceNumber: options.invoiceNumber,
    orderNumber: order.channelOrderId,
    issuedAt: options.issuedAt,
    currency: order.currency,
    ...(options.locale !== undefined && { locale: options.locale }),
    ...(options.taxLabel !== undefined && { taxLabel: options.taxLabel }),
    seller: options.seller,
    billTo: { ...billTo, name: billTo.name ?? order.customer.name },
    shipTo: { ...order.shippingAddress, name: order.shippingAddress.name ?? order.customer.name },
    lines: order.lines.map((l) => {
      const rate = options.taxRates && Object.hasOwn(options.taxRates, l.sku) ? options.taxRates[l.sku] : undefined;
      return {
        sku: l.sku,
        ...(l.name !== undefined && { name: l.name }),
        quantity: l.quantity,
        unitPrice: l.unitPrice,
        discount: l.discount,
        tax: l.tax,
        ...(rate !== undefined && { taxRate: rate }),
      };
    }),
    discounts: order.discounts,
    shipping: { amount: order.shippingAmount, ...(options.shippingTaxRate !== undefined && { taxRate: options.shippingTaxRate }) },
    ...(order.customer.account !== undefined && { customerAccount: order.customer.account }),
    ...(order.purchaseOrderRef !== undefined && { purchaseOrderRef: order.purchaseOrderRef }),
    ...(order.payment.terms && {
      terms: { netDays: order.payment.terms.netDays, ...(options.dueDate !== undefined && { dueDate: options.dueDate }) },
    }),
  };
}

export function renderInvoicePdf(invoice: Invoice): Promise<Buffer> {
  const totals = invoiceTotals(invoice);
  const money = (amount: number) => formatMoney(amount, invoice.currency, invoice.locale);
  return renderPdf(
    { title: `Invoice ${invoice.invoiceNumber}`, subject: `Order ${invoice.orderNumber}`, createdAt: invoice.issuedAt },
    (doc) => {
      const left = doc.page.margins.left;
      heading(doc, `Invoice ${invoice.invoiceNumber}`);
      facts(doc, [
        ['Invoice number', invoice.invoiceNumber],
        ['Order number', invoice.orderNumber],
        ['Date', invoice.issuedAt.slice(0, 10)],
        ...(invoice.seller.taxId ? [['Seller tax id', invoice.seller.taxId] as [string, string]] : []),
        ...(invoice.customerAccount ? [['Customer account', invoice.customerAccount] as [string, string]] : []),
        ...(invoice.purchaseOrderRef ? [['Your purchase order', invoice.purchaseOrderRef] as [string, string]] : []),
        ...(invoice.terms
          ? [
              ['Payment terms', `Net ${invoice.terms.netDays} days`] as [string, string],
              ['Due', invoice.terms.dueDate ?? `${invoice.terms.netDays} days after shipment`] as [string, string],
            ]
          : []),
      ]);
      const top = doc.y;
      const afterSeller = block(doc, 'From', [invoice.seller.name, ...addressLines(invoice.seller.address)], left, top, 160);
      const afterBill = block(doc, 'Bill to', addressLines(invoice.billTo), left + 170, top, 160);
      const afterShip = invoice.shipTo ? block(doc, 'Ship to', addressLines(invoice.shipTo), left + 340, top, 160) : top;
      doc.x = left;
      doc.y = Math.max(afterSeller, afterBill, afterShip) + 16;

      table(
        doc,
        [
          { header: 'SKU', width: 80 },
          { header: 'Item', width: 130 },
          { header: 'Qty', width: 35, align: 'right' },
          { header: 'Unit price', width: 70, align: 'right' },
          { header: 'Discount', width: 60, align: 'right' },
          { header: 'Tax', width: 60, align: 'right' },
          { header: 'Net', width: 64, align: 'right' },
        ],
        invoice.lines.map((l) => [
          l.sku,
          l.name ?? '',
          String(l.quantity),
          money(l.unitPrice),
          l.discount ? money(-l.discount) : '',
          `${money(l.tax)}${l.taxRate !== undefined ? ` (${formatRate(l.taxRate)})` : ''}`,
          money(lineNet(l)),
        ]),
      );
      doc.moveDown(0.5);

      const summary: [string, string][] = [['Subtotal', money(totals.subtotal)]];
      if (totals.discountTotal > 0) summary.push(['Discounts', money(-totals.discountTotal)]);
      for (const d of invoice.discounts ?? []) if (d.code) summary.push([`  Code ${d.code}`, money(-d.amount)]);
      if (totals.shippingTotal > 0) summary.push(['Shipping', money(totals.shippingTotal)]);
      for (const t of totals.taxLines) summary.push([`${t.label} on ${money(t.base)}`, money(t.tax)]);
      summary.push(['Tax total', money(totals.taxTotal)]);
      table(
        doc,
        [
          { header: 'Summary', width: 300 },
          { header: invoice.currency, width: 199, align: 'right' },
        ],
        summary,
        { fontSize: 10 },
      );
      heading(doc, `Total ${money(totals.total)}`, 13);
    },
  );
}
