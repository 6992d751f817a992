import { ConflictError, NotFoundError, ValidationError } from '../../domain/errors';
import {
  binCode,
  buildPicklist,
  compareBins,
  confirmPick,
  currentStop,
  parseBin,
  pickedByOrder,
  shortPick,
  startPicking,
  type BinLocation,
  type LeftOutReason,
  type PicklistCriteriaInput,
  type PicklistInput,
  type PickState,
  type ReleasedOrder,
} from '../../domain/picking';

// A small warehouse: zone A has aisles 1 to 3, zone B aisles 1 and 2.
const BINS: Record<string, string> = {
  'TEE-S': 'A-01-1',
  'TEE-M': 'A-01-3',
  'TEE-L': 'A-02-1',
  'MUG-1': 'A-02-4',
  SOCKS: 'A-03-2',
  BAG: 'A-03-5',
  CAP: 'B-01-2',
  POSTER: 'B-02-1',
};

const ITEMS = [
  { sku: 'TEE-S', name: 'T-shirt S', barcode: '4006381333900' },
  { sku: 'TEE-M', name: 'T-shirt M', barcode: '4006381333917' },
  { sku: 'TEE-L', name: 'T-shirt L', barcode: '4006381333924' },
  { sku: 'MUG-1', name: 'Mug', barcode: '4006381333931' },
  { sku: 'SOCKS', name: 'Socks', barcode: '4006381333948' },
  { sku: 'BAG', name: 'Tote bag' },
  { sku: 'CAP', name: 'Cap', barcode: '4006381333962' },
  { sku: 'POSTER', name: 'Poster', barcode: '4006381333979' },
  { sku: 'LAMP', name: 'Desk lamp', barcode: '4006381333986' },
];

const SKUS = Object.keys(BINS);
const at = (hour: number) => new Date(Date.UTC(2025, 2, 10, hour)).toISOString();

function order(id: string, lines: [string, number][], extra: Partial<ReleasedOrder> = {}): ReleasedOrder {
  return {
    id,
    channel: 'shopify',
    priority: 100,
    slaDueAt: at(18),
    createdAt: at(8),
    lines: lines.map(([sku, quantity]) => ({ sku, quantity })),
    ...extra,
  };
}

// 20 orders, each taking one to three skus in a pattern that makes skus repeat across orders.
const TWENTY = Array.from({ length: 20 }, (_, i) =>
  order(
    `O-${String(i + 1).padStart(2, '0')}`,
    SKUS.filter((_, s) => (s * 7 + i) % 5 === 0 || s === i % SKUS.length).map((sku, k) => [sku, 1 + ((i + k) % 3)]),
    { createdAt: at(i % 12) },
  ),
);

function input(overrides: Partial<PicklistInput> = {}, criteria: PicklistCriteriaInput = {}): PicklistInput {
  return {
    id: 'PL-1',
    locationId: 'BER-WH',
    createdAt: at(9),
    orders: TWENTY,
    bins: BINS,
    items: ITEMS,
    criteria: { maxOrders: 100, ...criteria },
    ...overrides,
  };
}

describe('bin locations', () => {
  test.each<[string | BinLocation, BinLocation, string]>([
    ['A-03-2', { zone: 'A', aisle: 3, shelf: 2 }, 'A-03-2'],
    ['b-3-12-4', { zone: 'B', aisle: 3, shelf: 12, position: 4 }, 'B-03-12-4'],
    [' MZ1-110-0 ', { zone: 'MZ1', aisle: 110, shelf: 0 }, 'MZ1-110-0'],
    [{ zone: 'c', aisle: 7, shelf: 1 }, { zone: 'C', aisle: 7, shelf: 1 }, 'C-07-1'],
  ])('%j is zone, aisle, shelf and reads back as its canonical code', (raw, bin, code) => {
    expect(parseBin(raw)).toEqual(bin);
    expect(binCode(parseBin(raw))).toBe(code);
  });

  test.each(['A03-2', 'A-03', '3-03-2', 'A-03-2-1-9', 'A-1000-2', ''])('%j is refused as a bin code', (raw) => {
    expect(() => parseBin(raw)).toThrow(ValidationError);
  });

  test.each<[string, string, 'serpentine' | 'ascending', 'before' | 'after']>([
    ['A-09-9', 'B-01-1', 'serpentine', 'before'],
    ['A-01-9', 'A-02-9', 'serpentine', 'before'],
    ['A-01-1', 'A-01-2', 'serpentine', 'before'],
    ['A-02-1', 'A-02-2', 'serpentine', 'after'],
    ['A-02-1', 'A-02-2', 'ascending', 'before'],
    ['A-02-3-1', 'A-02-3-2', 'serpentine', 'after'],
    ['A-03-3-1', 'A-03-3-2', 'serpentine', 'before'],
  ])('%s and %s on the %s route: the first is walked %s', (a, b, route, expected) => {
    const sign = Math.sign(compareBins(parseBin(a), parseBin(b), route));
    expect(sign).toBe(expected === 'before' ? -1 : 1);
  });
});

