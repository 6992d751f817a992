// The demo's sample business, as data: a Berlin and a Munich warehouse and a Hamburg store, a small apparel
// catalogue with bins and opening stock, a Shopify storefront, and the orders the demo sends, each with
// what happens to it afterwards. Every id and key here is fixed, so a second run recognises all of it.

export const CONNECTION_ID = 'demo-shop';
export const SHOP_DOMAIN = 'orderhub-demo.myshopify.com';
export const WEBHOOK_SECRET = 'orderhub-demo-shopify-app-secret';
export const ACCESS_TOKEN = 'shpat_orderhub_demo_stand_in';
// Shopify's own locations: the online store's stock is fed from both warehouses, the Hamburg shop's from the store.
export const SHOPIFY_ONLINE_LOCATION = '70010001';
export const SHOPIFY_STORE_LOCATION = '70010002';

// Signs in to the console; created once (a second run finds it).
export const DEMO_USER = { email: 'demo@orderhub.local', name: 'Demo operator', role: 'admin', password: 'orderhub-demo-password' };

export const ROUTING_RULE = {
  id: 'demo-shop-nearest-warehouse',
  name: 'Demo storefront: the nearest warehouse that has it all, else split',
  channels: [CONNECTION_ID],
  filters: { locationTypes: ['warehouse'] },
  sort: ['distance', 'priority'],
  whenNothingFits: 'split',
};

const berlin = { line1: 'Lagerstrasse 12', city: 'Berlin', postalCode: '12057', country: 'DE', latitude: 52.4731, longitude: 13.4601 };
const munich = { line1: 'Logistikring 4', city: 'München', postalCode: '80939', country: 'DE', latitude: 48.2145, longitude: 11.6203 };
const hamburg = {
  line1: 'Mönckebergstrasse 7',
  city: 'Hamburg',
  postalCode: '20095',
  country: 'DE',
  latitude: 53.5505,
  longitude: 10.0014,
};

export const LOCATIONS = [
  { id: 'WH-BERLIN', name: 'Warehouse Berlin', type: 'warehouse', address: berlin, ships: true, pickup: false, priority: 1 },
  { id: 'WH-MUNICH', name: 'Warehouse Munich', type: 'warehouse', address: munich, ships: true, pickup: false, priority: 2 },
  { id: 'STORE-HAMBURG', name: 'Store Hamburg', type: 'store', address: hamburg, ships: false, pickup: true, priority: 10 },
];

export interface SampleItem {
  sku: string;
  name: string;
  price: number; // minor units, EUR
  weightGrams: number;
  barcode: string;
  stock: Record<string, number>; // location id -> opening stock
  bins: Record<string, string>; // location id -> bin
}

export const ITEMS: SampleItem[] = [
  {
    sku: 'TEE-BLK-M',
    name: 'Organic tee, black, M',
    price: 2500,
    weightGrams: 180,
    barcode: '4006381333931',
    stock: { 'WH-BERLIN': 40, 'WH-MUNICH': 25 },
    bins: { 'WH-BERLIN': 'A-01-1', 'WH-MUNICH': 'A-02-3' },
  },
  {
    sku: 'TEE-WHT-L',
    name: 'Organic tee, white, L',
    price: 2500,
    weightGrams: 190,
    barcode: '4006381333948',
    stock: { 'WH-BERLIN': 30 },
    bins: { 'WH-BERLIN': 'A-01-2' },
  },
  {
    sku: 'HOODIE-GRY-M',
    name: 'Hoodie, grey, M',
    price: 5900,
    weightGrams: 520,
    barcode: '4006381333955',
    stock: { 'WH-MUNICH': 18 },
    bins: { 'WH-MUNICH': 'B-04-1' },
  },
  {
    sku: 'MUG-ENAMEL',
    name: 'Enamel mug',
    price: 1400,
    weightGrams: 250,
    barcode: '4006381333962',
    stock: { 'WH-BERLIN': 35, 'STORE-HAMBURG': 6 },
    bins: { 'WH-BERLIN': 'C-02-1', 'STORE-HAMBURG': 'S-01-1' },
  },
  {
    sku: 'CAP-CANVAS',
    name: 'Canvas cap',
    price: 2200,
    weightGrams: 110,
    barcode: '4006381333979',
    stock: { 'WH-MUNICH': 20, 'STORE-HAMBURG': 4 },
    bins: { 'WH-MUNICH': 'C-01-2', 'STORE-HAMBURG': 'S-01-2' },
  },
  {
    sku: 'TOTE-LINEN',
    name: 'Linen tote bag',
    price: 1800,
    weightGrams: 160,
    barcode: '4006381333986',
    stock: { 'WH-BERLIN': 15, 'STORE-HAMBURG': 10 },
    bins: { 'WH-BERLIN': 'C-03-4', 'STORE-HAMBURG': 'S-02-1' },
  },
  {
    // In the catalogue, sold in the shop, and not in stock anywhere: its order waits for stock.
    sku: 'SNEAKER-42',
    name: 'Court sneaker, size 42',
    price: 8900,
    weightGrams: 900,
    barcode: '4006381333993',
    stock: {},
    bins: { 'WH-BERLIN': 'D-01-1' },
  },
];

