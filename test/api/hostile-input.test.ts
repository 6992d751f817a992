import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import nock from 'nock';
import { hashApiKey } from '../../store/api-keys';
import { buildPicklist } from '../../domain/picking';
import { newPicklistId } from '../../services/picking';
import { apiFor, TEST_API_KEY } from '../support/api';
import { address, eventually } from '../support/fixtures';
import {
  countsOf,
  expectRefused,
  fingerprint,
  hmacBase64,
  type Fingerprint,
  OPERATOR_IN_URL,
  rawBody,
  withField,
  type Agent,
  type HostileCase,
} from '../support/hostile';
import { createTestContext, type TestContext } from '../support/stack';

// Malformed and hostile input at every public route. Each case is refused with a 4xx in the documented
// error shape (validation errors naming the bad field), and nothing anywhere is written: no document
// added, removed or changed, no webhook job queued, no signal sent to an existing order.

const run = `${Date.now().toString(36).slice(-5)}${randomBytes(2).toString('hex')}`;
let seq = 0;
const next = (prefix: string) => `${prefix}-${run}-${++seq}`;

// Connections: A and B with their own secrets; C shares A's secret (one Shopify app, two shops);
// D is paused; E is an ERP, which takes no webhooks.
const CONN = { a: `hx-a-${run}`, b: `hx-b-${run}`, c: `hx-c-${run}`, d: `hx-d-${run}`, e: `hx-e-${run}` };
const DOMAIN = { a: `${CONN.a}.myshopify.com`, b: `${CONN.b}.myshopify.com`, c: `${CONN.c}.myshopify.com`, d: `${CONN.d}.myshopify.com` };
const SECRET_A = 'whsec-hostile-a';
const SECRET_B = 'whsec-hostile-b';
const ORDER_ID = `order:manual:HOSTILE-${run}`;
const QUEUED_DELIVERY = `queued-${run}`;
const QUEUED_DEAD_LETTER_ID = encodeURIComponent(`${CONN.a}|${QUEUED_DELIVERY}`);
const KEY = TEST_API_KEY;
// Keys of narrower roles, registered in beforeAll, for role escalation attempts; and one signed-in user.
const WAREHOUSE_KEY = `hostile-warehouse-key-${run}`;
const WAREHOUSE_KEY_ID = `key_${hashApiKey(WAREHOUSE_KEY).slice(0, 16)}`;
const INTEGRATION_KEY = `hostile-integration-key-${run}`;
const USER_EMAIL = `hx-user-${run}@example.com`;
const USER_PASSWORD = 'the hostile user password';
// A picklist stored directly in beforeAll (the one order waits for stock, so none is released): 2 of TEE-M.
const PICKLIST_ID = newPicklistId('BER-1', new Date());
const UNKNOWN_PICKLIST_ID = `PL-BER-1-20000101T000000-${randomBytes(3).toString('hex')}`;
// Purchasing: one supplier; purchase orders of HX-BOLT (a sku of their own, so receipts move no other case's
// stock) that are open (2 expected), a draft, cancelled, and fully received.
const SUPPLIER = `hx-sup-${run}`;
const PO = { open: `HXPO-${run}-open`, draft: `HXPO-${run}-draft`, cancelled: `HXPO-${run}-cancelled`, received: `HXPO-${run}-received` };
const PO_PATH = `/purchase-orders/${PO.open}`;
// A drop-ship supplier reached by email (no drop-ship order is placed: every case is refused before one).
const DS_SUPPLIER = `hx-ds-${run}`;

const shopifyOrder = JSON.parse(readFileSync(join(__dirname, '..', 'connectors', 'fixtures', 'shopify', 'order-cod.json'), 'utf8'));
const webhookBody = (id = 9_000_000_000_000 + seq++) => JSON.stringify({ ...shopifyOrder, id });
const QUEUED_BODY = webhookBody();

let ctx: TestContext;
let api: Awaited<ReturnType<typeof apiFor>>;

// ---- valid bodies: each hostile case changes one thing, so an accepted case would write something ----

const validOrder = () => ({
  channel: 'manual',
  channelOrderId: next('HX'),
  currency: 'EUR',
  customer: { name: 'Ada Lovelace', email: 'ada@example.com' },
  shippingAddress: address,
  lines: [{ sku: 'TEE-M', quantity: 1, unitPrice: 1999 }],
  payment: { method: 'prepaid', alreadyPaid: true },
});
const validLocation = () => ({
  id: next('LOC'),
  name: 'Hostile warehouse',
  type: 'warehouse',
  address: { line1: 'Lagerstrasse 1', city: 'Berlin', postalCode: '10117', country: 'DE' },
});
const validItem = () => ({ sku: next('ITEM'), name: 'Hostile item' });
const validReceipt = () => ({ sku: 'TEE-M', locationId: 'BER-1', quantity: 1, idempotencyKey: next('receipt-key') });
const validAdjustment = () => ({ sku: 'TEE-M', locationId: 'BER-1', delta: 1, reason: 'found', idempotencyKey: next('adjustment-key') });
const validRules = () => ({ rules: [{ id: 'nearest', name: 'Nearest', sort: ['distance'], whenNothingFits: 'wait_for_stock' }] });
const validReturnPolicy = () => ({
  windowDays: 30,
  channelWindowDays: { amazon: 30 },
  reasons: [{ code: 'damaged', label: 'Arrived damaged', approval: 'auto' }],
  nonReturnableSkus: ['MUG-1'],
});
const validReturn = () => ({ lines: [{ sku: 'TEE-M', quantity: 1 }], reason: 'damaged', resolution: 'refund' });
const validReceive = () => ({ locationId: 'BER-1', scanned: [{ sku: 'TEE-M', quantity: 1 }] });
const validInspection = () => ({ lines: [{ sku: 'TEE-M', quantity: 1, disposition: 'restock' }] });
const validCarrierRules = () => ({
  rules: [{ id: 'us', regions: [{ country: 'US' }], services: [{ carrier: 'ep-hostile', service: 'Priority' }] }],
});
const validSimulation = () => ({
  channel: 'manual',
  lines: [{ sku: 'TEE-M', quantity: 1 }],
  shippingAddress: { country: 'DE', postalCode: '10117' },
});
const validSupplier = () => ({
  id: next('hx-sup'),
  name: 'Hostile supplier',
  leadTimeDays: 7,
  currency: 'EUR',
  contact: { email: 'buyer@example.com' },
});
const validPurchaseOrder = () => ({
  supplierId: SUPPLIER,
  locationId: 'BER-1',
  expectedDate: '2030-01-15',
  lines: [{ sku: 'HX-BOLT', quantity: 1, unitCost: 100 }],
});
const validSettings = () => ({
  serviceLevel: 0.95,
  reviewPeriodDays: 7,
  preferredSupplierId: SUPPLIER,
  unitCost: 100,
  locations: [{ locationId: 'BER-1', reorderPoint: 5, orderUpTo: 20 }],
});
const validPoReceipt = () => ({ receiptId: next('po-receipt'), lines: [{ sku: 'HX-BOLT', quantity: 1 }] });
const validConnection = () => ({
  id: next('hx-n').replace(/^hx-n-/, 'hx-n'),
  kind: 'shopify',
  name: 'New shop',
  options: { shopDomain: 'hx-new.myshopify.com' },
  credentials: { accessToken: 'shpat_hostile', webhookSecret: 'whsec-new' },
  stockFeeds: [{ channelLocationId: '655441491', locationIds: ['BER-1'] }],
});
const shopifyConnection = (id: string, domain: string, secret: string, extra: object = {}) => ({
  id,
  kind: 'shopify',
  name: `Shop ${id}`,
  options: { shopDomain: domain },
  credentials: { accessToken: `shpat_${id}`, webhookSecret: secret },
  ...extra,
});

// ---- request builders ----

type Method = 'get' | 'post' | 'patch' | 'delete' | 'put';
interface CallOptions {
  auth?: string | null; // null: no Authorization header
  body?: string | Buffer;
  type?: string;
  headers?: Record<string, string | undefined>;
}
const call =
  (method: Method, path: string, o: CallOptions = {}) =>
  (http: Agent) => {
    let t = http[method](path);
    if (o.auth !== null) t = t.set('Authorization', o.auth ?? `Bearer ${KEY}`);
    for (const [k, v] of Object.entries(o.headers ?? {})) if (v !== undefined) t = t.set(k, v);
    if (o.body !== undefined) t = t.set('Content-Type', o.type ?? 'application/json').send(o.body);
    return t;
  };
const json = (method: Method, path: string, body: unknown, o: CallOptions = {}) =>
  call(method, path, { body: typeof body === 'string' ? body : JSON.stringify(body), ...o });

const show = (v: unknown) => {
  if (v === undefined) return 'missing';
  const s = typeof v === 'string' ? JSON.stringify(v) : Array.isArray(v) && v.length > 3 ? `an array of ${v.length}` : JSON.stringify(v);
  return s.length > 48 ? `${s.slice(0, 24)}…(${s.length} chars)` : s;
};

const cases: HostileCase[] = [];
const add = (c: HostileCase) => cases.push(c);

// ---- the routes ----

