import type { Address } from '../../domain/address';
import { orderInputSchema, toOrder } from '../../domain/order';
import { DEFAULT_RETURN_POLICY, refundFor, type ReturnState } from '../../domain/returns';
import {
  creditNoteFromReturn,
  creditNoteTotals,
  renderCreditNotePdf,
  renderDocument,
  renderReturnAuthorisationPdf,
  returnAuthorisationFromReturn,
} from '../../documents';
import { scanBarcodes } from '../support/pdf-barcode';
import { parsePdf, parsePdfs } from '../support/pdf-text';

// The return's documents, rendered from a return state as the return workflow keeps it, read back with
// pdfjs-dist and scanned with ZXing (test/support).

const WAREHOUSE: Address = { name: 'Returns desk', line1: 'Lagerstraße 5', city: 'Berlin', postalCode: '10117', country: 'DE' };
const CUSTOMER: Address = { name: 'Zoë Łukasiewicz', line1: 'Hauptstraße 12', city: 'Potsdam', postalCode: '14467', country: 'DE' };
const BILLING: Address = {
  name: 'Zoë Łukasiewicz',
  company: 'Ł Design',
  line1: 'Rechnungsweg 1',
  city: 'Potsdam',
  postalCode: '14469',
  country: 'DE',
};

const ORDER = toOrder(
  orderInputSchema.parse({
    channel: 'shopify',
    channelOrderId: 'SO-1042',
    currency: 'EUR',
    customer: { name: 'Zoë Łukasiewicz', email: 'zoe@example.com' },
    shippingAddress: CUSTOMER,
    billingAddress: BILLING,
    lines: [
      { sku: 'TEE-M', name: 'T-shirt M', quantity: 2, unitPrice: 1999, discount: 400, tax: 684 },
      { sku: 'MUG-1', name: 'Mug', quantity: 1, unitPrice: 1250, tax: 88 },
      { sku: 'CAP', name: 'Cap', quantity: 1, unitPrice: 900, tax: 171 },
    ],
    shippingAmount: 495,
  }),
  '2025-03-10T09:00:00Z',
);

const POLICY = { ...DEFAULT_RETURN_POLICY, restockingFeeBasisPoints: 1000 };
const RETURNED = [
  { sku: 'TEE-M', quantity: 1 },
  { sku: 'MUG-1', quantity: 1 },
];
const priced = { lines: ORDER.lines, shipping: { amount: 495, tax: 0 }, captured: ORDER.totals.total, refunded: 0 };

function returnState(overrides: Partial<ReturnState> = {}): ReturnState {
  const at = (day: number) => `2025-03-${String(day).padStart(2, '0')}T10:00:00.000Z`;
  return {
    returnId: `return:${ORDER.id}:2`,
    orderId: ORDER.id,
    n: 2,
    channel: 'shopify',
    currency: 'EUR',
    status: 'refunded',
    history: [
      { status: 'requested', at: at(20) },
      { status: 'approved', at: at(20) },
      { status: 'awaiting_items', at: at(20) },
      { status: 'received', at: at(24) },
      { status: 'inspected', at: at(24) },
      { status: 'refunded', at: at(25) },
    ],
    request: { lines: RETURNED, reason: 'damaged', resolution: 'refund', note: 'The mug came chipped' },
    lines: ORDER.lines.map((l) => ({ sku: l.sku, name: l.name, quantity: l.quantity, unitPrice: l.unitPrice })),
    decision: {
      outcome: 'approved',
      rule: 'reason_auto_approved',
      why: '"Arrived damaged" is approved without review',
      at: at(20),
      by: 'policy',
    },
    source: 'api',
    expectItems: true,
    label: {
      source: 'bought',
      carrier: 'DHL',
      service: 'Retoure',
      trackingNumber: 'JJD000390007835413',
      labelUrl: 'https://labels.example/r/1.pdf',
    },
    receipt: { locationId: 'BER-1', scanned: RETURNED, at: at(24), by: 'desk' },
    refund: {
      ...refundFor(POLICY, priced, RETURNED, false),
      currency: 'EUR',
      method: 'original_payment',
      status: 'refunded',
      reference: 'pay_ref_77',
      at: at(25),
    },
    version: 7,
    createdAt: at(20),
    ...overrides,
  };
}

const merchant = { name: 'Orderhub merchant', address: WAREHOUSE };
const raOf = (state: ReturnState) =>
  returnAuthorisationFromReturn(state, ORDER, {
    raNumber: 'RA-0123456789AB',
    merchant,
    returnTo: WAREHOUSE,
    reasonLabel: 'Arrived damaged',
  });

