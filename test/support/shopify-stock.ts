import nock from 'nock';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- vendor JSON, read field by field
type Json = Record<string, any>;

// Shopify's GraphQL Admin API for stock, as documented: productVariants by sku, nodes(ids:) for the
// current available quantity per location, and inventorySetQuantities, which checks every
// changeFromQuantity and applies the batch whole or not at all. `beforeSet` runs before a set is
// checked: a sale Shopify records meanwhile.
export interface SetCall {
  quantities: { inventoryItemId: string; locationId: string; quantity: number; changeFromQuantity: number | null }[];
  idempotencyKey: string;
  stale: number;
}
export function nockShopifyInventory(
  origin: string,
  apiPath: string,
  variants: Record<string, string>,
  beforeSet: (levels: Map<string, number>) => void = () => undefined,
) {
  const levels = new Map<string, number>(); // `${itemGid}|${locationGid}` -> available
  const sets: SetCall[] = [];
  const searches: string[] = [];
  const reads: string[][] = [];
  const cost = {
    requestedQueryCost: 10,
    actualQueryCost: 4,
    throttleStatus: { maximumAvailable: 2000, currentlyAvailable: 1996, restoreRate: 100 },
  };
  nock(origin)
    .persist()
    .post(`${apiPath}/graphql.json`)
    .reply(200, (_uri, body) => {
      const { query, variables } = body as { query: string; variables: Json };
      if (/productVariants/.test(query)) {
        searches.push(variables.query);
        const nodes = Object.entries(variants)
          .filter(([sku]) => variables.query.includes(`"${sku}`))
          .map(([sku, id]) => ({ sku, inventoryItem: { id } }));
        return { data: { productVariants: { nodes } }, extensions: { cost } };
      }
      if (/nodes\(ids:/.test(query)) {
        reads.push(variables.ids);
        const nodes = (variables.ids as string[]).map((id) => {
          const available = levels.get(`${id}|${variables.locationId}`);
          return { id, inventoryLevel: available === undefined ? null : { quantities: [{ name: 'available', quantity: available }] } };
        });
        return { data: { nodes }, extensions: { cost } };
      }
      expect(query).toMatch(/inventorySetQuantities\(input: \$input\) @idempotent\(key: \$idempotencyKey\)/);
      expect(variables.input).toMatchObject({ name: 'available', reason: 'correction' });
      beforeSet(levels);
      const quantities = variables.input.quantities as SetCall['quantities'];
      const userErrors = quantities.flatMap((q, i) =>
        (levels.get(`${q.inventoryItemId}|${q.locationId}`) ?? null) === q.changeFromQuantity
          ? []
          : [
              {
                field: ['input', 'quantities', String(i), 'changeFromQuantity'],
                message: 'The quantity has changed',
                code: 'CHANGE_FROM_QUANTITY_STALE',
              },
            ],
      );
      sets.push({ quantities, idempotencyKey: variables.idempotencyKey, stale: userErrors.length });
      if (userErrors.length === 0) for (const q of quantities) levels.set(`${q.inventoryItemId}|${q.locationId}`, q.quantity);
      return { data: { inventorySetQuantities: { userErrors } }, extensions: { cost } };
    });
  // Every quantity Shopify applied, in order, by inventory item id (the number in its GID).
  const applied = () =>
    sets
      .filter((c) => c.stale === 0)
      .flatMap((c) => c.quantities.map((q) => ({ inventoryItemId: Number(/\d+$/.exec(q.inventoryItemId)![0]), available: q.quantity })));
  return { levels, sets, searches, reads, applied };
}
