// An order is fulfilled as N parts, each holding stock at one location and moving through picked, packed,
// shipped and delivered on its own; a whole order is one part. Only where a part's facts are shown
// differs: a one-part order shows its label and shipment on the order itself (as the view always has),
// a split order lists its parts.
import type { HeldStock } from '../../activities/order-activities';
import type { OrderLabel, OrderPart, OrderShipment, OrderState } from '../../domain/order-state';
import { FULFILLMENT_EVENTS, type FulfillmentEventType } from '../../domain/status';
import type { FulfillmentEvent } from './api';

export interface PartRun {
  id: string;
  held: HeldStock;
  supplied?: boolean; // shipped by a drop-ship supplier beside the stocked parts (an order mixing both)
  filled?: boolean; // filled from the order's backorder after the first parts
  reported: Map<FulfillmentEventType, FulfillmentEvent>;
  deliveredAt?: string;
}

export class Parts {
  list: PartRun[] = [];
  // An order mixing stocked and drop-shipped lines: its supplier parts come first and stay while the
  // stocked parts are held, given back and held again; the view always lists them.
  private mixed = false;

  constructor(
    private readonly state: OrderState,
    // Events reported for the whole order, which apply to every part.
    private readonly orderEvents: Map<FulfillmentEventType, FulfillmentEvent>,
  ) {}

  get count(): number {
    return this.list.length;
  }

  // More than one part, or a backordered order (its later parts follow), or a mixed one: the view lists them.
  get listed(): boolean {
    return this.list.length > 1 || this.state.backorder !== undefined || this.mixed;
  }

  // The parts that hold stock at a location (every part, unless suppliers ship some).
  get stock(): PartRun[] {
    return this.mixed ? this.list.filter((r) => !r.supplied) : this.list;
  }

  private get supplied(): PartRun[] {
    return this.list.filter((r) => r.supplied);
  }

  // A mixed order's supplier parts, numbered first (the stocked parts follow once their stock is held).
  holdSupplied(held: HeldStock[]): PartRun[] {
    this.mixed = true;
    const runs = held.map((h, i): PartRun => ({ id: String(i + 1), held: h, reported: new Map(), supplied: true }));
    this.list = runs;
    this.state.parts = runs.map((r) => ({
      id: r.id,
      locationId: r.held.locationId,
      reservationId: r.held.reservationId,
      lines: r.held.lines!,
      stage: 'payment_authorized',
    }));
    return runs;
  }

  // Stock now held: one whole-order reservation, or a split order's parts (a mixed order's, with its lines,
  // after its supplier parts).
  holdWhole(held: HeldStock): void {
    if (this.mixed) return this.holdSplit([held]);
    this.list = [{ id: '1', held, reported: new Map() }];
  }

  holdSplit(held: HeldStock[]): void {
    const supplied = this.supplied;
    const stock = held.map((h, i) => ({ id: String(supplied.length + i + 1), held: h, reported: new Map() }));
    this.list = [...supplied, ...stock];
    this.state.parts = [
      ...(this.state.parts ?? []).filter((p) => supplied.some((r) => r.id === p.id)),
      ...stock.map((r) => ({
        id: r.id,
        locationId: r.held.locationId,
        reservationId: r.held.reservationId,
        lines: r.held.lines!,
        stage: 'stock_reserved' as const,
      })),
    ];
  }

  // A backordered part filled as stock arrived, after the others: numbered after them (and after any part
  // given back, so no id names two parts).
  add(held: HeldStock): PartRun {
    const last = Math.max(this.removedUpTo, ...this.list.map((r) => Number(r.id)));
    const run: PartRun = { id: String(last + 1), held, reported: new Map(), filled: true };
    this.list.push(run);
    this.state.parts = [
      ...(this.state.parts ?? []),
      { id: run.id, locationId: held.locationId, reservationId: held.reservationId, lines: held.lines!, stage: 'stock_reserved' },
    ];
    return run;
  }

