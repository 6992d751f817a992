// The return workflow's contract: its input, query, and the commands operators, store staff and the
// carrier send it. Commands that can be refused are Updates (the workflow's validator names why); a
// carrier's scan is a signal (a fact).
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { Inspection, ReturnPolicy, ReturnReceipt, ReturnState } from '../../domain/returns';

// The order as a return needs it, copied when the return is asked for.
export interface ReturnOrderFacts {
  id: string;
  channel: string;
  channelOrderId: string;
  currency: string;
  customer: { name: string; email?: string; phone?: string; language?: string };
  paymentProvider: string;
  // Every line as ordered: price, the line's discount and tax (minor units), for the refund.
  lines: { sku: string; name?: string; quantity: number; unitPrice: number; discount: number; tax: number }[];
  shipping: { amount: number; tax: number };
  deliveredUnits: number; // units the customer received, over every line
}

export interface ReturnWorkflowInput {
  state: ReturnState; // as created: requested, with the policy's decision
  order: ReturnOrderFacts;
  policy: ReturnPolicy; // as it was when the return was asked for
  settings?: { activityMaxAttempts?: number; activityInitialIntervalMs?: number };
}

export interface ReviewDecision {
  approve: boolean;
  reason?: string;
  by: string;
}

export interface ReceiveRequest extends ReturnReceipt {
  by: string;
  inspection?: Inspection; // a store (BORIS) may decide each line as it scans it
}

export interface InspectRequest extends Inspection {
  by: string;
}

export interface CancelReturnRequest {
  reason?: string;
  by: string;
}

// A parcel the customer sends back another way: its tracking number (and the carrier connection whose
// webhooks report it, if any), the carrier name resolved by the API.
export interface AttachLabelRequest {
  trackingNumber: string;
  carrier: string;
  carrierConnectionId?: string;
  trackingUrl?: string;
  by: string;
}

export interface ReturnTrackingScan {
  trackingNumber: string;
  status: 'in_transit' | 'out_for_delivery' | 'delivered' | 'exception';
  detail?: string;
  at: string;
}

export const returnStateQuery = defineQuery<ReturnState>('returnState');
export const decideReturnUpdate = defineUpdate<ReturnState, [ReviewDecision]>('decideReturn');
export const receiveReturnUpdate = defineUpdate<ReturnState, [ReceiveRequest]>('receiveReturn');
export const inspectReturnUpdate = defineUpdate<ReturnState, [InspectRequest]>('inspectReturn');
export const cancelReturnUpdate = defineUpdate<ReturnState, [CancelReturnRequest]>('cancelReturn');
export const attachReturnLabelUpdate = defineUpdate<ReturnState, [AttachLabelRequest]>('attachReturnLabel');
export const retryReturnUpdate = defineUpdate<ReturnState, [{ by: string }]>('retryReturn');
export const returnTrackingSignal = defineSignal<[ReturnTrackingScan]>('returnTracking');
// The channel refunded the customer itself (Shopify refunds/create): Orderhub records it and moves no money.
export const channelRefundSignal = defineSignal<[NonNullable<ReturnState['channelRefund']>]>('channelRefund');

export interface ReturnOutcome {
  returnId: string;
  status: ReturnState['status'];
}
