import { ApplicationFailure } from '@temporalio/activity';
import type { Logger } from '../domain/logger';
import { capturedOf } from '../domain/order-state';
import type { Disposition, ReturnState } from '../domain/returns';
import type { LedgerEntryType } from '../domain/stock';
import type { PaymentProviders } from '../connectors/payments/types';
import type { CustomerNotifications, NotificationKind } from '../store/notifications';
import type { OutboundWebhooks } from '../store/outbound-webhooks';
import { statusEventOf } from '../domain/outbound-webhooks';
import type { OrdersView } from '../store/orders';
import type { CreditNotes, RefundLedger } from '../store/refunds';
import type { ReturnsView } from '../store/returns';
import type { StockLedger } from '../store/stock-ledger';
import type { ReturnOrderFacts } from '../workflows/return/api';
import { createHash } from 'node:crypto';
import { orderInputSchema } from '../domain/order';
import { lineValue, replacementLines } from '../domain/returns';
import { captureOrder, type IntakeDeps } from '../services/order-intake';

export interface ReturnActivityDeps {
  returnsView: Pick<ReturnsView, 'project'>;
  refunds: Pick<RefundLedger, 'claim'>;
  creditNotes: Pick<CreditNotes, 'issue'>;
  ledger: Pick<StockLedger, 'apply'>;
  orders: Pick<OrdersView, 'get'>;
  notifications: Pick<CustomerNotifications, 'queue'>;
  outboundWebhooks: Pick<OutboundWebhooks, 'recordEvent'>;
  payments: PaymentProviders;
  log: Logger;
  intake?: IntakeDeps; // for an exchange's replacement order
}

// The replacement's order id within the `exchange` channel: the return's number, then the original order,
// hashed when that would not fit.
export function exchangeChannelOrderId(original: { id: string; channel: string; channelOrderId: string }, n: number): string {
  const plain = `R${n}.${original.channel}.${original.channelOrderId}`;
  return plain.length <= 128 ? plain : `R${n}.${createHash('sha256').update(original.id).digest('hex').slice(0, 40)}`;
}

const ACTOR = 'return-workflow';

// What each disposition writes into the ledger at the receiving location.
const ENTRY_FOR: Record<Disposition, LedgerEntryType> = { restock: 'return', quarantine: 'quarantine', scrap: 'scrap' };

export interface RefundOutcome {
  granted: number; // what the refund ledger allowed: never beyond the capture less earlier refunds
  status: 'refunded' | 'credited' | 'nothing_to_refund';
  reference?: string;
}

