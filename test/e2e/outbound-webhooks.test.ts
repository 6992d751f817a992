import { createHmac, timingSafeEqual } from 'node:crypto';
import nock from 'nock';
import supertest from 'supertest';
import { createApp } from '../../api/app';
import { startOutboundWebhookSender } from '../../worker/outbound-webhooks';
import { OutboundWebhooks } from '../../store/outbound-webhooks';
import { SecretBox } from '../../store/secret-box';
import { apiFor, appDepsOf } from '../support/api';
import { eventually, location, orderBody, seed } from '../support/fixtures';
import { createTestContext, type TestContext } from '../support/stack';

// Outbound webhooks end to end: an admin subscribes a third party's URL, orders move through their
// statuses on a real worker, the sender (as the worker process runs it) POSTs each status change signed.
// The subscribers are third-party HTTP: nock, answering as a subscriber would.

let ctx: TestContext;
let api: Awaited<ReturnType<typeof apiFor>>;
let sender: { close(): Promise<void> };

beforeAll(async () => {
  nock.disableNetConnect();
  nock.enableNetConnect(/127\.0\.0\.1|localhost/);
  ctx = await createTestContext('outbound_webhooks');
  await seed(ctx.stores, {
    skus: ['HOOK-LAMP'],
    locations: [location('HOOK-WH', 1)],
    stock: [{ sku: 'HOOK-LAMP', locationId: 'HOOK-WH', quantity: 50 }],
  });
  api = await apiFor(ctx);
  await ctx.startWorker();
  sender = startOutboundWebhookSender(
    { outboundWebhooks: ctx.stores.outboundWebhooks, redis: ctx.redis, log: ctx.log },
    { prefix: ctx.bullPrefix, attempts: 4, backoffMs: 300, sweepMs: 500 },
  );
});
afterAll(async () => {
  await sender?.close();
  await ctx.close();
  nock.cleanAll();
  nock.enableNetConnect();
});

interface Received {
  headers: Record<string, string>;
  raw: string;
  body: { id: string; type: string; data: { orderId: string; status: string; previousStatus?: string } };
}

