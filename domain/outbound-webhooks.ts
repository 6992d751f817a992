import { z } from 'zod';

// Outbound webhooks: third parties (a CRM, a data warehouse, a customer's own system) subscribe to order
// and return events and get each POSTed to their URL, signed with a secret only they and Orderhub hold.
//
// Signature (as Stripe's): header `Orderhub-Signature: t=<unix seconds>,v1=<hex>` where <hex> is
// HMAC-SHA256(secret, `${t}.${rawBody}`). A subscriber recomputes it over the raw body it received, compares
// in constant time, and refuses a t older than a few minutes (a replayed capture). Every delivery of one
// event carries the same `Orderhub-Event-Id`: a subscriber that saw it already acknowledges and ignores it.

export const WEBHOOK_EVENT_TYPES = ['order.status_changed', 'return.status_changed'] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

export const SIGNATURE_HEADER = 'Orderhub-Signature';

export interface WebhookEvent {
  id: string; // <orderId or returnId>|<status>|<n-th status change>: the same however often it is recorded
  type: WebhookEventType;
  orderId: string;
  at: string;
  data: Record<string, unknown>;
}

/** The event of the latest status change in a projected state (an order's or a return's). */
export function statusEventOf(
  type: WebhookEventType,
  subject: { id: string; orderId: string; history: { status: string; at: string; reason?: string }[] },
  extra: Record<string, unknown> = {},
): WebhookEvent | undefined {
  const n = subject.history.length;
  if (n === 0) return undefined;
  const last = subject.history[n - 1];
  const previous = n > 1 ? subject.history[n - 2].status : undefined;
  return {
    id: `${subject.id}|${last.status}|${n}`,
    type,
    orderId: subject.orderId,
    at: last.at,
    data: { ...extra, status: last.status, ...(previous && { previousStatus: previous }), ...(last.reason && { reason: last.reason }) },
  };
}

/** A new subscriber, as an admin gives it. https only when requireHttps (production). */
export const subscriberRequestSchema = (requireHttps: boolean) =>
  z.strictObject({
    url: z
      .url({ protocol: /^https?$/, message: 'must be an http(s) URL' })
      .max(2000)
      .refine((u) => !requireHttps || u.startsWith('https://'), 'must be https in production'),
    events: z.array(z.enum(WEBHOOK_EVENT_TYPES)).min(1, 'name at least one event').max(WEBHOOK_EVENT_TYPES.length),
    description: z.string().trim().max(200).optional(),
  });
export type SubscriberRequest = z.infer<ReturnType<typeof subscriberRequestSchema>>;
