import { ValidationError } from '../../domain/errors';
import { capacityDay, locationSchema } from '../../domain/catalog';
import { postalTableOf } from '../../domain/geo';
import {
  parseRoutingRules,
  routeOrder,
  type AvailableStock,
  type RoutingInput,
  type RoutingLocation,
  type RoutingOrder,
  type RoutingReasonCode,
  type RoutingRuleInput,
} from '../../domain/routing';

// Locations around a customer in Potsdam (postal code 14467, placed by the postal table).
function place(
  id: string,
  at: { postalCode: string; country?: string; latitude?: number; longitude?: number },
  extra: Partial<RoutingLocation> = {},
): RoutingLocation {
  return {
    id,
    name: id,
    type: 'warehouse',
    address: { line1: '1 Main St', city: id, country: 'DE', ...at },
    ships: true,
    pickup: false,
    priority: 100,
    active: true,
    ...extra,
  };
}

const LOCATIONS: RoutingLocation[] = [
  place('BER-WH', { postalCode: '10117', latitude: 52.52, longitude: 13.405 }, { priority: 20, costPerShipment: 500 }), // ~27 km
  place('BER-STORE', { postalCode: '10178', latitude: 52.5, longitude: 13.4 }, { type: 'store', pickup: true, priority: 50 }), // ~25 km
  place('HAM-WH', { postalCode: '20095', latitude: 53.5511, longitude: 9.9937 }, { priority: 30, costPerShipment: 400 }), // ~245 km
  place('FRA-WH', { postalCode: '60311', latitude: 50.1109, longitude: 8.6821 }, { priority: 40 }), // ~430 km
  place('MUC-WH', { postalCode: '80331', latitude: 48.1351, longitude: 11.582 }, { priority: 10, costPerShipment: 400 }), // ~480 km
  place('VIE-WH', { postalCode: '1010', country: 'AT', latitude: 48.2082, longitude: 16.3738 }, { priority: 15 }), // ~520 km
  place('LEJ-WH', { postalCode: '04109', latitude: 51.3397, longitude: 12.3731 }, { active: false, priority: 0 }), // ~130 km
];

const POSTAL_TABLE = postalTableOf([
  { country: 'DE', prefix: '1', latitude: 52.52, longitude: 13.405 },
  { country: 'DE', prefix: '14', latitude: 52.3906, longitude: 13.0645 },
]);

const ORDER: RoutingOrder = {
  channel: 'shopify',
  lines: [{ sku: 'TEE', quantity: 2 }],
  shippingAddress: { country: 'DE', postalCode: '14467' },
  allowSplit: false,
};

const plenty: AvailableStock = {
  TEE: Object.fromEntries(LOCATIONS.map((l) => [l.id, 100])),
  CAP: Object.fromEntries(LOCATIONS.map((l) => [l.id, 100])),
};

const warehousesByDistance: RoutingRuleInput = {
  id: 'nearest-warehouse',
  name: 'Nearest warehouse',
  filters: { locationTypes: ['warehouse'] },
  sort: ['distance'],
  whenNothingFits: 'wait_for_stock',
};

type RouteOverrides = Partial<Omit<RoutingInput, 'rules' | 'order'>> & { rules?: RoutingRuleInput[]; order?: Partial<RoutingOrder> };
// One row of a table: what differs from the baseline, and the decision expected (asymmetric matchers allowed).
type Case = RouteOverrides & { name: string; expected: unknown };

function route(overrides: RouteOverrides = {}) {
  return routeOrder({
    locations: LOCATIONS,
    stock: plenty,
    postalTable: POSTAL_TABLE,
    ...overrides,
    order: { ...ORDER, ...overrides.order },
    rules: parseRoutingRules(overrides.rules ?? [warehousesByDistance]),
  });
}

