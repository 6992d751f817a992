import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { SUPPLIER_EVENT_TYPES, type SupplierEventType } from '../../domain/drop-ship';
import { UnauthorizedError, ValidationError } from '../../domain/errors';
import { parseOrThrow } from '../../domain/validation';
import { UpstreamError, type HttpClient } from '../http';
import type { ConnectorFactory, SupplierGateway, SupplierPurchaseOrder, SupplierWebhookEvent, WebhookHeaders } from '../types';

/*
 * The generic HTTP/JSON drop-ship supplier. There is no vendor behind it: this is the contract a supplier
 * (or a small adapter in front of its system) implements to ship Orderhub's customer orders. Every body
 * either way is signed with the connection's shared secret: header X-Orderhub-Signature:
 * sha256=<hex HMAC-SHA256 of the raw body>.
 *
 * Options:     { baseUrl: https URL, requestsPerSecond = 5, burst = 10 }
 * Credentials: { secret } (at least 16 characters), shared with the supplier.
 *
 * GET  {baseUrl}/ping                              2xx when reachable (signed over an empty body).
 * POST {baseUrl}/purchase-orders                   body { id, orderReference, currency, lines: [{ sku,
 *                                                  quantity, unitCost? }], shipTo, customer }, header
 *                                                  Idempotency-Key. 2xx: taken; 409: that key was already
 *                                                  taken (a retry of ours), treated as success.
 * POST {baseUrl}/purchase-orders/{id}/cancel       body { reason }, header Idempotency-Key; 2xx or 409.
 *
 * The supplier answers by webhook to POST /webhooks/{connectionId}, signed the same way, body
 * { id (unique per event), type: confirmed | shipped | refused, purchaseOrderId, carrier?, trackingNumber?
 * (both required with shipped), reason? (required with refused), occurredAt? }. A resent event (same id) is
 * applied once.
 *
 * Errors: 401/403 become UnauthorizedError; other 4xx an UpstreamError (not retried); 429, 5xx and network
 * errors are retried by the HTTP layer, then UpstreamUnavailableError.
 */

export const SIGNATURE_HEADER = 'x-orderhub-signature';

export const supplierHttpOptionsSchema = z.strictObject({
  baseUrl: z.url({ protocol: /^https$/, message: 'must be an https URL' }).transform((u) => u.replace(/\/+$/, '')),
  requestsPerSecond: z.number().positive().max(1000).default(5),
  burst: z.number().int().min(1).max(1000).default(10),
});
export type SupplierHttpOptions = z.infer<typeof supplierHttpOptionsSchema>;

export const supplierHttpCredentialsSchema = z.strictObject({
  secret: z.string().min(16, 'must be at least 16 characters').max(256),
});
export type SupplierHttpCredentials = z.infer<typeof supplierHttpCredentialsSchema>;

