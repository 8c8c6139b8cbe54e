import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { Logger } from 'pino';
import type { Database } from '../../db/database.ts';
import {
  WebhookSignatureError,
  type CreatePayment,
  type PaymentProvider,
  type PaymentStatus,
  type ProviderPayment,
  type ProviderRefund,
} from './provider.ts';

/**
 * The built-in test provider: the embedded default, so the whole checkout
 * works after `npm ci && npm start` with no account anywhere. It behaves like
 * a card processor living next door: its payments are rows of its own table
 * (test_provider_payments, what a real provider keeps at home), the browser
 * confirms a payment with its client secret and a card number, and the
 * outcome is chosen by the number (TEST_CARDS). It tells the server through
 * signed webhooks, delivered over the server's own HTTP stack, and retried
 * like a real provider's when they are not answered 2xx.
 */

export type TestCardOutcome = 'succeeds' | 'declined' | 'authentication' | 'late' | 'webhook_twice' | 'out_of_order';

export const TEST_CARDS: readonly { number: string; outcome: TestCardOutcome; description: string }[] = [
  { number: '4242 4242 4242 4242', outcome: 'succeeds', description: 'Succeeds.' },
  { number: '4000 0000 0000 0002', outcome: 'declined', description: 'Declined: the order stays open, try another card.' },
  { number: '4000 0025 0000 3155', outcome: 'authentication', description: 'Asks for authentication (3-D Secure) first.' },
  { number: '4000 0000 0000 0259', outcome: 'late', description: 'Accepted, and succeeds late (after TEST_PROVIDER_LATE_SECONDS).' },
  { number: '4000 0000 0000 0077', outcome: 'webhook_twice', description: 'Succeeds; its webhook is delivered twice.' },
  { number: '4000 0000 0000 0085', outcome: 'out_of_order', description: 'Succeeds; its events arrive out of order.' },
];

export const testProviderMessages = {
  declined: 'Your card was declined; try another card.',
  authenticationFailed: 'Your bank could not authenticate this payment; try again or use another card.',
  unknownCard: 'This is not one of the test provider’s cards; use 4242 4242 4242 4242 (the list is on the payment page).',
  badSecret: 'This payment’s client secret does not match.',
  notFound: 'Payment not found.',
  notAwaitingCard: (status: string) => `This payment is ${status.replace('_', ' ')}, not waiting for a card.`,
  notAwaitingAuthentication: 'This payment is not waiting for authentication.',
} as const;

export const TEST_SIGNATURE_HEADER = 'boxoffice-test-signature';
const SIGNATURE_TOLERANCE_SECONDS = 300;

export type TestWebhookDelivery = (body: string, headers: Record<string, string>) => Promise<number>;

export type TestProvider = PaymentProvider & {
  /** Where webhooks go: set by the app once its routes exist (an in-process HTTP request). */
  setDelivery(deliver: TestWebhookDelivery): void;
  confirm(id: string, clientSecret: string, cardNumber: string): Promise<ConfirmAnswer>;
  authenticate(id: string, clientSecret: string, approve: boolean): Promise<ConfirmAnswer>;
  /** A signed webhook body and headers, as the provider sends them (tests forge and replay with it). */
  sign(body: string, timestamp?: number): Record<string, string>;
  /** Webhook deliveries not finished yet (tests and shutdown wait for them). */
  idle(): Promise<void>;
};

export type ConfirmAnswer = { ok: true; status: PaymentStatus; message: string | null } | { ok: false; status: 400 | 404 | 409; message: string };

type PaymentRow = {
  id: string;
  client_secret: string;
  amount: number;
  currency: string;
  status: PaymentStatus;
  last_error: string | null;
  card_outcome: TestCardOutcome | null;
};

const digits = (cardNumber: string) => cardNumber.replace(/[\s-]/g, '');
const outcomeOf = (cardNumber: string) => TEST_CARDS.find((card) => digits(card.number) === digits(cardNumber))?.outcome;
const randomId = (prefix: string) => `${prefix}_${randomBytes(12).toString('hex')}`;

