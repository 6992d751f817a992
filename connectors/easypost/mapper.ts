import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { Address } from '../../domain/address';
import {
  formatTenths,
  gramsToTenthsOfOunce,
  mmToTenthsOfInch,
  type CarrierRate,
  type Label,
  type LabelFormat,
  type ParcelShipment,
  type Tracking,
  type TrackingStatus,
  type VoidOutcome,
} from '../../domain/carrier';
import { ValidationError } from '../../domain/errors';
import { parseOrThrow } from '../../domain/validation';
import { MoneyFormatError, toMinorUnits } from '../shopify/money';
import type { CarrierWebhookEvent } from '../types';

// EasyPost API v2 wire shapes and their mapping to domain/carrier. Only the fields Orderhub reads are
// validated; EasyPost adds fields freely. EasyPost weighs in ounces and measures in inches (decimals),
// and prices are decimal strings ("7.47"): all converted with integer arithmetic, never through a float.

export interface EasyPostAddress {
  name?: string;
  company?: string;
  street1: string;
  street2?: string;
  city: string;
  state?: string;
  zip: string;
  country: string;
  phone?: string;
  email?: string;
}

export interface EasyPostParcel {
  length: string; // inches
  width: string;
  height: string;
  weight: string; // ounces
}

// POST /v2/shipments body
export interface EasyPostShipmentCreate {
  shipment: {
    reference?: string;
    to_address: EasyPostAddress;
    from_address: EasyPostAddress;
    parcel: EasyPostParcel;
    options: { label_format: LabelFormat; label_date?: string };
    carrier_accounts?: string[];
    is_return?: boolean;
  };
}

export function toEasyPostAddress(a: Address, email?: string): EasyPostAddress {
  return {
    ...(a.name !== undefined && { name: a.name }),
    ...(a.company !== undefined && { company: a.company }),
    street1: a.line1,
    ...(a.line2 !== undefined && { street2: a.line2 }),
    city: a.city,
    ...(a.region !== undefined && { state: a.region }),
    zip: a.postalCode,
    country: a.country,
    ...(a.phone !== undefined && { phone: a.phone }),
    ...(email !== undefined && { email }),
  };
}

export function toEasyPostParcel(p: ParcelShipment['parcel']): EasyPostParcel {
  return {
    length: formatTenths(mmToTenthsOfInch(p.lengthMm)),
    width: formatTenths(mmToTenthsOfInch(p.widthMm)),
    height: formatTenths(mmToTenthsOfInch(p.heightMm)),
    weight: formatTenths(gramsToTenthsOfOunce(p.weightGrams)),
  };
}

export function toEasyPostShipment(
  shipment: ParcelShipment,
  opts: { labelFormat: LabelFormat; reference?: string; carrierAccounts?: string[] },
): EasyPostShipmentCreate {
  return {
    shipment: {
      ...(opts.reference !== undefined && { reference: opts.reference }),
      to_address: toEasyPostAddress(shipment.to, shipment.email),
      from_address: toEasyPostAddress(shipment.from),
      parcel: toEasyPostParcel(shipment.parcel),
      options: { label_format: opts.labelFormat, ...(shipment.shipDate !== undefined && { label_date: `${shipment.shipDate}T00:00:00Z` }) },
      ...(opts.carrierAccounts?.length ? { carrier_accounts: opts.carrierAccounts } : {}),
      ...(shipment.isReturn && { is_return: true }),
    },
  };
}

// EasyPost has no idempotency header. A purchase's shipment carries this reference instead, and a
// reference "may be used in place of id" (GET /v2/shipments/:reference), so a retry finds it. Hashed so
// any key is a safe path segment and never looks like an EasyPost id (shp_...).
export function shipmentReference(idempotencyKey: string): string {
  if (!idempotencyKey) throw new TypeError('a label purchase needs an idempotency key');
  return `orderhub-${createHash('sha256').update(idempotencyKey).digest('hex').slice(0, 40)}`;
}

// ---------------------------------------------------------------------------------------------
// Responses

const nullishString = z.string().nullish();

const easyPostRateSchema = z.object({
  id: z.string().min(1),
  carrier: z.string().min(1),
  service: z.string().min(1),
  rate: z.string().min(1),
  currency: z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code'),
  delivery_days: z.number().int().nonnegative().nullish(),
  est_delivery_days: z.number().int().nonnegative().nullish(),
  delivery_date: nullishString,
  delivery_date_guaranteed: z.boolean().nullish(),
});
export type EasyPostRate = z.infer<typeof easyPostRateSchema>;

