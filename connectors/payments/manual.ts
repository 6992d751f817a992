import type { PaymentsJournal } from '../../store/payments';
import type { PaymentOutcome, PaymentProvider, PaymentRequest } from './types';

// Money handled outside Orderhub: a bank transfer an operator confirms, a till, or a channel that already
// charged the customer. Cash on delivery is the same journal with a different moment of capture, and so is
// an invoice to a customer's account (captured, i.e. invoiced, when it ships; paid within its terms).
export function createManualPaymentProvider(journal: PaymentsJournal, kind = 'manual'): PaymentProvider {
  const write = async (
    req: PaymentRequest,
    operation: 'authorize' | 'confirm' | 'capture' | 'void' | 'refund',
    status: string,
    reference?: string,
  ) => {
    const rec = await journal.record({
      _id: req.idempotencyKey,
      orderId: req.orderId,
      provider: kind,
      operation,
      status,
      amount: req.amount,
      currency: req.currency,
      reference: reference ?? `${kind}:${req.idempotencyKey}`,
    });
    return rec;
  };
  return {
    kind,
    async authorize(req): Promise<PaymentOutcome> {
      // Collected by the courier, or billed to the customer's account: nothing to wait for before shipping.
      if (kind === 'cash_on_delivery' || kind === 'invoice') {
        const rec = await write(req, 'authorize', 'authorized');
        return { status: 'authorized', reference: rec.reference };
      }
      if (req.alreadyPaid) {
        const rec = await write(req, 'authorize', 'captured', req.reference);
        return { status: 'captured', reference: rec.reference };
      }
      const rec = await write(req, 'authorize', 'pending');
      return { status: 'pending', reference: rec.reference, message: 'waiting for an operator to confirm the payment' };
    },
    async confirm(req): Promise<PaymentOutcome> {
      const rec = await write(req, 'confirm', 'authorized', req.reference);
      return { status: 'authorized', reference: rec.reference };
    },
    async capture(req): Promise<PaymentOutcome> {
      const rec = await write(req, 'capture', 'captured');
      return { status: 'captured', reference: rec.reference };
    },
    async void(req): Promise<PaymentOutcome> {
      const rec = await write(req, 'void', 'voided');
      return { status: 'voided', reference: rec.reference };
    },
    async refund(req): Promise<PaymentOutcome> {
      const rec = await write(req, 'refund', 'refunded');
      return { status: 'refunded', reference: rec.reference };
    },
  };
}
