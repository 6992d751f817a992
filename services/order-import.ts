// Bulk order imports (B2B): a file is checked row by row as it is uploaded, its valid orders stored, and
// an import workflow captures them; the same file uploaded again is the same import and captures nothing new.
import { createHash } from 'node:crypto';
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { ConflictError, NotFoundError, ValidationError } from '../domain/errors';
import { orderWorkflowId } from '../domain/ids';
import type { OrderInput } from '../domain/order';
import { columnOf, ordersFromCsv, ordersFromJson, type ImportProblem, type ParsedImport } from '../domain/order-import';
import type { Items } from '../store/catalog';
import type { Suppliers } from '../store/purchasing';
import { IMPORT_CHUNK_SIZE, MAX_LISTED_PROBLEMS, type OrderImport, type OrderImports } from '../store/order-imports';
import type { OrderWorkflowInput } from '../workflows/order';
import { routeToItemSuppliers } from './item-suppliers';
import type { PreorderService } from './preorders';
import type { OrdersView } from '../store/orders';
import { importOrdersWorkflow } from '../workflows/import/workflow';

export interface OrderImportDeps {
  orderImports: Pick<OrderImports, 'get' | 'create' | 'resultsOf'>;
  items: Pick<Items, 'missing' | 'dropShippers'>; // lines for drop-ship items are drop-shipped by the item's supplier
  suppliers: Pick<Suppliers, 'get'>; // drop-shipped lines name a supplier that drop-ships
  temporal: Client;
  taskQueue: string;
  orderSettings?: OrderWorkflowInput['settings'];
  // Pre-orders claim their share of the inbound stock when the file is uploaded, as POST /orders does.
  preorders?: Pick<PreorderService, 'prepare' | 'claim'>;
  orders?: Pick<OrdersView, 'get'>; // an order captured already claims nothing again
}

export interface ImportView {
  importId: string;
  status: 'capturing' | 'completed';
  format: 'csv' | 'json';
  rows: number;
  orders: number;
  invalidRows: number;
  refusedOrders: number;
  problemCount: number;
  problems: ImportProblem[];
  progress: { chunks: number; chunksDone: number; captured: number; duplicates: number; pending: number };
  createdAt: string;
  createdBy: string;
}

export const importWorkflowId = (importId: string) => `import:${importId}`;

// Orders naming an sku the catalogue lacks are refused, the sku named on each row that has it.
async function refuseUnknownSkus(items: Pick<Items, 'missing'>, parsed: ParsedImport, format: 'csv' | 'json'): Promise<ParsedImport> {
  const skus = [...new Set(parsed.orders.flatMap((o) => o.input.lines.map((l) => l.sku)))];
  const missing = new Set(skus.length ? await items.missing(skus) : []);
  if (missing.size === 0) return parsed;
  const problems = [...parsed.problems];
  const orders: ParsedImport['orders'] = [];
  let invalidRows = parsed.invalidRows;
  let refusedOrders = parsed.refusedOrders;
  for (const o of parsed.orders) {
    const bad = o.input.lines.flatMap((l, i) => (missing.has(l.sku) ? [{ sku: l.sku, row: o.rows[i] ?? o.rows[0], line: i }] : []));
    if (bad.length === 0) {
      orders.push(o);
      continue;
    }
    refusedOrders++;
    for (const b of bad) {
      problems.push({
        row: b.row,
        column: format === 'csv' ? 'sku' : `lines.${b.line}.sku`,
        message: `unknown sku ${b.sku}: create it with POST /items first`,
      });
    }
    invalidRows += new Set(bad.map((b) => b.row)).size;
  }
  problems.sort((a, b) => a.row - b.row);
  return { ...parsed, orders, problems, invalidRows, refusedOrders };
}

// Lines for items the catalogue drop-ships take the item's supplier, as POST /orders does (no column needed:
// the item decides); beside stocked lines such an order ships in parts. One that cannot then be shipped as
// it stands (type drop_ship with stocked lines, allow_split false across sources) is refused, each problem
// named by row and column.
async function routeToSuppliers(items: Pick<Items, 'dropShippers'>, parsed: ParsedImport, format: 'csv' | 'json'): Promise<ParsedImport> {
  const skus = [...new Set(parsed.orders.flatMap((o) => o.input.lines.flatMap((l) => (l.dropShip ? [] : [l.sku]))))];
  const suppliers = skus.length ? await items.dropShippers(skus) : new Map();
  if (suppliers.size === 0) return parsed;
  const problems = [...parsed.problems];
  const orders: ParsedImport['orders'] = [];
  let { invalidRows, refusedOrders } = parsed;
  for (const o of parsed.orders) {
    const routed = routeToItemSuppliers(o.input, suppliers);
    if (routed.problems.length === 0) {
      orders.push(routed.input === o.input ? o : { ...o, input: routed.input });
      continue;
    }
    refusedOrders++;
    const bad = routed.problems.map((p) => {
      if (format === 'json') return { row: o.rows[0], column: p.path.join('.'), message: p.message };
      const { column, line } = columnOf(p.path);
      const atLine = p.path[0] === 'lines' && typeof p.path[1] === 'number';
      return atLine
        ? { row: o.rows[p.path[1] as number] ?? o.rows[0], column: 'sku', message: `is stocked, but ${stockedBeside(p.message)}` }
        : { row: (line !== undefined && o.rows[line]) || o.rows[0], column, message: p.message };
    });
    problems.push(...bad);
    invalidRows += new Set(bad.map((b) => b.row)).size;
  }
  problems.sort((a, b) => a.row - b.row);
  return { ...parsed, orders, problems, invalidRows, refusedOrders };
}

