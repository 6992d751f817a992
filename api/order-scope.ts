import type { Request } from 'express';
import { inScope, locationsOfOrder, type Principal } from '../domain/access';
import { orderIdSchema } from '../domain/order';

type Placed = Parameters<typeof locationsOfOrder>[0];

/**
 * Where the order a request names is fulfilled (the part or location a command names, else every location
 * the order is at), for `requires(…, { location })`: a warehouse scoped to locations reads and acts on an
 * order only at its own. Undefined for a bad id or an unknown order, which the handler answers (400, 404).
 */
export function orderLocations(get: (orderId: string) => Promise<Placed | null>) {
  return {
    location: async (req: Request): Promise<string[] | undefined> => {
      const id = orderIdSchema.safeParse(req.params.id);
      const order = id.success ? await get(id.data) : null;
      return order ? locationsOfOrder(order, { part: req.body?.part, locationId: req.body?.locationId }) : undefined;
    },
  };
}

/** Whether a listed order is the principal's to see: any order, but for a warehouse only those at its locations. */
export const orderVisibleTo =
  (p: Principal | undefined) =>
  (order: Placed): boolean =>
    !p?.locations || locationsOfOrder(order).some((l) => inScope(p, 'location', l));
