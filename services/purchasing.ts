// Purchasing: suppliers, purchase orders (checked against the catalogue, the locations and the supplier),
// the commands that move them (open, cancel the rest, move the expected date), receipts applied to the stock
// ledger once per receipt id, and ERP receipts that name one of our purchase orders counted against it.
import { randomBytes } from 'node:crypto';
import { ConflictError, NotFoundError, ValidationError, type FieldProblem } from '../domain/errors';
import {
  checkReceipt,
  decideCancel,
  decideExpectedDate,
  decideOpen,
  erpReceiptMismatch,
  expectedDateFor,
  purchaseOrderIdSchema,
  type InboundStock,
  type PurchaseOrder,
  type PurchaseOrderEvent,
  type PurchaseOrderInput,
  type PurchaseOrderReceiptInput,
  type PurchaseOrderStatus,
  type Supplier,
} from '../domain/purchasing';
import type { Items, Locations } from '../store/catalog';
import type { OrdersView } from '../store/orders';
import type { Appended, PurchaseOrders, Suppliers } from '../store/purchasing';
import type { LedgerEntry, StockLedger } from '../store/stock-ledger';
import type { Connections } from '../store/connections';

export interface PurchasingServiceDeps {
  suppliers: Pick<Suppliers, 'create' | 'get' | 'list'>;
  purchaseOrders: Pick<PurchaseOrders, 'create' | 'get' | 'append' | 'list'>;
  items: Pick<Items, 'missing'>;
  locations: Pick<Locations, 'get'>;
  ledger: Pick<StockLedger, 'apply'>;
  orders: Pick<OrdersView, 'waitingForSku'>;
  connections: Pick<Connections, 'view'>; // a drop-ship supplier's connection must be a supplier_http one
  // Told the skus whose expected stock changed (opened, received, cancelled, moved): promise dates follow.
  onInboundChange?: (skus: string[]) => Promise<unknown>;
  now?: () => Date;
}

type ReceiptEvent = Extract<PurchaseOrderEvent, { type: 'receipt' }>;

// The ledger key of one line of a receipt: the receipt id is unique within its purchase order.
const ledgerKeyFor = (poId: string, receiptId: string, sku: string) => `po:${poId}:${receiptId}:${sku}`;

export function newPurchaseOrderId(now: Date): string {
  return `PO-${now.toISOString().slice(0, 10).replace(/-/g, '')}-${randomBytes(3).toString('hex').toUpperCase()}`;
}

/**
 * An ERP receipt whose purchase order reference names one of ours counts against it, once per ERP receipt
 * id. The ERP pull has already applied it to the ledger (under the same key), so it is never refused here:
 * it is linked when the order expects that sku (over-receipts included: the goods are in), and otherwise
 * left unlinked with the reason.
 */
export async function linkErpReceipt(
  deps: { purchaseOrders: Pick<PurchaseOrders, 'append'>; now?: () => Date },
  r: {
    connectionId: string;
    receiptId: string;
    purchaseOrderId: string;
    sku: string;
    quantity: number;
    locationId: string;
    ledgerKey: string;
  },
): Promise<{ linked: true; duplicate: boolean } | { linked: false; reason: string }> {
  if (!purchaseOrderIdSchema.safeParse(r.purchaseOrderId).success)
    return { linked: false, reason: `no purchase order ${r.purchaseOrderId}` };
  const at = (deps.now?.() ?? new Date()).toISOString();
  try {
    const appended = await deps.purchaseOrders.append(r.purchaseOrderId, r.ledgerKey, (po) => {
      const why = erpReceiptMismatch(po, r.sku);
      if (why) throw new ConflictError(why);
      return {
        type: 'receipt',
        at,
        by: `erp:${r.connectionId}`,
        receiptId: `erp:${r.connectionId}:${r.receiptId}`,
        source: 'erp',
        lines: [{ sku: r.sku, quantity: r.quantity, locationId: r.locationId, ledgerKey: r.ledgerKey }],
        overReceipt: true,
        reference: r.receiptId,
      };
    });
    if (!appended) return { linked: false, reason: `no purchase order ${r.purchaseOrderId}` };
    return { linked: true, duplicate: appended.duplicate };
  } catch (err) {
    if (err instanceof ConflictError) return { linked: false, reason: err.message };
    throw err;
  }
}

