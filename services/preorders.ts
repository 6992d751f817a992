// Pre-orders at capture: lines marked pre-order (by the caller or the channel, or because the catalogue
// item is sold as a pre-order), release dates checked against the clock, and each pre-order line's claim on
// what open purchase orders still expect (first come, first served; never more than is inbound).
import { ConflictError, ValidationError, type FieldProblem } from '../domain/errors';
import type { OrderInput } from '../domain/order';
import { claimedTotal, claimHeadroom, normalisedReleaseAt, releaseDateIsPast, type ActiveClaim } from '../domain/preorder';
import type { Items } from '../store/catalog';
import type { PreorderClaims } from '../store/preorder-claims';
import type { PurchaseOrders } from '../store/purchasing';
import type { StockLedger } from '../store/stock-ledger';

export interface PreorderServiceDeps {
  preorderClaims: Pick<PreorderClaims, 'claim' | 'settle' | 'active' | 'ofOrder'>;
  purchaseOrders: Pick<PurchaseOrders, 'inboundForSku'>;
  ledger: Pick<StockLedger, 'balancesForSku'>;
  items: Pick<Items, 'preorderReleases'>;
  now?: () => Date;
}

export function createPreorderService(deps: PreorderServiceDeps) {
  const now = deps.now ?? (() => new Date());

  // What pre-orders of a sku may claim from: inbound on open purchase orders, and what is available on hand.
  async function supplyOf(sku: string): Promise<{ inbound: number; available: number }> {
    const [inbound, balances] = await Promise.all([deps.purchaseOrders.inboundForSku(sku), deps.ledger.balancesForSku(sku)]);
    return {
      inbound: inbound.reduce((n, i) => n + i.quantity, 0),
      available: balances.reduce((n, b) => n + Math.max(0, b.available), 0),
    };
  }

  /**
   * Each pre-order line claims its quantity of the sku's inbound stock, in line behind earlier claims.
   * More than can still be claimed is refused (409) naming the sku, what is inbound and what is already
   * claimed; claims this order took for its other lines are given back. Claiming again answers the claims
   * held.
   */
  async function claim(orderId: string, input: Pick<OrderInput, 'lines'>): Promise<ActiveClaim[]> {
    const taken: { sku: string; claim: ActiveClaim; duplicate: boolean }[] = [];
    for (const [i, line] of input.lines.entries()) {
      if (!line.preorder) continue;
      try {
        const outcome = await deps.preorderClaims.claim(line.sku, orderId, line.quantity, async (active) => {
          const supply = await supplyOf(line.sku);
          const claimed = claimedTotal(active);
          const claimable = claimHeadroom({ ...supply, claimed });
          if (line.quantity > claimable)
            throw new ConflictError(
              `Cannot take a pre-order of ${line.quantity} ${line.sku}: ${supply.inbound} inbound on open purchase orders, ${claimed} already claimed by earlier pre-orders, ${claimable} left to claim`,
              { path: `lines.${i}.quantity`, sku: line.sku, requested: line.quantity, inbound: supply.inbound, claimed, claimable },
            );
        });
        taken.push({ sku: line.sku, ...outcome });
      } catch (err) {
        for (const t of taken.filter((t) => !t.duplicate)) await deps.preorderClaims.settle(t.sku, orderId, 'refused');
        throw err;
      }
    }
    return taken.map((t) => t.claim);
  }

  return {
    /**
     * The order as captured: a line for an item the catalogue sells as a pre-order (until its release date)
     * becomes a pre-order line, and an order with a pre-order line is a pre-order. Release dates are taken
     * as date-times (UTC). A release date in the past is refused naming the line; so is a "pre_order" with
     * no pre-order line.
     */
    async prepare(input: OrderInput): Promise<OrderInput> {
      const at = now();
      const problems: FieldProblem[] = [];
      input.lines.forEach((l, i) => {
        if (l.preorder && releaseDateIsPast(l.preorder.releaseAt, at))
          problems.push({
            path: `lines.${i}.preorder.releaseAt`,
            message: `${l.preorder.releaseAt} is in the past: a pre-order is released on a date to come`,
          });
      });
      if (problems.length) throw new ValidationError(`Invalid order: ${problems.length} problem(s)`, problems);
      const unmarked = input.lines.filter((l) => !l.preorder).map((l) => l.sku);
      const fromCatalogue = unmarked.length ? await deps.items.preorderReleases(unmarked) : new Map<string, string>();
      const lines = input.lines.map((l) => {
        const releaseAt = l.preorder?.releaseAt ?? fromCatalogue.get(l.sku);
        // An item whose release date has come is sold as an ordinary item.
        if (releaseAt === undefined || (!l.preorder && releaseDateIsPast(releaseAt, at))) return l;
        return { ...l, preorder: { releaseAt: normalisedReleaseAt(releaseAt) } };
      });
      const preorder = lines.some((l) => l.preorder);
      if (input.type === 'pre_order' && !preorder)
        throw new ValidationError('Invalid order: 1 problem(s)', [
          {
            path: 'type',
            message: 'a pre_order needs a line with preorder.releaseAt, or a sku the catalogue sells as a pre-order',
          },
        ]);
      return { ...input, lines, type: preorder ? 'pre_order' : input.type };
    },

    /**
     * A channel's order, which was sold already and is never refused: a line for an item the catalogue sells as
     * a pre-order becomes a pre-order line (the catalogue's flag is the merchant's per-item setting, as a
     * Shopify selling plan is), and a release date the channel gave that has passed is dropped (the line
     * ships as soon as it can).
     */
    async markChannelOrder(input: OrderInput): Promise<OrderInput> {
      const at = now();
      const unmarked = input.lines.filter((l) => !l.preorder).map((l) => l.sku);
      const fromCatalogue = unmarked.length ? await deps.items.preorderReleases(unmarked) : new Map<string, string>();
      const lines: OrderInput['lines'] = input.lines.map((l) => {
        const { preorder: _given, ...line } = l;
        const releaseAt = l.preorder?.releaseAt ?? fromCatalogue.get(l.sku);
        if (releaseAt === undefined || releaseDateIsPast(releaseAt, at)) return line;
        return { ...line, preorder: { releaseAt: normalisedReleaseAt(releaseAt) } };
      });
      const preorder = lines.some((l) => l.preorder);
      return { ...input, lines, type: preorder ? 'pre_order' : input.type === 'pre_order' ? 'standard' : input.type };
    },

    /**
     * A channel pre-order claims what is left to claim, line by line: a line beyond it is not refused (the
     * channel sold it) but waits without a claim, behind every claim, for stock beyond what is claimed.
     * Returns the skus it could not claim.
     */
    async claimWhatIsLeft(orderId: string, input: Pick<OrderInput, 'lines'>): Promise<string[]> {
      const unclaimed: string[] = [];
      for (const line of input.lines.filter((l) => l.preorder)) {
        try {
          await claim(orderId, { lines: [line] });
        } catch (err) {
          if (!(err instanceof ConflictError)) throw err;
          unclaimed.push(line.sku);
        }
      }
      return unclaimed;
    },

    claim,

    ofOrder: (orderId: string) => deps.preorderClaims.ofOrder(orderId),
  };
}

export type PreorderService = ReturnType<typeof createPreorderService>;

/** A catalogue item's pre-order release date must not be in the past (refused naming the field). */
export function checkItemReleaseDate(preorder: { releaseAt: string } | null | undefined, now: Date): void {
  if (preorder && releaseDateIsPast(preorder.releaseAt, now))
    throw new ValidationError('Invalid item: 1 problem(s)', [
      { path: 'preorder.releaseAt', message: `${preorder.releaseAt} is in the past: a pre-order is released on a date to come` },
    ]);
}
