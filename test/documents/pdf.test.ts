import type { Address } from '../../domain/address';
import { orderInputSchema, toOrder } from '../../domain/order';
import { buildPicklist, type ReleasedOrder } from '../../domain/picking';
import {
  formatMoney,
  invoiceFromOrder,
  invoiceTotals,
  packingSlipFromOrder,
  renderDocument,
  renderInvoicePdf,
  renderPackingSlipPdf,
  renderPicklistPdf,
  renderShippingLabelPdf,
  type Invoice,
  type ShippingLabel,
} from '../../documents';
import { pdfText } from '../../documents/format';
import { scanBarcodes } from '../support/pdf-barcode';
import { parsePdf, parsePdfs } from '../support/pdf-text';

// Each document is rendered with PDFKit, then read back with pdfjs-dist (see test/support/pdf-text.ts).

const WAREHOUSE: Address = { name: 'Orderhub Fulfilment', line1: 'Lagerstraße 5', city: 'Berlin', postalCode: '10117', country: 'DE' };
const CUSTOMER: Address = {
  name: 'Zoë Łukasiewicz',
  line1: 'Hauptstraße 12',
  line2: '2. OG',
  city: 'Potsdam',
  postalCode: '14467',
  country: 'DE',
};

const ORDER = toOrder(
  orderInputSchema.parse({
    channel: 'shopify',
    channelOrderId: 'SO-1042',
    currency: 'EUR',
    customer: { name: 'Zoë Łukasiewicz', email: 'zoe@example.com' },
    shippingAddress: CUSTOMER,
    lines: [
      { sku: 'TEE-M', name: 'T-shirt M', quantity: 2, unitPrice: 1999, discount: 400, tax: 684 },
      { sku: 'MUG-1', name: 'Mug', quantity: 1, unitPrice: 1250, tax: 88 },
    ],
    discounts: [{ code: 'WELCOME', amount: 500 }],
    shippingAmount: 495,
  }),
  '2025-03-10T09:00:00Z',
);

describe('money on documents', () => {
  test.each<[number, string, string | undefined, string]>([
    [123456, 'EUR', undefined, '€1,234.56'],
    [5, 'EUR', undefined, '€0.05'],
    [-500, 'EUR', undefined, '-€5.00'],
    [1234, 'JPY', undefined, '¥1,234'],
    [1234, 'BHD', undefined, 'BHD\u00a01.234'],
    [123456, 'EUR', 'de-DE', '1.234,56\u00a0€'],
    [Number.MAX_SAFE_INTEGER, 'USD', undefined, '$90,071,992,547,409.91'],
  ])('%d minor units of %s (%s) read %j', (amount, currency, locale, expected) => {
    expect(formatMoney(amount, currency, locale)).toBe(expected);
  });

  test('a fractional amount is refused: money is whole minor units', () => {
    expect(() => formatMoney(12.5, 'EUR')).toThrow(RangeError);
  });

  test.each([
    ['Zoë Łukasiewicz', 'Zoë Lukasiewicz'],
    ['Dvořák – “Praha”', 'Dvorák – “Praha”'],
    ['東京', '??'],
  ])('%j is drawn as %j with the built-in fonts', (text, expected) => {
    expect(pdfText(text)).toBe(expected);
  });
});

describe('invoice totals', () => {
  const invoice = invoiceFromOrder(ORDER, {
    invoiceNumber: 'INV-2025-0007',
    issuedAt: '2025-03-11T10:00:00Z',
    seller: { name: 'Orderhub Demo GmbH', address: WAREHOUSE, taxId: 'DE123456789' },
    taxRates: { 'TEE-M': 1900, 'MUG-1': 700 },
    shippingTaxRate: 1900,
    taxLabel: 'VAT',
  });

  test('match the order totals, with one tax line per rate', () => {
    const totals = invoiceTotals(invoice);
    expect(totals).toEqual({
      subtotal: 5248,
      discountTotal: 900,
      shippingTotal: 495,
      taxTotal: 866 - 94, // the order carries no shipping tax
      total: 5248 - 900 + 772 + 495,
      taxLines: [
        { label: 'VAT 19%', rate: 1900, base: 3598 + 495, tax: 684 },
        { label: 'VAT 7%', rate: 700, base: 1250, tax: 88 },
      ],
    });
    expect(totals.total).toBe(ORDER.totals.total);
  });

  test('shipping tax is added to its rate', () => {
    const totals = invoiceTotals({ ...invoice, shipping: { amount: 495, tax: 94, taxRate: 1900 } });
    expect(totals.taxLines[0]).toEqual({ label: 'VAT 19%', rate: 1900, base: 4093, tax: 778 });
    expect(totals.total).toBe(5709);
  });
});

