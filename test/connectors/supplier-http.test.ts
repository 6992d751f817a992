import { createHmac } from 'node:crypto';
import nock from 'nock';
import { supplierHttpConnector } from '../../connectors/supplier-http';
import type { Connector, SupplierPurchaseOrder } from '../../connectors/types';
import { UnauthorizedError, ValidationError } from '../../domain/errors';
import { testConnectorContext } from '../support/connectors';

// The generic drop-ship supplier (connectors/supplier-http), with nock as the supplier: purchase orders go
// out signed and once per Idempotency-Key, the supplier's signed webhooks come in.
const SUPPLIER = 'https://supplier.example.test';
const SECRET = 'supplier-shared-secret-0123';
const hmac = (body: string, secret = SECRET) => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

let close: () => void;
let connector: Connector;

beforeAll(() => {
  nock.disableNetConnect();
  nock.enableNetConnect(/127\.0\.0\.1|localhost/);
});
afterAll(() => nock.enableNetConnect());

beforeEach(() => {
  const t = testConnectorContext('supplier');
  close = t.close;
  const options = supplierHttpConnector.optionsSchema.parse({ baseUrl: `${SUPPLIER}/api/` });
  const credentials = supplierHttpConnector.credentialsSchema.parse({ secret: SECRET });
  connector = supplierHttpConnector.create(options, credentials, t.ctx);
});
afterEach(() => {
  nock.cleanAll();
  close();
});

const po: SupplierPurchaseOrder = {
  purchaseOrderId: 'DS-0123456789ABCDEF0123',
  orderReference: 'order:manual:1001',
  currency: 'EUR',
  lines: [{ sku: 'SOFA-GREY', quantity: 1, unitCost: 45000 }],
  shipTo: { name: 'Ada Lovelace', line1: 'Friedrichstrasse 43', city: 'Berlin', postalCode: '10117', country: 'DE' },
  customer: { name: 'Ada Lovelace', email: 'ada@example.com' },
};

