import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import {
  LABEL_FORMATS,
  RateChangedError,
  RateUnavailableError,
  rateMatchesService,
  type Label,
  type LabelFormat,
  type LabelPurchase,
} from '../../domain/carrier';
import { OrderhubError, UnauthorizedError, UpstreamUnavailableError } from '../../domain/errors';
import { parseOrThrow } from '../../domain/validation';
import { UpstreamError } from '../http';
import type { CarrierGateway, ConnectorFactory, WebhookHeaders } from '../types';
import { EasyPostClient } from './client';
import {
  isPurchased,
  parseEvent,
  parseShipment,
  parseTracker,
  shipmentReference,
  toCarrierRate,
  toCarrierRates,
  toCarrierWebhookEvent,
  toEasyPostShipment,
  toLabel,
  toTracking,
  toVoidOutcome,
  type EasyPostShipment,
} from './mapper';

/*
 * EasyPost (API v2), a multi-carrier label aggregator. https://docs.easypost.com
 *
 * Options:     { baseUrl = https://api.easypost.com/v2, labelFormat = PDF, carrierAccountIds? (rate only
 *              these EasyPost carrier accounts), requestsPerSecond = 5, burst = 10, timeoutMs = 20000 }
 * Credentials: { apiKey, webhookSecret? } - the key is the Basic auth user name; the secret is the
 *              webhook's webhook_secret, needed to accept tracking webhooks.
 *
 * rates        POST /shipments { shipment: { to_address, from_address, parcel, options } } -> rates[]
 * buyLabel     GET  /shipments/:reference  (404: not created yet)
 *              POST /shipments { shipment: { ..., reference } }       (sent once)
 *              POST /shipments/:id/buy { rate: { id } }                (sent once)
 *              EasyPost has no idempotency header; the shipment's reference (derived from the key) is
 *              how a retry finds the shipment of an earlier attempt, bought or not, so one key buys at
 *              most one label. A lost buy response fails with upstream_unavailable; retrying with the
 *              same key returns the label if the buy went through, and buys it if it did not.
 * voidLabel    POST /shipments/:id/refund; refused because already refunded: the shipment's refund_status.
 * track        POST /trackers { tracker: { tracking_code, carrier } }
 * webhooks     Event { id, description: "tracker.updated", result: Tracker }, signed with HMAC-SHA256 of
 *              the raw body keyed with the NFKD-normalised secret, header X-Hmac-Signature:
 *              "hmac-sha256-hex=<hex>" (as EasyPost's own client libraries check it).
 *
 * Errors: 401/403 UnauthorizedError; 404 NotFoundError; other 4xx UpstreamError (upstream_rejected) with
 * EasyPost's code and message; 429, 5xx and network errors are retried by the HTTP layer (except the
 * two calls sent once), then UpstreamUnavailableError.
 */

export const easypostOptionsSchema = z.strictObject({
  baseUrl: z
    .url({ protocol: /^https?$/, message: 'must be an http or https URL' })
    .transform((u) => u.replace(/\/+$/, ''))
    .default('https://api.easypost.com/v2'),
  labelFormat: z.enum(LABEL_FORMATS).default('PDF'),
  carrierAccountIds: z
    .array(z.string().regex(/^ca_[A-Za-z0-9]+$/, 'must be an EasyPost carrier account id (ca_...)'))
    .min(1)
    .max(100)
    .optional(),
  requestsPerSecond: z.number().positive().max(1000).default(5),
  burst: z.number().int().min(1).max(1000).default(10),
  timeoutMs: z.number().int().min(100).max(120_000).default(20_000),
});
export type EasyPostOptions = z.infer<typeof easypostOptionsSchema>;

export const easypostCredentialsSchema = z.strictObject({
  apiKey: z.string().trim().min(1, 'is required'),
  webhookSecret: z.string().min(1, 'must not be empty (leave it out to refuse webhooks)').optional(),
});
export type EasyPostCredentials = z.infer<typeof easypostCredentialsSchema>;

export const easypostConnector: ConnectorFactory<EasyPostOptions, EasyPostCredentials> = {
  kind: 'easypost',
  optionsSchema: easypostOptionsSchema,
  credentialsSchema: easypostCredentialsSchema,
  create(options, credentials, ctx) {
    const opts = parseOrThrow(easypostOptionsSchema, options, 'EasyPost connection options');
    const creds = parseOrThrow(easypostCredentialsSchema, credentials, 'EasyPost credentials');
    const client = new EasyPostClient({ ...opts, apiKey: creds.apiKey }, ctx);
    const carrier = createEasyPostGateway(client, opts, creds.webhookSecret);
    return {
      kind: 'easypost',
      async testConnection() {
        await client.get('/shipments', { page_size: 1 });
      },
      carrier,
    };
  },
};

