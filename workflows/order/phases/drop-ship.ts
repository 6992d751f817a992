import { dropShipGroups, type DropShipGroup, type DropShipPurchaseOrder, type SupplierAnswer } from '../../../domain/drop-ship';
import { OrderCancelled, type OrderRun } from '../order-run';
import type { PartRun } from '../parts';
import { shipping, shipStockParts, type FulfilmentStrategy } from './fulfil';
import { reserve } from './reserve';

// ---- Drop-ship: the suppliers ship ----------------------------------------------------------------------

// Every line of a drop-ship order is shipped by its supplier: one part (and one purchase order) per
// supplier, no stock reserved and nothing written to the stock ledger. Each part's purchase order is sent,
// then the part waits for its supplier: a confirmation is noted, a shipment with tracking ships the part
// (its money captured, the channel and the customer told), a refusal parks the order for an operator, who
// re-routes the part to another drop-ship supplier, cancels the order (the other suppliers' purchase
// orders are withdrawn) or retries (waits for the supplier again, e.g. after settling it by phone; a late
// shipment is taken too). Delivery follows as for any carrier shipment.
async function fulfilBySuppliers(run: OrderRun): Promise<void> {
  const groups = dropShipGroups(run.order);
  const held = groups.map(heldBy);
  if (held.length === 1) run.parts.holdWhole(held[0]);
  else {
    run.parts.holdSplit(held);
    for (const p of run.state.parts ?? []) p.stage = 'payment_authorized';
  }
  run.state.dropShip = { purchaseOrders: [] };
  await allSettled(run.parts.list.map((part, i) => supplierShipsPart(run, part, groups[i])));
  await invoice(run);
}

// An order mixing stocked and drop-shipped lines ships in parts, side by side: each supplier's lines as a
// part of its own (numbered first), exactly as above, and the stocked lines reserved, released and shipped
// from a location as any order's (one part, or several when split or backordered). Each part captures its
// own money as it ships; a cancel before any part shipped gives the stock back and withdraws the purchase
// orders; a supplier's refusal parks that part alone (the stocked part goes on; its moves are noted and the
// order takes its status once the refusal is settled).
async function fulfilMixed(run: OrderRun): Promise<void> {
  const groups = dropShipGroups(run.order);
  const supplied = run.parts.holdSupplied(groups.map(heldBy));
  run.state.dropShip = { purchaseOrders: [] };
  const stocked = async () => {
    await reserve(run);
    await shipStockParts(run);
  };
  await allSettled([...supplied.map((part, i) => supplierShipsPart(run, part, groups[i])), stocked()]);
  await run.captureRemainder();
  await invoice(run);
}

const heldBy = (g: DropShipGroup) => ({
  reservationId: `drop-ship:${g.supplierId}`,
  locationId: `supplier:${g.supplierId}`,
  lines: g.lines.map((l) => ({ sku: l.sku, quantity: l.quantity })),
});

// Every side ends before the order moves on (a cancellation waits for all of them to stop).
async function allSettled(sides: Promise<void>[]): Promise<void> {
  const settled = await Promise.allSettled(sides);
  const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}

async function invoice(run: OrderRun): Promise<void> {
  const firstShipment = run.parts.firstShipment();
  await run.step('erp_invoice', () => run.acts.pushInvoiceToErps(run.order, firstShipment), { cancellable: false });
}

// The next answer of the supplier about this purchase order, taken off the queue.
function nextAnswer(run: OrderRun, purchaseOrderId: string): SupplierAnswer | undefined {
  const queue = run.intents.supplierAnswers ?? [];
  const at = queue.findIndex((a) => a.purchaseOrderId === purchaseOrderId);
  return at < 0 ? undefined : queue.splice(at, 1)[0];
}

const hasAnswer = (run: OrderRun, purchaseOrderId: string) =>
  (run.intents.supplierAnswers ?? []).some((a) => a.purchaseOrderId === purchaseOrderId);

interface Placed {
  po: DropShipPurchaseOrder;
  withdraw: () => void; // the compensation is no longer owed (shipped, or refused and re-routed)
}

// The part's purchase order for this supplier, sent; cancelled before it ships, it is withdrawn (one the
// supplier refused needs nothing).
async function place(run: OrderRun, part: PartRun, group: DropShipGroup): Promise<Placed> {
  const { acts, state } = run;
  const attempt = state.dropShip!.purchaseOrders.filter((p) => p.part === part.id).length + 1; // re-routes send more
  const sent = await run.step('send_supplier_po', () => acts.sendSupplierPurchaseOrder(run.order, group, part.id, attempt));
  const po: DropShipPurchaseOrder = {
    purchaseOrderId: sent.purchaseOrderId,
    supplierId: group.supplierId,
    part: part.id,
    via: sent.via,
    status: 'sent',
    lines: part.held.lines!,
  };
  state.dropShip!.purchaseOrders.push(po);
  const withdraw = run.owe(async () => {
    if (po.status === 'refused') return;
    const outcome = await run.step(
      'cancel_supplier_po',
      () => acts.cancelSupplierPurchaseOrder(run.order, po.purchaseOrderId, run.intents.cancel?.reason ?? 'order cancelled'),
      { cancellable: false },
    );
    if (outcome === 'cancelled') po.status = 'cancelled';
  });
  await run.noteProgress(`purchase order ${po.purchaseOrderId} sent to supplier ${po.supplierId} (${po.via})`);
  return { po, withdraw };
}

