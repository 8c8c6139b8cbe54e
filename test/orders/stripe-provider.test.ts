import { randomUUID } from 'node:crypto';
import { createServer as createHttpServer } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProviderUnavailableError, WebhookSignatureError, type CreatePayment, type PaymentProvider } from '../../src/orders/payments/provider.ts';
import { createStripeProvider, stripeUnavailable } from '../../src/orders/payments/stripe-provider.ts';
import { startStripeStub, webhookPath, type StripeStub } from '../setup/stripe-stub.ts';

// The Stripe provider through the official SDK and real HTTP, against the
// local stub of Stripe's API (test/setup/stripe-stub.ts).

let stub: StripeStub;
let stripe: PaymentProvider;

beforeAll(async () => {
  stub = await startStripeStub();
  stripe = createStripeProvider(stub.providerOptions);
});
afterAll(() => stub.close());

let nextOrderId = 1;
const payment = (overrides: Partial<CreatePayment> = {}): CreatePayment => {
  const orderId = nextOrderId++;
  return {
    orderId,
    reference: `REF${orderId}`,
    amount: 2350,
    currency: 'EUR',
    idempotencyKey: randomUUID(),
    description: `Boxoffice order REF${orderId}: 2 tickets`,
    ...overrides,
  };
};
const created = async () => stripe.createPayment(payment());
const rejection = async (promise: Promise<unknown>) => promise.then(() => { throw new Error('expected a rejection'); }, (error: unknown) => error);

describe('createPayment', () => {
  it('when an order starts a payment, then Stripe gets a PaymentIntent of its amount in minor units, lower-case currency, automatic payment methods, metadata and the idempotency key', async () => {
    const input = payment({ orderId: 4711, reference: '7KQ2M9XD', amount: 1999, description: 'Boxoffice order 7KQ2M9XD' });
    const result = await stripe.createPayment(input);

    expect(result).toEqual({ id: expect.stringMatching(/^pi_/), status: 'requires_payment', amount: 1999, currency: 'eur', clientSecret: expect.stringMatching(/^pi_.+_secret_/), lastError: null });
    const sent = stub.requests.at(-1)!;
    expect(sent).toMatchObject({ endpoint: 'createIntent', idempotencyKey: input.idempotencyKey });
    expect(sent.params).toEqual({
      amount: '1999',
      currency: 'eur',
      automatic_payment_methods: { enabled: 'true' },
      description: 'Boxoffice order 7KQ2M9XD',
      metadata: { order_id: '4711', reference: '7KQ2M9XD' },
    });
    expect(stub.intent(result.id)).toMatchObject({ amount: 1999, currency: 'eur', client_secret: result.clientSecret });
  });

  it('when the same payment is created twice with one idempotency key, then it is one PaymentIntent', async () => {
    const input = payment();
    const before = { intents: stub.intents().length, calls: stub.calls.createIntent };

    const first = await stripe.createPayment(input);
    const second = await stripe.createPayment(input);

    expect(second.id).toBe(first.id);
    expect(second.clientSecret).toBe(first.clientSecret);
    expect(stub.calls.createIntent - before.calls).toBe(2);
    expect(stub.intents().length - before.intents).toBe(1);
  });

  it('when one idempotency key comes with another amount, then Stripe refuses it and no second intent is made', async () => {
    const input = payment();
    await stripe.createPayment(input);
    const count = stub.intents().length;

    const error = await rejection(stripe.createPayment({ ...input, amount: input.amount + 100 }));

    expect(error).not.toBeInstanceOf(ProviderUnavailableError);
    expect(String(error)).toMatch(/Keys for idempotent requests can only be used with the same parameters/);
    expect(stub.intents().length).toBe(count);
  });
});

describe('retrievePayment', () => {
  it('when the moviegoer paid, then the payment is succeeded', async () => {
    const { id } = await created();
    stub.succeed(id);
    expect(await stripe.retrievePayment(id)).toMatchObject({ id, status: 'succeeded', lastError: null });
  });

  it('when the card was declined, then the payment waits for another card and says why', async () => {
    const { id } = await created();
    stub.decline(id, 'Your card has insufficient funds.');
    expect(await stripe.retrievePayment(id)).toMatchObject({ id, status: 'requires_payment', lastError: 'Your card has insufficient funds.' });
  });

  it('when a declined card is followed by one that needs authentication, then the old decline is not shown', async () => {
    const { id } = await created();
    stub.decline(id, 'Your card was declined.');
    stub.requireAction(id);
    expect(await stripe.retrievePayment(id)).toMatchObject({ id, status: 'requires_action', lastError: null });
  });

  it.each([
    ['requires_payment_method', 'requires_payment'],
    ['requires_confirmation', 'requires_payment'],
    ['requires_action', 'requires_action'],
    ['processing', 'processing'],
    ['requires_capture', 'processing'],
    ['succeeded', 'succeeded'],
    ['canceled', 'canceled'],
  ] as const)('when the PaymentIntent is %s, then the payment is %s', async (stripeStatus, status) => {
    const { id } = await created();
    stub.intent(id).status = stripeStatus;
    expect((await stripe.retrievePayment(id)).status).toBe(status);
  });

  it('when the intent does not exist, then Stripe\'s 404 passes through (not an outage)', async () => {
    const error = await rejection(stripe.retrievePayment('pi_nothing'));
    expect(error).not.toBeInstanceOf(ProviderUnavailableError);
    expect(String(error)).toMatch(/No such payment_intent/);
  });
});

