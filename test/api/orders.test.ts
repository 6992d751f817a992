import { createTestContext, type TestContext } from '../support/stack';
import { apiFor } from '../support/api';
import { eventually, location, orderBody } from '../support/fixtures';

let ctx: TestContext;
let api: Awaited<ReturnType<typeof apiFor>>;

beforeAll(async () => {
  ctx = await createTestContext('api_orders');
  api = await apiFor(ctx, { activityMaxAttempts: 2, activityInitialIntervalMs: 100 });
  await ctx.startWorker();
});
afterAll(async () => ctx.close());

const getOrder = async (id: string) => (await api.get(`/orders/${encodeURIComponent(id)}`)).body;
const waitFor = (id: string, status: string) =>
  eventually(
    () => getOrder(id),
    (o) => o.status === status,
    30_000,
    `${id} to be ${status}`,
  );

describe('operator API: orders', () => {
  test('the full happy path through the API: set up, receive stock, capture, fulfil, deliver', async () => {
    expect((await api.post('/locations', location('BER-1', 1))).status).toBe(201);
    expect((await api.post('/items', { sku: 'HOODIE-M', name: 'Hoodie, medium', barcode: '4006381333931', weightGrams: 540 })).status).toBe(
      201,
    );
    const receipt = await api.post('/stock/receipts', {
      sku: 'HOODIE-M',
      locationId: 'BER-1',
      quantity: 20,
      reference: 'PO-1001',
      idempotencyKey: 'po-1001-line-1',
    });
    expect(receipt.status).toBe(201);
    expect(receipt.body.entry.balance).toEqual({ onHand: 20, reserved: 0, available: 20 });

    const body = orderBody({ lines: [{ sku: 'HOODIE-M', quantity: 2, unitPrice: 4999 }] });
    const created = await api.post('/orders', body);
    expect(created.status).toBe(202);
    const orderId = created.body.orderId;
    expect(orderId).toBe(`order:manual:${body.channelOrderId}`);

    const released = await waitFor(orderId, 'released_to_fulfillment');
    expect(released.order.totals).toEqual({ subtotal: 9998, discountTotal: 0, taxTotal: 0, shippingTotal: 495, total: 10493 });
    expect((await api.get('/stock/HOODIE-M')).body.total).toEqual({ onHand: 20, reserved: 2, quarantined: 0, available: 18 });

    expect((await api.post(`/orders/${orderId}/events`, { type: 'picked' })).status).toBe(200);
    await waitFor(orderId, 'picked');
    expect((await api.post(`/orders/${orderId}/events`, { type: 'packed' })).status).toBe(200);
    await waitFor(orderId, 'packed');
    expect(
      (await api.post(`/orders/${orderId}/events`, { type: 'shipped', carrier: 'dhl', trackingNumber: 'JJD000390007882' })).status,
    ).toBe(200);
    await waitFor(orderId, 'shipped');
    expect((await api.post(`/orders/${orderId}/events`, { type: 'delivered' })).status).toBe(200);
    const done = await waitFor(orderId, 'completed');
    expect(done.payment.status).toBe('captured');
    expect(done.history.map((h: { status: string }) => h.status).slice(-3)).toEqual(['shipped', 'delivered', 'completed']);
    expect((await api.get('/stock/HOODIE-M')).body.total).toEqual({ onHand: 18, reserved: 0, quarantined: 0, available: 18 });

    const ledger = await api.get('/stock/HOODIE-M/ledger');
    expect(ledger.body.entries.map((e: { type: string }) => e.type)).toEqual(['receipt', 'reservation', 'shipment']);
    expect(ledger.body.entries[0]).toMatchObject({ actor: 'test-operator', reference: 'PO-1001' });

    const list = await api.get('/orders?status=completed&channel=manual');
    expect(list.status).toBe(200);
    expect(list.body.orders.map((o: { orderId: string }) => o.orderId)).toContain(orderId);
  });

  test('an event out of order is refused with 409 and a reason', async () => {
    await api.post('/items', { sku: 'SOCKS', name: 'Socks' });
    await api.post('/stock/receipts', { sku: 'SOCKS', locationId: 'BER-1', quantity: 5 });
    const { body } = await api.post('/orders', orderBody({ lines: [{ sku: 'SOCKS', quantity: 1 }] }));
    await waitFor(body.orderId, 'released_to_fulfillment');
    const delivered = await api.post(`/orders/${body.orderId}/events`, { type: 'delivered' });
    expect(delivered.status).toBe(409);
    expect(delivered.body.error.message).toMatch(/not shipped/);
    const shippedWithoutTracking = await api.post(`/orders/${body.orderId}/events`, { type: 'shipped' });
    expect(shippedWithoutTracking.status).toBe(400);
    expect(shippedWithoutTracking.body.error.details.map((d: { path: string }) => d.path).sort()).toEqual(['carrier', 'trackingNumber']);
  });

  test('the same order posted twice gives one order', async () => {
    await api.post('/items', { sku: 'BELT', name: 'Belt' });
    await api.post('/stock/receipts', { sku: 'BELT', locationId: 'BER-1', quantity: 5 });
    const body = orderBody({ lines: [{ sku: 'BELT', quantity: 1 }] });
    const first = await api.post('/orders', body);
    const second = await api.post('/orders', body);
    expect(first.status).toBe(202);
    expect(second.status).toBe(200);
    expect(second.body).toMatchObject({ orderId: first.body.orderId, duplicate: true });
    await waitFor(first.body.orderId, 'released_to_fulfillment');
    const list = await api.get('/orders?channel=manual&limit=200');
    expect(list.body.orders.filter((o: { channelOrderId: string }) => o.channelOrderId === body.channelOrderId)).toHaveLength(1);
    expect((await api.get('/stock/BELT')).body.total.reserved).toBe(1);
  });

  test('cancel through the API after reservation gives the stock back', async () => {
    await api.post('/items', { sku: 'SCARF', name: 'Scarf' });
    await api.post('/stock/receipts', { sku: 'SCARF', locationId: 'BER-1', quantity: 3 });
    const { body } = await api.post('/orders', orderBody({ lines: [{ sku: 'SCARF', quantity: 3 }] }));
    await waitFor(body.orderId, 'released_to_fulfillment');
    expect((await api.get('/stock/SCARF')).body.total.available).toBe(0);
    expect((await api.post(`/orders/${body.orderId}/cancel`, { reason: 'customer called' })).status).toBe(200);
    const cancelled = await waitFor(body.orderId, 'cancelled');
    expect(cancelled.cancellation.reason).toBe('customer called');
    expect((await api.get('/stock/SCARF')).body.total).toEqual({ onHand: 3, reserved: 0, quarantined: 0, available: 3 });
    const again = await api.post(`/orders/${body.orderId}/cancel`, {});
    expect(again.status).toBe(409);
  });

  test('a receipt wakes an order waiting for stock', async () => {
    await api.post('/items', { sku: 'GLOVES', name: 'Gloves' });
    const { body } = await api.post('/orders', orderBody({ lines: [{ sku: 'GLOVES', quantity: 2 }] }));
    await waitFor(body.orderId, 'awaiting_stock');
    const receipt = await api.post('/stock/receipts', { sku: 'GLOVES', locationId: 'BER-1', quantity: 2 });
    expect(receipt.body.waitingOrders).toBe(1);
    await waitFor(body.orderId, 'released_to_fulfillment');
  });

  test('orders page through with a cursor, newest first', async () => {
    const all: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await api.get(`/orders?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.status).toBe(200);
      all.push(...page.body.orders.map((o: { orderId: string }) => o.orderId));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(new Set(all).size).toBe(all.length);
    expect(all.length).toBeGreaterThanOrEqual(5);
    const full = await api.get('/orders?limit=200');
    expect(full.body.orders.map((o: { orderId: string }) => o.orderId)).toEqual(all);
  });

  test('orders are searched by sku, alone or with status and channel, newest first', async () => {
    await api.post('/items', { sku: 'SCARF-RED', name: 'Red scarf' });
    await api.post('/stock/receipts', { sku: 'SCARF-RED', locationId: 'BER-1', quantity: 10 });
    const place = async (channel: string, sku: string) =>
      (await api.post('/orders', orderBody({ channel, lines: [{ sku, quantity: 1 }] }))).body.orderId as string;
    const phone = await place('phone', 'SCARF-RED');
    const manual = await place('manual', 'SCARF-RED');
    await place('manual', 'HOODIE-M'); // another sku: never listed
    for (const id of [phone, manual]) await waitFor(id, 'released_to_fulfillment');
    expect((await api.post(`/orders/${encodeURIComponent(manual)}/cancel`, {})).status).toBe(200);
    const ids = async (q: string) => (await api.get(`/orders?${q}`)).body.orders.map((o: { orderId: string }) => o.orderId);
    expect(await ids('sku=SCARF-RED')).toEqual([manual, phone]);
    expect(await ids('sku=SCARF-RED&channel=phone')).toEqual([phone]);
    expect(await ids('sku=SCARF-RED&status=cancelled')).toEqual([manual]);
    expect(await ids('sku=SCARF-RED&limit=1')).toEqual([manual]);
    const second = (await api.get('/orders?sku=SCARF-RED&limit=1')).body.nextCursor;
    expect(await ids(`sku=SCARF-RED&limit=1&cursor=${second}`)).toEqual([phone]);
    expect(await ids('sku=NO-SUCH-SKU')).toEqual([]);
  });

  test("a customer's orders are found by email in any case or by the channel's customer id, with a status, a page at a time", async () => {
    const run = Date.now().toString(36);
    const [stocked, missing] = [`CUST-${run}`, `CUST-WAIT-${run}`];
    await api.post('/locations', location('BER-1', 1));
    for (const sku of [stocked, missing]) expect((await api.post('/items', { sku, name: `Customer filter ${sku}` })).status).toBe(201);
    expect((await api.post('/stock/receipts', { sku: stocked, locationId: 'BER-1', quantity: 3 })).status).toBe(201);
    const grace = { name: 'Grace Hopper', email: `Grace.${run}@Example.com` };
    const linus = { name: 'Linus Torvalds', email: `linus.${run}@example.com`, id: `cust-b-${run}` };
    const place = async (customer: object, sku: string, status: string) => {
      const { body } = await api.post('/orders', orderBody({ customer, lines: [{ sku, quantity: 1 }] }));
      await waitFor(body.orderId, status);
      return body.orderId as string;
    };
    // Grace's first order came without her shop account id; her later ones with it.
    const g1 = await place(grace, stocked, 'released_to_fulfillment');
    const g2 = await place({ ...grace, id: `cust-a-${run}` }, stocked, 'released_to_fulfillment');
    const g3 = await place({ ...grace, id: `cust-a-${run}` }, missing, 'awaiting_stock');
    const l1 = await place(linus, stocked, 'released_to_fulfillment');
    const ids = async (query: string) => {
      const res = await api.get(`/orders?${query}`);
      expect(res.status).toBe(200);
      return res.body.orders.map((o: { orderId: string }) => o.orderId) as string[];
    };
    // Newest first, as the whole listing has them.
    const newestFirst = (wanted: string[]) => ids('channel=manual&limit=200').then((all) => all.filter((id) => wanted.includes(id)));

    const byEmail = encodeURIComponent(`  GRACE.${run}@EXAMPLE.COM `);
    expect(await ids(`customer=${byEmail}`)).toEqual(await newestFirst([g1, g2, g3]));
    expect(await ids(`customer=cust-a-${run}`)).toEqual(await newestFirst([g2, g3]));
    expect(await ids(`customer=${byEmail}&status=awaiting_stock`)).toEqual([g3]);
    expect(await ids(`customer=${byEmail}&status=released_to_fulfillment&channel=manual`)).toEqual(await newestFirst([g1, g2]));
    expect(await ids(`customer=${byEmail}&channel=shopify`)).toEqual([]);
    expect(await ids(`customer=${encodeURIComponent(linus.email)}`)).toEqual([l1]);
    expect(await ids(`customer=cust-b-${run}`)).toEqual([l1]);
    expect(await ids(`customer=${encodeURIComponent(`nobody.${run}@example.com`)}`)).toEqual([]);
    expect(await ids(`customer=cust-z-${run}`)).toEqual([]);

    const paged: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await api.get(`/orders?customer=${byEmail}&limit=1${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.body.orders.length).toBeLessThanOrEqual(1);
      paged.push(...page.body.orders.map((o: { orderId: string }) => o.orderId));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(paged).toEqual(await newestFirst([g1, g2, g3]));

    const bad = await api.get('/orders?customer=grace%20hopper');
    expect(bad.status).toBe(400);
    expect(bad.body.error.details).toEqual([expect.objectContaining({ path: 'customer' })]);
  });

  test('a stuck order can be retried from the API only when it needs attention', async () => {
    const { body } = await api.post('/orders', orderBody({ lines: [{ sku: 'SOCKS', quantity: 1 }] }));
    await waitFor(body.orderId, 'released_to_fulfillment');
    const retry = await api.post(`/orders/${body.orderId}/retry`);
    expect(retry.status).toBe(409);
    expect(retry.body.error.code).toBe('conflict');
  });
});
