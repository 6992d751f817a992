// Stock as the API changes and reads it: ledger changes (each applied once per idempotency key) for
// known skus at known locations, balances per location and in total, and the ledger's entries.
import { NotFoundError, ValidationError } from '../domain/errors';
import type { Items, Locations } from '../store/catalog';
import type { OrdersView } from '../store/orders';
import type { PurchaseOrders } from '../store/purchasing';
import { inboundSummary } from './purchasing';
import type { StockChange, StockLedger } from '../store/stock-ledger';
import type { PreorderClaims } from '../store/preorder-claims';
import { claimedTotal, claimHeadroom } from '../domain/preorder';

export interface StockServiceDeps {
  ledger: Pick<StockLedger, 'apply' | 'balancesForSku' | 'entriesForSku' | 'entriesNewestFirst'>;
  items: Pick<Items, 'get'>;
  locations: Pick<Locations, 'get'>;
  orders: Pick<OrdersView, 'waitingForSku'>;
  purchaseOrders: Pick<PurchaseOrders, 'inboundForSku'>;
  preorderClaims: Pick<PreorderClaims, 'active'>;
}

export function createStockService(deps: StockServiceDeps) {
  const { ledger, items, locations, orders, purchaseOrders, preorderClaims } = deps;

  async function itemOrThrow(sku: string): Promise<void> {
    if (!(await items.get(sku))) throw new NotFoundError(`Item ${sku} does not exist`, { sku });
  }

  return {
    // One ledger change: the sku and location must exist; the same idempotency key applies it once.
    async change(change: StockChange) {
      const [item, location] = await Promise.all([items.get(change.sku), locations.get(change.locationId)]);
      const problems = [
        ...(item ? [] : [{ path: 'sku', message: `unknown sku ${change.sku}` }]),
        ...(location ? [] : [{ path: 'locationId', message: `unknown location ${change.locationId}` }]),
      ];
      if (problems.length) throw new ValidationError(`Invalid stock change: ${problems.length} problem(s)`, problems);
      return ledger.apply(change);
    },

    // How many orders wait for this sku. The stock a change frees is offered to them, first come, first
    // served, within about a second (worker/stock-offers.ts), not by the change. A lookup that fails
    // answers nothing rather than failing a change already applied.
    async waitingOrders(sku: string): Promise<number | undefined> {
      const waiting = await orders.waitingForSku(sku).catch(() => undefined);
      return waiting?.length;
    },

    // Balances, what open purchase orders still expect (per order with its date, and per location), and the
    // pre-orders' claims on it (first in line first) with what is left to claim.
    async balances(sku: string) {
      await itemOrThrow(sku);
      const [perLocation, inbound, claims] = await Promise.all([
        ledger.balancesForSku(sku),
        purchaseOrders.inboundForSku(sku),
        preorderClaims.active(sku),
      ]);
      const total = perLocation.reduce(
        (t, b) => ({
          onHand: t.onHand + b.onHand,
          reserved: t.reserved + b.reserved,
          quarantined: t.quarantined + (b.quarantined ?? 0),
          available: t.available + b.available,
        }),
        { onHand: 0, reserved: 0, quarantined: 0, available: 0 },
      );
      const claimed = claimedTotal(claims);
      const inboundTotal = inbound.reduce((n, i) => n + i.quantity, 0);
      const preorders = {
        claimed,
        claimable: claimHeadroom({ inbound: inboundTotal, available: total.available, claimed }),
        claims: claims.map((c) => ({ orderId: c.orderId, quantity: c.quantity, claimedAt: c.at })),
      };
      return { sku, total, locations: perLocation, ...inboundSummary(inbound), preorders };
    },

    async entries(sku: string, q: { limit: number; locationId?: string }) {
      await itemOrThrow(sku);
      const entries = await ledger.entriesForSku(sku, { limit: q.limit, ...(q.locationId && { locationId: q.locationId }) });
      return { sku, entries: entries.map(({ _id, ...e }) => ({ id: _id, ...e })) };
    },

    // The ledger of a sku at one location, newest first, a page at a time: `nextBefore` asks for the page
    // after this one (null on the last page).
    async locationEntries(sku: string, locationId: string, q: { limit: number; before?: number }) {
      const [item, location] = await Promise.all([items.get(sku), locations.get(locationId)]);
      if (!item) throw new NotFoundError(`Item ${sku} does not exist`, { sku });
      if (!location) throw new NotFoundError(`Location ${locationId} does not exist`, { locationId });
      const entries = await ledger.entriesNewestFirst(sku, locationId, {
        limit: q.limit,
        ...(q.before !== undefined && { beforeSeq: q.before }),
      });
      const last = entries[entries.length - 1];
      return {
        sku,
        locationId,
        entries: entries.map(({ _id, ...e }) => ({ id: _id, ...e })),
        nextBefore: entries.length === q.limit && last && last.seq > 1 ? last.seq : null,
      };
    },
  };
}