describe('cancelPayment', () => {
  it('when a pending payment is canceled, then it is canceled at Stripe', async () => {
    const { id } = await created();
    const key = randomUUID();

    expect(await stripe.cancelPayment(id, key)).toMatchObject({ id, status: 'canceled' });
    expect(stub.intent(id).status).toBe('canceled');
    expect(stub.requests.at(-1)).toMatchObject({ endpoint: 'cancelIntent', idempotencyKey: key });
  });

  it('when a payment needing authentication is canceled, then it is canceled', async () => {
    const { id } = await created();
    stub.requireAction(id);
    expect(await stripe.cancelPayment(id, randomUUID())).toMatchObject({ id, status: 'canceled' });
  });

  it('when the payment already succeeded, then cancel answers succeeded instead of throwing, and the money stays', async () => {
    const { id } = await created();
    stub.succeed(id);

    expect(await stripe.cancelPayment(id, randomUUID())).toMatchObject({ id, status: 'succeeded' });
    expect(stub.intent(id).status).toBe('succeeded');
  });

  it('when the payment is processing, then Stripe does not cancel it and it comes back processing: the caller reads the status', async () => {
    const { id } = await created();
    stub.setProcessing(id);
    expect(await stripe.cancelPayment(id, randomUUID())).toMatchObject({ id, status: 'processing' });
    expect(stub.intent(id).status).toBe('processing');
  });

  it('when a canceled payment is canceled again under another key, then it answers canceled', async () => {
    const { id } = await created();
    await stripe.cancelPayment(id, randomUUID());
    expect(await stripe.cancelPayment(id, randomUUID())).toMatchObject({ id, status: 'canceled' });
  });
});

describe('refundPayment', () => {
  it('when a succeeded payment is refunded twice under one key, then Stripe makes exactly one full refund', async () => {
    const { id, amount } = await created();
    stub.succeed(id);
    const key = randomUUID();
    const before = stub.calls.createRefund;

    const first = await stripe.refundPayment(id, key);
    const second = await stripe.refundPayment(id, key);

    expect(first).toEqual({ id: expect.stringMatching(/^re_/), status: 'succeeded' });
    expect(second).toEqual(first);
    expect(stub.calls.createRefund - before).toBe(2);
    expect(stub.refunds().filter((r) => r.payment_intent === id)).toEqual([expect.objectContaining({ id: first.id, amount })]);
    expect(stub.requests.at(-1)).toMatchObject({ endpoint: 'createRefund', idempotencyKey: key, params: { payment_intent: id } });
  });

  it('when a refunded payment is refunded again under another key, then the answer is the first refund and no second one is made', async () => {
    const { id } = await created();
    stub.succeed(id);
    const first = await stripe.refundPayment(id, randomUUID());

    expect(await stripe.refundPayment(id, randomUUID())).toEqual(first);
    expect(stub.refunds().filter((r) => r.payment_intent === id)).toHaveLength(1);
  });

  it('when the payment has not succeeded, then Stripe\'s refusal passes through (not an outage)', async () => {
    const { id } = await created();
    const error = await rejection(stripe.refundPayment(id, randomUUID()));
    expect(error).not.toBeInstanceOf(ProviderUnavailableError);
    expect(String(error)).toMatch(/does not have a successful charge to refund/);
  });
});

