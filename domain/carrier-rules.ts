import { z } from 'zod';
import type { Address } from './address';
import { expectedDeliveryDate, rateMatchesService, type CarrierRate } from './carrier';
import { connectionIdSchema } from './connection';
import { OrderhubError, ValidationError, type FieldProblem } from './errors';
import { normalisePostalCode } from './geo';
import { routingRegionSchema, type RoutingRegion } from './routing';
import { problemsOf } from './validation';

// Which carrier ships a parcel, decided by rules that are data. A rule covers regions (a country, or
// postal-code prefixes of one) and lists carrier services in priority order; its mode says how the
// quotes of those services are ranked. planLabelPurchase then buys from the best candidate and falls
// back down the ranking when one is down, does not serve the zone, or fails. Pure apart from the
// gateway functions it is handed, so it runs in an activity and in a unit test alike.

export const CARRIER_SHOPPING_MODES = ['priority', 'cheapest', 'fastest_within_promise'] as const;
export type CarrierShoppingMode = (typeof CARRIER_SHOPPING_MODES)[number];

export const carrierServiceRefSchema = z.strictObject({
  carrier: connectionIdSchema, // the carrier connection's id
  // The carrier's service ("Priority"), or carrier and service on a multi-carrier gateway ("USPS:Priority").
  // Absent: whichever of the connection's services ranks best.
  service: z.string().trim().min(1, 'must not be empty (leave it out for any service)').max(100).optional(),
});
export type CarrierServiceRef = z.infer<typeof carrierServiceRefSchema>;

export const carrierRuleSchema = z.strictObject({
  id: z
    .string()
    .min(1)
    .max(64)
    .regex(/^[A-Za-z0-9][A-Za-z0-9_-]*$/, 'may contain only letters, digits, _ and -'),
  name: z.string().min(1).max(200).optional(),
  regions: z.array(routingRegionSchema).min(1, 'needs at least one region').max(500),
  mode: z.enum(CARRIER_SHOPPING_MODES).default('priority'),
  services: z
    .array(carrierServiceRefSchema)
    .min(1, 'needs at least one carrier service')
    .max(50)
    .superRefine((services, ctx) => {
      const seen = new Set<string>();
      services.forEach((s, i) => {
        const key = `${s.carrier}|${s.service?.toLowerCase() ?? '*'}`;
        if (seen.has(key))
          ctx.addIssue({ code: 'custom', path: [i], message: `${s.carrier} ${s.service ?? '(any service)'} is listed twice` });
        seen.add(key);
      });
    }),
});
export type CarrierRule = z.infer<typeof carrierRuleSchema>;
export type CarrierRuleInput = z.input<typeof carrierRuleSchema>;

function duplicateIds(rules: readonly unknown[]): FieldProblem[] {
  const seen = new Set<string>();
  const problems: FieldProblem[] = [];
  rules.forEach((rule, i) => {
    const id = (rule as { id?: unknown } | null)?.id;
    if (typeof id !== 'string') return;
    if (seen.has(id)) problems.push({ path: `${i}.id`, message: `rule id ${id} appears more than once` });
    seen.add(id);
  });
  return problems;
}

export const carrierRulesSchema = z
  .array(carrierRuleSchema)
  .max(200)
  .superRefine((rules, ctx) => {
    for (const p of duplicateIds(rules))
      ctx.addIssue({ code: 'custom', path: p.path.split('.').map((k, i) => (i === 0 ? Number(k) : k)), message: p.message });
  });

// Throws a ValidationError naming every bad field (2.services.0.carrier) at once.
export function parseCarrierRules(input: unknown): CarrierRule[] {
  const result = carrierRulesSchema.safeParse(input);
  if (result.success) return result.data;
  // Zod skips the list-level duplicate check once a rule has a bad field; name duplicates anyway.
  const problems = problemsOf(result.error);
  const extra = Array.isArray(input) ? duplicateIds(input).filter((d) => !problems.some((p) => p.path === d.path)) : [];
  const all = [...problems, ...extra];
  throw new ValidationError(`Invalid carrier rules: ${all.length} problem(s)`, all);
}

