import type { Client } from '@temporalio/client';
import { sleep } from '../../scripts/stack';
import { confirmPaymentSignal, fulfillmentEventSignal, type FulfillmentEvent } from '../../workflows/order';
import { trackingNumberFor, type Submission } from './load';

// The operator, the warehouse and the carrier, as Temporal signals sent to each order as soon as it is
// accepted: confirm a manual payment, then picked, packed, shipped (with tracking) and delivered. The
// workflow records them and acts on each at its own pace. Signals go straight to Temporal rather than
// through POST /orders/:id/events, which would mean polling the orders view for every order's stage: on
// FerretDB that polling alone costs more than the drills' whole order flow.

const RETRY_MS = 1_000;
const GIVE_UP_MS = 10 * 60_000;

export class Warehouse {
  private readonly pending = new Set<Promise<void>>();
  private closed = false;
  readonly errors: Record<string, number> = {};
  readonly unreached: string[] = [];

  constructor(private readonly temporal: Client) {}

  follow(sub: Submission): void {
    const p = this.drive(sub).finally(() => this.pending.delete(p));
    this.pending.add(p);
  }

  /** Stops retrying: whatever was not delivered by now will show up as an order that did not finish. */
  close(): void {
    this.closed = true;
  }

  private async drive(sub: Submission): Promise<void> {
    const handle = this.temporal.workflow.getHandle(sub.orderId);
    const events: FulfillmentEvent[] = [
      { type: 'picked' },
      { type: 'packed' },
      { type: 'shipped', carrier: 'dhl', trackingNumber: trackingNumberFor(sub.orderId) },
      { type: 'delivered' },
    ];
    const deadline = Date.now() + GIVE_UP_MS;
    const send = async (signal: () => Promise<void>): Promise<boolean> => {
      for (;;) {
        try {
          await signal();
          return true;
        } catch (err) {
          // A webhook order's workflow starts once the worker took the delivery off the queue; Temporal may be restarting.
          const what = (err as Error).name === 'WorkflowNotFoundError' ? 'not started yet' : (err as Error).name;
          this.errors[what] = (this.errors[what] ?? 0) + 1;
          if (this.closed) return false;
          if (Date.now() > deadline) {
            this.unreached.push(sub.orderId);
            return false;
          }
          await sleep(RETRY_MS);
        }
      }
    };
    if (
      sub.payment === 'pending' &&
      !(await send(() => handle.signal(confirmPaymentSignal, { reference: `BANK-${sub.orderId.slice(-10)}` })))
    )
      return;
    for (const event of events) if (!(await send(() => handle.signal(fulfillmentEventSignal, event)))) return;
  }
}
