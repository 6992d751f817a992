import { createTestContext, uniqueId, type TestContext } from '../support/stack';
import { apiFor } from '../support/api';

// The catalogue through the API: listed and searched a page at a time, and items changed in place.

let ctx: TestContext;
let api: Awaited<ReturnType<typeof apiFor>>;
const prefix = uniqueId('CAT')
  .toUpperCase()
  .replace(/[^A-Z0-9]/g, '');

beforeAll(async () => {
  ctx = await createTestContext('api_catalog');
  api = await apiFor(ctx);
  for (const [suffix, name] of [
    ['A1', 'Linen shirt, white'],
    ['A2', 'Linen shirt, blue'],
    ['B1', 'Wool scarf'],
    ['C1', 'Leather belt'],
    ['C2', 'Leather (brown) belt'],
  ])
    expect((await api.post('/items', { sku: `${prefix}-${suffix}`, name, weightGrams: 200 })).status).toBe(201);
});
afterAll(async () => ctx.close());

const skus = (body: { items: { sku: string }[] }) => body.items.map((i) => i.sku.slice(prefix.length + 1));

test('the catalogue is listed in sku order, a page at a time, and searched by sku start or name in any case', async () => {
  const first = await api.get(`/items?search=${prefix}&limit=2`);
  expect(first.status).toBe(200);
  expect(skus(first.body)).toEqual(['A1', 'A2']);
  const second = (await api.get(`/items?search=${prefix}&limit=2&cursor=${first.body.nextCursor}`)).body;
  expect(skus(second)).toEqual(['B1', 'C1']);
  const last = (await api.get(`/items?search=${prefix}&limit=2&cursor=${second.nextCursor}`)).body;
  expect(skus(last)).toEqual(['C2']);
  expect(last.nextCursor).toBeUndefined();

  const linen = (await api.get('/items?search=LINEN%20SHIRT&limit=500')).body.items.filter((i: { sku: string }) =>
    i.sku.startsWith(prefix),
  );
  expect(linen.map((i: { name: string }) => i.name)).toEqual(['Linen shirt, white', 'Linen shirt, blue']);
  // Characters with a meaning in patterns are searched as they are.
  const brown = (await api.get(`/items?search=${encodeURIComponent('(brown)')}`)).body.items;
  expect(brown.map((i: { sku: string }) => i.sku)).toEqual([`${prefix}-C2`]);
  expect((await api.get('/items?limit=0')).status).toBe(400);
});

test('an item is changed in place: fields set, an optional one removed with null, the sku kept', async () => {
  const sku = `${prefix}-B1`;
  const changed = await api.raw
    .patch(`/items/${sku}`)
    .set('Authorization', 'Bearer test-api-key-0123456789')
    .send({ name: 'Wool scarf, grey', barcode: '4006381333932', weightGrams: null });
  expect(changed.status).toBe(200);
  expect(changed.body).toEqual({ sku, name: 'Wool scarf, grey', barcode: '4006381333932' });
  expect((await api.get(`/items/${sku}`)).body).toEqual(changed.body);

  const patch = (path: string, body: unknown) =>
    api.raw
      .patch(path)
      .set('Authorization', 'Bearer test-api-key-0123456789')
      .send(body as object);
  const empty = await patch(`/items/${sku}`, {});
  expect(empty.status).toBe(400);
  expect(empty.body.error.details[0].message).toMatch(/at least one of name/);
  const renamed = await patch(`/items/${sku}`, { sku: 'OTHER' });
  expect(renamed.status).toBe(400);
  expect((await patch(`/items/${prefix}-NONE`, { name: 'x' })).status).toBe(404);
});
