import { z } from 'zod';
import { NotFoundError, ValidationError } from '../../domain/errors';
import { parseOrThrow } from '../../domain/validation';
import { rawTimeOf, type ChannelOrder, type ConnectorContext, type ConnectorFactory, type OrderSource, type UnmappedOrder } from '../types';
import { createShopifyClient, type ShopifyClient } from './client';
import { createShopifyCatalog } from './catalog';
import { createShopifyFulfillment } from './fulfillment';
import { createShopifyStock } from './inventory';
import { mapShopifyOrder } from './mapper';
import { createShopifyRefunds } from './refunds';
import { graphqlOrderIdOf, isGraphqlOrder, LINE_ITEM_FIELDS, mapShopifyGraphqlOrder, ORDER_FIELDS } from './order-graphql';
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
  // Whether Shopify emails the customer about fulfillments, cancellations and refunds Orderhub reports.
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
// Orders a page: at about 160 points an order (10 lines, 5 shipping lines, 10 discounts), a page asks for
// about 800 of the 1,000 points a single query may cost. An order with more lines has the rest read by
// ORDER_LINES, 50 at a time (about 500 points).
const ORDERS_PER_PAGE = 5;

const ORDERS_UPDATED_SINCE = `
  query OrdersUpdatedSince($first: Int!, $after: String, $query: String!) {
    orders(first: $first, after: $after, query: $query, sortKey: UPDATED_AT) {
      nodes { ${ORDER_FIELDS} }
      pageInfo { hasNextPage endCursor }
    }
  }`;

interface OrdersPage {
  orders: { nodes: Record<string, unknown>[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } };
}

const ORDER_LINES = `
  query OrderLines($id: ID!, $after: String) {
    order(id: $id) { lineItems(first: 50, after: $after) { nodes { ${LINE_ITEM_FIELDS} } pageInfo { hasNextPage endCursor } } }
  }`;

interface OrderLines {
  order: { lineItems: { nodes: unknown[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } } } | null;
}

const SHOP = `query Shop { shop { name myshopifyDomain } }`;

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
        // The search travels inside the page token, so every page of one poll asks the same question.
        const page = (pageToken && pageTokenOf(pageToken, ctx)) || {
          query: `updated_at:>='${since ?? new Date(Date.now() - DEFAULT_LOOK_BACK_MS).toISOString()}'`,
        };
        const data = await client.graphql<OrdersPage>(ORDERS_UPDATED_SINCE, {
          first: ORDERS_PER_PAGE,
          after: page.after ?? null,
          query: page.query,
        });
        const mapped: ChannelOrder[] = [];
        const unmapped: UnmappedOrder[] = [];
        for (const node of data.orders.nodes) {
          const raw = await withAllLines(client, node);
          try {
            mapped.push(mapShopifyGraphqlOrder(raw, ctx.channel));
          } catch (err) {
            if (!(err instanceof ValidationError)) throw err;
            // One order the merchant must fix should not stop every later order from syncing.
            const channelOrderId = graphqlOrderIdOf(raw) ?? 'without an id';
            unmapped.push({
              channelOrderId,
              raw,
              reason: err.message,
              problems: err.problems,
              ...(rawTimeOf(raw, 'updatedAt') && { updatedAt: rawTimeOf(raw, 'updatedAt') }),
            });
            ctx.log.error('Shopify order cannot be mapped; kept as a dead letter', {
              connectionId: ctx.connectionId,
              channelOrderId,
              problems: err.problems,
            });
          }
        }
        const { hasNextPage, endCursor } = data.orders.pageInfo;
        return {
          orders: mapped,
          unmapped,
          ...(hasNextPage && endCursor && { nextPageToken: tokenOf({ query: page.query, after: endCursor }) }),
        };
      },
      // A dead letter from a poll holds the GraphQL order; one kept before the move to GraphQL, the REST one.
      mapPolled(raw) {
        return isGraphqlOrder(raw) ? mapShopifyGraphqlOrder(raw, ctx.channel) : mapShopifyOrder(currentQuantities(raw), ctx.channel);
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
      refunds: createShopifyRefunds(client, ctx, { notifyCustomer: opts.notifyCustomer }),
    };
  },
};

async function testConnection(client: ShopifyClient, shopDomain: string): Promise<void> {
  try {
    await client.graphql(SHOP, {}); // 401/403 become an UnauthorizedError saying the token was refused
  } catch (err) {
    if (err instanceof NotFoundError) throw new NotFoundError(`No Shopify shop answers at ${shopDomain}: check the shop domain`);
    throw err;
  }
}

// An order with more lines than the page carries gets the rest read, so it is mapped whole.
async function withAllLines(client: ShopifyClient, node: Record<string, unknown>): Promise<Record<string, unknown>> {
  const lineItems = node.lineItems as { nodes: unknown[]; pageInfo?: { hasNextPage: boolean; endCursor: string | null } } | undefined;
  let pageInfo = lineItems?.pageInfo;
  if (!lineItems || !pageInfo?.hasNextPage || typeof node.id !== 'string') return node;
  const nodes = [...lineItems.nodes];
  while (pageInfo?.hasNextPage && pageInfo.endCursor) {
    const more: OrderLines = await client.graphql<OrderLines>(ORDER_LINES, { id: node.id, after: pageInfo.endCursor });
    if (!more.order) break;
    nodes.push(...more.order.lineItems.nodes);
    pageInfo = more.order.lineItems.pageInfo;
  }
  return { ...node, lineItems: { nodes, pageInfo: { hasNextPage: false, endCursor: null } } };
}

const tokenOf = (page: { query: string; after: string }) => Buffer.from(JSON.stringify(page)).toString('base64url');

// A token this connector did not give out (a REST page_info heartbeated before the move to GraphQL): the
// poll starts again from its cursor, which only means reading some orders twice.
function pageTokenOf(token: string, ctx: ConnectorContext): { query: string; after?: string } | undefined {
  try {
    const page = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { query?: unknown; after?: unknown };
    if (typeof page.query === 'string' && typeof page.after === 'string') return { query: page.query, after: page.after };
  } catch {
    // logged below
  }
  ctx.log.warn('Shopify page token not recognised; polling again from the cursor', { connectionId: ctx.connectionId });
  return undefined;
}