// "is required on a drop_ship order: ..." as said of a CSV row's sku.
const stockedBeside = (message: string) => message.replace(/^is required: /, '');

// Pre-orders, as POST /orders takes them: a line for an item the catalogue sells as a pre-order becomes a
// pre-order line (no column: the item decides), a release date given in JSON is checked, and each pre-order
// claims its share of what open purchase orders still expect, in file order (first come, first served; the
// claim log is insert-only, so racing uploads and POST /orders are decided one after the other). A claim
// refused (more than is left to claim) refuses the order, named by its row with the 409's message, and
// nothing is written for it. Run last, once every other check passed, so only orders that will be captured
// claim; a claim lasts until the order reserves or ends, as any pre-order's.
async function takePreorders(deps: OrderImportDeps, parsed: ParsedImport, format: 'csv' | 'json'): Promise<ParsedImport> {
  const preorders = deps.preorders;
  if (!preorders) return parsed;
  const problems = [...parsed.problems];
  const orders: ParsedImport['orders'] = [];
  let { invalidRows, refusedOrders } = parsed;
  const refuse = (bad: ImportProblem[]) => {
    refusedOrders++;
    problems.push(...bad);
    invalidRows += new Set(bad.map((b) => b.row)).size;
  };
  // The row and column of a problem at an order's path (lines.N.x: the line's row).
  const at = (o: ParsedImport['orders'][number], path: string): { row: number; column: string } => {
    const line = /^lines\.(\d+)\.(\w+)/.exec(path);
    if (format === 'json') return { row: o.rows[0], column: path };
    return {
      row: (line && o.rows[Number(line[1])]) || o.rows[0],
      column: line ? columnOf(['lines', Number(line[1]), line[2]]).column : path,
    };
  };
  for (const o of parsed.orders) {
    let input: OrderInput;
    try {
      input = await preorders.prepare(o.input);
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      refuse(err.problems.map((p) => ({ ...at(o, p.path), message: p.message })));
      continue;
    }
    if (input.type === 'pre_order') {
      const orderId = orderWorkflowId(input.channel, input.channelOrderId);
      try {
        if (!(await deps.orders?.get(orderId))) await preorders.claim(orderId, input);
      } catch (err) {
        if (!(err instanceof ConflictError)) throw err;
        const path = (err.details as { path?: unknown } | undefined)?.path;
        refuse([{ ...at(o, typeof path === 'string' ? path : 'lines'), message: err.message }]);
        continue;
      }
    }
    orders.push(input === o.input ? o : { ...o, input });
  }
  problems.sort((a, b) => a.row - b.row);
  return { ...parsed, orders, problems, invalidRows, refusedOrders };
}

// Orders with a drop-shipped line whose supplier does not exist or does not drop-ship are refused, the line named.
// (A CSV has no supplier column: its drop-shipped lines took their item's supplier, so the row's sku is named.)
async function refuseBadSuppliers(suppliers: Pick<Suppliers, 'get'>, parsed: ParsedImport, format: 'csv' | 'json'): Promise<ParsedImport> {
  const ids = [...new Set(parsed.orders.flatMap((o) => o.input.lines.flatMap((l) => (l.dropShip ? [l.dropShip.supplierId] : []))))];
  if (ids.length === 0) return parsed;
  const found = new Map(await Promise.all(ids.map(async (id) => [id, await suppliers.get(id)] as const)));
  const problems = [...parsed.problems];
  const orders: ParsedImport['orders'] = [];
  let { invalidRows, refusedOrders } = parsed;
  for (const o of parsed.orders) {
    const bad = o.input.lines.flatMap((l, i) => {
      const id = l.dropShip?.supplierId;
      if (id === undefined || found.get(id)?.dropShip) return [];
      const message = found.get(id) ? `supplier ${id} does not drop-ship` : `unknown supplier ${id}`;
      return format === 'csv'
        ? [{ row: o.rows[i] ?? o.rows[0], column: 'sku', message: `is drop-shipped by ${id}, as the catalogue says, but ${message}` }]
        : [{ row: o.rows[i] ?? o.rows[0], column: `lines.${i}.dropShip.supplierId`, message }];
    });
    if (bad.length === 0) {
      orders.push(o);
      continue;
    }
    refusedOrders++;
    problems.push(...bad);
    invalidRows += new Set(bad.map((b) => b.row)).size;
  }
  problems.sort((a, b) => a.row - b.row);
  return { ...parsed, orders, problems, invalidRows, refusedOrders };
}