interface RouteSpec {
  route: string;
  method: Method;
  path: string;
  validBody?: () => unknown; // sent on auth cases: if the key check were skipped, it would be accepted
  body?: 'required' | 'optional' | 'none';
  empty?: string[]; // paths named when the body is {}
  bodyLimit?: { name: string; bytes: number }; // a route that takes larger bodies than 1 MB (bulk files)
}
const existing = `/orders/${ORDER_ID}`;
const RETURN_PATH = `/returns/return:${ORDER_ID}:1`;
const NOTIFICATION_PATH = `/customer-notifications/${encodeURIComponent(`${ORDER_ID}|delivered`)}/sent`;
const ROUTES: RouteSpec[] = [
  { route: 'GET /orders', method: 'get', path: '/orders' },
  { route: 'GET /orders/late', method: 'get', path: '/orders/late' },
  {
    route: 'POST /orders',
    method: 'post',
    path: '/orders',
    validBody: validOrder,
    body: 'required',
    empty: ['channel', 'channelOrderId', 'currency', 'customer', 'shippingAddress', 'lines'],
  },
  {
    route: 'POST /orders/import',
    method: 'post',
    path: '/orders/import',
    validBody: () => ({ orders: [validOrder()] }),
    body: 'required',
    empty: ['orders'],
    bodyLimit: { name: 'a body over 25 MB', bytes: 26_300_000 },
  },
  { route: 'GET /imports/:id', method: 'get', path: '/imports/imp_00000000000000000000000000000000' },
  { route: 'GET /orders/:id', method: 'get', path: existing },
  {
    route: 'POST /orders/:id/cancel',
    method: 'post',
    path: `${existing}/cancel`,
    validBody: () => ({ reason: 'hostile' }),
    body: 'optional',
  },
  {
    route: 'POST /orders/:id/lines/cancel',
    method: 'post',
    path: `${existing}/lines/cancel`,
    validBody: () => ({ lines: [{ sku: 'TEE-M', quantity: 1 }], reason: 'hostile' }),
    body: 'required',
    empty: ['lines'],
  },
  { route: 'POST /orders/:id/hold', method: 'post', path: `${existing}/hold`, validBody: () => ({ reason: 'hostile' }), body: 'optional' },
  { route: 'POST /orders/:id/release', method: 'post', path: `${existing}/release`, body: 'none' },
  { route: 'POST /orders/:id/retry', method: 'post', path: `${existing}/retry`, body: 'none' },
  {
    route: 'POST /orders/:id/events',
    method: 'post',
    path: `${existing}/events`,
    validBody: () => ({ type: 'picked' }),
    body: 'required',
    empty: ['type'],
  },
  {
    route: 'POST /orders/:id/allocation/reject',
    method: 'post',
    path: `${existing}/allocation/reject`,
    validBody: () => ({ reason: 'damaged' }),
    body: 'required',
    empty: ['reason'],
  },
  { route: 'POST /orders/:id/pickup', method: 'post', path: `${existing}/pickup`, validBody: () => ({ by: 'till 1' }), body: 'optional' },
  {
    route: 'POST /orders/:id/payment/confirm',
    method: 'post',
    path: `${existing}/payment/confirm`,
    validBody: () => ({}),
    body: 'optional',
  },
  {
    route: 'POST /orders/:id/payment/decline',
    method: 'post',
    path: `${existing}/payment/decline`,
    validBody: () => ({}),
    body: 'optional',
  },
  {
    route: 'POST /orders/:id/drop-ship/reroute',
    method: 'post',
    path: `${existing}/drop-ship/reroute`,
    validBody: () => ({ supplierId: DS_SUPPLIER }),
    body: 'required',
    empty: ['supplierId'],
  },
  {
    route: 'POST /locations',
    method: 'post',
    path: '/locations',
    validBody: validLocation,
    body: 'required',
    empty: ['id', 'name', 'type', 'address'],
  },
  { route: 'GET /locations', method: 'get', path: '/locations' },
  { route: 'GET /locations/:id', method: 'get', path: '/locations/BER-1' },
  { route: 'POST /items', method: 'post', path: '/items', validBody: validItem, body: 'required', empty: ['sku', 'name'] },
  { route: 'GET /items/:sku', method: 'get', path: '/items/TEE-M' },
  { route: 'GET /items', method: 'get', path: '/items' },
  { route: 'PATCH /items/:sku', method: 'patch', path: '/items/TEE-M', validBody: () => ({ name: 'Overwritten' }) },
  {
    route: 'POST /stock/receipts',
    method: 'post',
    path: '/stock/receipts',
    validBody: validReceipt,
    body: 'required',
    empty: ['sku', 'locationId', 'quantity'],
  },
  {
    route: 'POST /stock/adjustments',
    method: 'post',
    path: '/stock/adjustments',
    validBody: validAdjustment,
    body: 'required',
    empty: ['sku', 'locationId', 'delta', 'reason'],
  },
  {
    route: 'POST /stock/quarantine',
    method: 'post',
    path: '/stock/quarantine',
    validBody: () => ({ sku: 'TEE-M', locationId: 'BER-1', quantity: 1, decision: 'release' }),
    body: 'required',
    empty: ['sku', 'locationId', 'quantity', 'decision'],
  },
  { route: 'GET /stock/:sku', method: 'get', path: '/stock/TEE-M' },
  { route: 'GET /stock/:sku/ledger', method: 'get', path: '/stock/TEE-M/ledger' },
  { route: 'GET /stock/:sku/locations/:locationId/ledger', method: 'get', path: '/stock/TEE-M/locations/BER-1/ledger' },
  { route: 'GET /low-stock', method: 'get', path: '/low-stock' },
  {
    route: 'POST /api-keys',
    method: 'post',
    path: '/api-keys',
    validBody: () => ({ name: 'intruder' }),
    body: 'required',
    empty: ['name'],
  },
  {
    route: 'POST /connections',
    method: 'post',
    path: '/connections',
    validBody: validConnection,
    body: 'required',
    empty: ['id', 'kind', 'name', 'credentials'],
  },
  { route: 'GET /connections', method: 'get', path: '/connections' },
  { route: 'GET /connections/:id', method: 'get', path: `/connections/${CONN.a}` },
  { route: 'GET /connections/:id/sku-map', method: 'get', path: `/connections/${CONN.a}/sku-map` },
  {
    route: 'PUT /connections/:id/sku-map',
    method: 'put',
    path: `/connections/${CONN.a}/sku-map`,
    validBody: () => ({ entries: [{ channelSku: 'X-1', sku: 'TEE-M' }] }),
  },
  { route: 'POST /connections/:id/catalog/import', method: 'post', path: `/connections/${CONN.a}/catalog/import` },
  {
    route: 'PATCH /connections/:id',
    method: 'patch',
    path: `/connections/${CONN.a}`,
    validBody: () => ({ name: 'Hijacked' }),
    body: 'required',
  },
  { route: 'DELETE /connections/:id', method: 'delete', path: `/connections/${CONN.a}` },
  { route: 'POST /connections/:id/test', method: 'post', path: `/connections/${CONN.a}/test`, body: 'none' },
  { route: 'POST /connections/:id/sync', method: 'post', path: `/connections/${CONN.a}/sync`, body: 'none' },
  { route: 'GET /connections/:id/stock-sync', method: 'get', path: `/connections/${CONN.a}/stock-sync` },
  { route: 'GET /webhooks/dead-letters', method: 'get', path: '/webhooks/dead-letters' },
  { route: 'GET /routing/rules', method: 'get', path: '/routing/rules' },
  { route: 'PUT /routing/rules', method: 'put', path: '/routing/rules', validBody: validRules, body: 'required', empty: ['rules'] },
  { route: 'GET /routing/postal-prefixes', method: 'get', path: '/routing/postal-prefixes' },
  { route: 'GET /return-policy', method: 'get', path: '/return-policy' },
  {
    route: 'POST /orders/:id/returns',
    method: 'post',
    path: `${existing}/returns`,
    validBody: validReturn,
    body: 'required',
    empty: ['lines', 'reason', 'resolution'],
  },
  { route: 'GET /orders/:id/returns', method: 'get', path: `${existing}/returns` },
  { route: 'GET /returns/:id', method: 'get', path: RETURN_PATH },
  {
    route: 'POST /returns/:id/approve',
    method: 'post',
    path: `${RETURN_PATH}/approve`,
    validBody: () => ({ reason: 'fine' }),
    body: 'optional',
  },
  {
    route: 'POST /returns/:id/reject',
    method: 'post',
    path: `${RETURN_PATH}/reject`,
    validBody: () => ({ reason: 'no' }),
    body: 'optional',
  },
  {
    route: 'POST /returns/:id/cancel',
    method: 'post',
    path: `${RETURN_PATH}/cancel`,
    validBody: () => ({ reason: 'kept' }),
    body: 'optional',
  },
  { route: 'POST /returns/:id/retry', method: 'post', path: `${RETURN_PATH}/retry`, body: 'none' },
  {
    route: 'POST /returns/:id/label',
    method: 'post',
    path: `${RETURN_PATH}/label`,
    validBody: () => ({ trackingNumber: 'JJD000390007835413', carrier: 'DHL' }),
    body: 'required',
    empty: ['trackingNumber'],
  },
  {
    route: 'POST /returns/:id/receive',
    method: 'post',
    path: `${RETURN_PATH}/receive`,
    validBody: validReceive,
    body: 'required',
    empty: ['locationId', 'scanned'],
  },
  {
    route: 'POST /returns/:id/inspect',
    method: 'post',
    path: `${RETURN_PATH}/inspect`,
    validBody: validInspection,
    body: 'required',
    empty: ['lines'],
  },
  { route: 'PUT /return-policy', method: 'put', path: '/return-policy', validBody: validReturnPolicy, body: 'required' },
  {
    route: 'PUT /routing/postal-prefixes',
    method: 'put',
    path: '/routing/postal-prefixes',
    validBody: () => ({ csv: 'country,prefix,latitude,longitude\nDE,10,52.52,13.40\n' }),
    body: 'required',
    empty: ['csv'],
  },
  {
    route: 'POST /routing/simulate',
    method: 'post',
    path: '/routing/simulate',
    validBody: validSimulation,
    body: 'required',
    empty: ['channel', 'lines', 'shippingAddress'],
  },
  { route: 'GET /carrier-rules', method: 'get', path: '/carrier-rules' },
  { route: 'PUT /carrier-rules', method: 'put', path: '/carrier-rules', validBody: validCarrierRules, body: 'required', empty: ['rules'] },
  {
    route: 'POST /webhooks/dead-letters/:id/replay',
    method: 'post',
    path: `/webhooks/dead-letters/${QUEUED_DEAD_LETTER_ID}/replay`,
    body: 'none',
  },
  { route: 'GET /locations/:id/bins', method: 'get', path: '/locations/BER-1/bins' },
  { route: 'GET /locations/:id/picklists', method: 'get', path: '/locations/BER-1/picklists' },
  {
    route: 'PUT /locations/:id/bins',
    method: 'put',
    path: '/locations/BER-1/bins',
    validBody: () => ({ bins: { 'TEE-M': 'A-01-1' } }),
    body: 'required',
    empty: ['bins'],
  },
  {
    route: 'POST /picklists',
    method: 'post',
    path: '/picklists',
    validBody: () => ({ locationId: 'BER-1' }),
    body: 'required',
    empty: ['locationId'],
  },
  { route: 'GET /picklists/:id', method: 'get', path: `/picklists/${PICKLIST_ID}` },
  {
    route: 'POST /picklists/:id/scans',
    method: 'post',
    path: `/picklists/${PICKLIST_ID}/scans`,
    validBody: () => ({ code: 'TEE-M', quantity: 1 }),
    body: 'required',
    empty: ['code', 'quantity'],
  },
  {
    route: 'POST /picklists/:id/short',
    method: 'post',
    path: `/picklists/${PICKLIST_ID}/short`,
    validBody: () => ({ sku: 'TEE-M', missingQuantity: 1 }),
    body: 'required',
    empty: ['sku', 'missingQuantity'],
  },
  {
    route: 'POST /picklists/:id/close',
    method: 'post',
    path: `/picklists/${PICKLIST_ID}/close`,
    validBody: () => ({ reason: 'end of shift' }),
    body: 'optional',
  },
  { route: 'GET /customer-notifications', method: 'get', path: '/customer-notifications' },
  { route: 'POST /customer-notifications/:id/sent', method: 'post', path: NOTIFICATION_PATH, validBody: () => ({}), body: 'optional' },
  {
    route: 'POST /customer-notifications/:id/retry',
    method: 'post',
    path: NOTIFICATION_PATH.replace(/\/sent$/, '/retry'),
    validBody: () => ({}),
    body: 'optional',
  },
  { route: 'GET /orders/:id/notifications', method: 'get', path: `${existing}/notifications` },
  { route: 'GET /dev/mail', method: 'get', path: '/dev/mail' },
  {
    route: 'POST /webhook-subscribers',
    method: 'post',
    path: '/webhook-subscribers',
    validBody: () => ({ url: 'https://crm.example.com/hooks', events: ['order.status_changed'] }),
    body: 'required',
    empty: ['url', 'events'],
  },
  { route: 'GET /webhook-subscribers', method: 'get', path: '/webhook-subscribers' },
  {
    route: 'POST /webhook-subscribers/:id/disable',
    method: 'post',
    path: '/webhook-subscribers/sub_0000000000000000/disable',
    validBody: () => ({}),
    body: 'optional',
  },
  {
    route: 'POST /webhook-subscribers/:id/rotate-secret',
    method: 'post',
    path: '/webhook-subscribers/sub_0000000000000000/rotate-secret',
    validBody: () => ({}),
    body: 'optional',
  },
  {
    route: 'POST /webhook-deliveries/:id/replay',
    method: 'post',
    path: `/webhook-deliveries/${encodeURIComponent(`${ORDER_ID}|received|1|sub_0000000000000000`)}/replay`,
    validBody: () => ({}),
    body: 'optional',
  },
  { route: 'GET /orders/:id/documents', method: 'get', path: `${existing}/documents` },
  { route: 'GET /documents/:id', method: 'get', path: `/documents/${encodeURIComponent(`doc:packing_slip:${ORDER_ID}`)}` },
  {
    route: 'POST /suppliers',
    method: 'post',
    path: '/suppliers',
    validBody: validSupplier,
    body: 'required',
    empty: ['id', 'name', 'leadTimeDays', 'currency', 'contact'],
  },
  { route: 'GET /suppliers', method: 'get', path: '/suppliers' },
  { route: 'GET /suppliers/:id', method: 'get', path: `/suppliers/${SUPPLIER}` },
  {
    route: 'POST /purchase-orders',
    method: 'post',
    path: '/purchase-orders',
    validBody: validPurchaseOrder,
    body: 'required',
    empty: ['supplierId', 'locationId', 'lines'],
  },
  { route: 'GET /purchase-orders', method: 'get', path: '/purchase-orders' },
  { route: 'GET /purchase-orders/:id', method: 'get', path: PO_PATH },
  {
    route: 'PATCH /purchase-orders/:id',
    method: 'patch',
    path: PO_PATH,
    validBody: () => ({ expectedDate: '2030-02-01' }),
    body: 'required',
    empty: ['expectedDate'],
  },
  { route: 'POST /purchase-orders/:id/open', method: 'post', path: `${PO_PATH}/open`, validBody: () => ({}), body: 'optional' },
  {
    route: 'POST /purchase-orders/:id/cancel',
    method: 'post',
    path: `${PO_PATH}/cancel`,
    validBody: () => ({ reason: 'hostile' }),
    body: 'optional',
  },
  {
    route: 'POST /purchase-orders/:id/receipts',
    method: 'post',
    path: `${PO_PATH}/receipts`,
    validBody: validPoReceipt,
    body: 'required',
    empty: ['lines'],
  },
  {
    route: 'POST /purchase-orders/:id/supplier-events',
    method: 'post',
    path: `${PO_PATH}/supplier-events`,
    validBody: () => ({ eventId: next('supplier-event'), type: 'confirmed' }),
    body: 'required',
    empty: ['type'],
  },
  { route: 'GET /replenishment/settings/:sku', method: 'get', path: '/replenishment/settings/HX-BOLT' },
  {
    route: 'PUT /replenishment/settings/:sku',
    method: 'put',
    path: '/replenishment/settings/HX-BOLT',
    validBody: validSettings,
    body: 'required',
  },
  { route: 'GET /replenishment/suggestions', method: 'get', path: '/replenishment/suggestions' },
  {
    route: 'POST /replenishment/suggestions/:supplierId/order',
    method: 'post',
    path: `/replenishment/suggestions/${SUPPLIER}/order`,
    validBody: () => ({ locationId: 'BER-1' }),
    body: 'required',
    empty: ['locationId'],
  },
  {
    route: 'POST /replenishment/recompute',
    method: 'post',
    path: '/replenishment/recompute',
    validBody: () => ({ runId: next('hx-run') }),
    body: 'optional',
  },
  { route: 'POST /promises/recompute', method: 'post', path: '/promises/recompute?sku=HX-BOLT', validBody: () => ({}), body: 'optional' },
  { route: 'GET /metrics/orders', method: 'get', path: '/metrics/orders' },
  { route: 'GET /metrics/order-costs', method: 'get', path: '/metrics/order-costs' },
  {
    route: 'PUT /metrics/order-costs',
    method: 'put',
    path: '/metrics/order-costs',
    validBody: () => ({ costs: [{ month: '2026-12', label: 'staff', amount: 100_000, currency: 'EUR' }] }),
    body: 'required',
    empty: ['costs'],
  },
  { route: 'GET /api-keys', method: 'get', path: '/api-keys' },
  { route: 'DELETE /api-keys/:id', method: 'delete', path: `/api-keys/${WAREHOUSE_KEY_ID}` },
  { route: 'POST /api-keys/:id/rotate', method: 'post', path: `/api-keys/${WAREHOUSE_KEY_ID}/rotate` },
  {
    route: 'POST /users',
    method: 'post',
    path: '/users',
    validBody: () => ({ email: `intruder-${run}@example.com`, name: 'Intruder', role: 'admin', password: 'a long enough password' }),
    body: 'required',
    empty: ['email', 'name', 'password', 'role'],
  },
  { route: 'GET /users', method: 'get', path: '/users' },
  { route: 'POST /users/:email/disable', method: 'post', path: `/users/${USER_EMAIL}/disable` },
  { route: 'DELETE /session', method: 'delete', path: '/session' },
  { route: 'GET /session', method: 'get', path: '/session' },
  { route: 'GET /audit', method: 'get', path: '/audit' },
  { route: 'GET /metrics', method: 'get', path: '/metrics' },
  { route: 'ALL /admin/queues', method: 'get', path: '/admin/queues' },
];
const PUBLIC_ROUTES = ['GET /health', 'GET /openapi.json', 'GET /docs', 'POST /webhooks/:connectionId', 'POST /session'];
const ALL_ROUTES = [...PUBLIC_ROUTES, ...ROUTES.map((r) => r.route)];
const routeOf = (label: string) => ROUTES.find((r) => r.route === label)!;

// ---- API keys: every protected route without a key and with a wrong one; every kind of bad key on a few ----

const authed = (r: RouteSpec, auth: string | null) =>
  r.validBody ? json(r.method, r.path, r.validBody(), { auth }) : call(r.method, r.path, { auth });
for (const r of ROUTES) {
  add({ route: r.route, name: 'no Authorization header', send: authed(r, null), status: 401 });
  add({ route: r.route, name: 'a key that was never issued', send: authed(r, 'Bearer wrong-key-0000000000'), status: 401 });
}
const BAD_AUTH: [string, string][] = [
  ['the Basic scheme', `Basic ${Buffer.from(`operator:${KEY}`).toString('base64')}`],
  ['the Token scheme', `Token ${KEY}`],
  ['the key without a scheme', KEY],
  ['an empty bearer', 'Bearer '],
  ['two spaces after Bearer', `Bearer  ${KEY}`],
  ['a key with spaces', 'Bearer test api key 0123'],
  ['a 10,000-character key', `Bearer ${'k'.repeat(10_000)}`],
  ['the right key with one more character', `Bearer ${KEY}x`],
  ['the stored hash instead of the key', `Bearer ${hashApiKey(KEY)}`],
  ['an operator object as the key', 'Bearer {"$gt":""}'],
  ['a key with a Latin-1 letter', `Bearer ${KEY}\u00e9`],
  ['two bearer keys in one header', `Bearer ${KEY}, Bearer ${KEY}`],
];
for (const label of ['GET /orders', 'POST /orders', 'POST /stock/receipts', 'DELETE /connections/:id']) {
  for (const [name, auth] of BAD_AUTH) add({ route: label, name, send: authed(routeOf(label), auth), status: 401 });
}

// ---- bodies that fail before any handler runs: broken, not an object or array, too large, wrong charset ----

const bigJson = (bytes: number) => JSON.stringify({ notes: 'x'.repeat(bytes) });
const PARSE_FAILURES: { name: string; o: () => CallOptions; status: number; paths?: string[] }[] = [
  { name: 'broken JSON', o: () => ({ body: '{"channel": ' }), status: 400, paths: ['(body)'] },
  { name: 'JSON null', o: () => ({ body: 'null' }), status: 400, paths: ['(body)'] },
  { name: 'a JSON string', o: () => ({ body: '"order"' }), status: 400, paths: ['(body)'] },
  { name: 'a JSON number', o: () => ({ body: '42' }), status: 400, paths: ['(body)'] },
  { name: 'two JSON documents', o: () => ({ body: '{}{}' }), status: 400, paths: ['(body)'] },
  { name: 'a NaN literal', o: () => ({ body: '{"quantity": NaN}' }), status: 400, paths: ['(body)'] },
  { name: 'a body over 1 MB', o: () => ({ body: bigJson(1_100_000) }), status: 413 },
  {
    name: 'a UTF-16 charset on a UTF-8 body',
    o: () => ({ body: '{}', type: 'application/json; charset=utf-16' }),
    status: 400,
    paths: ['(body)'],
  },
  { name: 'a Latin-1 charset', o: () => ({ body: '{}', type: 'application/json; charset=iso-8859-1' }), status: 415 },
  { name: 'an unknown Content-Encoding', o: () => ({ body: '{}', headers: { 'Content-Encoding': 'x-hostile' } }), status: 415 },
  { name: 'gzip Content-Encoding on a plain body', o: () => ({ body: '{"a":1}', headers: { 'Content-Encoding': 'gzip' } }), status: 400 },
];
for (const r of ROUTES) {
  const failures =
    r.body === 'required' || r.body === 'optional'
      ? PARSE_FAILURES
      : PARSE_FAILURES.filter((f) => ['broken JSON', 'JSON null', 'a body over 1 MB'].includes(f.name));
  for (const f of failures) {
    if (f.name === 'a body over 1 MB' && r.bodyLimit) {
      const { name, bytes } = r.bodyLimit;
      add({ route: r.route, name, send: call(r.method, r.path, { body: bigJson(bytes) }), status: 413 });
      continue;
    }
    add({ route: r.route, name: f.name, send: call(r.method, r.path, f.o()), status: f.status, ...(f.paths && { paths: f.paths }) });
  }
}
for (const path of ['/health', '/openapi.json', '/docs']) {
  const route = `GET ${path}`;
  add({
    route,
    name: 'broken JSON in a GET body',
    send: call('get', path, { auth: null, body: '{"x": ' }),
    status: 400,
    paths: ['(body)'],
  });
  add({ route, name: 'a body over 1 MB', send: call('get', path, { auth: null, body: bigJson(1_100_000) }), status: 413 });
  add({
    route,
    name: 'a Latin-1 charset',
    send: call('get', path, { auth: null, body: '{}', type: 'application/json; charset=iso-8859-1' }),
    status: 415,
  });
  add({ route, name: 'POST without a key', send: call('post', path, { auth: null, body: '{}' }), status: 401 });
  add({ route, name: 'DELETE with a key', send: call('delete', path), status: 404 });
}

// ---- bodies of the wrong shape for routes that read one ----

const deepArray = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);
for (const r of ROUTES.filter((x) => x.body === 'required' || x.body === 'optional')) {
  const base = r.validBody!;
  const shapes: [string, string, string[]][] = [
    ['a JSON array', '[]', ['(body)']],
    ['an array holding a valid body', JSON.stringify([base()]), ['(body)']],
    ['100,000 nested arrays', deepArray(100_000), ['(body)']],
    ['100,000 nested arrays under an unknown field', `{"x":${deepArray(100_000)}}`, ['x']],
    ['a $where operator', rawBody(base() as object, '$where', '"sleep(5000) || true"'), ['$where']],
    ['a $set operator', rawBody(base() as object, '$set', '{"status":"completed"}'), ['$set']],
    ['a __proto__ key', rawBody(base() as object, '__proto__', '{"polluted":true,"isAdmin":true}'), ['__proto__']],
    ['a constructor.prototype key', rawBody(base() as object, 'constructor', '{"prototype":{"polluted":true}}'), ['constructor']],
    [
      '10,000 unknown fields',
      JSON.stringify({ ...(base() as object), ...Object.fromEntries(Array.from({ length: 10_000 }, (_, i) => [`f${i}`, i])) }),
      ['f0', 'f9999'],
    ],
  ];
  for (const [name, body, paths] of shapes) add({ route: r.route, name, send: json(r.method, r.path, body), status: 400, paths });
  if (r.body === 'required') {
    add({ route: r.route, name: 'no body', send: call(r.method, r.path), status: 400, paths: ['(body)'] });
    add({
      route: r.route,
      name: 'a text/plain body',
      send: call(r.method, r.path, { body: JSON.stringify(base()), type: 'text/plain' }),
      status: 400,
      paths: ['(body)'],
    });
    add({
      route: r.route,
      name: 'a form-encoded body',
      send: call(r.method, r.path, { body: 'name=x&sku=y', type: 'application/x-www-form-urlencoded' }),
      status: 400,
      paths: ['(body)'],
    });
    if (r.empty) add({ route: r.route, name: 'an empty object', send: json(r.method, r.path, {}), status: 400, paths: r.empty });
  }
}

// ---- field by field: wrong types, bad values, operators, over-long strings, unicode and control characters ----

type FieldSpec = [path: string, value: unknown, paths?: string[]];
function fieldCases(label: string, specs: FieldSpec[], o: { base?: () => object; path?: string; method?: Method } = {}) {
  const r = routeOf(label);
  const base = o.base ?? (r.validBody as () => object);
  for (const [field, value, paths] of specs) {
    add({
      route: label,
      name: `${field} = ${show(value)}`,
      send: json(o.method ?? r.method, o.path ?? r.path, withField(base(), field, value)),
      status: 400,
      paths: paths ?? [field],
    });
  }
}
type RawSpec = [path: string, raw: string, paths?: string[]];
function rawCases(label: string, specs: RawSpec[], base?: () => object) {
  const r = routeOf(label);
  const b = base ?? (r.validBody as () => object);
  for (const [field, raw, paths] of specs)
    add({
      route: label,
      name: `${field} = ${raw} (raw JSON)`,
      send: json(r.method, r.path, rawBody(b(), field, raw)),
      status: 400,
      paths: paths ?? [field],
    });
}

