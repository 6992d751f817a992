// Drop-ship purchase orders: one per supplier of a drop-ship order, sent to the supplier through its
// supplier_http connection or queued as an email in the notifications outbox, withdrawn when the order is
// cancelled before the supplier shipped, and the supplier's answers (its webhook, or an operator for email
// suppliers) recorded once each and passed to the order's workflow. Nothing here touches the stock ledger.
import { createHash } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { Redis } from 'ioredis';
import { buildConnector } from '../connectors/registry';
import type { SupplierGateway } from '../connectors/types';
import type { DropShipGroup, SupplierAnswer, SupplierEventType } from '../domain/drop-ship';
import { ConflictError, NotFoundError, ValidationError } from '../domain/errors';
import type { Logger } from '../domain/logger';
import type { Order } from '../domain/order';
import { decideCancel, decideSupplierAnswer, expectedDateFor, type PurchaseOrder, type Supplier } from '../domain/purchasing';
import type { Connections } from '../store/connections';
import type { CustomerNotifications } from '../store/notifications';
import type { PurchaseOrders, Suppliers } from '../store/purchasing';
import { supplierAnswerSignal } from '../workflows/order/api';
import { signalOrder } from './order-intake';

export interface DropShipDeps {
  suppliers: Pick<Suppliers, 'get'>;
  purchaseOrders: Pick<PurchaseOrders, 'create' | 'get' | 'append'>;
  notifications: Pick<CustomerNotifications, 'queue'>;
  connections: Pick<Connections, 'withCredentials'>;
  redis: Redis;
  log: Logger;
  now?: () => Date;
}

const ACTOR = 'order-workflow';

// The purchase order of one part of an order at one supplier (a part re-routed to another supplier gets
// another): the same id however often it is sent. Order ids hold characters purchase order ids may not, so
// it is a digest.
export function dropShipPurchaseOrderId(orderId: string, supplierId: string, part: string): string {
  return `DS-${createHash('sha256').update(`${orderId}|${supplierId}|${part}`).digest('hex').slice(0, 20).toUpperCase()}`;
}

export interface SentPurchaseOrder {
  purchaseOrderId: string;
  via: 'http' | 'email';
}

