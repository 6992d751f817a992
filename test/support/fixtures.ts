import type { OrderInput } from '../../domain/order';
import { orderInputSchema } from '../../domain/order';
import type { Location } from '../../domain/catalog';
import type { Stores } from '../../worker/deps';
import { uniqueId } from './stack';

export const address = {
  name: 'Ada Lovelace',
  line1: 'Friedrichstrasse 43',
  city: 'Berlin',
  postalCode: '10117',
  country: 'DE',
  latitude: 52.5065,
  longitude: 13.3903,
};

// A canonical order body as an operator or integration would POST it.
export function orderBody(
  overrides: Partial<Record<keyof OrderInput, unknown>> & { lines?: { sku: string; quantity: number; unitPrice?: number }[] } = {},
) {
  const { lines, ...rest } = overrides;
  return {
    channel: 'manual',
    channelOrderId: uniqueId('PO'),
    currency: 'EUR',
    customer: { name: 'Ada Lovelace', email: 'ada@example.com' },
    shippingAddress: address,
    lines: (lines ?? [{ sku: 'SKU-1', quantity: 1 }]).map((l) => ({ unitPrice: 1999, ...l })),
    shippingAmount: 495,
    payment: { method: 'prepaid', alreadyPaid: true },
    ...rest,
  };
}

export const parsedOrder = (overrides: Parameters<typeof orderBody>[0] = {}): OrderInput => orderInputSchema.parse(orderBody(overrides));

export function location(id: string, priority = 100): Location {
  return {
    id,
    name: `Warehouse ${id}`,
    type: 'warehouse',
    address: { line1: 'Lagerstrasse 1', city: 'Berlin', postalCode: '10117', country: 'DE' },
    ships: true,
    pickup: false,
    priority,
    active: true,
  };
}

// Items, locations and opening stock written through the real stores.
export async function seed(
  stores: Stores,
  opts: { skus: string[]; locations?: Location[]; stock?: { sku: string; locationId: string; quantity: number }[] },
): Promise<void> {
  for (const sku of opts.skus) await stores.items.create({ sku, name: `Item ${sku}` });
  for (const loc of opts.locations ?? []) await stores.locations.create(loc);
  for (const s of opts.stock ?? []) {
    await stores.ledger.apply({ ...s, type: 'receipt', idempotencyKey: uniqueId('seed'), actor: 'test' });
  }
}

export async function eventually<T>(read: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 30_000, what = 'condition'): Promise<T> {
  const until = Date.now() + timeoutMs;
  let last: T = await read();
  while (!ok(last)) {
    if (Date.now() > until) throw new Error(`Timed out waiting for ${what}; last value: ${JSON.stringify(last)?.slice(0, 2000)}`);
    await new Promise((r) => setTimeout(r, 100));
    last = await read();
  }
  return last;
}
