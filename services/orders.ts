// Orders as the API sees them: placed (checked against the catalogue and the pickup store, then captured
// once), listed and read from the view, and commanded through their workflow (services/order-commands.ts).
import type { Client } from '@temporalio/client';
import { NotFoundError, ValidationError, type FieldProblem } from '../domain/errors';
import type { Logger } from '../domain/logger';
import type { OrderInput } from '../domain/order';
import { lineAllowsBackorder } from '../domain/backorder';
import { paymentDueOf, type OrderView } from '../domain/order-state';
import type { Items, Locations } from '../store/catalog';
import type { OrderListQuery, OrdersView } from '../store/orders';
import type { OrderWorkflowInput } from '../workflows/order';
import { commandOrder, type CommandAnswer, type OrderCommand } from './order-commands';
import { captureOrder, type CaptureResult } from './order-intake';
import type { PromiseService, PromiseView } from './promises';
import type { Suppliers } from '../store/purchasing';
import type { PreorderService } from './preorders';
import { orderWorkflowId } from '../domain/ids';
import { isTerminal } from '../domain/status';
import { dropShipSupplierProblems, withItemSuppliers } from './item-suppliers';

export interface OrderServiceDeps {
  orders: Pick<OrdersView, 'get' | 'list' | 'insertReceived'>;
  items: Pick<Items, 'missing' | 'backorderable' | 'dropShippers'>;
  locations: Pick<Locations, 'get'>;
  suppliers: Pick<Suppliers, 'get'>;
  temporal: Client;
  taskQueue: string;
  log: Logger;
  orderSettings?: OrderWorkflowInput['settings'];
  commandAnswerWithinMs?: number;
  promiseDates?: Pick<PromiseService, 'forOrder'>; // a waiting order's promised date (services/promises.ts)
  preorders?: Pick<PreorderService, 'prepare' | 'claim' | 'ofOrder'>; // pre-order lines and their claims (services/preorders.ts)
}

/** An order's view by id, or null: where an order is placed, for the routes' location scopes (api/order-scope.ts). */
export function orderLookup(deps: { orders: Pick<OrdersView, 'get'> }): (orderId: string) => Promise<OrderView | null> {
  return (orderId) => deps.orders.get(orderId);
}

