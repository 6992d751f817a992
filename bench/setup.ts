import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ScheduleNotFoundError } from '@temporalio/client';
import { syncScheduleId } from '../domain/ids';
import { mapLimit } from './api-client';
import type { Bench } from './harness';

// What every figure needs in the catalogue, the ledger and the connections, made through the API.

export const SHOP_DOMAIN = 'orderhub-bench.myshopify.com';
export const SHOPIFY_LOCATION = '70000001';
export const LOCATIONS = { warehouse: 'BENCH-WH', hot: 'BENCH-HOT', feed: 'BENCH-FEED' } as const;
export const CONNECTIONS = { intake: 'bench-intake', visible: 'bench-visible', stock: 'bench-stock' } as const;
export const WEBHOOK_SECRET = 'shopify-app-client-secret-bench';

export const E2E_SKUS = Array.from({ length: 20 }, (_, i) => `E2E-${String(i + 1).padStart(2, '0')}`);
export const WEBHOOK_SKUS = ['HOOK-TEE', 'HOOK-MUG'];
export const stockSku = (i: number) => `STK-${String(i).padStart(4, '0')}`;

const address = { line1: 'Lagerstrasse 1', city: 'Berlin', postalCode: '10117', country: 'DE' };

export async function seed(bench: Bench, opts: { stockSkus: number; log: (m: string) => void }): Promise<void> {
  const { api } = bench;
  const started = Date.now();
  for (const [i, id] of [LOCATIONS.warehouse, LOCATIONS.hot, LOCATIONS.feed].entries()) {
    await api.postOk('/locations', { id, name: `Bench ${id}`, type: 'warehouse', address, priority: i + 1 }, [201]);
  }
  // The 1 sku figure uses stockSku(0); the many-sku one stockSku(1..n).
  const skus = [...E2E_SKUS, ...WEBHOOK_SKUS, ...Array.from({ length: opts.stockSkus + 1 }, (_, i) => stockSku(i))];
  await mapLimit(skus, 16, (sku) => api.postOk('/items', { sku, name: `Bench item ${sku}` }, [201]));
  // Plenty of stock where orders are reserved, so figure 2 never waits for stock.
  await mapLimit([...E2E_SKUS, ...WEBHOOK_SKUS], 8, (sku) =>
    api.postOk('/stock/receipts', {
      sku,
      locationId: LOCATIONS.warehouse,
      quantity: 1_000_000,
      reference: 'bench opening stock',
      idempotencyKey: `bench-open-${sku}`,
    }),
  );
  for (const id of Object.values(CONNECTIONS)) {
    await api.postOk(
      '/connections',
      {
        id,
        kind: 'shopify',
        name: `Bench ${id}`,
        options: { shopDomain: SHOP_DOMAIN, baseUrl: bench.shopify.url },
        credentials: { accessToken: 'shpat_bench_token_value', webhookSecret: WEBHOOK_SECRET },
        stockFeeds: id === CONNECTIONS.stock ? [{ channelLocationId: SHOPIFY_LOCATION, locationIds: [LOCATIONS.feed] }] : [],
        sync: { ordersEveryMinutes: 1440, stockEveryMinutes: 1440 },
      },
      [201],
    );
    // A scheduled poll or full stock reconciliation in the middle of a figure would measure something else.
    for (const kind of ['orders', 'stock'] as const) {
      try {
        await bench.temporal.schedule.getHandle(syncScheduleId(id, kind)).pause('paused by the bench');
      } catch (err) {
        if (!(err instanceof ScheduleNotFoundError)) throw err;
      }
    }
  }
  // The ledger's change notifier caches the connection list for 2 s (services/stock-sync.ts): let it see the new ones.
  await new Promise((r) => setTimeout(r, 2_500));
  opts.log(
    `seeded ${skus.length} items, 3 locations and ${Object.keys(CONNECTIONS).length} Shopify connections in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
}

// ---- Shopify webhooks ---------------------------------------------------------------------------------

const fixture = JSON.parse(readFileSync(path.join(__dirname, 'fixtures', 'shopify-order.json'), 'utf8')) as {
  id: number;
  name: string;
  order_number: number;
  line_items: { sku: string }[];
};

/** A signed orders/create delivery, shaped like Shopify's, for one order id and delivery id. */
export function shopifyDelivery(orderId: number, deliveryId: string): { body: string; headers: Record<string, string> } {
  const order = {
    ...fixture,
    id: orderId,
    admin_graphql_api_id: `gid://shopify/Order/${orderId}`,
    name: `#B${orderId}`,
    order_number: orderId,
    // Spread over the catalogue like a real shop's orders: on one or two skus they would queue on each other in the ledger.
    line_items: fixture.line_items.map((l, i) => ({
      ...l,
      sku: i === 1 ? WEBHOOK_SKUS[orderId % WEBHOOK_SKUS.length] : E2E_SKUS[(orderId + i) % E2E_SKUS.length],
    })),
  };
  const body = JSON.stringify(order);
  return {
    body,
    headers: {
      'content-type': 'application/json',
      'x-shopify-topic': 'orders/create',
      'x-shopify-shop-domain': SHOP_DOMAIN,
      'x-shopify-webhook-id': deliveryId,
      'x-shopify-hmac-sha256': createHmac('sha256', WEBHOOK_SECRET).update(body, 'utf8').digest('base64'),
    },
  };
}

// ---- Canonical orders (POST /orders) -----------------------------------------------------------------

export function orderBody(channel: string, channelOrderId: string, lines: { sku: string; quantity: number }[]) {
  return {
    channel,
    channelOrderId,
    currency: 'EUR',
    customer: { name: 'Ada Lovelace', email: 'ada@example.com' },
    shippingAddress: { name: 'Ada Lovelace', line1: 'Friedrichstrasse 43', city: 'Berlin', postalCode: '10117', country: 'DE' },
    lines: lines.map((l) => ({ ...l, unitPrice: 1999 })),
    shippingAmount: 495,
    payment: { method: 'prepaid', alreadyPaid: true },
  };
}
