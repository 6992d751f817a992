// The catalogue: locations (warehouses, stores, dark stores) and items.
import type { Item, ItemPatch, Location } from '../domain/catalog';
import { NotFoundError } from '../domain/errors';
import type { Items, Locations } from '../store/catalog';
import { checkItemReleaseDate } from './preorders';

export interface CatalogServiceDeps {
  locations: Pick<Locations, 'create' | 'list' | 'get'>;
  items: Pick<Items, 'create' | 'get' | 'list' | 'update'>;
}

export function createCatalogService(deps: CatalogServiceDeps) {
  const { locations, items } = deps;
  return {
    createLocation: (location: Location) => locations.create(location),
    locations: () => locations.list(),
    async location(id: string) {
      const location = await locations.get(id);
      if (!location) throw new NotFoundError(`Location ${id} does not exist`, { id });
      return location;
    },
    // An item sold as a pre-order names a release date to come.
    createItem(item: Item) {
      checkItemReleaseDate(item.preorder, new Date());
      return items.create(item);
    },
    items: (q: { search?: string; cursor?: string; limit: number }) =>
      items.list({ limit: q.limit, ...(q.search && { search: q.search }), ...(q.cursor && { after: q.cursor }) }),
    async updateItem(sku: string, patch: ItemPatch) {
      checkItemReleaseDate(patch.preorder, new Date());
      const item = await items.update(sku, patch);
      if (!item) throw new NotFoundError(`Item ${sku} does not exist`, { sku });
      return item;
    },
    async item(sku: string) {
      const item = await items.get(sku);
      if (!item) throw new NotFoundError(`Item ${sku} does not exist`, { sku });
      return item;
    },
  };
}