export function createTestProvider(db: Database, options: { lateSeconds: number; webhookSecret: string; log: Logger }): TestProvider {
  let deliver: TestWebhookDelivery | undefined;
  const deliveries = new Set<Promise<void>>();
  const timers = new Set<NodeJS.Timeout>();

  const sign = (body: string, timestamp = Math.floor(Date.now() / 1000)): Record<string, string> => {
    const signature = createHmac('sha256', options.webhookSecret).update(`${timestamp}.${body}`).digest('hex');
    return { 'content-type': 'application/json', [TEST_SIGNATURE_HEADER]: `t=${timestamp},v1=${signature}` };
  };

  /** Sends one event, retrying like a provider does while it is not answered 2xx (3 tries). */
  const send = (body: string, attempt = 1): void => {
    const delivery = (async () => {
      const status = deliver === undefined ? 0 : await deliver(body, sign(body)).catch(() => 0);
      if ((status < 200 || status >= 300) && attempt < 3) {
        const timer = setTimeout(() => {
          timers.delete(timer);
          send(body, attempt + 1);
        }, 1_000 * 4 ** (attempt - 1));
        timer.unref();
        timers.add(timer);
      } else if (status < 200 || status >= 300) {
        options.log.warn({ status }, 'the test provider gave up delivering a webhook; the orders sweep will ask for the payment');
      }
    })();
    deliveries.add(delivery);
    void delivery.finally(() => deliveries.delete(delivery));
  };

  const event = (type: string, paymentId: string) => JSON.stringify({ id: randomId('evt'), type, payment_id: paymentId, created: Math.floor(Date.now() / 1000) });

  const later = (ms: number, run: () => void) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      run();
    }, ms);
    timer.unref();
    timers.add(timer);
  };

  const find = async (id: string): Promise<PaymentRow | undefined> => {
    // A late payment succeeds once its time has come, whoever asks first.
    await db
      .updateTable('test_provider_payments')
      .set({ status: 'succeeded' })
      .where('id', '=', id)
      .where('status', '=', 'processing')
      .where('succeeds_at', '<=', new Date())
      .execute();
    const row = await db
      .selectFrom('test_provider_payments')
      .select(['id', 'client_secret', 'amount', 'currency', 'status', 'last_error', 'card_outcome'])
      .where('id', '=', id)
      .executeTakeFirst();
    return row === undefined ? undefined : ({ ...row, currency: row.currency.trim() } as PaymentRow);
  };

  const view = (row: PaymentRow): ProviderPayment => ({
    id: row.id,
    status: row.status,
    amount: row.amount,
    currency: row.currency,
    clientSecret: row.client_secret,
    lastError: row.last_error,
  });

  const authorised = async (id: string, clientSecret: string): Promise<PaymentRow | ConfirmAnswer> => {
    const row = await find(id);
    if (row === undefined) {
      return { ok: false, status: 404, message: testProviderMessages.notFound };
    }
    const given = Buffer.from(clientSecret);
    const expected = Buffer.from(row.client_secret);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      return { ok: false, status: 400, message: testProviderMessages.badSecret };
    }
    return row;
  };

  const setStatus = (id: string, status: PaymentStatus, fields: { last_error?: string | null; card_outcome?: TestCardOutcome; succeeds_at?: Date } = {}) =>
    db.updateTable('test_provider_payments').set({ status, ...fields }).where('id', '=', id).execute();

  const succeed = async (row: PaymentRow, outcome: TestCardOutcome): Promise<ConfirmAnswer> => {
    await setStatus(row.id, 'succeeded', { last_error: null, card_outcome: outcome });
    if (outcome === 'out_of_order') {
      send(event('payment.succeeded', row.id));
      later(200, () => send(event('payment.processing', row.id)));
    } else {
      const succeeded = event('payment.succeeded', row.id);
      send(succeeded);
      if (outcome === 'webhook_twice') {
        later(200, () => send(succeeded));
      }
    }
    return { ok: true, status: 'succeeded', message: null };
  };

  return {
    name: 'test',
    publishableKey: null,
    setDelivery(next) {
      deliver = next;
    },
    sign,

    async createPayment(input: CreatePayment) {
      await db
        .insertInto('test_provider_payments')
        .values({
          id: randomId('tp'),
          idempotency_key: input.idempotencyKey,
          client_secret: `secret_${randomBytes(18).toString('hex')}`,
          amount: input.amount,
          currency: input.currency,
          status: 'requires_payment',
        })
        .onConflict((oc) => oc.column('idempotency_key').doNothing())
        .execute();
      const row = await db.selectFrom('test_provider_payments').select('id').where('idempotency_key', '=', input.idempotencyKey).executeTakeFirstOrThrow();
      const payment = await find(row.id);
      if (payment === undefined || payment.amount !== input.amount || payment.currency !== input.currency) {
        throw new Error(`the test provider's idempotency key ${input.idempotencyKey} was used for another amount`);
      }
      return view(payment);
    },

    async retrievePayment(id) {
      const row = await find(id);
      if (row === undefined) {
        throw new Error(`the test provider has no payment ${id}`);
      }
      return view(row);
    },

    async cancelPayment(id) {
      await db
        .updateTable('test_provider_payments')
        .set({ status: 'canceled' })
        .where('id', '=', id)
        .where('status', 'in', ['requires_payment', 'requires_action'])
        .execute();
      return this.retrievePayment(id);
    },

    async refundPayment(id): Promise<ProviderRefund> {
      // One refund per payment, whatever the key: a second call finds the first.
      const [row] = await db
        .updateTable('test_provider_payments')
        .set((eb) => ({ refund_id: eb.fn.coalesce('refund_id', eb.val(randomId('re'))) }))
        .where('id', '=', id)
        .where('status', '=', 'succeeded')
        .returning('refund_id')
        .execute();
      if (row === undefined || row.refund_id === null) {
        throw new Error(`the test provider cannot refund ${id}: it has not succeeded`);
      }
      return { id: row.refund_id, status: 'succeeded' };
    },

    verifyWebhook(rawBody: Buffer, headers: IncomingHttpHeaders) {
      const header = headers[TEST_SIGNATURE_HEADER];
      const parts = Object.fromEntries(
        String(header ?? '')
          .split(',')
          .map((part) => part.split('=', 2) as [string, string]),
      );
      const timestamp = Number(parts['t']);
      if (!Number.isInteger(timestamp) || typeof parts['v1'] !== 'string') {
        throw new WebhookSignatureError(`The ${TEST_SIGNATURE_HEADER} header is missing or malformed.`);
      }
      if (Math.abs(Date.now() / 1000 - timestamp) > SIGNATURE_TOLERANCE_SECONDS) {
        throw new WebhookSignatureError('The webhook signature is too old; it may be a replay.');
      }
      const expected = Buffer.from(createHmac('sha256', options.webhookSecret).update(`${timestamp}.`).update(rawBody).digest('hex'));
      const given = Buffer.from(parts['v1']);
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
        throw new WebhookSignatureError('The webhook signature does not match its body.');
      }
      let parsed: { id?: unknown; type?: unknown; payment_id?: unknown } | null;
      try {
        parsed = JSON.parse(rawBody.toString('utf8')) as typeof parsed;
      } catch {
        parsed = null;
      }
      if (parsed === null || typeof parsed.id !== 'string' || typeof parsed.type !== 'string') {
        throw new WebhookSignatureError('The webhook body has no event id or type.');
      }
      return { id: parsed.id, type: parsed.type, paymentId: typeof parsed.payment_id === 'string' ? parsed.payment_id : null };
    },

    async confirm(id, clientSecret, cardNumber) {
      const row = await authorised(id, clientSecret);
      if ('ok' in row) {
        return row;
      }
      if (row.status !== 'requires_payment') {
        return { ok: false, status: 409, message: testProviderMessages.notAwaitingCard(row.status) };
      }
      const outcome = outcomeOf(cardNumber);
      switch (outcome) {
        case undefined:
          return { ok: false, status: 400, message: testProviderMessages.unknownCard };
        case 'declined':
          await setStatus(id, 'requires_payment', { last_error: testProviderMessages.declined, card_outcome: outcome });
          send(event('payment.failed', id));
          return { ok: true, status: 'requires_payment', message: testProviderMessages.declined };
        case 'authentication':
          await setStatus(id, 'requires_action', { last_error: null, card_outcome: outcome });
          return { ok: true, status: 'requires_action', message: null };
        case 'late':
          await setStatus(id, 'processing', { last_error: null, card_outcome: outcome, succeeds_at: new Date(Date.now() + options.lateSeconds * 1000) });
          send(event('payment.processing', id));
          later(options.lateSeconds * 1000, () => void find(id).then(() => send(event('payment.succeeded', id))));
          return { ok: true, status: 'processing', message: null };
        case 'succeeds':
        case 'webhook_twice':
        case 'out_of_order':
          return succeed(row, outcome);
      }
    },

    async authenticate(id, clientSecret, approve) {
      const row = await authorised(id, clientSecret);
      if ('ok' in row) {
        return row;
      }
      if (row.status !== 'requires_action') {
        return { ok: false, status: 409, message: testProviderMessages.notAwaitingAuthentication };
      }
      if (!approve) {
        await setStatus(id, 'requires_payment', { last_error: testProviderMessages.authenticationFailed });
        send(event('payment.failed', id));
        return { ok: true, status: 'requires_payment', message: testProviderMessages.authenticationFailed };
      }
      return succeed(row, 'authentication');
    },

    async idle() {
      while (deliveries.size > 0) {
        await Promise.all(deliveries);
      }
    },
  };
}
