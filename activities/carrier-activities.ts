import { ApplicationFailure } from '@temporalio/activity';
import type { Redis } from 'ioredis';
import type { Address } from '../domain/address';
import { todayUtc, type Label, type Parcel, type ParcelShipment } from '../domain/carrier';
import { planLabelPurchase, type LabelPlanDeps } from '../domain/carrier-rules';
import { stepKey } from '../domain/ids';
import type { Order } from '../domain/order';
import type { OrdersView } from '../store/orders';
import { buildCarrierGateway } from '../connectors/carriers';
import type { CarrierGateway } from '../connectors/types';
import type { CarrierSetup, LabelRecord } from '../store/carriers';
import type { Items, Locations } from '../store/catalog';
import type { Connections } from '../store/connections';
import type { Logger } from '../domain/logger';

export interface CarrierActivityDeps {
  carriers: Pick<CarrierSetup, 'labelFor' | 'recordLabel' | 'recordStrays' | 'recordVoid' | 'rules' | 'trackOrder'>;
  connections: Pick<Connections, 'withCredentials'>;
  items: Pick<Items, 'get'>;
  locations: Pick<Locations, 'get'>;
  orders?: Pick<OrdersView, 'get'>; // return labels: the order the items come back from
  redis: Redis;
  log: Logger;
}

export type ReturnLabelOutcome =
  { bought: true; carrierConnectionId: string; label: Label; explanation: string[] } | { bought: false; reason: string };

export type LabelOutcome =
  { bought: true; carrierConnectionId: string; label: Label; more: Label[]; explanation: string[] } | { bought: false; reason: string };

// A parcel when the packer gave none: the items' catalogue weights (500 g for an item without one) in a
// 30 × 20 × 10 cm box.
const DEFAULT_BOX = { lengthMm: 300, widthMm: 200, heightMm: 100 };

