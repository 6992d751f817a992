import { ValidationError } from '../../domain/errors';
import { distanceKm, locate, lookupPostalPrefix, parsePostalPrefixCsv, postalTableOf, type CsvProblem } from '../../domain/geo';

const BERLIN = { latitude: 52.52, longitude: 13.405 };
const MUNICH = { latitude: 48.1351, longitude: 11.582 };

describe('great-circle distance', () => {
  test.each([
    { name: 'Berlin to Munich is about 504 km', from: BERLIN, to: MUNICH, km: 504, within: 5 },
    { name: 'Munich to Berlin is the same distance', from: MUNICH, to: BERLIN, km: 504, within: 5 },
    {
      name: 'New York to London is about 5570 km',
      from: { latitude: 40.7128, longitude: -74.006 },
      to: { latitude: 51.5074, longitude: -0.1278 },
      km: 5570,
      within: 10,
    },
    { name: 'a place to itself is 0 km', from: BERLIN, to: BERLIN, km: 0, within: 0 },
    {
      name: 'across the antimeridian is short, not around the world',
      from: { latitude: 0, longitude: 179.5 },
      to: { latitude: 0, longitude: -179.5 },
      km: 111,
      within: 1,
    },
    {
      name: 'pole to pole is half the circumference',
      from: { latitude: 90, longitude: 0 },
      to: { latitude: -90, longitude: 0 },
      km: 20015,
      within: 1,
    },
  ])('$name', ({ from, to, km, within }) => {
    expect(Math.abs(distanceKm(from, to) - km)).toBeLessThanOrEqual(within);
  });
});

describe('postal prefix table', () => {
  const table = postalTableOf([
    { country: 'DE', prefix: '1', latitude: 52.5, longitude: 13.4 },
    { country: 'DE', prefix: '10', latitude: 52.52, longitude: 13.38 },
    { country: 'DE', prefix: '101', latitude: 52.53, longitude: 13.4 },
    { country: 'GB', prefix: 'SW1A', latitude: 51.501, longitude: -0.142 },
    { country: 'PL', prefix: '00-9', latitude: 52.23, longitude: 21.01 },
  ]);

  test.each([
    { name: 'the longest matching prefix wins', country: 'DE', code: '10117', prefix: '101' },
    { name: 'a shorter prefix answers when no longer one matches', country: 'DE', code: '10999', prefix: '10' },
    { name: 'a one-character prefix covers the rest of its area', country: 'DE', code: '12345', prefix: '1' },
    { name: 'spaces and case in the postal code do not matter', country: 'GB', code: 'sw1a 1aa', prefix: 'SW1A' },
    { name: 'dashes in prefix and code do not matter', country: 'PL', code: '00-950', prefix: '009' },
    { name: 'no match in a known country', country: 'DE', code: '80331', prefix: undefined },
    { name: 'the same digits in another country do not match', country: 'AT', code: '1010', prefix: undefined },
  ])('$name', ({ country, code, prefix }) => {
    expect(lookupPostalPrefix(table, country, code)?.prefix).toBe(prefix);
  });

  test.each([
    {
      name: "an address's own coordinates come first, even when the table knows its postal code",
      address: { country: 'DE', postalCode: '10117', latitude: 1, longitude: 2 },
      expected: { source: 'address', coordinates: { latitude: 1, longitude: 2 } },
    },
    {
      name: 'an address without coordinates is placed by the table',
      address: { country: 'DE', postalCode: '10117' },
      expected: { source: 'postal_prefix', prefix: '101', coordinates: { latitude: 52.53, longitude: 13.4 } },
    },
    {
      name: 'half a coordinate pair is not a place: the table is used',
      address: { country: 'DE', postalCode: '12000', latitude: 1 },
      expected: { source: 'postal_prefix', prefix: '1', coordinates: { latitude: 52.5, longitude: 13.4 } },
    },
    { name: 'neither coordinates nor a prefix: not placed', address: { country: 'FR', postalCode: '75001' }, expected: undefined },
  ])('locate: $name', ({ address, expected }) => {
    expect(locate(address, table)).toEqual(expected);
  });

  test('a table survives a JSON round trip (it is stored and sent to activities as is)', () => {
    const copy = JSON.parse(JSON.stringify(table));
    expect(lookupPostalPrefix(copy, 'DE', '10117')?.prefix).toBe('101');
  });
});