const GT = { $gt: '' };
const NE = { $ne: null };
const QUANTITIES: unknown[] = [-1, 0, 1.5, '2', null, 'NaN', 'Infinity', true, [1], { $gt: 0 }, 1e308, 2 ** 53];
const RAW_QUANTITIES = ['1e999', '-1e999', '-0.5'];
const BAD_SKUS: unknown[] = [
  42,
  GT,
  'has space',
  'x'.repeat(65),
  'TEE\u0000M',
  '\u202eM-EET',
  '\uff34\uff25\uff25',
  '-leading',
  '$where',
  'a/b',
];

fieldCases('POST /orders', [
  ['channel', 42],
  ['channel', 'Has Caps'],
  ['channel', NE],
  ['channelOrderId', null],
  ['channelOrderId', 'x'.repeat(129)],
  ['channelOrderId', 'A\u0000B'],
  ['channelOrderId', '\u{1F680}-1'],
  ['channelOrderId', 'R:1'],
  ['type', 'b2b'],
  ['type', 7],
  ['currency', 'eur'],
  ['currency', ['EUR']],
  ['customer', 'Ada'],
  ['customer.name', ''],
  ['customer.name', 'x'.repeat(201)],
  ['customer.email', 'not-an-email'],
  ['customer.id', GT],
  ['customer.isAdmin', true],
  ['shippingAddress', []],
  ['shippingAddress.country', 'Germany'],
  ['shippingAddress.line1', undefined],
  ['shippingAddress.latitude', 91],
  ['shippingAddress.longitude', '13.4'],
  ['shippingAddress.postalCode', 'x'.repeat(21)],
  ['billingAddress', 'same as shipping'],
  ['lines', []],
  ['lines', {}],
  ['lines', Array.from({ length: 501 }, (_, i) => ({ sku: `S${i}`, quantity: 1, unitPrice: 1 }))],
  ['lines.0', 'TEE-M'],
  ['lines.0.sku', 'GHOST'],
  ...BAD_SKUS.map((v): FieldSpec => ['lines.0.sku', v]),
  ...QUANTITIES.map((v): FieldSpec => ['lines.0.quantity', v]),
  ['lines.0.quantity', 100_001],
  ['lines.0.unitPrice', -1],
  ['lines.0.unitPrice', 19.99],
  ['lines.0.unitPrice', '1999'],
  ['lines.0.unitPrice', 2 ** 53],
  ['lines.0.discount', 999_999],
  ['lines.0.tax', -5],
  ['lines.0.$inc', { quantity: 1 }],
  ['discounts', 'TENOFF'],
  ['discounts', [{ amount: 1_000_000 }]],
  ['shippingAmount', true],
  ['shippingAmount', -1],
  ['payment', 'cash'],
  ['payment.method', 'bitcoin'],
  ['payment.alreadyPaid', 'yes'],
  ['payment.provider', 'Stripe!'],
  ['notes', 'x'.repeat(5001)],
  ['tags', 'vip'],
  ['tags', Array.from({ length: 51 }, (_, i) => `t${i}`)],
  ['tags.0', ''],
  ['placedAt', 'yesterday'],
  ['placedAt', '2024-02-30T10:00:00Z'],
  ['placedAt', 1_700_000_000_000],
  ['id', 'order:manual:chosen-by-caller'],
  ['totals', { total: 0 }],
  ['status', 'completed'],
]);
fieldCases(
  'POST /orders',
  [
    // Amounts that no longer count exactly in floating point: 2 x (2^53 - 1) cents.
    ['lines.0.quantity', 2, ['lines.0.unitPrice']],
    ['lines.0.quantity', 100_000, ['lines.0.unitPrice']],
  ],
  { base: () => withField(validOrder(), 'lines.0.unitPrice', Number.MAX_SAFE_INTEGER) },
);
fieldCases('POST /orders', [['shippingAmount', Number.MAX_SAFE_INTEGER, ['(body)']]]);
// Backorders: flags that are not booleans, and backorders of an item that does not allow them (TEE-M).
fieldCases('POST /orders', [
  ['allowBackorder', 'yes'],
  ['lines.0.allowBackorder', 1],
  ['lines.0.allowBackorder', true],
  ['allowBackorder', true],
  ['type', 'backorder'],
]);
fieldCases('POST /orders', [['allowBackorder', false]], { base: () => withField(validOrder(), 'type', 'backorder') });
fieldCases('POST /orders', [['lines.1', { sku: 'TEE-M', quantity: 1, unitPrice: 1 }, ['lines.1.sku']]]);
fieldCases('POST /orders', [['lines.1', { sku: 'GHOST-2', quantity: 1, unitPrice: 1 }, ['lines.0.sku', 'lines.1.sku']]], {
  base: () => withField(validOrder(), 'lines.0.sku', 'GHOST-1'),
});
fieldCases('POST /orders', [['payment.alreadyPaid', true]], {
  base: () => withField(validOrder(), 'payment', { method: 'cash_on_delivery' }),
});
rawCases('POST /orders', [
  ...RAW_QUANTITIES.map((raw): RawSpec => ['lines.0.quantity', raw]),
  ['lines.0.quantity', '-0'],
  ['channel', '"manual", "channel": {"$ne": null}', ['channel']],
]);

// Pre-order lines: a release date that is no date, lacks its offset or is past is named; so is a pre_order
// without a pre-order line. Nothing is claimed or written.
fieldCases('POST /orders', [
  ['lines.0.preorder', '2030-01-01'],
  ['lines.0.preorder.releaseAt', '2030-02-30'],
  ['lines.0.preorder.releaseAt', 'tomorrow'],
  ['lines.0.preorder.releaseAt', '2031-01-01T10:00:00'],
  ['lines.0.preorder.releaseAt', 1_900_000_000_000],
  ['lines.0.preorder.releaseAt', GT],
  ['lines.0.preorder.releaseAt', '2100-01-01'],
  ['lines.0.preorder.releaseAt', '2020-01-01'],
  ['lines.0.preorder.releaseAt', '2021-06-01T09:00:00+02:00'],
  ['type', 'pre_order'],
]);
fieldCases('POST /orders', [['lines.0.preorder.ships', true]], {
  base: () => withField(validOrder(), 'lines.0.preorder', { releaseAt: '2099-01-01' }),
});
fieldCases('PATCH /items/:sku', [
  ['preorder', '2030-01-01'],
  ['preorder.releaseAt', 'soon'],
  ['preorder.releaseAt', '2019-12-31'],
  ['preorder.releaseAt', NE],
]);

fieldCases('POST /locations', [
  ['id', 42],
  ['id', GT],
  ['id', 'has space'],
  ['id', 'a.b'],
  ['id', 'x'.repeat(65)],
  ['id', '\u202eLOC'],
  ['id', 'LOC\n1'],
  ['name', ''],
  ['name', 'x'.repeat(201)],
  ['type', 'castle'],
  ['address', null],
  ['address.country', 'de'],
  ['address.city', undefined],
  ['address.extra', 1],
  ['ships', 'yes'],
  ['priority', -1],
  ['priority', 1.5],
  ['priority', 1_000_001],
  ['priority', '1'],
  ['active', 0],
  ['_id', 'BER-1'],
  ['createdAt', '2020-01-01T00:00:00Z'],
]);
fieldCases('POST /locations', [['pickup', false, ['ships']]], { base: () => ({ ...validLocation(), ships: false }) });
fieldCases(
  'POST /locations',
  [
    ['capacity', 'lots'],
    ['capacity', null],
    ['capacity', GT, ['capacity.$gt', 'capacity.unitsPerDay']],
    ['capacity.unitsPerDay', undefined],
    ['capacity.unitsPerDay', 0],
    ['capacity.unitsPerDay', -5],
    ['capacity.unitsPerDay', 2.5],
    ['capacity.unitsPerDay', '100'],
    ['capacity.unitsPerDay', 10_000_001],
    ['capacity.unitsPerDay', NE],
    ['capacity.timeZone', 'Mars/Olympus_Mons'],
    ['capacity.timeZone', 42],
    ['capacity.timeZone', 'x'.repeat(65)],
    ['capacity.unitsPerShipment', 10],
  ],
  { base: () => ({ ...validLocation(), id: next('CAP'), capacity: { unitsPerDay: 100, timeZone: 'Europe/Berlin' } }) },
);

fieldCases('POST /items', [
  ...BAD_SKUS.map((v): FieldSpec => ['sku', v]),
  ['name', ''],
  ['name', 'x'.repeat(301)],
  ['name', 42],
  ['barcode', 'ab'],
  ['barcode', 'has space'],
  ['weightGrams', -1],
  ['weightGrams', 1.5],
  ['weightGrams', 10_000_001],
  ['weightGrams', '500'],
  ['dimensionsMm', 'big'],
  ['dimensionsMm', { length: 0, width: 1, height: 1 }, ['dimensionsMm.length']],
  ['dimensionsMm', { length: 1, width: -3, height: 1 }, ['dimensionsMm.width']],
  ['dimensionsMm', { length: 1, width: 1, height: 1, depth: 1 }, ['dimensionsMm.depth']],
  ['allowBackorder', 'yes'],
  ['createdAt', 'now'],
]);
fieldCases('PATCH /items/:sku', [
  ['allowBackorder', 'yes'],
  ['allowBackorder', 1],
  ['dropShip', 'acme', ['dropShip']],
  ['dropShip', { supplierId: 'has space' }, ['dropShip.supplierId']],
  ['dropShip', { supplierId: 'acme', unitCost: -1 }, ['dropShip.unitCost']],
  ['dropShip', { supplierId: 'acme', via: 'email' }, ['dropShip.via']],
]);
// The channel's pre-order date on a listing (the catalogue import writes it) is a release date like any other.
fieldCases(
  'POST /items',
  [
    ['channels.shop-x.preorderReleaseAt', 'soon'],
    ['channels.shop-x.preorderReleaseAt', '2100-01-01'],
    ['channels.shop-x.preorderReleaseAt', 1_900_000_000_000],
    ['channels.shop-x.preorderReleaseAt', NE],
  ],
  { base: () => ({ ...validItem(), channels: { 'shop-x': { channelSku: 'X', variantId: 'gid://shopify/ProductVariant/1' } } }) },
);
fieldCases('POST /items', [
  ['dropShip', {}, ['dropShip.supplierId']],
  ['dropShip', { supplierId: '$where' }, ['dropShip.supplierId']],
  ['dropShip', { supplierId: 'acme', unitCost: 1.5 }, ['dropShip.unitCost']],
]);

const receiptSpecs = (quantityField: 'quantity' | 'delta'): FieldSpec[] => [
  ...BAD_SKUS.map((v): FieldSpec => ['sku', v]),
  ['sku', 'GHOST'],
  ['locationId', 'NOWHERE'],
  ['locationId', NE],
  ['locationId', 'BER 1'],
  ['locationId', 'x'.repeat(65)],
  ['reference', ''],
  ['reference', 'x'.repeat(129)],
  ['reference', 42],
  ['idempotencyKey', 'short'],
  ['idempotencyKey', 'has space 123'],
  ['idempotencyKey', 'x'.repeat(201)],
  ['idempotencyKey', 'cl\u00e9-unicode-123'],
  ['idempotencyKey', GT],
  ['type', 'shipment'],
  ['actor', 'admin'],
  [quantityField === 'quantity' ? 'delta' : 'quantity', 5],
  ['onHand', 1_000_000],
];
fieldCases('PUT /routing/rules', [
  ['rules', 'nearest'],
  ['rules', GT],
  ['rules.0.id', GT],
  ['rules.0.id', '$where'],
  ['rules.0.sort', []],
  ['rules.0.sort', ['distance', 'distance']],
  ['rules.0.sort.0', 'closeness'],
  ['rules.0.whenNothingFits', 'give_up'],
  ['rules.0.channels', ['Has Caps'], ['rules.0.channels.0']],
  ['rules.0.filters', { ships: false }, ['rules.0.filters.ships']],
  ['rules.0.filters', { minRemainingAfterAllocation: -1 }, ['rules.0.filters.minRemainingAfterAllocation']],
  ['rules.0.filters', { regions: [{ country: 'Germany' }] }, ['rules.0.filters.regions.0.country']],
  ['rules.0.filters', { regions: [{ country: 'DE', postalPrefixes: ['$gt'] }] }, ['rules.0.filters.regions.0.postalPrefixes.0']],
  ['rules.0.extra', true],
]);
fieldCases('POST /stock/quarantine', [
  ...QUANTITIES.map((q): FieldSpec => ['quantity', q]),
  ...BAD_SKUS.map((sku): FieldSpec => ['sku', sku]),
  ['locationId', 'BER 1'],
  ['decision', 'burn'],
  ['decision', 'scrap', ['reason']],
  ['reason', ''],
  ['reason', 'x'.repeat(501)],
  ['idempotencyKey', 'short'],
  ['type', 'receipt'],
]);
fieldCases('POST /orders/:id/returns', [
  ['lines', []],
  ['lines', 'TEE-M'],
  ...QUANTITIES.map((q): FieldSpec => ['lines.0.quantity', q]),
  ...BAD_SKUS.map((sku): FieldSpec => ['lines.0.sku', sku]),
  [
    'lines',
    [
      { sku: 'TEE-M', quantity: 1 },
      { sku: 'TEE-M', quantity: 1 },
    ],
    ['lines.1.sku'],
  ],
  ['reason', 'Bad Reason'],
  ['reason', GT],
  ['resolution', 'cash'],
  ['exchangeLines', [{ sku: 'TEE-L', quantity: 1 }]],
  ['note', 'x'.repeat(2001)],
  ['refundAmount', 100],
]);
fieldCases('POST /orders/:id/returns', [['exchangeLines', null]], { base: () => ({ ...validReturn(), resolution: 'exchange' }) });
fieldCases('POST /returns/:id/receive', [
  ['locationId', 'BER 1'],
  ['locationId', GT],
  ['scanned', []],
  ...QUANTITIES.map((q): FieldSpec => ['scanned.0.quantity', q]),
  ...BAD_SKUS.map((sku): FieldSpec => ['scanned.0.sku', sku]),
  ['inspection.lines', []],
  ['inspection.lines', [{ sku: 'TEE-M', quantity: 1, disposition: 'burn' }], ['inspection.lines.0.disposition']],
  ['by', 'someone else'],
]);
fieldCases('POST /orders/import', [
  ['orders', []],
  ['orders', 'all of them'],
  ['orders', GT],
  ['orders', Array.from({ length: 10_001 }, () => ({}))],
  ['orders.0', GT, ['rows.1.$gt']],
  ['orders.0', null, ['rows.1']],
  ['orders.0.channel', 'Bad Channel', ['rows.1.channel']],
  ['orders.0.channelOrderId', { $ne: null }, ['rows.1.channelOrderId']],
  ['orders.0.lines.0.sku', 'NO-SUCH-SKU', ['rows.1.lines.0.sku']],
  ['orders.0.lines.0.quantity', 0, ['rows.1.lines.0.quantity']],
  ['orders.0.lines.0.unitPrice', -1, ['rows.1.lines.0.unitPrice']],
  ['orders.0.__proto__', { polluted: true }, ['rows.1.__proto__']],
]);
// CSV files: every row named by its number and column; a file with no good order writes nothing.
const CSV_HEADER = 'order_ref,customer_name,ship_line1,ship_city,ship_postal_code,ship_country,currency,sku,quantity,unit_price';
const csvRow = (ref: string, over: Partial<Record<string, string>> = {}) =>
  Object.entries({
    order_ref: ref,
    customer_name: 'Ada',
    ship_line1: 'Hauptstr. 1',
    ship_city: 'Berlin',
    ship_postal_code: '10115',
    ship_country: 'DE',
    currency: 'EUR',
    sku: 'TEE-M',
    quantity: '1',
    unit_price: '19.99',
    ...over,
  })
    .map(([, v]) => v)
    .join(',');
const CSV_CASES: [name: string, body: string, paths: string[]][] = [
  ['an empty CSV file', '', ['rows.1']],
  ['a CSV header only', `${CSV_HEADER}\n`, ['rows.1']],
  ['a CSV header with an unknown column', `${CSV_HEADER},colour\n${csvRow('HX-C1')},red\n`, ['rows.1.colour']],
  ['a CSV header missing a required column', 'order_ref,sku\nHX-C2,TEE-M\n', ['rows.1.currency', 'rows.1.unit_price']],
  ['a CSV quote left open', `${CSV_HEADER}\n"HX-C3,Ada\n`, ['rows.2']],
  ['a CSV row with too few fields', `${CSV_HEADER}\nHX-C4,Ada\n`, ['rows.2']],
  ['a CSV quantity of -1', `${CSV_HEADER}\n${csvRow('HX-C5', { quantity: '-1' })}\n`, ['rows.2.quantity']],
  ['a CSV quantity of 1e3', `${CSV_HEADER}\n${csvRow('HX-C6', { quantity: '1e3' })}\n`, ['rows.2.quantity']],
  ['a CSV price of NaN', `${CSV_HEADER}\n${csvRow('HX-C7', { unit_price: 'NaN' })}\n`, ['rows.2.unit_price']],
  ['a CSV price with a comma', `${CSV_HEADER}\n${csvRow('HX-C8', { unit_price: '"19,99"' })}\n`, ['rows.2.unit_price']],
  ['a CSV unknown sku', `${CSV_HEADER}\n${csvRow('HX-C9', { sku: 'NO-SUCH-SKU' })}\n`, ['rows.2.sku']],
  ['a CSV operator as a sku', `${CSV_HEADER}\n${csvRow('HX-C10', { sku: '{"$gt":""}' })}\n`, ['rows.2.sku']],
  ['a CSV order_ref with a space', `${CSV_HEADER}\n${csvRow('HX C11')}\n`, ['rows.2.order_ref']],
  [
    'CSV rows of one order disagreeing on currency',
    `${CSV_HEADER}\n${csvRow('HX-C12')}\n${csvRow('HX-C12', { currency: 'USD' })}\n`,
    ['rows.3.currency'],
  ],
  ['a CSV NUL byte in an order_ref', `${CSV_HEADER}\n${csvRow('HX\u0000C13')}\n`, ['rows.2.order_ref']],
  ['100,001 CSV rows', `${CSV_HEADER}\n${`${csvRow('HX-C14')}\n`.repeat(100_001)}`, ['rows.1']],
];
for (const [name, id] of [
  ['a malformed import id', 'imp_nope'],
  ['an operator as the import id', '%7B%22%24gt%22%3A%22%22%7D'],
  ['a NUL byte in the import id', `imp_${'0'.repeat(31)}%00`],
])
  add({ route: 'GET /imports/:id', name, send: call('get', `/imports/${id}`), status: 400, paths: ['id'] });
