import { z } from 'zod';
import { CsvSyntaxError, parseCsv, type CsvRecord } from './csv';
import { MoneyFormatError, toMinorUnits } from './money';
import { orderInputSchema, type OrderInput } from './order';
import { problemsOf } from './validation';

// Bulk orders (B2B): a CSV file, one row per order line (rows with the same order_ref are one order), or
// JSON { orders: [...] } as POST /orders takes them. Each row is checked, every problem named by row and
// column; an order any of whose rows is bad is left out whole (a row is never half applied), the others
// are captured.

export const MAX_IMPORT_ORDERS = 10_000;
export const MAX_IMPORT_ROWS = 100_000;
export const DEFAULT_IMPORT_CHANNEL = 'b2b';

// One problem: the file row (1 = the CSV header; for JSON the order's position from 1) and the column
// (for JSON the field's path in the order).
export interface ImportProblem {
  row: number;
  column: string;
  message: string;
}

export interface ParsedImport {
  rows: number; // data rows read (CSV), or orders (JSON)
  orders: { input: OrderInput; rows: number[] }[]; // the valid orders, each with the rows it came from
  problems: ImportProblem[];
  invalidRows: number; // rows with a problem of their own
  refusedOrders: number; // orders left out because of them
}

// The columns: what each sets, and whether it belongs to the order (the same on each of its rows) or to a line.
const ORDER_COLUMNS = [
  'order_ref',
  'channel',
  'currency',
  'customer_id',
  'customer_name',
  'customer_email',
  'customer_phone',
  'customer_account',
  'purchase_order_ref',
  'ship_name',
  'ship_company',
  'ship_line1',
  'ship_line2',
  'ship_city',
  'ship_region',
  'ship_postal_code',
  'ship_country',
  'ship_phone',
  'shipping',
  'payment_method',
  'net_days',
  'allow_split',
  'priority',
  'notes',
  'placed_at',
] as const;
const LINE_COLUMNS = ['sku', 'name', 'quantity', 'unit_price', 'discount', 'tax'] as const;
export const IMPORT_COLUMNS: readonly string[] = [...ORDER_COLUMNS, ...LINE_COLUMNS];
const REQUIRED = [
  'order_ref',
  'currency',
  'customer_name',
  'ship_line1',
  'ship_city',
  'ship_postal_code',
  'ship_country',
  'sku',
  'quantity',
  'unit_price',
];

// The column an OrderInput path came from, for naming a problem on its row (line: the order's line, whose row it is).
export function columnOf(path: readonly PropertyKey[]): { column: string; line?: number } {
  const [head, second, third] = path.map(String);
  if (head === 'lines' && second !== undefined && third !== undefined) {
    const byField: Record<string, string> = { unitPrice: 'unit_price' };
    return { column: byField[third] ?? third, line: Number(second) };
  }
  if (head === 'lines') return { column: 'sku' };
  const fields: Record<string, Record<string, string> | string> = {
    channelOrderId: 'order_ref',
    channel: 'channel',
    currency: 'currency',
    customer: { id: 'customer_id', name: 'customer_name', email: 'customer_email', phone: 'customer_phone', account: 'customer_account' },
    purchaseOrderRef: 'purchase_order_ref',
    shippingAddress: {
      name: 'ship_name',
      company: 'ship_company',
      line1: 'ship_line1',
      line2: 'ship_line2',
      city: 'ship_city',
      region: 'ship_region',
      postalCode: 'ship_postal_code',
      country: 'ship_country',
      phone: 'ship_phone',
    },
    shippingAmount: 'shipping',
    priority: 'priority',
    payment: { method: 'payment_method', terms: 'net_days', alreadyPaid: 'payment_method' },
    fulfillment: 'allow_split',
    notes: 'notes',
    placedAt: 'placed_at',
  };
  const f = fields[head];
  if (typeof f === 'string') return { column: f };
  return { column: (f && second !== undefined && f[second]) || head };
}

const optional = (v: string | undefined) => (v === undefined || v === '' ? undefined : v);

