import type { CarrierActivityDeps } from './carrier-activities';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import type { Redis } from 'ioredis';
import type { Order } from '../domain/order';
import { buildConnector } from '../connectors/registry';
import { UpstreamError } from '../connectors/http';
import type { Items, Locations } from '../store/catalog';
import type { Connections } from '../store/connections';
import type { OrdersView } from '../store/orders';
import type { StockLedger } from '../store/stock-ledger';
import type { StockSyncLog } from '../store/stock-sync';
import type { PurchaseOrders, Suppliers } from '../store/purchasing';
import { linkErpReceipt } from '../services/purchasing';
import { ingestChannelOrder, type IngestOutcome } from '../services/channel-orders';
import { createPreorderService, type PreorderServiceDeps } from '../services/preorders';
import type { Logger } from '../domain/logger';
import { createHash } from 'node:crypto';
import { deadReasonOf, deliveryKey, type WebhookDeliveries } from '../store/webhook-deliveries';
import { POLLED_ORDER_TOPIC, type RefundReport, type UnmappedOrder } from '../connectors/types';
import { reconcileStock } from '../services/stock-sync';
import { importCatalog, type CatalogImportOutcome } from '../services/catalog-import';
import { OrderhubError, ValidationError } from '../domain/errors';

export interface ChannelActivityDeps {
  connections: Pick<Connections, 'advanceOrdersCursor' | 'recordOrdersPoll' | 'list' | 'withCredentials'>;
  carriers: CarrierActivityDeps['carriers'];
  orders: Pick<OrdersView, 'insertReceived' | 'get' | 'waitingForSku'>; // waiting orders: a sold-out sku's restock date
  ledger: Pick<StockLedger, 'apply' | 'balance'> & PreorderServiceDeps['ledger'];
  items: Pick<Items, 'allSkus' | 'get' | 'create' | 'recordChannelListing' | 'update' | 'backorderable' | 'dropShippers'> &
    PreorderServiceDeps['items'];
  suppliers: Pick<Suppliers, 'get'>; // channel orders for drop-ship items are drop-shipped by a supplier that drop-ships
  preorderClaims: PreorderServiceDeps['preorderClaims']; // channel pre-orders claim inbound stock
  locations: Pick<Locations, 'get'>;
  stockSync: Pick<StockSyncLog, 'recordPushed'>;
  webhooks: Pick<WebhookDeliveries, 'record' | 'settle'>; // polled orders that cannot be mapped are dead letters there
  // ERP receipts naming one of ours count against it; inbound for restock dates and pre-order claims
  purchaseOrders: Pick<PurchaseOrders, 'append' | 'inboundForSku'> & PreorderServiceDeps['purchaseOrders'];
  temporal: Client;
  taskQueue: string;
  redis: Redis;
  log: Logger;
}

interface PollProgress {
  pageToken?: string;
  maxUpdatedAt?: string;
  counts: Record<IngestOutcome | 'deadLettered', number>;
}

const CURSOR_OVERLAP_MS = 60_000; // re-read the last minute: channel clocks and late writes; repeats are harmless

