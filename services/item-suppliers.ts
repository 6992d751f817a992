// Drop-ship items: an item the catalogue has drop-shipped by a supplier (`dropShip { supplierId }` on the
// item) is shipped by that supplier on every order that names it, however the order came in (POST /orders, a
// channel, a bulk import). One helper for the three: each decides what to do when it does not fit (POST /orders
// refuses, a channel order stays stocked, an import refuses the order naming its rows).
import type { FieldProblem } from '../domain/errors';
import { dropShipProblems, type OrderInput } from '../domain/order';
import type { Item } from '../domain/catalog';
import type { Items } from '../store/catalog';
import type { Suppliers } from '../store/purchasing';

export type ItemSuppliers = ReadonlyMap<string, NonNullable<Item['dropShip']>>;

export interface RoutedOrder {
  input: OrderInput; // the order with its lines for drop-ship items given their supplier
  routed: boolean; // some line took its item's supplier
  // Why the routed order is not one Orderhub can drop-ship (a pickup, allowSplit false across suppliers or
  // beside stocked lines), each path as the order names it (lines.N.dropShip).
  problems: { path: (string | number)[]; message: string }[];
}

/**
 * Lines for items drop-shipped by a supplier take that supplier (a line naming its own wins); the order is then
 * checked again as one with drop-shipped lines (dropShipProblems). `suppliers`: the items' suppliers by sku
 * (items.dropShippers), read once for many orders when there are many.
 */
export function routeToItemSuppliers(input: OrderInput, suppliers: ItemSuppliers): RoutedOrder {
  const taking = input.lines.filter((l) => !l.dropShip && suppliers.has(l.sku));
  if (taking.length === 0) return { input, routed: false, problems: [] };
  const routed = {
    ...input,
    lines: input.lines.map((l) => (!l.dropShip && suppliers.has(l.sku) ? { ...l, dropShip: suppliers.get(l.sku)! } : l)),
  };
  const skus = taking.map((l) => l.sku);
  const by = [...new Set(taking.map((l) => suppliers.get(l.sku)!.supplierId))];
  const why = `(the order's ${skus.join(', ')} ${skus.length > 1 ? 'are' : 'is'} drop-shipped by ${by.join(', ')}, as the catalogue says)`;
  const problems = dropShipProblems(routed).map((p) =>
    p.path[0] === 'lines' && p.path.length === 3 ? { ...p, message: `${p.message} ${why}` } : p,
  );
  return { input: routed, routed: true, problems };
}

/** routeToItemSuppliers for one order, reading its items' suppliers. */
export async function withItemSuppliers(items: Pick<Items, 'dropShippers'>, input: OrderInput): Promise<RoutedOrder> {
  const unrouted = input.lines.filter((l) => !l.dropShip).map((l) => l.sku);
  if (unrouted.length === 0) return { input, routed: false, problems: [] };
  return routeToItemSuppliers(input, await items.dropShippers(unrouted));
}

/** Each drop-shipped line names a supplier that exists and ships to customers (named per line). */
export async function dropShipSupplierProblems(suppliers: Pick<Suppliers, 'get'>, input: OrderInput): Promise<FieldProblem[]> {
  const ids = [...new Set(input.lines.flatMap((l) => (l.dropShip ? [l.dropShip.supplierId] : [])))];
  const found = new Map(await Promise.all(ids.map(async (id) => [id, await suppliers.get(id)] as const)));
  return input.lines.flatMap((l, i) => {
    if (!l.dropShip) return [];
    const supplier = found.get(l.dropShip.supplierId);
    if (supplier?.dropShip) return [];
    const message = supplier
      ? `supplier ${supplier.id} does not drop-ship: it was created without dropShip`
      : `unknown supplier ${l.dropShip.supplierId}`;
    return [{ path: `lines.${i}.dropShip.supplierId`, message }];
  });
}