describe('supplier_http connector', () => {
  test('options and credentials are checked when the connection is created: https only, a secret of 16 characters or more', () => {
    expect(supplierHttpConnector.optionsSchema.parse({ baseUrl: 'https://s.example.test/' })).toEqual({
      baseUrl: 'https://s.example.test',
      requestsPerSecond: 5,
      burst: 10,
    });
    const bad = supplierHttpConnector.optionsSchema.safeParse({ baseUrl: 'http://s.example.test', burst: 0 });
    expect(bad.error?.issues.map((i) => i.path.join('.')).sort()).toEqual(['baseUrl', 'burst']);
    expect(supplierHttpConnector.credentialsSchema.safeParse({ secret: 'short' }).error?.issues[0].path).toEqual(['secret']);
    expect(supplierHttpConnector.credentialsSchema.safeParse({}).success).toBe(false);
  });

  test('a purchase order is posted as signed JSON with its id as Idempotency-Key; a 409 (already taken) counts as sent', async () => {
    let raw = '';
    let signature: string | undefined;
    const scope = nock(SUPPLIER)
      .post('/api/purchase-orders', (body) => ((raw = JSON.stringify(body)), true))
      .matchHeader('idempotency-key', po.purchaseOrderId)
      .matchHeader('content-type', /application\/json/)
      .matchHeader('x-orderhub-signature', (v) => ((signature = v), true))
      .reply(201, { accepted: true })
      .post('/api/purchase-orders')
      .matchHeader('idempotency-key', po.purchaseOrderId)
      .reply(409, { error: 'already have it' });
    await connector.supplier!.sendPurchaseOrder(po, { idempotencyKey: po.purchaseOrderId });
    await connector.supplier!.sendPurchaseOrder(po, { idempotencyKey: po.purchaseOrderId });
    expect(scope.isDone()).toBe(true);
    expect(JSON.parse(raw)).toEqual({
      id: po.purchaseOrderId,
      orderReference: po.orderReference,
      currency: 'EUR',
      lines: po.lines,
      shipTo: po.shipTo,
      customer: po.customer,
    });
    expect(signature).toBe(hmac(raw));
  });

  test('a supplier refusing the purchase order (422) is not retried; 401 names the secret; a 503 is retried', async () => {
    nock(SUPPLIER).post('/api/purchase-orders').reply(422, { error: 'sku unknown' });
    await expect(connector.supplier!.sendPurchaseOrder(po, { idempotencyKey: 'k-1-aaaaaaaa' })).rejects.toMatchObject({
      code: 'upstream_rejected',
    });
    nock(SUPPLIER).post('/api/purchase-orders').reply(401, {});
    await expect(connector.supplier!.sendPurchaseOrder(po, { idempotencyKey: 'k-2-aaaaaaaa' })).rejects.toBeInstanceOf(UnauthorizedError);
    const flaky = nock(SUPPLIER).post('/api/purchase-orders').reply(503).post('/api/purchase-orders').reply(201, {});
    await connector.supplier!.sendPurchaseOrder(po, { idempotencyKey: 'k-3-aaaaaaaa' });
    expect(flaky.isDone()).toBe(true);
  });

  test('a cancel is posted signed to the purchase order with its own Idempotency-Key', async () => {
    let raw = '';
    let signature: string | undefined;
    const scope = nock(SUPPLIER)
      .post(`/api/purchase-orders/${po.purchaseOrderId}/cancel`, (body) => ((raw = JSON.stringify(body)), true))
      .matchHeader('idempotency-key', `${po.purchaseOrderId}:cancel`)
      .matchHeader('x-orderhub-signature', (v) => ((signature = v), true))
      .reply(200, {});
    await connector.supplier!.cancelPurchaseOrder(po.purchaseOrderId, {
      reason: 'customer changed their mind',
      idempotencyKey: `${po.purchaseOrderId}:cancel`,
    });
    expect(scope.isDone()).toBe(true);
    expect(JSON.parse(raw)).toEqual({ reason: 'customer changed their mind' });
    expect(signature).toBe(hmac(raw));
  });

  test("the supplier's webhook is verified with the shared secret and mapped: shipped with tracking, refused with a reason", () => {
    const hooks = connector.supplier!.webhooks;
    const shipped = JSON.stringify({
      id: 'evt-1001',
      type: 'shipped',
      purchaseOrderId: po.purchaseOrderId,
      carrier: 'DHL',
      trackingNumber: '00340434161234567890',
      occurredAt: '2026-12-07T10:00:00+01:00',
    });
    expect(hooks.verify(Buffer.from(shipped), { 'x-orderhub-signature': hmac(shipped) })).toEqual({
      deliveryId: 'evt-1001',
      topic: 'shipped',
    });
    expect(hooks.parse(Buffer.from(shipped))).toEqual({
      kind: 'answer',
      eventId: 'evt-1001',
      purchaseOrderId: po.purchaseOrderId,
      type: 'shipped',
      carrier: 'DHL',
      trackingNumber: '00340434161234567890',
      at: '2026-12-07T09:00:00.000Z',
    });
    const refused = JSON.stringify({
      id: 'evt-1002',
      type: 'refused',
      purchaseOrderId: po.purchaseOrderId,
      reason: 'out of stock until March',
    });
    expect(hooks.parse(Buffer.from(refused))).toMatchObject({ kind: 'answer', type: 'refused', reason: 'out of stock until March' });
    expect(hooks.parse(Buffer.from(JSON.stringify({ id: 'evt-1003', type: 'invoiced', purchaseOrderId: 'X' })))).toEqual({
      kind: 'ignored',
      reason: 'event type invoiced is not acted on',
    });
  });

  test('a webhook unsigned, signed with another secret or changed after signing is refused; a bad body names its fields', () => {
    const hooks = connector.supplier!.webhooks;
    const body = JSON.stringify({ id: 'evt-2001', type: 'confirmed', purchaseOrderId: po.purchaseOrderId });
    expect(() => hooks.verify(Buffer.from(body), {})).toThrow(UnauthorizedError);
    expect(() => hooks.verify(Buffer.from(body), { 'x-orderhub-signature': hmac(body, 'another-secret-0123456') })).toThrow(
      UnauthorizedError,
    );
    expect(() => hooks.verify(Buffer.from(body.replace('confirmed', 'refused')), { 'x-orderhub-signature': hmac(body) })).toThrow(
      UnauthorizedError,
    );
    const shippedBare = JSON.stringify({ id: 'evt-2002', type: 'shipped', purchaseOrderId: po.purchaseOrderId });
    try {
      hooks.parse(Buffer.from(shippedBare));
      throw new Error('expected a ValidationError');
    } catch (err) {
      expect(err).toBeInstanceOf(ValidationError);
      expect((err as ValidationError).problems.map((p) => p.path).sort()).toEqual(['carrier', 'trackingNumber']);
    }
    expect(() => hooks.parse(Buffer.from('not json'))).toThrow(ValidationError);
  });
});
