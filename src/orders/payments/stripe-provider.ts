import type { IncomingHttpHeaders } from 'node:http';
import Stripe from 'stripe';
import {
  ProviderUnavailableError,
  WebhookSignatureError,
  type CreatePayment,
  type PaymentProvider,
  type PaymentStatus,
  type ProviderPayment,
  type ProviderRefund,
  type RefundStatus,
  type WebhookEvent,
} from './provider.ts';

export type StripeProviderOptions = {
  secretKey: string;
  publishableKey: string;
  webhookSecret: string;
  /** Another host for the API, e.g. `http://127.0.0.1:12345` (the tests' stub); Stripe's own when absent. */
  apiBase?: string;
};

/** The sentences a ProviderUnavailableError carries: what happened and what to do about it. */
export const stripeUnavailable = {
  unreachable: 'The payment service (Stripe) could not be reached; please try again in a minute.',
  failing: 'The payment service (Stripe) is having trouble right now; please try again in a minute.',
  busy: 'The payment service (Stripe) is busy right now; please try again in a minute.',
  refusedKey: 'Stripe refused our secret key: the operator must check STRIPE_SECRET_KEY.',
} as const;

// A checkout waits on these calls, so a dead connection should fail within
// seconds, not the SDK's default 80. One retry (the SDK's backoff, about half
// a second) rides out a dropped keep-alive socket or a single 5xx; the SDK
// resends the same Idempotency-Key, so a retry cannot make a second payment.
const timeoutMs = 10_000;
const maxNetworkRetries = 1;

/** A PaymentProvider on Stripe's PaymentIntents, through the official SDK. */
export function createStripeProvider(options: StripeProviderOptions): PaymentProvider {
  const stripe = new Stripe(options.secretKey, {
    ...apiAddress(options.apiBase),
    timeout: timeoutMs,
    maxNetworkRetries,
    telemetry: false,
    appInfo: { name: 'Boxoffice' },
  });

  return {
    name: 'stripe',
    publishableKey: options.publishableKey,

    createPayment: (input: CreatePayment) =>
      call(async () => {
        const intent = await stripe.paymentIntents.create(
          {
            amount: input.amount,
            currency: input.currency.toLowerCase(),
            automatic_payment_methods: { enabled: true },
            description: input.description,
            metadata: { order_id: String(input.orderId), reference: input.reference },
          },
          { idempotencyKey: input.idempotencyKey },
        );
        return toPayment(intent);
      }),

    retrievePayment: (id: string) => call(async () => toPayment(await stripe.paymentIntents.retrieve(id))),

    cancelPayment: (id: string, idempotencyKey: string) =>
      call(async () => {
        try {
          return toPayment(await stripe.paymentIntents.cancel(id, {}, { idempotencyKey }));
        } catch (error) {
          // Stripe refuses to cancel an intent that has succeeded, was
          // canceled or is processing, with this code and the intent in the
          // error. The answer is then the intent as it is (succeeded: for the
          // caller to keep or refund; processing: ask again later), so the
          // caller reads the status rather than catching an error.
          if (error instanceof Stripe.errors.StripeInvalidRequestError && error.code === 'payment_intent_unexpected_state') {
            return toPayment(error.payment_intent ?? (await stripe.paymentIntents.retrieve(id)));
          }
          throw error;
        }
      }),

    refundPayment: (id: string, idempotencyKey: string) =>
      call(async () => {
        try {
          const refund = await stripe.refunds.create({ payment_intent: id }, { idempotencyKey });
          return { id: refund.id, status: toRefundStatus(refund.status) } satisfies ProviderRefund;
        } catch (error) {
          // Refunded already under another key (Stripe keeps a key 24 hours, a
          // retry may come later): the money is on its way back, so the answer
          // is that refund, not an error.
          if (error instanceof Stripe.errors.StripeInvalidRequestError && error.code === 'charge_already_refunded') {
            const earlier = await stripe.refunds.list({ payment_intent: id, limit: 10 });
            const refund = earlier.data.find((r) => toRefundStatus(r.status) !== 'failed');
            if (refund !== undefined) {
              return { id: refund.id, status: toRefundStatus(refund.status) } satisfies ProviderRefund;
            }
          }
          throw error;
        }
      }),

    verifyWebhook(rawBody: Buffer, headers: IncomingHttpHeaders): WebhookEvent {
      const signature = headers['stripe-signature'];
      if (typeof signature !== 'string' || signature === '') {
        throw new WebhookSignatureError('The webhook has no Stripe-Signature header.');
      }
      let event: Stripe.Event;
      try {
        event = stripe.webhooks.constructEvent(rawBody, signature, options.webhookSecret);
      } catch (error) {
        throw new WebhookSignatureError(error instanceof Error ? error.message : 'The webhook signature did not verify.');
      }
      return { id: event.id, type: event.type, paymentId: paymentIdOf(event) };
    },
  };
}