const easyPostTrackerSchema = z.object({
  id: z.string().min(1),
  tracking_code: z.string().min(1),
  carrier: z.string().min(1),
  status: z.string().min(1),
  status_detail: nullishString,
  updated_at: nullishString,
  est_delivery_date: nullishString,
  public_url: nullishString,
  tracking_details: z.array(z.object({ message: nullishString, status: nullishString, datetime: nullishString })).nullish(),
});
export type EasyPostTracker = z.infer<typeof easyPostTrackerSchema>;

export const easyPostShipmentSchema = z.object({
  id: z.string().regex(/^shp_/, 'must be an EasyPost shipment id (shp_...)'),
  reference: nullishString,
  rates: z.array(easyPostRateSchema).nullish(),
  selected_rate: easyPostRateSchema.nullish(),
  tracking_code: nullishString,
  refund_status: nullishString,
  postage_label: z
    .object({
      label_url: nullishString,
      label_pdf_url: nullishString,
      label_zpl_url: nullishString,
      label_file_type: nullishString,
    })
    .nullish(),
  tracker: z.object({ public_url: nullishString }).nullish(),
  messages: z.array(z.object({ carrier: nullishString, message: nullishString })).nullish(),
});
export type EasyPostShipment = z.infer<typeof easyPostShipmentSchema>;

export function parseShipment(body: unknown): EasyPostShipment {
  return parseOrThrow(easyPostShipmentSchema, body, 'EasyPost shipment');
}

export function parseTracker(body: unknown): EasyPostTracker {
  return parseOrThrow(easyPostTrackerSchema, body, 'EasyPost tracker');
}

// "2026-03-04T00:00:00Z" -> "2026-03-04"
function datePart(value: string | null | undefined): string | undefined {
  const match = value ? /^(\d{4}-\d{2}-\d{2})/.exec(value) : null;
  return match ? match[1] : undefined;
}

export function toCarrierRate(r: EasyPostRate, path = 'rate'): CarrierRate {
  let amount: number;
  try {
    amount = toMinorUnits(r.rate, r.currency);
  } catch (err) {
    if (err instanceof MoneyFormatError)
      throw new ValidationError('EasyPost rate is not a decimal amount', [{ path: `${path}.rate`, message: err.message }]);
    throw err;
  }
  const deliveryDays = r.delivery_days ?? r.est_delivery_days ?? undefined;
  const deliveryDate = datePart(r.delivery_date);
  return {
    rateId: r.id,
    carrier: r.carrier,
    service: r.service,
    price: { amount, currency: r.currency },
    ...(deliveryDays !== undefined && { deliveryDays }),
    ...(deliveryDate !== undefined && { deliveryDate }),
    deliveryDateGuaranteed: r.delivery_date_guaranteed ?? false,
  };
}

export function toCarrierRates(s: EasyPostShipment): CarrierRate[] {
  return (s.rates ?? []).map((r, i) => toCarrierRate(r, `rates.${i}`));
}

export function isPurchased(s: EasyPostShipment): boolean {
  return Boolean(s.tracking_code && s.selected_rate && s.postage_label);
}

const FILE_TYPES: Record<string, LabelFormat> = { 'application/pdf': 'PDF', 'image/png': 'PNG', 'application/zpl': 'ZPL' };

// A bought shipment as a label. The label URL is the format asked for when EasyPost has it.
export function toLabel(s: EasyPostShipment, wanted: LabelFormat): Label {
  const rate = s.selected_rate;
  const pl = s.postage_label;
  if (!rate || !pl || !s.tracking_code) {
    throw new ValidationError(`EasyPost shipment ${s.id} has no label`, [
      ...(rate ? [] : [{ path: 'selected_rate', message: 'is missing' }]),
      ...(pl ? [] : [{ path: 'postage_label', message: 'is missing' }]),
      ...(s.tracking_code ? [] : [{ path: 'tracking_code', message: 'is missing' }]),
    ]);
  }
  const specific = wanted === 'PDF' ? pl.label_pdf_url : wanted === 'ZPL' ? pl.label_zpl_url : undefined;
  const labelUrl = specific ?? pl.label_url ?? undefined;
  const labelFormat = specific ? wanted : (FILE_TYPES[pl.label_file_type ?? ''] ?? wanted);
  const price = toCarrierRate(rate, 'selected_rate').price;
  return {
    labelId: s.id,
    carrier: rate.carrier,
    service: rate.service,
    trackingNumber: s.tracking_code,
    price,
    ...(labelUrl ? { labelUrl, labelFormat } : {}),
    ...(s.tracker?.public_url ? { trackingUrl: s.tracker.public_url } : {}),
  };
}

