import { createHmac, timingSafeEqual } from 'node:crypto';
import { UnauthorizedError, ValidationError } from '../../domain/errors';
import type { OrderSource, WebhookHeaders } from '../types';
import { mapShopifyOrder } from './mapper';
import { parseJsonExact } from '../exact-json';
import { mapShopifyReturnWebhook, PROCESSED_RETURN_TOPIC, RETURN_TOPICS } from './returns-mapper';

type Webhooks = NonNullable<OrderSource['webhooks']>;

const ORDER_TOPICS = new Set(['orders/create', 'orders/updated', 'orders/edited', 'orders/cancelled']);

// Shopify signs each HTTPS delivery with HMAC-SHA256 of the raw body, keyed with the app's client
// secret, base64 in X-Shopify-Hmac-Sha256. X-Shopify-Webhook-Id stays the same when a delivery is retried.
export function createShopifyWebhooks(args: { webhookSecret: string; shopDomain: string; channel: string }): Webhooks {
  return {
    verify(rawBody, headers) {
      const signature = header(headers, 'x-shopify-hmac-sha256');
      if (!signature) throw new UnauthorizedError('Shopify webhook has no X-Shopify-Hmac-Sha256 signature');
      const expected = Buffer.from(createHmac('sha256', args.webhookSecret).update(rawBody).digest('base64'));
      const given = Buffer.from(signature.trim());
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
        throw new UnauthorizedError('Shopify webhook signature does not match the body: wrong client secret, or the body was changed');
      }
      // One app (and so one secret) serves many shops: a delivery for another shop is not for this connection.
      const shop = header(headers, 'x-shopify-shop-domain');
      if (shop && shop.toLowerCase() !== args.shopDomain) {
        throw new UnauthorizedError(`Shopify webhook is for ${shop}, but this connection is for ${args.shopDomain}`);
      }
      const deliveryId = header(headers, 'x-shopify-webhook-id');
      const topic = header(headers, 'x-shopify-topic');
      const problems = [
        ...(deliveryId ? [] : [{ path: 'headers.x-shopify-webhook-id', message: 'is missing' }]),
        ...(topic ? [] : [{ path: 'headers.x-shopify-topic', message: 'is missing' }]),
      ];
      if (problems.length > 0) throw new ValidationError('Shopify webhook headers are incomplete', problems);
      return { deliveryId: deliveryId!, topic: topic! };
    },

    parse(topic, rawBody) {
      const returns = RETURN_TOPICS.has(topic) || topic === PROCESSED_RETURN_TOPIC;
      if (!ORDER_TOPICS.has(topic) && !returns) return { kind: 'ignored', reason: `Shopify topic ${topic} is not acted on` };
      let body: unknown;
      try {
        body = parseJsonExact(rawBody.toString('utf8')); // ids past 2^53 kept exact
      } catch {
        throw new ValidationError('Shopify webhook body is not JSON', [{ path: '(body)', message: 'is not valid JSON' }]);
      }
      // Returns and refunds made at Shopify: the return service decides what they change.
      if (returns) return mapShopifyReturnWebhook(topic, body);
      // orders/edited carries only what an edit changed, by line item id ({order_edit: {order_id, line_items:
      // {additions, removals}}}), not skus or addresses. Shopify sends orders/updated with the whole edited
      // order after every edit, and that is what the order takes; this one is checked and acknowledged.
      if (topic === 'orders/edited') return editedNotice(body);
      const order = mapShopifyOrder(currentQuantities(body), args.channel);
      // orders/cancelled is sent once cancelled_at is set, but do not rely on the body to say so.
      return { kind: 'order', order: topic === 'orders/cancelled' ? { ...order, cancelled: true } : order };
    },
  };
}

// Node lower-cases incoming header names; callers passing other maps may not.
function header(headers: WebhookHeaders, name: string): string | undefined {
  const direct = headers[name];
  if (direct !== undefined) return direct.trim() || undefined;
  const key = Object.keys(headers).find((k) => k.toLowerCase() === name);
  const value = key === undefined ? undefined : headers[key];
  return value?.trim() || undefined;
}

// An order edit leaves the line items as they were ordered and says what is left of each in
// current_quantity (REST Admin API 2024-01 on; a removed item stays with 0). The order is what is left:
// lines by current_quantity, removed ones dropped. A cancelled order is left whole (a cancellation needs no lines).
// The poll reads orders the same way (index.ts), so a polled copy never undoes an edit a webhook brought.
export function currentQuantities(body: unknown): unknown {
  if (!body || typeof body !== 'object') return body;
  const order = body as { cancelled_at?: unknown; line_items?: unknown };
  if (order.cancelled_at || !Array.isArray(order.line_items)) return body;
  const items = order.line_items as unknown[];
  const current = (li: unknown) => (li && typeof li === 'object' ? (li as { current_quantity?: unknown }).current_quantity : undefined);
  if (!items.some((li) => typeof current(li) === 'number')) return body;
  const left = items.flatMap((li) => {
    const quantity = current(li);
    if (typeof quantity !== 'number') return [li];
    return quantity > 0 ? [{ ...(li as object), quantity }] : [];
  });
  return { ...order, line_items: left };
}

function editedNotice(body: unknown): { kind: 'ignored'; reason: string } {
  const edit = body && typeof body === 'object' ? (body as { order_edit?: { order_id?: unknown } }).order_edit : undefined;
  const orderId = edit?.order_id;
  if (typeof orderId !== 'string' && typeof orderId !== 'number')
    throw new ValidationError('Shopify orders/edited body has no order_edit.order_id', [
      { path: 'order_edit.order_id', message: 'is missing' },
    ]);
  return {
    kind: 'ignored',
    reason: `orders/edited for order ${String(orderId)} acknowledged: the edited order arrives as orders/updated, which is applied`,
  };
}
