import type { Logger } from 'pino';
import type { Payments } from '../../config.ts';
import type { Database } from '../../db/database.ts';
import type { PaymentProvider } from './provider.ts';
import { createTestProvider, type TestProvider } from './test-provider.ts';

/** The provider PAYMENT_PROVIDER names; the test provider is also returned apart, for its own routes. */
export async function createPaymentProvider(payments: Payments, db: Database, log: Logger): Promise<{ provider: PaymentProvider; testProvider: TestProvider | undefined }> {
  if (payments.provider === 'stripe' && payments.stripe !== undefined) {
    const { createStripeProvider } = await import('./stripe-provider.ts');
    return { provider: createStripeProvider(payments.stripe), testProvider: undefined };
  }
  const testProvider = createTestProvider(db, { lateSeconds: payments.testLateSeconds, webhookSecret: payments.testWebhookSecret, log });
  return { provider: testProvider, testProvider };
}
