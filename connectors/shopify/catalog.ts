import type { CatalogSource, ChannelVariant } from '../types';
import type { ShopifyClient } from './client';

// The shop's product variants through GraphQL for importing the catalogue, each with the selling plans it is
// sold under: a PRE_ORDER plan whose fixed delivery policy fulfils at an exact time marks it a pre-order.
// Shopify refuses a query whose requested cost passes 1,000 points and prices a connection at its size times
// its node's cost: a plan is 2 (itself and its delivery policy), so 3 plans of 2 groups make a variant about
// 24 points, and 40 variants a page ask for about 960 (what Shopify charges is what the page actually holds).
export const VARIANTS_PER_PAGE = 40;
const VARIANTS = `
  query CatalogVariants($first: Int!, $after: String) {
    productVariants(first: $first, after: $after) {
      nodes {
        id
        sku
        barcode
        displayName
        inventoryPolicy
        inventoryItem { id measurement { weight { unit value } } }
        sellingPlanGroups(first: 2) {
          nodes {
            sellingPlans(first: 3) {
              nodes {
                category
                deliveryPolicy { ... on SellingPlanFixedDeliveryPolicy { fulfillmentTrigger fulfillmentExactTime } }
              }
            }
          }
        }
      }
      pageInfo { hasNextPage endCursor }
    }
  }`;

interface SellingPlan {
  category?: string | null;
  deliveryPolicy?: { fulfillmentTrigger?: string | null; fulfillmentExactTime?: string | null } | null;
}

interface Variants {
  productVariants: {
    nodes: {
      id: string;
      sku: string | null;
      barcode: string | null;
      displayName: string;
      inventoryPolicy?: 'CONTINUE' | 'DENY';
      inventoryItem: { id: string; measurement?: { weight?: { unit: string; value: number } | null } | null } | null;
      sellingPlanGroups?: { nodes: { sellingPlans?: { nodes: SellingPlan[] } | null }[] } | null;
    }[];
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
  };
}

const GRAMS_PER: Record<string, number> = { GRAMS: 1, KILOGRAMS: 1000, OUNCES: 28.349523125, POUNDS: 453.59237 };

// When a variant sold as a pre-order is released: the exact fulfilment time of its PRE_ORDER selling plans
// (the latest, when there are several, so no buyer's goods leave before the date their plan promised). A
// plan fulfilled ASAP, on anchors or at an unknown time gives no date and marks nothing.
export function preorderReleaseOf(groups: { nodes: { sellingPlans?: { nodes: SellingPlan[] } | null }[] } | null | undefined) {
  const times = (groups?.nodes ?? [])
    .flatMap((g) => g.sellingPlans?.nodes ?? [])
    .filter((p) => p.category === 'PRE_ORDER' && p.deliveryPolicy?.fulfillmentTrigger === 'EXACT_TIME')
    .map((p) => p.deliveryPolicy?.fulfillmentExactTime)
    .filter((t): t is string => typeof t === 'string' && !Number.isNaN(Date.parse(t)));
  if (times.length === 0) return undefined;
  return new Date(Math.max(...times.map((t) => Date.parse(t)))).toISOString();
}

export function createShopifyCatalog(client: ShopifyClient): CatalogSource {
  return {
    async variants(pageToken) {
      const data = await client.graphql<Variants>(VARIANTS, { first: VARIANTS_PER_PAGE, after: pageToken ?? null });
      const variants: ChannelVariant[] = data.productVariants.nodes.map((n) => {
        const weight = n.inventoryItem?.measurement?.weight;
        const preorderReleaseAt = preorderReleaseOf(n.sellingPlanGroups);
        const grams = weight && GRAMS_PER[weight.unit] !== undefined ? Math.round(weight.value * GRAMS_PER[weight.unit]) : undefined;
        return {
          sku: n.sku?.trim() ?? '',
          name: n.displayName,
          ...(n.barcode && { barcode: n.barcode }),
          ...(grams !== undefined && grams > 0 && { weightGrams: grams }),
          // CONTINUE: the shop keeps selling it out of stock, so its orders may backorder it.
          ...(n.inventoryPolicy === 'CONTINUE' && { allowBackorder: true }),
          ...(preorderReleaseAt && { preorderReleaseAt }),
          channelIds: { variant: n.id, ...(n.inventoryItem && { inventoryItem: n.inventoryItem.id }) },
        };
      });
      const { hasNextPage, endCursor } = data.productVariants.pageInfo;
      return { variants, ...(hasNextPage && endCursor && { nextPageToken: endCursor }) };
    },
  };
}