for (const [name, body, paths] of CSV_CASES)
  add({ route: 'POST /orders/import', name, send: call('post', '/orders/import', { body, type: 'text/csv' }), status: 400, paths });
fieldCases('POST /returns/:id/label', [
  ['trackingNumber', ''],
  ['trackingNumber', 'a'],
  ['trackingNumber', 'JJD<script>'],
  ['trackingNumber', GT],
  ['carrier', ''],
  ['carrier', GT],
  ['carrierConnectionId', 'Not A Connection'],
  ['carrierConnectionId', 'no-such-carrier'],
  ['trackingUrl', 'http://track.example/1'],
  ['trackingUrl', 'javascript:alert(1)'],
  ['labelUrl', 'https://labels.example/1.pdf'],
]);
fieldCases('POST /returns/:id/inspect', [
  ['lines', []],
  ['lines.0.disposition', 'burn'],
  ['lines.0.disposition', GT],
  ...QUANTITIES.map((q): FieldSpec => ['lines.0.quantity', q]),
  ['lines.0.reason', 'x'.repeat(501)],
  ['lines.0.reason', ''],
]);
fieldCases('POST /returns/:id/approve', [
  ['reason', ''],
  ['reason', GT],
  ['approve', false],
]);
fieldCases('PUT /metrics/order-costs', [
  ['costs', 'lots'],
  ['costs.0.month', '2026-13'],
  ['costs.0.month', '2026-12-01'],
  ['costs.0.amount', -1],
  ['costs.0.amount', 1.5],
  ['costs.0.amount', '100'],
  ['costs.0.amount', 1e300],
  ['costs.0.currency', 'eur'],
  ['costs.0.label', ''],
  ['costs.0.label', 'x'.repeat(101)],
  ['costs.0.$where', 'sleep(1000)', ['costs.0.$where']],
  ['costs', Array.from({ length: 1001 }, (_, i) => ({ month: '2026-12', label: `c${i}`, amount: 1, currency: 'EUR' }))],
]);
fieldCases('PUT /return-policy', [
  ['windowDays', -1],
  ['windowDays', 1.5],
  ['windowDays', GT],
  ['channelWindowDays', { 'Has Caps': 10 }, ['channelWindowDays.Has Caps']],
  ['channelWindowDays', { $where: 10 }, ['channelWindowDays.$where']],
  ['channelWindowDays.amazon', 'thirty'],
  ['reasons', []],
  ['reasons.0.code', 'Bad Code'],
  ['reasons.0.code', GT],
  ['reasons.0.approval', 'maybe'],
  [
    'reasons',
    [
      { code: 'damaged', label: 'a', approval: 'auto' },
      { code: 'damaged', label: 'b', approval: 'review' },
    ],
    ['reasons.1.code'],
  ],
  ['resolutions', ['refund', 'refund']],
  ['resolutions', ['cash'], ['resolutions.0']],
  ['returnLabel', 'always'],
  ['restockingFeeBasisPoints', 10_001],
  ['nonReturnableSkus.0', 'NOPE-404', ['nonReturnableSkus.0']],
  ['nonReturnableSkus.0', GT],
  ['allowBeforeDelivery', 'yes'],
  ['extra', true],
]);
fieldCases('PUT /carrier-rules', [
  ['rules', GT],
  ['rules.0.id', 'bad id!'],
  ['rules.0.regions', []],
  ['rules.0.regions.0.country', 'USA'],
  ['rules.0.mode', 'random'],
  ['rules.0.services', []],
  ['rules.0.services.0.carrier', GT],
  ['rules.0.services.0.carrier', 'nope', ['rules.0.services.0.carrier']],
  ['rules.0.services.0.carrier', CONN.a, ['rules.0.services.0.carrier']],
  [
    'rules.0.services',
    [
      { carrier: 'ep-hostile', service: 'Priority' },
      { carrier: 'ep-hostile', service: 'priority' },
    ],
    ['rules.0.services.1'],
  ],
  ['rules.0.$where', '1'],
]);
fieldCases('PUT /routing/postal-prefixes', [
  ['csv', 42],
  ['csv', GT],
  ['csv', ''],
  ['csv', 'country,prefix\nDE,10', ['line 1.latitude', 'line 1.longitude']],
  ['csv', 'country,prefix,latitude,longitude\nDE,10,91,13', ['line 2.latitude']],
  ['csv', 'country,prefix,latitude,longitude\nGermany,$gt,NaN,1e999', ['line 2.country', 'line 2.latitude', 'line 2.longitude']],
]);
fieldCases('POST /routing/simulate', [
  ['orderId', GT, ['orderId', 'channel', 'lines', 'shippingAddress']],
  ['channel', NE],
  ['lines', []],
  ['lines.0.sku', GT],
  ['shippingAddress.country', GT],
  ['shippingAddress.postalCode', NE],
  ['shippingAddress.latitude', 91],
  ['pickupLocationId', GT],
  ['excludedLocationIds', 'BER-1'],
  ['allowSplit', 'yes'],
  ['rules', [{ id: 'x' }], ['rules.0.name', 'rules.0.sort', 'rules.0.whenNothingFits']],
  ...QUANTITIES.map((v): FieldSpec => ['lines.0.quantity', v]),
]);
add({
  route: 'POST /routing/simulate',
  name: 'an unknown sku and unknown locations',
  send: json('post', '/routing/simulate', {
    ...validSimulation(),
    lines: [{ sku: 'GHOST', quantity: 1 }],
    pickupLocationId: 'NOWHERE',
    excludedLocationIds: ['BER-1', 'ELSEWHERE'],
  }),
  status: 400,
  paths: ['lines.0.sku', 'pickupLocationId', 'excludedLocationIds.1'],
});
add({
  route: 'POST /routing/simulate',
  name: 'an order id that does not exist',
  send: json('post', '/routing/simulate', { orderId: 'order:manual:NOPE-1' }),
  status: 404,
});

fieldCases('PUT /locations/:id/bins', [
  ['bins', 'A-01-1'],
  ['bins', []],
  ['bins', null],
  ['bins', GT, ['bins.$gt']],
  ['bins', Object.fromEntries(Array.from({ length: 10_001 }, (_, i) => [`S${i}`, 'A-01-1']))],
  ['bins.TEE-M', 'A-1'],
  ['bins.TEE-M', 'A-01-1; drop'],
  ['bins.TEE-M', ''],
  ['bins.TEE-M', 42],
  ['bins.TEE-M', null],
  ['bins.TEE-M', 'A-1000-1'],
  ['bins.TEE-M', { zone: 'A', aisle: -1, shelf: 1 }, ['bins.TEE-M.aisle']],
  ['bins.TEE-M', { zone: 'A', aisle: 1, shelf: 1, depth: 2 }, ['bins.TEE-M']],
  ['bins.TEE-M', NE],
  ['bins.GHOST', 'A-01-1'],
  ['bins.has space', 'A-01-1'],
  ['bins.$where', 'A-01-1'],
  ['bins.__proto__', 'A-01-1'],
  ['updatedBy', 'someone-else'],
]);
fieldCases('PUT /locations/:id/bins', [['bins.GHOST-2', 'A-01-2', ['bins.GHOST-1', 'bins.GHOST-2']]], {
  base: () => ({ bins: { 'TEE-M': 'A-01-1', 'GHOST-1': 'A-01-1' } }),
});
fieldCases('POST /picklists', [
  ['locationId', GT],
  ['locationId', 'NOWHERE'],
  ['locationId', 'BER 1'],
  ['locationId', 'x'.repeat(65)],
  ['locationId', 42],
  ['criteria', 'fast'],
  ['criteria', []],
  ['criteria.maxOrders', 0],
  ['criteria.maxOrders', 1001],
  ['criteria.maxOrders', '10'],
  ['criteria.orderSize', 'huge'],
  ['criteria.route', 'zigzag'],
  ['criteria.channels', []],
  ['criteria.channels', ['Has Caps'], ['criteria.channels.0']],
  ['criteria.channels', { $in: ['manual'] }],
  ['criteria.extra', 1],
  ['orderIds', [ORDER_ID]],
  ['id', 'PL-chosen-by-caller'],
]);
const IDEMPOTENCY_FIELDS: FieldSpec[] = [
  ['idempotencyKey', 'short'],
  ['idempotencyKey', 'has space 123'],
  ['idempotencyKey', 'x'.repeat(201)],
  ['idempotencyKey', GT],
];
fieldCases('POST /picklists/:id/scans', [
  ['code', ''],
  ['code', '   '],
  ['code', GT],
  ['code', 42],
  ['code', 'x'.repeat(65)],
  ['code', 'TEE M'],
  ['code', 'TEE\u0000M'],
  ['code', '$where'],
  ...QUANTITIES.map((v): FieldSpec => ['quantity', v]),
  ['quantity', 100_001],
  ...IDEMPOTENCY_FIELDS,
  ['sku', 'TEE-M'],
  ['picked', 5],
]);
fieldCases('POST /picklists/:id/short', [
  ...BAD_SKUS.map((v): FieldSpec => ['sku', v]),
  ...QUANTITIES.map((v): FieldSpec => ['missingQuantity', v]),
  ['missingQuantity', 100_001],
  ...IDEMPOTENCY_FIELDS,
  ['quantity', 1],
]);
fieldCases('POST /picklists/:id/close', [
  ['reason', ''],
  ['reason', 'x'.repeat(501)],
  ['reason', GT],
  ['released', ['order:manual:1']],
]);
rawCases('POST /picklists/:id/scans', [
  ['quantity', '1e999'],
  ['quantity', '-0'],
  ['code', '"TEE-M", "code": {"$gt": ""}', ['code']],
]);

fieldCases('POST /stock/receipts', [
  ...receiptSpecs('quantity'),
  ...QUANTITIES.map((v): FieldSpec => ['quantity', v]),
  ['quantity', 10_000_001],
]);
add({
  route: 'POST /stock/receipts',
  name: 'an unknown sku at an unknown location',
  send: json('post', '/stock/receipts', { ...validReceipt(), sku: 'GHOST', locationId: 'NOWHERE' }),
  status: 400,
  paths: ['sku', 'locationId'],
});
add({
  route: 'POST /stock/adjustments',
  name: 'an unknown sku at an unknown location',
  send: json('post', '/stock/adjustments', { ...validAdjustment(), sku: 'GHOST', locationId: 'NOWHERE' }),
  status: 400,
  paths: ['sku', 'locationId'],
});
rawCases('POST /stock/receipts', [
  ...RAW_QUANTITIES.map((raw): RawSpec => ['quantity', raw]),
  ['quantity', '-0'],
  ['sku', '"TEE-M", "sku": {"$gt": ""}', ['sku']],
]);
fieldCases('POST /stock/adjustments', [
  ...receiptSpecs('delta'),
  ...[0, 1.5, '5', null, 'NaN', true, { $gt: 0 }, 10_000_001, -10_000_001, 2 ** 53].map((v): FieldSpec => ['delta', v]),
  ['reason', 'theft'],
  ['reason', undefined],
  ['reason', 42],
  ['note', 'x'.repeat(1001)],
]);
rawCases('POST /stock/adjustments', [
  ['delta', '-0'],
  ['delta', '1e999'],
]);
const headerKeyCases: [string, string][] = [
  ['a 7-character Idempotency-Key header', 'short-7'],
  ['an Idempotency-Key header with a space', 'has space-123'],
  ['a 201-character Idempotency-Key header', 'k'.repeat(201)],
  ['an Idempotency-Key header with a Latin-1 letter', 'cl\u00e9-idempotency'],
];
for (const label of ['POST /stock/receipts', 'POST /stock/adjustments']) {
  const r = routeOf(label);
  for (const [name, value] of headerKeyCases) {
    const { idempotencyKey: _dropped, ...body } = r.validBody!() as { idempotencyKey: string };
    void _dropped;
    add({
      route: label,
      name,
      send: json(r.method, r.path, body, { headers: { 'Idempotency-Key': value } }),
      status: 400,
      paths: ['headers.idempotency-key'],
    });
  }
}

fieldCases('POST /api-keys', [
  ['name', ''],
  ['name', 'x'.repeat(65)],
  ['name', 42],
  ['name', null],
  ['name', GT],
  ['name', 'bad/name'],
  ['name', 'tab\tname'],
  ['name', '<script>alert(1)</script>'],
  ['name', 'caf\u00e9'],
  ['key', 'a-key-the-caller-chose'],
  ['admin', true],
]);

fieldCases('POST /api-keys', [
  ['role', 'root', ['role']],
  ['role', 'warehouse', ['locations']],
  ['locations', ['BER-1'], ['locations']],
  ['connections', [CONN.a], ['connections']],
  ['locations', ['$gt'], ['locations.0']],
]);
fieldCases('POST /users', [
  ['email', 'not-an-email'],
  ['email', { $gt: '' }],
  ['password', 'short'],
  ['password', 42],
  ['role', 'superuser'],
  ['role', 'warehouse', ['locations']],
  ['name', ''],
  ['passwordHash', 'scrypt$1$1$1$x$y'],
]);
// Sign-in: operators and wrong types refused by name; a wrong password or unknown email is one 401.
const signIn = (body: unknown) => json('post', '/session', body, { auth: null });
for (const [name, body, status, paths] of [
  ['email as an operator object', { email: { $gt: '' }, password: USER_PASSWORD }, 400, ['email']],
  ['password as an operator object', { email: USER_EMAIL, password: { $ne: null } }, 400, ['password']],
  ['an unknown field', { email: USER_EMAIL, password: USER_PASSWORD, role: 'admin' }, 400, ['role']],
  ['a wrong password', { email: USER_EMAIL, password: 'not the password' }, 401, undefined],
  ['an unknown email', { email: `nobody-${run}@example.com`, password: USER_PASSWORD }, 401, undefined],
  ['the email in another case with a wrong password', { email: USER_EMAIL.toUpperCase(), password: 'x' }, 401, undefined],
] as [string, unknown, number, string[] | undefined][]) {
  add({ route: 'POST /session', name, send: signIn(body), status, ...(paths && { paths }) });
}
add({
  route: 'GET /audit',
  name: 'a cursor that is not one',
  send: call('get', '/audit?cursor=%7B%22%24gt%22%3A%22%22%7D'),
  status: 400,
  paths: ['cursor'],
});
add({
  route: 'GET /audit',
  name: 'a span over 31 days',
  send: call('get', '/audit?from=2026-01-01T00:00:00Z&to=2026-03-01T00:00:00Z'),
  status: 400,
  paths: ['from'],
});
// bull-board, even for an admin: no file outside its assets, no queue it was not given.
for (const [name, path] of [
  ['an encoded path out of its assets', '/admin/queues/static/..%2f..%2f..%2f..%2fpackage.json'],
  ['a dotted path out of its assets', '/admin/queues/static/../../../../package.json'],
  ['a double-encoded path out of its assets', '/admin/queues/static/%252e%252e%252fpackage.json'],
]) {
  add({
    route: 'ALL /admin/queues',
    name,
    send: call('get', path),
    status: 0,
    check: (res) => expect(res.text ?? '').not.toMatch(/"dependencies"|"devDependencies"/),
  });
}
add({
  route: 'ALL /admin/queues',
  name: 'emptying a queue bull-board was not given',
  send: call('put', '/admin/queues/api/queues/orderhub-not-a-queue/empty'),
  status: 404,
  check: (res) => expect(res.status).toBe(404),
});
// Role escalation: narrower keys reaching for what their role or scope does not hold (403, nothing written).
const asWarehouse = `Bearer ${WAREHOUSE_KEY}`;
const asIntegration = `Bearer ${INTEGRATION_KEY}`;
for (const [route, name, send] of [
  [
    'POST /api-keys',
    'a warehouse key creating an admin key',
    json('post', '/api-keys', { name: 'mine', role: 'admin' }, { auth: asWarehouse }),
  ],
  [
    'POST /api-keys/:id/rotate',
    'a warehouse key rotating itself',
    call('post', `/api-keys/${WAREHOUSE_KEY_ID}/rotate`, { auth: asWarehouse }),
  ],
  [
    'POST /users',
    'a warehouse key creating an admin user',
    json(
      'post',
      '/users',
      { email: `w-${run}@example.com`, name: 'W', role: 'admin', password: 'a long enough password' },
      { auth: asWarehouse },
    ),
  ],
  ['GET /audit', 'a warehouse key reading the audit log', call('get', '/audit', { auth: asWarehouse })],
  [
    'GET /locations/:id/picklists',
    "a warehouse key scoped to BER-1 listing another location's picklists",
    call('get', '/locations/HAM-9/picklists', { auth: asWarehouse }),
  ],
  [
    'GET /locations/:id/picklists',
    "an integration key listing a location's picklists",
    call('get', '/locations/BER-1/picklists', { auth: asIntegration }),
  ],
  [
    'POST /stock/adjustments',
    'a warehouse key scoped to BER-1 adjusting elsewhere',
    json('post', '/stock/adjustments', { ...validAdjustment(), locationId: 'HAM-9' }, { auth: asWarehouse }),
  ],
  ['POST /orders', 'a warehouse key capturing an order', json('post', '/orders', validOrder(), { auth: asWarehouse })],
  ['GET /connections/:id', 'an integration key reading another connection', call('get', `/connections/${CONN.b}`, { auth: asIntegration })],
  [
    'PATCH /connections/:id',
    'an integration key changing its own connection',
    json('patch', `/connections/${CONN.a}`, { enabled: false }, { auth: asIntegration }),
  ],
  [
    'POST /webhooks/dead-letters/:id/replay',
    "an integration key replaying another connection's dead letter",
    call('post', `/webhooks/dead-letters/${encodeURIComponent(`${CONN.b}|x`)}/replay`, { auth: asIntegration }),
  ],
  ['POST /api-keys', 'an integration key creating a key', json('post', '/api-keys', { name: 'mine' }, { auth: asIntegration })],
  ['GET /dev/mail', "a warehouse key reading the local mail server's mailbox", call('get', '/dev/mail', { auth: asWarehouse })],
  [
    'POST /webhook-subscribers',
    'an integration key subscribing a URL to every order event',
    json('post', '/webhook-subscribers', { url: 'https://evil.example.com/x', events: ['order.status_changed'] }, { auth: asIntegration }),
  ],
  ['GET /webhook-subscribers', 'a warehouse key listing the subscribers', call('get', '/webhook-subscribers', { auth: asWarehouse })],
  [
    'POST /webhook-deliveries/:id/replay',
    'an integration key replaying an outbound delivery',
    json(
      'post',
      `/webhook-deliveries/${encodeURIComponent(`${ORDER_ID}|received|1|sub_0000000000000000`)}/replay`,
      {},
      { auth: asIntegration },
    ),
  ],
  ['GET /dev/mail', "an integration key reading the local mail server's mailbox", call('get', '/dev/mail', { auth: asIntegration })],
  [
    'POST /customer-notifications/:id/retry',
    'a warehouse key retrying a customer notification',
    json('post', NOTIFICATION_PATH.replace(/\/sent$/, '/retry'), {}, { auth: asWarehouse }),
  ],
  ['GET /metrics', 'a warehouse key reading the metrics', call('get', '/metrics', { auth: asWarehouse })],
  ['GET /metrics', 'an integration key reading the metrics', call('get', '/metrics', { auth: asIntegration })],
  ['GET /metrics/orders', "a warehouse key reading the business's order metrics", call('get', '/metrics/orders', { auth: asWarehouse })],
  ['GET /metrics/orders', 'an integration key reading the order metrics', call('get', '/metrics/orders', { auth: asIntegration })],
  [
    'PUT /metrics/order-costs',
    'a warehouse key setting the costs behind cost per order',
    json('put', '/metrics/order-costs', { costs: [] }, { auth: asWarehouse }),
  ],
  ['ALL /admin/queues', 'a warehouse key opening bull-board', call('get', '/admin/queues', { auth: asWarehouse })],
  [
    'ALL /admin/queues',
    "an integration key reading the webhook queue's jobs through bull-board's API",
    call('get', '/admin/queues/api/queues?activeQueue=orderhub-webhooks&status=waiting&page=1', { auth: asIntegration }),
  ],
  [
    'ALL /admin/queues',
    'a warehouse key emptying the webhook queue through bull-board',
    call('put', '/admin/queues/api/queues/orderhub-webhooks/empty', { auth: asWarehouse }),
  ],
  [
    'ALL /admin/queues',
    'an integration key removing the waiting webhook jobs through bull-board',
    call('put', '/admin/queues/api/queues/orderhub-webhooks/clean/waiting', { auth: asIntegration }),
  ],
] as [string, string, HostileCase['send']][]) {
  add({ route, name, send, status: 403 });
}