export function createOrderService(deps: OrderServiceDeps) {
  const { orders, items, locations } = deps;

  // What the order names that Orderhub does not have: unknown skus, a pickup store that is not one.
  async function unknownsOf(input: OrderInput): Promise<FieldProblem[]> {
    const missing = new Set(await items.missing(input.lines.map((l) => l.sku)));
    const problems = input.lines.flatMap((l, i) =>
      missing.has(l.sku) ? [{ path: `lines.${i}.sku`, message: `unknown sku ${l.sku}: create it with POST /items first` }] : [],
    );
    problems.push(...(await backordersRefused(input, missing)));
    problems.push(...(await dropShipSupplierProblems(deps.suppliers, input)));
    const storeId = input.fulfillment.pickupLocationId;
    if (storeId === undefined) return problems;
    const store = await locations.get(storeId);
    if (!store || !store.active || !store.pickup)
      problems.push({
        path: 'fulfillment.pickupLocationId',
        message: !store ? `unknown location ${storeId}` : `location ${storeId} does not offer pickup`,
      });
    return problems;
  }

  // Backorders asked for items that do not allow them: named per line (or on the order's own flag).
  async function backordersRefused(input: OrderInput, missing: Set<string>): Promise<FieldProblem[]> {
    const asking = input.lines.filter((l) => !missing.has(l.sku) && lineAllowsBackorder(input, l));
    if (asking.length === 0) return [];
    const allowed = await items.backorderable(asking.map((l) => l.sku));
    const refused = asking.filter((l) => !allowed.has(l.sku));
    const orderWide = refused.filter((l) => l.allowBackorder === undefined);
    const why = (skus: string[]) =>
      `${skus.join(', ')} ${skus.length > 1 ? 'do' : 'does'} not allow backorders (set allowBackorder on the item, or leave it out here)`;
    return [
      ...input.lines.flatMap((l, i) =>
        l.allowBackorder === true && refused.includes(l) ? [{ path: `lines.${i}.allowBackorder`, message: why([l.sku]) }] : [],
      ),
      ...(orderWide.length
        ? [{ path: input.allowBackorder !== undefined ? 'allowBackorder' : 'type', message: why(orderWide.map((l) => l.sku)) }]
        : []),
    ];
  }

  return {
    // A pre-order claims its share of the inbound stock before it is captured: refused, nothing is written.
    // (A repeat of an order already captured claims nothing and answers as a duplicate.)
    async place(sent: OrderInput): Promise<CaptureResult> {
      // A line for an item drop-shipped by a supplier is shipped by it (beside stocked lines, in parts).
      const { input: placed, problems: unshippable } = await withItemSuppliers(items, sent);
      if (unshippable.length)
        throw new ValidationError(
          `Invalid order: ${unshippable.length} problem(s)`,
          unshippable.map((p) => ({ path: p.path.join('.'), message: p.message })),
        );
      const problems = await unknownsOf(placed);
      if (problems.length) throw new ValidationError(`Invalid order: ${problems.length} problem(s)`, problems);
      const input = deps.preorders ? await deps.preorders.prepare(placed) : placed;
      if (deps.preorders && input.type === 'pre_order') {
        const orderId = orderWorkflowId(input.channel, input.channelOrderId);
        if (!(await orders.get(orderId))) await deps.preorders.claim(orderId, input);
      }
      return captureOrder(deps, input);
    },

    list(q: OrderListQuery): Promise<{ orders: OrderView[]; nextCursor?: string }> {
      return orders.list(q);
    },

    // The order's view; an order paid on invoice also shows its terms and, once shipped, when it is due; an
    // order waiting for stock its promised date.
    async get(orderId: string): Promise<OrderView & { promise?: PromiseView }> {
      const view = await orders.get(orderId);
      if (!view) throw new NotFoundError(`Order ${orderId} does not exist`, { orderId });
      const [promise, claims] = await Promise.all([
        deps.promiseDates?.forOrder(view),
        view.preorder && deps.preorders ? deps.preorders.ofOrder(orderId) : undefined,
      ]);
      const withClaims = view.preorder && claims ? { ...view, preorder: { ...view.preorder, claims } } : view;
      const withPromise = promise ? { ...withClaims, promise } : withClaims;
      const terms = view.order.payment.terms;
      if (!terms) return withPromise;
      const dueAt = paymentDueOf(view);
      return { ...withPromise, payment: { ...view.payment, terms, ...(dueAt && { dueAt }) } };
    },

    // Late orders still running, newest first: found by the workflows' OrderLate search attribute (Temporal's
    // visibility store, an equality filter), each read from the view by id. At most `limit`.
    async late(limit: number): Promise<{ orders: OrderView[] }> {
      const ids: string[] = [];
      for await (const wf of deps.temporal.workflow.list({ query: `OrderLate = true AND ExecutionStatus = 'Running'`, pageSize: limit })) {
        if (wf.workflowId.startsWith('order:')) ids.push(wf.workflowId);
        if (ids.length >= limit) break;
      }
      const views = await Promise.all(ids.map((id) => orders.get(id)));
      return { orders: views.filter((v): v is OrderView => !!v && v.late && !isTerminal(v.status)) };
    },

    command<Args extends unknown[]>(orderId: string, command: OrderCommand<Args>): Promise<CommandAnswer> {
      return commandOrder({ temporal: deps.temporal, orders, answerWithinMs: deps.commandAnswerWithinMs }, orderId, command);
    },
  };
}

export type OrderService = ReturnType<typeof createOrderService>;
