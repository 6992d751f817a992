import type { Db } from 'mongodb';
import type { Redis } from 'ioredis';
import { SecretBox } from '../store/secret-box';
import { freesStock } from '../store/stock-ledger';
import { createStores, type Stores } from './deps';
import type { Logger } from './logger';
import { StockChangeNotifier } from '../services/stock-sync';
import { StockOffers } from './stock-offers';
import { movesPromiseDates, PromiseRecomputes } from './promise-recomputes';
import { MailRequests } from '../services/customer-mail';
import { OutboundWebhookRequests } from '../services/outbound-webhooks';

export interface StockListeners {
  notifier: StockChangeNotifier;
  offers: StockOffers;
  promises: PromiseRecomputes;
  mail: MailRequests;
  webhooks: OutboundWebhookRequests;
  close(): Promise<void>;
}

// Stores whose ledger tells the channels about every stock change (debounced pushes via BullMQ), offers
// freed stock to the orders waiting for it (debounced offer rounds via BullMQ) and has the promise dates
// of the orders waiting for a sku recomputed when its available stock moves (debounced, via BullMQ). A
// customer notification that becomes pending asks the worker's mailer to send it (via BullMQ).
export function createWiredStores(
  db: Db,
  redis: Redis,
  encryptionKey: string,
  log: Logger,
  bullPrefix: string,
): { stores: Stores; notifier: StockListeners } {
  // Assigned below, once the notifier exists; the change hook runs only after that.
  // eslint-disable-next-line prefer-const
  let listeners: StockListeners | undefined;
  const stores = createStores(db, new SecretBox(encryptionKey), {
    // A lost mark or offer is corrected by the scheduled reconciliation and the orders' own recheck; it
    // must never fail the ledger change.
    onStockChange: (change) => {
      void listeners?.notifier
        .markChanged(change.sku)
        .catch((err) => log.warn('could not mark stock change', { sku: change.sku, error: String(err) }));
      if (freesStock(change))
        void listeners?.offers
          .offer(change.sku)
          .catch((err) => log.warn('could not offer freed stock', { sku: change.sku, error: String(err) }));
      if (movesPromiseDates(change))
        void listeners?.promises
          .request(change.sku)
          .catch((err) => log.warn('could not ask for a promise date recompute', { sku: change.sku, error: String(err) }));
    },
    // A settled pre-order claim leaves its units to the next in line.
    onClaimSettled: (sku) =>
      void listeners?.offers.offer(sku).catch((err) => log.warn('could not offer stock a claim left', { sku, error: String(err) })),
    // A lost request is made up by the mailer's sweep of pending notifications.
    onNotificationPending: (id, round) =>
      void listeners?.mail
        .request(id, round)
        .catch((err) => log.warn('could not ask the mailer', { notificationId: id, error: String(err) })),
    onWebhookEvent: (eventId) =>
      void listeners?.webhooks
        .fanOut(eventId)
        .catch((err) => log.warn('could not fan a webhook event out', { eventId, error: String(err) })),
    onWebhookReplay: (deliveryId, round) =>
      void listeners?.webhooks
        .deliver(deliveryId, round)
        .catch((err) => log.warn('could not ask for a webhook replay', { deliveryId, error: String(err) })),
  });
  const notifier = new StockChangeNotifier({ connections: stores.connections, redis, log }, bullPrefix);
  const offers = new StockOffers(redis, bullPrefix);
  const promises = new PromiseRecomputes(redis, bullPrefix);
  const mail = new MailRequests(redis, bullPrefix);
  const webhooks = new OutboundWebhookRequests(redis, bullPrefix);
  listeners = {
    notifier,
    offers,
    promises,
    mail,
    webhooks,
    close: async () => void (await Promise.all([notifier.close(), offers.close(), promises.close(), mail.close(), webhooks.close()])),
  };
  return { stores, notifier: listeners };
}
