import { patched } from '@temporalio/workflow';
import type { OrderLabel } from '../../../domain/order-state';
import { OrderCancelled, type OrderRun } from '../order-run';
import type { PartRun } from '../parts';
import { NOTIFY_SHIPMENTS } from '../patches';
import { fillBackorder } from '../backorders';

// 4 and 5. Fulfil and deliver, by strategy: shipped by a carrier, or collected by the customer at a store.
export interface FulfilmentStrategy {
  fulfil(run: OrderRun): Promise<void>; // until the goods have left (shipped, or collected)
  deliver(run: OrderRun): Promise<void>; // until the customer has them
}

// A part waits for each warehouse stage in turn, each against its SLA.
async function throughStages(run: OrderRun, part: PartRun, stages: readonly ('picked' | 'packed')[]): Promise<void> {
  for (const stage of stages) {
    await run.waitUntil(() => run.parts.reachedAtLeast(part, stage), { sla: { stage, ms: run.settings.slaMs[stage] } });
    await run.advance(part, stage);
  }
}

// ---- Shipping -------------------------------------------------------------------------------------------

// Each part (a whole order is one) is picked, packed, labelled and shipped on its own; the order moves on
// when all its parts have (and, backordered, when nothing is left waiting). Each part captures its own amount as it ships (orders started before that: the
// first part to ship captures the whole total); the first part to ship ends cancellation. Parts run side
// by side; a cancellation waits for all of them to stop, so that no label is bought after the
// compensations ran.
async function fulfilByCarrier(run: OrderRun): Promise<void> {
  await shipStockParts(run);
  await run.captureRemainder();
  const firstShipment = run.parts.firstShipment();
  await run.step('erp_invoice', () => run.acts.pushInvoiceToErps(run.order, firstShipment), { cancellable: false });
}

// Every part that holds stock, shipped side by side (and a backorder filled beside them).
export async function shipStockParts(run: OrderRun): Promise<void> {
  const shipping = run.parts.stock.map((part) => shipPart(run, part));
  // A backordered order: its later parts are reserved and shipped as stock arrives, beside these.
  if (run.state.backorder) shipping.push(fillBackorder(run, (part) => shipPart(run, part)));
  const settled = await Promise.allSettled(shipping);
  const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}

// One part from release to shipped: picked, packed, the label bought through the carrier rules (unless
// the warehouse already reported the shipment), then shipped when the carrier's first scan arrives or the
// warehouse reports it.
async function shipPart(run: OrderRun, part: PartRun): Promise<void> {
  const { parts, acts, order, state } = run;
  await throughStages(run, part, ['picked', 'packed']);
  if (!parts.reportedFor(part, 'shipped')) await buyLabel(run, part);
  await run.waitUntil(() => !!parts.reportedFor(part, 'shipped'), { sla: { stage: 'shipped', ms: run.settings.slaMs.shipped } });
  const shipped = parts.reportedFor(part, 'shipped')!;
  run.intents.cancel = undefined; // from here on the goods are gone: cancellation no longer applies
  run.shippedAny = true;
  // The order as it is now: lines cancelled while this part waited are not shipped.
  await run.step('ship_stock', () => acts.shipStock(run.order, part.held, shipped.trackingNumber!), { cancellable: false });
  // Prepaid money is taken as each part ships; an order on account is invoiced then (payable within its terms).
  // (No patch needed: no order paid on invoice ran before this line knew them.)
  if (state.payment.status === 'authorized' && (state.payment.method === 'prepaid' || state.payment.method === 'invoice'))
    await run.capturePart(part);
  const shipment = { carrier: shipped.carrier!, trackingNumber: shipped.trackingNumber!, shippedAt: run.now() };
  parts.setShipment(part, shipment);
  await run.advance(part, 'shipped', `${shipment.carrier} ${shipment.trackingNumber}`);
  await run.step('channel_shipment', () => acts.reportShipmentToChannel(order, shipment, parts.channelPart(part)), { cancellable: false });
  // Added after orders were already in flight: patched() keeps their histories replaying unchanged.
  if (patched(NOTIFY_SHIPMENTS)) {
    const label = parts.labelOf(part);
    const trackingUrl = label?.trackingNumber === shipment.trackingNumber ? label.trackingUrl : undefined;
    const details = {
      ...shipment,
      ...(trackingUrl && { trackingUrl }),
      ...(parts.listed && {
        part: part.id,
        parts: String(parts.count),
        items: part.held.lines!.map((l) => `${l.sku} ×${l.quantity}`).join(', '),
      }),
    };
    await run.step('notify_customer', () => acts.notifyCustomer(order, 'shipped', details, parts.labelKey(part)), { cancellable: false });
  }
}