export function createChannelActivities(deps: ChannelActivityDeps) {
  const connectorFor = async (connectionId: string) => {
    const connection = await deps.connections.withCredentials(connectionId);
    if (!connection) throw ApplicationFailure.nonRetryable(`Connection ${connectionId} no longer exists`, 'ConnectionGone');
    return { connection, connector: buildConnector(connection, { redis: deps.redis, log: deps.log }) };
  };
  const erpConnections = async () => {
    const views = (await deps.connections.list()).filter((c) => c.kind === 'erp' && c.enabled);
    const built = await Promise.all(views.map((v) => connectorFor(v.id)));
    return built.filter((b) => b.connector.erp);
  };
  // Orders from a connection carry its id as their channel; manual and POS orders have no connection.
  const channelFulfillment = async (channel: string) => {
    const connection = await deps.connections.withCredentials(channel);
    if (!connection || !connection.enabled) return undefined;
    return buildConnector(connection, { redis: deps.redis, log: deps.log }).fulfillment;
  };
  const preorders = createPreorderService(deps);
  const intake = () => ({
    temporal: deps.temporal,
    taskQueue: deps.taskQueue,
    orders: deps.orders,
    items: deps.items,
    suppliers: deps.suppliers,
    log: deps.log,
    channelPreorders: preorders,
  });

  // A polled order that cannot be mapped: stored as a dead letter with its reason, replayable like a
  // webhook's (GET /webhooks/dead-letters). The same version of the order polled again is the same letter.
  const deadLetter = async (connectionId: string, bad: UnmappedOrder): Promise<boolean> => {
    const body = JSON.stringify(bad.raw);
    const deliveryId = `poll:${bad.channelOrderId}:${createHash('sha1').update(body).digest('hex').slice(0, 12)}`;
    if (!(await deps.webhooks.record({ connectionId, deliveryId, topic: POLLED_ORDER_TOPIC, body }))) return false;
    await deps.webhooks.settle(deliveryKey(connectionId, deliveryId), 'dead', deadReasonOf(bad.reason, bad.problems));
    deps.log.warn('polled order cannot be mapped; kept as a dead letter', { connectionId, channelOrderId: bad.channelOrderId });
    return true;
  };

  // Orders changed since the stored cursor, every page to the end (pollChannelOrders below).
  const pollOrders = async (connectionId: string): Promise<PollProgress['counts'] & { cursor?: string }> => {
    const { connection, connector } = await connectorFor(connectionId);
    if (!connector.orders) return { captured: 0, duplicate: 0, edited: 0, cancelled: 0, ignored: 0, deadLettered: 0 };
    const resumed = Context.current().info.heartbeatDetails as PollProgress | undefined;
    const progress: PollProgress = resumed ?? {
      counts: { captured: 0, duplicate: 0, edited: 0, cancelled: 0, ignored: 0, deadLettered: 0 },
    };
    progress.counts.deadLettered ??= 0; // a poll resumed from an earlier worker's heartbeat
    progress.counts.edited ??= 0;
    do {
      const page = await connector.orders.fetchOrdersUpdatedSince(connection.ordersCursor, progress.pageToken);
      for (const co of page.orders) {
        progress.counts[await ingestChannelOrder(intake(), co, connection.skuMap)]++;
        if (!progress.maxUpdatedAt || co.updatedAt > progress.maxUpdatedAt) progress.maxUpdatedAt = co.updatedAt;
      }
      for (const bad of page.unmapped ?? []) {
        if (await deadLetter(connectionId, bad)) progress.counts.deadLettered++;
        // Kept as a dead letter (replayable), so the cursor may move past it like past a captured order.
        if (bad.updatedAt && (!progress.maxUpdatedAt || Date.parse(bad.updatedAt) > Date.parse(progress.maxUpdatedAt)))
          progress.maxUpdatedAt = bad.updatedAt;
      }
      progress.pageToken = page.nextPageToken;
      Context.current().heartbeat(progress);
    } while (progress.pageToken);
    let cursor: string | undefined;
    if (progress.maxUpdatedAt) {
      cursor = new Date(Date.parse(progress.maxUpdatedAt) - CURSOR_OVERLAP_MS).toISOString();
      await deps.connections.advanceOrdersCursor(connectionId, cursor);
    }
    deps.log.info('channel orders polled', { connectionId, ...progress.counts });
    return { ...progress.counts, ...(cursor && { cursor }) };
  };

  return {
    // Orders changed since the stored cursor, every page to the end. Progress is heartbeated, so a retry
    // resumes at the page it was on; the cursor moves forward only once every page was handed over.
    async pollChannelOrders(connectionId: string): Promise<PollProgress['counts'] & { cursor?: string }> {
      try {
        const polled = await pollOrders(connectionId);
        await deps.connections.recordOrdersPoll(connectionId, { ok: true, captured: polled.captured });
        return polled;
      } catch (err) {
        // Kept for the console's channel sync (the message only: connectors never put credentials in it);
        // a connection deleted meanwhile keeps nothing.
        const gone = err instanceof ApplicationFailure && err.type === 'ConnectionGone';
        const error = (err instanceof Error ? err.message : String(err)).slice(0, 500);
        if (!gone) await deps.connections.recordOrdersPoll(connectionId, { ok: false, error }).catch(() => undefined);
        throw err;
      }
    },

    // The ERP learns of each order when it is released to the warehouse.
    // How many ERP connections take sales orders: the order workflow asks first (a local activity), and
    // without any skips the push activity.
    async erpConnectionCount(): Promise<number> {
      return (await deps.connections.list()).filter((c) => c.kind === 'erp' && c.enabled).length;
    },

    async pushSalesOrderToErps(order: Order): Promise<number> {
      const erps = await erpConnections();
      for (const { connection, connector } of erps)
        await connector.erp!.pushSalesOrder(order, `${order.id}:erp:${connection.id}:sales-order`);
      return erps.length;
    },

    // ...and is invoiced when it ships.
    async pushInvoiceToErps(order: Order, shipment: { carrier: string; trackingNumber: string; shippedAt: string }): Promise<number> {
      const erps = await erpConnections();
      for (const { connection, connector } of erps)
        await connector.erp!.pushInvoice({ order, ...shipment }, `${order.id}:erp:${connection.id}:invoice`);
      return erps.length;
    },

    // Tell the channel the order came from that it shipped (with tracking) or was cancelled.
    // A part of a split order is reported as a shipment of its own lines.
    async reportShipmentToChannel(
      order: Order,
      shipment: { carrier: string; trackingNumber: string },
      part?: { id: string; lines: { sku: string; quantity: number }[] },
    ): Promise<boolean> {
      const target = await channelFulfillment(order.channel);
      if (!target) return false;
      const lines = part?.lines ?? order.lines.map((l) => ({ sku: l.sku, quantity: l.quantity }));
      await target.reportShipment({
        channelOrderId: order.channelOrderId,
        carrier: shipment.carrier,
        trackingNumber: shipment.trackingNumber,
        lines,
        idempotencyKey: `${order.id}:channel:shipment${part ? `:part:${part.id}` : ''}`,
      });
      return true;
    },

    // A return's refund, reported to the channel the order came from (Shopify: a refund on the order, once per
    // return; Amazon: not supported, said so). An order with no channel connection (manual, POS) has nothing to tell.
    async reportRefundToChannel(
      channel: string,
      refund: RefundReport,
    ): Promise<{ status: 'reported'; channelRefundId: string } | { status: 'not_supported'; why: string } | { status: 'no_channel' }> {
      const connection = await deps.connections.withCredentials(channel);
      if (!connection || !connection.enabled) return { status: 'no_channel' };
      const target = buildConnector(connection, { redis: deps.redis, log: deps.log }).refunds;
      if (!target) return { status: 'not_supported', why: `${connection.kind} connections take no refunds` };
      try {
        return await target.reportRefund(refund);
      } catch (err) {
        // Refused by the channel (its userErrors, lines it does not know): retrying will not change it.
        if (err instanceof ValidationError || (err instanceof OrderhubError && err.code === 'upstream_rejected'))
          throw ApplicationFailure.nonRetryable(err.message, 'ChannelRefusedRefund');
        throw err;
      }
    },

    // A channel that refuses (4xx: e.g. Amazon, where the seller cancels in Seller Central) gives a notice for
    // the operator instead of a stuck order; an unreachable channel is retried like any other step.
    async reportCancellationToChannel(order: Order, reason: string): Promise<{ reported: boolean; notice?: string }> {
      const target = await channelFulfillment(order.channel);
      if (!target) return { reported: false };
      try {
        await target.reportCancellation({ channelOrderId: order.channelOrderId, reason, idempotencyKey: `${order.id}:channel:cancel` });
        return { reported: true };
      } catch (err) {
        if (err instanceof UpstreamError) return { reported: false, notice: err.message };
        throw err;
      }
    },

    // Push every catalogue sku's available-to-sell, correcting any drift on the channel; heartbeats while
    // the channel works (an Amazon listings feed can take minutes), then re-sends what changed meanwhile.
    async reconcileChannelStock(connectionId: string): Promise<{ pushed: number }> {
      const skus = await deps.items.allSkus();
      const { pushed } = await reconcileStock(deps, connectionId, skus, () => Context.current().heartbeat({ skus: skus.length }));
      Context.current().heartbeat({ pushed });
      return { pushed };
    },

    // The channel's catalogue into items (services/catalog-import.ts), on the connection's catalogue schedule.
    async importChannelCatalog(connectionId: string): Promise<CatalogImportOutcome> {
      const connection = await deps.connections.withCredentials(connectionId);
      if (!connection) throw ApplicationFailure.nonRetryable(`Connection ${connectionId} no longer exists`, 'ConnectionGone');
      try {
        return await importCatalog(deps, connection);
      } catch (err) {
        // A connector without a catalogue: asking again will not give it one.
        if (err instanceof ValidationError) throw ApplicationFailure.nonRetryable(err.message, 'NoCatalog');
        throw err;
      }
    },

    // Purchase-order receipts from the ERP, each applied to the ledger exactly once (keyed by the ERP's id).
    // One naming a purchase order of ours also counts against it, once (services/purchasing.ts).
    async pullErpReceipts(connectionId: string): Promise<{
      applied: number;
      repeated: number;
      linked: number;
      rejected: { receiptId: string; reason: string }[];
      unlinked: { receiptId: string; reason: string }[];
    }> {
      const { connector } = await connectorFor(connectionId);
      const result = {
        applied: 0,
        repeated: 0,
        linked: 0,
        rejected: [] as { receiptId: string; reason: string }[],
        unlinked: [] as { receiptId: string; reason: string }[],
      };
      if (!connector.erp) return result;
      const cursorKey = `orderhub:erp-receipts-cursor:${connectionId}`;
      let cursor = (await deps.redis.get(cursorKey)) ?? undefined;
      for (;;) {
        const page = await connector.erp.fetchStockReceipts(cursor);
        for (const r of page.receipts) {
          const [item, location] = await Promise.all([deps.items.get(r.sku), deps.locations.get(r.locationCode)]);
          if (!item || !location) {
            result.rejected.push({ receiptId: r.receiptId, reason: !item ? `unknown sku ${r.sku}` : `unknown location ${r.locationCode}` });
            continue;
          }
          const ledgerKey = `erp:${connectionId}:${r.receiptId}`;
          const applied = await deps.ledger.apply({
            sku: r.sku,
            locationId: r.locationCode,
            type: 'receipt',
            quantity: r.quantity,
            idempotencyKey: ledgerKey,
            actor: `erp:${connectionId}`,
            reference: r.reference,
          });
          // A new receipt is offered to the orders waiting for it by the ledger's listener (worker/stock-offers.ts).
          if (applied.duplicate) result.repeated++;
          else result.applied++;
          // Applied first, linked after: a crash in between is healed when the page is read again.
          const link = await linkErpReceipt(deps, {
            connectionId,
            receiptId: r.receiptId,
            purchaseOrderId: r.reference,
            sku: r.sku,
            quantity: r.quantity,
            locationId: r.locationCode,
            ledgerKey,
          });
          if (link.linked) result.linked++;
          else result.unlinked.push({ receiptId: r.receiptId, reason: link.reason });
        }
        Context.current().heartbeat(result);
        if (!page.nextCursor) break;
        cursor = page.nextCursor;
        await deps.redis.set(cursorKey, cursor);
      }
      if (result.rejected.length) deps.log.warn('erp receipts rejected', { connectionId, rejected: result.rejected.length });
      return result;
    },
  };
}

export type ChannelActivities = ReturnType<typeof createChannelActivities>;
