// Drop-ship (indent) orders: lines a supplier ships straight to the customer. Rules only, free of zod and
// of Node modules (the order workflow imports this file): which supplier ships which lines, what a
// supplier may answer, and how a purchase order's supplier status follows from its answers.

export const SUPPLIER_EVENT_TYPES = ['confirmed', 'shipped', 'refused'] as const;
export type SupplierEventType = (typeof SUPPLIER_EVENT_TYPES)[number];

// What a supplier said about a drop-ship purchase order, through its webhook or an operator (email suppliers).
export interface SupplierAnswer {
  purchaseOrderId: string;
  eventId: string; // the supplier's (or the operator's) id of this answer: applied once
  type: SupplierEventType;
  carrier?: string; // shipped
  trackingNumber?: string; // shipped
  reason?: string; // refused (or a note)
  at: string;
}

// created: written, not yet sent; sent: it went out (by HTTP, or queued as an email); cancelled: Orderhub
// withdrew it.
export type SupplierPoStatus = 'created' | 'sent' | 'confirmed' | 'shipped' | 'refused' | 'cancelled';

// One supplier's purchase order for a drop-ship order, as the order shows it.
export interface DropShipPurchaseOrder {
  purchaseOrderId: string;
  supplierId: string;
  part: string; // the order's part it ships ("1", "2", ... one per supplier)
  via: 'http' | 'email';
  status: SupplierPoStatus;
  lines: { sku: string; quantity: number }[];
  carrier?: string;
  trackingNumber?: string;
  reason?: string; // why the supplier refused
}

export interface DropShipGroup {
  supplierId: string;
  lines: { sku: string; quantity: number; unitCost?: number }[];
}

interface DropShipLine {
  sku: string;
  quantity: number;
  dropShip?: { supplierId: string; unitCost?: number };
}

export const isDropShipOrder = (order: { lines: readonly DropShipLine[] }): boolean => order.lines.some((l) => !!l.dropShip);

// Some lines drop-shipped and some stocked: the order ships in parts, the stocked lines from a location.
export const isMixedOrder = (order: { lines: readonly DropShipLine[] }): boolean =>
  isDropShipOrder(order) && order.lines.some((l) => !l.dropShip);

// The lines Orderhub's locations ship (reserved, picked and shipped through the stock ledger).
export const stockedLines = <L extends DropShipLine>(lines: readonly L[]): L[] => lines.filter((l) => !l.dropShip);

// The order's lines by the supplier that ships them, in the order the suppliers first appear.
export function dropShipGroups(order: { lines: readonly DropShipLine[] }): DropShipGroup[] {
  const groups: DropShipGroup[] = [];
  for (const line of order.lines) {
    if (!line.dropShip) continue;
    let group = groups.find((g) => g.supplierId === line.dropShip!.supplierId);
    if (!group) groups.push((group = { supplierId: line.dropShip.supplierId, lines: [] }));
    group.lines.push({
      sku: line.sku,
      quantity: line.quantity,
      ...(line.dropShip.unitCost !== undefined && { unitCost: line.dropShip.unitCost }),
    });
  }
  return groups;
}

// Why the supplier's answer does not fit the purchase order as it stands (undefined: it does). A repeat of
// the same answer is not a problem (it is applied once); a shipped order takes no other answer, a refused
// one only a shipment that crossed the refusal (the goods left after all), a cancelled one nothing.
export function supplierAnswerProblem(status: SupplierPoStatus, type: SupplierEventType): string | undefined {
  if (status === 'cancelled') return 'it was cancelled by Orderhub';
  if (status === 'shipped') return 'the supplier has already shipped it';
  if (status === 'refused' && type !== 'shipped') return 'the supplier has already refused it';
  if (status === 'confirmed' && type === 'confirmed') return 'the supplier has already confirmed it';
  return undefined;
}