export function createOrderImportService(deps: OrderImportDeps) {
  async function ensureStarted(doc: OrderImport): Promise<void> {
    try {
      await deps.temporal.workflow.start(importOrdersWorkflow, {
        workflowId: importWorkflowId(doc._id),
        taskQueue: deps.taskQueue,
        args: [{ importId: doc._id, chunks: doc.chunks, ...(deps.orderSettings && { settings: deps.orderSettings }) }],
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
      });
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    }
  }

  async function view(doc: OrderImport): Promise<ImportView> {
    const results = await deps.orderImports.resultsOf(doc._id, doc.chunks);
    const done = results.filter((r) => r !== null);
    const captured = done.reduce((s, r) => s + r.captured, 0);
    const duplicates = done.reduce((s, r) => s + r.duplicates, 0);
    return {
      importId: doc._id,
      status: done.length === doc.chunks ? 'completed' : 'capturing',
      format: doc.format,
      rows: doc.rows,
      orders: doc.orders,
      invalidRows: doc.invalidRows,
      refusedOrders: doc.refusedOrders,
      problemCount: doc.problemCount,
      problems: doc.problems,
      progress: { chunks: doc.chunks, chunksDone: done.length, captured, duplicates, pending: doc.orders - captured - duplicates },
      createdAt: doc.createdAt.toISOString(),
      createdBy: doc.createdBy,
    };
  }

  return {
    // Check the file and start capturing its valid orders: created false when this file was uploaded
    // before (its import answers, nothing new is captured). A file with no valid order is refused whole.
    async upload(
      file: { format: 'csv'; text: string } | { format: 'json'; body: unknown; raw: Buffer },
      actor: string,
    ): Promise<{ view: ImportView; created: boolean }> {
      const digest = createHash('sha256').update(`${file.format}\n`);
      digest.update(file.format === 'csv' ? file.text : file.raw);
      const importId = `imp_${digest.digest('hex').slice(0, 32)}`;
      const earlier = await deps.orderImports.get(importId);
      if (earlier) {
        await ensureStarted(earlier);
        return { view: await view(earlier), created: false };
      }
      const read = file.format === 'csv' ? ordersFromCsv(file.text) : ordersFromJson(file.body);
      const known = await refuseUnknownSkus(deps.items, read, file.format);
      const routed = await refuseBadSuppliers(deps.suppliers, await routeToSuppliers(deps.items, known, file.format), file.format);
      const parsed = await takePreorders(deps, routed, file.format);
      if (parsed.orders.length === 0) {
        // Not stored, so more are named than an import keeps (10,000 unknown fields are each named).
        const listed = parsed.problems.slice(0, 20 * MAX_LISTED_PROBLEMS);
        throw new ValidationError(
          `Invalid import: no order can be imported (${parsed.problems.length} problem(s)${listed.length < parsed.problems.length ? `, the first ${listed.length} listed` : ''})`,
          listed.map((p) => ({
            path: p.row === 0 ? p.column || '(body)' : `rows.${p.row}${p.column ? `.${p.column}` : ''}`,
            message: p.message,
          })),
        );
      }
      const doc: OrderImport = {
        _id: importId,
        format: file.format,
        rows: parsed.rows,
        orders: parsed.orders.length,
        chunks: Math.ceil(parsed.orders.length / IMPORT_CHUNK_SIZE),
        invalidRows: parsed.invalidRows,
        refusedOrders: parsed.refusedOrders,
        problemCount: parsed.problems.length,
        problems: parsed.problems.slice(0, MAX_LISTED_PROBLEMS),
        createdAt: new Date(),
        createdBy: actor,
      };
      const stored = await deps.orderImports.create(
        doc,
        parsed.orders.map((o) => o.input),
      );
      await ensureStarted(stored.doc);
      return { view: await view(stored.doc), created: stored.created };
    },

    async get(importId: string): Promise<ImportView> {
      const doc = /^imp_[0-9a-f]{32}$/.test(importId) ? await deps.orderImports.get(importId) : null;
      if (!doc) throw new NotFoundError(`Import ${importId} does not exist`, { importId });
      return view(doc);
    },
  };
}
