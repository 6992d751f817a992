import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import supertest from 'supertest';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { createApp } from '../../api/app';
import { createTestContext, stackEnv, type RunningWorker, type TestContext } from '../support/stack';
import type { TestStackInfo } from '../../scripts/test';
import { apiFor, appDepsOf, TEST_API_KEY } from '../support/api';
import { eventually, location, orderBody } from '../support/fixtures';
import type { OrderState } from '../../domain/order-state';

// Commands are the order workflow's Updates: the workflow alone decides, the API answers with its decision.

let ctx: TestContext;
let api: Awaited<ReturnType<typeof apiFor>>;
let worker: RunningWorker;

beforeAll(async () => {
  ctx = await createTestContext('api_commands');
  api = await apiFor(ctx, { activityMaxAttempts: 2, activityInitialIntervalMs: 100 });
  worker = await ctx.startWorker();
  expect((await api.post('/locations', location('CMD-1', 1))).status).toBe(201);
  expect((await api.post('/items', { sku: 'CMD-MUG', name: 'Mug', weightGrams: 300 })).status).toBe(201);
  expect((await api.post('/stock/receipts', { sku: 'CMD-MUG', locationId: 'CMD-1', quantity: 100 })).status).toBe(201);
});
afterAll(async () => ctx.close());

const getOrder = async (id: string) => (await api.get(`/orders/${encodeURIComponent(id)}`)).body;
async function releasedOrder(): Promise<string> {
  const created = await api.post('/orders', orderBody({ lines: [{ sku: 'CMD-MUG', quantity: 1 }] }));
  expect(created.status).toBe(202);
  const id: string = created.body.orderId;
  await eventually(
    () => getOrder(id),
    (o) => o.status === 'released_to_fulfillment',
    30_000,
    `${id} to be released`,
  );
  return id;
}
// The Temporal CLI npm test started the dev server with, against that server.
function cli(args: string[]): Promise<{ code: number; output: string }> {
  const info = JSON.parse(readFileSync(process.env.ORDERHUB_TEST_STACK_INFO!, 'utf8')) as TestStackInfo;
  const temporal = info.services.temporal.command[0];
  return new Promise((resolve) => {
    execFile(temporal, [...args, '--address', stackEnv().TEMPORAL_ADDRESS], { timeout: 30_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, output: `${stdout}${stderr}` }),
    );
  });
}
const statuses = (state: OrderState) => state.history.map((h) => h.status);

test("a command the order cannot take is refused with the workflow's reason (409), and nothing is applied", async () => {
  const id = await releasedOrder();
  const retry = await api.post(`/orders/${id}/retry`);
  expect(retry.status).toBe(409);
  expect(retry.body.error).toMatchObject({
    code: 'conflict',
    message: `Order ${id} is released_to_fulfillment, not needs_attention: nothing to retry`,
    details: { status: 'released_to_fulfillment' },
  });
  const delivered = await api.post(`/orders/${id}/events`, { type: 'delivered' });
  expect(delivered.status).toBe(409);
  expect(delivered.body.error.message).toBe(`Order ${id} has not shipped yet`);
  // Arguments that do not fit this order: 400 naming the field.
  const part = await api.post(`/orders/${id}/events`, { type: 'picked', part: '2' });
  expect(part.status).toBe(400);
  expect(part.body.error.details).toEqual([{ path: 'part', message: `order ${id} is not split: leave part out` }]);
  expect((await getOrder(id)).status).toBe('released_to_fulfillment');
});

test('commands sent back to back are each answered with the state they produced (no lagging view in between)', async () => {
  const id = await releasedOrder();
  const picked = await api.post(`/orders/${id}/events`, { type: 'picked' });
  const packed = await api.post(`/orders/${id}/events`, { type: 'packed' });
  expect([picked.status, packed.status]).toEqual([200, 200]);
  expect(picked.body).toMatchObject({ orderId: id, accepted: 'picked', status: 'picked' });
  expect(packed.body).toMatchObject({ orderId: id, accepted: 'packed', status: 'packed' });
  const again = await api.post(`/orders/${id}/events`, { type: 'packed' });
  expect(again.status).toBe(409);
  expect(again.body.error.message).toBe(`Order ${id} is at packed: "packed" does not apply`);

  const held = await api.post(`/orders/${id}/hold`, { reason: 'address check' });
  expect(held.status).toBe(200);
  expect(held.body).toMatchObject({ status: 'on_hold', hold: { reason: 'address check' } });
  const released = await api.post(`/orders/${id}/release`);
  expect(released.status).toBe(200);
  expect(released.body.status).toBe('packed');
  expect((await api.post(`/orders/${id}/release`)).status).toBe(409);

  const reserved = async () => (await api.get('/stock/CMD-MUG')).body.total.reserved as number;
  const reservedBefore = await reserved();
  const cancelled = await api.post(`/orders/${id}/cancel`, { reason: 'customer called' });
  expect(cancelled.status).toBe(200);
  expect(cancelled.body).toMatchObject({ status: 'cancelled' });
  expect(await reserved()).toBe(reservedBefore - 1); // given back before the answer
  // The order has ended: its workflow is gone, and the answer says why.
  const late = await api.post(`/orders/${id}/hold`);
  expect(late.status).toBe(409);
  expect(late.body.error.message).toBe(`Cannot hold order ${id}: it is cancelled`);
  expect((await api.post(`/orders/order:manual:no-such-order/hold`)).status).toBe(404);
});

