import { ValidationError } from '../../domain/errors';
import { UpstreamError } from '../http';
import type { ConnectorContext, FulfillmentTarget } from '../types';
import { gidOf, type ShopifyClient } from './client';

// Shipments and cancellations over the GraphQL Admin API. Neither fulfillmentCreate nor orderCancel takes
// Shopify's @idempotent directive (it is accepted, and from 2026-04 required, on the inventory and refund
// mutations only), so each checks the order first: a fulfillment carrying the tracking number, or the
// order already cancelled, means the work is done.

// Up to 5 fulfillment orders of 50 lines each keeps the read under the 1,000 points one query may cost.
const FULFILLMENT_STATE = `
  query FulfillmentState($id: ID!) {
    order(id: $id) {
      id
      cancelledAt
      fulfillments(first: 50) { id status trackingInfo(first: 10) { number company } }
      fulfillmentOrders(first: 5) {
        nodes {
          id
          status
          supportedActions { action }
          assignedLocation { location { id } }
          lineItems(first: 50) { nodes { id remainingQuantity lineItem { id sku } } }
        }
      }
    }
  }`;

interface FulfillmentState {
  order: {
    id: string;
    cancelledAt: string | null;
    fulfillments: { id: string; status: string; trackingInfo: { number: string | null; company: string | null }[] }[];
    fulfillmentOrders: {
      nodes: {
        id: string;
        status: string;
        supportedActions: { action: string }[];
        assignedLocation: { location: { id: string } | null } | null;
        lineItems: { nodes: { id: string; remainingQuantity: number; lineItem: { id: string; sku: string | null } }[] };
      }[];
    };
  } | null;
}

const REPORT_SHIPMENT = `
  mutation ReportShipment($fulfillment: FulfillmentInput!) {
    fulfillmentCreate(fulfillment: $fulfillment) {
      fulfillment { id status }
      userErrors { field message }
    }
  }`;

interface ReportShipment {
  fulfillmentCreate: { fulfillment: { id: string; status: string } | null; userErrors: UserError[] };
}

const CANCEL_STATE = `query CancelState($id: ID!) { order(id: $id) { id cancelledAt } }`;

interface CancelState {
  order: { id: string; cancelledAt: string | null } | null;
}

// Shopify refunds what was paid to the original payment methods (the money is Shopify's to give back) and
// does not restock: Orderhub owns the stock and pushes the freed quantity itself.
const CANCEL_ORDER = `
  mutation CancelOrder($orderId: ID!, $reason: OrderCancelReason!, $notifyCustomer: Boolean, $staffNote: String) {
    orderCancel(
      orderId: $orderId
      reason: $reason
      refundMethod: { originalPaymentMethodsRefund: true }
      restock: false
      notifyCustomer: $notifyCustomer
      staffNote: $staffNote
    ) {
      job { id done }
      orderCancelUserErrors { field message code }
    }
  }`;

interface CancelOrder {
  orderCancel: { job: { id: string; done: boolean } | null; orderCancelUserErrors: (UserError & { code?: string | null })[] };
}

interface UserError {
  field: string[] | null;
  message: string;
}

// Fulfillment orders a merchant's app can fulfil now; the others are done, held, scheduled or belong
// to a fulfillment service.
const FULFILLABLE = new Set(['OPEN', 'IN_PROGRESS']);
const CANCEL_REASONS = new Set(['CUSTOMER', 'INVENTORY', 'FRAUD', 'DECLINED', 'STAFF', 'OTHER']);
const STAFF_NOTE_MAX = 255;