export function createDropShipService(deps: DropShipDeps) {
  const now = () => deps.now?.() ?? new Date();

  async function supplierOf(id: string): Promise<Supplier> {
    const supplier = await deps.suppliers.get(id);
    if (!supplier?.dropShip)
      throw new ValidationError(`Supplier ${id} cannot take drop-ship orders`, [
        { path: 'supplierId', message: supplier ? `supplier ${id} does not drop-ship` : `unknown supplier ${id}` },
      ]);
    return supplier;
  }

  async function gatewayOf(connectionId: string): Promise<SupplierGateway> {
    const connection = await deps.connections.withCredentials(connectionId);
    if (!connection || !connection.enabled) throw new NotFoundError(`No enabled supplier connection ${connectionId}`, { connectionId });
    const gateway = buildConnector(connection, { redis: deps.redis, log: deps.log }).supplier;
    if (!gateway) throw new ConflictError(`Connection ${connectionId} (${connection.kind}) is not a supplier connection`, { connectionId });
    return gateway;
  }

  // Written once (a retry finds it), then sent the way it was written for: over HTTP under its id as
  // Idempotency-Key, or queued once as an email to the supplier's contact (attempt: the part's how-manyth
  // purchase order, after re-routes, so each is its own message). Recorded as sent afterwards, once.
  async function send(order: Order, group: DropShipGroup, part: string, attempt = 1): Promise<SentPurchaseOrder> {
    const supplier = await supplierOf(group.supplierId);
    const connectionId = supplier.dropShip!.connectionId;
    const via = connectionId ? 'http' : 'email';
    const id = dropShipPurchaseOrderId(order.id, supplier.id, part);
    const at = now();
    let po = await deps.purchaseOrders.get(id);
    if (!po) {
      try {
        po = await deps.purchaseOrders.create({
          id,
          supplierId: supplier.id,
          locationId: 'drop-ship', // nothing is delivered to a location of ours
          currency: order.currency,
          expectedDate: expectedDateFor(supplier.leadTimeDays, at),
          initialStatus: 'open',
          lines: group.lines.map((l) => ({ sku: l.sku, quantity: l.quantity, unitCost: l.unitCost ?? 0 })),
          reference: order.id,
          createdAt: at.toISOString(),
          createdBy: ACTOR,
          dropShip: { orderId: order.id, part, via, ...(connectionId && { connectionId }) },
        });
      } catch (err) {
        if (!(err instanceof ConflictError)) throw err;
        po = (await deps.purchaseOrders.get(id))!;
      }
    }
    const link = po.dropShip!;
    if (link.status === 'cancelled') throw new ConflictError(`Purchase order ${id} was cancelled`, { purchaseOrderId: id });
    const { name, email, phone } = order.customer;
    if (link.connectionId) {
      await (
        await gatewayOf(link.connectionId)
      ).sendPurchaseOrder(
        {
          purchaseOrderId: id,
          orderReference: order.id,
          currency: order.currency,
          lines: group.lines,
          shipTo: order.shippingAddress,
          customer: { name, ...(email && { email }), ...(phone && { phone }) },
        },
        { idempotencyKey: id },
      );
    } else {
      const a = order.shippingAddress;
      await deps.notifications.queue({
        orderId: order.id,
        kind: 'supplier_purchase_order',
        part,
        ...(attempt > 1 && { n: attempt }),
        channel: 'supplier',
        to: { name: supplier.contact.name ?? supplier.name, email: supplier.contact.email },
        details: {
          purchaseOrderId: id,
          supplierId: supplier.id,
          items: group.lines.map((l) => `${l.sku} ×${l.quantity}`).join(', '),
          shipTo: [a.name ?? name, a.company, a.line1, a.line2, `${a.postalCode} ${a.city}`, a.region, a.country]
            .filter(Boolean)
            .join(', '),
          ...(a.phone && { phone: a.phone }),
          answer: `POST /purchase-orders/${id}/supplier-events`,
        },
      });
    }
    await deps.purchaseOrders.append(id, 'sent', () => ({ type: 'sent', at: now().toISOString(), by: ACTOR, via: link.via }));
    return { purchaseOrderId: id, via: link.via };
  }

  // Withdrawn at the supplier, once: 'shipped' when it is too late (the supplier shipped it meanwhile).
  async function cancel(order: Order, purchaseOrderId: string, reason: string): Promise<'cancelled' | 'shipped'> {
    let appended;
    try {
      appended = await deps.purchaseOrders.append(purchaseOrderId, 'cancel', (po) => decideCancel(po, now().toISOString(), ACTOR, reason));
    } catch (err) {
      if (err instanceof ConflictError) return 'shipped';
      throw err;
    }
    if (!appended) return 'cancelled'; // never written: nothing was sent
    const link = appended.po.dropShip!;
    if (link.connectionId) {
      await (
        await gatewayOf(link.connectionId)
      ).cancelPurchaseOrder(purchaseOrderId, { reason, idempotencyKey: `${purchaseOrderId}:cancel` });
    } else {
      const supplier = await deps.suppliers.get(appended.po.supplierId);
      await deps.notifications.queue({
        orderId: order.id,
        kind: 'supplier_purchase_order_cancelled',
        part: link.part,
        channel: 'supplier',
        to: {
          name: supplier?.contact.name ?? supplier?.name ?? appended.po.supplierId,
          ...(supplier && { email: supplier.contact.email }),
        },
        details: { purchaseOrderId, reason },
      });
    }
    return 'cancelled';
  }

  /**
   * A supplier's answer about one of its drop-ship purchase orders, applied once per event id: appended to
   * the purchase order's log, then told to the order (told again for a repeat, which the order ignores, so
   * an answer whose signal a crash lost is delivered by its resend). From a supplier connection, only the
   * purchase orders sent through that connection.
   */
  async function recordAnswer(
    purchaseOrderId: string,
    answer: { eventId: string; type: SupplierEventType; carrier?: string; trackingNumber?: string; reason?: string; at?: string },
    by: string,
    temporal: Client,
    fromConnection?: string,
  ): Promise<{ purchaseOrder: PurchaseOrder; duplicate: boolean }> {
    const current = await deps.purchaseOrders.get(purchaseOrderId);
    if (!current) throw new NotFoundError(`Purchase order ${purchaseOrderId} does not exist`, { id: purchaseOrderId });
    if (fromConnection !== undefined && current.dropShip?.connectionId !== fromConnection)
      throw new NotFoundError(`Purchase order ${purchaseOrderId} was not sent through connection ${fromConnection}`, {
        id: purchaseOrderId,
      });
    const at = answer.at ?? now().toISOString();
    const appended = await deps.purchaseOrders.append(purchaseOrderId, `supplier:${answer.eventId}`, (po) =>
      decideSupplierAnswer(po, answer, at, by),
    );
    const event = appended!.event;
    if (appended!.duplicate && (event?.type !== 'supplier' || event.answer !== answer.type))
      throw new ConflictError(`Event ${answer.eventId} was already recorded for purchase order ${purchaseOrderId} as another answer`, {
        eventId: answer.eventId,
      });
    if (event?.type === 'supplier') {
      const told: SupplierAnswer = {
        purchaseOrderId,
        eventId: event.eventId,
        type: event.answer,
        at: event.at,
        ...(event.carrier !== undefined && { carrier: event.carrier }),
        ...(event.trackingNumber !== undefined && { trackingNumber: event.trackingNumber }),
        ...(event.reason !== undefined && { reason: event.reason }),
      };
      try {
        await signalOrder(temporal, current.dropShip!.orderId, supplierAnswerSignal, told);
      } catch (err) {
        if (!(err instanceof NotFoundError)) throw err;
        deps.log.warn('supplier answer for an order no longer running', { purchaseOrderId, orderId: current.dropShip!.orderId });
      }
    }
    return { purchaseOrder: appended!.po, duplicate: appended!.duplicate };
  }

  // A supplier a part may be re-routed to: it exists and drop-ships (400 naming supplierId otherwise).
  async function checkSupplier(supplierId: string): Promise<void> {
    const supplier = await deps.suppliers.get(supplierId);
    if (!supplier?.dropShip)
      throw new ValidationError('Invalid re-route: 1 problem(s)', [
        { path: 'supplierId', message: supplier ? `supplier ${supplierId} does not drop-ship` : `unknown supplier ${supplierId}` },
      ]);
  }

  return { send, cancel, recordAnswer, checkSupplier };
}

export type DropShipService = ReturnType<typeof createDropShipService>;
