import nock from 'nock';
import { ShopifyShop, type ShopOptions } from '../../bench/shopify-shop';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- vendor JSON, read field by field
type Json = Record<string, any>;

// Shopify's GraphQL Admin API behind nock, answered by a model of one shop (bench/shopify-shop.ts) as
// Shopify documents it: stock (productVariants by sku, nodes(ids:), inventorySetQuantities checking every
// changeFromQuantity), orders (the orders query, order(id:) with fulfillment orders, fulfillmentCreate,
// orderCancel), and a cost bucket of the shop's plan in extensions.cost, THROTTLED when empty.
export interface SetCall {
  quantities: { inventoryItemId: string; locationId: string; quantity: number; changeFromQuantity: number | null }[];
  idempotencyKey: string;
  stale: number;
}

export function nockShopify(origin: string, apiPath: string, opts: ShopOptions = {}) {
  const shop = new ShopifyShop(opts);
  const sets: SetCall[] = [];
  const searches: string[] = [];
  const reads: string[][] = [];
  // Every request body as sent (query and variables), throttled or not.
  const requests: { query: string; variables: Json }[] = [];
  nock(origin)
    .persist()
    .post(`${apiPath}/graphql.json`)
    .reply((_uri, body) => {
      const { query, variables } = body as { query: string; variables: Json };
      requests.push({ query, variables });
      const answer = shop.graphql(body);
      const result = answer.body as { data?: Json };
      if (result.data?.productVariants) searches.push(variables.query);
      if (result.data?.nodes) reads.push(variables.ids);
      if (result.data?.inventorySetQuantities) {
        expect(query).toMatch(/inventorySetQuantities\(input: \$input\) @idempotent\(key: \$idempotencyKey\)/);
        expect(variables.input).toMatchObject({ name: 'available', reason: 'correction' });
        sets.push({
          quantities: variables.input.quantities,
          idempotencyKey: variables.idempotencyKey,
          stale: result.data.inventorySetQuantities.userErrors.length,
        });
      }
      return [answer.status, answer.body];
    });
  // Every quantity Shopify applied, in order, by inventory item id (the digits of its GID).
  const applied = () =>
    sets
      .filter((c) => c.stale === 0)
      .flatMap((c) => c.quantities.map((q) => ({ inventoryItemId: /\d+$/.exec(q.inventoryItemId)![0], available: q.quantity })));
  // The requests that asked for one root field (fulfillmentCreate, orderCancel, orders, ...).
  const requestsFor = (field: string) => requests.filter((r) => new RegExp(`\\b${field}\\s*\\(`).test(r.query));
  return { shop, levels: shop.levels, sets, searches, reads, requests, requestsFor, applied };
}

// Stock only, with a fixed sku -> inventory item GID table (skus not in it are unknown to the shop).
export function nockShopifyInventory(
  origin: string,
  apiPath: string,
  variants: Record<string, string>,
  beforeSet: (levels: Map<string, number>) => void = () => undefined,
  opts: ShopOptions = {},
) {
  return nockShopify(origin, apiPath, { ...opts, variants, beforeSet });
}
