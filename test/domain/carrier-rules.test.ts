import { addBusinessDays, RateUnavailableError, type CarrierRate } from '../../domain/carrier';
import {
  parseCarrierRules,
  planLabelPurchase,
  selectCarrier,
  type CandidateOutcome,
  type CarrierRule,
  type CarrierRuleInput,
  type LabelPlanDeps,
  type LabelPlanInput,
} from '../../domain/carrier-rules';
import { UpstreamUnavailableError, ValidationError } from '../../domain/errors';

const SHIP_DATE = '2026-03-02'; // a Monday

function rate(carrier: string, service: string, amount: number, extra: Partial<CarrierRate> = {}): CarrierRate {
  return { rateId: `${carrier}:${service}`, carrier, service, price: { amount, currency: 'EUR' }, deliveryDateGuaranteed: false, ...extra };
}

// A carrier connection as the plan sees it: its rates, or why it has none, and what buying does.
interface FakeCarrier {
  rates?: CarrierRate[];
  ratesFail?: Error;
  down?: boolean;
  buyFails?: Error;
}

function gateways(
  carriers: Record<string, FakeCarrier>,
): LabelPlanDeps<{ trackingNumber: string; carrier: string; service: string; key: string }> {
  return {
    isDown: (carrier) => carriers[carrier]?.down ?? false,
    async rates(carrier) {
      const c = carriers[carrier];
      if (!c) throw new Error(`no connection ${carrier}`);
      if (c.ratesFail) throw c.ratesFail;
      return c.rates ?? [];
    },
    async buy(carrier, r, key) {
      const c = carriers[carrier];
      if (c?.buyFails) throw c.buyFails;
      return { trackingNumber: `TRK-${carrier}-${r.service}`, carrier, service: r.service, key };
    },
  };
}

const rules = (input: CarrierRuleInput[]): CarrierRule[] => parseCarrierRules(input);

const REGION_RULES = rules([
  { id: 'de-all', regions: [{ country: 'DE' }], services: [{ carrier: 'dhl' }] },
  {
    id: 'berlin',
    regions: [{ country: 'DE', postalPrefixes: ['10', '12', '13'] }],
    services: [{ carrier: 'courier' }, { carrier: 'dhl' }],
  },
  { id: 'berlin-mitte', regions: [{ country: 'DE', postalPrefixes: ['101'] }], services: [{ carrier: 'bike' }] },
  { id: 'alps', regions: [{ country: 'AT' }, { country: 'CH' }], services: [{ carrier: 'post' }] },
  { id: 'amsterdam', regions: [{ country: 'NL', postalPrefixes: ['10'] }], services: [{ carrier: 'postnl' }] },
  { id: 'amsterdam-again', regions: [{ country: 'NL', postalPrefixes: ['10'] }], services: [{ carrier: 'dhl' }] },
]);

describe('carrier rules: which rule covers a destination', () => {
  test.each([
    ['the longest matching postal prefix wins over a shorter one', 'DE', '10117', 'berlin-mitte'],
    ['a prefix rule wins over the whole country, wherever it is listed', 'DE', '12043', 'berlin'],
    ['elsewhere in the country the country-wide rule applies', 'DE', '80331', 'de-all'],
    ['a rule with several regions covers each', 'CH', '8001', 'alps'],
    ['postal codes are compared without spaces and in upper case', 'NL', '1011 ab', 'amsterdam'],
    ['of two equally specific rules the first listed wins', 'NL', '1017CE', 'amsterdam'],
    ['a country no rule names has no rule', 'FR', '75001', undefined],
    ['a postal code outside every prefix of a country without a country-wide rule has no rule', 'NL', '3011', undefined],
  ])('%s (%s %s)', (_name, country, postalCode, ruleId) => {
    expect(selectCarrier({ country, postalCode }, REGION_RULES)?.ruleId).toBe(ruleId);
  });

  test('the selection lists the rule services in priority order', () => {
    expect(selectCarrier({ country: 'DE', postalCode: '13353' }, REGION_RULES)).toEqual({
      ruleId: 'berlin',
      mode: 'priority',
      candidates: [{ carrier: 'courier' }, { carrier: 'dhl' }],
    });
  });
});