describe('routing: where an order ships from', () => {
  test.each<Case>([
    {
      name: 'the nearest location with the stock is chosen',
      expected: { kind: 'single', locationId: 'BER-WH' },
    },
    {
      name: 'an address with its own coordinates is measured from there, not from its postal code',
      order: { shippingAddress: { country: 'DE', postalCode: '14467', latitude: 48.2, longitude: 11.6 } },
      expected: { kind: 'single', locationId: 'MUC-WH' },
    },
    {
      name: 'priority beats distance when the rule sorts by priority first',
      rules: [{ ...warehousesByDistance, sort: ['priority', 'distance'] }],
      expected: { kind: 'single', locationId: 'MUC-WH' },
    },
    {
      name: 'the cheapest location wins when sorting by cost; equal costs go to the lower location id',
      rules: [{ ...warehousesByDistance, sort: ['cost'] }],
      expected: { kind: 'single', locationId: 'HAM-WH' },
    },
    {
      name: 'sorting by stock depth picks the location holding the most of the ordered skus',
      rules: [{ ...warehousesByDistance, sort: ['stockDepth', 'distance'] }],
      stock: { TEE: { 'BER-WH': 5, 'FRA-WH': 80, 'MUC-WH': 40 } },
      expected: { kind: 'single', locationId: 'FRA-WH' },
    },
    {
      name: 'a location that cannot be placed ranks after every location that can',
      locations: [...LOCATIONS, place('XX-WH', { postalCode: '99999' }, { priority: 0 })],
      stock: { TEE: { 'XX-WH': 10, 'VIE-WH': 10 } },
      expected: { kind: 'single', locationId: 'VIE-WH' },
    },
    {
      name: 'the region filter keeps locations outside the served region out',
      rules: [{ ...warehousesByDistance, filters: { regions: [{ country: 'DE', postalPrefixes: ['6', '8'] }, { country: 'AT' }] } }],
      expected: { kind: 'single', locationId: 'FRA-WH' },
    },
    {
      name: 'safety stock keeps a location out when the order would leave too little behind',
      rules: [{ ...warehousesByDistance, filters: { minRemainingAfterAllocation: 5 } }],
      stock: { TEE: { 'BER-WH': 6, 'HAM-WH': 7, 'FRA-WH': 50 } },
      expected: { kind: 'single', locationId: 'HAM-WH' },
    },
    {
      name: 'an inactive location is never chosen, however near',
      stock: { TEE: { 'LEJ-WH': 50, 'MUC-WH': 50 } },
      expected: { kind: 'single', locationId: 'MUC-WH' },
    },
    {
      name: 'an excluded (rejecting) location re-routes the order to the next best',
      excludedLocationIds: ['BER-WH'],
      expected: { kind: 'single', locationId: 'HAM-WH' },
    },
    {
      name: 'a channel-specific rule applies to its channel',
      order: { channel: 'amazon' },
      rules: [
        {
          id: 'amazon-at',
          name: 'Amazon ships from Vienna',
          channels: ['amazon'],
          filters: { regions: [{ country: 'AT' }] },
          sort: ['priority'],
          whenNothingFits: 'next_rule',
        },
        warehousesByDistance,
      ],
      expected: { kind: 'single', locationId: 'VIE-WH' },
    },
    {
      name: 'a channel-specific rule does not apply to other channels',
      order: { channel: 'shopify' },
      rules: [
        {
          id: 'amazon-at',
          name: 'Amazon ships from Vienna',
          channels: ['amazon'],
          filters: { regions: [{ country: 'AT' }] },
          sort: ['priority'],
          whenNothingFits: 'next_rule',
        },
        warehousesByDistance,
      ],
      expected: { kind: 'single', locationId: 'BER-WH' },
    },
    {
      name: 'when no rule applies to the channel, the default rule ships from the first location by priority',
      order: { channel: 'pos' },
      rules: [{ ...warehousesByDistance, channels: ['amazon'] }],
      expected: { kind: 'single', locationId: 'MUC-WH' },
    },
    {
      name: 'a rule that finds nothing passes the order to the next rule',
      rules: [
        { id: 'stores', name: 'Ship from store', filters: { locationTypes: ['store'] }, sort: ['distance'], whenNothingFits: 'next_rule' },
        warehousesByDistance,
      ],
      stock: { TEE: { 'BER-STORE': 1, 'FRA-WH': 10 } },
      expected: { kind: 'single', locationId: 'FRA-WH' },
    },
    {
      name: 'a rule that says wait stops there, even when a later rule could place the order',
      rules: [
        {
          id: 'stores',
          name: 'Ship from store',
          filters: { locationTypes: ['store'] },
          sort: ['distance'],
          whenNothingFits: 'wait_for_stock',
        },
        warehousesByDistance,
      ],
      stock: { TEE: { 'FRA-WH': 10 } },
      expected: { kind: 'wait', reason: expect.stringMatching(/Ship from store.*waiting for stock/) },
    },
    {
      name: 'the order waits when no location has the stock',
      stock: { TEE: { 'BER-WH': 1 } },
      expected: { kind: 'wait', reason: expect.stringMatching(/no location can take the whole order/) },
    },
  ])('$name', ({ expected, ...overrides }) => {
    expect(route(overrides).decision).toEqual(expected);
  });
});