describe('verifyWebhook', () => {
  const deliver = (body: string | Buffer, headers: Record<string, string>) => stripe.verifyWebhook(Buffer.isBuffer(body) ? body : Buffer.from(body), headers);
  const refused = (body: string | Buffer, headers: Record<string, string>) => {
    try {
      deliver(body, headers);
    } catch (error) {
      return error;
    }
    throw new Error('expected the webhook to be refused');
  };

  it('when a payment_intent event is signed with the webhook secret, then it is accepted with the intent as its payment', async () => {
    const { id } = await created();
    stub.succeed(id);
    const { event, body, headers } = stub.webhook('payment_intent.succeeded', id);
    expect(deliver(body, headers)).toEqual({ id: event.id, type: 'payment_intent.succeeded', paymentId: id });
    expect(event.id).toMatch(/^evt_/);
  });

  it('when sendWebhook posts a delivery over HTTP, then the raw body and the headers as node:http receives them verify', async () => {
    const { id } = await created();
    stub.succeed(id);
    const seen: unknown[] = [];
    const receiver = createHttpServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        try {
          seen.push({ path: request.url, verified: stripe.verifyWebhook(Buffer.concat(chunks), request.headers) });
          response.end('{"received":true}');
        } catch (error) {
          seen.push({ path: request.url, refused: String(error) });
          response.writeHead(400).end();
        }
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const { port } = receiver.address() as AddressInfo;
    try {
      const reply = await stub.sendWebhook(`http://127.0.0.1:${port}`, 'payment_intent.succeeded', id);
      expect(reply.status).toBe(200);
    } finally {
      await new Promise((resolve) => receiver.close(resolve));
    }
    expect(seen).toEqual([{ path: webhookPath, verified: { id: expect.stringMatching(/^evt_/), type: 'payment_intent.succeeded', paymentId: id } }]);
  });

  it.each(['charge.succeeded', 'charge.refunded', 'charge.refund.updated', 'refund.created'])('when a %s event arrives, then its payment is the intent it names', async (type) => {
    const { id } = await created();
    stub.succeed(id);
    const { body, headers } = stub.webhook(type, id);
    expect(deliver(body, headers)).toMatchObject({ type, paymentId: id });
  });

  it('when an event is about no payment, then paymentId is null', () => {
    const body = JSON.stringify({ id: 'evt_customer', object: 'event', type: 'customer.created', data: { object: { id: 'cus_1', object: 'customer' } } });
    const signature = Stripe.webhooks.generateTestHeaderString({ payload: body, secret: stub.webhookSecret });
    expect(deliver(body, { 'stripe-signature': signature })).toEqual({ id: 'evt_customer', type: 'customer.created', paymentId: null });
  });

  it('when the signed body was modified, then it is refused', async () => {
    const { id } = await created();
    const { body, headers } = stub.webhook('payment_intent.succeeded', id);
    const forged = body.replace('"payment_intent.succeeded"', '"payment_intent.canceled"');
    expect(forged).not.toBe(body);
    expect(refused(forged, headers)).toBeInstanceOf(WebhookSignatureError);
  });

  it('when the body is signed with another secret, then it is refused', async () => {
    const { id } = await created();
    const { body, headers } = stub.webhook('payment_intent.succeeded', id, { secret: 'whsec_someone_else' });
    expect(refused(body, headers)).toBeInstanceOf(WebhookSignatureError);
  });

  it('when the signature is older than Stripe\'s tolerance (5 minutes), then it is refused', async () => {
    const { id } = await created();
    const { body, headers } = stub.webhook('payment_intent.succeeded', id, { timestamp: Math.floor(Date.now() / 1000) - 600 });
    expect(refused(body, headers)).toBeInstanceOf(WebhookSignatureError);
  });

  it('when the Stripe-Signature header is missing or garbage, then it is refused', async () => {
    const { id } = await created();
    const { body } = stub.webhook('payment_intent.succeeded', id);
    expect(refused(body, {})).toBeInstanceOf(WebhookSignatureError);
    expect(refused(body, { 'stripe-signature': 'nonsense' })).toBeInstanceOf(WebhookSignatureError);
  });
});

describe('when Stripe is out of reach', () => {
  it('when Stripe answers 503 on the first try only, then the SDK retries under the same key and one intent is made', async () => {
    const before = stub.intents().length;
    stub.failNext(503);
    const input = payment();

    const result = await stripe.createPayment(input);

    expect(stub.intents().length - before).toBe(1);
    expect(stub.intent(result.id).metadata.order_id).toBe(String(input.orderId));
    expect(stub.requests.slice(-2).map((r) => r.idempotencyKey)).toEqual([input.idempotencyKey, input.idempotencyKey]);
  });

  it('when Stripe keeps answering 500, then it is ProviderUnavailableError with a sentence to act on, and nothing is made', async () => {
    const before = stub.intents().length;
    stub.failNext(500, 5);
    const error = await rejection(stripe.createPayment(payment()));
    stub.clearFailures();

    expect(error).toBeInstanceOf(ProviderUnavailableError);
    expect((error as Error).message).toBe(stripeUnavailable.failing);
    expect(stub.intents().length).toBe(before);
  });

  it('when the connection drops on every try, then it is ProviderUnavailableError: unreachable', async () => {
    const { id } = await created();
    stub.failNext('network', 5);
    const error = await rejection(stripe.retrievePayment(id));
    stub.clearFailures();

    expect(error).toBeInstanceOf(ProviderUnavailableError);
    expect((error as Error).message).toBe(stripeUnavailable.unreachable);
  });

  it('when nothing listens at the API address, then refund is ProviderUnavailableError: unreachable', async () => {
    const offline = createStripeProvider({ ...stub.providerOptions, apiBase: `http://127.0.0.1:${await closedPort()}` });
    const error = await rejection(offline.refundPayment('pi_any', randomUUID()));
    expect(error).toBeInstanceOf(ProviderUnavailableError);
    expect((error as Error).message).toBe(stripeUnavailable.unreachable);
  });

  it('when Stripe refuses the secret key, then it is ProviderUnavailableError telling the operator to check STRIPE_SECRET_KEY', async () => {
    const wrongKey = createStripeProvider({ ...stub.providerOptions, secretKey: 'sk_test_wrong' });
    const error = await rejection(wrongKey.cancelPayment('pi_any', randomUUID()));
    expect(error).toBeInstanceOf(ProviderUnavailableError);
    expect((error as Error).message).toBe(stripeUnavailable.refusedKey);
  });
});

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
