import { setTimeout as sleep } from 'node:timers/promises';
import { FLOW, type FlowStatus, type OrderStatus } from '../../domain/status';
import { mapLimit } from '../../bench/api-client';
import { ApiError, type OrderhubApi } from './orderhub-api';
import {
  ACCESS_TOKEN,
  CONNECTION_ID,
  DEMO_USER,
  ITEMS,
  LOCATIONS,
  ORDERS,
  orderIdOf,
  POS_CHANNEL,
  priceOf,
  ROUTING_RULE,
  SHOP_DOMAIN,
  SHOPIFY_ONLINE_LOCATION,
  SHOPIFY_STORE_LOCATION,
  WEBHOOK_SECRET,
  type SampleOrder,
  type Step,
} from './sample';
import type { ShopifyStandIn } from './shopify-stand-in';

// What `npm run demo` does through the API, and only through it: the sample business set up (each thing
// created once, found the second time), then the sample orders sent as a stream and moved along by the
// warehouse, the carrier and customer service, each step taken only when the order is not past it yet.

export interface Pace {
  orderGapMs: number; // between two orders arriving
  stepGapMs: number; // between two steps of one order
  concurrency: number; // orders in play at once
}
export const STEADY_PACE: Pace = { orderGapMs: 12_000, stepGapMs: 8_000, concurrency: ORDERS.length };
export const FAST_PACE: Pace = { orderGapMs: 0, stepGapMs: 0, concurrency: 4 };

export interface DemoContext {
  api: OrderhubApi;
  shop: ShopifyStandIn;
  pace: Pace;
  log: (msg: string) => void;
  /** How long to wait for an order or return to reach a state. */
  waitMs?: number;
}

export interface OrderOutcome {
  key: string;
  orderId: string;
  story: string;
  status: OrderStatus;
  parts: number;
  returns: string[]; // each return's id and status
}

interface View {
  orderId: string;
  status: OrderStatus;
  stage: FlowStatus;
  parts?: { id: string; locationId: string; stage: FlowStatus }[];
  allocation?: { locationId: string };
  attention?: { step: string; error: string };
  awaitingStock?: { shortfall?: { sku: string } };
}

interface ReturnView {
  returnId: string;
  status: string;
}

/** Sets the sample business up, then plays the sample orders; answers where each order ended. */
export async function runDemo(ctx: DemoContext): Promise<OrderOutcome[]> {
  await setUpCatalogue(ctx);
  await setUpRouting(ctx);
  await setUpChannel(ctx);
  await setUpStock(ctx);
  await setUpUser(ctx);
  // Routing rules and the connection list are cached for 2 s in each process: let the worker see the new ones.
  await sleep(2_500);
  // Orders Orderhub has already (an earlier run) are sent again at once, to be recognised; new ones one by one.
  const known = new Set<string>();
  for (const o of ORDERS) if ((await ctx.api.request('GET', `/orders/${orderIdOf(o)}`)).status === 200) known.add(o.key);
  const slots = new Map(ORDERS.filter((o) => !known.has(o.key)).map((o, i) => [o.key, i]));
  const gap = ctx.pace.orderGapMs;
  ctx.log(
    `sending ${ORDERS.length} orders (${known.size} already in Orderhub)${gap && slots.size > 1 ? `, a new one every ${gap / 1000} s` : ''}`,
  );
  const started = Date.now();
  return mapLimit(ORDERS, ctx.pace.concurrency, async (order) => {
    await sleep(Math.max(0, started + (slots.get(order.key) ?? 0) * gap - Date.now()));
    return playOrder(ctx, order, !known.has(order.key));
  });
}

// ---- The business --------------------------------------------------------------------------------

async function createOnce(ctx: DemoContext, what: string, path: string, body: unknown): Promise<void> {
  const res = await ctx.api.expect([201, 409], 'POST', path, body);
  ctx.log(`${what} ${res.status === 201 ? 'created' : 'already there'}`);
}