// A product the shop started selling before anyone added it to Orderhub's catalogue: its order waits in
// needs_attention naming the sku (create the item, then retry the order).
export const UNKNOWN_PRODUCT = { sku: 'SOCKS-RAINBOW', name: 'Rainbow socks', price: 900 };

export interface Customer {
  firstName: string;
  lastName: string;
  email: string;
  address: { line1: string; city: string; postalCode: string; latitude: number; longitude: number };
}

const customers = {
  ada: {
    firstName: 'Ada',
    lastName: 'Lovelace',
    email: 'ada@example.com',
    address: { line1: 'Friedrichstrasse 43', city: 'Berlin', postalCode: '10117', latitude: 52.5069, longitude: 13.3904 },
  },
  grace: {
    firstName: 'Grace',
    lastName: 'Hopper',
    email: 'grace@example.com',
    address: { line1: 'Leopoldstrasse 20', city: 'München', postalCode: '80802', latitude: 48.1586, longitude: 11.5855 },
  },
  alan: {
    firstName: 'Alan',
    lastName: 'Turing',
    email: 'alan@example.com',
    address: { line1: 'Kastanienallee 9', city: 'Berlin', postalCode: '10435', latitude: 52.5388, longitude: 13.4096 },
  },
  katherine: {
    firstName: 'Katherine',
    lastName: 'Johnson',
    email: 'katherine@example.com',
    address: { line1: 'Königstrasse 28', city: 'Stuttgart', postalCode: '70173', latitude: 48.7784, longitude: 9.1791 },
  },
  edsger: {
    firstName: 'Edsger',
    lastName: 'Dijkstra',
    email: 'edsger@example.com',
    address: { line1: 'Schanzenstrasse 3', city: 'Hamburg', postalCode: '20357', latitude: 53.5628, longitude: 9.9633 },
  },
  barbara: {
    firstName: 'Barbara',
    lastName: 'Liskov',
    email: 'barbara@example.com',
    address: { line1: 'Zeil 10', city: 'Frankfurt am Main', postalCode: '60313', latitude: 50.1148, longitude: 8.6843 },
  },
} satisfies Record<string, Customer>;

// What happens to an order once it has arrived, step by step through the API.
export type Step =
  | { kind: 'event'; type: 'picked' | 'packed' | 'shipped' | 'delivered'; at?: string } // at: the location of a split order's part
  | { kind: 'hold'; reason: string }
  | { kind: 'cancel'; reason: string }
  | { kind: 'return'; sku: string; quantity: number; reason: string; receiveAt: string };

export interface SampleOrder {
  key: string; // stable: the Shopify order number, or the till's receipt number
  story: string; // what the demo shows with it
  customer: Customer;
  lines: { sku: string; quantity: number }[];
  // Shopify storefront orders arrive as signed webhooks; a pickup is entered at the store's till (POST /orders).
  pickupAt?: string;
  // Where the order settles once it has arrived, before any step.
  arrives: 'released_to_fulfillment' | 'awaiting_stock' | 'needs_attention';
  steps: Step[];
}

const ship = (at?: string): Step[] => [
  { kind: 'event', type: 'picked', ...(at && { at }) },
  { kind: 'event', type: 'packed', ...(at && { at }) },
  { kind: 'event', type: 'shipped', ...(at && { at }) },
];

