import { randomBytes } from 'node:crypto';
import type { Collection, Db } from 'mongodb';
import type { SubscriberRequest, WebhookEvent, WebhookEventType } from '../domain/outbound-webhooks';
import { insertOnce } from './atomic';
import type { Sealed, SecretBox } from './secret-box';

// Outbound webhooks: the subscribers (their secrets sealed at rest), the events (an outbox written where
// order and return states are projected: one per status change, by a deterministic id) and one delivery
// per event and subscriber with its attempt log.

interface SubscriberDoc {
  _id: string; // sub_<hex>
  url: string;
  events: WebhookEventType[];
  description?: string;
  secret: Sealed;
  enabled: boolean;
  createdAt: Date;
  secretRotatedAt?: Date;
  disabledAt?: Date;
}

export interface SubscriberView {
  id: string;
  url: string;
  events: WebhookEventType[];
  description?: string;
  enabled: boolean;
  createdAt: string;
  secretRotatedAt?: string;
  disabledAt?: string;
}

interface EventDoc extends Omit<WebhookEvent, 'id'> {
  _id: string;
  recordedAt: Date;
  fanOutPending?: true; // until it was fanned out to its subscribers (the sender's sweep finds it by this)
}

export interface DeliveryAttempt {
  at: Date;
  statusCode?: number;
  ms: number;
  error?: string;
}

export interface WebhookDelivery {
  _id: string; // <eventId>|<subscriberId>
  eventId: string;
  eventType: WebhookEventType;
  subscriberId: string;
  orderId: string;
  status: 'pending' | 'delivered' | 'failed';
  attempts: DeliveryAttempt[];
  replays: number;
  createdAt: Date;
  deliveredAt?: Date;
  error?: string;
}

const MAX_ATTEMPT_LOG = 50;
const newSecret = () => `whsec_${randomBytes(24).toString('base64url')}`;

const viewOf = (d: SubscriberDoc): SubscriberView => ({
  id: d._id,
  url: d.url,
  events: d.events,
  ...(d.description && { description: d.description }),
  enabled: d.enabled,
  createdAt: d.createdAt.toISOString(),
  ...(d.secretRotatedAt && { secretRotatedAt: d.secretRotatedAt.toISOString() }),
  ...(d.disabledAt && { disabledAt: d.disabledAt.toISOString() }),
});

export class OutboundWebhooks {
  private readonly subscribers: Collection<SubscriberDoc>;
  private readonly events: Collection<EventDoc>;
  private readonly deliveries: Collection<WebhookDelivery>;
  private wanted?: Promise<Set<WebhookEventType>>; // the read of subscribers in flight, shared

  // Told of every event recorded for the first time (to fan it out at once), and of every delivery an
  // operator replays (round: its replays), so that it is sent.
  constructor(
    db: Db,
    private readonly box: SecretBox,
    private readonly hooks: { onEvent?: (eventId: string) => void; onReplay?: (deliveryId: string, round: number) => void } = {},
  ) {
    this.subscribers = db.collection<SubscriberDoc>('webhook_subscribers');
    this.events = db.collection<EventDoc>('webhook_events');
    this.deliveries = db.collection<WebhookDelivery>('webhook_event_deliveries');
  }

  /** A new subscriber and its secret: the only time the secret leaves the store in the clear but for signing. */
  async createSubscriber(req: SubscriberRequest): Promise<{ subscriber: SubscriberView; secret: string }> {
    const secret = newSecret();
    const doc: SubscriberDoc = {
      _id: `sub_${randomBytes(8).toString('hex')}`,
      url: req.url,
      events: req.events,
      ...(req.description && { description: req.description }),
      secret: this.box.seal(secret),
      enabled: true,
      createdAt: new Date(),
    };
    await this.subscribers.insertOne(doc);
    return { subscriber: viewOf(doc), secret };
  }

  async listSubscribers(): Promise<SubscriberView[]> {
    return (await this.subscribers.find({}).toArray())
      .map(viewOf)
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
  }

  async subscriber(id: string): Promise<(SubscriberView & { secret: string }) | null> {
    const d = await this.subscribers.findOne({ _id: id });
    return d ? { ...viewOf(d), secret: this.box.open<string>(d.secret) } : null;
  }

  async disableSubscriber(id: string): Promise<SubscriberView | null> {
    const d = await this.subscribers.findOne({ _id: id });
    if (!d) return null;
    if (d.enabled) await this.subscribers.updateOne({ _id: id }, { $set: { enabled: false, disabledAt: new Date() } });
    return viewOf((await this.subscribers.findOne({ _id: id }))!);
  }

  async rotateSecret(id: string): Promise<{ subscriber: SubscriberView; secret: string } | null> {
    if (!(await this.subscribers.findOne({ _id: id }))) return null;
    const secret = newSecret();
    await this.subscribers.updateOne({ _id: id }, { $set: { secret: this.box.seal(secret), secretRotatedAt: new Date() } });
    return { subscriber: viewOf((await this.subscribers.findOne({ _id: id }))!), secret };
  }