describe('carrier rules: rate shopping', () => {
  const CARRIERS: Record<string, FakeCarrier> = {
    dhl: { rates: [rate('DHL', 'Paket', 690, { deliveryDays: 2 }), rate('DHL', 'Express', 1890, { deliveryDays: 1 })] },
    dpd: { rates: [rate('DPD', 'Classic', 540, { deliveryDays: 3 })] },
    hermes: { rates: [rate('Hermes', 'Standard', 450, { deliveryDays: 5 })] },
    gls: { rates: [rate('GLS', 'Business', 610, { deliveryDate: '2026-03-04' })] },
    courier: { rates: [rate('Courier', 'SameDay', 2500, { deliveryDate: '2026-03-02' })] },
  };

  const plan = (mode: string, services: CarrierRuleInput['services'], extra: Partial<LabelPlanInput> = {}, carriers = CARRIERS) =>
    planLabelPurchase(
      {
        destination: { country: 'DE', postalCode: '14467' },
        rules: rules([{ id: 'de', regions: [{ country: 'DE' }], mode: mode as never, services }]),
        idempotencyKey: 'order:shop:1001:label',
        shipDate: SHIP_DATE,
        ...extra,
      },
      gateways(carriers),
    );

  const ALL = [{ carrier: 'dhl', service: 'Paket' }, { carrier: 'dpd' }, { carrier: 'hermes' }, { carrier: 'gls' }, { carrier: 'courier' }];

  test.each<[string, string | undefined, string, string, string]>([
    // mode, promisedBy, bought carrier, service, why
    ['priority', undefined, 'dhl', 'Paket', 'the first service listed'],
    ['cheapest', undefined, 'hermes', 'Standard', 'the lowest price'],
    [
      'fastest_within_promise',
      '2026-03-05',
      'dpd',
      'Classic',
      'the cheapest of those arriving by Thursday (DPD 3 days, GLS Wed, DHL 2 days, courier today)',
    ],
    ['fastest_within_promise', '2026-03-04', 'gls', 'Business', 'the cheapest of those arriving by Wednesday'],
    ['fastest_within_promise', '2026-03-01', 'courier', 'SameDay', 'nobody keeps a promise in the past, so the fastest'],
    ['fastest_within_promise', undefined, 'hermes', 'Standard', 'without a promise every rate keeps it, so the cheapest'],
  ])('%s (promised %s) buys %s %s: %s', async (mode, promisedBy, carrier, service, _why) => {
    const outcome = await plan(mode, ALL, promisedBy ? { promisedBy } : {});
    expect(outcome).toMatchObject({ status: 'purchased', carrier, rate: { service }, label: { carrier, service } });
  });

  test('priority within one connection without a service takes its cheapest rate', async () => {
    const outcome = await plan('priority', [{ carrier: 'dhl' }]);
    expect(outcome).toMatchObject({ status: 'purchased', rate: { service: 'Paket', price: { amount: 690 } } });
  });

  test('a service named with its carrier ("DHL:Express") selects that rate', async () => {
    const outcome = await plan('priority', [{ carrier: 'dhl', service: 'DHL:Express' }]);
    expect(outcome).toMatchObject({ status: 'purchased', rate: { service: 'Express', price: { amount: 1890 } } });
  });

  test('priority asks later carriers for rates only when earlier ones did not work out', async () => {
    const outcome = await plan('priority', ALL);
    expect(outcome.tried.map((t) => [t.carrier, t.outcome])).toEqual([['dhl', 'purchased']]);
  });

  test('the explanation ranks the quotes and says which was bought', async () => {
    const outcome = await plan('fastest_within_promise', ALL, { promisedBy: '2026-03-04' });
    expect(outcome.explanation).toEqual([
      'rule de (fastest_within_promise) covers DE 14467',
      'ranked: gls Business 610 EUR (minor units) by 2026-03-04, dhl Paket 690 EUR (minor units) by 2026-03-04, courier SameDay 2500 EUR (minor units) by 2026-03-02, dpd Classic 540 EUR (minor units) by 2026-03-05, hermes Standard 450 EUR (minor units) by 2026-03-09',
      'gls: bought GLS Business at 610 EUR (minor units), arriving 2026-03-04',
    ]);
  });

  test('each candidate buys under the purchase key and its carrier, so a retry reuses the same key', async () => {
    const outcome = await plan('cheapest', ALL);
    expect(outcome).toMatchObject({
      status: 'purchased',
      idempotencyKey: 'order:shop:1001:label:hermes',
      label: { key: 'order:shop:1001:label:hermes' },
    });
  });

  test('cheapest compares prices in one currency: a quote in another is skipped, named', async () => {
    const carriers = { ...CARRIERS, swiss: { rates: [rate('Post CH', 'Priority', 100, { price: { amount: 100, currency: 'CHF' } })] } };
    const outcome = await plan('cheapest', [{ carrier: 'dpd' }, { carrier: 'swiss' }], {}, carriers);
    expect(outcome).toMatchObject({ status: 'purchased', carrier: 'dpd' });
    expect(outcome.tried.map((t) => [t.carrier, t.outcome])).toEqual([
      ['swiss', 'currency_mismatch'],
      ['dpd', 'purchased'],
    ]);
  });

  test('business days: a Friday shipment with two transit days arrives on Tuesday', () => {
    expect(addBusinessDays('2026-03-06', 2)).toBe('2026-03-10');
    expect(addBusinessDays(SHIP_DATE, 0)).toBe(SHIP_DATE);
  });
});