fieldCases('POST /connections', [
  ['id', 'UPPER'],
  ['id', 'x'.repeat(33)],
  ['id', '-leading'],
  ['id', GT],
  ['id', 'a b'],
  ['id', 'caf\u00e9'],
  ['id', 'a\u200bb'],
  ['kind', 'magento'],
  ['kind', 42],
  ['name', ''],
  ['name', 'x'.repeat(201)],
  ['options', 'shop'],
  ['options', []],
  ['options', null],
  ['options.shopDomain', 'evil.example.com'],
  ['options.shopDomain', 42],
  ['options.shopDomain', 'https://x.myshopify.com'],
  ['options.apiVersion', '2024-13'],
  ['options.notifyCustomer', 'yes'],
  ['options.extra', 1],
  ['options.shopDomain', GT],
  ['credentials', undefined],
  ['credentials', 'token'],
  ['credentials.accessToken', 42],
  ['credentials.accessToken', '   '],
  ['credentials.webhookSecret', ''],
  ['credentials.extra', 'x'],
  ['stockFeeds', 'BER-1'],
  ['stockFeeds', [{}], ['stockFeeds.0.channelLocationId', 'stockFeeds.0.locationIds']],
  ['stockFeeds.0.locationIds', []],
  ['stockFeeds.0.locationIds', ['NOWHERE'], ['stockFeeds.0.locationIds.0']],
  ['stockFeeds.0.locationIds', [GT], ['stockFeeds.0.locationIds.0']],
  ['stockFeeds.0.channelLocationId', 'x'.repeat(65)],
  ['safetyBuffer', -1],
  ['safetyBuffer', 1.5],
  ['safetyBuffer', '2'],
  ['safetyBuffer', 1_000_001],
  ['sync', 'fast'],
  ['sync', { ordersEveryMinutes: 0 }, ['sync.ordersEveryMinutes']],
  ['sync', { ordersEveryMinutes: 1441 }, ['sync.ordersEveryMinutes']],
  ['sync', { stockEveryMinutes: 0.5 }, ['sync.stockEveryMinutes']],
  ['sync', { everySeconds: 1 }, ['sync.everySeconds']],
  ['enabled', 'yes'],
  ['credentialFields', ['accessToken']],
  ['ordersCursor', '2099-01-01T00:00:00Z'],
  ['lastOrdersPoll', { ok: true, captured: 0, at: '2099-01-01T00:00:00Z' }],
  ['_id', 'x'],
]);
fieldCases(
  'POST /connections',
  [
    ['options', { baseUrl: 'ftp://erp.example.com' }, ['options.baseUrl']],
    ['options', { baseUrl: 'https://erp.example.com', requestsPerSecond: 0 }, ['options.requestsPerSecond']],
    ['credentials', { apiKey: '' }, ['credentials.apiKey']],
  ],
  {
    base: () => ({
      id: next('hx-erp').replace(/^hx-erp-/, 'hx-erp'),
      kind: 'erp',
      name: 'ERP',
      options: { baseUrl: 'https://erp.example.com' },
      credentials: { apiKey: 'k' },
    }),
  },
);
rawCases('POST /connections', [
  ['options', '{"__proto__": {"shopDomain": "hx-proto.myshopify.com"}}', ['options.shopDomain']],
  ['credentials', '{"__proto__": {"accessToken": "t", "webhookSecret": "s"}}', ['credentials.accessToken', 'credentials.webhookSecret']],
  ['credentials', '{"constructor": {"prototype": {"polluted": true}}}', ['credentials']],
]);
fieldCases('PATCH /connections/:id', [
  ['name', ''],
  ['name', 42],
  ['options', { shopDomain: 'evil.example.com' }, ['options.shopDomain']],
  ['options', {}, ['options.shopDomain']],
  ['options', 'x'],
  ['credentials', { accessToken: 'only-the-token' }, ['credentials.webhookSecret']],
  ['credentials', { accessToken: 't', webhookSecret: '' }, ['credentials.webhookSecret']],
  ['credentials', [], ['credentials']],
  ['stockFeeds', [{ channelLocationId: '1', locationIds: ['NOWHERE'] }], ['stockFeeds.0.locationIds.0']],
  ['stockFeeds', [{ channelLocationId: '1', locationIds: [] }], ['stockFeeds.0.locationIds']],
  ['safetyBuffer', -1],
  ['sync', { ordersEveryMinutes: 0 }, ['sync.ordersEveryMinutes']],
  ['sync', 'x'],
  ['enabled', 'no'],
  ['id', 'hx-renamed'],
  ['kind', 'amazon'],
  ['credentialFields', []],
  ['createdAt', '2000-01-01T00:00:00Z'],
]);

const EVENT_FIELDS: FieldSpec[] = [
  ['type', 'teleported'],
  ['type', { $in: ['picked', 'delivered'] }],
  ['type', 42],
  ['type', 'shipped', ['carrier', 'trackingNumber']],
  ['carrier', 'x'.repeat(65)],
  ['carrier', ''],
  ['trackingNumber', 'has space'],
  ['trackingNumber', 'x'.repeat(65)],
  ['trackingNumber', '\u0000\u0001'],
  ['at', '2020-01-01T00:00:00Z'],
  ['parcels', [{ weightGrams: 500, lengthMm: 10, widthMm: 10, heightMm: 10 }]],
  ['parcels', []],
  ['parcels', 'one box'],
  ['part', '0'],
  ['part', 1],
  ['part', GT],
  ['part', '1'], // the order is not split
];
fieldCases('POST /orders/:id/events', EVENT_FIELDS);
fieldCases('POST /orders/:id/allocation/reject', [
  ['reason', 'dropped'],
  ['reason', GT],
  ['skus', []],
  ['skus', 'TEE-M'],
  ['skus.0', GT],
  ['note', 'x'.repeat(501)],
  ['locationId', 'BER 1'],
  ['locationId', GT],
  ['locationId', 42],
  ['part', '0'],
  ['part', GT],
  ['part', 2],
]);
fieldCases('POST /orders/:id/lines/cancel', [
  ['lines', []],
  ['lines', 'TEE-M'],
  ['lines', GT],
  ['lines', Array.from({ length: 501 }, (_, i) => ({ sku: `S-${i}`, quantity: 1 }))],
  ['lines.0', GT, ['lines.0.sku']],
  ['lines.0.sku', GT],
  ['lines.0.sku', 'a b'],
  ['lines.0.sku', 'x'.repeat(65)],
  ...QUANTITIES.map((q): FieldSpec => ['lines.0.quantity', q]),
  ['lines.0.quantity', 100_001],
  ['lines.0.price', 1],
  ['lines.1', { sku: 'TEE-M', quantity: 1 }, ['lines.1.sku']],
  ['reason', ''],
  ['reason', 'x'.repeat(501)],
  ['reason', GT],
  ['refund', 100],
]);
rawCases(
  'POST /orders/:id/lines/cancel',
  RAW_QUANTITIES.map((raw): RawSpec => ['lines.0.quantity', raw]),
);
fieldCases('POST /orders/:id/pickup', [
  ['by', ''],
  ['by', 42],
  ['by', GT],
  ['at', 'now'],
]);
fieldCases('POST /orders', [
  ['fulfillment', 'pickup'],
  ['fulfillment', { method: 'teleport' }, ['fulfillment.method']],
  ['fulfillment', { method: 'pickup' }, ['fulfillment.pickupLocationId']],
  ['fulfillment', { method: 'ship', pickupLocationId: 'BER-1' }, ['fulfillment.pickupLocationId']],
  ['fulfillment', { method: 'pickup', pickupLocationId: GT }, ['fulfillment.pickupLocationId']],
  ['fulfillment', { method: 'pickup', pickupLocationId: 'NOWHERE' }, ['fulfillment.pickupLocationId']],
  ['fulfillment', { method: 'pickup', pickupLocationId: 'BER-1' }, ['fulfillment.pickupLocationId']],
  ['fulfillment', { method: 'pickup', pickupLocationId: 'BER-1', when: 'now' }, ['fulfillment.when']],
  ['fulfillment', { method: 'ship', allowSplit: 'yes' }, ['fulfillment.allowSplit']],
  ['fulfillment', { method: 'pickup', pickupLocationId: 'BER-1', allowSplit: true }, ['fulfillment.allowSplit']],
]);
const validPacked = () => ({ type: 'packed', parcels: [{ weightGrams: 500, lengthMm: 300, widthMm: 200, heightMm: 100 }] });
fieldCases(
  'POST /orders/:id/events',
  [
    ['parcels.0.weightGrams', 0],
    ['parcels.0.weightGrams', 1.5],
    ['parcels.0.weightGrams', GT],
    ['parcels.0.lengthMm', -1],
    ['parcels.0.heightMm', '100'],
    ['parcels.0.depthMm', 5],
  ],
  { base: validPacked },
);
const REASON_FIELDS: FieldSpec[] = [
  ['reason', ''],
  ['reason', 'x'.repeat(501)],
  ['reason', 42],
  ['reason', GT],
  ['reason', ['a']],
  ['force', true],
];
for (const label of ['POST /orders/:id/cancel', 'POST /orders/:id/hold', 'POST /orders/:id/payment/decline'])
  fieldCases(label, REASON_FIELDS);
fieldCases('POST /orders/:id/payment/confirm', [
  ['reference', ''],
  ['reference', 'x'.repeat(129)],
  ['reference', 42],
  ['amount', 1],
  ['status', 'captured'],
]);

// ---- ids in URLs: operators, encodings, control and unicode characters, unknown ids ----

type IdSpec = [name: string, segment: string, status: number];
const ORDER_IDS: IdSpec[] = [
  ['an operator object as id', OPERATOR_IN_URL, 400],
  ['an empty channel order id', 'order:manual:', 400],
  ['an upper-case prefix', 'ORDER:manual:x', 400],
  ['a 129-character channel order id', `order:manual:${'x'.repeat(129)}`, 400],
  ['a NUL byte in the id', 'order:manual:a%00b', 400],
  ['a right-to-left override in the id', 'order:manual:%E2%80%AEx', 400],
  ['a space in the id', 'order:manual:a%20b', 400],
  ['a CRLF header injection in the id', 'order:manual:a%0D%0ASet-Cookie:%20x=1', 400],
  ['a path traversal id', '..%2F..%2Fetc%2Fpasswd', 400],
  ['an unknown order', `order:manual:NOPE-${run}`, 404],
];
const withIdPaths = (specs: IdSpec[], param: string) => specs.map(([n, s, st]) => ({ n, s, st, paths: st === 400 ? [param] : undefined }));
const RETURN_IDS: IdSpec[] = [
  ['an operator object as id', OPERATOR_IN_URL, 400],
  ['a bare order id', encodeURIComponent(ORDER_ID), 400],
  ['return number 0', encodeURIComponent(`return:${ORDER_ID}:0`), 400],
  ['a NUL byte in the id', `${encodeURIComponent(`return:${ORDER_ID}:1`)}%00`, 400],
  ['an upper-case prefix', encodeURIComponent(`RETURN:${ORDER_ID}:1`), 400],
  ['an unknown return', encodeURIComponent(`return:${ORDER_ID}:7`), 404],
];
for (const r of ROUTES.filter((x) => x.path.startsWith(RETURN_PATH))) {
  for (const { n, s, st, paths } of withIdPaths(RETURN_IDS, 'id')) {
    const path = r.path.replace(RETURN_PATH, `/returns/${s}`);
    add({
      route: r.route,
      name: n,
      send: r.validBody ? json(r.method, path, r.validBody()) : call(r.method, path),
      status: st,
      ...(paths && { paths }),
    });
  }
}
for (const r of ROUTES.filter((x) => x.path.startsWith(existing))) {
  for (const { n, s, st, paths } of withIdPaths(ORDER_IDS, 'id')) {
    const path = r.path.replace(existing, `/orders/${s}`);
    add({
      route: r.route,
      name: n,
      send: r.validBody ? json(r.method, path, r.validBody()) : call(r.method, path),
      status: st,
      ...(paths && { paths }),
    });
  }
  add({
    route: r.route,
    name: 'a broken percent escape in the id',
    send: call(r.method, r.path.replace(existing, '/orders/order:manual:%E0%A4%A')),
    status: 400,
  });
}

const SKU_IDS: IdSpec[] = [
  ['an operator object as sku', OPERATOR_IN_URL, 400],
  ['a $ operator as sku', '%24gt', 400],
  ['a 65-character sku', 'x'.repeat(65), 400],
  ['a space in the sku', 'a%20b', 400],
  ['a CRLF header injection in the sku', 'a%0D%0ASet-Cookie:%20x=1', 400],
  ['a NUL byte in the sku', 'a%00b', 400],
  ['full-width letters in the sku', '%EF%BC%B4%EF%BC%A5%EF%BC%A5', 400],
  ['a path traversal sku', '..%2F..%2Fetc%2Fpasswd', 400],
  ['an unknown sku', `GHOST-${run}`, 404],
];
for (const [label, tmpl] of [
  ['GET /items/:sku', '/items/@'],
  ['GET /stock/:sku', '/stock/@'],
  ['GET /stock/:sku/ledger', '/stock/@/ledger'],
  ['GET /stock/:sku/locations/:locationId/ledger', '/stock/@/locations/BER-1/ledger'],
] as const) {
  for (const { n, s, st, paths } of withIdPaths(SKU_IDS, 'sku'))
    add({ route: label, name: n, send: call('get', tmpl.replace('@', s)), status: st, ...(paths && { paths }) });
  add({ route: label, name: 'an invalid UTF-8 escape in the sku', send: call('get', tmpl.replace('@', '%FF')), status: 400 });
}
const LOCATION_IDS: IdSpec[] = [
  ['an operator object as id', OPERATOR_IN_URL, 400],
  ['a $where as id', '%24where', 400],
  ['a dot in the id', 'a.b', 400],
  ['a 65-character id', 'x'.repeat(65), 400],
  ['an emoji id', '%F0%9F%92%A9', 400],
  ['a NUL byte in the id', 'a%00', 400],
  ['an unknown location', `NOWHERE-${run}`, 404],
];
for (const { n, s, st, paths } of withIdPaths(LOCATION_IDS, 'locationId'))
  add({
    route: 'GET /stock/:sku/locations/:locationId/ledger',
    name: n,
    send: call('get', `/stock/TEE-M/locations/${s}/ledger`),
    status: st,
    ...(paths && { paths }),
  });