function apiAddress(apiBase: string | undefined): { host?: string; port?: number; protocol?: 'http' | 'https' } {
  if (apiBase === undefined) {
    return {};
  }
  const url = new URL(apiBase);
  const protocol = url.protocol === 'http:' ? 'http' : 'https';
  return { host: url.hostname, port: url.port === '' ? (protocol === 'http' ? 80 : 443) : Number(url.port), protocol };
}

/** Runs one SDK call, turning "Stripe is out of reach or broken" into ProviderUnavailableError; anything else is ours to fix and passes through. */
async function call<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    const sentence = unavailableSentence(error);
    if (sentence !== null) {
      throw new ProviderUnavailableError(sentence, { cause: error });
    }
    throw error;
  }
}

function unavailableSentence(error: unknown): string | null {
  if (error instanceof Stripe.errors.StripeConnectionError) {
    return stripeUnavailable.unreachable;
  }
  if (error instanceof Stripe.errors.StripeRateLimitError) {
    return stripeUnavailable.busy;
  }
  if (error instanceof Stripe.errors.StripeAuthenticationError) {
    return stripeUnavailable.refusedKey;
  }
  if (error instanceof Stripe.errors.StripeError && (error.statusCode ?? 0) >= 500) {
    return stripeUnavailable.failing;
  }
  return null;
}

function toPayment(intent: Stripe.PaymentIntent): ProviderPayment {
  const status = toPaymentStatus(intent.status);
  return {
    id: intent.id,
    status,
    amount: intent.amount,
    currency: intent.currency,
    clientSecret: intent.client_secret,
    // Stripe keeps the last decline on the intent after a later attempt
    // moves it on; it only explains a payment that is waiting for a card.
    lastError: status === 'requires_payment' ? (intent.last_payment_error?.message ?? null) : null,
  };
}

function toPaymentStatus(status: Stripe.PaymentIntent.Status): PaymentStatus {
  switch (status) {
    case 'requires_payment_method':
    case 'requires_confirmation':
      return 'requires_payment';
    case 'requires_action':
      return 'requires_action';
    // Boxoffice captures automatically, so requires_capture is a moment on
    // the way to succeeded: the outcome is not known yet.
    case 'processing':
    case 'requires_capture':
      return 'processing';
    case 'succeeded':
      return 'succeeded';
    case 'canceled':
      return 'canceled';
    default:
      // A status newer than this code: not a final one we know of, so the
      // order keeps waiting and asks again, rather than taking it as paid or lost.
      return 'processing';
  }
}

function toRefundStatus(status: string | null): RefundStatus {
  switch (status) {
    case 'succeeded':
      return 'succeeded';
    case 'failed':
    case 'canceled':
      return 'failed';
    case null:
    default:
      // pending, requires_action (or not said yet): the money is on its way back.
      return 'pending';
  }
}

/** payment_intent.* events carry the intent; charge.* and refund.* events carry an object that names it. */
function paymentIdOf(event: Stripe.Event): string | null {
  const object = event.data.object as unknown as Record<string, unknown>;
  if (event.type.startsWith('payment_intent.')) {
    return typeof object.id === 'string' ? object.id : null;
  }
  if (event.type.startsWith('charge.') || event.type.startsWith('refund.')) {
    const intent = object.payment_intent;
    if (typeof intent === 'string') {
      return intent;
    }
    if (typeof intent === 'object' && intent !== null && typeof (intent as { id?: unknown }).id === 'string') {
      return (intent as { id: string }).id;
    }
  }
  return null;
}
