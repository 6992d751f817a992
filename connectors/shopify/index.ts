import { z } from 'zod';
import { NotFoundError, ValidationError } from '../../domain/errors';
import { parseOrThrow } from '../../domain/validation';
import type { ChannelOrder, ConnectorFactory, OrderSource, UnmappedOrder } from '../types';
import { createShopifyClient, type ShopifyClient } from './client';
import { createShopifyCatalog } from './catalog';
import { createShopifyFulfillment } from './fulfillment';
import { createShopifyStock } from './inventory';
import { mapShopifyOrder } from './mapper';
import { createShopifyWebhooks, currentQuantities } from './webhooks';

export const shopifyOptionsSchema = z.strictObject({
  shopDomain: z
    .string()
    .trim()
    .toLowerCase()
    .regex(/^[a-z0-9][a-z0-9-]*\.myshopify\.com$/, 'must be the shop\'s permanent domain, such as "my-shop.myshopify.com"'),
  // Absent: the newest stable version, as of the day the connection is used.
  apiVersion: z
    .string()
    .regex(/^\d{4}-(01|04|07|10)$/, 'must be a Shopify API version such as "2026-10"')
    .optional(),
  // Whether Shopify emails the customer about fulfillments and cancellations Orderhub reports.
  notifyCustomer: z.boolean().default(true),
  // Where the Admin API is reached instead of https://<shopDomain>: a proxy, or a stand-in in drills and benchmarks.
  baseUrl: z
    .url({ protocol: /^https?$/, message: 'must be an http or https URL' })
    .transform((u) => u.replace(/\/+$/, ''))
    .optional(),
});
export type ShopifyOptions = z.infer<typeof shopifyOptionsSchema>;

// Shopify releases a stable version each quarter (January, April, July, October) and supports each for
// 12 months; a call naming an older one is answered by the oldest supported version instead.
const releaseOf = (version: string) => Date.UTC(Number(version.slice(0, 4)), Number(version.slice(5, 7)) - 1, 1);
export function supportedShopifyVersions(now = new Date()): string[] {
  const versions: string[] = [];
  for (let year = now.getUTCFullYear() - 1; year <= now.getUTCFullYear(); year++)
    for (const month of ['01', '04', '07', '10']) {
      const version = `${year}-${month}`;
      const released = releaseOf(version);
      if (released <= now.getTime() && now.getTime() < Date.UTC(year + 1, Number(month) - 1, 1)) versions.push(version);
    }
  return versions;
}
export const newestStableShopifyVersion = (now = new Date()) => supportedShopifyVersions(now).at(-1)!;

// A new or changed connection must name a version Shopify still supports.
const supportedOptionsSchema = shopifyOptionsSchema.superRefine((o, ctx) => {
  const supported = supportedShopifyVersions();
  if (o.apiVersion !== undefined && !supported.includes(o.apiVersion))
    ctx.addIssue({
      code: 'custom',
      path: ['apiVersion'],
      message: `${o.apiVersion} is no longer supported by Shopify (supported now: ${supported.join(', ')}); leave it out for the newest`,
    });
});

export const shopifyCredentialsSchema = z.strictObject({
  accessToken: z.string().trim().min(1, 'is required: the Admin API access token'), // sent as X-Shopify-Access-Token
  webhookSecret: z.string().min(1, "is required: the app's client secret, which signs webhooks"),
});
export type ShopifyCredentials = z.infer<typeof shopifyCredentialsSchema>;

const DEFAULT_LOOK_BACK_MS = 7 * 24 * 60 * 60 * 1000;
const PAGE_SIZE = 250; // the most Shopify returns per page

export const shopifyConnector: ConnectorFactory<ShopifyOptions, ShopifyCredentials> = {
  kind: 'shopify',
  optionsSchema: supportedOptionsSchema,
  credentialsSchema: shopifyCredentialsSchema,
  create(options, credentials, ctx) {
    const opts = parseOrThrow(shopifyOptionsSchema, options, 'Shopify connection options');
    const creds = parseOrThrow(shopifyCredentialsSchema, credentials, 'Shopify credentials');
    const client = createShopifyClient(
      {
        shopDomain: opts.shopDomain,
        apiVersion: opts.apiVersion ?? newestStableShopifyVersion(),
        accessToken: creds.accessToken,
        ...(opts.baseUrl && { baseUrl: opts.baseUrl }),
      },
      ctx,
    );

    const orders: OrderSource = {
      async fetchOrdersUpdatedSince(since, pageToken) {
        // Shopify allows nothing but limit next to page_info: the filters travel inside the cursor.
        const query: Record<string, string | number> = pageToken
          ? { limit: PAGE_SIZE, page_info: pageToken }
          : {
              status: 'any',
              updated_at_min: since ?? new Date(Date.now() - DEFAULT_LOOK_BACK_MS).toISOString(),
              limit: PAGE_SIZE,
              order: 'updated_at asc',
            };
        const page = await client.ordersPage(query);
        const mapped: ChannelOrder[] = [];
        const unmapped: UnmappedOrder[] = [];
        for (const raw of page.orders) {
          try {
            mapped.push(mapShopifyOrder(currentQuantities(raw), ctx.channel));
          } catch (err) {
            if (!(err instanceof ValidationError)) throw err;
            // One order the merchant must fix should not stop every later order from syncing.
            unmapped.push({ channelOrderId: idOf(raw) ?? 'without an id', raw, reason: err.message, problems: err.problems });
            ctx.log.error('Shopify order cannot be mapped; kept as a dead letter', {
              connectionId: ctx.connectionId,
              channelOrderId: idOf(raw),
              problems: err.problems,
            });
          }
        }
        return { orders: mapped, unmapped, ...(page.nextPageInfo && { nextPageToken: page.nextPageInfo }) };
      },
      mapPolled(raw) {
        return mapShopifyOrder(currentQuantities(raw), ctx.channel);
      },
      webhooks: createShopifyWebhooks({ webhookSecret: creds.webhookSecret, shopDomain: opts.shopDomain, channel: ctx.channel }),
    };

    return {
      kind: 'shopify',
      testConnection: () => testConnection(client, opts.shopDomain),
      orders,
      catalog: createShopifyCatalog(client),
      stock: createShopifyStock(client, ctx),
      fulfillment: createShopifyFulfillment(client, ctx, { notifyCustomer: opts.notifyCustomer }),
    };
  },
};

async function testConnection(client: ShopifyClient, shopDomain: string): Promise<void> {
  try {
    await client.shop(); // 401/403 become an UnauthorizedError saying the token was refused
  } catch (err) {
    if (err instanceof NotFoundError) throw new NotFoundError(`No Shopify shop answers at ${shopDomain}: check the shop domain`);
    throw err;
  }
}

function idOf(raw: unknown): string | undefined {
  return raw && typeof raw === 'object' && 'id' in raw ? String((raw as { id: unknown }).id) : undefined;
}