// ---------------------------------------------------------------------------------------------
// Selecting the rule

export type Destination = Pick<Address, 'country' | 'postalCode'>;

export interface CarrierSelection {
  ruleId: string;
  mode: CarrierShoppingMode;
  candidates: CarrierServiceRef[]; // in the rule's priority order
}

// How well a region fits: the length of the matching postal prefix, 0 for a whole country, -1 for no match.
function regionFit(region: RoutingRegion, country: string, postalCode: string): number {
  if (region.country !== country) return -1;
  if (!region.postalPrefixes) return 0;
  const matching = region.postalPrefixes.filter((p) => postalCode.startsWith(p));
  return matching.length ? Math.max(...matching.map((p) => p.length)) : -1;
}

// The most specific rule wins (the longest matching postal prefix, then a whole country); among
// equally specific rules, the first. So a rule for Berlin 10-14 beats the rule for all of Germany
// wherever the two are listed.
export function selectCarrier(destination: Destination, rules: readonly CarrierRule[]): CarrierSelection | undefined {
  const postalCode = normalisePostalCode(destination.postalCode);
  let best: { rule: CarrierRule; fit: number } | undefined;
  for (const rule of rules) {
    const fit = Math.max(...rule.regions.map((r) => regionFit(r, destination.country, postalCode)));
    if (fit >= 0 && (!best || fit > best.fit)) best = { rule, fit };
  }
  return best && { ruleId: best.rule.id, mode: best.rule.mode, candidates: best.rule.services.map((s) => ({ ...s })) };
}

// ---------------------------------------------------------------------------------------------
// Buying, with fallback

export interface LabelPlanInput {
  destination: Destination;
  rules: readonly CarrierRule[];
  // Base key of this purchase (e.g. stepKey(orderId, 'label')). A candidate buys under
  // `${idempotencyKey}:${carrier}`: stable across retries, and one label at most per carrier connection.
  idempotencyKey: string;
  shipDate: string; // YYYY-MM-DD
  promisedBy?: string; // YYYY-MM-DD, the delivery date the order promised
  currency?: string; // compare prices in this currency only; default: the first quote's
}

// The gateway functions, per carrier connection id. `isDown` is a circuit breaker or health flag.
export interface LabelPlanDeps<L> {
  isDown?(carrier: string): boolean | Promise<boolean>;
  rates(carrier: string): Promise<CarrierRate[]>;
  buy(carrier: string, rate: CarrierRate, idempotencyKey: string): Promise<L>;
}

export type CandidateOutcome = 'purchased' | 'carrier_down' | 'rates_failed' | 'no_rates' | 'currency_mismatch' | 'purchase_failed';

export interface CandidateReport {
  carrier: string;
  service?: string;
  outcome: CandidateOutcome;
  detail: string;
  rate?: CarrierRate;
  expectedDelivery?: string;
  meetsPromise?: boolean;
  idempotencyKey?: string; // set when a purchase was attempted
  // The purchase failed in a way that may still have bought a label (a timeout, an outage). The carrier's
  // findLabel with this key returns that label if it exists, so it can be voided.
  uncertain?: boolean;
}

export type LabelPlanOutcome<L> =
  | {
      status: 'purchased';
      ruleId: string;
      mode: CarrierShoppingMode;
      carrier: string;
      rate: CarrierRate;
      label: L;
      idempotencyKey: string;
      tried: CandidateReport[];
      explanation: string[];
    }
  | { status: 'exhausted'; ruleId: string; mode: CarrierShoppingMode; tried: CandidateReport[]; explanation: string[] }
  | { status: 'no_rule'; tried: []; explanation: string[] };

interface Quote {
  index: number; // the candidate's place in the rule
  candidate: CarrierServiceRef;
  rate: CarrierRate;
  expected?: string;
  meetsPromise: boolean;
}

type RatesResult = { ok: true; rates: CarrierRate[] } | { ok: false; outcome: 'carrier_down' | 'rates_failed'; detail: string };

// A refusal bought nothing; any other failure (a timeout, an outage) might have bought a label.
const DEFINITE_FAILURES = new Set(['upstream_rejected', 'validation_failed', 'unauthorized', 'not_found', 'conflict']);