export function createPurchasingService(deps: PurchasingServiceDeps) {
  const now = deps.now ?? (() => new Date());
  const inboundChanged = async (po: PurchaseOrder, changed = true) => {
    if (changed) await deps.onInboundChange?.([...new Set(po.lines.map((l) => l.sku))]);
  };

  async function poOrThrow(id: string): Promise<PurchaseOrder> {
    const po = await deps.purchaseOrders.get(id);
    if (!po) throw new NotFoundError(`Purchase order ${id} does not exist`, { id });
    return po;
  }

  async function appendOrThrow(id: string, key: string, decide: (po: PurchaseOrder) => PurchaseOrderEvent | null): Promise<Appended> {
    const appended = await deps.purchaseOrders.append(id, key, decide);
    if (!appended) throw new NotFoundError(`Purchase order ${id} does not exist`, { id });
    return appended;
  }

  // Every receipt made through the API reaches the ledger: this one, and any earlier one whose application
  // a crash interrupted (each line under its own key, so an applied line is not applied again). The ledger
  // tells the channels and offers the stock to waiting orders, as for POST /stock/receipts.
  async function settle(po: PurchaseOrder): Promise<Map<string, LedgerEntry>> {
    const entries = new Map<string, LedgerEntry>();
    for (const receipt of po.receipts.filter((r) => r.source === 'api')) {
      for (const line of receipt.lines) {
        const applied = await deps.ledger.apply({
          sku: line.sku,
          locationId: line.locationId,
          type: 'receipt',
          quantity: line.quantity,
          idempotencyKey: line.ledgerKey,
          actor: receipt.by,
          reference: po.id,
        });
        entries.set(line.ledgerKey, applied.entry);
      }
    }
    return entries;
  }

  const sameReceipt = (a: { sku: string; quantity: number }[], b: { sku: string; quantity: number }[]) => {
    const key = (ls: { sku: string; quantity: number }[]) =>
      ls
        .map((l) => `${l.sku}:${l.quantity}`)
        .sort()
        .join(',');
    return key(a) === key(b);
  };

  return {
    async createSupplier(supplier: Supplier): Promise<Supplier> {
      const connectionId = supplier.dropShip?.connectionId;
      if (connectionId !== undefined) {
        const connection = await deps.connections.view(connectionId);
        if (!connection || connection.kind !== 'supplier_http')
          throw new ValidationError('Invalid supplier: 1 problem(s)', [
            {
              path: 'dropShip.connectionId',
              message: connection
                ? `connection ${connectionId} is a ${connection.kind} connection, not supplier_http`
                : `unknown connection ${connectionId}`,
            },
          ]);
      }
      return deps.suppliers.create(supplier);
    },
    suppliers: (q: { cursor?: string; limit: number }) => deps.suppliers.list({ limit: q.limit, ...(q.cursor && { after: q.cursor }) }),
    async supplier(id: string): Promise<Supplier> {
      const supplier = await deps.suppliers.get(id);
      if (!supplier) throw new NotFoundError(`Supplier ${id} does not exist`, { id });
      return supplier;
    },

    // Checked against stored facts, every problem named at once; nothing is written for a bad one.
    async createPurchaseOrder(input: PurchaseOrderInput, actor: string): Promise<PurchaseOrder> {
      const [supplier, location, missing] = await Promise.all([
        deps.suppliers.get(input.supplierId),
        deps.locations.get(input.locationId),
        deps.items.missing(input.lines.map((l) => l.sku)),
      ]);
      const unknown = new Set(missing);
      const problems: FieldProblem[] = [
        ...(supplier ? [] : [{ path: 'supplierId', message: `unknown supplier ${input.supplierId}` }]),
        ...(location ? [] : [{ path: 'locationId', message: `unknown location ${input.locationId}` }]),
        ...input.lines.flatMap((l, i) => (unknown.has(l.sku) ? [{ path: `lines.${i}.sku`, message: `unknown sku ${l.sku}` }] : [])),
      ];
      if (problems.length || !supplier) throw new ValidationError(`Invalid purchase order: ${problems.length} problem(s)`, problems);
      const at = now();
      const created = await deps.purchaseOrders.create({
        id: input.id ?? newPurchaseOrderId(at),
        supplierId: input.supplierId,
        locationId: input.locationId,
        currency: input.currency ?? supplier.currency,
        expectedDate: input.expectedDate ?? expectedDateFor(supplier.leadTimeDays, at),
        initialStatus: input.status,
        lines: input.lines,
        ...(input.reference !== undefined && { reference: input.reference }),
        ...(input.note !== undefined && { note: input.note }),
        createdAt: at.toISOString(),
        createdBy: actor,
      });
      await inboundChanged(created, created.status === 'open');
      return created;
    },

    purchaseOrder: poOrThrow,
    purchaseOrders: (q: { status?: PurchaseOrderStatus; supplierId?: string; sku?: string; cursor?: string; limit: number }) =>
      deps.purchaseOrders.list({
        limit: q.limit,
        ...(q.status && { status: q.status }),
        ...(q.supplierId && { supplierId: q.supplierId }),
        ...(q.sku && { sku: q.sku }),
        ...(q.cursor && { after: q.cursor }),
      }),

    // A draft becomes open (expected stock from then on); opening an open one changes nothing.
    async open(id: string, actor: string) {
      const { po, event, duplicate } = await appendOrThrow(id, 'open', (po) => decideOpen(po, now().toISOString(), actor));
      await inboundChanged(po, event !== undefined && !duplicate);
      return { purchaseOrder: po, changed: event !== undefined && !duplicate };
    },

    // The unreceived rest is no longer expected; cancelling again changes nothing. A drop-ship purchase
    // order belongs to its customer order: cancelling that order withdraws it.
    async cancel(id: string, actor: string, reason?: string) {
      const dropShip = (await poOrThrow(id)).dropShip;
      if (dropShip)
        throw new ConflictError(
          `Purchase order ${id} ships order ${dropShip.orderId}: cancel that order (POST /orders/:id/cancel) instead`,
          {
            purchaseOrderId: id,
            orderId: dropShip.orderId,
          },
        );
      const { po, event, duplicate } = await appendOrThrow(id, 'cancel', (po) => decideCancel(po, now().toISOString(), actor, reason));
      await inboundChanged(po, event !== undefined && !duplicate);
      return { purchaseOrder: po, changed: event !== undefined && !duplicate };
    },

    // The supplier's new date for what is still expected.
    async moveExpectedDate(id: string, expectedDate: string, actor: string, reason?: string) {
      const key = `expected_date:${randomBytes(8).toString('hex')}`;
      const { po, event, duplicate } = await appendOrThrow(id, key, (po) =>
        decideExpectedDate(po, expectedDate, now().toISOString(), actor, reason),
      );
      await inboundChanged(po, event !== undefined && !duplicate);
      return { purchaseOrder: po, changed: event !== undefined && !duplicate };
    },

    /**
     * Goods received at the purchase order's destination, once per receipt id: the receipt is appended to
     * the order's log (decided against every receipt before it), then each line is applied to the stock
     * ledger under a key derived from the receipt. A repeated receipt id answers the first receipt and
     * writes nothing new; reused for other lines it is refused (409).
     */
    async receive(id: string, input: PurchaseOrderReceiptInput, receiptId: string, actor: string) {
      const appended = await appendOrThrow(id, `receipt:${receiptId}`, (po) => {
        checkReceipt(po, input.lines, input.overReceipt);
        return {
          type: 'receipt',
          at: now().toISOString(),
          by: actor,
          receiptId,
          source: 'api',
          lines: input.lines.map((l) => ({ ...l, locationId: po.locationId, ledgerKey: ledgerKeyFor(po.id, receiptId, l.sku) })),
          overReceipt: input.overReceipt,
          ...(input.reference !== undefined && { reference: input.reference }),
          ...(input.note !== undefined && { note: input.note }),
        };
      });
      const receipt = appended.event as ReceiptEvent;
      if (appended.duplicate && !sameReceipt(receipt.lines, input.lines))
        throw new ConflictError(`Receipt ${receiptId} was already used for other lines on purchase order ${id}`, {
          receiptId,
          existing: receipt.lines.map((l) => ({ sku: l.sku, quantity: l.quantity })),
        });
      const entries = await settle(appended.po);
      await inboundChanged(appended.po);
      const waiting = await Promise.all(
        receipt.lines.map(async (l) => [l.sku, (await deps.orders.waitingForSku(l.sku).catch(() => undefined))?.length] as const),
      );
      return {
        purchaseOrder: appended.po,
        receipt,
        duplicate: appended.duplicate,
        entries: receipt.lines.map((l) => entries.get(l.ledgerKey)!),
        waitingOrders: Object.fromEntries(waiting.filter(([, n]) => n !== undefined)),
      };
    },
  };
}

export type PurchasingService = ReturnType<typeof createPurchasingService>;

/** Expected stock of a sku, per purchase order and summed per location (the earliest date first). */
export function inboundSummary(inbound: InboundStock[]) {
  const byLocation = new Map<string, { locationId: string; quantity: number; nextExpectedDate: string }>();
  for (const i of inbound) {
    const at = byLocation.get(i.locationId);
    if (!at) byLocation.set(i.locationId, { locationId: i.locationId, quantity: i.quantity, nextExpectedDate: i.expectedDate });
    else {
      at.quantity += i.quantity;
      if (i.expectedDate < at.nextExpectedDate) at.nextExpectedDate = i.expectedDate;
    }
  }
  return {
    inbound: inbound.map(({ sku: _sku, ...rest }) => rest),
    inboundByLocation: [...byLocation.values()].sort((a, b) => a.locationId.localeCompare(b.locationId)),
  };
}
