import { parseCsv, CsvSyntaxError } from '../../domain/csv';
import { ordersFromCsv, ordersFromJson } from '../../domain/order-import';

const HEADER =
  'order_ref,customer_name,customer_email,ship_line1,ship_city,ship_postal_code,ship_country,currency,sku,quantity,unit_price,shipping';

describe('CSV', () => {
  test('quoted fields keep commas, doubled quotes and line breaks; CRLF and LF both end a record; blank lines are skipped', () => {
    const text = '\ufeffa,b,c\r\n"1,5","say ""hi""","two\nlines"\n\nx,,z\n';
    expect(parseCsv(text)).toEqual([
      { line: 1, fields: ['a', 'b', 'c'] },
      { line: 2, fields: ['1,5', 'say "hi"', 'two\nlines'] },
      { line: 5, fields: ['x', '', 'z'] },
    ]);
  });

  test('a quote left open or text after a closing quote names its line', () => {
    expect(() => parseCsv('a,b\n"open,1\n')).toThrow(new CsvSyntaxError(2, 'a quoted field is not closed'));
    expect(() => parseCsv('a,b\n"x"y,1\n')).toThrow(/line 2: text after a closing quote/);
  });
});

describe('orders from CSV', () => {
  test('rows with the same order_ref are one order; amounts are decimals in the order currency; blanks repeat the first row', () => {
    const csv = [
      HEADER,
      'PO-1,Acme GmbH,buyer@acme.example,Hauptstr. 1,Berlin,10115,DE,EUR,BOLT-M8,500,0.12,25.00',
      'PO-1,,,,,,,,NUT-M8,500,0.05,',
      'PO-2,Beta AG,,"Ring 2, Hof",Köln,50667,DE,JPY,BOLT-M8,10,15,',
    ].join('\n');
    const parsed = ordersFromCsv(csv);
    expect(parsed.problems).toEqual([]);
    expect(parsed.rows).toBe(3);
    expect(parsed.orders.map((o) => [o.input.channel, o.input.channelOrderId, o.rows])).toEqual([
      ['b2b', 'PO-1', [2, 3]],
      ['b2b', 'PO-2', [4]],
    ]);
    expect(parsed.orders[0].input).toMatchObject({
      currency: 'EUR',
      shippingAmount: 2500,
      customer: { name: 'Acme GmbH', email: 'buyer@acme.example' },
      lines: [
        { sku: 'BOLT-M8', quantity: 500, unitPrice: 12 },
        { sku: 'NUT-M8', quantity: 500, unitPrice: 5 },
      ],
    });
    expect(parsed.orders[1].input.shippingAddress.line1).toBe('Ring 2, Hof');
    expect(parsed.orders[1].input.lines[0].unitPrice).toBe(15); // JPY has no minor unit
  });

  test('every problem is named by row and column, and an order with a bad row is left out whole', () => {
    const csv = [
      HEADER,
      'PO-1,Acme,not-an-email,Hauptstr. 1,Berlin,10115,DE,EUR,BOLT-M8,five,0.12,',
      'PO-1,,,,,,,,NUT-M8,1,1.00,',
      'PO-2,Beta,,Ring 2,Köln,50667,Germany,EUR,BOLT-M8,1,12.5x,',
      'PO-3,Gamma,,Ring 3,Köln,50667,DE,EUR,BOLT-M8,1,1.00,',
      'PO-3,,,,,,,USD,NUT-M8,1,1.00,',
      'PO-4,Delta,,Ring 4,Köln,50667,DE,EUR,BOLT-M8,1,1.00,',
      ',Nobody,,Ring 4,Köln,50667,DE,EUR,BOLT-M8,1,1.00,',
      'PO-5,too,few',
    ].join('\n');
    const parsed = ordersFromCsv(csv);
    expect(parsed.problems).toEqual([
      { row: 2, column: 'quantity', message: '"five" is not a whole number' },
      { row: 2, column: 'customer_email', message: expect.any(String) },
      { row: 4, column: 'unit_price', message: '"12.5x" is not an amount: write it as 12.50 in the order\'s currency' },
      { row: 4, column: 'ship_country', message: 'must be an ISO 3166-1 alpha-2 code such as "DE"' },
      { row: 6, column: 'currency', message: 'is "USD" but row 5 of order PO-3 says "EUR"' },
      { row: 8, column: 'order_ref', message: 'is required: rows with the same order_ref are one order' },
      { row: 9, column: '', message: '3 fields where the header has 12' },
    ]);
    expect(parsed.orders.map((o) => o.input.channelOrderId)).toEqual(['PO-4']);
    expect([parsed.invalidRows, parsed.refusedOrders]).toEqual([5, 3]); // rows 2, 4, 6, 8 and 9; orders PO-1, PO-2 and PO-3
  });

  test('a header with unknown, repeated or missing columns is refused before any row', () => {
    const parsed = ordersFromCsv('order_ref,sku,sku,colour\nPO-1,A,B,red\n');
    expect(parsed.orders).toEqual([]);
    expect(parsed.problems.map((p) => [p.row, p.column])).toEqual([
      [1, 'sku'],
      [1, 'colour'],
      [1, 'currency'],
      [1, 'customer_name'],
      [1, 'ship_line1'],
      [1, 'ship_city'],
      [1, 'ship_postal_code'],
      [1, 'ship_country'],
      [1, 'quantity'],
      [1, 'unit_price'],
    ]);
  });
});

test('orders from JSON: problems name the order by position and the field by path; a repeated order is refused', () => {
  const order = {
    channel: 'b2b',
    channelOrderId: 'PO-1',
    currency: 'EUR',
    customer: { name: 'Acme' },
    shippingAddress: { line1: 'Hauptstr. 1', city: 'Berlin', postalCode: '10115', country: 'DE' },
    lines: [{ sku: 'BOLT-M8', quantity: 1, unitPrice: 100 }],
  };
  const parsed = ordersFromJson({ orders: [order, { ...order, lines: [{ sku: 'BOLT-M8', quantity: 0, unitPrice: 100 }] }, order] });
  expect(parsed.orders).toHaveLength(1);
  expect(parsed.problems).toEqual([
    { row: 2, column: 'lines.0.quantity', message: 'must be at least 1' },
    { row: 3, column: 'channelOrderId', message: 'repeats order 1 of this file' },
  ]);
  expect(ordersFromJson({ orders: [] }).problems).toEqual([{ row: 0, column: 'orders', message: 'needs at least one order' }]);
});