for (const { n, s, st, paths } of withIdPaths(LOCATION_IDS, 'id'))
  add({ route: 'GET /locations/:id', name: n, send: call('get', `/locations/${s}`), status: st, ...(paths && { paths }) });
for (const r of ROUTES.filter((x) => x.path === '/locations/BER-1/bins' || x.path === '/locations/BER-1/picklists')) {
  for (const { n, s, st, paths } of withIdPaths(LOCATION_IDS, 'id')) {
    const path = r.path.replace('/locations/BER-1/', `/locations/${s}/`);
    add({
      route: r.route,
      name: n,
      send: r.validBody ? json(r.method, path, r.validBody()) : call(r.method, path),
      status: st,
      ...(paths && { paths }),
    });
  }
}

const PICKLIST_IDS: IdSpec[] = [
  ['an operator object as id', OPERATOR_IN_URL, 400],
  ['a $where as id', '%24where', 400],
  ['a bare prefix', 'PL-', 400],
  ['a lower-case prefix', PICKLIST_ID.replace('PL-', 'pl-'), 400],
  ['upper-case hex in the id', PICKLIST_ID.replace(/[0-9a-f]{6}$/, 'ABCDEF'), 400],
  ['a 300-character id', `PL-${'x'.repeat(297)}`, 400],
  ['a NUL byte in the id', `${PICKLIST_ID}%00`, 400],
  ['a pipe in the id (the event key separator)', `${PICKLIST_ID}%7C000001`, 400],
  ['an unknown picklist', UNKNOWN_PICKLIST_ID, 404],
];
for (const r of ROUTES.filter((x) => x.path.startsWith(`/picklists/${PICKLIST_ID}`))) {
  for (const { n, s, st, paths } of withIdPaths(PICKLIST_IDS, 'id')) {
    const path = r.path.replace(PICKLIST_ID, s);
    add({
      route: r.route,
      name: n,
      send: r.validBody ? json(r.method, path, r.validBody()) : call(r.method, path),
      status: st,
      ...(paths && { paths }),
    });
  }
}

const DOCUMENT_IDS: IdSpec[] = [
  ['an operator object as id', OPERATOR_IN_URL, 400],
  ['an id without a kind', 'invoice-1', 400],
  ['an unknown kind', encodeURIComponent(`doc:receipt:${ORDER_ID}`), 400],
  ['a shipping label for an order not labelled yet', encodeURIComponent(`doc:shipping_label:${ORDER_ID}`), 404],
  ['an invoice for one part', encodeURIComponent(`doc:invoice:${ORDER_ID}|part:1`), 400],
  ['a packing slip with a parcel', encodeURIComponent(`doc:packing_slip:${ORDER_ID}|parcel:2`), 400],
  ['a label for part 0', encodeURIComponent(`doc:shipping_label:${ORDER_ID}|part:0`), 400],
  ['a packing slip for a part of an unsplit order', encodeURIComponent(`doc:packing_slip:${ORDER_ID}|part:1`), 404],
  ['an invoice for a malformed order id', encodeURIComponent('doc:invoice:ORDER:manual:1'), 400],
  ['a picklist document for a malformed picklist id', encodeURIComponent('doc:picklist:PL-nope'), 400],
  ['a packing slip for a path traversal id', encodeURIComponent('doc:packing_slip:../../etc/passwd'), 400],
  ['a 301-character id', encodeURIComponent(`doc:invoice:order:manual:${'x'.repeat(276)}`), 400],
  ['a NUL byte in the id', `${encodeURIComponent(`doc:invoice:${ORDER_ID}`)}%00`, 400],
  ['an invoice for an unknown order', encodeURIComponent(`doc:invoice:order:manual:NOPE-${run}`), 404],
  ['a picklist document for an unknown picklist', encodeURIComponent(`doc:picklist:${UNKNOWN_PICKLIST_ID}`), 404],
  ['a return authorisation for an order id, not a return id', encodeURIComponent(`doc:return_authorisation:${ORDER_ID}`), 400],
  ['a credit note for return number 0', encodeURIComponent(`doc:credit_note:return:${ORDER_ID}:0`), 400],
  ['a credit note for a return with a part', encodeURIComponent(`doc:credit_note:return:${ORDER_ID}:1|part:1`), 400],
  ['a return authorisation for a malformed order id', encodeURIComponent('doc:return_authorisation:return:ORDER:manual:1:1'), 400],
  ['a return authorisation for an unknown return', encodeURIComponent(`doc:return_authorisation:return:${ORDER_ID}:99`), 404],
];
for (const { n, s, st, paths } of withIdPaths(DOCUMENT_IDS, 'id'))
  add({ route: 'GET /documents/:id', name: n, send: call('get', `/documents/${s}`), status: st, ...(paths && { paths }) });

const CONNECTION_IDS: IdSpec[] = [
  ['an operator object as id', OPERATOR_IN_URL, 400],
  ['an upper-case id', 'UPPER', 400],
  ['a 33-character id', 'x'.repeat(33), 400],
  ['a leading dash', '-leading', 400],
  ['a NUL byte in the id', 'a%00', 400],
  ['an accented id', 'caf%C3%A9', 400],
  ['an unknown connection', `hx-none-${run}`, 404],
];
for (const r of ROUTES.filter((x) => x.path.startsWith(`/connections/${CONN.a}`))) {
  for (const { n, s, st, paths } of withIdPaths(CONNECTION_IDS, 'id')) {
    const path = r.path.replace(CONN.a, s);
    add({
      route: r.route,
      name: n,
      send: r.validBody ? json(r.method, path, r.validBody()) : call(r.method, path),
      status: st,
      ...(paths && { paths }),
    });
  }
}

// ---- query strings: operators, repeated and unknown parameters, out-of-range numbers ----

type QuerySpec = [query: string, paths: string[]];
function queryCases(label: string, path: string, specs: QuerySpec[]) {
  for (const [q, paths] of specs) add({ route: label, name: `?${q}`, send: call('get', `${path}?${q}`), status: 400, paths });
}
const LIMIT_QUERIES = (max: number): QuerySpec[] => [
  ['limit[$gt]=0', ['limit[$gt]']],
  ['limit=0', ['limit']],
  ['limit=-1', ['limit']],
  ['limit=1.5', ['limit']],
  [`limit=${max + 1}`, ['limit']],
  ['limit=abc', ['limit']],
  ['limit=NaN', ['limit']],
  ['limit=Infinity', ['limit']],
  ['limit=', ['limit']],
  ['limit=1&limit=2', ['limit']],
  ['limit=1e400', ['limit']],
  ['__proto__[polluted]=1', ['__proto__[polluted]']],
  ['__proto__=x', ['__proto__']],
];
queryCases('GET /orders', '/orders', [
  ...LIMIT_QUERIES(200),
  ['status[$ne]=completed', ['status[$ne]']],
  ['status=%7B%22%24ne%22%3A1%7D', ['status']],
  ['status=bogus', ['status']],
  ['status=received&status=completed', ['status']],
  ['channel[$regex]=.*', ['channel[$regex]']],
  ['channel=UPPER', ['channel']],
  ['sku[$ne]=x', ['sku[$ne]']],
  ['sku=%24gt', ['sku']],
  ['sku=A&sku=B', ['sku']],
  ['from=yesterday', ['from']],
  ['from=2024-02-30T10:00:00Z', ['from']],
  ['to[$gt]=', ['to[$gt]']],
  ['cursor=%24gt', ['cursor']],
  [`cursor=${'c'.repeat(401)}`, ['cursor']],
  ['cursor[$ne]=x', ['cursor[$ne]']],
  ['where=this.status%3D%3D%27x%27', ['where']],
  ['customer[$ne]=x', ['customer[$ne]']],
  ['customer=ada%40example.com&customer=bob%40example.com', ['customer']],
  ['customer=', ['customer']],
  ['customer=%20%20', ['customer']],
  ['customer=two%20words', ['customer']],
  ['customer=ada%00%40example.com', ['customer']],
  [`customer=${'c'.repeat(129)}`, ['customer']],
  [`customer=${'a'.repeat(250)}%40example.com`, ['customer']],
]);
queryCases('GET /metrics/orders', '/metrics/orders', [
  ['from=yesterday', ['from']],
  ['from=2026-02-30', ['from']],
  ['to=2026-13-01', ['to']],
  ['from=2026-12-05&to=2026-12-01', ['from']],
  ['from=2025-01-01&to=2026-12-01', ['from']],
  ['from[$gt]=2026-01-01', ['from[$gt]']],
  ['from=2026-12-01&from=2026-12-02', ['from']],
  ['channel=UPPER', ['channel']],
  ['channel[$regex]=.*', ['channel[$regex]']],
  [`channel=${'c'.repeat(33)}`, ['channel']],
  ['status=shipped', ['status']],
  ['__proto__[polluted]=1', ['__proto__[polluted]']],
]);
// The late orders' query is Temporal's (OrderLate = true): nothing of the request reaches it but the limit.
queryCases('GET /orders/late', '/orders/late', [
  ...LIMIT_QUERIES(500),
  ['status=needs_attention', ['status']],
  ['query=OrderLate%20%3D%20false', ['query']],
]);
queryCases('GET /stock/:sku/ledger', '/stock/TEE-M/ledger', [
  ...LIMIT_QUERIES(1000),
  ['locationId[$ne]=x', ['locationId[$ne]']],
  ['locationId=%24where', ['locationId']],
  ['locationId=A&locationId=B', ['locationId']],
  ['type=receipt', ['type']],
]);
queryCases('GET /stock/:sku/locations/:locationId/ledger', '/stock/TEE-M/locations/BER-1/ledger', [
  ...LIMIT_QUERIES(100),
  ['before=0', ['before']],
  ['before=-1', ['before']],
  ['before=1.5', ['before']],
  ['before=abc', ['before']],
  ['before=', ['before']],
  ['before=1e400', ['before']],
  ['before[$lt]=5', ['before[$lt]']],
  ['before=5&before=3', ['before']],
  ['order=oldest', ['order']],
]);
queryCases('GET /low-stock', '/low-stock', [
  ['locationId[$ne]=x', ['locationId[$ne]']],
  ['locationId=%24where', ['locationId']],
  ['locationId=A&locationId=B', ['locationId']],
  [`locationId=${'x'.repeat(65)}`, ['locationId']],
  ['sku=TEE-M', ['sku']],
  ['__proto__[polluted]=1', ['__proto__[polluted]']],
]);
queryCases('GET /locations/:id/picklists', '/locations/BER-1/picklists', [...LIMIT_QUERIES(100), ['status=open', ['status']]]);
queryCases('GET /customer-notifications', '/customer-notifications', [
  ...LIMIT_QUERIES(500),
  ['status=queued', ['status']],
  ['status[$ne]=sent', ['status[$ne]']],
  ['orderId=ORDER:manual:1', ['orderId']],
  ['orderId[$regex]=.*', ['orderId[$regex]']],
  ['to=ada%40example.com', ['to']],
]);
fieldCases('POST /customer-notifications/:id/sent', [
  ['status', 'sent'],
  ['sentAt', '2020-01-01T00:00:00Z'],
]);
for (const [n, id, st] of [
  ['an operator object as id', OPERATOR_IN_URL, 400],
  ['a bare order id', encodeURIComponent(ORDER_ID), 400],
  ['an unknown kind', encodeURIComponent(`${ORDER_ID}|paid`), 400],
  ['part 0', encodeURIComponent(`${ORDER_ID}|shipped|part:0`), 400],
  ['a NUL byte in the id', `${encodeURIComponent(`${ORDER_ID}|shipped`)}%00`, 400],
  ['a malformed order id', encodeURIComponent('ORDER:manual:1|shipped'), 400],
  ['an unknown notification', encodeURIComponent(`${ORDER_ID}|shipped|part:7`), 404],
] as IdSpec[]) {
  add({
    route: 'POST /customer-notifications/:id/sent',
    name: n,
    send: json('post', `/customer-notifications/${id}/sent`, {}),
    status: st,
    ...(st === 400 && { paths: ['id'] }),
  });
}
fieldCases(
  'POST /customer-notifications/:id/retry',
  [
    ['status', 'pending'],
    ['retries', 0],
  ],
  { path: NOTIFICATION_PATH.replace(/\/sent$/, '/retry') },
);
for (const [n, id, st] of [
  ['an operator object as id', OPERATOR_IN_URL, 400],
  ['an unknown kind', encodeURIComponent(`${ORDER_ID}|paid`), 400],
  ['a NUL byte in the id', `${encodeURIComponent(`${ORDER_ID}|shipped`)}%00`, 400],
  ['an unknown notification', encodeURIComponent(`${ORDER_ID}|shipped|part:7`), 404],
] as IdSpec[]) {
  add({
    route: 'POST /customer-notifications/:id/retry',
    name: n,
    send: json('post', `/customer-notifications/${id}/retry`, {}),
    status: st,
    ...(st === 400 && { paths: ['id'] }),
  });
}
queryCases('GET /orders/:id/notifications', `${existing}/notifications`, [
  ['status=sent', ['status']],
  ['orderId[$ne]=x', ['orderId[$ne]']],
]);
for (const [n, id, st] of [
  ['an operator object as order id', OPERATOR_IN_URL, 400],
  ['a malformed order id', encodeURIComponent('ORDER:manual:1'), 400],
] as IdSpec[]) {
  add({ route: 'GET /orders/:id/notifications', name: n, send: call('get', `/orders/${id}/notifications`), status: st, paths: ['id'] });
}
fieldCases('POST /webhook-subscribers', [
  ['url', 'not a url'],
  ['url', 'ftp://crm.example.com/hooks'],
  ['url', 'javascript:alert(1)'],
  ['url', { $ne: '' }],
  ['url', `https://crm.example.com/${'x'.repeat(2100)}`],
  ['events', []],
  ['events', 'order.status_changed'],
  ['events', ['order.teleported'], ['events.0']],
  ['events', [{ $ne: '' }], ['events.0']],
  ['description', 'x'.repeat(201)],
  ['secret', 'whsec_mine'],
  ['enabled', false],
]);
for (const [n, id, st] of [
  ['an operator object as id', OPERATOR_IN_URL, 400],
  ['a NUL byte in the id', 'sub_0000000000000000%00', 400],
  ['an upper-case id', 'SUB_0000000000000000', 400],
  ['an unknown subscriber', 'sub_0000000000000000', 404],
] as IdSpec[]) {
  for (const action of ['disable', 'rotate-secret']) {
    add({
      route: `POST /webhook-subscribers/:id/${action}`,
      name: n,
      send: json('post', `/webhook-subscribers/${id}/${action}`, {}),
      status: st,
      ...(st === 400 && { paths: ['id'] }),
    });
  }
}
for (const [n, id, st] of [
  ['an operator object as id', OPERATOR_IN_URL, 400],
  ['an event id without a subscriber', encodeURIComponent(`${ORDER_ID}|received|1`), 400],
  ['a NUL byte in the id', `${encodeURIComponent(`${ORDER_ID}|received|1|sub_0000000000000000`)}%00`, 400],
  ['an unknown delivery', encodeURIComponent(`${ORDER_ID}|received|1|sub_0000000000000000`), 404],
] as IdSpec[]) {
  add({
    route: 'POST /webhook-deliveries/:id/replay',
    name: n,
    send: json('post', `/webhook-deliveries/${id}/replay`, {}),
    status: st,
    ...(st === 400 && { paths: ['id'] }),
  });
}
queryCases('GET /webhook-subscribers', '/webhook-subscribers', [['enabled=true', ['enabled']]]);
queryCases('GET /dev/mail', '/dev/mail', [
  ...LIMIT_QUERIES(500),
  ['to=not-an-address', ['to']],
  ['to[$ne]=x', ['to[$ne]']],
  ['to=a%40example.com&to=b%40example.com', ['to']],
]);
queryCases('GET /webhooks/dead-letters', '/webhooks/dead-letters', [...LIMIT_QUERIES(500), ['status=queued', ['status']]]);
queryCases('GET /connections/:id/stock-sync', `/connections/${CONN.a}/stock-sync`, [
  ['sku[$ne]=x', ['sku[$ne]']],
  ['sku=%24gt', ['sku']],
  ['sku=A&sku=B', ['sku']],
  ['sku=a%00', ['sku']],
  ['limit=5', ['limit']],
]);

// ---- things that are well formed but refer to what is not there, or to a state that does not allow them ----

const conflict = (route: string, name: string, send: HostileCase['send'], code = 'conflict') =>
  add({ route, name, send, status: 409, code });
