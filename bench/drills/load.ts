import { createHash, createHmac, randomUUID } from 'node:crypto';
import { sleep } from '../../scripts/stack';
import type { FakeShopify } from './upstreams';

// Orders arriving at a steady rate, the way channels send them: signed Shopify webhooks (some delivered
// twice, some followed by an orders/updated for the same order) and operator/POS orders on POST /orders.
// Like Shopify and any sane client, a submission is retried until the API accepts it.

export interface Shop {
  id: string; // the connection id, and so the order channel
  secret: string;
}

export interface LoadPlan {
  apiUrl: string;
  apiKey: string;
  shopify: FakeShopify;
  shops: Shop[];
  ratePerSecond: number;
  webhookShare: number; // 0..1 of the orders that come as Shopify webhooks
  skus: { store: string[]; web: string[] };
  idPrefix: number; // makes Shopify order ids and channel order ids unique per drill
  giveUpAfterMs?: number;
  onAccepted?: (sub: Submission) => void; // once per order, at its first 2xx
}

export interface Submission {
  orderId: string;
  via: 'webhook' | 'api';
  payment: 'paid' | 'cod' | 'pending';
  lines: { sku: string; quantity: number }[];
  firstAttemptAt: number;
  acceptedAt?: number;
  attempts: number;
  failures: Record<string, number>; // what the failed attempts got: a status or an error code
  gaveUp?: string;
  webhookDeliveries: string[]; // webhook_deliveries _ids: orders/create, and orders/updated when sent
}

const RETRY_DELAYS_MS = [250, 500, 1_000, 2_000, 4_000];
const ATTEMPT_TIMEOUT_MS = 20_000;

export class LoadGenerator {
  readonly submissions: Submission[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private timer?: NodeJS.Timeout;
  private seq = 0;
  private startedAt = 0;
  /** When it stopped sending new orders. */
  stoppedAt?: number;

  constructor(private readonly plan: LoadPlan) {}

  start(): void {
    this.startedAt = Date.now();
    const interval = 1000 / this.plan.ratePerSecond;
    // Paced against the clock, so a slow event loop catches up instead of lowering the rate.
    const tick = () => {
      if (this.stoppedAt !== undefined) return;
      const due = Math.floor((Date.now() - this.startedAt) / interval) + 1;
      while (this.seq < due) this.launch();
      this.timer = setTimeout(tick, interval / 2);
    };
    tick();
  }

  /** Stops sending new orders and waits until every submission was accepted or given up. */
  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.stoppedAt ??= Date.now();
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }

  get rateAchieved(): number {
    const last = this.submissions.at(-1)?.firstAttemptAt ?? this.startedAt;
    return last > this.startedAt ? (this.submissions.length - 1) / ((last - this.startedAt) / 1000) : 0;
  }

  private launch(): void {
    const n = this.seq++;
    const p = (this.isWebhook(n) ? this.webhookOrder(n) : this.apiOrder(n)).finally(() => this.inFlight.delete(p));
    this.inFlight.add(p);
  }

  // Spread webhooks evenly through the stream rather than in bursts.
  private isWebhook(n: number): boolean {
    const share = this.plan.webhookShare;
    return Math.floor((n + 1) * share) > Math.floor(n * share);
  }

  private async webhookOrder(n: number): Promise<void> {
    const { shops, shopify, skus } = this.plan;
    const shop = shops[n % shops.length];
    // Shopify's order ids are 64-bit: past 2^53, as its own test payloads, so they must travel exactly.
    const shopifyId = String(9_007_199_254_740_993n + BigInt(this.plan.idPrefix * 1_000_000 + n));
    const sku = skus.web[n % skus.web.length];
    const lines = [{ sku, quantity: 1 + (n % 2) }];
    const payment = n % 3 === 0 ? 'cod' : 'paid';
    const body = shopify.placeOrder(shop.id, shopifyId, lines, payment);
    const sub = this.track(`order:${shop.id}:${shopifyId}`, 'webhook', payment, lines);
    const deliveryId = randomUUID();
    sub.webhookDeliveries.push(`${shop.id}|${deliveryId}`);
    await this.submit(sub, () => this.postWebhook(shop, 'orders/create', deliveryId, body));
    // Shopify resends a delivery it is unsure about, and follows up with orders/updated: both must change nothing.
    if (n % 10 === 3) await this.submit(sub, () => this.postWebhook(shop, 'orders/create', deliveryId, body), { countAttempts: false });
    if (n % 10 === 7) {
      const updateId = randomUUID();
      sub.webhookDeliveries.push(`${shop.id}|${updateId}`);
      await this.submit(sub, () => this.postWebhook(shop, 'orders/updated', updateId, body), { countAttempts: false });
    }
  }