// What a subscriber does with a delivery: recompute the signature over timestamp and raw body, compare in
// constant time, refuse an old timestamp.
function verify(secret: string, header: string, raw: string, nowSeconds = Math.floor(Date.now() / 1000)): boolean {
  const parts = Object.fromEntries(header.split(',').map((kv) => kv.split('=') as [string, string]));
  const t = Number(parts.t);
  if (!Number.isInteger(t) || Math.abs(nowSeconds - t) > 300 || !parts.v1) return false;
  const expected = createHmac('sha256', secret).update(`${t}.${raw}`).digest();
  const given = Buffer.from(parts.v1, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

// A subscriber at https://<host><path>: answer() decides each reply. nock hands the body over parsed; the
// sender writes it with JSON.stringify, so writing it again gives back the bytes that were signed.
function subscriberAt(host: string, path: string, answer: (r: Received) => number) {
  const received: Received[] = [];
  nock(`https://${host}`)
    .persist()
    .post(path)
    .reply(function (_uri, body) {
      const raw = typeof body === 'string' ? body : JSON.stringify(body);
      const r = { headers: this.req.headers as Record<string, string>, raw, body: JSON.parse(raw) as Received['body'] };
      received.push(r);
      return [answer(r), 'ok'];
    });
  return received;
}

const placeOrder = async () => {
  const res = await api.post('/orders', orderBody({ lines: [{ sku: 'HOOK-LAMP', quantity: 1 }] }));
  expect(res.status).toBe(202);
  return res.body.orderId as string;
};

test('with no subscriber for its type an event is not kept: nothing to fan out on the order path', async () => {
  const orderId = await placeOrder();
  await eventually(
    async () => (await api.get(`/orders/${encodeURIComponent(orderId)}`)).body.status,
    (s) => s === 'released_to_fulfillment',
    60_000,
    'the order released',
  );
  expect(await ctx.mongo.db.collection('webhook_events').countDocuments({ orderId })).toBe(0);
  expect((await api.get(`/orders/${encodeURIComponent(orderId)}/notifications`)).body.webhookDeliveries).toEqual([]);
});

test('a subscriber receives every status change of an order, each signed so that it can verify it', async () => {
  const received = subscriberAt('crm.example.com', '/hooks/orderhub', () => 204);
  const created = await api.post('/webhook-subscribers', {
    url: 'https://crm.example.com/hooks/orderhub',
    events: ['order.status_changed'],
    description: 'CRM',
  });
  expect(created.status).toBe(201);
  expect(created.body).toMatchObject({ id: expect.stringMatching(/^sub_/), enabled: true, events: ['order.status_changed'] });
  const secret = created.body.secret as string;
  expect(secret).toMatch(/^whsec_/);
  const listed = await api.get('/webhook-subscribers');
  expect(listed.body.subscribers.find((s: { id: string }) => s.id === created.body.id)).not.toHaveProperty('secret');
  expect(JSON.stringify(listed.body)).not.toContain(secret);

  const orderId = await placeOrder();
  const forOrder = () => received.filter((r) => r.body.data.orderId === orderId);
  await eventually(
    async () => forOrder(),
    (rs) => rs.some((r) => r.body.data.status === 'released_to_fulfillment'),
    60_000,
    'the released_to_fulfillment event',
  );
  for (const r of forOrder()) {
    expect(r.headers['orderhub-event-type']).toBe('order.status_changed');
    expect(r.headers['orderhub-event-id']).toBe(r.body.id);
    expect(verify(secret, r.headers['orderhub-signature'], r.raw)).toBe(true);
    expect(verify('whsec_not-the-secret', r.headers['orderhub-signature'], r.raw)).toBe(false);
    expect(verify(secret, r.headers['orderhub-signature'], r.raw.replace(orderId, `${orderId}x`))).toBe(false);
  }
  // Status changes after the capture, each with the status it left.
  const released = forOrder().find((r) => r.body.data.status === 'released_to_fulfillment')!;
  expect(released.body.data.previousStatus).toEqual(expect.any(String));
  expect(new Set(forOrder().map((r) => r.body.id)).size).toBe(forOrder().length); // each event once

  const visible = await api.get(`/orders/${encodeURIComponent(orderId)}/notifications`);
  expect(visible.body.webhookDeliveries).toEqual(
    expect.arrayContaining([
      expect.objectContaining({
        subscriberId: created.body.id,
        status: 'delivered',
        attempts: [expect.objectContaining({ statusCode: 204 })],
      }),
    ]),
  );
  const disabled = await api.post(`/webhook-subscribers/${created.body.id}/disable`, {});
  expect(disabled.body).toMatchObject({ enabled: false });
});

test('a subscriber answering 500 is retried with growing waits, every try logged; an operator replays the delivery', async () => {
  const tries = new Map<string, number>();
  const received = subscriberAt('flaky.example.com', '/hook', (r) => {
    const n = (tries.get(r.body.id) ?? 0) + 1;
    tries.set(r.body.id, n);
    return n <= 2 ? 500 : 200;
  });
  const created = await api.post('/webhook-subscribers', { url: 'https://flaky.example.com/hook', events: ['order.status_changed'] });
  const subscriberId = created.body.id as string;
  const orderId = await placeOrder();
  const path = `/orders/${encodeURIComponent(orderId)}/notifications`;
  // The delivery of the order's release to this subscriber.
  const isRelease = (d: { eventId: string; subscriberId: string }) =>
    d.subscriberId === subscriberId && d.eventId.includes('|released_to_fulfillment|');
  const delivered = await eventually(
    async () =>
      ((await api.get(path)).body.webhookDeliveries as { id: string; eventId: string; subscriberId: string; status: string }[]).find(
        isRelease,
      ),
    (d) => d?.status === 'delivered',
    60_000,
    'the delivery to succeed on its third try',
  );
  const attempts = (delivered as unknown as { attempts: { at: string; statusCode: number; ms: number; error?: string }[] }).attempts;
  expect(attempts.map((a) => a.statusCode)).toEqual([500, 500, 200]);
  expect(attempts[0]).toMatchObject({ error: 'answered 500', ms: expect.any(Number) });
  const [a, b, c] = attempts.map((x) => Date.parse(x.at));
  expect(b - a).toBeGreaterThanOrEqual(250); // 300 ms, then twice that
  expect(c - b).toBeGreaterThanOrEqual(550);

  const deliveryId = delivered!.id;
  const eventId = delivered!.eventId;
  expect(deliveryId).toBe(`${eventId}|${subscriberId}`);
  const before = received.filter((r) => r.body.id === eventId).length;
  const replayed = await api.post(`/webhook-deliveries/${encodeURIComponent(deliveryId)}/replay`, {});
  expect(replayed.status).toBe(200);
  expect(replayed.body).toMatchObject({ id: deliveryId, status: 'pending', replays: 1 });
  const after = await eventually(
    async () =>
      ((await api.get(path)).body.webhookDeliveries as { id: string; status: string; attempts: unknown[] }[]).find(
        (d) => d.id === deliveryId,
      ),
    (d) => d?.status === 'delivered' && d.attempts.length === 4,
    30_000,
    'the replay to be delivered',
  );
  expect(after!.attempts).toHaveLength(4);
  expect(received.filter((r) => r.body.id === eventId)).toHaveLength(before + 1); // the same event id again
  const unknown = await api.post(`/webhook-deliveries/${encodeURIComponent(`${orderId}|received|1|sub_0000000000000000`)}/replay`, {});
  expect(unknown.status).toBe(404);
});

test('an event whose fan-out request was lost (Redis lost its jobs) is still delivered: the sweep asks again', async () => {
  const received = subscriberAt('erp.example.com', '/lost', () => 200);
  const created = await api.post('/webhook-subscribers', { url: 'https://erp.example.com/lost', events: ['order.status_changed'] });
  expect(created.status).toBe(201);
  // Recorded the way the order path records it, but nobody is told: the request to fan it out is lost.
  const untold = new OutboundWebhooks(ctx.mongo.db, new SecretBox(Buffer.alloc(32, 7).toString('base64')));
  const orderId = 'order:manual:LOST-1';
  const eventId = `${orderId}|picked|4`;
  const event = { id: eventId, type: 'order.status_changed' as const, orderId, at: new Date().toISOString(), data: { status: 'picked' } };
  expect(await untold.recordEvent(event)).toBe(true);
  const got = await eventually(
    async () => received.filter((r) => r.body.id === eventId),
    (rs) => rs.length > 0,
    15_000,
    'the sweep to fan the event out and deliver it',
  );
  expect(got[0].body.data).toMatchObject({ orderId, status: 'picked' });
  await eventually(
    async () => (await ctx.mongo.db.collection('webhook_events').findOne({ _id: eventId as never }))?.fanOutPending,
    (flag) => flag === undefined,
    5_000,
    'the event to be marked fanned out',
  );
  // Swept again and again, a delivered event is not sent twice.
  await new Promise((r) => setTimeout(r, 1_500));
  expect(received.filter((r) => r.body.id === eventId)).toHaveLength(1);
  await api.post(`/webhook-subscribers/${created.body.id}/disable`, {});
});

test('bad subscriber input is refused naming each field; production wants https; only admins manage subscribers', async () => {
  const bad = await api.post('/webhook-subscribers', { url: 'not a url', events: ['order.teleported'], colour: 'red' });
  expect(bad.status).toBe(400);
  expect(bad.body.error.details.map((d: { path: string }) => d.path).sort()).toEqual(['colour', 'events.0', 'url']);
  const none = await api.post('/webhook-subscribers', { url: 'https://a.example.com/x', events: [] });
  expect(none.body.error.details.map((d: { path: string }) => d.path)).toEqual(['events']);

  const production = supertest(createApp(appDepsOf(ctx, { requireHttpsWebhooks: true })));
  const plain = await production
    .post('/webhook-subscribers')
    .set('Authorization', 'Bearer test-api-key-0123456789')
    .send({ url: 'http://crm.example.com/hook', events: ['order.status_changed'] });
  expect(plain.status).toBe(400);
  expect(plain.body.error.details).toEqual([expect.objectContaining({ path: 'url', message: expect.stringContaining('https') })]);

  const operatorKey = 'operator-key-0123456789abcdef';
  await ctx.stores.apiKeys.register(operatorKey, 'operator', { role: 'operator' });
  const denied = await production
    .post('/webhook-subscribers')
    .set('Authorization', `Bearer ${operatorKey}`)
    .send({ url: 'https://crm.example.com/hook', events: ['order.status_changed'] });
  expect(denied.status).toBe(403);
  expect(denied.body.error.message).toContain('subscribers:manage');
});
