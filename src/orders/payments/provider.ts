import type { IncomingHttpHeaders } from 'node:http';

/**
 * What the checkout needs of a payment provider (src/orders/README.md). Two
 * implementations: the built-in test provider (`test-provider.ts`, the
 * embedded default: outcomes chosen by the card number, no account anywhere)
 * and Stripe (`stripe-provider.ts`, the official SDK). Amounts are integer
 * minor units in the order's currency, as everywhere in Boxoffice.
 *
 * Every call that moves money takes an idempotency key, which the provider
 * must honour: the same key twice is one payment, one cancel, one refund.
 */
export type PaymentStatus =
  /** Waiting for the moviegoer's card (also after a decline: `lastError` says why). */
  | 'requires_payment'
  /** The bank asks the moviegoer to authenticate (3-D Secure). */
  | 'requires_action'
  /** Accepted, the outcome not known yet. */
  | 'processing'
  | 'succeeded'
  | 'canceled';

export type ProviderPayment = {
  /** The provider's id of the payment (Stripe: the PaymentIntent id, pi_…). */
  id: string;
  status: PaymentStatus;
  amount: number;
  currency: string;
  /** What the browser needs to pay (Stripe: the PaymentIntent's client_secret). */
  clientSecret: string | null;
  /** The last decline or failure, as a sentence for the moviegoer; null when none. */
  lastError: string | null;
};

export type RefundStatus = 'pending' | 'succeeded' | 'failed';
export type ProviderRefund = { id: string; status: RefundStatus };

/** A webhook delivery whose signature checked out. */
export type WebhookEvent = {
  /** The provider's event id: each is acted on once (the payment_events table). */
  id: string;
  type: string;
  /** The payment the event is about, when it is about one. */
  paymentId: string | null;
};

/** The signature of a webhook delivery did not verify: answered 400, nothing changes. */
export class WebhookSignatureError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WebhookSignatureError';
  }
}

/** The provider could not be reached or refused the call: answered 502/503, nothing of ours changed. */
export class ProviderUnavailableError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ProviderUnavailableError';
  }
}

export type CreatePayment = {
  orderId: number;
  reference: string;
  amount: number;
  currency: string;
  /** Sent to the provider: a retry of the same order's payment creation is the same payment. */
  idempotencyKey: string;
  description: string;
};

export interface PaymentProvider {
  readonly name: 'test' | 'stripe';
  /** What the browser needs to load the provider's payment form (Stripe: the publishable key). */
  readonly publishableKey: string | null;
  createPayment(input: CreatePayment): Promise<ProviderPayment>;
  /** The payment as the provider knows it now: a webhook is only a trigger to call this. */
  retrievePayment(id: string): Promise<ProviderPayment>;
  /** Cancels a payment that has not succeeded; one that already succeeded comes back as succeeded. */
  cancelPayment(id: string, idempotencyKey: string): Promise<ProviderPayment>;
  /** Refunds a succeeded payment in full. */
  refundPayment(id: string, idempotencyKey: string): Promise<ProviderRefund>;
  /** Checks the signature over the raw body; throws WebhookSignatureError when it does not verify. */
  verifyWebhook(rawBody: Buffer, headers: IncomingHttpHeaders): WebhookEvent;
}