async function setUpCatalogue(ctx: DemoContext): Promise<void> {
  for (const location of LOCATIONS) await createOnce(ctx, `location ${location.id}`, '/locations', location);
  for (const item of ITEMS) {
    const { sku, name, weightGrams, barcode } = item;
    await createOnce(ctx, `item ${sku}`, '/items', { sku, name, weightGrams, barcode });
  }
  for (const location of LOCATIONS) {
    const bins = Object.fromEntries(ITEMS.flatMap((i) => (i.bins[location.id] ? [[i.sku, i.bins[location.id]]] : [])));
    const current = await ctx.api.get<{ bins: Record<string, string> }>(`/locations/${location.id}/bins`);
    if (sameJson(sorted(current.bins), sorted(bins))) continue;
    await ctx.api.expect([200], 'PUT', `/locations/${location.id}/bins`, { bins });
    ctx.log(`bins at ${location.id} set (${Object.keys(bins).length} skus)`);
  }
}

// The demo's rule first, for the demo storefront only; any rules of your own are kept as they are.
async function setUpRouting(ctx: DemoContext): Promise<void> {
  const { rules } = await ctx.api.get<{ rules: { id: string }[] }>('/routing/rules');
  const wanted = [ROUTING_RULE, ...rules.filter((r) => r.id !== ROUTING_RULE.id)];
  if (sameJson(rules, wanted)) return ctx.log(`routing rule ${ROUTING_RULE.id} already there`);
  await ctx.api.expect([200], 'PUT', '/routing/rules', { rules: wanted });
  ctx.log(`routing rule ${ROUTING_RULE.id} set: nearest warehouse, split when none has it all`);
}

// The Shopify connection, pointing at this run's stand-in (its port changes from run to run).
async function setUpChannel(ctx: DemoContext): Promise<void> {
  const settings = {
    options: { shopDomain: SHOP_DOMAIN, baseUrl: ctx.shop.url },
    credentials: { accessToken: ACCESS_TOKEN, webhookSecret: WEBHOOK_SECRET },
    stockFeeds: [
      { channelLocationId: SHOPIFY_ONLINE_LOCATION, locationIds: ['WH-BERLIN', 'WH-MUNICH'] },
      { channelLocationId: SHOPIFY_STORE_LOCATION, locationIds: ['STORE-HAMBURG'] },
    ],
    enabled: true,
  };
  const created = await ctx.api.expect([201, 409], 'POST', '/connections', {
    id: CONNECTION_ID,
    kind: 'shopify',
    name: 'Demo storefront (Shopify stand-in)',
    ...settings,
  });
  if (created.status === 201) return ctx.log(`Shopify connection ${CONNECTION_ID} created, Admin API at ${ctx.shop.url}`);
  await ctx.api.expect([200], 'PATCH', `/connections/${CONNECTION_ID}`, settings);
  ctx.log(`Shopify connection ${CONNECTION_ID} already there: now pointing at ${ctx.shop.url}`);
}

async function setUpStock(ctx: DemoContext): Promise<void> {
  let received = 0;
  for (const item of ITEMS)
    for (const [locationId, quantity] of Object.entries(item.stock)) {
      const res = await ctx.api.expect<{ duplicate: boolean }>([200, 201], 'POST', '/stock/receipts', {
        sku: item.sku,
        locationId,
        quantity,
        reference: 'demo opening stock',
        idempotencyKey: `demo-opening-stock-${item.sku}-${locationId}`,
      });
      if (!res.body.duplicate) received++;
    }
  ctx.log(received ? `opening stock received (${received} receipts)` : 'opening stock already received');
  // This run's stand-in starts empty: the stock reconciliation tells it every level now (once a worker runs it).
  await ctx.api.expect([202], 'POST', `/connections/${CONNECTION_ID}/sync`);
  const missing = () => ITEMS.filter((i) => ctx.shop.levelOf(i.sku, SHOPIFY_ONLINE_LOCATION) === undefined).map((i) => i.sku);
  const until = Date.now() + (ctx.waitMs ?? 180_000);
  while (missing().length > 0 && Date.now() < until) await sleep(250);
  if (missing().length > 0) ctx.log(`Shopify has no stock level yet for ${missing().join(', ')}: the stock sync goes on in the background`);
  else ctx.log('Shopify holds every stock level Orderhub pushed');
}

async function setUpUser(ctx: DemoContext): Promise<void> {
  await createOnce(ctx, `console user ${DEMO_USER.email}`, '/users', DEMO_USER);
}

// ---- The orders ----------------------------------------------------------------------------------

