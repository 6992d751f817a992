import type { ChildProcess } from 'node:child_process';
import supertest from 'supertest';
import { createApp } from '../../api/app';
import { messageIdOf } from '../../services/customer-mail';
import { notificationId } from '../../store/notifications';
import { appDepsOf, TEST_API_KEY } from '../support/api';
import { eventually, location, orderBody, seed } from '../support/fixtures';
import { createTestContext, uniqueId, type TestContext } from '../support/stack';
import { killWorkerProcess, startWorkerProcess } from '../support/worker-process';

// The real worker process mails customer notifications to the local mail server the test stack started
// (SMTP_URL), and the API shows what that server received (GET /dev/mail, LOCAL_MAILBOX_URL).

let ctx: TestContext;
let worker: ChildProcess;
let api: ReturnType<typeof agentFor>;

const agentFor = (app: ReturnType<typeof createApp>) => {
  const agent = supertest(app);
  const auth = { Authorization: `Bearer ${TEST_API_KEY}` };
  return { get: (p: string) => agent.get(p).set(auth), post: (p: string, body: object = {}) => agent.post(p).set(auth).send(body) };
};

interface Mail {
  messageId: string;
  to: string[];
  subject: string;
  text: string;
  html: string;
  headers: Record<string, string>;
}

const mailTo = (email: string) =>
  eventually(
    async () => (await api.get(`/dev/mail?to=${encodeURIComponent(email)}`)).body.messages as Mail[],
    (m) => m?.length > 0,
    60_000,
    `a mail to ${email}`,
  );

beforeAll(async () => {
  ctx = await createTestContext('mail_e2e');
  await seed(ctx.stores, {
    skus: ['MAIL-MUG'],
    locations: [location('MAIL-WH', 1), { ...location('MAIL-STORE', 2), type: 'store', ships: false, pickup: true }],
    stock: [
      { sku: 'MAIL-MUG', locationId: 'MAIL-WH', quantity: 50 },
      { sku: 'MAIL-MUG', locationId: 'MAIL-STORE', quantity: 50 },
    ],
  });
  await ctx.stores.apiKeys.register(TEST_API_KEY, 'test-operator');
  expect(process.env.LOCAL_MAILBOX_URL).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/); // the stack runs a local mail server
  api = agentFor(createApp(appDepsOf(ctx, { localMailboxUrl: process.env.LOCAL_MAILBOX_URL })));
  worker = await startWorkerProcess(ctx, { MAIL_SWEEP_MS: '1000' });
});
afterAll(async () => {
  if (worker) await killWorkerProcess(worker);
  await ctx.close();
});

const placeOrder = async (overrides: Parameters<typeof orderBody>[0]) => {
  const res = await api.post('/orders', orderBody({ lines: [{ sku: 'MAIL-MUG', quantity: 1 }], ...overrides }));
  expect(res.status).toBe(202);
  return res.body.orderId as string;
};

const orderReaches = (orderId: string, status: string) =>
  eventually(
    async () => (await api.get(`/orders/${encodeURIComponent(orderId)}`)).body,
    (o) => o.status === status,
    60_000,
    status,
  );

test('a German customer whose order ships gets the shipped email in German, with the carrier and tracking number', async () => {
  const email = `${uniqueId('kunde')}@example.com`;
  const orderId = await placeOrder({ customer: { name: 'Grete Müller', email, language: 'de-AT' } });
  const path = `/orders/${encodeURIComponent(orderId)}`;
  await orderReaches(orderId, 'released_to_fulfillment');
  await api.post(`${path}/events`, { type: 'picked' });
  await api.post(`${path}/events`, { type: 'packed' });
  await api.post(`${path}/events`, { type: 'shipped', carrier: 'dhl', trackingNumber: 'JD0001234567' });

  const [mail] = await mailTo(email);
  const channelOrderId = orderId.split(':')[2];
  expect(mail.subject).toBe(`Ihre Bestellung ${channelOrderId} wurde versandt`);
  expect(mail.text).toContain('Hallo Grete Müller,');
  expect(mail.text).toContain('Sendungsnummer: JD0001234567');
  expect(mail.html).toContain('<td>JD0001234567</td>');
  expect(mail.headers['content-language']).toBe('de');
  const id = notificationId(orderId, 'shipped');
  expect(mail.messageId).toBe(messageIdOf(id));
  expect(mail.headers['x-orderhub-notification-id']).toBe(id);

  const seen = await eventually(
    async () => (await api.get(`${path}/notifications`)).body,
    (b) => b.notifications?.[0]?.status === 'sent',
    30_000,
    'the notification to be marked sent',
  );
  expect(seen.notifications).toEqual([
    expect.objectContaining({
      id,
      kind: 'shipped',
      status: 'sent',
      sentBy: 'mailer',
      messageId: messageIdOf(id),
      attempts: [expect.objectContaining({ ok: true, ms: expect.any(Number) })],
    }),
  ]);
});

test('a pickup order of a customer without a language gets the ready-for-pickup email in the merchant default, English', async () => {
  const email = `${uniqueId('ada')}@example.com`;
  const orderId = await placeOrder({
    customer: { name: 'Ada Lovelace', email },
    fulfillment: { method: 'pickup', pickupLocationId: 'MAIL-STORE' },
  });
  const path = `/orders/${encodeURIComponent(orderId)}`;
  await orderReaches(orderId, 'released_to_fulfillment');
  await api.post(`${path}/events`, { type: 'picked' });
  await api.post(`${path}/events`, { type: 'packed' });
  const [mail] = await mailTo(email);
  expect(mail.subject).toBe(`Your order ${orderId.split(':')[2]} is ready for pickup`);
  expect(mail.text).toContain('Pickup location: MAIL-STORE');
  expect(mail.headers['content-language']).toBe('en');
});

test('a notification to a customer without an email address is recorded as skipped, with the reason', async () => {
  const orderId = await placeOrder({
    customer: { name: 'No Mail' },
    fulfillment: { method: 'pickup', pickupLocationId: 'MAIL-STORE' },
  });
  const path = `/orders/${encodeURIComponent(orderId)}`;
  await orderReaches(orderId, 'released_to_fulfillment');
  await api.post(`${path}/events`, { type: 'picked' });
  await api.post(`${path}/events`, { type: 'packed' });
  const seen = await eventually(
    async () => (await api.get(`${path}/notifications`)).body.notifications,
    (n) => n?.[0]?.status === 'skipped',
    60_000,
    'the notification to be skipped',
  );
  expect(seen[0]).toMatchObject({ kind: 'ready_for_pickup', status: 'skipped', error: 'no email address', attempts: [] });
});

test('the mailbox is for admins and operators only, and names a bad address', async () => {
  const key = 'reader-key-0123456789abcdef';
  await ctx.stores.apiKeys.register(key, 'reader', { role: 'customer_service' });
  const app = createApp(appDepsOf(ctx, { localMailboxUrl: process.env.LOCAL_MAILBOX_URL }));
  const denied = await supertest(app)
    .get('/dev/mail')
    .set({ Authorization: `Bearer ${key}` });
  expect(denied.status).toBe(403);
  expect(JSON.stringify(denied.body)).toContain('notifications:mailbox');
  const bad = await api.get('/dev/mail?to=not-an-address');
  expect(bad.status).toBe(400);
  expect(bad.body.error.details.map((d: { path: string }) => d.path)).toEqual(['to']);
  const none = await agentFor(createApp(appDepsOf(ctx))).get('/dev/mail');
  expect(none.status).toBe(404);
});