export function createCarrierActivities(deps: CarrierActivityDeps) {
  const gatewayOf = async (connectionId: string): Promise<CarrierGateway> => {
    const connection = await deps.connections.withCredentials(connectionId);
    if (!connection || !connection.enabled) throw new Error(`carrier connection ${connectionId} does not exist or is paused`);
    return buildCarrierGateway(connection, { redis: deps.redis, log: deps.log });
  };

  // The carrier connections a label purchase asks, each built once, and the rule planner's calls to them.
  const gatewaysFor = (shipment: ParcelShipment) => {
    const gateways = new Map<string, Promise<CarrierGateway>>();
    const gateway = (id: string) => {
      if (!gateways.has(id)) gateways.set(id, gatewayOf(id));
      return gateways.get(id)!;
    };
    const planDeps: LabelPlanDeps<Label> = {
      rates: async (carrier) => (await gateway(carrier)).rates(shipment),
      buy: async (carrier, rate, idempotencyKey) =>
        (await gateway(carrier)).buyLabel({ shipment, carrier: rate.carrier, service: rate.service }, { idempotencyKey }),
    };
    return { gateway, planDeps };
  };

  // A purchase that failed with an unknown outcome at a carrier that then lost out to another may have
  // bought a label after all: find it under its idempotency key and void it, so the merchant pays for one
  // label. A carrier still unreachable is noted as unchecked (and logged) for an operator.
  const settleStrays = async (orderId: string, part: string | undefined, uncertain: NonNullable<LabelRecord['uncertain']>) => {
    const strays: NonNullable<LabelRecord['strays']> = [];
    for (const { carrierConnectionId, idempotencyKey } of uncertain) {
      try {
        const gateway = await gatewayOf(carrierConnectionId);
        const stray = await gateway.findLabel(idempotencyKey);
        if (!stray) {
          strays.push({ carrierConnectionId, idempotencyKey, outcome: 'none' });
          continue;
        }
        const voided = await gateway.voidLabel(stray.labelId);
        const outcome = voided.status === 'voided' ? 'voided' : voided.status === 'pending' ? 'void_pending' : 'void_rejected';
        strays.push({
          carrierConnectionId,
          idempotencyKey,
          outcome,
          trackingNumber: stray.trackingNumber,
          ...('detail' in voided && { detail: voided.detail }),
        });
        deps.log.warn('voided a label bought after all by an uncertain purchase', {
          orderId,
          carrier: carrierConnectionId,
          trackingNumber: stray.trackingNumber,
          status: voided.status,
        });
      } catch (err) {
        const detail = err instanceof Error ? err.message : String(err);
        strays.push({ carrierConnectionId, idempotencyKey, outcome: 'unchecked', detail });
        deps.log.warn('could not check a carrier for a label bought by an uncertain purchase: check it by hand', {
          orderId,
          carrier: carrierConnectionId,
          idempotencyKey,
          error: detail,
        });
      }
    }
    await deps.carriers.recordStrays(orderId, part, strays);
    return strays;
  };
  const STRAY_TEXT: Record<NonNullable<LabelRecord['strays']>[number]['outcome'], string> = {
    none: 'bought nothing after all',
    voided: 'had bought a label after all: voided',
    void_pending: 'had bought a label after all: void requested',
    void_rejected: 'had bought a label after all and refused to void it: check it by hand',
    unchecked: 'could not be checked: check it by hand',
  };
  const withStrays = (explanation: string[], strays: LabelRecord['strays']) => [
    ...explanation,
    ...(strays ?? []).map(
      (s) =>
        `the uncertain purchase at ${s.carrierConnectionId} (key ${s.idempotencyKey}) ${STRAY_TEXT[s.outcome]}${s.trackingNumber ? ` (${s.trackingNumber})` : ''}`,
    ),
  ];

  return {
    // Buy the order's label through the carrier rules: candidates in the rule's order (or cheapest, or
    // fastest within the promise), falling back to the next when one fails, does not serve the address or
    // is down. Once per order: the label is stored under the order id and every purchase carries an
    // idempotency key derived from it, so a retry never buys a second label.
    // A part of a split order gets a label of its own, from its own location, for its own lines.
    async buyShippingLabel(
      order: Order,
      allocation: { locationId: string; lines?: { sku: string; quantity: number }[] },
      parcels?: Parcel[],
      part?: string,
    ): Promise<LabelOutcome> {
      const done = await deps.carriers.labelFor(order.id, part);
      if (done) {
        // A crash after storing the label but before settling the uncertain purchases: settle them now.
        const strays = done.uncertain?.length && !done.strays ? await settleStrays(order.id, part, done.uncertain) : done.strays;
        return {
          bought: true,
          carrierConnectionId: done.carrierConnectionId,
          label: done.label,
          more: done.more ?? [],
          explanation: withStrays(done.explanation, strays),
        };
      }
      const { rules } = await deps.carriers.rules();
      if (rules.length === 0)
        return { bought: false, reason: 'no carrier rules are set up: the warehouse ships and reports the tracking number' };

      const location = await deps.locations.get(allocation.locationId);
      if (!location) throw ApplicationFailure.nonRetryable(`Location ${allocation.locationId} no longer exists`, 'LocationGone');
      const parcel = parcels?.[0] ?? (await defaultParcel(deps.items, allocation.lines ?? order.lines));
      const to: Address = { ...order.shippingAddress, name: order.shippingAddress.name ?? order.customer.name };
      const shipment: ParcelShipment = {
        from: { ...location.address, name: location.address.name ?? location.name },
        to,
        parcel,
        ...(order.customer.email && { email: order.customer.email }),
      };
      const { gateway, planDeps } = gatewaysFor(shipment);
      const plan = await planLabelPurchase(
        {
          destination: order.shippingAddress,
          rules,
          idempotencyKey: stepKey(order.id, part === undefined ? 'label' : `label:part:${part}`),
          shipDate: todayUtc(),
        },
        planDeps,
      );
      if (plan.status === 'no_rule') return { bought: false, reason: plan.explanation.join('; ') };
      if (plan.status === 'exhausted') throw new Error(`No carrier could label order ${order.id}: ${plan.explanation.join('; ')}`);
      // Further parcels go with the same carrier and service, each under a key of its own.
      const more: Label[] = [];
      for (const [i, extra] of (parcels ?? []).slice(1).entries()) {
        const key = `${plan.idempotencyKey}:parcel-${i + 2}`;
        more.push(
          await (
            await gateway(plan.carrier)
          ).buyLabel(
            { shipment: { ...shipment, parcel: extra }, carrier: plan.rate.carrier, service: plan.rate.service },
            { idempotencyKey: key },
          ),
        );
      }
      const explanation = more.length
        ? [...plan.explanation, `${more.length} more parcel(s) with ${plan.carrier} ${plan.rate.service}`]
        : plan.explanation;
      const uncertain = plan.tried
        .filter((t) => t.uncertain && t.idempotencyKey && t.carrier !== plan.carrier)
        .map((t) => ({ carrierConnectionId: t.carrier, idempotencyKey: t.idempotencyKey! }));
      const record = await deps.carriers.recordLabel({
        orderId: order.id,
        ...(part !== undefined && { part }),
        carrierConnectionId: plan.carrier,
        label: plan.label,
        more,
        ruleId: plan.ruleId,
        explanation,
        ...(uncertain.length && { uncertain }),
      });
      const strays = record.uncertain?.length ? (record.strays ?? (await settleStrays(order.id, part, record.uncertain))) : undefined;
      deps.log.info('label bought', {
        orderId: order.id,
        ...(part !== undefined && { part }),
        carrier: plan.carrier,
        service: plan.label.service,
        trackingNumber: plan.label.trackingNumber,
        parcels: 1 + more.length,
      });
      return {
        bought: true,
        carrierConnectionId: record.carrierConnectionId,
        label: record.label,
        more: record.more ?? [],
        explanation: withStrays(record.explanation, strays),
      };
    },

    // A return label for a return's items, from the customer back to the location that shipped the order,
    // through the same carrier rules as outbound labels (the customer's address picks the rule). Once per
    // return: stored under the return id, bought under a key derived from it, its tracking number indexed
    // so that the carrier's tracking webhooks reach the return. Not bought (and why) when no rule covers
    // the customer or every candidate refused outright (a manual carrier wants its tracking number
    // entered); a carrier that may have bought one (a timeout, an outage) makes the attempt fail, to be
    // retried under the same keys.
    async buyReturnLabel(
      returnId: string,
      orderId: string,
      lines: readonly { sku: string; quantity: number }[],
    ): Promise<ReturnLabelOutcome> {
      const done = await deps.carriers.labelFor(returnId);
      if (done) return { bought: true, carrierConnectionId: done.carrierConnectionId, label: done.label, explanation: done.explanation };
      const { rules } = await deps.carriers.rules();
      if (rules.length === 0) return { bought: false, reason: 'no carrier rules are set up' };
      if (!deps.orders) throw ApplicationFailure.nonRetryable('This worker cannot read orders (no orders view)', 'NoOrders');
      const view = await deps.orders.get(orderId);
      if (!view) throw ApplicationFailure.nonRetryable(`Order ${orderId} no longer exists`, 'OrderGone');
      const locationId = view.allocation?.locationId ?? view.parts?.[0]?.locationId;
      const location = locationId ? await deps.locations.get(locationId) : null;
      if (!location) throw ApplicationFailure.nonRetryable(`Order ${orderId} has no ship-from location to return to`, 'LocationGone');
      const order = view.order;
      const shipment: ParcelShipment = {
        from: { ...location.address, name: location.address.name ?? location.name },
        to: { ...order.shippingAddress, name: order.shippingAddress.name ?? order.customer.name },
        parcel: await defaultParcel(deps.items, lines),
        isReturn: true,
        ...(order.customer.email && { email: order.customer.email }),
      };
      const plan = await planLabelPurchase(
        { destination: order.shippingAddress, rules, idempotencyKey: stepKey(returnId, 'return-label'), shipDate: todayUtc() },
        gatewaysFor(shipment).planDeps,
      );
      if (plan.status === 'no_rule') return { bought: false, reason: plan.explanation.join('; ') };
      if (plan.status === 'exhausted') {
        const transient = plan.tried.some((t) => t.uncertain || t.outcome === 'carrier_down' || t.outcome === 'rates_failed');
        if (transient) throw new Error(`No carrier could label return ${returnId} yet: ${plan.explanation.join('; ')}`);
        return { bought: false, reason: plan.explanation.join('; ') };
      }
      const record = await deps.carriers.recordLabel({
        orderId: returnId,
        carrierConnectionId: plan.carrier,
        label: plan.label,
        ruleId: plan.ruleId,
        explanation: plan.explanation,
      });
      deps.log.info('return label bought', {
        returnId,
        carrier: plan.carrier,
        service: plan.label.service,
        trackingNumber: plan.label.trackingNumber,
      });
      return { bought: true, carrierConnectionId: record.carrierConnectionId, label: record.label, explanation: record.explanation };
    },

    // A tracking number entered for a return's parcel: indexed so that the carrier connection's tracking
    // webhooks reach the return. Safe to repeat.
    async trackReturnParcel(returnId: string, carrierConnectionId: string, trackingNumber: string): Promise<void> {
      await deps.carriers.trackOrder(carrierConnectionId, trackingNumber, returnId);
    },

    // The return was cancelled before its items were sent: void (refund) its unused label. Safe to repeat.
    async voidReturnLabel(returnId: string): Promise<{ status: 'voided' | 'pending' | 'rejected' | 'none'; detail?: string }> {
      const record = await deps.carriers.labelFor(returnId);
      if (!record) return { status: 'none' };
      const outcome = await (await gatewayOf(record.carrierConnectionId)).voidLabel(record.label.labelId);
      await deps.carriers.recordVoid(returnId, outcome.status, 'detail' in outcome ? outcome.detail : undefined);
      deps.log.info('return label voided', { returnId, carrier: record.carrierConnectionId, status: outcome.status });
      return { status: outcome.status, ...('detail' in outcome && { detail: outcome.detail }) };
    },

    // The order was cancelled after its label was bought: ask the carrier to void (refund) it. Safe to
    // repeat: the gateway reports a void already made.
    async voidShippingLabel(order: Order, part?: string): Promise<{ status: 'voided' | 'pending' | 'rejected' | 'none'; detail?: string }> {
      const record = await deps.carriers.labelFor(order.id, part);
      if (!record) return { status: 'none' };
      const gateway = await gatewayOf(record.carrierConnectionId);
      for (const extra of record.more ?? []) await gateway.voidLabel(extra.labelId);
      const outcome = await gateway.voidLabel(record.label.labelId);
      await deps.carriers.recordVoid(order.id, outcome.status, 'detail' in outcome ? outcome.detail : undefined, part);
      deps.log.info('label voided', {
        orderId: order.id,
        ...(part !== undefined && { part }),
        carrier: record.carrierConnectionId,
        status: outcome.status,
      });
      return { status: outcome.status, ...('detail' in outcome && { detail: outcome.detail }) };
    },
  };
}

async function defaultParcel(items: Pick<Items, 'get'>, lines: readonly { sku: string; quantity: number }[]): Promise<Parcel> {
  let grams = 0;
  for (const line of lines) grams += ((await items.get(line.sku))?.weightGrams ?? 500) * line.quantity;
  return { weightGrams: Math.max(1, grams), ...DEFAULT_BOX };
}

export type CarrierActivities = ReturnType<typeof createCarrierActivities>;
