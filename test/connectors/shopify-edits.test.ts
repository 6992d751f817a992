import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ValidationError } from '../../domain/errors';
import { createShopifyWebhooks } from '../../connectors/shopify/webhooks';
import { mapShopifyGraphqlOrder } from '../../connectors/shopify/order-graphql';

// How Shopify reports an order edit to a webhook subscriber (REST order payload, 2024-01 on): line items
// stay as ordered, current_quantity says what is left (0: removed); orders/edited carries only the edit's
// line item ids and deltas. Pure parsing: no stack needed.
const webhooks = createShopifyWebhooks({ webhookSecret: 'secret', shopDomain: 'shop.myshopify.com', channel: 'shop-eu' });
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- vendor JSON, edited field by field
const fixture: Record<string, any> = JSON.parse(readFileSync(join(__dirname, 'fixtures', 'shopify', 'order-cod.json'), 'utf8'));
const parse = (topic: string, body: unknown) => webhooks.parse(topic, Buffer.from(JSON.stringify(body)));
const linesOf = (event: ReturnType<typeof parse>) =>
  event.kind === 'order' ? Object.fromEntries(event.order.order.lines.map((l) => [l.sku, l.quantity])) : undefined;

test('orders/updated after an edit is read by current_quantity, and a removed line item is dropped', () => {
  const edited = structuredClone(fixture);
  edited.line_items[1].current_quantity = 3; // MUG-1 1 -> 3
  edited.line_items[2].current_quantity = 0; // the second TEE-M line removed
  expect(linesOf(parse('orders/create', fixture))).toEqual({ 'TEE-M': 3, 'MUG-1': 1 });
  expect(linesOf(parse('orders/updated', edited))).toEqual({ 'TEE-M': 2, 'MUG-1': 3 });
});

test('a cancelled order keeps its lines whatever current_quantity says', () => {
  const cancelled = structuredClone(fixture);
  cancelled.cancelled_at = '2024-10-15T10:00:00+02:00';
  for (const li of cancelled.line_items) li.current_quantity = 0;
  const event = parse('orders/cancelled', cancelled);
  expect(event.kind === 'order' && event.order.cancelled).toBe(true);
  expect(linesOf(event)).toEqual({ 'TEE-M': 3, 'MUG-1': 1 });
});

test('orders/edited is acknowledged, naming the order exactly, and a body without order_edit.order_id is refused', () => {
  const body = `{"order_edit":{"id":78912328,"app_id":null,"created_at":"2024-10-14T10:00:00-04:00","committed_at":"2024-10-14T10:00:01-04:00","notify_customer":false,"order_id":820982911946154508,"staff_note":"","user_id":null,"line_items":{"additions":[{"id":466157049,"delta":1}],"removals":[]},"discounts":{"line_item":{"additions":[],"removals":[]}},"shipping_lines":{"additions":[],"removals":[]}}}`;
  const event = webhooks.parse('orders/edited', Buffer.from(body));
  expect(event).toEqual({ kind: 'ignored', reason: expect.stringContaining('order 820982911946154508') });
  expect(event.kind === 'ignored' && event.reason).toContain('orders/updated');
  let refused: unknown;
  try {
    parse('orders/edited', { order_edit: { line_items: { additions: [], removals: [] } } });
  } catch (err) {
    refused = err;
  }
  expect(refused).toBeInstanceOf(ValidationError);
  expect((refused as ValidationError).problems).toEqual([{ path: 'order_edit.order_id', message: 'is missing' }]);
});

test('a polled GraphQL order is read by currentQuantity too, so a poll never undoes an edit', () => {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- vendor JSON, edited field by field
  const polled: Record<string, any> = JSON.parse(readFileSync(join(__dirname, 'fixtures', 'shopify', 'order-cod.graphql.json'), 'utf8'));
  const linesOfPolled = (raw: unknown) =>
    Object.fromEntries(mapShopifyGraphqlOrder(raw, 'shop-eu').order.lines.map((l) => [l.sku, l.quantity]));
  const asWebhook = linesOf(parse('orders/create', fixture));
  expect(linesOfPolled(polled)).toEqual(asWebhook);
  const edited = structuredClone(polled);
  edited.lineItems.nodes[1].currentQuantity = 3; // MUG-1 1 -> 3
  edited.lineItems.nodes[2].currentQuantity = 0; // the second TEE-M line removed
  expect(linesOfPolled(edited)).toEqual({ 'TEE-M': 2, 'MUG-1': 3 });
});