function createEasyPostGateway(client: EasyPostClient, opts: EasyPostOptions, webhookSecret: string | undefined): CarrierGateway {
  const carrierAccounts = opts.carrierAccountIds;

  async function buy(shipment: EasyPostShipment, purchase: LabelPurchase, format: LabelFormat): Promise<Label> {
    const offered = (shipment.rates ?? []).filter((r) => rateMatchesService(r, purchase.service, purchase.carrier));
    const quotes = offered.map((r) => ({ raw: r, rate: toCarrierRate(r) })).sort((a, b) => a.rate.price.amount - b.rate.price.amount);
    const chosen = quotes[0];
    const what = `${purchase.carrier ? `${purchase.carrier} ` : ''}${purchase.service}`;
    if (!chosen) {
      const said = (shipment.messages ?? []).map((m) => [m.carrier, m.message].filter(Boolean).join(': ')).filter(Boolean);
      throw new RateUnavailableError(`EasyPost offers no ${what} rate for this shipment${said.length ? ` (${said.join('; ')})` : ''}`, {
        shipmentId: shipment.id,
      });
    }
    const max = purchase.maxPrice;
    if (max && (chosen.rate.price.currency !== max.currency || chosen.rate.price.amount > max.amount))
      throw new RateChangedError(max, chosen.rate.price);
    try {
      const bought = parseShipment(await client.post(`/shipments/${shipment.id}/buy`, { rate: { id: chosen.raw.id } }, { once: true }));
      return toLabel(bought, format);
    } catch (err) {
      if (err instanceof OrderhubError && err.code === 'upstream_unavailable') {
        throw new UpstreamUnavailableError(
          `Buying ${what} for EasyPost shipment ${shipment.id} may or may not have gone through (${err.message}); retrying with the same idempotency key finds the label instead of buying another`,
          { shipmentId: shipment.id },
        );
      }
      throw err;
    }
  }

  return {
    async rates(shipment) {
      const created = parseShipment(
        await client.post('/shipments', toEasyPostShipment(shipment, { labelFormat: opts.labelFormat, carrierAccounts })),
      );
      return toCarrierRates(created);
    },

    async buyLabel(purchase, { idempotencyKey }) {
      const reference = shipmentReference(idempotencyKey);
      const format = purchase.labelFormat ?? opts.labelFormat;
      const earlier = await client.find<unknown>(`/shipments/${reference}`);
      let shipment = earlier === undefined ? undefined : parseShipment(earlier);
      if (shipment && isPurchased(shipment)) return toLabel(shipment, format);
      shipment ??= parseShipment(
        await client.post('/shipments', toEasyPostShipment(purchase.shipment, { labelFormat: format, reference, carrierAccounts }), {
          once: true,
        }),
      );
      return buy(shipment, purchase, format);
    },

    // Shipments carry our reference, so a purchase that may have gone through is found by it.
    async findLabel(idempotencyKey) {
      const earlier = await client.find<unknown>(`/shipments/${shipmentReference(idempotencyKey)}`);
      const shipment = earlier === undefined ? undefined : parseShipment(earlier);
      return shipment && isPurchased(shipment) ? toLabel(shipment, opts.labelFormat) : undefined;
    },

    async voidLabel(labelId) {
      const path = `/shipments/${encodeURIComponent(labelId)}`;
      try {
        const refunded = parseShipment(await client.post(`${path}/refund`, {}));
        return toVoidOutcome(refunded) ?? { status: 'pending', detail: 'EasyPost accepted the refund request' };
      } catch (err) {
        // A repeated void is refused; the shipment says how the first one went.
        if (!(err instanceof UpstreamError) || err.status === undefined || err.status >= 500) throw err;
        const outcome = toVoidOutcome(parseShipment(await client.get(path)));
        if (outcome) return outcome;
        throw err;
      }
    },

    async track(trackingNumber, carrier) {
      return toTracking(parseTracker(await client.post('/trackers', { tracker: { tracking_code: trackingNumber, carrier } })));
    },

    webhooks: {
      verify(rawBody, headers) {
        if (!webhookSecret)
          throw new UnauthorizedError(
            "EasyPost webhooks are refused: the connection has no webhookSecret credential (the webhook's webhook_secret)",
          );
        const signature = header(headers, 'x-hmac-signature');
        if (!signature)
          throw new UnauthorizedError('EasyPost webhook has no X-Hmac-Signature header: set a webhook_secret on the EasyPost webhook');
        const digest = createHmac('sha256', Buffer.from(webhookSecret.normalize('NFKD'), 'utf8'))
          .update(rawBody)
          .digest('hex');
        const expected = Buffer.from(`hmac-sha256-hex=${digest}`, 'utf8');
        const given = Buffer.from(signature, 'utf8');
        if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
          throw new UnauthorizedError('EasyPost webhook signature does not match the body: wrong webhook secret, or the body was changed');
        }
        const event = parseEvent(rawBody);
        return { deliveryId: event.id, topic: event.description };
      },
      parse: toCarrierWebhookEvent,
    },
  };
}

// Node lower-cases incoming header names; other callers may not.
function header(headers: WebhookHeaders, name: string): string | undefined {
  const key = Object.keys(headers).find((k) => k.toLowerCase() === name);
  return (key === undefined ? undefined : headers[key])?.trim() || undefined;
}