  private async apiOrder(n: number): Promise<void> {
    const { skus } = this.plan;
    const channel = n % 2 === 0 ? 'pos' : 'manual';
    const channelOrderId = `D${this.plan.idPrefix}-${n}`;
    const first = skus.store[n % skus.store.length];
    const second = skus.store[(n + 1) % skus.store.length];
    const lines =
      n % 4 === 0
        ? [
            { sku: first, quantity: 1 },
            { sku: second, quantity: 2 },
          ]
        : [{ sku: first, quantity: 1 + (n % 3) }];
    // Mostly paid at the till; some cash on delivery; a few waiting for an operator to confirm payment.
    const payment: Submission['payment'] = n % 10 === 9 ? 'pending' : n % 5 === 1 ? 'cod' : 'paid';
    const body = JSON.stringify({
      channel,
      channelOrderId,
      currency: 'EUR',
      customer: { name: 'Ada Lovelace', email: 'ada@example.com' },
      shippingAddress: { name: 'Ada Lovelace', line1: 'Friedrichstrasse 43', city: 'Berlin', postalCode: '10117', country: 'DE' },
      lines: lines.map((l) => ({ ...l, unitPrice: 1999 })),
      shippingAmount: 495,
      payment: payment === 'cod' ? { method: 'cash_on_delivery' } : { method: 'prepaid', alreadyPaid: payment === 'paid' },
    });
    const sub = this.track(`order:${channel}:${channelOrderId}`, 'api', payment, lines);
    await this.submit(sub, () => this.request('/orders', body, { authorization: `Bearer ${this.plan.apiKey}` }));
  }

  private track(orderId: string, via: Submission['via'], payment: Submission['payment'], lines: Submission['lines']): Submission {
    const sub: Submission = { orderId, via, payment, lines, firstAttemptAt: Date.now(), attempts: 0, failures: {}, webhookDeliveries: [] };
    this.submissions.push(sub);
    return sub;
  }

  private postWebhook(shop: Shop, topic: string, deliveryId: string, body: string): Promise<number> {
    const hmac = createHmac('sha256', shop.secret).update(body, 'utf8').digest('base64');
    return this.request(`/webhooks/${shop.id}`, body, {
      'x-shopify-topic': topic,
      'x-shopify-hmac-sha256': hmac,
      'x-shopify-shop-domain': `${shop.id}.myshopify.com`,
      'x-shopify-webhook-id': deliveryId,
      'x-shopify-api-version': '2024-10',
    });
  }

  private async request(path: string, body: string, headers: Record<string, string>): Promise<number> {
    const res = await fetch(`${this.plan.apiUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body,
      signal: AbortSignal.timeout(ATTEMPT_TIMEOUT_MS),
    });
    await res.arrayBuffer();
    return res.status;
  }

  private async submit(sub: Submission, attempt: () => Promise<number>, opts: { countAttempts?: boolean } = {}): Promise<void> {
    const deadline = Date.now() + (this.plan.giveUpAfterMs ?? 180_000);
    for (let i = 0; ; i++) {
      let outcome: string;
      try {
        const status = await attempt();
        if (status >= 200 && status < 300) {
          if (opts.countAttempts !== false) {
            sub.attempts = i + 1;
            sub.acceptedAt = Date.now();
            this.plan.onAccepted?.(sub);
          }
          return;
        }
        outcome = String(status);
        // A refusal other than "try later" is a bug in the drill or the API; retrying will not fix it.
        if (status >= 400 && status < 500 && status !== 408 && status !== 429) {
          sub.failures[outcome] = (sub.failures[outcome] ?? 0) + 1;
          sub.gaveUp ??= `refused with ${status}`;
          return;
        }
      } catch (err) {
        outcome = errorCode(err);
      }
      sub.failures[outcome] = (sub.failures[outcome] ?? 0) + 1;
      if (Date.now() > deadline) {
        sub.gaveUp ??= `no 2xx within ${Math.round((this.plan.giveUpAfterMs ?? 180_000) / 1000)} s (last: ${outcome})`;
        return;
      }
      await sleep(RETRY_DELAYS_MS[Math.min(i, RETRY_DELAYS_MS.length - 1)]);
    }
  }
}

function errorCode(err: unknown): string {
  const e = err as { name?: string; cause?: { code?: string } };
  if (e.name === 'TimeoutError') return 'timeout';
  return e.cause?.code ?? e.name ?? 'error';
}

/** A tracking number the carrier would give this order: stable, so a resent event carries the same one. */
export function trackingNumberFor(orderId: string): string {
  return `JJD${createHash('sha1').update(orderId).digest('hex').slice(0, 16).toUpperCase()}`;
}
