import { z } from 'zod';
import { addressSchema } from './address';
import { OrderhubError } from './errors';
import type { Money } from './money';

// Parcels, rates, labels and tracking as Orderhub sees them, whatever carrier or aggregator is behind
// them. Pure: no I/O. Weights are whole grams and sizes whole millimetres; money is integer minor units.

const isoDateSchema = z.iso.date('must be a date such as "2026-03-02"');

export const parcelSchema = z.strictObject({
  weightGrams: z.number().int('must be whole grams').positive('must be more than 0').max(1_000_000, 'must be at most 1000 kg'),
  lengthMm: z.number().int('must be whole millimetres').positive('must be more than 0').max(10_000),
  widthMm: z.number().int('must be whole millimetres').positive('must be more than 0').max(10_000),
  heightMm: z.number().int('must be whole millimetres').positive('must be more than 0').max(10_000),
});
export type Parcel = z.infer<typeof parcelSchema>;

// One parcel from a location to a customer.
export const parcelShipmentSchema = z.strictObject({
  from: addressSchema,
  to: addressSchema,
  parcel: parcelSchema,
  shipDate: isoDateSchema.optional(), // absent: today
  email: z.email().optional(), // some carriers want one to notify the recipient
  // A return label: the parcel travels back from `to` (the customer) to `from` (the warehouse). The
  // addresses stay as on the outbound shipment, as EasyPost's is_return expects (it swaps them).
  isReturn: z.boolean().optional(),
});
export type ParcelShipment = z.infer<typeof parcelShipmentSchema>;

// A price a carrier quotes for one of its services.
export interface CarrierRate {
  rateId: string; // the gateway's id for the quote; informational, purchases name carrier + service
  carrier: string; // the carrier behind the gateway ("USPS", "DHLExpress"); the gateway's own name for a single carrier
  service: string; // the carrier's service ("Priority", "GroundAdvantage")
  price: Money;
  deliveryDays?: number; // business days in transit, when the carrier says
  deliveryDate?: string; // YYYY-MM-DD, when the carrier says
  deliveryDateGuaranteed: boolean;
}

export const LABEL_FORMATS = ['PDF', 'PNG', 'ZPL'] as const;
export type LabelFormat = (typeof LABEL_FORMATS)[number];

// What to buy: the carrier and service of a quote, for this shipment.
export interface LabelPurchase {
  shipment: ParcelShipment;
  carrier?: string; // narrows `service` on multi-carrier gateways
  service: string;
  maxPrice?: Money; // refuse (RateChangedError) if the price went up since it was quoted
  labelFormat?: LabelFormat; // default: the connection's
  trackingNumber?: string; // carriers where the operator enters it (manual); ignored by the others
}

export interface Label {
  labelId: string; // the gateway's id, what voidLabel takes
  carrier: string;
  service: string;
  trackingNumber: string;
  price?: Money;
  labelUrl?: string; // absent when there is nothing to print (manual carrier)
  labelFormat?: LabelFormat;
  trackingUrl?: string;
}

export type VoidOutcome =
  | { status: 'voided' } // refunded
  | { status: 'pending'; detail: string } // the carrier decides later (EasyPost: refund submitted)
  | { status: 'rejected'; detail: string }; // too late, already scanned

// The movements an order cares about. Before the first scan there is nothing to report.
export const TRACKING_STATUSES = ['in_transit', 'out_for_delivery', 'delivered', 'exception'] as const;
export type TrackingStatus = (typeof TRACKING_STATUSES)[number];

export interface TrackingEvent {
  eventId: string; // the gateway's delivery id, for de-duplicating resends
  trackingNumber: string;
  carrier: string;
  status: TrackingStatus;
  carrierStatus: string; // the gateway's own status, kept for display ("available_for_pickup")
  detail?: string; // the carrier's last message ("Arrived at facility")
  occurredAt: string; // ISO time of the carrier's last scan, or of the update when there is none
  estimatedDeliveryAt?: string;
}

export interface Tracking {
  trackingNumber: string;
  carrier: string;
  status: TrackingStatus | 'pending'; // pending: label made, not yet scanned (or the carrier does not say)
  carrierStatus: string;
  estimatedDeliveryAt?: string;
  trackingUrl?: string;
}

// The carrier does not offer that service for this shipment (wrong zone, too heavy): try another.
export class RateUnavailableError extends OrderhubError {
  constructor(message: string, details?: unknown) {
    super('upstream_rejected', message, details);
  }
}

// The price went up between the quote and the purchase.
export class RateChangedError extends OrderhubError {
  constructor(
    readonly quoted: Money,
    readonly current: Money,
  ) {
    super('conflict', `The rate went up from ${quoted.amount} to ${current.amount} ${current.currency} (minor units) since it was quoted`, {
      quoted,
      current,
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Unit conversions, in exact integer arithmetic. Declared sizes are rounded up: under-declaring
// gets a carrier surcharge, over-declaring by a tenth costs nothing.

const GRAMS_PER_OUNCE_NANO = 28_349_523_125n; // 1 avoirdupois oz = 28.349523125 g exactly
const NANO = 1_000_000_000n;

function ceilDiv(a: bigint, b: bigint): bigint {
  return (a + b - 1n) / b;
}

export function gramsToTenthsOfOunce(grams: number): number {
  if (!Number.isSafeInteger(grams) || grams < 0) throw new RangeError(`grams must be a whole number, got ${grams}`);
  return Number(ceilDiv(BigInt(grams) * 10n * NANO, GRAMS_PER_OUNCE_NANO));
}

export function mmToTenthsOfInch(mm: number): number {
  if (!Number.isSafeInteger(mm) || mm < 0) throw new RangeError(`millimetres must be a whole number, got ${mm}`);
  return Number(ceilDiv(BigInt(mm) * 100n, 254n)); // 1 in = 25.4 mm exactly
}

// 353 -> "35.3"
export function formatTenths(tenths: number): string {
  return `${Math.trunc(tenths / 10)}.${tenths % 10}`;
}

// ---------------------------------------------------------------------------------------------
// Dates

export function todayUtc(now: Date = new Date()): string {
  return now.toISOString().slice(0, 10);
}

// Transit days are business days: Saturdays and Sundays are skipped (public holidays are not known here).
export function addBusinessDays(date: string, days: number): string {
  const d = new Date(`${date}T00:00:00Z`);
  let left = days;
  while (left > 0) {
    d.setUTCDate(d.getUTCDate() + 1);
    const weekday = d.getUTCDay();
    if (weekday !== 0 && weekday !== 6) left--;
  }
  return d.toISOString().slice(0, 10);
}

// When a rate should arrive if shipped on shipDate: the carrier's date if it gives one, else its transit days.
export function expectedDeliveryDate(rate: Pick<CarrierRate, 'deliveryDate' | 'deliveryDays'>, shipDate: string): string | undefined {
  if (rate.deliveryDate) return rate.deliveryDate;
  if (rate.deliveryDays !== undefined) return addBusinessDays(shipDate, rate.deliveryDays);
  return undefined;
}

// A rule's service names a rate's service ("Priority") or its carrier and service ("USPS:Priority"), any case.
export function rateMatchesService(rate: Pick<CarrierRate, 'carrier' | 'service'>, service: string | undefined, carrier?: string): boolean {
  if (carrier !== undefined && rate.carrier.toLowerCase() !== carrier.toLowerCase()) return false;
  if (service === undefined) return true;
  const wanted = service.toLowerCase();
  return rate.service.toLowerCase() === wanted || `${rate.carrier}:${rate.service}`.toLowerCase() === wanted;
}