function describe(err: unknown): string {
  if (err instanceof OrderhubError) return `${err.code}: ${err.message}`;
  return err instanceof Error ? err.message : String(err);
}

function formatPrice(rate: CarrierRate): string {
  return `${rate.price.amount} ${rate.price.currency} (minor units)`;
}

// Earlier dates first; an unknown date after every known one.
function compareDates(a: string | undefined, b: string | undefined): number {
  if (a === b) return 0;
  if (a === undefined) return 1;
  if (b === undefined) return -1;
  return a < b ? -1 : 1;
}

function compareQuotes(mode: CarrierShoppingMode): (a: Quote, b: Quote) => number {
  const cheaper = (a: Quote, b: Quote) => a.rate.price.amount - b.rate.price.amount;
  const sooner = (a: Quote, b: Quote) => compareDates(a.expected, b.expected);
  const ruleOrder = (a: Quote, b: Quote) => a.index - b.index;
  switch (mode) {
    case 'priority':
      return ruleOrder;
    case 'cheapest':
      return (a, b) => cheaper(a, b) || sooner(a, b) || ruleOrder(a, b);
    case 'fastest_within_promise':
      // Those that keep the promise, cheapest first; then the others, fastest first.
      return (a, b) => {
        if (a.meetsPromise !== b.meetsPromise) return a.meetsPromise ? -1 : 1;
        return a.meetsPromise ? cheaper(a, b) || sooner(a, b) || ruleOrder(a, b) : sooner(a, b) || cheaper(a, b) || ruleOrder(a, b);
      };
  }
}