  // Given back (the allocation was rejected): routed again from scratch.
  // A part filled from the backorder whose location rejected it: it is gone (its units are backordered again).
  private removedUpTo = 0;
  remove(run: PartRun): void {
    this.list = this.list.filter((r) => r !== run);
    this.state.parts = this.state.parts?.filter((p) => p.id !== run.id);
    this.removedUpTo = Math.max(this.removedUpTo, Number(run.id));
  }

  // A mixed order keeps its supplier parts.
  drop(): void {
    const supplied = this.supplied;
    this.state.allocation = undefined;
    this.state.parts = this.mixed ? (this.state.parts ?? []).filter((p) => supplied.some((r) => r.id === p.id)) : undefined;
    this.state.backorder = undefined;
    this.list = supplied;
  }

  find(id: string): PartRun | undefined {
    return this.list.find((r) => r.id === id);
  }

  // The stock part at a location (the first, when none is named).
  at(locationId: string | undefined): PartRun | undefined {
    const stock = this.stock;
    return locationId === undefined ? stock[0] : stock.find((r) => r.held.locationId === locationId);
  }

  reportedFor(run: PartRun, type: FulfillmentEventType): FulfillmentEvent | undefined {
    return run.reported.get(type) ?? this.orderEvents.get(type);
  }

  reachedAtLeast(run: PartRun, stage: FulfillmentEventType): boolean {
    return FULFILLMENT_EVENTS.slice(FULFILLMENT_EVENTS.indexOf(stage)).some((s) => !!this.reportedFor(run, s));
  }

  // Of the stock parts (what a location picks and ships; a supplier's shipment is no pick).
  anyReached(stage: FulfillmentEventType): boolean {
    return this.stock.some((r) => this.reachedAtLeast(r, stage));
  }

  // The part as the view lists it (split orders only).
  view(run: PartRun): OrderPart | undefined {
    return this.listed ? this.state.parts!.find((p) => p.id === run.id) : undefined;
  }

  // Documents and labels of a listed part are keyed by its id; a one-part order's by the order alone.
  labelKey(run: PartRun): string | undefined {
    return this.listed ? run.id : undefined;
  }

  // What the channel is told ships: a listed part's lines, or (undefined) the whole order.
  channelPart(run: PartRun): { id: string; lines: NonNullable<HeldStock['lines']> } | undefined {
    return this.listed ? { id: run.id, lines: run.held.lines! } : undefined;
  }

  labelOf(run: PartRun): OrderLabel | undefined {
    return this.listed ? this.view(run)!.label : this.state.label;
  }

  setLabel(run: PartRun, label: OrderLabel): void {
    if (this.listed) this.view(run)!.label = label;
    else this.state.label = label;
  }

  markLabelVoided(run: PartRun, voided: NonNullable<OrderLabel['voided']>): void {
    const label = this.labelOf(run);
    if (label) this.setLabel(run, { ...label, voided });
  }

  setShipment(run: PartRun, shipment: OrderShipment): void {
    if (this.listed) this.view(run)!.shipment = shipment;
    else this.state.shipment = shipment;
  }

  firstShipment(): OrderShipment {
    return this.state.shipment ?? this.state.parts![0].shipment!;
  }

  isDelivered(run: PartRun): boolean {
    return !!this.reportedFor(run, 'delivered');
  }

  allDelivered(): boolean {
    return this.list.every((r) => this.isDelivered(r));
  }

  // Parts of a split order the carrier delivered since the last look (a one-part order is simply delivered).
  newlyDelivered(): PartRun[] {
    return this.listed ? this.list.filter((r) => this.isDelivered(r) && !r.deliveredAt) : [];
  }

  markDelivered(run: PartRun, at: string): void {
    run.deliveredAt = at;
    Object.assign(this.view(run) ?? {}, { stage: 'delivered', deliveredAt: at });
  }
}
