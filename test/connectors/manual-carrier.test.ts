import { manualCarrierConnector } from '../../connectors/manual-carrier';
import type { CarrierGateway } from '../../connectors/types';
import { RateUnavailableError, type LabelPurchase, type ParcelShipment } from '../../domain/carrier';
import { ValidationError } from '../../domain/errors';
import { testConnectorContext } from '../support/connectors';

const OPTIONS = {
  carrierName: 'Kurier Berlin',
  rates: [
    { service: 'SameDay', amount: 1490, currency: 'EUR', deliveryDays: 0, countries: ['DE'] },
    { service: 'Pallet', amount: 8900, currency: 'EUR' },
  ],
  trackingUrlTemplate: 'https://kurier.example/track/{trackingNumber}',
};

const SHIPMENT: ParcelShipment = {
  from: { name: 'BER-WH', line1: 'Friedrichstrasse 43', city: 'Berlin', postalCode: '10117', country: 'DE' },
  to: { name: 'Ada Lovelace', line1: 'Brandenburger Str. 1', city: 'Potsdam', postalCode: '14467', country: 'DE' },
  parcel: { weightGrams: 2500, lengthMm: 400, widthMm: 300, heightMm: 200 },
};

let close: () => void;
let carrier: CarrierGateway;

beforeEach(() => {
  const t = testConnectorContext('kurier');
  close = t.close;
  carrier = manualCarrierConnector.create(manualCarrierConnector.optionsSchema.parse(OPTIONS), {}, t.ctx).carrier!;
});
afterEach(() => close());

describe('manual carrier', () => {
  test('options are validated when the connection is created, every bad field named', () => {
    const bad = manualCarrierConnector.optionsSchema.safeParse({
      carrierName: '',
      rates: [
        { service: 'SameDay', amount: 14.9, currency: 'eur' },
        { service: 'sameday', amount: 100, currency: 'EUR' },
      ],
      trackingUrlTemplate: 'https://kurier.example/track',
    });
    expect(bad.error?.issues.map((i) => i.path.join('.')).sort()).toEqual([
      'carrierName',
      'rates.0.amount',
      'rates.0.currency',
      'trackingUrlTemplate',
    ]);
    const duplicate = manualCarrierConnector.optionsSchema.safeParse({ ...OPTIONS, rates: [OPTIONS.rates[1], OPTIONS.rates[1]] });
    expect(duplicate.error?.issues.map((i) => i.path.join('.'))).toEqual(['rates.1.service']);
  });

  test('rates are the configured flat rates for the destination country', async () => {
    await expect(carrier.rates(SHIPMENT)).resolves.toEqual([
      {
        rateId: 'manual:SameDay',
        carrier: 'Kurier Berlin',
        service: 'SameDay',
        price: { amount: 1490, currency: 'EUR' },
        deliveryDays: 0,
        deliveryDateGuaranteed: false,
      },
      {
        rateId: 'manual:Pallet',
        carrier: 'Kurier Berlin',
        service: 'Pallet',
        price: { amount: 8900, currency: 'EUR' },
        deliveryDateGuaranteed: false,
      },
    ]);
    const toAustria = { ...SHIPMENT, to: { ...SHIPMENT.to, country: 'AT', postalCode: '1010' } };
    expect((await carrier.rates(toAustria)).map((r) => r.service)).toEqual(['Pallet']);
  });

  test('a label records the tracking number the operator entered, with no document, the same on every retry', async () => {
    const purchase: LabelPurchase = { shipment: SHIPMENT, service: 'SameDay', trackingNumber: ' KB-2026-0042 ' };
    const first = await carrier.buyLabel(purchase, { idempotencyKey: 'order:shopify:1001:label:kurier' });
    const again = await carrier.buyLabel(purchase, { idempotencyKey: 'order:shopify:1001:label:kurier' });
    expect(first).toEqual({
      labelId: 'manual:order:shopify:1001:label:kurier',
      carrier: 'Kurier Berlin',
      service: 'SameDay',
      trackingNumber: 'KB-2026-0042',
      price: { amount: 1490, currency: 'EUR' },
      trackingUrl: 'https://kurier.example/track/KB-2026-0042',
    });
    expect(first).not.toHaveProperty('labelUrl');
    expect(again).toEqual(first);
  });

  test('a label without a tracking number is refused, naming the field', async () => {
    const err = await carrier.buyLabel({ shipment: SHIPMENT, service: 'SameDay' }, { idempotencyKey: 'k1' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).problems).toEqual([{ path: 'trackingNumber', message: 'is required' }]);
  });

  test('a service the carrier does not offer to that country is unavailable', async () => {
    const toAustria = { ...SHIPMENT, to: { ...SHIPMENT.to, country: 'AT', postalCode: '1010' } };
    const err = await carrier
      .buyLabel({ shipment: toAustria, service: 'SameDay', trackingNumber: 'KB-1' }, { idempotencyKey: 'k2' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RateUnavailableError);
  });

  test('void has nothing to refund and tracking stays pending', async () => {
    await expect(carrier.voidLabel('manual:k')).resolves.toEqual({ status: 'voided' });
    await expect(carrier.track('KB-2026-0042', 'Kurier Berlin')).resolves.toMatchObject({
      status: 'pending',
      trackingUrl: 'https://kurier.example/track/KB-2026-0042',
    });
    expect(carrier.webhooks).toBeUndefined();
  });
});