test('the same Idempotency-Key applies a command once, and a command the order is slow to answer is acknowledged (202) and answered when repeated', async () => {
  const id = await releasedOrder();
  const key = `hold-${id}`;
  const first = await api.raw
    .post(`/orders/${id}/hold`)
    .set('Authorization', `Bearer ${TEST_API_KEY}`)
    .set('Idempotency-Key', key)
    .send({});
  const second = await api.raw
    .post(`/orders/${id}/hold`)
    .set('Authorization', `Bearer ${TEST_API_KEY}`)
    .set('Idempotency-Key', key)
    .send({});
  expect([first.status, second.status]).toEqual([200, 200]);
  expect(second.body.commandId).toBe(key);
  expect(statuses(second.body).filter((s) => s === 'on_hold')).toHaveLength(1);

  // No worker: the order cannot answer within the wait.
  await worker.stop();
  const impatient = supertest(createApp(appDepsOf(ctx, { commandAnswerWithinMs: 1_500 })));
  const pending = await impatient.post(`/orders/${id}/release`).set('Authorization', `Bearer ${TEST_API_KEY}`).send({});
  expect(pending.status).toBe(202);
  expect(pending.body).toMatchObject({ orderId: id, accepted: 'release', pending: true });
  expect(typeof pending.body.commandId).toBe('string');

  worker = await ctx.startWorker();
  const answered = await api.raw
    .post(`/orders/${id}/release`)
    .set('Authorization', `Bearer ${TEST_API_KEY}`)
    .set('Idempotency-Key', pending.body.commandId)
    .send({});
  expect(answered.status).toBe(200);
  expect(answered.body.status).toBe('released_to_fulfillment');
  expect(statuses(answered.body).filter((s) => s === 'on_hold')).toHaveLength(1);
  expect(answered.body.history.filter((h: { reason?: string }) => h.reason === 'released from hold')).toHaveLength(1);
});

test('the Temporal client and CLI drive the same Updates and get the same refusals; the signals still work', async () => {
  const id = await releasedOrder();
  const handle = ctx.temporal.workflow.getHandle(id);
  const held = await handle.executeUpdate<OrderState, [{ reason: string }]>('holdOrder', { args: [{ reason: 'from the CLI' }] });
  expect(held).toMatchObject({ status: 'on_hold', hold: { reason: 'from the CLI' } });
  const refused = await handle.executeUpdate('retryOrder').catch((err: unknown) => err);
  expect(refused).toBeInstanceOf(WorkflowUpdateFailedError);
  const cause = (refused as WorkflowUpdateFailedError).cause;
  expect(cause).toBeInstanceOf(ApplicationFailure);
  expect((cause as ApplicationFailure).type).toBe('CommandRefused');
  expect(cause!.message).toBe(`Order ${id} is on_hold, not needs_attention: nothing to retry`);

  // The Temporal CLI, as an operator would type it.
  const refusedByCli = await cli(['workflow', 'update', 'execute', '--workflow-id', id, '--name', 'retryOrder']);
  expect(refusedByCli.code).not.toBe(0);
  expect(refusedByCli.output).toContain(`Order ${id} is on_hold, not needs_attention: nothing to retry`);
  const releasedByCli = await cli(['workflow', 'update', 'execute', '--workflow-id', id, '--name', 'releaseOrder', '-o', 'json']);
  expect(releasedByCli.code).toBe(0);
  expect(releasedByCli.output).toMatch(/"status":\s*"released_to_fulfillment"/);

  // The signals still work for orders started before the Updates (as the UI's "Send signal" sends them).
  await handle.signal('hold', { reason: 'from the UI' });
  await eventually(
    () => getOrder(id),
    (o) => o.status === 'on_hold',
    30_000,
    `${id} to be held by a signal`,
  );
  await handle.signal('release');
  await eventually(
    () => getOrder(id),
    (o) => o.status === 'released_to_fulfillment',
    30_000,
    `${id} to be released by a signal`,
  );
});
