// A payment provider: every call carries an idempotency key, so a retried call has its effect once.
export interface PaymentRequest {
  orderId: string;
  amount: number; // minor units
  currency: string;
  idempotencyKey: string;
}

export type PaymentOutcome =
  | { status: 'authorized' | 'captured' | 'voided' | 'refunded'; reference: string; expiresAt?: string } // expiresAt: when an authorisation lapses
  | { status: 'pending'; reference: string; message: string } // waits for someone (an operator) to confirm
  | { status: 'declined'; reference?: string; message: string };

export interface PaymentProvider {
  readonly kind: string;
  // How long an authorisation holds before the provider lets it lapse (card authorisations: about 7 days).
  // Absent: it does not lapse (money handled outside Orderhub). A pre-order released after that is
  // authorised again at its release, before it goes to the warehouse.
  readonly authorizationValidityMs?: number;
  authorize(req: PaymentRequest & { alreadyPaid: boolean; reference?: string }): Promise<PaymentOutcome>;
  // An operator or the provider confirmed a pending authorisation.
  confirm(req: PaymentRequest & { reference?: string }): Promise<PaymentOutcome>;
  capture(req: PaymentRequest): Promise<PaymentOutcome>;
  void(req: PaymentRequest): Promise<PaymentOutcome>;
  refund(req: PaymentRequest): Promise<PaymentOutcome>;
}

export type PaymentProviders = Record<string, PaymentProvider>;
