import type { PaymentProvider } from './provider.ts';

/** Placeholder until the Stripe implementation lands (branch `stripe`). */
export function createStripeProvider(_options: { secretKey: string; publishableKey: string | undefined; webhookSecret: string; apiBase: string | undefined }): PaymentProvider {
  throw new Error('The Stripe provider is not built yet; set PAYMENT_PROVIDER=test.');
}