conflict('POST /locations', 'a location id that exists', json('post', '/locations', { ...validLocation(), id: 'BER-1' }));
conflict(
  'POST /stock/quarantine',
  'releasing units that are not in quarantine',
  json('post', '/stock/quarantine', { sku: 'TEE-M', locationId: 'BER-1', quantity: 1, decision: 'release' }),
);
conflict('POST /items', 'a sku that exists', json('post', '/items', { sku: 'TEE-M', name: 'Overwritten' }));
conflict('POST /connections', 'a connection id that exists', json('post', '/connections', { ...validConnection(), id: CONN.a }));
conflict(
  'POST /stock/adjustments',
  'an adjustment taking on hand below zero',
  json('post', '/stock/adjustments', { ...validAdjustment(), delta: -6, reason: 'lost' }),
);
conflict(
  'POST /stock/adjustments',
  'the largest negative adjustment',
  json('post', '/stock/adjustments', { ...validAdjustment(), delta: -10_000_000, reason: 'lost' }),
);
conflict('POST /orders/:id/retry', 'retry of an order that is not stuck', call('post', `${existing}/retry`));
conflict('POST /orders/:id/events', 'picked before release', json('post', `${existing}/events`, { type: 'picked' }));
conflict(
  'POST /orders/:id/allocation/reject',
  'an order not yet reserved',
  json('post', `${existing}/allocation/reject`, { reason: 'damaged' }),
);
conflict('POST /orders/:id/pickup', 'a shipped order is not collected', json('post', `${existing}/pickup`, {}));
conflict(
  'POST /orders/:id/drop-ship/reroute',
  'a re-route of an order no supplier ships',
  json('post', `${existing}/drop-ship/reroute`, { supplierId: DS_SUPPLIER }),
);
fieldCases('POST /orders/:id/drop-ship/reroute', [
  ['supplierId', 'nobody'],
  ['supplierId', SUPPLIER],
  ['supplierId', GT],
  ['supplierId', 'a|b'],
  ['part', '0'],
  ['part', 1],
  ['part', GT],
  ['locationId', 'BER-1'],
]);
conflict('POST /orders/:id/events', 'delivered before shipment', json('post', `${existing}/events`, { type: 'delivered' }));
conflict(
  'POST /orders/:id/payment/confirm',
  'confirming a payment nobody waits for',
  json('post', `${existing}/payment/confirm`, { reference: 'PAY-1' }),
);
conflict(
  'POST /orders/:id/payment/decline',
  'declining a payment nobody waits for',
  json('post', `${existing}/payment/decline`, { reason: 'fraud' }),
);
conflict('POST /picklists', 'a location with no released orders', json('post', '/picklists', { locationId: 'BER-1' }));
conflict(
  'POST /picklists/:id/scans',
  'an item that is not on the list',
  json('post', `/picklists/${PICKLIST_ID}/scans`, { code: 'MUG-1', quantity: 1 }),
);
conflict(
  'POST /picklists/:id/scans',
  'a barcode nobody knows',
  json('post', `/picklists/${PICKLIST_ID}/scans`, { code: '4006381333931', quantity: 1 }),
);
conflict(
  'POST /picklists/:id/scans',
  'more units than the list holds',
  json('post', `/picklists/${PICKLIST_ID}/scans`, { code: 'TEE-M', quantity: 3 }),
);
conflict(
  'POST /picklists/:id/short',
  'more units short than the list holds',
  json('post', `/picklists/${PICKLIST_ID}/short`, { sku: 'TEE-M', missingQuantity: 3 }),
);
add({
  route: 'POST /picklists/:id/short',
  name: 'a sku that is not on the list',
  send: json('post', `/picklists/${PICKLIST_ID}/short`, { sku: 'MUG-1', missingQuantity: 1 }),
  status: 404,
});
add({
  route: 'PATCH /connections/:id',
  name: 'a valid change to an unknown connection',
  send: json('patch', `/connections/hx-none-${run}`, { name: 'x' }),
  status: 404,
});
for (const r of ROUTES.filter((x) => x.route.startsWith('POST /orders/:id/') && x.body === 'none')) {
  add({
    route: r.route,
    name: 'a hostile body for an unknown order',
    send: json('post', r.path.replace(ORDER_ID, `order:manual:NOPE-${run}`), { $where: 'sleep(1000)' }),
    status: 404,
  });
}

// ---- purchasing ----

fieldCases('POST /suppliers', [
  ['id', 'has space'],
  ['id', GT],
  ['id', 'x'.repeat(65)],
  ['id', 'a|b'],
  ['name', ''],
  ['name', 42],
  ['leadTimeDays', -1],
  ['leadTimeDays', 1.5],
  ['leadTimeDays', '7'],
  ['leadTimeDays', 366],
  ['currency', 'euro'],
  ['currency', GT],
  ['contact', 'buyer@example.com'],
  ['contact.email', 'not-an-email'],
  ['contact.email', GT],
  ['contact.extra', 1],
  ['connectorUrl', 'https://supplier.example.com'],
  ['createdAt', 'now'],
]);
const twoLines = [
  { sku: 'HX-BOLT', quantity: 1, unitCost: 100 },
  { sku: 'HX-BOLT', quantity: 2, unitCost: 100 },
];
fieldCases('POST /purchase-orders', [
  ['id', 'PO 1'],
  ['id', GT],
  ['id', 'a|b'],
  ['id', 'x'.repeat(65)],
  ['supplierId', GT],
  ['supplierId', 'nobody'],
  ['locationId', 'NOWHERE'],
  ['locationId', NE],
  ['expectedDate', '2030-02-30'],
  ['expectedDate', 'tomorrow'],
  ['expectedDate', '2030-01-15T00:00:00Z'],
  ['expectedDate', 20300115],
  ['expectedDate', '1999-12-31'],
  ['currency', 'eur'],
  ['status', 'received'],
  ['status', 'partially_received'],
  ['lines', []],
  ['lines', GT],
  ...QUANTITIES.map((q): FieldSpec => ['lines.0.quantity', q]),
  ...BAD_SKUS.map((v): FieldSpec => ['lines.0.sku', v]),
  ['lines.0.sku', 'GHOST'],
  ['lines.0.unitCost', -1],
  ['lines.0.unitCost', 1.5],
  ['lines.0.unitCost', '100'],
  ['lines', twoLines, ['lines.1.sku']],
  ['received', 5],
]);
add({
  route: 'POST /purchase-orders',
  name: 'an unknown supplier, location and sku at once',
  send: json('post', '/purchase-orders', {
    ...validPurchaseOrder(),
    supplierId: 'nobody',
    locationId: 'NOWHERE',
    lines: [
      { sku: 'HX-BOLT', quantity: 1, unitCost: 1 },
      { sku: 'GHOST', quantity: 1, unitCost: 1 },
    ],
  }),
  status: 400,
  paths: ['supplierId', 'locationId', 'lines.1.sku'],
});
rawCases('POST /purchase-orders', [
  ...RAW_QUANTITIES.map((raw): RawSpec => ['lines.0.quantity', raw]),
  ['supplierId', `"${SUPPLIER}", "supplierId": {"$gt": ""}`, ['supplierId']],
]);
fieldCases('POST /purchase-orders/:id/receipts', [
  ['receiptId', 'short'],
  ['receiptId', 'has space 123'],
  ['receiptId', GT],
  ['receiptId', 'x'.repeat(201)],
  ['lines', []],
  ['lines', 'HX-BOLT'],
  ...QUANTITIES.map((q): FieldSpec => ['lines.0.quantity', q]),
  ...BAD_SKUS.map((v): FieldSpec => ['lines.0.sku', v]),
  ['lines.0.sku', 'TEE-M'],
  ['lines.0.quantity', 3],
  [
    'lines',
    [
      { sku: 'HX-BOLT', quantity: 1 },
      { sku: 'HX-BOLT', quantity: 1 },
    ],
    ['lines.1.sku'],
  ],
  ['overReceipt', 'yes'],
  ['locationId', 'BER-1'],
  ['lines.0.unitCost', 100],
]);
for (const [name, value] of headerKeyCases) {
  const { receiptId: _dropped, ...body } = validPoReceipt();
  void _dropped;
  add({
    route: 'POST /purchase-orders/:id/receipts',
    name,
    send: json('post', `${PO_PATH}/receipts`, body, { headers: { 'Idempotency-Key': value } }),
    status: 400,
    paths: ['headers.idempotency-key'],
  });
}
fieldCases('PATCH /purchase-orders/:id', [
  ['expectedDate', '2030-13-01'],
  ['expectedDate', GT],
  ['expectedDate', null],
  ['reason', ''],
  ['status', 'received'],
  ['lines', []],
]);
fieldCases('POST /purchase-orders/:id/cancel', [
  ['reason', ''],
  ['reason', 'x'.repeat(501)],
  ['reason', GT],
  ['lines', []],
]);
fieldCases('POST /purchase-orders/:id/open', [['status', 'open']]);
fieldCases('POST /purchase-orders/:id/supplier-events', [
  ['type', 'delivered'],
  ['type', GT],
  ['type', 'refused', ['reason']],
  ['eventId', 'short'],
  ['eventId', 'has space 1234'],
  ['eventId', GT],
  ['eventId', 'x'.repeat(201)],
  ['carrier', 'DHL'],
  ['trackingNumber', '1Z999AA10123456784'],
  ['reason', ''],
  ['reason', 'x'.repeat(501)],
  ['purchaseOrderId', PO.draft],
]);
const shippedAnswer = () => ({ eventId: next('supplier-event'), type: 'shipped', carrier: 'DHL', trackingNumber: '1Z999AA10123456784' });
fieldCases(
  'POST /purchase-orders/:id/supplier-events',
  [
    ['carrier', ''],
    ['carrier', 42],
    ['trackingNumber', 'has space'],
    ['trackingNumber', GT],
    ['trackingNumber', 'x'.repeat(65)],
  ],
  { base: shippedAnswer },
);
add({
  route: 'POST /purchase-orders/:id/supplier-events',
  name: 'shipped without carrier and tracking number',
  send: json('post', `${PO_PATH}/supplier-events`, { eventId: next('supplier-event'), type: 'shipped' }),
  status: 400,
  paths: ['carrier', 'trackingNumber'],
});
for (const [name, value] of headerKeyCases)
  add({
    route: 'POST /purchase-orders/:id/supplier-events',
    name,
    send: json('post', `${PO_PATH}/supplier-events`, { type: 'confirmed' }, { headers: { 'Idempotency-Key': value } }),
    status: 400,
    paths: ['headers.idempotency-key'],
  });
conflict(
  'POST /purchase-orders/:id/supplier-events',
  'a supplier answer on a purchase order that is not drop-shipped',
  json('post', `${PO_PATH}/supplier-events`, { eventId: next('supplier-event'), type: 'confirmed' }),
);
fieldCases('POST /suppliers', [
  ['dropShip', true],
  ['dropShip', { email: true }, ['dropShip.email']],
  ['dropShip.connectionId', 'Has Caps'],
  ['dropShip.connectionId', GT],
  ['dropShip.connectionId', `hx-none-${run}`],
  ['dropShip.connectionId', CONN.e], // an ERP connection, not supplier_http
]);
// Drop-ship orders: every line names a drop-ship supplier that exists.
const dropShipOrder = () => ({
  ...validOrder(),
  lines: [{ sku: 'TEE-M', quantity: 1, unitPrice: 1999, dropShip: { supplierId: DS_SUPPLIER } }],
});
fieldCases(
  'POST /orders',
  [
    ['lines.0.dropShip', 'acme'],
    ['lines.0.dropShip', { supplierId: 'nobody' }, ['lines.0.dropShip.supplierId']],
    ['lines.0.dropShip', { supplierId: SUPPLIER }, ['lines.0.dropShip.supplierId']],
    ['lines.0.dropShip.supplierId', GT],
    ['lines.0.dropShip.supplierId', 'a|b'],
    ['lines.0.dropShip.unitCost', -1],
    ['lines.0.dropShip.unitCost', 1.5],
    ['lines.0.dropShip.via', 'email'],
    ['fulfillment', { method: 'pickup', pickupLocationId: 'BER-2' }, ['fulfillment.method']],
    ['lines.1', { sku: 'MUG-1', quantity: 1, unitPrice: 999, dropShip: { supplierId: SUPPLIER } }, ['lines.1.dropShip.supplierId']],
  ],
  { base: dropShipOrder },
);
fieldCases('POST /orders', [['type', 'drop_ship', ['lines']]]);
// A stocked line beside a drop-shipped one ships in parts: not on a drop_ship order, nor in one shipment.
fieldCases('POST /orders', [['lines.1', { sku: 'MUG-1', quantity: 1, unitPrice: 999 }, ['lines.1.dropShip']]], {
  base: () => ({ ...dropShipOrder(), type: 'drop_ship' }),
});
fieldCases('POST /orders', [['lines.1', { sku: 'MUG-1', quantity: 2, unitPrice: 999 }, ['fulfillment.allowSplit']]], {
  base: () => ({ ...dropShipOrder(), fulfillment: { method: 'ship', allowSplit: false } }),
});
queryCases('GET /suppliers', '/suppliers', [
  ...LIMIT_QUERIES(500),
  ['cursor[$gt]=', ['cursor[$gt]']],
  ['cursor=%24gt', ['cursor']],
  ['name=Acme', ['name']],
]);
queryCases('GET /purchase-orders', '/purchase-orders', [
  ...LIMIT_QUERIES(500),
  ['status=shipped', ['status']],
  ['status[$ne]=open', ['status[$ne]']],
  ['status=open&status=draft', ['status']],
  ['supplierId=%24where', ['supplierId']],
  ['sku=a%00', ['sku']],
  ['sku[$regex]=.*', ['sku[$regex]']],
  ['cursor=a%7Cb', ['cursor']],
  ['locationId=BER-1', ['locationId']],
]);
const PURCHASING_IDS: IdSpec[] = [
  ['an operator object as id', OPERATOR_IN_URL, 400],
  ['a $where as id', '%24where', 400],
  ['a dot in the id', 'a.b', 400],
  ['a pipe in the id (the event key separator)', `${PO.open}%7C000001`, 400],
  ['a 65-character id', 'x'.repeat(65), 400],
  ['a NUL byte in the id', 'a%00', 400],
  ['an unknown id', `HXPO-NOPE-${run}`, 404],
];
for (const r of ROUTES.filter((x) => x.path.startsWith(PO_PATH) || x.path === `/suppliers/${SUPPLIER}`)) {
  const current = r.path.startsWith(PO_PATH) ? PO.open : SUPPLIER;
  for (const { n, s, st, paths } of withIdPaths(PURCHASING_IDS, 'id')) {
    const path = r.path.replace(current, s);
    add({
      route: r.route,
      name: n,
      send: r.validBody ? json(r.method, path, r.validBody()) : call(r.method, path),
      status: st,
      ...(paths && { paths }),
    });
  }
}
conflict('POST /suppliers', 'a supplier id that exists', json('post', '/suppliers', { ...validSupplier(), id: SUPPLIER }));
conflict(
  'POST /purchase-orders',
  'a purchase order id that exists',
  json('post', '/purchase-orders', { ...validPurchaseOrder(), id: PO.open }),
);
for (const which of ['draft', 'cancelled', 'received'] as const)
  conflict(
    'POST /purchase-orders/:id/receipts',
    `a receipt on a ${which} purchase order`,
    json('post', `/purchase-orders/${PO[which]}/receipts`, validPoReceipt()),
  );
add({
  route: 'POST /purchase-orders/:id/receipts',
  name: 'a receipt on a cancelled purchase order with overReceipt',
  send: json('post', `/purchase-orders/${PO.cancelled}/receipts`, { ...validPoReceipt(), overReceipt: true }),
  status: 409,
});
conflict('POST /purchase-orders/:id/open', 'opening a cancelled purchase order', json('post', `/purchase-orders/${PO.cancelled}/open`, {}));
conflict(
  'POST /purchase-orders/:id/cancel',
  'cancelling a fully received purchase order',
  json('post', `/purchase-orders/${PO.received}/cancel`, {}),
);
conflict(
  'PATCH /purchase-orders/:id',
  'moving the date of a cancelled purchase order',
  json('patch', `/purchase-orders/${PO.cancelled}`, { expectedDate: '2030-02-01' }),
);
conflict(
  'POST /purchase-orders/:id/receipts',
  'a receipt id reused for other lines',
  json('post', `/purchase-orders/${PO.received}/receipts`, { receiptId: `hx-received-${run}`, lines: [{ sku: 'HX-BOLT', quantity: 2 }] }),
);

// ---- replenishment: settings, suggestions, the recompute ----

fieldCases('PUT /replenishment/settings/:sku', [
  ['serviceLevel', 0.5],
  ['serviceLevel', 0.4],
  ['serviceLevel', 1],
  ['serviceLevel', 0.9991],
  ['serviceLevel', -0.95],
  ['serviceLevel', '0.95'],
  ['serviceLevel', null],
  ['serviceLevel', GT],
  ['reviewPeriodDays', 0],
  ['reviewPeriodDays', -7],
  ['reviewPeriodDays', 1.5],
  ['reviewPeriodDays', 366],
  ['reviewPeriodDays', '7'],
  ['preferredSupplierId', 'nobody'],
  ['preferredSupplierId', GT],
  ['preferredSupplierId', 'a|b'],
  ['preferredSupplierId', ''],
  ['unitCost', -1],
  ['unitCost', 1.5],
  ['unitCost', '100'],
  ['locations', 'BER-1'],
  ['locations', [{ locationId: 'BER-1' }], ['locations.0.reorderPoint', 'locations.0.orderUpTo']],
  ['locations.0.locationId', 'NOWHERE'],
  ['locations.0.locationId', GT],
  ['locations.0.reorderPoint', -1],
  ['locations.0.reorderPoint', 2.5],
  ['locations.0.orderUpTo', -1],
  ['locations.0.orderUpTo', 4],
  ['locations.0.orderUpTo', NE],
  ['locations.0.safetyStock', 3],
  [
    'locations',
    [
      { locationId: 'BER-1', reorderPoint: 1, orderUpTo: 2 },
      { locationId: 'BER-1', reorderPoint: 1, orderUpTo: 2 },
    ],
    ['locations.1.locationId'],
  ],
  ['leadTimeDays', 3],
]);
add({
  route: 'PUT /replenishment/settings/:sku',
  name: 'an unknown sku, supplier and location at once',
  send: json('put', `/replenishment/settings/GHOST-${run}`, {
    ...validSettings(),
    preferredSupplierId: 'nobody',
    locations: [{ locationId: 'NOWHERE', reorderPoint: 1, orderUpTo: 2 }],
  }),
  status: 400,
  paths: ['sku', 'preferredSupplierId', 'locations.0.locationId'],
});
add({
  route: 'PUT /replenishment/settings/:sku',
  name: 'every field bad at once',
  send: json('put', '/replenishment/settings/HX-BOLT', {
    serviceLevel: 2,
    reviewPeriodDays: -1,
    unitCost: -5,
    locations: [{ locationId: 'BER-1', reorderPoint: -1, orderUpTo: -2 }],
  }),
  status: 400,
  paths: ['serviceLevel', 'reviewPeriodDays', 'unitCost', 'locations.0.reorderPoint', 'locations.0.orderUpTo'],
});
rawCases('PUT /replenishment/settings/:sku', [
  ['serviceLevel', '1e999'],
  ['reviewPeriodDays', '-1e999'],
  ['preferredSupplierId', `"${SUPPLIER}", "preferredSupplierId": {"$gt": ""}`, ['preferredSupplierId']],
]);
for (const [label, method, tmpl] of [
  ['GET /replenishment/settings/:sku', 'get', '/replenishment/settings/@'],
  ['PUT /replenishment/settings/:sku', 'put', '/replenishment/settings/@'],
] as const) {
  for (const [n, s, st] of SKU_IDS) {
    const path = tmpl.replace('@', s);
    // An unknown sku in a PUT is named with the rest of the body's problems (400), in a GET it is not found.
    const status = method === 'put' && st === 404 ? 400 : st;
    add({
      route: label,
      name: n,
      send: method === 'put' ? json('put', path, validSettings()) : call('get', path),
      status,
      ...(status === 400 && { paths: ['sku'] }),
    });
  }
}
queryCases('GET /replenishment/suggestions', '/replenishment/suggestions', [
  ['supplierId=acme', ['supplierId']],
  ['limit=1', ['limit']],
  ['__proto__[polluted]=1', ['__proto__[polluted]']],
  ['sku[$regex]=.*', ['sku[$regex]']],
]);
fieldCases('POST /replenishment/suggestions/:supplierId/order', [
  ['locationId', GT],
  ['locationId', ''],
  ['locationId', 'a.b'],
  ['locationId', 42],
  ['lines', []],
]);
for (const { n, s, st, paths } of withIdPaths(
  PURCHASING_IDS.filter(([, , st]) => st === 400),
  'supplierId',
))
  add({
    route: 'POST /replenishment/suggestions/:supplierId/order',
    name: n,
    send: json('post', `/replenishment/suggestions/${s}/order`, { locationId: 'BER-1' }),
    status: st,
    ...(paths && { paths }),
  });