describe('PDF documents', () => {
  const at = (hour: number) => new Date(Date.UTC(2025, 2, 10, hour)).toISOString();
  const released = (id: string, lines: [string, number][], priority = 100): ReleasedOrder => ({
    id,
    channel: 'shopify',
    priority,
    slaDueAt: at(18),
    createdAt: at(8),
    lines: lines.map(([sku, quantity]) => ({ sku, quantity })),
  });
  const picklist = buildPicklist({
    id: 'PL-20250310-01',
    locationId: 'BER-WH',
    createdAt: at(9),
    orders: [
      released(
        'O-1001',
        [
          ['TEE-M', 2],
          ['CAP', 1],
        ],
        1,
      ),
      released('O-1002', [
        ['TEE-M', 1],
        ['LAMP', 3],
      ]),
      released('O-1003', [['MUG-1', 4]]),
    ],
    bins: { 'TEE-M': 'A-03-2', CAP: 'B-01-2', 'MUG-1': 'A-02-4' },
    items: [
      { sku: 'TEE-M', name: 'T-shirt M', barcode: '4006381333917' },
      { sku: 'CAP', name: 'Cap' },
      { sku: 'MUG-1', name: 'Mug', barcode: '4006381333931' },
      { sku: 'LAMP', name: 'Desk lamp' },
    ],
  });

  const invoice: Invoice = {
    ...invoiceFromOrder(ORDER, {
      invoiceNumber: 'INV-2025-0007',
      issuedAt: '2025-03-11T10:00:00Z',
      seller: { name: 'Orderhub Demo GmbH', address: WAREHOUSE, taxId: 'DE123456789' },
      taxRates: { 'TEE-M': 1900, 'MUG-1': 700 },
      shippingTaxRate: 1900,
      taxLabel: 'VAT',
    }),
    shipping: { amount: 495, tax: 94, taxRate: 1900 },
  };

  const label: ShippingLabel = {
    carrier: 'Kiez Kurier',
    service: 'Same day',
    trackingNumber: 'KK2025031000042',
    from: WAREHOUSE,
    to: CUSTOMER,
    createdAt: '2025-03-11T11:00:00Z',
    orderNumber: 'SO-1042',
    weightGrams: 1250,
    parcel: { index: 1, count: 2 },
  };

  test('the picklist lists every stop in walking order with bin, sku, name, quantity and order ids, unlocated last', async () => {
    const { text, pages } = await parsePdf(await renderPicklistPdf(picklist));
    expect(pages).toHaveLength(1);
    const rows = text.split('\n');
    const rowOf = (pattern: RegExp) => rows.findIndex((r) => pattern.test(r));
    const stops = [
      /^1 A-02-4 MUG-1 Mug 4006381333931 4$/,
      /^2 A-03-2 TEE-M T-shirt M 4006381333917 3$/,
      /^3 B-01-2 CAP Cap 1$/,
      /^Unlocated: no bin at BER-WH$/,
      /^4 — LAMP Desk lamp 3$/,
    ];
    const positions = stops.map(rowOf);
    expect(positions.every((p) => p >= 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
    expect(rows[positions[1] + 1]).toBe('Orders: O-1001 ×2, O-1002 ×1');
    expect(text).toContain('Orders: 3 (O-1001, O-1002, O-1003)');
    expect(text).toContain('Units: 11');
  });

  test('a long picklist runs over pages and keeps every stop', async () => {
    const skus = Array.from({ length: 90 }, (_, i) => `SKU-${String(i + 1).padStart(3, '0')}`);
    const big = buildPicklist({
      id: 'PL-BIG',
      locationId: 'BER-WH',
      createdAt: at(9),
      orders: Array.from({ length: 30 }, (_, o) =>
        released(
          `O-${o + 1}`,
          skus.filter((_, s) => s % 30 === o).map((sku) => [sku, 1 + (o % 4)]),
        ),
      ),
      bins: Object.fromEntries(skus.map((sku, i) => [sku, `A-${String(1 + Math.floor(i / 10)).padStart(2, '0')}-${(i % 10) + 1}`])),
    });
    const { text, pages } = await parsePdf(await renderPicklistPdf(big));
    expect(pages.length).toBeGreaterThan(1);
    for (const sku of skus) expect(text).toMatch(new RegExp(`\\b${sku}\\b`));
    // The header row repeats on every page.
    for (const page of pages) expect(page).toMatch(/# Bin SKU Item Barcode Qty/);
  });

  test('the packing slip names the order number, the ship-to address, each line and the parcel count', async () => {
    const slip = packingSlipFromOrder(ORDER, { createdAt: '2025-03-11T10:30:00Z', parcels: 2, shipFrom: WAREHOUSE });
    const { text } = await parsePdf(await renderPackingSlipPdf(slip));
    expect(text).toContain('Order number: SO-1042');
    expect(text).toMatch(/Zoë Lukasiewicz/);
    expect(text).toMatch(/Hauptstraße 12/);
    expect(text).toMatch(/14467 Potsdam/);
    expect(text).toMatch(/^TEE-M T-shirt M 2$/m);
    expect(text).toMatch(/^MUG-1 Mug 1$/m);
    expect(text).toContain('Units: 3');
    expect(text).toContain('Parcels: 2 parcels');
  });

  test('the invoice shows each line, the tax per rate and the totals, in the currency', async () => {
    const { text } = await parsePdf(await renderInvoicePdf(invoice));
    expect(text).toContain('Invoice INV-2025-0007');
    expect(text).toContain('Order number: SO-1042');
    expect(text).toContain('Seller tax id: DE123456789');
    expect(text).toMatch(/^TEE-M T-shirt M 2 €19\.99 -€4\.00 €6\.84 \(19%\) €35\.98$/m);
    expect(text).toMatch(/^MUG-1 Mug 1 €12\.50 €0\.88 \(7%\) €12\.50$/m);
    expect(text).toMatch(/^Subtotal €52\.48$/m);
    expect(text).toMatch(/^Discounts -€9\.00$/m);
    expect(text).toMatch(/^Code WELCOME -€5\.00$/m);
    expect(text).toMatch(/^Shipping €4\.95$/m);
    expect(text).toMatch(/^VAT 19% on €40\.93 €7\.78$/m);
    expect(text).toMatch(/^VAT 7% on €12\.50 €0\.88$/m);
    expect(text).toMatch(/^Tax total €8\.66$/m);
    expect(text).toMatch(/^Total €57\.09$/m);
  });

  test('an invoice in yen has no minor digits', async () => {
    const yen: Invoice = {
      ...invoice,
      currency: 'JPY',
      lines: [{ sku: 'MUG-1', quantity: 3, unitPrice: 1500, tax: 450, taxRate: 1000 }],
      discounts: [],
      shipping: undefined,
      taxLabel: 'Consumption tax',
    };
    const { text } = await parsePdf(await renderInvoicePdf(yen));
    expect(text).toMatch(/^Consumption tax 10% on ¥4,500 ¥450$/m);
    expect(text).toMatch(/^Total ¥4,950$/m);
  });

  test('the shipping label shows carrier, service, tracking number and both addresses', async () => {
    const { text, pages } = await parsePdf(await renderShippingLabelPdf(label));
    expect(pages).toHaveLength(1);
    expect(text).toMatch(/^Kiez Kurier$/m);
    expect(text).toMatch(/^Same day$/m);
    expect(text).toMatch(/^KK20 2503 1000 042$/m);
    expect(text).toMatch(/^KK2025031000042$/m);
    expect(text).toMatch(/SHIP TO\nZoë Lukasiewicz\nHauptstraße 12\n2\. OG\n14467 Potsdam\nDE/);
    expect(text).toMatch(/FROM\nOrderhub Fulfilment\nLagerstraße 5\n10117 Berlin/);
    expect(text).toMatch(/Order SO-1042 1\.25 kg Parcel 1 of 2/);
  });

  test('the shipping label carries a Code 128 barcode that scans back to the tracking number', async () => {
    // Printed at a thermal printer's 203 dpi and read by an independent decoder (ZXing).
    expect(await scanBarcodes(await renderShippingLabelPdf(label))).toEqual([{ text: 'KK2025031000042', format: 'CODE_128' }]);
    // Letters, digits and punctuation, long and short: what carriers' tracking numbers look like.
    for (const trackingNumber of ['1Z999AA10123456784', '9400111899223197428490', 'JJD000390007835413', 'AB-12/cd']) {
      const scanned = await scanBarcodes(await renderShippingLabelPdf({ ...label, trackingNumber }));
      expect(scanned.map((s) => s.text)).toEqual([trackingNumber]);
    }
    // Past what fits at one printer dot a module: no barcode, and the label says to key the number in.
    const tooLong = 'X'.repeat(64);
    const long = await renderShippingLabelPdf({ ...label, trackingNumber: tooLong });
    expect(await scanBarcodes(long)).toEqual([]);
    expect((await parsePdf(long)).text).toMatch(/Too long for a barcode on this label: key in the tracking number/);
  });

  test('the same input renders to the same bytes, dated by the input', async () => {
    const rendered = await Promise.all([
      renderInvoicePdf(invoice),
      renderInvoicePdf(invoice),
      renderInvoicePdf({ ...invoice, issuedAt: '2025-03-12T10:00:00Z' }),
    ]);
    expect(rendered[0].equals(rendered[1])).toBe(true);
    expect(rendered[0].equals(rendered[2])).toBe(false);
    const [first, later] = await parsePdfs([rendered[0], rendered[2]]);
    expect(first.info).toMatchObject({ Title: 'Invoice INV-2025-0007', CreationDate: 'D:20250311100000Z', Producer: 'Orderhub' });
    expect(later.info).toMatchObject({ CreationDate: 'D:20250312100000Z' });
  });

  test('renderDocument names the file and serves a PDF for each kind', async () => {
    const docs = await Promise.all([
      renderDocument({ kind: 'picklist', picklist }),
      renderDocument({ kind: 'packing_slip', packingSlip: packingSlipFromOrder(ORDER, { createdAt: '2025-03-11T10:30:00Z', parcels: 1 }) }),
      renderDocument({ kind: 'invoice', invoice }),
      renderDocument({ kind: 'shipping_label', label }),
    ]);
    expect(docs.map((d) => [d.fileName, d.contentType, d.body.subarray(0, 5).toString('latin1')])).toEqual([
      ['picklist-PL-20250310-01.pdf', 'application/pdf', '%PDF-'],
      ['packing-slip-SO-1042.pdf', 'application/pdf', '%PDF-'],
      ['invoice-INV-2025-0007.pdf', 'application/pdf', '%PDF-'],
      ['label-Kiez_Kurier-KK2025031000042.pdf', 'application/pdf', '%PDF-'],
    ]);
    const parsed = await parsePdfs(docs.map((d) => d.body));
    expect(parsed.map((p) => p.info.Title)).toEqual([
      'Picklist PL-20250310-01',
      'Packing slip SO-1042',
      'Invoice INV-2025-0007',
      'Label Kiez Kurier KK2025031000042',
    ]);
  });
});
