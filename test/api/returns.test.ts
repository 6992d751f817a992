import { createTestContext, type TestContext } from '../support/stack';
import { apiFor } from '../support/api';

let ctx: TestContext;
let api: Awaited<ReturnType<typeof apiFor>>;

beforeAll(async () => {
  ctx = await createTestContext('api_returns');
  api = await apiFor(ctx);
  for (const sku of ['GIFT-CARD', 'TEE-M']) await api.post('/items', { sku, name: sku });
});
afterAll(() => ctx.close());

describe('return policy', () => {
  test('the defaults apply until one is set; a set policy is read back whole, with who set it', async () => {
    const initial = await api.get('/return-policy');
    expect(initial.status).toBe(200);
    expect(initial.body).toMatchObject({
      isDefault: true,
      policy: { windowDays: 30, resolutions: ['refund', 'exchange', 'store_credit'] },
    });

    const put = await api.raw
      .put('/return-policy')
      .set('Authorization', 'Bearer test-api-key-0123456789')
      .send({
        windowDays: 30,
        channelWindowDays: { amazon: 30, shop: 14 },
        reasons: [
          { code: 'damaged', label: 'Arrived damaged', approval: 'auto' },
          { code: 'not_as_described', label: 'Not as described', approval: 'review' },
        ],
        resolutions: ['refund', 'exchange'],
        returnLabel: 'none',
        restockingFeeBasisPoints: 1000,
        nonReturnableSkus: ['GIFT-CARD'],
      });
    expect(put.status).toBe(200);
    const read = await api.get('/return-policy');
    expect(read.body).toEqual({
      isDefault: false,
      updatedAt: put.body.updatedAt,
      updatedBy: expect.any(String),
      policy: {
        windowDays: 30,
        channelWindowDays: { amazon: 30, shop: 14 },
        reasons: [
          { code: 'damaged', label: 'Arrived damaged', approval: 'auto' },
          { code: 'not_as_described', label: 'Not as described', approval: 'review' },
        ],
        resolutions: ['refund', 'exchange'],
        returnLabel: 'none',
        restockingFeeBasisPoints: 1000,
        refundShipping: 'never',
        nonReturnableSkus: ['GIFT-CARD'],
        allowBeforeDelivery: false,
        trustExchanges: false,
      },
    });
  });

  test('a bad policy is refused naming every problem, and the stored one stays', async () => {
    const before = (await api.get('/return-policy')).body;
    const res = await api.raw
      .put('/return-policy')
      .set('Authorization', 'Bearer test-api-key-0123456789')
      .send({ windowDays: -3, returnLabel: 'always', nonReturnableSkus: ['TEE-M', 'NO-SUCH-SKU'] });
    expect(res.status).toBe(400);
    expect(res.body.error.details.map((p: { path: string }) => p.path).sort()).toEqual(['returnLabel', 'windowDays']);
    const unknown = await api.raw
      .put('/return-policy')
      .set('Authorization', 'Bearer test-api-key-0123456789')
      .send({ nonReturnableSkus: ['TEE-M', 'NO-SUCH-SKU'] });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.details).toEqual([{ path: 'nonReturnableSkus.1', message: 'unknown sku NO-SUCH-SKU' }]);
    expect((await api.get('/return-policy')).body).toEqual(before);
  });
});