// A CSV file's orders. Throws nothing: a file that cannot be read at all is one problem on row 1.
export function ordersFromCsv(text: string): ParsedImport {
  const empty = (problems: ImportProblem[]): ParsedImport => ({ rows: 0, orders: [], problems, invalidRows: 0, refusedOrders: 0 });
  let records: CsvRecord[];
  try {
    records = parseCsv(text);
  } catch (err) {
    if (!(err instanceof CsvSyntaxError)) throw err;
    return empty([{ row: err.line, column: '', message: err.message.replace(/^line \d+: /, '') }]);
  }
  if (records.length === 0)
    return empty([{ row: 1, column: '', message: 'the file is empty: a header row and at least one order line are needed' }]);
  const [header, ...data] = records;
  const names = header.fields.map((h) => h.trim().toLowerCase());
  const headerProblems: ImportProblem[] = [];
  names.forEach((n, i) => {
    if (!IMPORT_COLUMNS.includes(n))
      headerProblems.push({
        row: header.line,
        column: n || `#${i + 1}`,
        message: `unknown column (the columns are ${IMPORT_COLUMNS.join(', ')})`,
      });
    else if (names.indexOf(n) !== i) headerProblems.push({ row: header.line, column: n, message: 'appears more than once' });
  });
  for (const r of REQUIRED)
    if (!names.includes(r)) headerProblems.push({ row: header.line, column: r, message: 'is a required column and is missing' });
  if (headerProblems.length) return empty(headerProblems);
  if (data.length === 0) return empty([{ row: header.line, column: '', message: 'no order lines below the header' }]);
  if (data.length > MAX_IMPORT_ROWS)
    return empty([{ row: header.line, column: '', message: `${data.length} rows: at most ${MAX_IMPORT_ROWS} per file` }]);

  const problems: ImportProblem[] = [];
  const badRows = new Set<number>();
  const flag = (row: number, column: string, message: string) => {
    problems.push({ row, column, message });
    badRows.add(row);
  };
  // Rows by order, in file order.
  const groups = new Map<string, { row: number; values: Record<string, string | undefined> }[]>();
  for (const rec of data) {
    if (rec.fields.length !== names.length) {
      flag(rec.line, '', `${rec.fields.length} fields where the header has ${names.length}`);
      continue;
    }
    const values: Record<string, string | undefined> = {};
    names.forEach((n, i) => (values[n] = optional(rec.fields[i].trim())));
    const ref = values.order_ref;
    if (!ref) {
      flag(rec.line, 'order_ref', 'is required: rows with the same order_ref are one order');
      continue;
    }
    const key = `${values.channel ?? DEFAULT_IMPORT_CHANNEL}\u0000${ref}`;
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key)!.push({ row: rec.line, values });
  }
  if (groups.size > MAX_IMPORT_ORDERS)
    return empty([{ row: header.line, column: 'order_ref', message: `${groups.size} orders: at most ${MAX_IMPORT_ORDERS} per file` }]);

  const orders: ParsedImport['orders'] = [];
  let refusedOrders = 0;
  for (const rows of groups.values()) {
    const first = rows[0];
    const before = problems.length;
    // The order's own columns must agree on every row of it (a blank repeats the first row's value).
    for (const r of rows.slice(1))
      for (const c of ORDER_COLUMNS)
        if (r.values[c] !== undefined && r.values[c] !== first.values[c])
          flag(r.row, c, `is "${r.values[c]}" but row ${first.row} of order ${first.values.order_ref} says "${first.values[c] ?? ''}"`);
    const v = first.values;
    const currency = v.currency ?? '';
    const amount = (row: number, column: string, value: string | undefined): number | undefined => {
      if (value === undefined) return undefined;
      try {
        return toMinorUnits(value, currency);
      } catch (err) {
        if (!(err instanceof MoneyFormatError)) throw err;
        flag(row, column, `"${value}" is not an amount: write it as 12.50 in the order's currency`);
        return undefined;
      }
    };
    const whole = (row: number, column: string, value: string | undefined): number | undefined => {
      if (value === undefined) return undefined;
      if (!/^-?\d+$/.test(value)) {
        flag(row, column, `"${value}" is not a whole number`);
        return undefined;
      }
      return Number(value);
    };
    const bool = (row: number, column: string, value: string | undefined): boolean | undefined => {
      if (value === undefined) return undefined;
      if (/^(true|yes|1)$/i.test(value)) return true;
      if (/^(false|no|0)$/i.test(value)) return false;
      flag(row, column, `"${value}" is not true or false`);
      return undefined;
    };
    const lines = rows.map((r) => ({
      sku: r.values.sku,
      ...(r.values.name !== undefined && { name: r.values.name }),
      quantity: whole(r.row, 'quantity', r.values.quantity),
      unitPrice: amount(r.row, 'unit_price', r.values.unit_price),
      ...(r.values.discount !== undefined && { discount: amount(r.row, 'discount', r.values.discount) }),
      ...(r.values.tax !== undefined && { tax: amount(r.row, 'tax', r.values.tax) }),
    }));
    const allowSplit = bool(first.row, 'allow_split', v.allow_split);
    const shipping = amount(first.row, 'shipping', v.shipping);
    const netDays = whole(first.row, 'net_days', v.net_days);
    const candidate = {
      channel: v.channel ?? DEFAULT_IMPORT_CHANNEL,
      channelOrderId: v.order_ref,
      currency,
      customer: {
        name: v.customer_name,
        ...(v.customer_id !== undefined && { id: v.customer_id }),
        ...(v.customer_email !== undefined && { email: v.customer_email }),
        ...(v.customer_phone !== undefined && { phone: v.customer_phone }),
        ...(v.customer_account !== undefined && { account: v.customer_account }),
      },
      ...(v.purchase_order_ref !== undefined && { purchaseOrderRef: v.purchase_order_ref }),
      shippingAddress: {
        line1: v.ship_line1,
        city: v.ship_city,
        postalCode: v.ship_postal_code,
        country: v.ship_country,
        ...(v.ship_name !== undefined && { name: v.ship_name }),
        ...(v.ship_company !== undefined && { company: v.ship_company }),
        ...(v.ship_line2 !== undefined && { line2: v.ship_line2 }),
        ...(v.ship_region !== undefined && { region: v.ship_region }),
        ...(v.ship_phone !== undefined && { phone: v.ship_phone }),
      },
      lines,
      ...(shipping !== undefined && { shippingAmount: shipping }),
      // Net days alone mean the order is paid on invoice.
      ...((v.payment_method !== undefined || netDays !== undefined) && {
        payment: { method: v.payment_method ?? 'invoice', ...(netDays !== undefined && { terms: { netDays } }) },
      }),
      ...(allowSplit !== undefined && { fulfillment: { method: 'ship', allowSplit } }),
      ...(v.priority !== undefined && { priority: v.priority }),
      ...(v.notes !== undefined && { notes: v.notes }),
      ...(v.placed_at !== undefined && { placedAt: v.placed_at }),
    };
    const parsed = orderInputSchema.safeParse(candidate);
    if (!parsed.success)
      for (const issue of parsed.error.issues) {
        const { column, line } = columnOf(issue.path);
        const row = line !== undefined && rows[line] ? rows[line].row : first.row;
        // A value already named as unreadable is not named again as missing.
        if (!problems.slice(before).some((p) => p.row === row && p.column === column)) flag(row, column, messageOf(issue));
      }
    if (problems.length > before || !parsed.success) {
      refusedOrders++;
      continue;
    }
    orders.push({ input: parsed.data, rows: rows.map((r) => r.row) });
  }
  problems.sort((a, b) => a.row - b.row);
  return { rows: data.length, orders, problems, invalidRows: badRows.size, refusedOrders };
}