describe('building a picklist', () => {
  test('a picklist over 20 orders visits each bin once, in walking order, with quantities summed per sku and split per order', () => {
    const picklist = buildPicklist(input());

    expect(picklist.orderIds).toHaveLength(20);
    // Serpentine: aisle A-01 up, A-02 down, A-03 up, then zone B.
    expect(picklist.stops.map((s) => s.bin)).toEqual(['A-01-1', 'A-01-3', 'A-02-4', 'A-02-1', 'A-03-2', 'A-03-5', 'B-01-2', 'B-02-1']);
    expect(picklist.stops.map((s) => s.sku)).toEqual(['TEE-S', 'TEE-M', 'MUG-1', 'TEE-L', 'SOCKS', 'BAG', 'CAP', 'POSTER']);
    expect(picklist.unlocated).toEqual([]);

    // Every order line is on the list once, at the stop of its sku, with its own quantity.
    const expectedSplits = new Map<string, { orderId: string; quantity: number }[]>();
    for (const o of TWENTY)
      for (const l of o.lines) expectedSplits.set(l.sku, [...(expectedSplits.get(l.sku) ?? []), { orderId: o.id, quantity: l.quantity }]);
    for (const stop of picklist.stops) {
      const expected = expectedSplits.get(stop.sku)!;
      expect({ sku: stop.sku, orders: [...stop.orders].sort((a, b) => a.orderId.localeCompare(b.orderId)) }).toEqual({
        sku: stop.sku,
        orders: expected,
      });
      expect({ sku: stop.sku, total: stop.totalQuantity }).toEqual({ sku: stop.sku, total: expected.reduce((s, o) => s + o.quantity, 0) });
    }
    const units = TWENTY.flatMap((o) => o.lines).reduce((s, l) => s + l.quantity, 0);
    expect(picklist.totals).toEqual({ orders: 20, stops: 8, units });
    expect(units).toBeGreaterThan(40); // the fixture really does repeat skus across orders
  });

  test('a stop carries the item name and barcode for the picker', () => {
    const stop = buildPicklist(input()).stops.find((s) => s.sku === 'MUG-1');
    expect(stop).toMatchObject({ bin: 'A-02-4', name: 'Mug', barcode: '4006381333931' });
  });

  test('the ascending route walks every aisle from the front', () => {
    const picklist = buildPicklist(input({}, { route: 'ascending' }));
    expect(picklist.stops.map((s) => s.bin)).toEqual(['A-01-1', 'A-01-3', 'A-02-1', 'A-02-4', 'A-03-2', 'A-03-5', 'B-01-2', 'B-02-1']);
  });

  test('a sku with no bin is listed last, in the unlocated section, and still counted', () => {
    const picklist = buildPicklist(
      input({
        orders: [
          order('O-1', [
            ['LAMP', 2],
            ['CAP', 1],
          ]),
          order('O-2', [
            ['LAMP', 1],
            ['GIFTCARD', 1],
          ]),
        ],
      }),
    );
    expect(picklist.stops.map((s) => s.sku)).toEqual(['CAP']);
    expect(picklist.unlocated).toEqual([
      { bin: null, sku: 'GIFTCARD', name: 'GIFTCARD', totalQuantity: 1, orders: [{ orderId: 'O-2', quantity: 1 }] },
      {
        bin: null,
        sku: 'LAMP',
        name: 'Desk lamp',
        barcode: '4006381333986',
        totalQuantity: 3,
        orders: [
          { orderId: 'O-1', quantity: 2 },
          { orderId: 'O-2', quantity: 1 },
        ],
      },
    ]);
    expect(picklist.totals).toEqual({ orders: 2, stops: 3, units: 5 });
  });

  test('a sku on two lines of one order is one demand of that order', () => {
    const picklist = buildPicklist(
      input({
        orders: [
          order('O-1', [
            ['CAP', 1],
            ['CAP', 2],
          ]),
        ],
      }),
    );
    expect(picklist.stops).toMatchObject([{ sku: 'CAP', totalQuantity: 3, orders: [{ orderId: 'O-1', quantity: 3 }] }]);
  });

  const MIXED = [
    order('single-shopify', [['CAP', 1]]),
    order('single-amazon', [['MUG-1', 1]], { channel: 'amazon' }),
    order('two-units', [['CAP', 2]]),
    order(
      'two-lines',
      [
        ['CAP', 1],
        ['MUG-1', 1],
      ],
      { channel: 'amazon' },
    ),
    order('elsewhere', [['CAP', 1]], { locationId: 'HAM-WH' }),
  ];

  test.each<{ name: string; criteria: PicklistCriteriaInput; included: string[]; leftOut: [string, LeftOutReason, RegExp][] }>([
    {
      name: 'single-item batches take orders of exactly one unit',
      criteria: { orderSize: 'single_item' },
      included: ['single-amazon', 'single-shopify'],
      leftOut: [
        ['two-units', 'order_size', /has 2 units; the batch takes single-item orders only/],
        ['two-lines', 'order_size', /has 2 units/],
      ],
    },
    {
      name: 'multi-item batches take every order of more than one unit',
      criteria: { orderSize: 'multi_item' },
      included: ['two-lines', 'two-units'],
      leftOut: [
        ['single-shopify', 'order_size', /multi-item orders only/],
        ['single-amazon', 'order_size', /multi-item orders only/],
      ],
    },
    {
      name: 'a channel filter leaves the other channels out',
      criteria: { channels: ['amazon'] },
      included: ['single-amazon', 'two-lines'],
      leftOut: [
        ['single-shopify', 'channel', /channel shopify is not amazon/],
        ['two-units', 'channel', /channel shopify is not amazon/],
      ],
    },
    {
      name: 'filters combine',
      criteria: { channels: ['shopify'], orderSize: 'multi_item' },
      included: ['two-units'],
      leftOut: [
        ['single-shopify', 'order_size', /multi-item/],
        ['single-amazon', 'channel', /amazon/],
        ['two-lines', 'channel', /amazon/],
      ],
    },
  ])('$name', ({ criteria, included, leftOut }) => {
    const picklist = buildPicklist(input({ orders: MIXED }, criteria));
    expect([...picklist.orderIds].sort()).toEqual(included);
    const byId = (a: readonly string[], b: readonly string[]) => a[0].localeCompare(b[0]);
    const expectedLeftOut = [...leftOut.map(([id, reason]) => [id, reason]), ['elsewhere', 'other_location']] as [string, LeftOutReason][];
    expect(picklist.leftOut.map((l) => [l.orderId, l.reason]).sort(byId)).toEqual(expectedLeftOut.sort(byId));
    for (const [id, , message] of leftOut) expect(picklist.leftOut.find((l) => l.orderId === id)!.message).toMatch(message);
  });

  test('orders are chosen by priority, then SLA due time, then age, up to the batch size', () => {
    const orders = [
      order('late-sla', [['CAP', 1]], { slaDueAt: at(20) }),
      order('old', [['CAP', 1]], { createdAt: at(1) }),
      order('urgent', [['CAP', 1]], { priority: 1, slaDueAt: at(23) }),
      order('early-sla', [['CAP', 1]], { slaDueAt: at(12) }),
      order('young', [['CAP', 1]], { createdAt: at(7) }),
      order('low-priority', [['CAP', 1]], { priority: 500, slaDueAt: at(10) }),
    ];
    const picklist = buildPicklist(input({ orders }, { maxOrders: 4 }));
    expect(picklist.orderIds).toEqual(['urgent', 'early-sla', 'old', 'young']);
    // The stop's per-order split follows the same ranking.
    expect(picklist.stops[0].orders.map((o) => o.orderId)).toEqual(['urgent', 'early-sla', 'old', 'young']);
    expect(picklist.leftOut).toEqual([
      { orderId: 'late-sla', reason: 'batch_full', message: 'ranked 5 of 6; the batch takes 4 orders' },
      { orderId: 'low-priority', reason: 'batch_full', message: 'ranked 6 of 6; the batch takes 4 orders' },
    ]);
  });

  test('the same orders in any arrival order make the same picklist', () => {
    expect(buildPicklist(input({ orders: [...TWENTY].reverse() }, { maxOrders: 7 }))).toEqual(buildPicklist(input({}, { maxOrders: 7 })));
  });

  test('bad input is refused naming every bad field', () => {
    let error: unknown;
    try {
      buildPicklist({
        ...input({ orders: [order('O-1', [['CAP', 0]]), order('O-1', [['CAP', 1]], { slaDueAt: 'tomorrow' })], bins: { CAP: 'A3' } }),
        criteria: { maxOrders: 0, orderSize: 'some' as never },
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).problems.map((p) => p.path).sort()).toEqual(
      ['orders.0.lines.0.quantity', 'orders.1.slaDueAt', 'bins.CAP', 'criteria.maxOrders', 'criteria.orderSize'].sort(),
    );
  });
});

describe('confirming picks', () => {
  // TEE-M ×2 (O-1, O-2) at A-01-3, MUG-1 ×1 at A-02-4, CAP ×4 (O-1 ×1, O-2 ×1, O-3 ×2) at B-01-2, LAMP unlocated.
  const ORDERS = [
    order(
      'O-1',
      [
        ['TEE-M', 1],
        ['CAP', 1],
      ],
      { priority: 1 },
    ),
    order(
      'O-2',
      [
        ['TEE-M', 1],
        ['CAP', 1],
        ['MUG-1', 1],
      ],
      { priority: 2 },
    ),
    order(
      'O-3',
      [
        ['CAP', 2],
        ['LAMP', 1],
      ],
      { priority: 3 },
    ),
  ];
  const fresh = () => startPicking(buildPicklist(input({ orders: ORDERS, bins: { ...BINS, 'TEE-M': 'A-03-2' } })));
  const pick = (state: PickState, ...scans: [string, number][]) =>
    scans.reduce((s, [code, quantity]) => confirmPick(s, { code, quantity }), state);

  test('picking starts at the first stop in walking order and the unlocated stop comes last', () => {
    const state = fresh();
    expect(state.stops.map((s) => [s.sku, s.bin])).toEqual([
      ['MUG-1', 'A-02-4'],
      ['TEE-M', 'A-03-2'],
      ['CAP', 'B-01-2'],
      ['LAMP', null],
    ]);
    expect(currentStop(state)?.sku).toBe('MUG-1');
  });

  test('a scan by barcode or by sku picks the item, and the picklist completes when every unit is picked', () => {
    let state = pick(fresh(), ['4006381333931', 1], ['TEE-M', 1], ['4006381333917', 1]);
    expect(currentStop(state)?.sku).toBe('CAP');
    expect(state.status).toBe('picking');
    state = pick(state, ['4006381333962', 4], ['4006381333986', 1]);
    expect(state.status).toBe('complete');
    expect(currentStop(state)).toBeUndefined();
    expect(state.events).toHaveLength(5);
  });

  test.each<{
    name: string;
    before: [string, number][];
    scan: [string, number];
    error: typeof ConflictError | typeof ValidationError;
    message: string;
  }>([
    {
      name: 'a barcode of an item not on the list is refused, naming the item and the current stop',
      before: [['MUG-1', 1]],
      scan: ['4006381333900', 1],
      error: ConflictError,
      message: 'Scanned 4006381333900 (TEE-S) but the current stop is TEE-M at A-03-2: TEE-S is not on picklist PL-1',
    },
    {
      name: 'an unknown code is refused',
      before: [],
      scan: ['0000000000000', 1],
      error: ConflictError,
      message: 'Scanned 0000000000000 but the current stop is MUG-1 at A-02-4: no item on picklist PL-1 has this barcode or sku',
    },
    {
      name: 'an over-pick is refused',
      before: [],
      scan: ['TEE-M', 3],
      error: ConflictError,
      message: 'Picked 3 of TEE-M but only 2 are on the list',
    },
    {
      name: 'an over-pick after part of the stop is picked is refused',
      before: [['CAP', 3]],
      scan: ['CAP', 2],
      error: ConflictError,
      message: 'Picked 2 of CAP but only 1 of the 4 on the list is still to pick',
    },
    {
      name: 'picking a finished stop again is refused',
      before: [['MUG-1', 1]],
      scan: ['4006381333931', 1],
      error: ConflictError,
      message: 'Picked 1 of MUG-1 but nothing is left to pick: the 1 on the list is picked or short',
    },
    {
      name: 'a quantity of zero is refused',
      before: [],
      scan: ['CAP', 0],
      error: ValidationError,
      message: 'Invalid quantity: must be a whole number of at least 1',
    },
  ])('$name', ({ before, scan, error, message }) => {
    const state = pick(fresh(), ...before);
    const attempt = () => confirmPick(state, { code: scan[0], quantity: scan[1] }, ITEMS);
    expect(attempt).toThrow(error);
    expect(attempt).toThrow(message);
    // A refused scan changes nothing.
    expect(pick(fresh(), ...before)).toEqual(state);
  });

  test('stops may be picked out of walking order', () => {
    const state = pick(fresh(), ['CAP', 4]);
    expect(state.stops.find((s) => s.sku === 'CAP')).toMatchObject({ picked: 4, short: 0 });
    expect(currentStop(state)?.sku).toBe('MUG-1');
  });

  test('picked units go to the highest-ranked orders first, so the packer can split the tote', () => {
    const state = pick(fresh(), ['CAP', 2]);
    expect(state.stops.find((s) => s.sku === 'CAP')!.orders).toEqual([
      { orderId: 'O-1', quantity: 1, picked: 1, short: 0 },
      { orderId: 'O-2', quantity: 1, picked: 1, short: 0 },
      { orderId: 'O-3', quantity: 2, picked: 0, short: 0 },
    ]);
  });

  test('a short pick falls on the lowest-ranked orders and returns the order lines now short', () => {
    const before = pick(fresh(), ['CAP', 1]);
    const first = shortPick(before, 'CAP', 2);
    expect(first.shortLines).toEqual([{ orderId: 'O-3', sku: 'CAP', quantity: 2 }]);

    const second = shortPick(first.state, 'CAP', 1);
    expect(second.shortLines).toEqual([{ orderId: 'O-2', sku: 'CAP', quantity: 1 }]);
    expect(second.state.stops.find((s) => s.sku === 'CAP')).toMatchObject({ expected: 4, picked: 1, short: 3 });
    expect(currentStop(second.state)?.sku).toBe('MUG-1');

    const done = pick(second.state, ['MUG-1', 1], ['TEE-M', 2], ['LAMP', 1]);
    expect(done.status).toBe('complete');
    expect(pickedByOrder(done)).toEqual([
      {
        orderId: 'O-1',
        lines: [
          { sku: 'TEE-M', quantity: 1, picked: 1, short: 0 },
          { sku: 'CAP', quantity: 1, picked: 1, short: 0 },
        ],
      },
      {
        orderId: 'O-2',
        lines: [
          { sku: 'MUG-1', quantity: 1, picked: 1, short: 0 },
          { sku: 'TEE-M', quantity: 1, picked: 1, short: 0 },
          { sku: 'CAP', quantity: 1, picked: 0, short: 1 },
        ],
      },
      {
        orderId: 'O-3',
        lines: [
          { sku: 'CAP', quantity: 2, picked: 0, short: 2 },
          { sku: 'LAMP', quantity: 1, picked: 1, short: 0 },
        ],
      },
    ]);
  });

  test.each<{ name: string; sku: string; missing: number; error: typeof ConflictError; message: string }>([
    {
      name: 'a short pick of more than is left to pick is refused',
      sku: 'CAP',
      missing: 4,
      error: ConflictError,
      message: 'Cannot mark 4 of CAP short: only 3 of the 4 on the list are still to pick',
    },
    {
      name: 'a short pick of a sku not on the list is refused',
      sku: 'TEE-S',
      missing: 1,
      error: NotFoundError,
      message: 'TEE-S is not on picklist PL-1',
    },
  ])('$name', ({ sku, missing, error, message }) => {
    const state = pick(fresh(), ['CAP', 1]);
    expect(() => shortPick(state, sku, missing)).toThrow(error);
    expect(() => shortPick(state, sku, missing)).toThrow(message);
  });
});
