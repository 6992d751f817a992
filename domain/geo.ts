import type { Address } from './address';
import { ValidationError, type FieldProblem } from './errors';

// Places on the globe, distances between them, and a merchant's postal-code prefix table for
// addresses that come without coordinates. Pure: no I/O, no zod (cheap to import anywhere).

export interface Coordinates {
  latitude: number;
  longitude: number;
}

// The mean Earth radius (IUGG); the spherical model is off by at most ~0.5 %, plenty for routing.
export const EARTH_RADIUS_KM = 6371.0088;

const radians = (degrees: number) => (degrees * Math.PI) / 180;

// Great-circle distance by the haversine formula, in kilometres.
export function distanceKm(from: Coordinates, to: Coordinates): number {
  const dLat = radians(to.latitude - from.latitude);
  const dLon = radians(to.longitude - from.longitude);
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(radians(from.latitude)) * Math.cos(radians(to.latitude)) * Math.sin(dLon / 2) ** 2;
  // Rounding can push h a hair above 1 for antipodal points.
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.sqrt(Math.min(1, h)));
}

// ---------------------------------------------------------------------------------------------
// Postal-code prefix table

export interface PostalPrefixRow {
  country: string;
  prefix: string;
  latitude: number;
  longitude: number;
}

// country -> normalised prefix -> coordinates. Plain JSON, so it can be stored, sent to an activity
// or posted to /routing/simulate as is.
export type PostalPrefixTable = { readonly [country: string]: { readonly [prefix: string]: Coordinates } };

export const EMPTY_POSTAL_TABLE: PostalPrefixTable = {};

// "SW1A 1AA" and "sw1a1aa", "00-950" and "00950" are the same code for prefix matching.
export function normalisePostalCode(code: string): string {
  return code.toUpperCase().replace(/[\s-]+/g, '');
}

export function postalTableOf(rows: readonly PostalPrefixRow[]): PostalPrefixTable {
  const table: Record<string, Record<string, Coordinates>> = {};
  for (const row of rows) {
    const country = row.country.toUpperCase();
    table[country] ??= {};
    table[country][normalisePostalCode(row.prefix)] = { latitude: row.latitude, longitude: row.longitude };
  }
  return table;
}

// The longest prefix of the postal code that the table knows for that country.
export function lookupPostalPrefix(
  table: PostalPrefixTable,
  country: string,
  postalCode: string,
): { prefix: string; coordinates: Coordinates } | undefined {
  const byPrefix = Object.hasOwn(table, country) ? table[country] : undefined;
  if (!byPrefix) return undefined;
  const code = normalisePostalCode(postalCode);
  for (let length = code.length; length > 0; length--) {
    const prefix = code.slice(0, length);
    if (Object.hasOwn(byPrefix, prefix)) return { prefix, coordinates: byPrefix[prefix] };
  }
  return undefined;
}

export type Located =
  { source: 'address'; coordinates: Coordinates } | { source: 'postal_prefix'; prefix: string; coordinates: Coordinates };

// Where an address is: its own coordinates when it has both, else the postal prefix table.
export function locate(
  address: Pick<Address, 'country' | 'postalCode' | 'latitude' | 'longitude'>,
  table: PostalPrefixTable = EMPTY_POSTAL_TABLE,
): Located | undefined {
  if (address.latitude !== undefined && address.longitude !== undefined) {
    return { source: 'address', coordinates: { latitude: address.latitude, longitude: address.longitude } };
  }
  const hit = lookupPostalPrefix(table, address.country, address.postalCode);
  return hit && { source: 'postal_prefix', prefix: hit.prefix, coordinates: hit.coordinates };
}

// ---------------------------------------------------------------------------------------------
// The merchant's CSV: header `country,prefix,latitude,longitude` (any column order), one prefix a row.

export const POSTAL_CSV_COLUMNS = ['country', 'prefix', 'latitude', 'longitude'] as const;
type PostalCsvColumn = (typeof POSTAL_CSV_COLUMNS)[number];

// A problem in the CSV, with the 1-based line number and the column, so the merchant can fix every row at once.
export interface CsvProblem extends FieldProblem {
  line: number;
  field: string;
}

