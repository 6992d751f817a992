import { z } from 'zod';
import { RateUnavailableError, rateMatchesService, type CarrierRate, type Label } from '../../domain/carrier';
import { ValidationError } from '../../domain/errors';
import { currencySchema, minorUnitsSchema } from '../../domain/money';
import { parseOrThrow } from '../../domain/validation';
import type { CarrierGateway, ConnectorFactory } from '../types';

/*
 * A carrier Orderhub cannot talk to: a local courier, a pallet forwarder, a driver of our own. The
 * operator books it outside Orderhub and enters the tracking number; nothing is printed.
 *
 * Options:     { carrierName ("Local courier"), rates: [{ service, amount (minor units), currency,
 *              deliveryDays?, countries? (ISO codes it serves; absent: everywhere) }], trackingUrlTemplate?
 *              ("https://courier.example/track/{trackingNumber}") }
 * Credentials: {} (none).
 *
 * buyLabel needs purchase.trackingNumber. It is a record, not a purchase, so a retry with the same
 * idempotency key gives the same label; the label id is derived from the key.
 */

const manualRateSchema = z.strictObject({
  service: z.string().trim().min(1).max(100),
  amount: minorUnitsSchema,
  currency: currencySchema,
  deliveryDays: z.number().int().min(0).max(365).optional(),
  countries: z
    .array(z.string().regex(/^[A-Z]{2}$/, 'must be an ISO 3166-1 alpha-2 code such as "DE"'))
    .min(1)
    .optional(),
});

export const manualCarrierOptionsSchema = z.strictObject({
  carrierName: z.string().trim().min(1).max(100),
  rates: z
    .array(manualRateSchema)
    .min(1, 'needs at least one service')
    .max(100)
    .superRefine((rates, ctx) => {
      const seen = new Set<string>();
      rates.forEach((r, i) => {
        if (seen.has(r.service.toLowerCase()))
          ctx.addIssue({ code: 'custom', path: [i, 'service'], message: `service ${r.service} appears more than once` });
        seen.add(r.service.toLowerCase());
      });
    }),
  trackingUrlTemplate: z
    .url({ protocol: /^https?$/, message: 'must be an http or https URL' })
    .refine((u) => decodeURI(u).includes('{trackingNumber}'), 'must contain {trackingNumber}')
    .optional(),
});
export type ManualCarrierOptions = z.infer<typeof manualCarrierOptionsSchema>;

export const manualCarrierCredentialsSchema = z.strictObject({});

const TRACKING_NUMBER = /^[A-Za-z0-9][A-Za-z0-9 ._/-]{2,63}$/;

export function createManualCarrier(options: ManualCarrierOptions): CarrierGateway {
  const trackingUrl = (n: string) =>
    options.trackingUrlTemplate && decodeURI(options.trackingUrlTemplate).replace('{trackingNumber}', encodeURIComponent(n));
  const quotes = (country: string): CarrierRate[] =>
    options.rates
      .filter((r) => !r.countries || r.countries.includes(country))
      .map((r) => ({
        rateId: `manual:${r.service}`,
        carrier: options.carrierName,
        service: r.service,
        price: { amount: r.amount, currency: r.currency },
        ...(r.deliveryDays !== undefined && { deliveryDays: r.deliveryDays }),
        deliveryDateGuaranteed: false,
      }));

  return {
    async rates(shipment) {
      return quotes(shipment.to.country);
    },

    async buyLabel(purchase, { idempotencyKey }): Promise<Label> {
      if (!idempotencyKey) throw new TypeError('a label purchase needs an idempotency key');
      const trackingNumber = purchase.trackingNumber?.trim();
      if (!trackingNumber || !TRACKING_NUMBER.test(trackingNumber)) {
        throw new ValidationError(`${options.carrierName} labels are entered by an operator: a tracking number is required`, [
          { path: 'trackingNumber', message: trackingNumber ? 'must be 3 to 64 letters, digits, spaces or . _ / -' : 'is required' },
        ]);
      }
      const rate = quotes(purchase.shipment.to.country).find((r) => rateMatchesService(r, purchase.service, purchase.carrier));
      if (!rate)
        throw new RateUnavailableError(`${options.carrierName} has no ${purchase.service} service to ${purchase.shipment.to.country}`);
      const url = trackingUrl(trackingNumber);
      return {
        labelId: `manual:${idempotencyKey}`,
        carrier: options.carrierName,
        service: rate.service,
        trackingNumber,
        price: rate.price,
        ...(url ? { trackingUrl: url } : {}),
      };
    },

    // Nothing is ever bought, so nothing can have been bought unseen.
    async findLabel() {
      return undefined;
    },

    // Nothing was bought, so there is nothing to refund.
    async voidLabel() {
      return { status: 'voided' };
    },

    // Nobody reports scans for a manual carrier: the operator marks delivery by hand.
    async track(trackingNumber) {
      const url = trackingUrl(trackingNumber);
      return {
        trackingNumber,
        carrier: options.carrierName,
        status: 'pending',
        carrierStatus: 'unknown',
        ...(url ? { trackingUrl: url } : {}),
      };
    },
  };
}

export const manualCarrierConnector: ConnectorFactory<ManualCarrierOptions, Record<string, never>> = {
  kind: 'manual_carrier',
  optionsSchema: manualCarrierOptionsSchema,
  credentialsSchema: manualCarrierCredentialsSchema as z.ZodType<Record<string, never>>,
  create(options) {
    const opts = parseOrThrow(manualCarrierOptionsSchema, options, 'manual carrier options');
    return {
      kind: 'manual_carrier',
      async testConnection() {},
      carrier: createManualCarrier(opts),
    };
  },
};
