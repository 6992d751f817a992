import type { CatalogSource, ChannelVariant } from '../types';
import type { ShopifyClient } from './client';

// The shop's product variants through GraphQL, 250 a page, for importing the catalogue.
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
      }
      pageInfo { hasNextPage endCursor }
    }
  }`;

interface Variants {
  productVariants: {
    nodes: {
      id: string;
      sku: string | null;
      barcode: string | null;
      displayName: string;
      inventoryPolicy?: 'CONTINUE' | 'DENY';
      inventoryItem: { id: string; measurement?: { weight?: { unit: string; value: number } | null } | null } | null;
    }[];
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
  };
}

const GRAMS_PER: Record<string, number> = { GRAMS: 1, KILOGRAMS: 1000, OUNCES: 28.349523125, POUNDS: 453.59237 };

export function createShopifyCatalog(client: ShopifyClient): CatalogSource {
  return {
    async variants(pageToken) {
      const data = await client.graphql<Variants>(VARIANTS, { first: 250, after: pageToken ?? null });
      const variants: ChannelVariant[] = data.productVariants.nodes.map((n) => {
        const weight = n.inventoryItem?.measurement?.weight;
        const grams = weight && GRAMS_PER[weight.unit] !== undefined ? Math.round(weight.value * GRAMS_PER[weight.unit]) : undefined;
        return {
          sku: n.sku?.trim() ?? '',
          name: n.displayName,
          ...(n.barcode && { barcode: n.barcode }),
          ...(grams !== undefined && grams > 0 && { weightGrams: grams }),
          // CONTINUE: the shop keeps selling it out of stock, so its orders may backorder it.
          ...(n.inventoryPolicy === 'CONTINUE' && { allowBackorder: true }),
          channelIds: { variant: n.id, ...(n.inventoryItem && { inventoryItem: n.inventoryItem.id }) },
        };
      });
      const { hasNextPage, endCursor } = data.productVariants.pageInfo;
      return { variants, ...(hasNextPage && endCursor && { nextPageToken: endCursor }) };
    },
  };
}