export function createReturnActivities(deps: ReturnActivityDeps) {
  const provider = (name: string) => {
    const p = deps.payments[name];
    if (!p) throw ApplicationFailure.nonRetryable(`No payment provider "${name}" is configured`, 'UnknownPaymentProvider');
    return p;
  };
  const capturedFor = async (orderId: string) => {
    const view = await deps.orders.get(orderId);
    if (!view) throw ApplicationFailure.nonRetryable(`Order ${orderId} is not in the orders view`, 'UnknownOrder');
    return capturedOf(view);
  };

  return {
    async recordReturnState(state: ReturnState): Promise<void> {
      await deps.returnsView.project(state);
      const event = statusEventOf(
        'return.status_changed',
        { id: state.returnId, orderId: state.orderId, history: state.history },
        {
          returnId: state.returnId,
        },
      );
      if (event) await deps.outboundWebhooks.recordEvent(event);
    },

    // One line's disposition, once: restocked units are sellable again (and, like any freed stock, pushed to
    // the channels and offered to waiting orders), quarantined units are on hand but not sellable, scrapped
    // units are written off with the reason. `index` (the line's place in the inspection) keeps apart lines
    // of one sku and disposition (units scanned one by one, scraps with different reasons); an attempt
    // scheduled without it keeps the key it was first tried with.
    async applyDisposition(
      returnId: string,
      locationId: string,
      line: { sku: string; quantity: number; disposition: Disposition; reason?: string },
      index?: number,
    ): Promise<{ seq: number; duplicate: boolean }> {
      const applied = await deps.ledger.apply({
        sku: line.sku,
        locationId,
        type: ENTRY_FOR[line.disposition],
        quantity: line.quantity,
        idempotencyKey: `${returnId}:disposition:${line.sku}:${line.disposition}${index === undefined ? '' : `:${index}`}`,
        actor: ACTOR,
        reference: returnId,
        ...(line.reason !== undefined && { reason: line.reason }),
      });
      return { seq: applied.entry.seq, duplicate: applied.duplicate };
    },

    // The money back to the original payment: granted by the refund ledger (once per return, capped by the
    // capture), then refunded through the order's provider with the return's idempotency key.
    async refundReturn(returnId: string, order: ReturnOrderFacts, wanted: number): Promise<RefundOutcome> {
      const idempotencyKey = `${returnId}:refund`;
      const { entry } = await deps.refunds.claim({
        orderId: order.id,
        idempotencyKey,
        wanted,
        captured: await capturedFor(order.id),
        currency: order.currency,
        source: { kind: 'return', returnId },
      });
      if (entry.amount === 0) return { granted: 0, status: 'nothing_to_refund' };
      const outcome = await provider(order.paymentProvider).refund({
        orderId: order.id,
        amount: entry.amount,
        currency: order.currency,
        idempotencyKey,
      });
      if (outcome.status !== 'refunded')
        throw ApplicationFailure.retryable(`The payment provider answered ${outcome.status} to the refund`, 'RefundNotDone');
      deps.log.info('return refunded', { orderId: order.id, returnId, amount: entry.amount });
      return { granted: entry.amount, status: 'refunded', reference: outcome.reference };
    },

    // Store credit instead of money: granted by the same refund ledger (money back on an order never
    // exceeds what was taken, whichever way it goes back), recorded as a credit note.
    async issueCreditNote(returnId: string, n: number, order: ReturnOrderFacts, wanted: number): Promise<RefundOutcome> {
      const { entry } = await deps.refunds.claim({
        orderId: order.id,
        idempotencyKey: `${returnId}:store_credit`,
        wanted,
        captured: await capturedFor(order.id),
        currency: order.currency,
        source: { kind: 'return', returnId },
      });
      const note = await deps.creditNotes.issue({
        _id: returnId,
        number: `CN-${order.channelOrderId}-${n}`,
        orderId: order.id,
        amount: entry.amount,
        currency: order.currency,
        customer: { name: order.customer.name, ...(order.customer.email && { email: order.customer.email }) },
      });
      return { granted: note.amount, status: 'credited', reference: note.number };
    },

    // The replacement in an exchange: a new order (channel `exchange`) for what the customer wants instead,
    // priced as domain/returns.ts replacementLines says, the returned value taken off as an EXCHANGE
    // discount; what is left is the customer's to pay (a pending payment an operator confirms). Captured once
    // per return: a retry finds the order it made.
    async createExchangeOrder(
      returnId: string,
      n: number,
      originalOrderId: string,
      returned: { sku: string; quantity: number }[],
      wanted: { sku: string; quantity: number }[],
      returnedValue: number,
      holdUntilReceived: boolean,
    ): Promise<{ orderId: string; value: number; credit: number; toPay: number }> {
      if (!deps.intake) throw ApplicationFailure.nonRetryable('This worker cannot place orders (no intake)', 'NoIntake');
      const view = await deps.orders.get(originalOrderId);
      if (!view) throw ApplicationFailure.nonRetryable(`Order ${originalOrderId} is not in the orders view`, 'UnknownOrder');
      const original = view.order;
      const lines = replacementLines(original.lines, returned, wanted);
      const value = lines.reduce((t, l) => t + lineValue(l), 0);
      const credit = Math.min(returnedValue, value);
      const toPay = value - credit;
      const input = orderInputSchema.parse({
        channel: 'exchange',
        channelOrderId: exchangeChannelOrderId(original, n),
        currency: original.currency,
        customer: original.customer,
        shippingAddress: original.shippingAddress,
        ...(original.billingAddress && { billingAddress: original.billingAddress }),
        fulfillment: original.fulfillment,
        lines,
        discounts: credit > 0 ? [{ code: 'EXCHANGE', amount: credit }] : [],
        shippingAmount: 0,
        payment: {
          method: 'prepaid',
          provider: original.payment.method === 'cash_on_delivery' ? 'manual' : original.payment.provider,
          alreadyPaid: toPay === 0,
          ...(toPay === 0 && { reference: returnId }),
        },
        notes: `Exchange for ${returnId}`,
        tags: ['exchange'],
      });
      const captured = await captureOrder(deps.intake, input, undefined, { returnId, holdUntilReceived });
      deps.log.info('exchange order placed', { returnId, orderId: captured.orderId, value, credit, toPay });
      return { orderId: captured.orderId, value, credit, toPay };
    },

    async notifyReturn(order: ReturnOrderFacts, returnId: string, n: number, kind: NotificationKind, details: Record<string, string>) {
      const { name, email, phone, language } = order.customer;
      await deps.notifications.queue({
        orderId: order.id,
        kind,
        returnId,
        n,
        channel: order.channel,
        to: { name, ...(email && { email }), ...(phone && { phone }), ...(language && { language }) },
        details,
      });
    },
  };
}

export type ReturnActivities = ReturnType<typeof createReturnActivities>;