// A new order's steps are paced; one an earlier run left half way is taken on at once.
async function playOrder(ctx: DemoContext, o: SampleOrder, paced: boolean): Promise<OrderOutcome> {
  const orderId = orderIdOf(o);
  const label = o.pickupAt ? `pickup ${o.key}` : `#${o.key}`;
  const say = (msg: string) => ctx.log(`${label} ${msg}`);
  const arrived = await send(ctx, o);
  let view = await until(ctx, orderId, (v) => !PASSING.includes(v.status), 'to arrive');
  say(`${arrived ? 'arrived' : 'was already there'} (${o.story}): ${describe(view)}`);
  if (view.status !== o.arrives && arrived) say(`expected ${o.arrives}, but it is ${view.status}`);

  for (const step of o.steps) {
    if (paced && ctx.pace.stepGapMs) await sleep(ctx.pace.stepGapMs);
    view = await ctx.api.get<View>(`/orders/${orderId}`);
    const done = await takeStep(ctx, o, view, step);
    if (done) say(done);
  }
  view = await ctx.api.get<View>(`/orders/${orderId}`);
  const returns = await ctx.api.get<{ returns: ReturnView[] }>(`/orders/${orderId}/returns`);
  return {
    key: o.key,
    orderId,
    story: o.story,
    status: view.status,
    parts: view.parts?.length ?? 1,
    returns: returns.returns.map((r) => `${r.returnId} ${r.status}`),
  };
}

// Statuses an order only passes through on its way: the demo waits for it to get somewhere.
const PASSING: OrderStatus[] = ['received', 'validated', 'payment_authorized', 'stock_reserved'];

/** Sends the order the way it comes in; true when Orderhub took it now, false when it had it already. */
async function send(ctx: DemoContext, o: SampleOrder): Promise<boolean> {
  if (!o.pickupAt) {
    const res = await ctx.shop.sendOrder(o, `${ctx.api.baseUrl}/webhooks/${CONNECTION_ID}`);
    if (res.status !== 200) throw new ApiError(res.status, `the orders/create webhook for #${o.key} answered ${res.status}`);
    return !res.duplicate;
  }
  // A click-and-collect order entered at the store's till.
  const address = { name: `${o.customer.firstName} ${o.customer.lastName}`, ...o.customer.address, country: 'DE' };
  const res = await ctx.api.expect<{ duplicate?: boolean }>([200, 202], 'POST', '/orders', {
    channel: POS_CHANNEL,
    channelOrderId: `DEMO-${o.key}`,
    currency: 'EUR',
    customer: { name: address.name, email: o.customer.email },
    shippingAddress: address,
    fulfillment: { method: 'pickup', pickupLocationId: o.pickupAt },
    lines: o.lines.map((l) => ({ ...l, unitPrice: priceOf(l.sku) })),
    payment: { method: 'prepaid', alreadyPaid: true, reference: `till receipt ${o.key}` },
  });
  return res.status === 202;
}

/** Takes one step unless the order is past it; answers what happened, or undefined when there was nothing to do. */
async function takeStep(ctx: DemoContext, o: SampleOrder, view: View, step: Step): Promise<string | undefined> {
  const orderId = view.orderId;
  const key = (name: string) => ({ 'Idempotency-Key': `demo-${o.key}-${name}` });
  switch (step.kind) {
    case 'event': {
      const part = step.at ? view.parts?.find((p) => p.locationId === step.at) : undefined;
      if (step.at && !part) return `has no part at ${step.at}: ${step.type} not recorded`;
      const stageOf = (v: View) => (step.at ? v.parts?.find((p) => p.locationId === step.at)?.stage : v.stage) ?? 'received';
      if (atOrPast(stageOf(view), step.type) || !['released_to_fulfillment', ...FLOW.slice(FLOW.indexOf('picked'))].includes(view.status))
        return undefined;
      const shipped = step.type === 'shipped' && { carrier: 'DHL', trackingNumber: `DEMO${o.key}${part ? `P${part.id}` : ''}` };
      const body = { type: step.type, ...(part && { part: part.id }), ...shipped };
      await command(ctx, orderId, 'events', body, key(`${step.type}${part ? `-${step.at}` : ''}`));
      // A packed pickup goes on to wait at its store: the demo waits for that too.
      const target = o.pickupAt && step.type === 'packed' ? 'ready_for_pickup' : step.type;
      await until(ctx, orderId, (v) => atOrPast(stageOf(v), target), `to be ${target}`);
      return `${step.type}${step.at ? ` at ${step.at} (part ${part!.id})` : ''}`;
    }
    case 'hold':
      if (view.status !== 'released_to_fulfillment') return undefined;
      await command(ctx, orderId, 'hold', { reason: step.reason }, key('hold'));
      await until(ctx, orderId, (v) => v.status === 'on_hold', 'to be on hold');
      return `held: ${step.reason}`;
    case 'cancel':
      if (view.status !== 'released_to_fulfillment') return undefined;
      await command(ctx, orderId, 'cancel', { reason: step.reason }, key('cancel'));
      await until(ctx, orderId, (v) => v.status === 'cancelled', 'to be cancelled');
      return `cancelled: ${step.reason}`;
    case 'return':
      return takeReturn(ctx, o, view, step);
  }
}

