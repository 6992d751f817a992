import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createShopifyWebhooks } from '../../connectors/shopify/webhooks';
import { UnauthorizedError, ValidationError } from '../../domain/errors';

// Returns and refunds made at Shopify, as its returns/* and refunds/create webhooks carry them (REST
// shape, ids as bare 64-bit JSON numbers). The fixtures are read as text, never through JSON.parse, so
// ids past 2^53 reach the connector digit for digit as Shopify sends them. Pure parsing: no stack needed.

const SHOP = 'orderhub-test.myshopify.com';
const SECRET = 'shpss_test_client_secret';
const webhooks = createShopifyWebhooks({ webhookSecret: SECRET, shopDomain: SHOP, channel: 'shop-eu' });
const fixture = (name: string) => readFileSync(join(__dirname, 'fixtures', 'shopify', `${name}.json`), 'utf8');
const sign = (body: Buffer, secret = SECRET) => createHmac('sha256', secret).update(body).digest('base64');
const headers = (body: Buffer, topic: string, signature = sign(body)) => ({
  'x-shopify-hmac-sha256': signature,
  'x-shopify-topic': topic,
  'x-shopify-shop-domain': SHOP,
  'x-shopify-webhook-id': 'f1d4a0c2-6b1e-4a57-9a53-7f4b3c0e2d11',
  'x-shopify-api-version': '2026-10',
});
// A delivery as the intake takes it: verified first, then parsed under the topic the headers name.
function receive(topic: string, text: string) {
  const body = Buffer.from(text);
  const verified = webhooks.verify(body, headers(body, topic));
  return webhooks.parse(verified.topic, body);
}
const thrown = (fn: () => unknown): unknown => {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected an error');
};