describe('return authorisation', () => {
  test('names the RA number, the order, the customer, the lines, reason, resolution, decision and where to send them', async () => {
    const { text, pages } = await parsePdf(await renderReturnAuthorisationPdf(raOf(returnState())));
    expect(pages).toHaveLength(1);
    expect(text).toMatch(/^Return authorisation RA-0123456789AB$/m);
    expect(text).toContain('RA number: RA-0123456789AB');
    expect(text).toContain('Order number: SO-1042');
    expect(text).toContain('Date: 2025-03-20');
    expect(text).toMatch(/Customer\nZoë Lukasiewicz/);
    expect(text).toMatch(/Send the items to\nReturns desk\nLagerstraße 5\n10117 Berlin/);
    expect(text).toMatch(/^TEE-M T-shirt M 1$/m);
    expect(text).toMatch(/^MUG-1 Mug 1$/m);
    expect(text).not.toMatch(/^CAP/m);
    expect(text).toContain('Reason: Arrived damaged');
    expect(text).toContain('Resolution: Refund to the original payment');
    expect(text).toContain('Decision: approved: "Arrived damaged" is approved without review');
    expect(text).toContain('Decided: 2025-03-20 by policy');
    expect(text).toContain('Note: The mug came chipped');
    expect(text.replace(/\s+/g, ' ')).toContain('and write RA-0123456789AB on the outside.');
    expect(text).toContain('Return label: DHL Retoure');
    expect(text).toContain('Tracking number: JJD000390007835413');
    expect(text).toMatch(/^JJD0 0039 0007 8354 13$/m);
    expect(text).toContain('Label file: https://labels.example/r/1.pdf');
  });

  test("the return label's tracking number is a Code 128 barcode that scans back", async () => {
    const pdf = await renderReturnAuthorisationPdf(raOf(returnState()));
    expect(await scanBarcodes(pdf)).toEqual([{ text: 'JJD000390007835413', format: 'CODE_128' }]);
  });

  test('an exchange says what is wanted instead; without a label there is no barcode and the customer sends it themselves', async () => {
    const state = returnState({
      status: 'awaiting_items',
      request: {
        lines: [{ sku: 'TEE-M', quantity: 1 }],
        reason: 'wrong_size',
        resolution: 'exchange',
        exchangeLines: [{ sku: 'CAP', quantity: 1 }],
      },
      label: undefined,
    });
    const pdf = await renderReturnAuthorisationPdf(
      returnAuthorisationFromReturn(state, ORDER, { raNumber: 'RA-X', merchant, returnTo: WAREHOUSE }),
    );
    const { text } = await parsePdf(pdf);
    expect(text).toContain('Reason: wrong_size');
    expect(text).toContain('Resolution: Exchange');
    expect(text).toMatch(/SKU Wanted instead Qty\nCAP Cap 1/);
    expect(text.replace(/\s+/g, ' ')).toContain('no return label comes with this return');
    expect(text).not.toContain('Tracking number');
    expect(await scanBarcodes(pdf)).toEqual([]);
  });
});

