import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, testConfig, type TestApp } from '../setup/app.ts';
import { checkout, orderReaches } from '../setup/checkout.ts';
import { createShow, createUsers, showSeatRows } from '../setup/factories.ts';
import { startStripeStub, type StripeStub } from '../setup/stripe-stub.ts';

/** The whole checkout against the Stripe implementation: the official SDK talking to a local stub of Stripe's API. */
let stub: StripeStub;
let app: TestApp;

beforeAll(async () => {
  stub = await startStripeStub();
  const base = testConfig();
  app = await startTestApp({ payments: { ...base.payments, provider: 'stripe', stripe: stub.providerOptions } });
});
afterAll(async () => {
  await app.close();
  await stub.close();
});

const count = async (query: ReturnType<typeof sql<{ n: number }>>) => (await query.execute(app.db)).rows[0]?.n;
const deliver = (webhook: { body: string; headers: Record<string, string> }) =>
  app.http.send('POST', '/api/payments/webhooks/stripe', undefined, { rawBody: webhook.body, headers: webhook.headers });

describe('checkout with Stripe', () => {
  it('when an order starts, then a PaymentIntent is created for its total with the order as idempotency key, and the browser gets its client secret and the publishable key', async () => {
    const { showId, seatIds } = await createShow(app.db);
    const [user] = await createUsers(app.db, 1);
    const order = await checkout(app, user!, showId, [seatIds[0]!, seatIds[1]!]);
    const intent = stub.intent(order.payment.id);
    expect(intent).toMatchObject({ amount: order.total.amount, currency: 'eur', status: 'requires_payment_method' });
    expect(order.payment).toMatchObject({ provider: 'stripe', client_secret: intent.client_secret });
    expect(stub.requests.find((r) => r.endpoint === 'createIntent')?.idempotencyKey).toBe(`boxoffice-order-${order.id}-payment`);
    expect((await app.http.get('/api/checkout/config')).body).toMatchObject({ provider: 'stripe', publishable_key: stub.providerOptions.publishableKey, test_cards: [] });
  });

  it('when Stripe says the payment succeeded, then the signed webhook confirms the order; a replay and a forged body change nothing', async () => {
    const { showId, seatIds } = await createShow(app.db);
    const [user] = await createUsers(app.db, 1);
    const order = await checkout(app, user!, showId, [seatIds[0]!]);
    // Signed, but Stripe has not taken the money: the state is read from the API, so nothing happens.
    expect((await deliver(stub.webhook('payment_intent.succeeded', order.payment.id))).status).toBe(200);
    expect((await showSeatRows(app.db, showId))[0]?.status).toBe('held');
    stub.succeed(order.payment.id);
    const forged = stub.webhook('payment_intent.succeeded', order.payment.id, { secret: 'whsec_not_ours' });
    expect((await deliver(forged)).status).toBe(400);
    expect((await showSeatRows(app.db, showId))[0]?.status).toBe('held');
    const real = stub.webhook('payment_intent.succeeded', order.payment.id);
    expect((await deliver(real)).status).toBe(200);
    expect((await deliver(real)).status).toBe(200);
    await orderReaches(app, user!, order.id, 'paid');
    expect(await count(sql`SELECT count(*)::int AS n FROM bookings WHERE order_id = ${order.id}`)).toBe(1);
  });

  it('when a declined card leaves the intent waiting, then check-payment shows the decline and the seats stay held', async () => {
    const { showId, seatIds } = await createShow(app.db);
    const [user] = await createUsers(app.db, 1);
    const order = await checkout(app, user!, showId, [seatIds[0]!]);
    stub.decline(order.payment.id, 'Your card was declined.');
    const checked = await app.http.post(`/api/orders/${order.id}/check-payment`, undefined, { token: user!.token });
    expect(checked.body).toMatchObject({ status: 'pending_payment', payment: { status: 'requires_payment', last_error: 'Your card was declined.' } });
    expect((await showSeatRows(app.db, showId))[0]?.status).toBe('held');
  });

  it('when the payment succeeds after the seat went to someone else, then Stripe refunds it exactly once, whatever is delivered again', async () => {
    const { showId, seatIds } = await createShow(app.db);
    const [late, other] = await createUsers(app.db, 2);
    const order = await checkout(app, late!, showId, [seatIds[0]!]);
    await sql`UPDATE orders SET expires_at = now() - interval '1 second' WHERE id = ${order.id}`.execute(app.db);
    await sql`UPDATE show_seats SET locked_until = now() - interval '1 second' WHERE showtime_id = ${showId} AND status = 'held'`.execute(app.db);
    await expect.poll(async () => ((await app.http.get(`/api/hall-layout/${showId}/`)).body.seats as { status: string }[]).some((s) => s.status === 'held')).toBe(false);
    await checkout(app, other!, showId, [seatIds[0]!]);
    stub.succeed(order.payment.id);
    const event = stub.webhook('payment_intent.succeeded', order.payment.id);
    expect((await deliver(event)).status).toBe(200);
    expect((await deliver(event)).status).toBe(200);
    expect((await deliver(stub.webhook('charge.succeeded', order.payment.id))).status).toBe(200);
    await app.http.post(`/api/orders/${order.id}/check-payment`, undefined, { token: late!.token });
    const refunded = await orderReaches(app, late!, order.id, 'refunded');
    expect(refunded.payment.status).toBe('refunded');
    expect(stub.refunds()).toHaveLength(1);
    expect(stub.requests.filter((r) => r.endpoint === 'createRefund').map((r) => r.idempotencyKey)).toEqual([`boxoffice-order-${order.id}-refund`]);
    expect(await count(sql`SELECT count(*)::int AS n FROM bookings WHERE showtime_id = ${showId}`)).toBe(0);
  });

  it('when Stripe is unreachable at checkout, then the order still holds the seats, says so, and check-payment creates the payment later', async () => {
    const { showId, seatIds } = await createShow(app.db);
    const [user] = await createUsers(app.db, 1);
    stub.failNext('network', 4);
    const order = await checkout(app, user!, showId, [seatIds[0]!]);
    expect(order.payment).toMatchObject({ id: null, last_error: 'The payment provider could not be reached; try again in a moment (your seats stay held).' });
    stub.clearFailures();
    const later = await app.http.post(`/api/orders/${order.id}/check-payment`, undefined, { token: user!.token });
    expect(later.body.payment).toMatchObject({ id: expect.stringMatching(/^pi_/), status: 'requires_payment', last_error: null });
  });

  it('when Stripe is unreachable while a payment is checked or a webhook arrives, then 503 with Retry-After and nothing changes; the next delivery confirms', async () => {
    const { showId, seatIds } = await createShow(app.db);
    const [user] = await createUsers(app.db, 1);
    const order = await checkout(app, user!, showId, [seatIds[0]!]);
    stub.succeed(order.payment.id);
    stub.failNext('network', 4);
    const checked = await app.http.post(`/api/orders/${order.id}/check-payment`, undefined, { token: user!.token });
    expect([checked.status, checked.headers['retry-after'], checked.body.detail]).toEqual([503, '5', 'The payment provider could not be reached; try again in a moment (your seats stay held).']);
    stub.failNext('network', 4);
    const event = stub.webhook('payment_intent.succeeded', order.payment.id);
    expect((await deliver(event)).status).toBe(503);
    expect((await showSeatRows(app.db, showId))[0]?.status).toBe('held');
    stub.clearFailures();
    expect((await deliver(event)).status).toBe(200);
    await orderReaches(app, user!, order.id, 'paid');
  });
});