describe('Shopify webhooks: returns and refunds', () => {
  test('a signed returns/request is verified and mapped to return_requested, with return, order and line item ids past 2^53 exact', () => {
    const text = fixture('returns-request');
    // What JSON.parse would have made of the order id: a different order.
    expect(String((JSON.parse(text) as { order: { id: number } }).order.id)).toBe('9007199254740992');
    expect(receive('returns/request', text)).toEqual({
      kind: 'return',
      event: {
        kind: 'return_requested',
        channelReturnId: '9123456789012345678',
        channelOrderId: '9007199254740993',
        lines: [
          { channelLineId: '9007199254740995', quantity: 2, reason: 'size_too_small' },
          { channelLineId: '12695210000533', quantity: 1, reason: 'unwanted' },
        ],
        reason: 'size_too_small',
        note: 'Too tight across the shoulders',
        at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      },
    });
    // returns/approve carries the same return shape.
    const approved = receive('returns/approve', text.replace('"status": "requested"', '"status": "open"'));
    expect(approved.kind === 'return' && approved.event.kind).toBe('return_approved');
  });

  test('a signed refunds/create is mapped to refund_created: exact ids, the successful refund transactions in minor units, the return it settles', () => {
    expect(receive('refunds/create', fixture('refunds-create'))).toEqual({
      kind: 'return',
      event: {
        kind: 'refund_created',
        channelRefundId: '890088186047892319',
        channelReturnId: '9123456789012345678',
        channelOrderId: '820982911946154508',
        lines: [{ channelLineId: '866550311766439020', sku: 'IPOD2008PINK', quantity: 1 }],
        refund: { amount: 19900, currency: 'USD' }, // the failed 10.00 transaction gave nothing back
        note: 'Things were damaged',
        at: '2026-11-28T00:00:05.000Z',
      },
    });
    // Refunded shipping is counted on its own; a refund that settles no return names none.
    const withShipping = fixture('refunds-create')
      .replace(
        '"refund_shipping_lines": []',
        '"refund_shipping_lines": [{"id": 1058737491, "shipping_line_id": 369256396, "subtotal_amount_set": {"shop_money": {"amount": "5.00", "currency_code": "USD"}, "presentment_money": {"amount": "5.00", "currency_code": "USD"}}}]',
      )
      .replace(/"return": \{[^}]*\}/, '"return": null');
    const event = receive('refunds/create', withShipping);
    expect(event.kind === 'return' && event.event.refund).toEqual({ amount: 19900, currency: 'USD', shipping: 500 });
    expect(event.kind === 'return' && event.event.channelReturnId).toBeUndefined();
  });

  test('a wrongly signed delivery is refused, and so is one whose body was changed after signing', () => {
    const body = Buffer.from(fixture('returns-request'));
    expect(thrown(() => webhooks.verify(body, headers(body, 'returns/request', sign(body, 'another app secret'))))).toBeInstanceOf(
      UnauthorizedError,
    );
    const tampered = Buffer.from(fixture('returns-request').replace('"quantity": 2', '"quantity": 20'));
    expect(thrown(() => webhooks.verify(tampered, headers(tampered, 'returns/request', sign(body))))).toBeInstanceOf(UnauthorizedError);
  });

  test('a refund Orderhub reported itself (its note names the Orderhub return) is ignored, so it does not come back as a new refund', () => {
    const ours = fixture('refunds-create').replace(
      '"note": "Things were damaged"',
      '"note": "Orderhub return return:order:shop-eu:820982911946154508:1: Customer return"',
    );
    expect(receive('refunds/create', ours)).toEqual({
      kind: 'ignored',
      reason: 'refund 890088186047892319 on order 820982911946154508 was made by Orderhub for return:order:shop-eu:820982911946154508:1',
    });
  });

  test('decline, cancel, close and reopen carry the return (and the order where Shopify sends it); returns/process is acknowledged', () => {
    const decline = `{"admin_graphql_api_id":"gid://shopify/Return/9123456789012345678","decline":{"note":"As discussed on the phone, the 30-day return window has ended.","reason":"return_period_ended"},"id":9123456789012345678,"status":"declined"}`;
    expect(receive('returns/decline', decline)).toEqual({
      kind: 'return',
      event: {
        kind: 'return_declined',
        channelReturnId: '9123456789012345678',
        lines: [],
        reason: 'return_period_ended',
        note: 'As discussed on the phone, the 30-day return window has ended.',
        at: expect.any(String),
      },
    });
    for (const [topic, kind, status] of [
      ['returns/cancel', 'return_cancelled', 'canceled'],
      ['returns/close', 'return_closed', 'closed'],
      ['returns/reopen', 'return_reopened', 'open'],
    ]) {
      const body = `{"admin_graphql_api_id":"gid://shopify/Return/9123456789012345678","id":9123456789012345678,"order_id":9007199254740993,"status":"${status}"}`;
      expect(receive(topic, body)).toEqual({
        kind: 'return',
        event: { kind, channelReturnId: '9123456789012345678', channelOrderId: '9007199254740993', lines: [], at: expect.any(String) },
      });
    }
    const processed = receive(
      'returns/process',
      `{"id":9123456789012345678,"admin_graphql_api_id":"gid://shopify/Return/9123456789012345678","status":"closed"}`,
    );
    expect(processed).toEqual({ kind: 'ignored', reason: expect.stringContaining('return 9123456789012345678') });
  });

  test('a return or refund body that cannot be mapped is refused naming the Shopify fields', () => {
    const noId = thrown(() => receive('returns/close', '{"order_id":9007199254740993,"status":"closed"}')) as ValidationError;
    expect(noId).toBeInstanceOf(ValidationError);
    expect(noId.problems).toEqual([{ path: 'id', message: 'is missing' }]);
    const refund = fixture('refunds-create').replace('"amount": "199.00"', '"amount": "a lot"');
    const badMoney = thrown(() => receive('refunds/create', refund)) as ValidationError;
    expect(badMoney.problems).toEqual([{ path: 'transactions.0.amount', message: 'is not a decimal amount: "a lot"' }]);
  });
});
