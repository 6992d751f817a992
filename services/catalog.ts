// The catalogue: locations (warehouses, stores, dark stores) and items.
import type { Item, Location } from '../domain/catalog';
import { NotFoundError } from '../domain/errors';
import type { Items, Locations } from '../store/catalog';

export interface CatalogServiceDeps {
  locations: Pick<Locations, 'create' | 'list' | 'get'>;
  items: Pick<Items, 'create' | 'get'>;
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
    createItem: (item: Item) => items.create(item),
    async item(sku: string) {
      const item = await items.get(sku);
      if (!item) throw new NotFoundError(`Item ${sku} does not exist`, { sku });
      return item;
    },
  };
}
