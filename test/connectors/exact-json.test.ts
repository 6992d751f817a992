import { parseJsonExact } from '../../connectors/exact-json';

describe('vendor JSON with exact ids', () => {
  test('an integer past 2^53 is kept as its digits; everything else parses as JSON.parse does', () => {
    const text =
      '{"id": 820982911946154508, "customer": {"id": 115310627314723954, "orders_count": 3}, "line_items": [{"id": 866550311766439020, "quantity": 1, "price": "199.00", "grams": 0.5}], "small": 9007199254740991, "negative": -9223372036854775808, "note": "id 820982911946154508 in \\"quotes\\"", "exp": 1e21, "ok": true, "none": null}';
    expect(parseJsonExact(text)).toEqual({
      id: '820982911946154508',
      customer: { id: '115310627314723954', orders_count: 3 },
      line_items: [{ id: '866550311766439020', quantity: 1, price: '199.00', grams: 0.5 }],
      small: 9007199254740991,
      negative: '-9223372036854775808',
      note: 'id 820982911946154508 in "quotes"',
      exp: 1e21,
      ok: true,
      none: null,
    });
    // JSON.parse alone loses the last digits.
    expect(String((JSON.parse(text) as { id: number }).id)).not.toBe('820982911946154508');
  });

  test('JSON without big integers parses unchanged, and broken JSON fails as JSON.parse fails', () => {
    const text = '[1, -2.5, "a\\\\", {"b": [true, false, null]}]';
    expect(parseJsonExact(text)).toEqual(JSON.parse(text));
    expect(() => parseJsonExact('{"id": 820982911946154508,')).toThrow(SyntaxError);
    expect(() => parseJsonExact('{"a": -}')).toThrow(SyntaxError);
  });
});
