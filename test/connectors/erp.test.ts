import nock from 'nock';
import { erpConnector } from '../../connectors/erp';
import type { ErpInvoice, ErpSalesOrder } from '../../connectors/erp/mapper';
import type { Connector, StockReceipt } from '../../connectors/types';
import { UnauthorizedError, ValidationError } from '../../domain/errors';
import { toOrder, type Order } from '../../domain/order';
import { parsedOrder } from '../support/fixtures';
import { testConnectorContext } from '../support/connectors';

const ERP = 'https://erp.example.test';
const BASE = `${ERP}/api/v1`;
const API_KEY = 'erp-test-key-0123456789';

let close: () => void;
let connector: Connector;

beforeAll(() => {
  nock.disableNetConnect();
  nock.enableNetConnect(/127\.0\.0\.1|localhost/);
});
afterAll(() => nock.enableNetConnect());

beforeEach(() => {
  const t = testConnectorContext('erp');
  close = t.close;
  const options = erpConnector.optionsSchema.parse({ baseUrl: `${BASE}/` });
  const credentials = erpConnector.credentialsSchema.parse({ apiKey: API_KEY });
  connector = erpConnector.create(options, credentials, t.ctx);
});
afterEach(() => {
  nock.cleanAll();
  close();
});

function anOrder(): Order {
  const input = parsedOrder({
    channel: 'shopify',
    lines: [
      { sku: 'HOODIE-M', quantity: 2, unitPrice: 4999 },
      { sku: 'SOCKS', quantity: 1, unitPrice: 999 },
    ],
    discounts: [{ code: 'WELCOME', amount: 500 }],
    placedAt: '2026-03-01T10:00:00Z',
  });
  input.lines[0].tax = 1900;
  input.lines[0].discount = 1000;
  return toOrder(input, '2026-03-01T10:00:05Z');
}

const receipt = (id: string, overrides: Record<string, unknown> = {}) => ({
  id,
  sku: 'HOODIE-M',
  warehouse: 'WH-BER',
  quantity: 24,
  purchaseOrder: 'PO-7001',
  receivedAt: '2026-03-02T08:15:00Z',
  ...overrides,
});

