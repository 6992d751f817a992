import type { Db } from 'mongodb';
import type { Redis } from 'ioredis';
import { SecretBox } from '../store/secret-box';
import { createStores, type Stores } from './deps';
import type { Logger } from './logger';
import { StockChangeNotifier } from './stock-sync';

// Stores whose ledger tells the channels about every stock change (debounced pushes via BullMQ).
export function createWiredStores(db: Db, redis: Redis, encryptionKey: string, log: Logger, bullPrefix: string): { stores: Stores; notifier: StockChangeNotifier } {
  let notifier: StockChangeNotifier | undefined;
  const stores = createStores(db, new SecretBox(encryptionKey), {
    // A lost mark is corrected by the scheduled reconciliation; it must never fail the ledger change.
    onStockChange: (sku) => void notifier?.markChanged(sku).catch((err) => log.warn('could not mark stock change', { sku, error: String(err) })),
  });
  notifier = new StockChangeNotifier({ connections: stores.connections, redis, log }, bullPrefix);
  return { stores, notifier };
}