// refund_status: submitted | refunded | rejected | not_applicable
export function toVoidOutcome(s: EasyPostShipment): VoidOutcome | undefined {
  switch (s.refund_status) {
    case 'refunded':
      return { status: 'voided' };
    case 'submitted':
      return { status: 'pending', detail: 'EasyPost submitted the refund to the carrier' };
    case 'rejected':
      return { status: 'rejected', detail: 'the carrier rejected the refund (the parcel was probably scanned)' };
    case 'not_applicable':
      return { status: 'rejected', detail: 'this label cannot be refunded' };
    default:
      return undefined;
  }
}

// EasyPost tracker statuses to the movements an order cares about; undefined when nothing has moved.
export function toTrackingStatus(status: string): TrackingStatus | undefined {
  switch (status) {
    case 'in_transit':
      return 'in_transit';
    case 'out_for_delivery':
    case 'available_for_pickup': // at a pickup point: the last step before the customer has it
      return 'out_for_delivery';
    case 'delivered':
      return 'delivered';
    case 'return_to_sender':
    case 'failure':
    case 'error':
    case 'cancelled':
      return 'exception';
    case 'pre_transit': // label made, not scanned
    case 'unknown':
    default:
      return undefined;
  }
}

export function toTracking(t: EasyPostTracker): Tracking {
  return {
    trackingNumber: t.tracking_code,
    carrier: t.carrier,
    status: toTrackingStatus(t.status) ?? 'pending',
    carrierStatus: t.status,
    ...(t.est_delivery_date ? { estimatedDeliveryAt: t.est_delivery_date } : {}),
    ...(t.public_url ? { trackingUrl: t.public_url } : {}),
  };
}

// ---------------------------------------------------------------------------------------------
// Webhook events: { id: "evt_...", object: "Event", description: "tracker.updated", result: Tracker }

const easyPostEventSchema = z.object({
  id: z.string().min(1),
  object: z.literal('Event'),
  description: z.string().min(1),
  created_at: nullishString,
  result: z.unknown(),
});

const TRACKER_EVENTS = new Set(['tracker.created', 'tracker.updated']);

export function parseEvent(rawBody: Buffer): z.infer<typeof easyPostEventSchema> {
  let body: unknown;
  try {
    body = JSON.parse(rawBody.toString('utf8'));
  } catch {
    throw new ValidationError('EasyPost webhook body is not JSON', [{ path: '(body)', message: 'is not valid JSON' }]);
  }
  return parseOrThrow(easyPostEventSchema, body, 'EasyPost event');
}

export function toCarrierWebhookEvent(rawBody: Buffer): CarrierWebhookEvent {
  const event = parseEvent(rawBody);
  if (!TRACKER_EVENTS.has(event.description)) return { kind: 'ignored', reason: `EasyPost event ${event.description} is not acted on` };
  // Parsed under `result` so a bad field is named result.status, as it is in the body.
  const { result: tracker } = parseOrThrow(z.object({ result: easyPostTrackerSchema }), event, 'EasyPost tracker event');
  const status = toTrackingStatus(tracker.status);
  if (!status) return { kind: 'ignored', reason: `tracker ${tracker.tracking_code} is ${tracker.status}: nothing has moved yet` };
  const last = tracker.tracking_details?.at(-1);
  const occurredAt = last?.datetime ?? tracker.updated_at ?? event.created_at;
  if (!occurredAt) throw new ValidationError('EasyPost tracker event has no time', [{ path: 'result.updated_at', message: 'is missing' }]);
  return {
    kind: 'tracking',
    event: {
      eventId: event.id,
      trackingNumber: tracker.tracking_code,
      carrier: tracker.carrier,
      status,
      carrierStatus: tracker.status,
      ...(last?.message ? { detail: last.message } : {}),
      occurredAt,
      ...(tracker.est_delivery_date ? { estimatedDeliveryAt: tracker.est_delivery_date } : {}),
    },
  };
}