describe('ERP connector', () => {
  test('options are validated when the connection is created, with defaults for the rate limit', () => {
    expect(erpConnector.optionsSchema.parse({ baseUrl: 'http://erp.internal:8080' })).toEqual({
      baseUrl: 'http://erp.internal:8080',
      requestsPerSecond: 5,
      burst: 10,
    });
    const bad = erpConnector.optionsSchema.safeParse({ baseUrl: 'ftp://erp.example.test', burst: 0 });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues.map((i) => i.path.join('.')).sort()).toEqual(['baseUrl', 'burst']);
    expect(erpConnector.credentialsSchema.safeParse({}).success).toBe(false);
  });

  test('a sales order is pushed once with its idempotency key, the bearer key and the order in minor units', async () => {
    const order = anOrder();
    let sent: ErpSalesOrder | undefined;
    const scope = nock(ERP)
      .post('/api/v1/sales-orders', (body) => ((sent = body), true))
      .matchHeader('idempotency-key', `${order.id}:erp-sales-order`)
      .matchHeader('authorization', `Bearer ${API_KEY}`)
      .reply(201, { id: 'SO-100234' });

    await connector.erp!.pushSalesOrder(order, `${order.id}:erp-sales-order`);

    expect(scope.isDone()).toBe(true);
    expect(sent).toEqual({
      number: order.id,
      channel: 'shopify',
      channelOrderId: order.channelOrderId,
      placedAt: '2026-03-01T10:00:00Z',
      currency: 'EUR',
      customer: { name: 'Ada Lovelace', email: 'ada@example.com' },
      shippingAddress: { name: 'Ada Lovelace', line1: 'Friedrichstrasse 43', city: 'Berlin', postalCode: '10117', country: 'DE' },
      billingAddress: { name: 'Ada Lovelace', line1: 'Friedrichstrasse 43', city: 'Berlin', postalCode: '10117', country: 'DE' },
      lines: [
        { sku: 'HOODIE-M', quantity: 2, unitPrice: 4999, discount: 1000, tax: 1900, currency: 'EUR' },
        { sku: 'SOCKS', quantity: 1, unitPrice: 999, discount: 0, tax: 0, currency: 'EUR' },
      ],
      discounts: [{ code: 'WELCOME', amount: 500, currency: 'EUR' }],
      totals: { subtotal: 10997, discount: 1500, tax: 1900, shipping: 495, total: 11892, currency: 'EUR' },
    });
  });

  test('a repeated sales order push answered 409 (key already known) counts as success', async () => {
    const order = anOrder();
    const key = `${order.id}:erp-sales-order`;
    const scope = nock(ERP)
      .post('/api/v1/sales-orders')
      .matchHeader('idempotency-key', key)
      .reply(201, { id: 'SO-100235' })
      .post('/api/v1/sales-orders')
      .matchHeader('idempotency-key', key)
      .reply(409, { error: 'sales order with this Idempotency-Key already exists', id: 'SO-100235' });

    await connector.erp!.pushSalesOrder(order, key);
    await expect(connector.erp!.pushSalesOrder(order, key)).resolves.toBeUndefined();
    expect(scope.isDone()).toBe(true);
  });

  test('an invoice is pushed with the order number, lines, totals and the shipment', async () => {
    const order = anOrder();
    let sent: ErpInvoice | undefined;
    const scope = nock(ERP)
      .post('/api/v1/invoices', (body) => ((sent = body), true))
      .matchHeader('idempotency-key', `${order.id}:erp-invoice`)
      .matchHeader('authorization', `Bearer ${API_KEY}`)
      .reply(201, { id: 'INV-9001' });

    await connector.erp!.pushInvoice(
      { order, carrier: 'dhl', trackingNumber: 'JJD000390007882', shippedAt: '2026-03-03T16:20:00Z' },
      `${order.id}:erp-invoice`,
    );

    expect(scope.isDone()).toBe(true);
    expect(sent).toMatchObject({
      orderNumber: order.id,
      currency: 'EUR',
      carrier: 'dhl',
      trackingNumber: 'JJD000390007882',
      shippedAt: '2026-03-03T16:20:00Z',
      totals: { subtotal: 10997, discount: 1500, tax: 1900, shipping: 495, total: 11892, currency: 'EUR' },
    });
    expect(sent?.lines.map((l) => [l.sku, l.quantity, l.unitPrice])).toEqual([
      ['HOODIE-M', 2, 4999],
      ['SOCKS', 1, 999],
    ]);
  });

  test('stock receipts are pulled page by page until the ERP gives no next cursor', async () => {
    const scope = nock(ERP)
      .get('/api/v1/stock-receipts')
      .query({ limit: '100' })
      .reply(200, { receipts: [receipt('R-1'), receipt('R-2', { sku: 'SOCKS', quantity: 100 })], nextCursor: 'page-2' })
      .get('/api/v1/stock-receipts')
      .query({ cursor: 'page-2', limit: '100' })
      .reply(200, {
        receipts: [receipt('R-3', { warehouse: 'WH-HAM', purchaseOrder: 'PO-7002', unknownVendorField: true })],
        nextCursor: null,
      });

    const pulled: StockReceipt[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await connector.erp!.fetchStockReceipts(cursor);
      pulled.push(...page.receipts);
      cursor = page.nextCursor;
      pages++;
    } while (cursor && pages < 10);

    expect(scope.isDone()).toBe(true);
    expect(pages).toBe(2);
    expect(pulled).toEqual([
      { receiptId: 'R-1', sku: 'HOODIE-M', locationCode: 'WH-BER', quantity: 24, reference: 'PO-7001', receivedAt: '2026-03-02T08:15:00Z' },
      { receiptId: 'R-2', sku: 'SOCKS', locationCode: 'WH-BER', quantity: 100, reference: 'PO-7001', receivedAt: '2026-03-02T08:15:00Z' },
      { receiptId: 'R-3', sku: 'HOODIE-M', locationCode: 'WH-HAM', quantity: 24, reference: 'PO-7002', receivedAt: '2026-03-02T08:15:00Z' },
    ]);
  });

  test('a malformed receipt is rejected with a validation error naming the field, not skipped', async () => {
    nock(ERP)
      .get('/api/v1/stock-receipts')
      .query({ limit: '100' })
      .reply(200, { receipts: [receipt('R-1'), receipt('R-2', { quantity: 'twelve' }), receipt('R-3', { warehouse: undefined })] });

    const err = await connector.erp!.fetchStockReceipts(undefined).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).problems.map((p) => p.path)).toEqual(['receipts.1.quantity', 'receipts.2.warehouse']);
  });

  test('testConnection with a key the ERP refuses (401) says the API key is wrong', async () => {
    const scope = nock(ERP).get('/api/v1/ping').reply(401, { error: 'invalid token' });

    const err = await connector.testConnection().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnauthorizedError);
    expect((err as Error).message).toMatch(/ERP refused the API key.*401.*apiKey/);
    expect(scope.isDone()).toBe(true);
  });

  test('testConnection succeeds against a reachable ERP with a good key', async () => {
    const scope = nock(ERP).get('/api/v1/ping').matchHeader('authorization', `Bearer ${API_KEY}`).reply(200, { ok: true });
    await expect(connector.testConnection()).resolves.toBeUndefined();
    expect(scope.isDone()).toBe(true);
  });
});