describe('credit note', () => {
  test('its lines are priced as refundFor prices them, and the summary adds up to the refund', () => {
    const note = creditNoteFromReturn(returnState(), ORDER, { number: 'CN-SO-1042-2', seller: merchant });
    // TEE-M: (2 × 19.99 − 4.00) / 2 = 17.99, tax 6.84 / 2; MUG-1 whole.
    expect(note.lines).toEqual([
      { sku: 'TEE-M', name: 'T-shirt M', quantity: 1, unitPrice: 1999, goods: 1799, tax: 342 },
      { sku: 'MUG-1', name: 'Mug', quantity: 1, unitPrice: 1250, goods: 1250, tax: 88 },
    ]);
    expect(creditNoteTotals(note)).toEqual({
      goods: 3049,
      tax: 430,
      adjustment: 0,
      shipping: 0,
      restockingFee: 305,
      capped: 0,
      total: 3049 + 430 - 305,
    });
    expect(note.billTo).toEqual(BILLING);
    expect(note.issuedAt).toBe('2025-03-25T10:00:00.000Z');
  });

  test('shows the number, the order and invoice, the customer, each line with its amounts, the fee and the total', async () => {
    const note = creditNoteFromReturn(returnState(), ORDER, { number: 'CN-SO-1042-2', seller: merchant, invoiceNumber: 'INV-ABC' });
    const { text } = await parsePdf(await renderCreditNotePdf(note));
    expect(text).toMatch(/^Credit note CN-SO-1042-2$/m);
    expect(text).toContain('Credit note number: CN-SO-1042-2');
    expect(text).toContain('Order number: SO-1042');
    expect(text).toContain('Invoice: INV-ABC');
    expect(text).toContain('Date: 2025-03-25');
    expect(text).toContain('Method: Refunded to the original payment method');
    expect(text).toContain('Refund reference: pay_ref_77');
    expect(text).toMatch(/Customer\nZoë Lukasiewicz\nL Design\nRechnungsweg 1\n14469 Potsdam/);
    expect(text).toMatch(/^TEE-M T-shirt M 1 €19\.99 €17\.99 €3\.42 €21\.41$/m);
    expect(text).toMatch(/^MUG-1 Mug 1 €12\.50 €12\.50 €0\.88 €13\.38$/m);
    expect(text).toMatch(/^Goods returned €30\.49$/m);
    expect(text).toMatch(/^Tax €4\.30$/m);
    expect(text).toMatch(/^Restocking fee -€3\.05$/m);
    expect(text).not.toMatch(/Shipping refunded|Adjustment|Limited to/);
    expect(text).toMatch(/^Total credited €31\.74$/m);
  });

  test('store credit carries the credit note the workflow issued; shipping and a capped refund show as their own rows', async () => {
    const everything = ORDER.lines.map((l) => ({ sku: l.sku, quantity: l.quantity }));
    const refund = refundFor(
      { ...POLICY, restockingFeeBasisPoints: 0, refundShipping: 'whole_order' },
      { ...priced, refunded: 1000 },
      everything,
      true,
    );
    const state = returnState({
      request: { lines: everything, reason: 'changed_mind', resolution: 'store_credit' },
      receipt: { locationId: 'BER-1', scanned: everything, at: '2025-03-24T10:00:00.000Z', by: 'desk' },
      refund: { ...refund, currency: 'EUR', method: 'store_credit', status: 'credited', reference: 'CN-SO-1042-2' },
      creditNote: { number: 'CN-SO-1042-2', amount: refund.total, currency: 'EUR', issuedAt: '2025-03-26T08:00:00.000Z' },
    });
    const note = creditNoteFromReturn(state, ORDER, { number: state.creditNote!.number, seller: merchant });
    const totals = creditNoteTotals(note);
    expect(totals.capped).toBe(1000);
    expect(totals.total).toBe(ORDER.totals.total - 1000);
    const { text } = await parsePdf(await renderCreditNotePdf(note));
    expect(text).toContain('Date: 2025-03-26');
    expect(text).toContain('Method: Store credit');
    expect(text).not.toContain('Refund reference');
    expect(text).toMatch(/^CAP Cap 1 €9\.00 €9\.00 €1\.71 €10\.71$/m);
    expect(text).toMatch(/^Shipping refunded €4\.95$/m);
    expect(text).toMatch(/^Limited to what was paid and not yet refunded -€10\.00$/m);
    expect(text).toMatch(new RegExp(`^Total credited €${((ORDER.totals.total - 1000) / 100).toFixed(2)}$`, 'm'));
  });

  test('a return with no refund has no credit note', () => {
    expect(() => creditNoteFromReturn(returnState({ refund: undefined }), ORDER, { number: 'CN-1', seller: merchant })).toThrow(RangeError);
  });
});

test('renderDocument names the files of both return documents', async () => {
  const state = returnState();
  const docs = await Promise.all([
    renderDocument({ kind: 'return_authorisation', returnAuthorisation: raOf(state) }),
    renderDocument({ kind: 'credit_note', creditNote: creditNoteFromReturn(state, ORDER, { number: 'CN-SO-1042-2', seller: merchant }) }),
  ]);
  expect(docs.map((d) => [d.kind, d.fileName, d.contentType])).toEqual([
    ['return_authorisation', 'return-authorisation-RA-0123456789AB.pdf', 'application/pdf'],
    ['credit_note', 'credit-note-CN-SO-1042-2.pdf', 'application/pdf'],
  ]);
  const parsed = await parsePdfs(docs.map((d) => d.body));
  expect(parsed.map((p) => p.info.Title)).toEqual(['Return authorisation RA-0123456789AB', 'Credit note CN-SO-1042-2']);
});