describe("the web app's Content-Security-Policy with Stripe", () => {
  it("when Stripe takes payments, then the page may load Stripe.js, frame Stripe's pages and call its API, and nothing else besides its own origin", async () => {
    const policy = String((await app.http.get('/')).headers['content-security-policy']);
    expect(policy).toContain("script-src 'self' https://js.stripe.com");
    expect(policy).toContain("frame-src 'self' https://js.stripe.com https://hooks.stripe.com");
    expect(policy).toContain("connect-src 'self' https://api.stripe.com");
    expect(policy).toContain("default-src 'self'");
  });
});

describe('payment configuration', () => {
  it('when nothing is set, the test provider takes payments; a Stripe key makes it Stripe, which needs all three keys; bad values fail in one line', async () => {
    const { loadConfig } = await import('../../src/config.ts');
    expect(loadConfig({}).payments).toMatchObject({ provider: 'test', windowSeconds: 600, stripe: undefined });
    const keys = { STRIPE_SECRET_KEY: 'sk_test_x', STRIPE_PUBLISHABLE_KEY: 'pk_test_x', STRIPE_WEBHOOK_SECRET: 'whsec_x' };
    expect(loadConfig(keys).payments).toMatchObject({ provider: 'stripe', stripe: { secretKey: 'sk_test_x', publishableKey: 'pk_test_x', webhookSecret: 'whsec_x' } });
    expect(loadConfig({ ...keys, PAYMENT_PROVIDER: 'test' }).payments.provider).toBe('test');
    expect(() => loadConfig({ STRIPE_SECRET_KEY: 'sk_test_x' })).toThrow(/^PAYMENT_PROVIDER=stripe needs STRIPE_SECRET_KEY/);
    expect(() => loadConfig({ PAYMENT_PROVIDER: 'paypal' })).toThrow('PAYMENT_PROVIDER must be "test" or "stripe", got "paypal".');
    expect(() => loadConfig({ PAYMENT_WINDOW_SECONDS: '5' })).toThrow('PAYMENT_WINDOW_SECONDS must be between 10 and 7200, got 5.');
    expect(() => loadConfig({ ...keys, STRIPE_API_BASE: 'stripe.local/v1' })).toThrow(/^STRIPE_API_BASE must be a scheme and host/);
  });
});