async function supplierShipsPart(run: OrderRun, part: PartRun, group: DropShipGroup): Promise<void> {
  const { acts, parts, state } = run;
  let placed = await place(run, part, group);
  let shipped: SupplierAnswer;
  for (;;) {
    const outcome = await untilShipped(run, placed.po);
    if (outcome.type !== 'rerouted') {
      shipped = outcome;
      break;
    }
    placed.withdraw(); // refused: nothing to withdraw there
    placed = await place(run, part, { supplierId: outcome.supplierId, lines: part.held.lines! });
  }
  const { po } = placed;
  placed.withdraw(); // the goods have left: nothing to withdraw
  run.intents.cancel = undefined; // from here on cancellation no longer applies
  run.shippedAny = true;
  if (state.payment.status === 'authorized' && (state.payment.method === 'prepaid' || state.payment.method === 'invoice'))
    await run.capturePart(part);
  const shipment = { carrier: shipped.carrier!, trackingNumber: shipped.trackingNumber!, shippedAt: run.now() };
  parts.setShipment(part, shipment);
  // Recorded as reported, so delivery is taken as for any shipped order.
  part.reported.set('shipped', { type: 'shipped', carrier: shipment.carrier, trackingNumber: shipment.trackingNumber });
  Object.assign(po, { status: 'shipped', carrier: shipment.carrier, trackingNumber: shipment.trackingNumber });
  await run.advance(part, 'shipped', `supplier ${po.supplierId} shipped: ${shipment.carrier} ${shipment.trackingNumber}`);
  await run.step('channel_shipment', () => acts.reportShipmentToChannel(run.order, shipment, parts.channelPart(part)), {
    cancellable: false,
  });
  const details = {
    ...shipment,
    ...(parts.listed && {
      part: part.id,
      parts: String(parts.count),
      items: part.held.lines!.map((l) => `${l.sku} ×${l.quantity}`).join(', '),
    }),
  };
  await run.step('notify_customer', () => acts.notifyCustomer(run.order, 'shipped', details, parts.labelKey(part)), { cancellable: false });
}

type Outcome = SupplierAnswer | { type: 'rerouted'; supplierId: string };

// Until the supplier ships this purchase order: confirmations are noted; a refusal parks the order until an
// operator re-routes the part to another supplier, retries (the part waits for this supplier again) or
// cancels, or the supplier ships after all.
async function untilShipped(run: OrderRun, po: DropShipPurchaseOrder): Promise<Outcome> {
  const { intents } = run;
  const due = Date.now() + run.settings.slaMs.shipped;
  const rerouted = () => intents.dropShipReroute?.part === po.part;
  for (;;) {
    await run.waitUntil(() => hasAnswer(run, po.purchaseOrderId), {
      ...(due > Date.now() && { sla: { stage: 'shipped' as const, ms: due - Date.now() } }),
    });
    const answer = nextAnswer(run, po.purchaseOrderId)!;
    if (answer.type === 'shipped') return answer;
    if (answer.type === 'confirmed') {
      po.status = 'confirmed';
      await run.noteProgress(`supplier ${po.supplierId} confirmed purchase order ${po.purchaseOrderId}`);
      continue;
    }
    po.status = 'refused';
    po.reason = answer.reason ?? 'no reason given';
    const why = `supplier ${po.supplierId} refused purchase order ${po.purchaseOrderId}: ${po.reason}`;
    const resumeTo = run.state.status;
    await run.park('supplier_refused', po.reason, why, () => !!intents.cancel || hasAnswer(run, po.purchaseOrderId) || rerouted());
    if (rerouted()) {
      const to = intents.dropShipReroute!.supplierId;
      intents.dropShipReroute = undefined;
      await run.setStatus(run.resumeStatus(resumeTo), `re-routed from supplier ${po.supplierId} to ${to}`);
      return { type: 'rerouted', supplierId: to };
    }
    if (intents.cancel && !intents.retry && !hasAnswer(run, po.purchaseOrderId)) throw new OrderCancelled();
    intents.retry = false;
    await run.setStatus(run.resumeStatus(resumeTo), `waiting for supplier ${po.supplierId} again`);
  }
}

export const dropShip: FulfilmentStrategy = { fulfil: fulfilBySuppliers, deliver: shipping.deliver };
export const mixedShipping: FulfilmentStrategy = { fulfil: fulfilMixed, deliver: shipping.deliver };
