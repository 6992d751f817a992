import type { ChildProcess } from 'node:child_process';
import { startLocalMailServer, type LocalMailServer, type ReceivedMail } from '../../scripts/mail-server';
import { freePort } from '../../scripts/stack';
import { Queue } from 'bullmq';
import { CUSTOMER_MAIL_QUEUE, mailJobId, messageIdOf } from '../../services/customer-mail';
import { notificationId } from '../../store/notifications';
import { apiFor } from '../support/api';
import { eventually, location, orderBody, seed } from '../support/fixtures';
import { createTestContext, uniqueId, type TestContext } from '../support/stack';
import { killWorkerProcess, startWorkerProcess } from '../support/worker-process';

// The real worker process against a mail server of the test's own (the same local mail server the stack
// runs, in this process), so the test can hold its answer to a message or refuse messages for a while.

let ctx: TestContext;
let api: Awaited<ReturnType<typeof apiFor>>;
let mail: LocalMailServer;
let worker: ChildProcess | undefined;
let refusing = false;
let hold: ((m: ReceivedMail) => Promise<void>) | undefined;

const workerEnv = () => ({
  SMTP_URL: mail.smtpUrl,
  MAIL_MAX_ATTEMPTS: '3',
  MAIL_RETRY_DELAY_MS: '300',
  MAIL_LOCK_MS: '4000',
  MAIL_SWEEP_MS: '1000',
});

beforeAll(async () => {
  ctx = await createTestContext('mail_delivery');
  await seed(ctx.stores, {
    skus: ['MAILD-CUP'],
    locations: [location('MAILD-WH', 1)],
    stock: [{ sku: 'MAILD-CUP', locationId: 'MAILD-WH', quantity: 50 }],
  });
  api = await apiFor(ctx);
  mail = await startLocalMailServer({
    smtpPort: await freePort(),
    httpPort: await freePort(),
    refusing: () => refusing,
    onMessage: (m) => hold?.(m) ?? Promise.resolve(),
  });
  worker = await startWorkerProcess(ctx, workerEnv());
});
afterAll(async () => {
  if (worker) await killWorkerProcess(worker);
  await mail?.close();
  await ctx.close();
});

// An order placed and shipped through the API: its `shipped` notification goes to the mailer.
async function shipOrder(email: string): Promise<string> {
  const placed = await api.post(
    '/orders',
    orderBody({ customer: { name: 'Ada Lovelace', email }, lines: [{ sku: 'MAILD-CUP', quantity: 1 }] }),
  );
  expect(placed.status).toBe(202);
  const orderId = placed.body.orderId as string;
  const path = `/orders/${encodeURIComponent(orderId)}`;
  await eventually(
    async () => (await api.get(path)).body,
    (o) => o.status === 'released_to_fulfillment',
    60_000,
    'release',
  );
  await api.post(`${path}/events`, { type: 'picked' });
  await api.post(`${path}/events`, { type: 'packed' });
  await api.post(`${path}/events`, { type: 'shipped', carrier: 'ups', trackingNumber: '1Z999AA10123456784' });
  return orderId;
}

const notificationOf = async (orderId: string) =>
  (await api.get(`/orders/${encodeURIComponent(orderId)}/notifications`)).body.notifications[0] as {
    id: string;
    status: string;
    error?: string;
    attempts: { at: string; ok: boolean; error?: string }[];
  };

const received = (email: string) => mail.messages().filter((m) => m.to.includes(email));

test('a mailer killed after the mail server took the message but before marking it sent sends it again, with the same Message-ID', async () => {
  const email = `${uniqueId('crash')}@example.com`;
  let taken!: () => void;
  const tookIt = new Promise<void>((r) => (taken = r));
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  // The server keeps the message and holds its answer: the mailer never hears it was taken.
  hold = async (m) => {
    if (!m.to.includes(email) || received(email).length > 1) return;
    taken();
    await released;
  };
  const orderId = await shipOrder(email);
  await tookIt;
  await killWorkerProcess(worker!);
  worker = undefined;
  release();
  expect((await notificationOf(orderId)).status).toBe('pending'); // the crash came before the mark

  worker = await startWorkerProcess(ctx, workerEnv());
  const id = notificationId(orderId, 'shipped');
  const after = await eventually(
    () => notificationOf(orderId),
    (n) => n.status === 'sent',
    60_000,
    'the resend to be marked sent',
  ).catch(async (err: Error) => {
    const queue = new Queue(CUSTOMER_MAIL_QUEUE, { connection: ctx.redis, prefix: ctx.bullPrefix });
    const job = await queue.getJob(mailJobId(id, 0));
    const state = job ? { state: await job.getState(), stalled: job.stalledCounter, failed: job.failedReason } : 'no job';
    await queue.close();
    throw new Error(`${err.message}; mail job: ${JSON.stringify(state)}; copies: ${received(email).length}`);
  });
  const copies = received(email);
  expect(copies).toHaveLength(2);
  expect(copies.map((c) => c.messageId)).toEqual([messageIdOf(id), messageIdOf(id)]);
  expect(after.attempts.filter((a) => a.ok)).toHaveLength(1);
  hold = undefined;
}, 240_000);

test('a mail server that refuses is retried with growing waits, then the notification is failed with the error; an operator retry delivers it', async () => {
  const email = `${uniqueId('refused')}@example.com`;
  refusing = true;
  let orderId = '';
  try {
    orderId = await shipOrder(email);
    const failed = await eventually(
      () => notificationOf(orderId),
      (n) => n?.status === 'failed',
      60_000,
      'the notification to fail',
    );
    expect(failed.attempts).toHaveLength(3); // MAIL_MAX_ATTEMPTS
    expect(failed.attempts.every((a) => !a.ok && /451/.test(a.error ?? ''))).toBe(true);
    expect(failed.error).toMatch(/451/);
    const [a, b, c] = failed.attempts.map((x) => Date.parse(x.at));
    expect(b - a).toBeGreaterThanOrEqual(250); // MAIL_RETRY_DELAY_MS, then twice that
    expect(c - b).toBeGreaterThanOrEqual(550);
    expect(received(email)).toHaveLength(0);
  } finally {
    refusing = false;
  }

  const id = notificationId(orderId, 'shipped');
  const retried = await api.post(`/customer-notifications/${encodeURIComponent(id)}/retry`, {});
  expect(retried.status).toBe(200);
  expect(retried.body).toMatchObject({ id, status: 'pending', retries: 1 });
  const sent = await eventually(
    () => notificationOf(orderId),
    (n) => n.status === 'sent',
    60_000,
    'the retried notification to be sent',
  );
  expect(sent.attempts.map((x) => x.ok)).toEqual([false, false, false, true]);
  expect(received(email)).toHaveLength(1);

  const again = await api.post(`/customer-notifications/${encodeURIComponent(id)}/retry`, {});
  expect(again.status).toBe(409);
  expect(again.body.error.message).toContain('only a failed one can be retried');
  const missing = await api.post(`/customer-notifications/${encodeURIComponent(`${orderId}|delivered`)}/retry`, {});
  expect(missing.status).toBe(404);
}, 240_000);