describe('routing: splitting', () => {
  const splitRule: RoutingRuleInput = { ...warehousesByDistance, id: 'split', name: 'Nearest, split if needed', whenNothingFits: 'split' };
  const twoLines = [
    { sku: 'TEE', quantity: 3 },
    { sku: 'CAP', quantity: 2 },
  ];

  test.each<Case>([
    {
      name: 'an order no single warehouse can fill is split across two warehouses when splitting is allowed',
      order: { lines: twoLines, allowSplit: true },
      stock: { TEE: { 'BER-WH': 3 }, CAP: { 'HAM-WH': 2, 'MUC-WH': 2 } },
      expected: {
        kind: 'split',
        parts: [
          { locationId: 'BER-WH', lines: [{ sku: 'TEE', quantity: 3 }] },
          { locationId: 'HAM-WH', lines: [{ sku: 'CAP', quantity: 2 }] },
        ],
      },
    },
    {
      name: 'the same order waits when splitting is not allowed',
      order: { lines: twoLines, allowSplit: false },
      stock: { TEE: { 'BER-WH': 3 }, CAP: { 'HAM-WH': 2 } },
      expected: { kind: 'wait', reason: expect.stringMatching(/may not be split/) },
    },
    {
      name: 'a split prefers the location that takes the most lines whole (fewest parts), not the nearest',
      order: {
        lines: [
          { sku: 'A', quantity: 1 },
          { sku: 'B', quantity: 1 },
          { sku: 'C', quantity: 1 },
        ],
        allowSplit: true,
      },
      stock: { A: { 'BER-WH': 1 }, B: { 'HAM-WH': 1, 'MUC-WH': 1 }, C: { 'MUC-WH': 1 } },
      expected: {
        kind: 'split',
        parts: [
          {
            locationId: 'MUC-WH',
            lines: [
              { sku: 'B', quantity: 1 },
              { sku: 'C', quantity: 1 },
            ],
          },
          { locationId: 'BER-WH', lines: [{ sku: 'A', quantity: 1 }] },
        ],
      },
    },
    {
      name: 'a sku is not split when one location can take all of it',
      order: {
        lines: [
          { sku: 'TEE', quantity: 10 },
          { sku: 'CAP', quantity: 1 },
        ],
        allowSplit: true,
      },
      stock: { TEE: { 'BER-WH': 6, 'HAM-WH': 6, 'FRA-WH': 10 }, CAP: { 'BER-WH': 1 } },
      expected: {
        kind: 'split',
        parts: [
          { locationId: 'BER-WH', lines: [{ sku: 'CAP', quantity: 1 }] },
          { locationId: 'FRA-WH', lines: [{ sku: 'TEE', quantity: 10 }] },
        ],
      },
    },
    {
      name: 'a sku no location has in full is spread over as few locations as possible, nearest first',
      order: { lines: [{ sku: 'TEE', quantity: 10 }], allowSplit: true },
      stock: { TEE: { 'BER-WH': 2, 'HAM-WH': 3, 'FRA-WH': 9, 'MUC-WH': 9 } },
      expected: {
        kind: 'split',
        parts: [
          { locationId: 'BER-WH', lines: [{ sku: 'TEE', quantity: 2 }] },
          { locationId: 'FRA-WH', lines: [{ sku: 'TEE', quantity: 8 }] },
        ],
      },
    },
    {
      name: 'a split keeps the safety stock too',
      rules: [{ ...splitRule, filters: { locationTypes: ['warehouse'], minRemainingAfterAllocation: 2 } }],
      order: { lines: twoLines, allowSplit: true },
      stock: { TEE: { 'BER-WH': 4, 'HAM-WH': 5 }, CAP: { 'BER-WH': 4 } },
      expected: {
        kind: 'split',
        parts: [
          { locationId: 'BER-WH', lines: [{ sku: 'CAP', quantity: 2 }] },
          { locationId: 'HAM-WH', lines: [{ sku: 'TEE', quantity: 3 }] },
        ],
      },
    },
    {
      name: 'when even a split falls short, the order waits',
      order: { lines: twoLines, allowSplit: true },
      stock: { TEE: { 'BER-WH': 1, 'HAM-WH': 1 }, CAP: { 'HAM-WH': 2 } },
      expected: { kind: 'wait', reason: expect.stringMatching(/TEE \(2 of 3/) },
    },
  ])('$name', ({ expected, rules, ...overrides }) => {
    expect(route({ ...overrides, rules: rules ?? [splitRule] }).decision).toEqual(expected);
  });

  test('a split is the same whatever order the locations arrive in', () => {
    const input = {
      order: { lines: twoLines, allowSplit: true },
      rules: [splitRule],
      stock: { TEE: { 'BER-WH': 3 }, CAP: { 'HAM-WH': 2, 'MUC-WH': 2 } },
    };
    expect(route({ ...input, locations: [...LOCATIONS].reverse() }).decision).toEqual(route(input).decision);
  });
});

describe('routing: pickup in store', () => {
  test.each<Case & { pickupLocationId?: string; expected: { kind: 'pickup' | 'wait'; locationId?: string; reason?: unknown } }>([
    {
      name: 'a pickup order goes to the chosen store',
      expected: { kind: 'pickup', locationId: 'BER-STORE' },
    },
    {
      name: 'a pickup order waits when the chosen store lacks stock, even though warehouses have it',
      stock: { TEE: { 'BER-STORE': 1, 'BER-WH': 100 } },
      expected: { kind: 'wait', reason: expect.stringMatching(/BER-STORE: short of TEE by 1/) },
    },
    {
      name: 'a pickup order whose store rejected the allocation waits instead of moving to another store',
      excludedLocationIds: ['BER-STORE'],
      expected: { kind: 'wait', reason: expect.stringMatching(/rejected an earlier allocation/) },
    },
    {
      name: 'a pickup order for a location that does not offer pickup waits',
      pickupLocationId: 'BER-WH',
      expected: { kind: 'wait', reason: expect.stringMatching(/does not offer pickup/) },
    },
  ])('$name', ({ expected, pickupLocationId, ...overrides }) => {
    const result = route({ ...overrides, order: { pickupLocationId: pickupLocationId ?? 'BER-STORE' } });
    expect(result.decision).toEqual(expected);
    const chosen = result.explanation.steps
      .flatMap((s) => s.locations)
      .filter((l) => l.chosen)
      .map((l) => l.locationId);
    expect(chosen).toEqual(expected.kind === 'pickup' ? ['BER-STORE'] : []);
  });
});

describe('routing: the explanation', () => {
  test('names the reason for every location', () => {
    const { decision, explanation } = route({
      rules: [
        {
          ...warehousesByDistance,
          filters: { locationTypes: ['warehouse'], regions: [{ country: 'DE' }], minRemainingAfterAllocation: 2 },
        },
      ],
      stock: { TEE: { 'BER-WH': 1, 'HAM-WH': 50, 'FRA-WH': 20, 'MUC-WH': 3, 'VIE-WH': 50, 'LEJ-WH': 50 } },
      excludedLocationIds: ['HAM-WH'],
    });
    expect(decision).toEqual({ kind: 'single', locationId: 'FRA-WH' });
    expect(explanation.decidedBy).toEqual({ id: 'nearest-warehouse', name: 'Nearest warehouse' });
    expect(explanation.destination).toEqual({
      source: 'postal_prefix',
      prefix: '14',
      coordinates: { latitude: 52.3906, longitude: 13.0645 },
    });
    expect(explanation.steps).toHaveLength(1);

    const byLocation = Object.fromEntries(explanation.steps[0].locations.map((l) => [l.locationId, l]));
    const cases: [string, RoutingReasonCode[], RegExp][] = [
      ['BER-STORE', ['location_type'], /filtered by type: store is not warehouse/],
      ['HAM-WH', ['excluded'], /rejected an earlier allocation/],
      ['LEJ-WH', ['inactive'], /inactive/],
      ['VIE-WH', ['out_of_region'], /out of region: AT 1010 is not in DE/],
      ['BER-WH', ['ranked', 'short'], /ranked 1st of 3 by distance 2\d\.\d km; short of TEE by 1 \(1 available, 2 needed\)/],
      ['FRA-WH', ['ranked', 'chosen'], /ranked 2nd of 3 by distance 3\d\d\.\d km; chosen/],
      ['MUC-WH', ['ranked', 'below_safety_stock'], /ranked 3rd of 3 .*below safety stock: TEE would leave 1, the rule keeps 2/],
    ];
    expect(Object.keys(byLocation).sort()).toEqual(cases.map(([id]) => id).sort());
    for (const [id, codes, summary] of cases) {
      expect({ id, codes: byLocation[id].reasons.map((r) => r.code) }).toEqual({ id, codes });
      expect(byLocation[id].summary).toMatch(summary);
      expect(byLocation[id].chosen).toBe(id === 'FRA-WH');
    }
    expect(byLocation['BER-WH'].distanceKm).toBeCloseTo(27, -1);
  });

  test('lists rules skipped for the channel and the rules that ran, in order', () => {
    const { explanation } = route({
      rules: [
        { id: 'amazon-only', name: 'Amazon', channels: ['amazon'], filters: {}, sort: ['priority'], whenNothingFits: 'wait_for_stock' },
        { id: 'stores', name: 'Ship from store', filters: { locationTypes: ['store'] }, sort: ['distance'], whenNothingFits: 'next_rule' },
        warehousesByDistance,
        { id: 'never-reached', name: 'Never reached', filters: {}, sort: ['priority'], whenNothingFits: 'wait_for_stock' },
      ],
      stock: { TEE: { 'HAM-WH': 5 } },
    });
    expect(explanation.steps.map((s) => [s.rule?.id, s.outcome])).toEqual([
      ['amazon-only', 'not_for_channel'],
      ['stores', 'next_rule'],
      ['nearest-warehouse', 'placed'],
    ]);
    expect(explanation.summary).toBe('Rule "Nearest warehouse" ships the order from HAM-WH');
  });

  test('says when the shipping address could not be placed', () => {
    const { decision, explanation } = route({ order: { shippingAddress: { country: 'FR', postalCode: '75001' } } });
    expect(decision).toEqual({ kind: 'single', locationId: 'BER-WH' }); // every distance unknown: ties go to the location id
    expect(explanation.destination).toBeUndefined();
    expect(explanation.steps[0].message).toMatch(/no coordinates and no postal prefix match/);
  });

  test('a split names each part', () => {
    const { explanation } = route({
      order: {
        lines: [
          { sku: 'TEE', quantity: 3 },
          { sku: 'CAP', quantity: 2 },
        ],
        allowSplit: true,
      },
      rules: [{ ...warehousesByDistance, whenNothingFits: 'split' }],
      stock: { TEE: { 'BER-WH': 3 }, CAP: { 'HAM-WH': 2 } },
    });
    const summaries = Object.fromEntries(explanation.steps[0].locations.map((l) => [l.locationId, l.summary]));
    expect(summaries['BER-WH']).toMatch(/part 1 of 2: TEE ×3/);
    expect(summaries['HAM-WH']).toMatch(/part 2 of 2: CAP ×2/);
    expect(summaries['FRA-WH']).toMatch(/short of TEE by 3.*not needed for the split/);
  });
});

describe('routing: daily capacity', () => {
  const splitRule: RoutingRuleInput = { ...warehousesByDistance, id: 'split', name: 'Nearest, split if needed', whenNothingFits: 'split' };
  const capped = (perDay: Record<string, number>) =>
    LOCATIONS.map((l) => (perDay[l.id] ? { ...l, capacity: { unitsPerDay: perDay[l.id], timeZone: 'UTC' } } : l));
  const deep = { TEE: { 'BER-WH': 500, 'HAM-WH': 500 }, CAP: { 'BER-WH': 500, 'HAM-WH': 500 } };
  const byId = (r: ReturnType<typeof route>) => Object.fromEntries(r.explanation.steps[0].locations.map((l) => [l.locationId, l]));

  test('a location with too little of today’s capacity left is not chosen for the whole order, and capacity is named', () => {
    const result = route({ locations: capped({ 'BER-WH': 100 }), capacityUsed: { 'BER-WH': 99 } });
    expect(result.decision).toEqual({ kind: 'single', locationId: 'HAM-WH' });
    const ber = byId(result)['BER-WH'];
    expect(ber.capacityLeft).toBe(1);
    expect(ber.reasons).toContainEqual({
      code: 'over_capacity',
      requested: 2,
      remaining: 1,
      unitsPerDay: 100,
      message: 'over capacity: 2 units needed, 1 of 100 units a day left today',
    });
    expect(ber.chosen).toBe(false);
    expect(byId(result)['HAM-WH'].capacityLeft).toBeUndefined();
  });

  test('capacity used on another day does not count: with nothing used today the nearest takes the order', () => {
    expect(route({ locations: capped({ 'BER-WH': 100 }), capacityUsed: {} }).decision).toEqual({ kind: 'single', locationId: 'BER-WH' });
  });

  test.each<Case>([
    {
      name: 'a large multi-line order no warehouse can take in a day is split by capacity, each line whole where it fits',
      order: {
        lines: [
          { sku: 'TEE', quantity: 80 },
          { sku: 'CAP', quantity: 60 },
        ],
        allowSplit: true,
      },
      locations: capped({ 'BER-WH': 100, 'HAM-WH': 100 }),
      stock: deep,
      expected: {
        kind: 'split',
        parts: [
          { locationId: 'BER-WH', lines: [{ sku: 'TEE', quantity: 80 }] },
          { locationId: 'HAM-WH', lines: [{ sku: 'CAP', quantity: 60 }] },
        ],
      },
    },
    {
      name: 'a line larger than any warehouse’s day is spread over warehouses by what each has left',
      order: { lines: [{ sku: 'TEE', quantity: 150 }], allowSplit: true },
      locations: capped({ 'BER-WH': 100, 'HAM-WH': 100 }),
      capacityUsed: { 'BER-WH': 30 },
      stock: deep,
      expected: {
        kind: 'split',
        parts: [
          { locationId: 'BER-WH', lines: [{ sku: 'TEE', quantity: 70 }] },
          { locationId: 'HAM-WH', lines: [{ sku: 'TEE', quantity: 80 }] },
        ],
      },
    },
    {
      name: 'a location already in the split takes a further line only within what its day has left',
      order: {
        lines: [
          { sku: 'TEE', quantity: 60 },
          { sku: 'CAP', quantity: 50 },
        ],
        allowSplit: true,
      },
      locations: capped({ 'BER-WH': 100, 'HAM-WH': 100 }),
      stock: deep,
      expected: {
        kind: 'split',
        parts: [
          { locationId: 'BER-WH', lines: [{ sku: 'TEE', quantity: 60 }] },
          { locationId: 'HAM-WH', lines: [{ sku: 'CAP', quantity: 50 }] },
        ],
      },
    },
    {
      name: 'when the day’s capacity of every warehouse together is too small, the order waits and says so',
      order: {
        lines: [
          { sku: 'TEE', quantity: 90 },
          { sku: 'CAP', quantity: 90 },
        ],
        allowSplit: true,
      },
      locations: capped({ 'BER-WH': 100, 'HAM-WH': 50 }),
      stock: deep,
      expected: {
        kind: 'wait',
        reason: expect.stringMatching(/CAP \(60 of 90 across eligible locations, 1000 in stock but over today's capacity\)/),
      },
    },
  ])('$name', ({ expected, rules, ...overrides }) => {
    expect(route({ ...overrides, rules: rules ?? [splitRule] }).decision).toEqual(expected);
  });

  test('the explanation of a capacity split names capacity as the reason and what each part takes of the day', () => {
    const result = route({
      order: {
        lines: [
          { sku: 'TEE', quantity: 80 },
          { sku: 'CAP', quantity: 60 },
        ],
        allowSplit: true,
      },
      locations: capped({ 'BER-WH': 100, 'HAM-WH': 100 }),
      stock: deep,
      rules: [splitRule],
    });
    const step = result.explanation.steps[0];
    expect(step.outcome).toBe('split');
    expect(step.message).toBe(
      "no location can take the whole order (over today's capacity: BER-WH, HAM-WH); split into 2 parts from BER-WH, HAM-WH",
    );
    expect(byId(result)['BER-WH'].summary).toMatch(
      /over capacity: 140 units needed, 100 of 100 .*part 1 of 2: TEE ×80 \(80 of the 100 units left/,
    );
    expect(byId(result)['HAM-WH'].summary).toMatch(/part 2 of 2: CAP ×60 \(60 of the 100 units left/);
  });

  test('a pickup order goes to its store whatever the store’s capacity', () => {
    const locations = LOCATIONS.map((l) => (l.id === 'BER-STORE' ? { ...l, capacity: { unitsPerDay: 1, timeZone: 'UTC' } } : l));
    const result = route({ locations, capacityUsed: { 'BER-STORE': 1 }, order: { pickupLocationId: 'BER-STORE' } });
    expect(result.decision).toEqual({ kind: 'pickup', locationId: 'BER-STORE' });
  });
});

describe('location capacity as data', () => {
  const location = {
    id: 'BER-WH',
    name: 'Berlin',
    type: 'warehouse',
    address: { line1: '1 Main St', city: 'Berlin', postalCode: '10117', country: 'DE' },
  };

  test('a capacity is units per day, counted in the location’s time zone (UTC unless given)', () => {
    expect(locationSchema.parse({ ...location, capacity: { unitsPerDay: 400 } }).capacity).toEqual({ unitsPerDay: 400, timeZone: 'UTC' });
    expect(capacityDay(new Date('2026-12-07T23:30:00Z'), 'Europe/Berlin')).toBe('2026-12-08');
    expect(capacityDay(new Date('2026-12-07T23:30:00Z'), 'UTC')).toBe('2026-12-07');
    expect(capacityDay(new Date('2026-12-08T03:00:00Z'), 'America/Los_Angeles')).toBe('2026-12-07');
  });

  test('a bad capacity is refused naming every bad field', () => {
    const result = locationSchema.safeParse({ ...location, capacity: { unitsPerDay: 0, timeZone: 'Mars/Olympus_Mons', perParcel: 3 } });
    expect(result.success).toBe(false);
    const paths = result.error!.issues.map((i) => [...i.path, ...('keys' in i ? i.keys : [])].join('.')).sort();
    expect(paths).toEqual(['capacity.perParcel', 'capacity.timeZone', 'capacity.unitsPerDay']);
  });
});

describe('routing rules as data', () => {
  test('a rule set with mistakes is refused naming every bad field', () => {
    const bad = [
      {
        id: 'a',
        name: 'A',
        filters: { ships: false, locationTypes: ['garage'] },
        sort: ['distance', 'distance'],
        whenNothingFits: 'split',
      },
      {
        id: 'a',
        name: '',
        channels: ['Shop!'],
        filters: { regions: [{ country: 'de', postalPrefixes: ['1#'] }] },
        sort: [],
        whenNothingFits: 'panic',
        extra: 1,
      },
    ];
    let error: unknown;
    try {
      parseRoutingRules(bad);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).problems.map((p) => p.path).sort()).toEqual(
      [
        '0.filters.ships',
        '0.filters.locationTypes.0',
        '0.sort',
        '1.name',
        '1.channels.0',
        '1.filters.regions.0.country',
        '1.filters.regions.0.postalPrefixes.0',
        '1.sort',
        '1.whenNothingFits',
        '1.extra',
      ].sort(),
    );
  });

  test('a rule set is refused when two rules share an id', () => {
    expect(() => parseRoutingRules([warehousesByDistance, warehousesByDistance])).toThrow(ValidationError);
  });

  test('postal prefixes in a region are normalised like postal codes', () => {
    const [rule] = parseRoutingRules([{ ...warehousesByDistance, filters: { regions: [{ country: 'GB', postalPrefixes: ['sw1a 1'] }] } }]);
    expect(rule.filters.regions).toEqual([{ country: 'GB', postalPrefixes: ['SW1A1'] }]);
  });
});