export async function planLabelPurchase<L>(input: LabelPlanInput, deps: LabelPlanDeps<L>): Promise<LabelPlanOutcome<L>> {
  const where = `${input.destination.country} ${input.destination.postalCode}`;
  const selection = selectCarrier(input.destination, input.rules);
  if (!selection) return { status: 'no_rule', tried: [], explanation: [`no carrier rule covers ${where}`] };
  const { ruleId, mode, candidates } = selection;
  const tried: CandidateReport[] = [];
  const explanation = [`rule ${ruleId} (${mode}) covers ${where}`];
  const report = (r: CandidateReport) => {
    tried.push(r);
    explanation.push(`${r.carrier}${r.service ? ` ${r.service}` : ''}: ${r.detail}`);
  };

  // One health check and one rate request per carrier connection, however often the rule names it.
  const ratesByCarrier = new Map<string, Promise<RatesResult>>();
  const ratesOf = (carrier: string) => {
    let pending = ratesByCarrier.get(carrier);
    if (!pending) {
      pending = (async (): Promise<RatesResult> => {
        try {
          if (deps.isDown && (await deps.isDown(carrier)))
            return { ok: false, outcome: 'carrier_down', detail: 'skipped: the carrier is marked down' };
        } catch (err) {
          return { ok: false, outcome: 'carrier_down', detail: `skipped: its health check failed (${describe(err)})` };
        }
        try {
          return { ok: true, rates: await deps.rates(carrier) };
        } catch (err) {
          return { ok: false, outcome: 'rates_failed', detail: `skipped: asking for rates failed (${describe(err)})` };
        }
      })();
      ratesByCarrier.set(carrier, pending);
    }
    return pending;
  };

  let currency = input.currency;
  const sortQuotes = compareQuotes(mode);

  // The candidate's best quote under the mode, or a report of why it has none.
  async function quoteFor(candidate: CarrierServiceRef, index: number): Promise<Quote | undefined> {
    const base = { carrier: candidate.carrier, ...(candidate.service !== undefined && { service: candidate.service }) };
    const result = await ratesOf(candidate.carrier);
    if (!result.ok) {
      report({ ...base, outcome: result.outcome, detail: result.detail });
      return undefined;
    }
    const offered = result.rates.filter((r) => rateMatchesService(r, candidate.service));
    if (offered.length === 0) {
      report({
        ...base,
        outcome: 'no_rates',
        detail: `skipped: no ${candidate.service ? `${candidate.service} ` : ''}rate for ${where} (does not serve the zone)`,
      });
      return undefined;
    }
    // Priority mode compares nothing across carriers, so it needs no common currency unless one is asked for.
    if (currency === undefined && mode !== 'priority') currency = offered[0].price.currency;
    const comparable = currency === undefined ? offered : offered.filter((r) => r.price.currency === currency);
    if (comparable.length === 0) {
      report({
        ...base,
        outcome: 'currency_mismatch',
        detail: `skipped: quotes only in ${offered[0].price.currency}, prices are compared in ${currency}`,
      });
      return undefined;
    }
    const quotes = comparable.map((rate): Quote => {
      const expected = expectedDeliveryDate(rate, input.shipDate);
      const meetsPromise = input.promisedBy === undefined || (expected !== undefined && expected <= input.promisedBy);
      return { index, candidate, rate, ...(expected !== undefined && { expected }), meetsPromise };
    });
    // Within one candidate, priority mode takes its cheapest service.
    return quotes.sort(mode === 'priority' ? compareQuotes('cheapest') : sortQuotes)[0];
  }

  async function attempt(q: Quote): Promise<{ label: L } | undefined> {
    const key = `${input.idempotencyKey}:${q.candidate.carrier}`;
    const base = {
      carrier: q.candidate.carrier,
      ...(q.candidate.service !== undefined && { service: q.candidate.service }),
      rate: q.rate,
      ...(q.expected !== undefined && { expectedDelivery: q.expected }),
      ...(input.promisedBy !== undefined && { meetsPromise: q.meetsPromise }),
      idempotencyKey: key,
    };
    const quoted = `${q.rate.carrier} ${q.rate.service} at ${formatPrice(q.rate)}${q.expected ? `, arriving ${q.expected}` : ''}${input.promisedBy !== undefined && !q.meetsPromise ? `, misses the promised ${input.promisedBy}` : ''}`;
    try {
      const label = await deps.buy(q.candidate.carrier, q.rate, key);
      report({ ...base, outcome: 'purchased', detail: `bought ${quoted}` });
      return { label };
    } catch (err) {
      const uncertain = !(err instanceof OrderhubError && DEFINITE_FAILURES.has(err.code));
      report({
        ...base,
        outcome: 'purchase_failed',
        detail: `buying ${quoted} failed (${describe(err)})${uncertain ? `; it may have gone through: buying again with key ${key} returns that label if so` : ''}`,
        ...(uncertain && { uncertain }),
      });
      return undefined;
    }
  }

  const done = (q: Quote, label: L): LabelPlanOutcome<L> => ({
    status: 'purchased',
    ruleId,
    mode,
    carrier: q.candidate.carrier,
    rate: q.rate,
    label,
    idempotencyKey: `${input.idempotencyKey}:${q.candidate.carrier}`,
    tried,
    explanation,
  });

  if (mode === 'priority') {
    // In rule order, asking each carrier for rates only when the ones before it did not work out.
    for (const [index, candidate] of candidates.entries()) {
      const q = await quoteFor(candidate, index);
      if (!q) continue;
      const bought = await attempt(q);
      if (bought) return done(q, bought.label);
    }
  } else {
    // Ranking needs every quote first. Rate requests go out together, reports stay in rule order.
    candidates.forEach((c) => void ratesOf(c.carrier));
    const quotes: Quote[] = [];
    for (const [index, candidate] of candidates.entries()) {
      const q = await quoteFor(candidate, index);
      // The same rate reached through two entries of the rule is tried once.
      if (q && !quotes.some((o) => o.candidate.carrier === q.candidate.carrier && o.rate.rateId === q.rate.rateId)) quotes.push(q);
    }
    quotes.sort(sortQuotes);
    if (quotes.length)
      explanation.push(
        `ranked: ${quotes.map((q) => `${q.candidate.carrier} ${q.rate.service} ${formatPrice(q.rate)}${q.expected ? ` by ${q.expected}` : ''}`).join(', ')}`,
      );
    for (const q of quotes) {
      const bought = await attempt(q);
      if (bought) return done(q, bought.label);
    }
  }
  explanation.push('no candidate could ship it');
  return { status: 'exhausted', ruleId, mode, tried, explanation };
}
