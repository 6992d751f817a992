import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Job } from 'bullmq';
import type { ChannelReturnEvent } from '../../connectors/types';
import { connectionInputSchema } from '../../domain/connection';
import { ValidationError } from '../../domain/errors';
import { silentLogger } from '../../domain/logger';
import type { ChannelReturns, ChannelReturnOutcome } from '../../services/channel-returns';
import { createWebhookService, type WebhookJob } from '../../services/webhooks';
import { deliveryKey } from '../../store/webhook-deliveries';
import { webhookProcessor } from '../../worker/webhook-consumer';
import { createTestContext, uniqueId, type TestContext } from '../support/stack';

// A Shopify return or refund webhook through the real intake (verified, stored, queued) and the webhook
// consumer's processing of its job, against the test stack's store: the mapped event reaches the
// ChannelReturns dependency (a recording stand-in for the return service, which is not built yet).
const SHOP = 'orderhub-returns.myshopify.com';
const SECRET = 'shopify-app-client-secret-returns';
const CONNECTION = 'shop-ret';
const fixture = (name: string) => readFileSync(join(__dirname, '..', 'connectors', 'fixtures', 'shopify', `${name}.json`), 'utf8');

let ctx: TestContext;

beforeAll(async () => {
  ctx = await createTestContext('worker_returns');
  await ctx.stores.connections.create(
    connectionInputSchema.parse({
      id: CONNECTION,
      kind: 'shopify',
      name: 'Returns storefront',
      options: { shopDomain: SHOP },
      credentials: { accessToken: 'shpat_returns_token', webhookSecret: SECRET },
    }),
  );
});
afterAll(() => ctx.close());

// Receives a signed delivery as the API route does, then runs the consumer's processing of its job.
async function deliver(topic: string, body: string, channelReturns?: ChannelReturns) {
  const deliveryId = uniqueId('delivery');
  const intake = createWebhookService({
    connections: ctx.stores.connections,
    webhooks: ctx.stores.webhooks,
    webhookQueue: ctx.webhookQueue,
    redis: ctx.redis,
    log: silentLogger,
  });
  await intake.receive(CONNECTION, Buffer.from(body), {
    'x-shopify-hmac-sha256': createHmac('sha256', SECRET).update(body).digest('base64'),
    'x-shopify-topic': topic,
    'x-shopify-shop-domain': SHOP,
    'x-shopify-webhook-id': deliveryId,
  });
  const process = webhookProcessor({
    stores: ctx.stores,
    intake: { temporal: ctx.temporal, taskQueue: ctx.taskQueue, orders: ctx.stores.orders, log: silentLogger },
    redis: ctx.redis,
    log: silentLogger,
    ...(channelReturns && { channelReturns }),
  });
  const key = deliveryKey(CONNECTION, deliveryId);
  const result = await process({ data: { delivery: key } } as Job<WebhookJob>);
  return { result, stored: await ctx.stores.webhooks.get(key) };
}

function recording(answer: ChannelReturnOutcome) {
  const applied: { connectionId: string; event: ChannelReturnEvent }[] = [];
  const channelReturns: ChannelReturns = {
    async apply(connectionId, event) {
      applied.push({ connectionId, event });
      return answer;
    },
  };
  return { applied, channelReturns };
}

test('a signed returns/request is handed to the return service as return_requested with exact ids, and the delivery is settled with its outcome', async () => {
  const returns = recording('applied');
  const { result, stored } = await deliver('returns/request', fixture('returns-request'), returns.channelReturns);
  expect(returns.applied).toEqual([
    {
      connectionId: CONNECTION,
      event: expect.objectContaining({
        kind: 'return_requested',
        channelReturnId: '9123456789012345678',
        channelOrderId: '9007199254740993',
        lines: [
          { channelLineId: '9007199254740995', quantity: 2, reason: 'size_too_small' },
          { channelLineId: '12695210000533', quantity: 1, reason: 'unwanted' },
        ],
      }),
    },
  ]);
  expect(result).toBe('return_requested (return 9123456789012345678, order 9007199254740993): applied');
  expect(stored).toMatchObject({ status: 'processed', outcome: result });
});

test('until the return service exists, a refund made in Shopify is logged and its delivery settled as ignored, naming it', async () => {
  const { result, stored } = await deliver('refunds/create', fixture('refunds-create'));
  expect(result).toBe('refund_created (return 9123456789012345678, refund 890088186047892319, order 820982911946154508): ignored');
  expect(stored).toMatchObject({ status: 'ignored', outcome: result });
});

test("a refund Orderhub reported itself never reaches the return service, and the return service's refusal makes a dead letter", async () => {
  const returns = recording('applied');
  const ours = fixture('refunds-create').replace(
    '"note": "Things were damaged"',
    '"note": "Orderhub return return:order:shop-ret:820982911946154508:1"',
  );
  const own = await deliver('refunds/create', ours, returns.channelReturns);
  expect(returns.applied).toEqual([]);
  expect(own.stored).toMatchObject({ status: 'ignored', outcome: expect.stringContaining('made by Orderhub') });

  const refusing: ChannelReturns = {
    async apply() {
      throw new ValidationError('Return cannot be applied', [{ path: 'channelOrderId', message: 'no order 9007199254740993 on shop-ret' }]);
    },
  };
  const refused = await deliver('returns/request', fixture('returns-request'), refusing);
  expect(refused.result).toBe('dead');
  expect(refused.stored).toMatchObject({
    status: 'dead',
    deadReason: 'Return cannot be applied (channelOrderId: no order 9007199254740993 on shop-ret)',
  });
});
