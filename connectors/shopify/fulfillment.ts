import { ValidationError } from '../../domain/errors';
import { UpstreamError } from '../http';
import type { ConnectorContext, FulfillmentTarget } from '../types';
import type { FulfillmentRequest, ShopifyClient, ShopifyFulfillment, ShopifyId } from './client';

// Fulfillment orders a merchant's app can fulfil now; the others are done, held, scheduled or belong
// to a fulfillment service.
const FULFILLABLE = new Set(['open', 'in_progress']);
const CANCEL_REASONS = new Set(['customer', 'inventory', 'fraud', 'declined', 'other']);

export function createShopifyFulfillment(
  client: ShopifyClient,
  ctx: ConnectorContext,
  opts: { notifyCustomer: boolean },
): FulfillmentTarget {
  return {
    // One fulfillment carrying the tracking number, over the open fulfillment orders' lines for the
    // shipped skus. Shopify has no idempotency key here: the tracking number on the order is the key.
    async reportShipment(shipment) {
      const orderId = orderIdOf(shipment.channelOrderId);
      const fields = { connectionId: ctx.connectionId, channelOrderId: orderId, idempotencyKey: shipment.idempotencyKey };
      const order = await client.order(orderId, ['id', 'cancelled_at', 'line_items', 'fulfillments']);
      if ((order.fulfillments ?? []).some((f) => carries(f, shipment.trackingNumber))) {
        ctx.log.info('shipment already reported to Shopify', fields);
        return;
      }

      const skuOfLineItem = new Map((order.line_items ?? []).map((li) => [li.id, li.sku?.trim() ?? '']));
      const wanted = new Map<string, number>();
      for (const l of shipment.lines) wanted.set(l.sku, (wanted.get(l.sku) ?? 0) + l.quantity);
      const everything = wanted.size === 0;

      // A fulfillment ships from one place, so fulfillment orders are grouped by assigned location.
      const byLocation = new Map<string, FulfillmentRequest['line_items_by_fulfillment_order']>();
      for (const fo of await client.fulfillmentOrders(orderId)) {
        if (!FULFILLABLE.has(fo.status)) continue;
        if (fo.supported_actions && !fo.supported_actions.includes('create_fulfillment')) continue;
        const items: { id: ShopifyId; quantity: number }[] = [];
        for (const li of fo.line_items) {
          if (li.fulfillable_quantity <= 0) continue;
          const sku = skuOfLineItem.get(li.line_item_id) ?? '';
          const quantity = everything ? li.fulfillable_quantity : Math.min(li.fulfillable_quantity, wanted.get(sku) ?? 0);
          if (quantity <= 0) continue;
          items.push({ id: li.id, quantity });
          if (!everything) wanted.set(sku, (wanted.get(sku) ?? 0) - quantity);
        }
        if (items.length === 0) continue;
        const location = String(fo.assigned_location_id ?? '');
        byLocation.set(location, [
          ...(byLocation.get(location) ?? []),
          { fulfillment_order_id: fo.id, fulfillment_order_line_items: items },
        ]);
      }

      const unmatched = [...wanted].filter(([, q]) => q > 0).map(([sku, quantity]) => ({ sku, quantity }));
      if (unmatched.length > 0) ctx.log.warn('shipped quantities with no open Shopify fulfillment order line', { ...fields, unmatched });
      if (byLocation.size === 0) {
        ctx.log.warn('nothing left to fulfil on Shopify for this shipment', fields);
        return;
      }
      for (const lineItemsByFulfillmentOrder of byLocation.values()) {
        await client.createFulfillment({
          line_items_by_fulfillment_order: lineItemsByFulfillmentOrder,
          tracking_info: { company: shipment.carrier, number: shipment.trackingNumber },
          notify_customer: opts.notifyCustomer,
        });
      }
      ctx.log.info('shipment reported to Shopify', { ...fields, fulfillments: byLocation.size });
    },

    async reportCancellation(cancel) {
      const orderId = orderIdOf(cancel.channelOrderId);
      const fields = { connectionId: ctx.connectionId, channelOrderId: orderId, idempotencyKey: cancel.idempotencyKey };
      const order = await client.order(orderId, ['id', 'cancelled_at']);
      if (order.cancelled_at) {
        ctx.log.info('order already cancelled on Shopify', fields);
        return;
      }
      // Shopify takes one of its own reasons; Orderhub's free-text reason stays in Orderhub's history.
      const reason = CANCEL_REASONS.has(cancel.reason.trim().toLowerCase()) ? cancel.reason.trim().toLowerCase() : 'other';
      try {
        await client.cancelOrder(orderId, { reason, email: opts.notifyCustomer });
      } catch (err) {
        // A concurrent cancel (or one whose answer was lost) makes Shopify refuse with 422: check.
        if (err instanceof UpstreamError && err.status === 422 && (await client.order(orderId, ['id', 'cancelled_at'])).cancelled_at)
          return;
        throw err;
      }
      ctx.log.info('order cancelled on Shopify', fields);
    },
  };
}

function carries(f: ShopifyFulfillment, trackingNumber: string): boolean {
  if (f.status === 'cancelled' || f.status === 'error' || f.status === 'failure') return false;
  return f.tracking_number === trackingNumber || (f.tracking_numbers ?? []).includes(trackingNumber);
}

function orderIdOf(channelOrderId: string): string {
  if (!/^\d+$/.test(channelOrderId)) {
    throw new ValidationError('Not a Shopify order id', [{ path: 'channelOrderId', message: 'must be the numeric Shopify order id' }]);
  }
  return channelOrderId;
}