function messageOf(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_type' && issue.input === undefined) return 'is required';
  return issue.message;
}

const importJsonSchema = z.strictObject({ orders: z.array(z.unknown()).min(1, 'needs at least one order').max(MAX_IMPORT_ORDERS) });

// JSON { orders: [...] }: each as POST /orders takes it; a problem's row is the order's position from 1
// (0: the file as a whole), its column the field's path, named as POST /orders names it.
export function ordersFromJson(body: unknown): ParsedImport {
  const outer = importJsonSchema.safeParse(body);
  if (!outer.success)
    return {
      rows: 0,
      orders: [],
      problems: problemsOf(outer.error).map((p) => ({ row: 0, column: p.path, message: p.message })),
      invalidRows: 0,
      refusedOrders: 0,
    };
  const orders: ParsedImport['orders'] = [];
  const problems: ImportProblem[] = [];
  const seen = new Map<string, number>();
  outer.data.orders.forEach((o, i) => {
    const parsed = orderInputSchema.safeParse(o);
    if (!parsed.success) {
      problems.push(...problemsOf(parsed.error, '').map((p) => ({ row: i + 1, column: p.path, message: p.message })));
      return;
    }
    const key = `${parsed.data.channel}\u0000${parsed.data.channelOrderId}`;
    if (seen.has(key)) {
      problems.push({ row: i + 1, column: 'channelOrderId', message: `repeats order ${seen.get(key)} of this file` });
      return;
    }
    seen.set(key, i + 1);
    orders.push({ input: parsed.data, rows: [i + 1] });
  });
  const bad = new Set(problems.map((p) => p.row)).size;
  return { rows: outer.data.orders.length, orders, problems, invalidRows: bad, refusedOrders: bad };
}