add({
  route: 'POST /replenishment/suggestions/:supplierId/order',
  name: 'nothing suggested for an unknown supplier',
  send: json('post', `/replenishment/suggestions/nobody-${run}/order`, { locationId: 'BER-1' }),
  status: 404,
});
add({
  route: 'POST /replenishment/suggestions/:supplierId/order',
  name: 'nothing suggested for a known supplier',
  send: json('post', `/replenishment/suggestions/${SUPPLIER}/order`, { locationId: 'BER-1' }),
  status: 404,
});
fieldCases('POST /replenishment/recompute', [
  ['runId', ''],
  ['runId', 'has space'],
  ['runId', 'a|b'],
  ['runId', 'a:b'],
  ['runId', GT],
  ['runId', 'x'.repeat(65)],
  ['runId', 42],
  ['skus', ['HX-BOLT']],
]);

// A promise recompute names one sku in the query; its body is empty.
const PROMISE_QUERIES: QuerySpec[] = [
  ['', ['sku']],
  ['sku=', ['sku']],
  ['sku[$ne]=x', ['sku[$ne]']],
  ['sku=a%00', ['sku']],
  ['sku=has%20space', ['sku']],
  ['sku=%24where', ['sku']],
  [`sku=${'x'.repeat(65)}`, ['sku']],
  ['sku=HX-BOLT&sku=TEE-M', ['sku']],
  ['sku=HX-BOLT&all=true', ['all']],
  ['sku=HX-BOLT&__proto__[polluted]=1', ['__proto__[polluted]']],
];
for (const [q, paths] of PROMISE_QUERIES)
  add({ route: 'POST /promises/recompute', name: `?${q}`, send: json('post', `/promises/recompute?${q}`, {}), status: 400, paths });
add({
  route: 'POST /promises/recompute',
  name: 'a body with fields',
  send: json('post', '/promises/recompute?sku=HX-BOLT', { sku: 'HX-BOLT' }),
  status: 400,
  paths: ['sku'],
});

// ---- dead letters: replay ids ----

const REPLAY_IDS: IdSpec[] = [
  ['an operator object as id', OPERATOR_IN_URL, 400],
  ['an id without a connection', encodeURIComponent(`|${QUEUED_DELIVERY}`), 400],
  ['an id without a delivery', encodeURIComponent(`${CONN.a}|`), 400],
  ['a 201-character delivery id', encodeURIComponent(`${CONN.a}|${'d'.repeat(201)}`), 400],
  ['a NUL byte in the delivery id', `${encodeURIComponent(`${CONN.a}|`)}a%00`, 400],
  ['an unknown dead letter', encodeURIComponent(`${CONN.a}|nope-${run}`), 404],
  ['a delivery that is queued, not dead', QUEUED_DEAD_LETTER_ID, 404],
];
for (const { n, s, st, paths } of withIdPaths(REPLAY_IDS, 'id')) {
  add({
    route: 'POST /webhooks/dead-letters/:id/replay',
    name: n,
    send: call('post', `/webhooks/dead-letters/${s}/replay`),
    status: st,
    ...(paths && { paths }),
  });
}

// ---- webhooks: signatures, headers, sizes, connections ----

const WEBHOOK = 'POST /webhooks/:connectionId';
interface HookOptions {
  conn?: string;
  body?: string | Buffer;
  signedBody?: string | Buffer;
  secret?: string;
  headers?: Record<string, string | undefined>;
}
const hook = (o: HookOptions = {}) => {
  const body = o.body ?? webhookBody();
  const headers = {
    'content-type': 'application/json',
    'x-shopify-hmac-sha256': hmacBase64(o.signedBody ?? body, o.secret ?? SECRET_A),
    'x-shopify-topic': 'orders/create',
    'x-shopify-shop-domain': DOMAIN.a,
    'x-shopify-webhook-id': next('wh'),
    'x-shopify-api-version': '2024-10',
    ...o.headers,
  };
  return call('post', `/webhooks/${o.conn ?? CONN.a}`, {
    auth: null,
    body,
    type: headers['content-type'],
    headers: { ...headers, 'content-type': undefined },
  });
};
const refusedHook = (name: string, o: HookOptions, status = 401, paths?: string[]) =>
  add({ route: WEBHOOK, name, send: hook(o), status, ...(paths && { paths }) });
const signedBody = webhookBody();
refusedHook('no signature header', { headers: { 'x-shopify-hmac-sha256': undefined } });
refusedHook('an empty signature header', { headers: { 'x-shopify-hmac-sha256': '' } });
refusedHook('a signature made with another secret', { secret: 'not-the-secret' });
refusedHook('the body changed after signing (one more space)', { body: `${signedBody} `, signedBody });
refusedHook('the body changed after signing (another order id)', { body: signedBody.replace(/"id":(\d)/, '"id":7'), signedBody });
refusedHook('the body changed after signing (a quantity)', { body: signedBody.replace('"quantity":', '"quantity":9'), signedBody });
refusedHook('the signature of an empty body', { signedBody: '' });
refusedHook('the signature in hex', { headers: { 'x-shopify-hmac-sha256': 'ab'.repeat(32) } });
refusedHook('a truncated signature', {
  headers: { 'x-shopify-hmac-sha256': hmacBase64(signedBody, SECRET_A).slice(0, 20) },
  body: signedBody,
});
refusedHook('the signature twice', {
  headers: { 'x-shopify-hmac-sha256': `${hmacBase64(signedBody, SECRET_A)}, ${hmacBase64(signedBody, SECRET_A)}` },
  body: signedBody,
});
refusedHook('a 10,000-character signature', { headers: { 'x-shopify-hmac-sha256': 'A'.repeat(10_000) } });
refusedHook('the right body signed for connection B, sent to A', { secret: SECRET_B, headers: { 'x-shopify-shop-domain': DOMAIN.b } });
refusedHook("connection A's delivery sent to connection B", { conn: CONN.b });
refusedHook('a delivery for shop C (same app secret) sent to A', { headers: { 'x-shopify-shop-domain': DOMAIN.c } });
refusedHook('a delivery for shop A (same app secret) sent to C', { conn: CONN.c });
refusedHook('a shop domain header for another shop', { headers: { 'x-shopify-shop-domain': 'evil.myshopify.com' } });
refusedHook('a signed delivery without a webhook id', { headers: { 'x-shopify-webhook-id': undefined } }, 400, [
  'headers.x-shopify-webhook-id',
]);
refusedHook('a signed delivery without a topic', { headers: { 'x-shopify-topic': undefined } }, 400, ['headers.x-shopify-topic']);
refusedHook(
  'a signed delivery with neither webhook id nor topic',
  { headers: { 'x-shopify-topic': '', 'x-shopify-webhook-id': '   ' } },
  400,
  ['headers.x-shopify-webhook-id', 'headers.x-shopify-topic'],
);
refusedHook('a signed body over 2 MB', { body: JSON.stringify({ ...shopifyOrder, note: 'x'.repeat(2_200_000) }) }, 413);
refusedHook('an unsigned body over 2 MB', { body: 'x'.repeat(2_200_000), headers: { 'x-shopify-hmac-sha256': undefined } }, 413);
refusedHook('an unsigned body of 1.5 MB', {
  body: JSON.stringify({ note: 'x'.repeat(1_500_000) }),
  headers: { 'x-shopify-hmac-sha256': undefined },
});
refusedHook('unsigned broken JSON', { body: '{"id": ', headers: { 'x-shopify-hmac-sha256': undefined } });
refusedHook('an unknown Content-Encoding', { headers: { 'content-encoding': 'x-hostile' } }, 415);
refusedHook('gzip Content-Encoding on a plain body', { headers: { 'content-encoding': 'gzip' } }, 400);
refusedHook('a paused connection', { conn: CONN.d, headers: { 'x-shopify-shop-domain': DOMAIN.d } }, 404);
refusedHook('an ERP connection, which takes no webhooks', { conn: CONN.e }, 404);
for (const { n, s, st, paths } of withIdPaths([...CONNECTION_IDS, ['a dead-letters path', 'dead-letters', 404] as IdSpec], 'connectionId'))
  refusedHook(n, { conn: s }, st, paths);
refusedHook('a broken percent escape in the connection id', { conn: '%E0%A4%A' }, 400);
add({
  route: WEBHOOK,
  name: 'a replay of a delivery already received answers duplicate and stores nothing new',
  send: hook({ body: QUEUED_BODY, headers: { 'x-shopify-webhook-id': QUEUED_DELIVERY } }),
  status: 200,
  unchanged: 'counts', // the repeat is counted (one webhook_resends counter per resent delivery), nothing else is added
  check: (res) => expect({ status: res.status, body: res.body }).toEqual({ status: 200, body: { received: true, duplicate: true } }),
});

// ---- the suite ----

beforeAll(async () => {
  nock.disableNetConnect();
  nock.enableNetConnect(/127\.0\.0\.1|localhost/);
  ctx = await createTestContext('hostile_input');
  // No timer of the existing order fires while the cases run (each checks its history is unchanged).
  api = await apiFor(ctx, { awaitingStockRecheckMs: 24 * 3600_000 });
  const must = async (res: PromiseLike<{ status: number; body: unknown }>, status: number) => {
    const r = await res;
    if (r.status !== status) throw new Error(`setup: expected ${status}, got ${r.status} ${JSON.stringify(r.body)}`);
  };
  await must(
    api.post('/locations', {
      id: 'BER-1',
      name: 'Berlin',
      type: 'warehouse',
      address: { line1: 'Lagerstrasse 1', city: 'Berlin', postalCode: '10117', country: 'DE' },
      priority: 1,
    }),
    201,
  );
  for (const sku of ['TEE-M', 'MUG-1', 'HX-BOLT']) await must(api.post('/items', { sku, name: sku }), 201);
  await ctx.stores.apiKeys.register(WAREHOUSE_KEY, 'hostile-warehouse', { role: 'warehouse', locations: ['BER-1'] });
  await ctx.stores.apiKeys.register(INTEGRATION_KEY, 'hostile-integration', { role: 'integration', connections: [CONN.a] });
  await must(api.post('/users', { email: USER_EMAIL, name: 'Hostile user', role: 'read_only', password: USER_PASSWORD }), 201);
  await must(api.post('/suppliers', { ...validSupplier(), id: SUPPLIER }), 201);
  await must(api.post('/suppliers', { ...validSupplier(), id: DS_SUPPLIER, dropShip: {} }), 201);
  for (const [which, id] of Object.entries(PO)) {
    const lines = [{ sku: 'HX-BOLT', quantity: which === 'received' ? 1 : 2, unitCost: 100 }];
    await must(api.post('/purchase-orders', { ...validPurchaseOrder(), id, lines, status: which === 'draft' ? 'draft' : 'open' }), 201);
  }
  await must(api.post(`/purchase-orders/${PO.cancelled}/cancel`, {}), 200);
  await must(
    api.post(`/purchase-orders/${PO.received}/receipts`, { receiptId: `hx-received-${run}`, lines: [{ sku: 'HX-BOLT', quantity: 1 }] }),
    201,
  );
  await must(api.post('/stock/receipts', { sku: 'TEE-M', locationId: 'BER-1', quantity: 5, idempotencyKey: `seed-${run}` }), 201);
  await must(
    api.post(
      '/connections',
      shopifyConnection(CONN.a, DOMAIN.a, SECRET_A, { stockFeeds: [{ channelLocationId: '655441491', locationIds: ['BER-1'] }] }),
    ),
    201,
  );
  await must(api.post('/connections', shopifyConnection(CONN.b, DOMAIN.b, SECRET_B)), 201);
  await must(api.post('/connections', shopifyConnection(CONN.c, DOMAIN.c, SECRET_A)), 201);
  await must(api.post('/connections', shopifyConnection(CONN.d, DOMAIN.d, SECRET_A, { enabled: false })), 201);
  await must(
    api.post('/connections', {
      id: CONN.e,
      kind: 'erp',
      name: 'ERP',
      options: { baseUrl: 'https://erp.example.com' },
      credentials: { apiKey: 'erp-key' },
    }),
    201,
  );
  await must(
    api.post('/connections', { id: 'ep-hostile', kind: 'easypost', name: 'EasyPost', credentials: { apiKey: 'EZTK_test_hostile' } }),
    201,
  );
  // An order waiting for stock (nothing of MUG-1 is anywhere), for commands: its workflow is the one that
  // refuses them, so a worker runs it; a refused command leaves its history as it was.
  await must(
    api.post('/orders', { ...validOrder(), channelOrderId: `HOSTILE-${run}`, lines: [{ sku: 'MUG-1', quantity: 1, unitPrice: 999 }] }),
    202,
  );
  await ctx.startWorker();
  await eventually(
    async () => (await ctx.stores.orders.get(ORDER_ID))?.status,
    (status) => status === 'awaiting_stock',
    30_000,
    'the existing order to wait for stock',
  );
  // A picklist for the existing order, stored directly: scans and short picks against it are all refused.
  const now = new Date().toISOString();
  await ctx.stores.picklists.insert(
    buildPicklist({
      id: PICKLIST_ID,
      locationId: 'BER-1',
      createdAt: now,
      orders: [{ id: ORDER_ID, channel: 'manual', slaDueAt: now, createdAt: now, lines: [{ sku: 'TEE-M', quantity: 2 }] }],
    }),
    'hostile-setup',
  );
  // A delivery stored and queued (no consumer runs), for replays and the "not a dead letter" case.
  await must(hook({ body: QUEUED_BODY, headers: { 'x-shopify-webhook-id': QUEUED_DELIVERY } })(api.raw), 200);
});

afterAll(async () => {
  await ctx.temporal.workflow
    .getHandle(ORDER_ID)
    .terminate('hostile-input suite finished')
    .catch(() => undefined);
  for (const id of Object.values(CONN)) await api.raw.delete(`/connections/${id}`).set('Authorization', `Bearer ${KEY}`);
  await ctx.close();
  nock.cleanAll();
  nock.enableNetConnect();
});

// What lives outside MongoDB: BullMQ webhook jobs, and the signals the existing order's workflow received.
const outside = async () => {
  const jobs = await ctx.webhookQueue.getJobCounts();
  const history = await ctx.temporal.workflow.getHandle(ORDER_ID).fetchHistory();
  return { webhookJobs: Object.values(jobs).reduce((a, b) => a + b, 0), orderWorkflowEvents: history.events?.length ?? 0 };
};

const byTitle = new Map(cases.map((c) => [`${c.route}: ${c.name}`, c]));
// Cases run one after another, so one case's "after" is the next one's "before" (half the reads).
let last: Fingerprint | undefined;

describe('hostile input at every public route', () => {
  test.each([...byTitle.keys()].map((title) => [title]))('%s', async (title) => {
    const c = byTitle.get(title)!;
    const before = last ?? (await fingerprint(ctx, outside));
    last = undefined;
    const res = await c.send(api.raw);
    const after = await fingerprint(ctx, outside);
    last = after;
    if (c.check) c.check(res);
    else expectRefused(res, c);
    if (c.unchanged === 'counts') {
      const { webhook_resends: resendsAfter, ...rest } = countsOf(after);
      const { webhook_resends: resendsBefore, ...restBefore } = countsOf(before);
      expect(rest).toEqual(restBefore);
      expect(Number(resendsAfter)).toBeLessThanOrEqual(Number(resendsBefore) + 1);
    } else expect(after).toEqual(before);
    expect(Object.keys(Object.prototype)).toEqual([]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  test('the table covers every public route, each case once, with at least 150 cases', () => {
    const perRoute = Object.fromEntries(ALL_ROUTES.map((r) => [r, cases.filter((c) => c.route === r).length]));
    console.log(
      `hostile-input cases: ${cases.length}\n${Object.entries(perRoute)
        .map(([r, n]) => `  ${String(n).padStart(4)}  ${r}`)
        .join('\n')}`,
    );
    expect(byTitle.size).toBe(cases.length);
    expect(cases.filter((c) => !ALL_ROUTES.includes(c.route))).toEqual([]);
    expect(Object.entries(perRoute).filter(([, n]) => n === 0)).toEqual([]);
    expect(cases.length).toBeGreaterThanOrEqual(150);
  });
});