// The label, bought through the carrier rules; cancelled before the carrier has the parcel, it is voided
// (refunded) first.
async function buyLabel(run: OrderRun, part: PartRun): Promise<void> {
  const { parts, acts, order } = run;
  const parcels = parts.reportedFor(part, 'packed')?.parcels;
  const labelled = await run.step('buy_label', () => acts.buyShippingLabel(order, part.held, parcels, parts.labelKey(part)));
  if (!labelled.bought) return;
  const { label } = labelled;
  const more = (labelled.more ?? []).map((l) => ({ trackingNumber: l.trackingNumber, ...(l.labelUrl && { labelUrl: l.labelUrl }) }));
  const bought: OrderLabel = {
    carrierConnectionId: labelled.carrierConnectionId,
    carrier: label.carrier,
    service: label.service,
    trackingNumber: label.trackingNumber,
    ...(label.labelUrl && { labelUrl: label.labelUrl }),
    ...(label.trackingUrl && { trackingUrl: label.trackingUrl }),
    ...(more.length && { moreParcels: more }),
    explanation: labelled.explanation,
  };
  parts.setLabel(part, bought);
  await run.advance(part, 'packed', `label bought: ${label.carrier} ${label.service} ${label.trackingNumber}`);
  run.owe(async () => {
    const voided = await run.step('void_label', () => acts.voidShippingLabel(order, parts.labelKey(part)), { cancellable: false });
    parts.markLabelVoided(part, voided.status);
  });
}

// Until every part is delivered: a carrier exception parks the order for an operator (retry = handled,
// carry on). Cash on delivery is collected then, and the customer told.
async function deliverByCarrier(run: OrderRun): Promise<void> {
  const { parts, intents, state } = run;
  for (;;) {
    await run.waitUntil(() => parts.allDelivered() || parts.newlyDelivered().length > 0 || !!intents.carrierException, {
      sla: { stage: 'delivered', ms: run.settings.slaMs.delivered },
    });
    const fresh = parts.newlyDelivered();
    for (const part of fresh) parts.markDelivered(part, run.now());
    if (parts.allDelivered()) break;
    if (fresh.length > 0) {
      await run.noteProgress(fresh.map((r) => `part ${r.id} (${r.held.locationId}) delivered`).join('; '));
      continue;
    }
    const problem = intents.carrierException!;
    intents.carrierException = undefined;
    await run.park('carrier_delivery', problem.message, `carrier exception for ${problem.trackingNumber}: ${problem.message}`, () =>
      parts.allDelivered(),
    );
    intents.retry = false;
    await run.setStatus(
      'shipped',
      parts.allDelivered() ? 'delivered after a carrier exception' : 'carrier exception handled by an operator',
    );
  }
  if (state.payment.status === 'authorized' && state.payment.method === 'cash_on_delivery') {
    const amount = run.order.totals.total;
    const collected = await run.step('capture_payment', () => run.acts.capturePayment(run.order), { cancellable: false });
    state.payment = { ...state.payment, status: 'captured', captured: amount, reference: collected.reference ?? state.payment.reference };
  }
  state.deliveredAt = run.now();
  if (patched(NOTIFY_SHIPMENTS)) {
    const deliveredAt = state.deliveredAt;
    await run.step('notify_customer', () => run.acts.notifyCustomer(run.order, 'delivered', { deliveredAt }), { cancellable: false });
  }
  await run.setStatus('delivered', parts.listed ? `all ${parts.count} parts delivered` : undefined);
}

export const shipping: FulfilmentStrategy = { fulfil: fulfilByCarrier, deliver: deliverByCarrier };

// ---- Pickup ---------------------------------------------------------------------------------------------

// Picked and packed at the store, then the customer is told the order waits there; collected, the goods
// are gone (stock shipped, payment captured, the ERPs invoiced); not collected in time, it is cancelled
// (stock released, payment voided or refunded).
async function fulfilByPickup(run: OrderRun): Promise<void> {
  const { acts, order, state, intents } = run;
  const part = run.parts.list[0];
  const { locationId } = part.held;
  await throughStages(run, part, ['picked', 'packed']);
  const holdUntil = new Date(Date.now() + run.settings.pickupHoldMs).toISOString();
  state.pickup = { locationId, readyAt: run.now(), holdUntil };
  await run.step('notify_customer', () => acts.notifyCustomer(order, 'ready_for_pickup', { locationId, holdUntil }));
  await run.setStatus('ready_for_pickup', `at ${locationId} until ${holdUntil}`);
  const collected = await run.waitUntil(() => intents.pickedUp, { timeoutMs: run.settings.pickupHoldMs });
  if (!collected) {
    intents.cancel = { reason: `not collected by ${holdUntil}` };
    throw new OrderCancelled();
  }
  intents.cancel = undefined; // collected: the goods are gone
  await run.step('ship_stock', () => acts.shipStock(order, part.held, `pickup at ${locationId}`), { cancellable: false });
  if (state.payment.status === 'authorized') await run.captureOnce();
  state.pickup = { ...state.pickup, collectedAt: run.now() };
  state.deliveredAt = state.pickup.collectedAt;
  const handover = { carrier: 'store_pickup', trackingNumber: `PICKUP-${locationId}`, shippedAt: state.pickup.collectedAt! };
  await run.step('erp_invoice', () => acts.pushInvoiceToErps(order, handover), { cancellable: false });
}

async function deliverByPickup(run: OrderRun): Promise<void> {
  await run.setStatus('delivered', `collected at ${run.parts.list[0].held.locationId}`);
}

export const pickup: FulfilmentStrategy = { fulfil: fulfilByPickup, deliver: deliverByPickup };