// Fields of one line: comma-separated, optionally double-quoted ("" inside quotes is a quote).
function splitCsvLine(line: string): string[] | undefined {
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"' && field.trim() === '') {
      quoted = true;
      field = '';
    } else if (c === ',') {
      fields.push(field.trim());
      field = '';
    } else field += c;
  }
  if (quoted) return undefined;
  fields.push(field.trim());
  return fields;
}

function coordinateOf(raw: string, min: number, max: number): number | string {
  if (!/^[+-]?(\d+(\.\d*)?|\.\d+)$/.test(raw))
    return raw === '' ? 'is required' : `"${raw}" is not a decimal number (use a point, e.g. 52.52)`;
  const value = Number(raw);
  return value < min || value > max ? `must be between ${min} and ${max}` : value;
}

/**
 * Parse the merchant's postal prefix CSV into normalised rows (country upper-case, prefix without
 * spaces or dashes). Blank lines are skipped. Every bad row is reported at once, by line and column,
 * as a ValidationError whose problems are CsvProblems.
 */
export function parsePostalPrefixCsv(csv: string): PostalPrefixRow[] {
  const lines = csv.replace(/^\uFEFF/, '').split(/\r\n|\n|\r/);
  const problems: CsvProblem[] = [];
  const problem = (line: number, field: string, message: string) => problems.push({ path: `line ${line}.${field}`, line, field, message });
  const fail = () => new ValidationError(`Invalid postal prefix CSV: ${problems.length} problem(s)`, problems);

  if ((lines[0] ?? '').trim() === '') {
    problem(1, 'header', `is missing: the first line must be ${POSTAL_CSV_COLUMNS.join(',')}`);
    throw fail();
  }
  const header = splitCsvLine(lines[0])?.map((h) => h.toLowerCase()) ?? [];
  const column = new Map<PostalCsvColumn, number>();
  header.forEach((name, index) => {
    if (!(POSTAL_CSV_COLUMNS as readonly string[]).includes(name)) problem(1, name || `column ${index + 1}`, 'is not a known column');
    else if (column.has(name as PostalCsvColumn)) problem(1, name, 'appears more than once');
    else column.set(name as PostalCsvColumn, index);
  });
  for (const name of POSTAL_CSV_COLUMNS)
    if (!column.has(name)) problem(1, name, `is missing: the header must be ${POSTAL_CSV_COLUMNS.join(',')}`);
  if (problems.length > 0) throw fail();

  const rows: PostalPrefixRow[] = [];
  const firstLineOf = new Map<string, number>();
  lines.slice(1).forEach((text, index) => {
    const line = index + 2;
    if (text.trim() === '') return;
    const fields = splitCsvLine(text);
    if (!fields) return problem(line, 'row', 'has an unclosed quote');
    if (fields.length !== header.length) return problem(line, 'row', `has ${fields.length} field(s), the header has ${header.length}`);
    const get = (name: PostalCsvColumn) => fields[column.get(name)!];
    const before = problems.length;

    const country = get('country').toUpperCase();
    if (!/^[A-Z]{2}$/.test(country)) problem(line, 'country', 'must be an ISO 3166-1 alpha-2 code such as "DE"');
    const prefix = normalisePostalCode(get('prefix'));
    if (!/^[A-Z0-9]{1,20}$/.test(prefix)) problem(line, 'prefix', 'must be 1 to 20 letters or digits (spaces and dashes are ignored)');
    const latitude = coordinateOf(get('latitude'), -90, 90);
    if (typeof latitude === 'string') problem(line, 'latitude', latitude);
    const longitude = coordinateOf(get('longitude'), -180, 180);
    if (typeof longitude === 'string') problem(line, 'longitude', longitude);
    if (problems.length > before || typeof latitude === 'string' || typeof longitude === 'string') return;

    // Two rows for one prefix would make the table depend on row order.
    const key = `${country}|${prefix}`;
    const first = firstLineOf.get(key);
    if (first !== undefined) return problem(line, 'prefix', `${country} ${prefix} is already on line ${first}`);
    firstLineOf.set(key, line);
    rows.push({ country, prefix, latitude, longitude });
  });
  if (problems.length > 0) throw fail();
  return rows;
}
