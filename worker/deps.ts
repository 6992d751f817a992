import type { Db } from 'mongodb';
import { Allocations } from '../store/allocations';
import { ApiKeys } from '../store/api-keys';
import { AuditLog } from '../store/audit';
import { Users } from '../store/users';
import { Items, Locations } from '../store/catalog';
import { OrdersView } from '../store/orders';
import { PaymentsJournal } from '../store/payments';
import { StockLedger, type StockChanged } from '../store/stock-ledger';
import { RoutingSetup } from '../store/routing';
import { LocationCapacityLedger } from '../store/capacity';
import { ReturnSetup, ReturnsView } from '../store/returns';
import { CreditNotes, RefundLedger } from '../store/refunds';
import { CarrierSetup } from '../store/carriers';
import { CustomerNotifications } from '../store/notifications';
import { OutboundWebhooks } from '../store/outbound-webhooks';
import { Connections } from '../store/connections';
import type { SecretBox } from '../store/secret-box';
import { StockSyncLog } from '../store/stock-sync';
import { WebhookDeliveries } from '../store/webhook-deliveries';
import { BinLocations, Picklists } from '../store/picking';
import { PurchaseOrders, Suppliers } from '../store/purchasing';
import { OrderImports } from '../store/order-imports';
import { OrderPromises } from '../store/promises';
import { PreorderClaims } from '../store/preorder-claims';
import { ReplenishmentStore } from '../store/replenishment';
import { OrderCostSetup } from '../store/order-costs';
import { createManualPaymentProvider } from '../connectors/payments/manual';
import type { PaymentProviders } from '../connectors/payments/types';

export interface Stores {
  ledger: StockLedger;
  allocations: Allocations;
  orders: OrdersView;
  items: Items;
  locations: Locations;
  routing: RoutingSetup;
  capacity: LocationCapacityLedger; // units each location with a daily capacity has taken, per day
  returns: ReturnSetup;
  returnsView: ReturnsView; // the returns themselves, as their workflows project them
  creditNotes: CreditNotes;
  carriers: CarrierSetup;
  notifications: CustomerNotifications;
  outboundWebhooks: OutboundWebhooks; // subscribers, the order and return events, their deliveries
  payments: PaymentsJournal;
  refunds: RefundLedger;
  apiKeys: ApiKeys;
  users: Users; // console users and their sessions
  audit: AuditLog; // who changed what through the API
  connections: Connections;
  webhooks: WebhookDeliveries;
  stockSync: StockSyncLog;
  bins: BinLocations;
  picklists: Picklists;
  suppliers: Suppliers;
  purchaseOrders: PurchaseOrders; // purchase orders and their event logs (receipts, cancellation, date moves)
  replenishment: ReplenishmentStore; // settings, daily demand, plans per recompute run, low-stock crossings
  promises: OrderPromises; // each waiting order's promised date and what it rests on
  orderImports: OrderImports; // bulk order imports: the file as checked, its orders in chunks, each chunk's result
  preorderClaims: PreorderClaims; // pre-orders' claims on inbound stock, a log per sku
  orderCosts: OrderCostSetup; // monthly costs for the cost-per-order metric
}

// Built once per process and handed to activities and the API.
export function createStores(
  db: Db,
  box: SecretBox,
  opts: {
    onStockChange?: (change: StockChanged) => void;
    onClaimSettled?: (sku: string) => void;
    onNotificationPending?: (id: string, round: number) => void;
    onWebhookEvent?: (eventId: string) => void;
    onWebhookReplay?: (deliveryId: string, round: number) => void;
  } = {},
): Stores {
  const ledger = new StockLedger(db, opts.onStockChange);
  return {
    ledger,
    allocations: new Allocations(db, ledger),
    orders: new OrdersView(db),
    items: new Items(db),
    locations: new Locations(db),
    routing: new RoutingSetup(db),
    capacity: new LocationCapacityLedger(db),
    returns: new ReturnSetup(db),
    returnsView: new ReturnsView(db),
    creditNotes: new CreditNotes(db),
    carriers: new CarrierSetup(db),
    notifications: new CustomerNotifications(db, opts.onNotificationPending),
    outboundWebhooks: new OutboundWebhooks(db, box, { onEvent: opts.onWebhookEvent, onReplay: opts.onWebhookReplay }),
    payments: new PaymentsJournal(db),
    refunds: new RefundLedger(db),
    apiKeys: new ApiKeys(db),
    users: new Users(db),
    audit: new AuditLog(db),
    connections: new Connections(db, box),
    webhooks: new WebhookDeliveries(db),
    stockSync: new StockSyncLog(db),
    bins: new BinLocations(db),
    picklists: new Picklists(db),
    suppliers: new Suppliers(db),
    purchaseOrders: new PurchaseOrders(db),
    orderImports: new OrderImports(db),
    promises: new OrderPromises(db),
    replenishment: new ReplenishmentStore(db),
    preorderClaims: new PreorderClaims(db, opts.onClaimSettled),
    orderCosts: new OrderCostSetup(db),
  };
}

export function createPaymentProviders(journal: PaymentsJournal): PaymentProviders {
  return {
    manual: createManualPaymentProvider(journal, 'manual'),
    cash_on_delivery: createManualPaymentProvider(journal, 'cash_on_delivery'),
    invoice: createManualPaymentProvider(journal, 'invoice'),
  };
}