describe('carrier rules: fallback', () => {
  const refused = new RateUnavailableError('DHL refused: address not serviceable');
  const outage = new UpstreamUnavailableError('POST /shipments/shp_1/buy failed after 1 attempts: ECONNABORTED');
  const ok = (carrier: string, service = 'Std', amount = 500): FakeCarrier => ({
    rates: [rate(carrier, service, amount, { deliveryDays: 2 })],
  });

  const plan = (mode: string, carriers: Record<string, FakeCarrier>) =>
    planLabelPurchase(
      {
        destination: { country: 'DE', postalCode: '10117' },
        rules: rules([
          {
            id: 'berlin',
            regions: [{ country: 'DE', postalPrefixes: ['10'] }],
            mode: mode as never,
            services: Object.keys(carriers).map((carrier) => ({ carrier })),
          },
        ]),
        idempotencyKey: 'order:shop:2002:label',
        shipDate: SHIP_DATE,
      },
      gateways(carriers),
    );

  test.each<[string, string, Record<string, FakeCarrier>, string, [string, CandidateOutcome, RegExp][]]>([
    [
      'a refused purchase',
      'priority',
      { a: { ...ok('A'), buyFails: refused }, b: ok('B') },
      'b',
      [
        ['a', 'purchase_failed', /buying A Std .* failed \(upstream_rejected: DHL refused/],
        ['b', 'purchased', /bought B Std/],
      ],
    ],
    [
      'a carrier that does not serve the zone',
      'priority',
      { a: { rates: [] }, b: ok('B') },
      'b',
      [
        ['a', 'no_rates', /no rate for DE 10117 \(does not serve the zone\)/],
        ['b', 'purchased', /bought/],
      ],
    ],
    [
      'a carrier marked down',
      'priority',
      { a: { ...ok('A'), down: true }, b: ok('B') },
      'b',
      [
        ['a', 'carrier_down', /the carrier is marked down/],
        ['b', 'purchased', /bought/],
      ],
    ],
    [
      'a rate request that fails',
      'priority',
      { a: { ratesFail: new UpstreamUnavailableError('POST /shipments failed after 5 attempts: status 503') }, b: ok('B') },
      'b',
      [
        ['a', 'rates_failed', /asking for rates failed \(upstream_unavailable: .*503\)/],
        ['b', 'purchased', /bought/],
      ],
    ],
    [
      'the cheapest failing, in cheapest mode',
      'cheapest',
      { a: { ...ok('A', 'Std', 300), buyFails: refused }, b: ok('B', 'Std', 900), c: ok('C', 'Std', 600) },
      'c',
      [
        ['a', 'purchase_failed', /failed/],
        ['c', 'purchased', /bought C Std at 600/],
      ],
    ],
    [
      'several in a row',
      'cheapest',
      { a: { down: true }, b: { rates: [] }, c: { ...ok('C', 'Std', 100), buyFails: refused }, d: ok('D', 'Std', 700) },
      'd',
      [
        ['a', 'carrier_down', /down/],
        ['b', 'no_rates', /does not serve/],
        ['c', 'purchase_failed', /failed/],
        ['d', 'purchased', /bought/],
      ],
    ],
  ])('after %s the next candidate is bought (%s)', async (_name, mode, carriers, boughtFrom, expected) => {
    const outcome = await plan(mode, carriers);
    expect(outcome).toMatchObject({ status: 'purchased', carrier: boughtFrom });
    expect(outcome.tried.map((t) => [t.carrier, t.outcome])).toEqual(expected.map(([c, o]) => [c, o]));
    outcome.tried.forEach((t, i) => expect(t.detail).toMatch(expected[i][2]));
    // The explanation names each candidate with its reason, in the order they were considered.
    expect(outcome.explanation.filter((l) => /^[a-d]: /.test(l))).toEqual(outcome.tried.map((t) => `${t.carrier}: ${t.detail}`));
  });

  test('a purchase that timed out is reported as uncertain with the key that finds its label', async () => {
    const outcome = await plan('priority', { a: { ...ok('A'), buyFails: outage }, b: ok('B') });
    expect(outcome.status).toBe('purchased');
    expect(outcome.tried[0]).toMatchObject({
      carrier: 'a',
      outcome: 'purchase_failed',
      uncertain: true,
      idempotencyKey: 'order:shop:2002:label:a',
    });
    expect(outcome.tried[0].detail).toMatch(/may have gone through: buying again with key order:shop:2002:label:a returns that label/);
    expect(outcome.tried[1]).not.toHaveProperty('uncertain');
  });

  test('when every candidate fails the plan is exhausted and says why for each', async () => {
    const outcome = await plan('priority', { a: { down: true }, b: { rates: [] }, c: { ...ok('C'), buyFails: refused } });
    expect(outcome.status).toBe('exhausted');
    expect(outcome.tried.map((t) => t.outcome)).toEqual(['carrier_down', 'no_rates', 'purchase_failed']);
    expect(outcome.explanation.at(-1)).toBe('no candidate could ship it');
  });

  test('a destination no rule covers is reported, not guessed', async () => {
    const outcome = await planLabelPurchase(
      { destination: { country: 'FR', postalCode: '75001' }, rules: REGION_RULES, idempotencyKey: 'k', shipDate: SHIP_DATE },
      gateways({}),
    );
    expect(outcome).toEqual({ status: 'no_rule', tried: [], explanation: ['no carrier rule covers FR 75001'] });
  });
});

describe('carrier rules: validation', () => {
  const good: CarrierRuleInput = { id: 'de', regions: [{ country: 'DE' }], services: [{ carrier: 'dhl' }] };

  test('a good rule set parses, with priority as the default mode', () => {
    expect(parseCarrierRules([good])).toEqual([
      { id: 'de', regions: [{ country: 'DE' }], mode: 'priority', services: [{ carrier: 'dhl' }] },
    ]);
  });

  test.each<[string, unknown, string[]]>([
    [
      'a bad country and postal prefix',
      [{ ...good, regions: [{ country: 'Germany', postalPrefixes: ['10*'] }] }],
      ['0.regions.0.country', '0.regions.0.postalPrefixes.0'],
    ],
    ['an unknown mode and an empty service list', [{ ...good, mode: 'random', services: [] }], ['0.mode', '0.services']],
    [
      'a carrier that is not a connection id, and an empty service',
      [{ ...good, services: [{ carrier: 'DHL Paket' }, { carrier: 'dpd', service: ' ' }] }],
      ['0.services.0.carrier', '0.services.1.service'],
    ],
    ['no regions, and an unknown field', [{ ...good, regions: [], priority: 1 }], ['0.regions', '0.priority']],
    [
      'a service listed twice',
      [
        {
          ...good,
          services: [
            { carrier: 'dhl', service: 'Paket' },
            { carrier: 'dhl', service: 'paket' },
          ],
        },
      ],
      ['0.services.1'],
    ],
    [
      'two rules with one id, each problem in its own rule',
      [good, { ...good, regions: [{ country: 'de' }] }, { ...good, id: 'at', services: [{}] }],
      ['1.regions.0.country', '2.services.0.carrier', '1.id'],
    ],
    ['not a list', { rules: [] }, ['(body)']],
  ])('%s is rejected naming each bad field', (_name, input, paths) => {
    const err = (() => {
      try {
        parseCarrierRules(input);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).problems.map((p) => p.path).sort()).toEqual([...paths].sort());
  });
});