export function createShopifyFulfillment(
  client: ShopifyClient,
  ctx: ConnectorContext,
  opts: { notifyCustomer: boolean },
): FulfillmentTarget {
  async function stateOf(orderId: string): Promise<NonNullable<FulfillmentState['order']>> {
    const { order } = await client.graphql<FulfillmentState>(FULFILLMENT_STATE, { id: gidOf('Order', orderId) });
    if (!order) throw new UpstreamError(`Shopify has no order ${orderId}`, 404);
    return order;
  }

  return {
    // One fulfillment per assigned location carrying the tracking number, over the open fulfillment
    // orders' lines for the shipped skus. The tracking number on the order is the idempotency key.
    async reportShipment(shipment) {
      const orderId = orderIdOf(shipment.channelOrderId);
      const fields = { connectionId: ctx.connectionId, channelOrderId: orderId, idempotencyKey: shipment.idempotencyKey };
      const order = await stateOf(orderId);
      if (order.fulfillments.some((f) => carries(f, shipment.trackingNumber))) {
        ctx.log.info('shipment already reported to Shopify', fields);
        return;
      }

      const wanted = new Map<string, number>();
      for (const l of shipment.lines) wanted.set(l.sku, (wanted.get(l.sku) ?? 0) + l.quantity);
      const everything = wanted.size === 0;

      // A fulfillment ships from one place, so fulfillment orders are grouped by assigned location.
      const byLocation = new Map<string, { fulfillmentOrderId: string; fulfillmentOrderLineItems: { id: string; quantity: number }[] }[]>();
      for (const fo of order.fulfillmentOrders.nodes) {
        if (!FULFILLABLE.has(fo.status)) continue;
        if (!fo.supportedActions.some((a) => a.action === 'CREATE_FULFILLMENT')) continue;
        const items: { id: string; quantity: number }[] = [];
        for (const li of fo.lineItems.nodes) {
          if (li.remainingQuantity <= 0) continue;
          const sku = li.lineItem.sku?.trim() ?? '';
          const quantity = everything ? li.remainingQuantity : Math.min(li.remainingQuantity, wanted.get(sku) ?? 0);
          if (quantity <= 0) continue;
          items.push({ id: li.id, quantity });
          if (!everything) wanted.set(sku, (wanted.get(sku) ?? 0) - quantity);
        }
        if (items.length === 0) continue;
        const location = fo.assignedLocation?.location?.id ?? '';
        byLocation.set(location, [...(byLocation.get(location) ?? []), { fulfillmentOrderId: fo.id, fulfillmentOrderLineItems: items }]);
      }

      const unmatched = [...wanted].filter(([, q]) => q > 0).map(([sku, quantity]) => ({ sku, quantity }));
      if (unmatched.length > 0) ctx.log.warn('shipped quantities with no open Shopify fulfillment order line', { ...fields, unmatched });
      if (byLocation.size === 0) {
        ctx.log.warn('nothing left to fulfil on Shopify for this shipment', fields);
        return;
      }
      for (const lineItemsByFulfillmentOrder of byLocation.values()) {
        const { userErrors } = (
          await client.graphql<ReportShipment>(REPORT_SHIPMENT, {
            fulfillment: {
              lineItemsByFulfillmentOrder,
              trackingInfo: { company: shipment.carrier, number: shipment.trackingNumber },
              notifyCustomer: opts.notifyCustomer,
            },
          })
        ).fulfillmentCreate;
        if (userErrors.length > 0) throw refused(`Shopify refused the fulfillment for order ${orderId}`, userErrors);
      }
      ctx.log.info('shipment reported to Shopify', { ...fields, fulfillments: byLocation.size });
    },

    async reportCancellation(cancel) {
      const orderId = orderIdOf(cancel.channelOrderId);
      const fields = { connectionId: ctx.connectionId, channelOrderId: orderId, idempotencyKey: cancel.idempotencyKey };
      const cancelledAt = async () => {
        const { order } = await client.graphql<CancelState>(CANCEL_STATE, { id: gidOf('Order', orderId) });
        if (!order) throw new UpstreamError(`Shopify has no order ${orderId}`, 404);
        return order.cancelledAt;
      };
      if (await cancelledAt()) {
        ctx.log.info('order already cancelled on Shopify', fields);
        return;
      }
      // Shopify takes one of its own reasons; Orderhub's own words go into the staff note.
      const given = cancel.reason.trim().toUpperCase();
      const { job, orderCancelUserErrors } = (
        await client.graphql<CancelOrder>(CANCEL_ORDER, {
          orderId: gidOf('Order', orderId),
          reason: CANCEL_REASONS.has(given) ? given : 'OTHER',
          notifyCustomer: opts.notifyCustomer,
          staffNote: `Cancelled in Orderhub: ${cancel.reason}`.slice(0, STAFF_NOTE_MAX),
        })
      ).orderCancel;
      if (orderCancelUserErrors.length > 0) {
        // A concurrent cancel (or one whose answer was lost) makes Shopify refuse: check.
        if (await cancelledAt()) return;
        throw refused(`Shopify refused to cancel order ${orderId}`, orderCancelUserErrors);
      }
      ctx.log.info('order cancellation started on Shopify', { ...fields, job: job?.id, done: job?.done });
    },
  };
}

function carries(f: { status: string; trackingInfo: { number: string | null }[] }, trackingNumber: string): boolean {
  if (['CANCELLED', 'ERROR', 'FAILURE'].includes(f.status)) return false;
  return f.trackingInfo.some((t) => t.number === trackingNumber);
}

// userErrors are Shopify's refusal of this request (REST answered them with 422): retrying will not help.
export function refused(what: string, errors: (UserError & { code?: string | null })[]): UpstreamError {
  const listed = errors.map((e) => `${e.code ? `${e.code} ` : ''}${e.field?.length ? `at ${e.field.join('.')}: ` : ''}${e.message}`);
  return new UpstreamError(`${what}: ${listed.join('; ')}`, 422, errors);
}

function orderIdOf(channelOrderId: string): string {
  if (!/^\d+$/.test(channelOrderId)) {
    throw new ValidationError('Not a Shopify order id', [{ path: 'channelOrderId', message: 'must be the numeric Shopify order id' }]);
  }
  return channelOrderId;
}