export const ORDERS: SampleOrder[] = [
  {
    key: '1001',
    story: 'shipped from Berlin and delivered',
    customer: customers.ada,
    lines: [{ sku: 'TEE-BLK-M', quantity: 2 }],
    arrives: 'released_to_fulfillment',
    steps: [...ship(), { kind: 'event', type: 'delivered' }],
  },
  {
    key: '1002',
    story: 'split: the white tee ships from Berlin, the hoodie from Munich',
    customer: customers.katherine,
    lines: [
      { sku: 'TEE-WHT-L', quantity: 1 },
      { sku: 'HOODIE-GRY-M', quantity: 1 },
    ],
    arrives: 'released_to_fulfillment',
    steps: [...ship('WH-BERLIN'), { kind: 'event', type: 'picked', at: 'WH-MUNICH' }],
  },
  {
    key: '1003',
    story: 'waits for stock: nobody has the sneaker',
    customer: customers.alan,
    lines: [{ sku: 'SNEAKER-42', quantity: 1 }],
    arrives: 'awaiting_stock',
    steps: [],
  },
  {
    key: '1004',
    story: 'delivered, then one mug returned damaged: received, restocked and refunded',
    customer: customers.alan,
    lines: [
      { sku: 'MUG-ENAMEL', quantity: 2 },
      { sku: 'TOTE-LINEN', quantity: 1 },
    ],
    arrives: 'released_to_fulfillment',
    steps: [
      ...ship(),
      { kind: 'event', type: 'delivered' },
      { kind: 'return', sku: 'MUG-ENAMEL', quantity: 1, reason: 'damaged', receiveAt: 'WH-BERLIN' },
    ],
  },
  {
    key: '1005',
    story: 'needs attention: the shop sold rainbow socks, which the catalogue does not have yet',
    customer: customers.barbara,
    lines: [
      { sku: 'TEE-BLK-M', quantity: 1 },
      { sku: UNKNOWN_PRODUCT.sku, quantity: 2 },
    ],
    arrives: 'needs_attention',
    steps: [],
  },
  {
    key: 'HH-0001',
    story: 'click and collect at the Hamburg store: ready for pickup',
    customer: customers.edsger,
    lines: [
      { sku: 'MUG-ENAMEL', quantity: 1 },
      { sku: 'CAP-CANVAS', quantity: 1 },
    ],
    pickupAt: 'STORE-HAMBURG',
    arrives: 'released_to_fulfillment',
    steps: [
      { kind: 'event', type: 'picked' },
      { kind: 'event', type: 'packed' },
    ],
  },
  {
    key: '1006',
    story: 'shipped from Munich, on its way',
    customer: customers.grace,
    lines: [
      { sku: 'CAP-CANVAS', quantity: 1 },
      { sku: 'HOODIE-GRY-M', quantity: 1 },
    ],
    arrives: 'released_to_fulfillment',
    steps: ship(),
  },
  {
    key: '1007',
    story: 'packed in Berlin, waiting for the courier',
    customer: customers.ada,
    lines: [{ sku: 'TOTE-LINEN', quantity: 2 }],
    arrives: 'released_to_fulfillment',
    steps: [
      { kind: 'event', type: 'picked' },
      { kind: 'event', type: 'packed' },
    ],
  },
  {
    key: '1008',
    story: 'on hold: the customer asked to change the delivery date',
    customer: customers.grace,
    lines: [{ sku: 'TEE-BLK-M', quantity: 1 }],
    arrives: 'released_to_fulfillment',
    steps: [{ kind: 'hold', reason: 'customer asked to deliver after the 20th' }],
  },
  {
    key: '1009',
    story: 'cancelled by the customer before picking: stock released, payment refunded',
    customer: customers.katherine,
    lines: [{ sku: 'MUG-ENAMEL', quantity: 4 }],
    arrives: 'released_to_fulfillment',
    steps: [{ kind: 'cancel', reason: 'customer ordered by mistake' }],
  },
  {
    key: '1010',
    story: 'picked in Berlin',
    customer: customers.alan,
    lines: [
      { sku: 'TEE-WHT-L', quantity: 1 },
      { sku: 'MUG-ENAMEL', quantity: 1 },
    ],
    arrives: 'released_to_fulfillment',
    steps: [{ kind: 'event', type: 'picked' }],
  },
  {
    key: '1011',
    story: 'just arrived: released to the Munich warehouse',
    customer: customers.grace,
    lines: [{ sku: 'CAP-CANVAS', quantity: 2 }],
    arrives: 'released_to_fulfillment',
    steps: [],
  },
];

export const priceOf = (sku: string): number =>
  ITEMS.find((i) => i.sku === sku)?.price ?? (sku === UNKNOWN_PRODUCT.sku ? UNKNOWN_PRODUCT.price : 0);
export const nameOf = (sku: string): string =>
  ITEMS.find((i) => i.sku === sku)?.name ?? (sku === UNKNOWN_PRODUCT.sku ? UNKNOWN_PRODUCT.name : sku);

// Shopify ids: numeric, stable per order key.
export const shopifyOrderIdOf = (key: string) => String(5_100_000_000_000 + Number(key));
export const POS_CHANNEL = 'pos';
export const orderIdOf = (o: SampleOrder) =>
  o.pickupAt ? `order:${POS_CHANNEL}:DEMO-${o.key}` : `order:${CONNECTION_ID}:${shopifyOrderIdOf(o.key)}`;