export function signBody(body: string | Buffer, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

const webhookEventSchema = z
  .object({
    id: z
      .string()
      .min(1)
      .max(200)
      .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces'),
    type: z.string().min(1).max(100),
    purchaseOrderId: z.string().min(1).max(64),
    carrier: z.string().trim().min(1).max(64).optional(),
    trackingNumber: z
      .string()
      .regex(/^[A-Za-z0-9-]{4,64}$/, 'must be 4 to 64 letters, digits or -')
      .optional(),
    reason: z.string().trim().min(1).max(500).optional(),
    occurredAt: z.iso.datetime({ offset: true }).optional(),
  })
  .superRefine((e, ctx) => {
    if (e.type === 'shipped') {
      if (!e.carrier) ctx.addIssue({ code: 'custom', path: ['carrier'], message: 'is required with "shipped"' });
      if (!e.trackingNumber) ctx.addIssue({ code: 'custom', path: ['trackingNumber'], message: 'is required with "shipped"' });
    }
    if (e.type === 'refused' && !e.reason) ctx.addIssue({ code: 'custom', path: ['reason'], message: 'is required with "refused"' });
  });

function parseJson(rawBody: Buffer): unknown {
  try {
    return JSON.parse(rawBody.toString('utf8'));
  } catch {
    throw new ValidationError('Supplier webhook body is not JSON', [{ path: '(body)', message: 'must be a JSON object' }]);
  }
}

export function parseSupplierWebhook(rawBody: Buffer): SupplierWebhookEvent {
  const e = parseOrThrow(webhookEventSchema, parseJson(rawBody), 'supplier webhook');
  if (!(SUPPLIER_EVENT_TYPES as readonly string[]).includes(e.type))
    return { kind: 'ignored', reason: `event type ${e.type} is not acted on` };
  return {
    kind: 'answer',
    eventId: e.id,
    purchaseOrderId: e.purchaseOrderId,
    type: e.type as SupplierEventType,
    ...(e.carrier !== undefined && { carrier: e.carrier }),
    ...(e.trackingNumber !== undefined && { trackingNumber: e.trackingNumber }),
    ...(e.reason !== undefined && { reason: e.reason }),
    ...(e.occurredAt !== undefined && { at: new Date(e.occurredAt).toISOString() }),
  };
}

// Node lower-cases incoming header names; other callers may not.
function header(headers: WebhookHeaders, name: string): string | undefined {
  const found = Object.entries(headers).find(([k]) => k.toLowerCase() === name);
  return found?.[1];
}

export function createSupplierGateway(http: HttpClient, secret: string): SupplierGateway {
  const explain = (err: unknown): unknown =>
    err instanceof UpstreamError && (err.status === 401 || err.status === 403)
      ? new UnauthorizedError(`The supplier refused Orderhub's signature (${err.message}): check the connection's secret`)
      : err;
  // A signed POST the supplier applies once per Idempotency-Key; a repeat answered 409 already took effect.
  const postOnce = async (url: string, body: unknown, idempotencyKey: string) => {
    if (!idempotencyKey) throw new TypeError(`POST ${url} needs an idempotency key`);
    const text = JSON.stringify(body);
    try {
      await http.request({
        method: 'POST',
        url,
        data: text,
        headers: { 'content-type': 'application/json', 'idempotency-key': idempotencyKey, [SIGNATURE_HEADER]: signBody(text, secret) },
      });
    } catch (err) {
      if (err instanceof UpstreamError && err.status === 409) return;
      throw explain(err);
    }
  };
  return {
    async sendPurchaseOrder(po: SupplierPurchaseOrder, { idempotencyKey }) {
      await postOnce(
        '/purchase-orders',
        {
          id: po.purchaseOrderId,
          orderReference: po.orderReference,
          currency: po.currency,
          lines: po.lines,
          shipTo: po.shipTo,
          customer: po.customer,
        },
        idempotencyKey,
      );
    },
    async cancelPurchaseOrder(purchaseOrderId, { reason, idempotencyKey }) {
      await postOnce(`/purchase-orders/${encodeURIComponent(purchaseOrderId)}/cancel`, { reason }, idempotencyKey);
    },
    webhooks: {
      verify(rawBody, headers) {
        const signature = header(headers, SIGNATURE_HEADER);
        if (!signature) throw new UnauthorizedError('Supplier webhook has no X-Orderhub-Signature header');
        const expected = Buffer.from(signBody(rawBody, secret), 'utf8');
        const given = Buffer.from(signature, 'utf8');
        if (given.length !== expected.length || !timingSafeEqual(given, expected))
          throw new UnauthorizedError('Supplier webhook signature does not match the body: wrong secret, or the body was changed');
        const body = parseJson(rawBody) as { id?: unknown; type?: unknown };
        if (typeof body?.id !== 'string' || !/^[\x21-\x7e]{1,200}$/.test(body.id))
          throw new ValidationError('Supplier webhook names no event id', [{ path: 'id', message: 'is required: a unique id per event' }]);
        return { deliveryId: body.id, topic: typeof body.type === 'string' ? body.type.slice(0, 100) : 'unknown' };
      },
      parse: parseSupplierWebhook,
    },
  };
}

export const supplierHttpConnector: ConnectorFactory<SupplierHttpOptions, SupplierHttpCredentials> = {
  kind: 'supplier_http',
  optionsSchema: supplierHttpOptionsSchema,
  credentialsSchema: supplierHttpCredentialsSchema,
  create(options, credentials, ctx) {
    const http = ctx.http({
      baseURL: options.baseUrl,
      limit: { ratePerSecond: options.requestsPerSecond, burst: options.burst },
      headers: { accept: 'application/json' },
    });
    const secret = credentials.secret;
    return {
      kind: 'supplier_http',
      async testConnection() {
        try {
          await http.request({ method: 'GET', url: '/ping', headers: { [SIGNATURE_HEADER]: signBody('', secret) } });
        } catch (err) {
          if (err instanceof UpstreamError && (err.status === 401 || err.status === 403))
            throw new UnauthorizedError(`The supplier refused Orderhub's signature (${err.message})`);
          throw err;
        }
      },
      supplier: createSupplierGateway(http, secret),
    };
  },
};