describe("the merchant's postal prefix CSV", () => {
  test('a well-formed file is read, whatever the column order, quoting, line endings and blank lines', () => {
    const csv = '\uFEFFprefix,country,latitude,longitude\r\n"10",de,52.52,13.38\r\n\r\n"SW1A 1",GB,51.501,-0.142\r\n';
    expect(parsePostalPrefixCsv(csv)).toEqual([
      { country: 'DE', prefix: '10', latitude: 52.52, longitude: 13.38 },
      { country: 'GB', prefix: 'SW1A1', latitude: 51.501, longitude: -0.142 },
    ]);
  });

  const problemsOf = (csv: string): Pick<CsvProblem, 'line' | 'field' | 'path'>[] => {
    try {
      parsePostalPrefixCsv(csv);
    } catch (error) {
      expect(error).toBeInstanceOf(ValidationError);
      return (error as ValidationError).problems.map((p) => {
        const { line, field, path } = p as CsvProblem;
        return { line, field, path };
      });
    }
    throw new Error('expected the CSV to be refused');
  };

  test('every bad row is reported at once with its line number and field', () => {
    const csv = [
      'country,prefix,latitude,longitude',
      'DE,10,52.52,13.38',
      'Germany,11,52.5,13.4',
      'DE,12,north,13.4',
      'DE,13,52.5,200',
      'DE,14,52.4',
      'DE,1-0,52.5,13.4',
      'DE,,52.5,13.4',
      'DE,15,"52.5,13.4',
      'XX,##,91,',
    ].join('\n');
    expect(problemsOf(csv)).toEqual([
      { line: 3, field: 'country', path: 'line 3.country' },
      { line: 4, field: 'latitude', path: 'line 4.latitude' },
      { line: 5, field: 'longitude', path: 'line 5.longitude' },
      { line: 6, field: 'row', path: 'line 6.row' },
      { line: 7, field: 'prefix', path: 'line 7.prefix' },
      { line: 8, field: 'prefix', path: 'line 8.prefix' },
      { line: 9, field: 'row', path: 'line 9.row' },
      { line: 10, field: 'prefix', path: 'line 10.prefix' },
      { line: 10, field: 'latitude', path: 'line 10.latitude' },
      { line: 10, field: 'longitude', path: 'line 10.longitude' },
    ]);
  });

  test('the messages say what is wrong', () => {
    try {
      parsePostalPrefixCsv('country,prefix,latitude,longitude\nDE,10,52.52,13.38\nDE,10,52.5,13.4\nDE,11,"52,5",13.4');
      throw new Error('expected the CSV to be refused');
    } catch (error) {
      expect((error as ValidationError).problems).toEqual([
        expect.objectContaining({ line: 3, field: 'prefix', message: 'DE 10 is already on line 2' }),
        expect.objectContaining({ line: 4, field: 'latitude', message: expect.stringMatching(/not a decimal number/) }),
      ]);
    }
  });

  test.each([
    { name: 'an empty file', csv: '', expected: [{ line: 1, field: 'header', path: 'line 1.header' }] },
    {
      name: 'a header with a missing and an unknown column',
      csv: 'country,zip,latitude,longitude\nDE,10,52.5,13.4',
      expected: [
        { line: 1, field: 'zip', path: 'line 1.zip' },
        { line: 1, field: 'prefix', path: 'line 1.prefix' },
      ],
    },
  ])('$name is refused at the header', ({ csv, expected }) => {
    expect(problemsOf(csv)).toEqual(expected);
  });
});