  // An event, once however often its state is projected; the hook hears of it the first time. Only when an
  // enabled subscriber wants its type: without one nothing is kept or fanned out (most stores have none, and
  // the order path projects several states per order). A subscriber hears of the events recorded after its
  // creation.
  async recordEvent(e: WebhookEvent): Promise<boolean> {
    if (!(await this.wantedTypes()).has(e.type)) return false;
    const { id, ...rest } = e;
    const inserted = await insertOnce(this.events, { _id: id, ...rest, recordedAt: new Date(), fanOutPending: true });
    if (inserted) this.hooks.onEvent?.(id);
    return inserted;
  }

  // The event types some enabled subscriber wants: read afresh for each event, but callers waiting at the same
  // time share one read (a burst of orders projects many states at once).
  private wantedTypes(): Promise<Set<WebhookEventType>> {
    this.wanted ??= this.subscribers
      .find({ enabled: true }, { projection: { events: 1 } })
      .toArray()
      .then((subs) => new Set(subs.flatMap((s) => s.events)))
      .finally(() => (this.wanted = undefined));
    return this.wanted;
  }

  async event(id: string): Promise<WebhookEvent | null> {
    const d = await this.events.findOne({ _id: id });
    if (!d) return null;
    const { _id, recordedAt: _recorded, ...rest } = d;
    return { id: _id, ...rest };
  }

  /** The event has its deliveries: the sweep leaves it alone. */
  async fannedOut(id: string): Promise<void> {
    await this.events.updateOne({ _id: id }, { $unset: { fanOutPending: '' } });
  }

  // What a lost request (Redis lost its jobs) left undone, for the sender's sweep, a batch at a time by the
  // indexed flag and status: events not yet fanned out, and deliveries still being sent.
  async eventsToFanOut(limit: number): Promise<string[]> {
    return (
      await this.events
        .find({ fanOutPending: true }, { projection: { _id: 1 } })
        .limit(limit)
        .toArray()
    ).map((e) => e._id);
  }

  async pendingDeliveries(limit: number): Promise<{ id: string; replays: number }[]> {
    const found = await this.deliveries
      .find({ status: 'pending' }, { projection: { replays: 1 } })
      .limit(limit)
      .toArray();
    return found.map((d) => ({ id: d._id, replays: d.replays }));
  }

  // The enabled subscribers of an event type (a handful: read whole, filtered here).
  async subscribersOf(type: WebhookEventType): Promise<string[]> {
    return (await this.subscribers.find({ enabled: true }).toArray()).filter((s) => s.events.includes(type)).map((s) => s._id);
  }

  /** The delivery of an event to a subscriber, created once. */
  async openDelivery(event: WebhookEvent, subscriberId: string): Promise<WebhookDelivery> {
    const doc: WebhookDelivery = {
      _id: `${event.id}|${subscriberId}`,
      eventId: event.id,
      eventType: event.type,
      subscriberId,
      orderId: event.orderId,
      status: 'pending',
      attempts: [],
      replays: 0,
      createdAt: new Date(),
    };
    if (await insertOnce(this.deliveries, doc)) return doc;
    return (await this.deliveries.findOne({ _id: doc._id }))!;
  }

  delivery(id: string): Promise<WebhookDelivery | null> {
    return this.deliveries.findOne({ _id: id });
  }

  deliveriesOf(orderId: string): Promise<WebhookDelivery[]> {
    return this.deliveries.find({ orderId }).toArray();
  }

  async recordAttempt(id: string, attempt: DeliveryAttempt, outcome?: { status: 'delivered' | 'failed'; error?: string }): Promise<void> {
    const found = await this.deliveries.findOne({ _id: id });
    if (!found) return;
    const attempts = [...found.attempts, attempt].slice(-MAX_ATTEMPT_LOG);
    const settled =
      outcome?.status === 'delivered'
        ? { status: 'delivered' as const, deliveredAt: new Date() }
        : outcome?.status === 'failed'
          ? { status: 'failed' as const, error: outcome.error ?? 'failed' }
          : {};
    await this.deliveries.updateOne({ _id: id }, { $set: { attempts, ...settled } });
  }

  /** An operator sends a delivery again (delivered or failed): pending, one more replay. */
  async replay(id: string): Promise<WebhookDelivery | null> {
    const found = await this.deliveries.findOne({ _id: id });
    if (!found) return null;
    const replays = found.replays + 1;
    await this.deliveries.updateOne({ _id: id }, { $set: { status: 'pending', replays }, $unset: { error: '' } });
    this.hooks.onReplay?.(id, replays);
    return this.deliveries.findOne({ _id: id });
  }
}