// Asked for once (the Idempotency-Key answers the same return again), then received and inspected unless it is past that.
async function takeReturn(ctx: DemoContext, o: SampleOrder, view: View, step: Extract<Step, { kind: 'return' }>) {
  if (!['delivered', 'completed'].includes(view.status)) return undefined;
  const asked = await ctx.api.expect<ReturnView>(
    [200, 201],
    'POST',
    `/orders/${view.orderId}/returns`,
    { lines: [{ sku: step.sku, quantity: step.quantity }], reason: step.reason, resolution: 'refund' },
    { 'Idempotency-Key': `demo-${o.key}-return` },
  );
  const returnId = asked.body.returnId;
  const lines = [{ sku: step.sku, quantity: step.quantity }];
  let current = await untilReturn(ctx, returnId, (r) => r.status !== 'requested' && r.status !== 'approved');
  if (current.status === 'awaiting_items') {
    await ctx.api.expect([200], 'POST', `/returns/${returnId}/receive`, { locationId: step.receiveAt, scanned: lines });
    current = await untilReturn(ctx, returnId, (r) => r.status !== 'awaiting_items');
  }
  if (current.status === 'received') {
    await ctx.api.expect([200], 'POST', `/returns/${returnId}/inspect`, { lines: lines.map((l) => ({ ...l, disposition: 'restock' })) });
    current = await untilReturn(ctx, returnId, (r) => r.status !== 'received' && r.status !== 'inspected');
  }
  return `${asked.status === 201 ? 'return asked for' : 'return'} ${returnId}: ${current.status}`;
}

// An order command; 202 means the order is slow to answer, and the wait that follows sees it through.
async function command(ctx: DemoContext, orderId: string, name: string, body: unknown, headers: Record<string, string>) {
  await ctx.api.expect([200, 202], 'POST', `/orders/${orderId}/${name}`, body, headers);
}

async function until(ctx: DemoContext, orderId: string, ok: (v: View) => boolean, what: string): Promise<View> {
  return poll(ctx, `${orderId} ${what}`, async () => {
    const res = await ctx.api.request<View>('GET', `/orders/${orderId}`);
    return res.status === 200 && ok(res.body) ? res.body : undefined;
  });
}

async function untilReturn(ctx: DemoContext, returnId: string, ok: (r: ReturnView) => boolean): Promise<ReturnView> {
  return poll(ctx, `${returnId} to move on`, async () => {
    const r = await ctx.api.get<ReturnView>(`/returns/${returnId}`);
    return ok(r) ? r : undefined;
  });
}

async function poll<T>(ctx: DemoContext, what: string, read: () => Promise<T | undefined>): Promise<T> {
  const until = Date.now() + (ctx.waitMs ?? 180_000);
  for (;;) {
    const value = await read();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(250);
  }
}

const atOrPast = (stage: FlowStatus, target: FlowStatus) => FLOW.indexOf(stage) >= FLOW.indexOf(target);

function describe(v: View): string {
  if (v.parts && v.parts.length > 1) return `${v.status}, split: ${v.parts.map((p) => `part ${p.id} at ${p.locationId}`).join(', ')}`;
  if (v.status === 'needs_attention' && v.attention) return `needs attention in ${v.attention.step}: ${v.attention.error}`;
  if (v.status === 'awaiting_stock') return `awaiting stock${v.awaitingStock?.shortfall ? ` of ${v.awaitingStock.shortfall.sku}` : ''}`;
  return `${v.status}${v.allocation ? ` at ${v.allocation.locationId}` : ''}`;
}

const sorted = (o: Record<string, string>) => Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b)));
const sameJson = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
