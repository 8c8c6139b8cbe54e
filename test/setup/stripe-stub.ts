import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import Stripe from 'stripe';

/**
 * A stand-in for Stripe's API on 127.0.0.1 and a free port, speaking the few
 * endpoints the Stripe provider calls, as the official SDK calls them
 * (form-encoded bodies, Bearer key, Idempotency-Key), with Stripe-shaped
 * error bodies. Tests point the provider at it with `apiBase: stub.url` (or
 * spread `stub.providerOptions`), move intents with the controls below, and
 * sign webhook deliveries with `stub.webhook(...)`.
 *
 * It keeps what Stripe keeps that the checkout relies on: an Idempotency-Key
 * replays its first answer (header `Idempotent-Replayed: true`), the same key
 * with other parameters is Stripe's 400 idempotency_error, a succeeded intent
 * cannot be canceled (400 payment_intent_unexpected_state, the intent in the
 * error), an intent is refunded at most once in full.
 */
export type StripeStub = {
  /** Give it to the provider as `apiBase`. */
  url: string;
  secretKey: string;
  publishableKey: string;
  webhookSecret: string;
  /** `{secretKey, publishableKey, webhookSecret, apiBase}` for createStripeProvider. */
  providerOptions: { secretKey: string; publishableKey: string; webhookSecret: string; apiBase: string };

  /** The intent as the stub holds it now (a Stripe PaymentIntent object); throws if there is none. */
  intent(id: string): StubIntent;
  /** Every intent created, oldest first. */
  intents(): StubIntent[];
  /** Every refund created, oldest first. */
  refunds(): StubRefund[];
  /** HTTP requests received per endpoint, replays and refusals included (failed ones from failNext too). */
  calls: Record<StubEndpoint, number>;
  /** Every request received, oldest first: its endpoint, its decoded form parameters and its Idempotency-Key. */
  requests: StubRequest[];

  /** The moviegoer paid: status succeeded. */
  succeed(id: string): StubIntent;
  /** The card was declined: back to requires_payment_method with last_payment_error.message. */
  decline(id: string, message?: string): StubIntent;
  /** The bank wants 3-D Secure: requires_action. */
  requireAction(id: string): StubIntent;
  /** Accepted, outcome later: processing. */
  setProcessing(id: string): StubIntent;
  /**
   * The next `times` requests (any endpoint) fail before reaching "Stripe":
   * with that HTTP status and a Stripe api_error body, or, with 'network', by
   * dropping the connection without an answer. Nothing is created or changed.
   */
  failNext(failure: number | 'network', times?: number): void;
  /** Forgets failures queued by failNext that no request has used up yet. */
  clearFailures(): void;

  /**
   * A signed webhook delivery for the intent `intentId`: event JSON `{id: evt_…,
   * object: 'event', type, data: {object}}` where the object is the intent
   * (payment_intent.*), a charge of it (charge.*) or a refund of it (refund.*,
   * charge.refund.*), with headers `content-type` and `stripe-signature`
   * (stripe.webhooks.generateTestHeaderString with the stub's webhook secret,
   * or `secret`, at `timestamp` seconds, now by default). POST it to the
   * app's `webhookPath`.
   */
  webhook(type: string, intentId: string, options?: { secret?: string; timestamp?: number }): StubWebhook;
  /** Posts `webhook(type, intentId, options)` to `${appBaseUrl}${webhookPath}`; the app's answer. */
  sendWebhook(appBaseUrl: string, type: string, intentId: string, options?: { secret?: string; timestamp?: number }): Promise<Response>;

  close(): Promise<void>;
};

export const webhookPath = '/api/payments/webhooks/stripe';

export type StubEndpoint = 'createIntent' | 'retrieveIntent' | 'cancelIntent' | 'createRefund' | 'listRefunds' | 'unknown';
export type StubRequest = { endpoint: StubEndpoint; method: string; path: string; params: FormParams; idempotencyKey: string | null };
export type StubWebhook = { event: { id: string; type: string; data: { object: Record<string, unknown> } }; body: string; headers: Record<string, string> };
export type StubIntent = {
  id: string;
  object: 'payment_intent';
  amount: number;
  currency: string;
  status: 'requires_payment_method' | 'requires_confirmation' | 'requires_action' | 'processing' | 'requires_capture' | 'succeeded' | 'canceled';
  client_secret: string;
  description: string | null;
  metadata: Record<string, string>;
  automatic_payment_methods: { enabled: boolean } | null;
  last_payment_error: { type: string; code: string; decline_code: string; message: string } | null;
  next_action: { type: string } | null;
  latest_charge: string | null;
  amount_received: number;
  cancellation_reason: string | null;
  canceled_at: number | null;
  created: number;
  livemode: false;
};
export type StubRefund = {
  id: string;
  object: 'refund';
  amount: number;
  currency: string;
  payment_intent: string;
  charge: string | null;
  status: 'succeeded';
  created: number;
};

type FormParams = { [key: string]: string | FormParams };
type Answer = { status: number; body: unknown; headers?: Record<string, string> };

const now = () => Math.floor(Date.now() / 1000);
const newId = (prefix: string) => `${prefix}_${randomBytes(12).toString('hex')}`;
const stripeError = (status: number, error: Record<string, unknown>): Answer => ({ status, body: { error } });

export async function startStripeStub({
  secretKey = 'sk_test_boxoffice_stub',
  publishableKey = 'pk_test_boxoffice_stub',
  webhookSecret = 'whsec_boxoffice_stub',
}: { secretKey?: string; publishableKey?: string; webhookSecret?: string } = {}): Promise<StripeStub> {
  const intents = new Map<string, StubIntent>();
  const refunds: StubRefund[] = [];
  const idempotent = new Map<string, { fingerprint: string; answer: Answer }>();
  const calls: Record<StubEndpoint, number> = { createIntent: 0, retrieveIntent: 0, cancelIntent: 0, createRefund: 0, listRefunds: 0, unknown: 0 };
  const requests: StubRequest[] = [];
  const failures: (number | 'network')[] = [];
  const sockets = new Set<Socket>();

  const intent = (id: string) => {
    const found = intents.get(id);
    if (found === undefined) {
      throw new Error(`The Stripe stub has no PaymentIntent ${id}.`);
    }
    return found;
  };
  const noSuchIntent = (id: string) =>
    stripeError(404, { type: 'invalid_request_error', code: 'resource_missing', param: 'intent', message: `No such payment_intent: '${id}'` });

  function createIntent(params: FormParams): Answer {
    const amount = Number(params.amount);
    if (typeof params.amount !== 'string' || !Number.isInteger(amount) || amount < 1) {
      return stripeError(400, { type: 'invalid_request_error', code: 'parameter_invalid_integer', param: 'amount', message: 'Invalid integer: amount' });
    }
    if (typeof params.currency !== 'string' || !/^[a-zA-Z]{3}$/.test(params.currency)) {
      return stripeError(400, { type: 'invalid_request_error', code: 'parameter_missing', param: 'currency', message: 'Missing required param: currency.' });
    }
    const id = newId('pi');
    const apm = params.automatic_payment_methods;
    const created: StubIntent = {
      id,
      object: 'payment_intent',
      amount,
      // Stripe answers with the code in lower case whatever it was sent; tests read what was sent in `requests`.
      currency: params.currency.toLowerCase(),
      status: 'requires_payment_method',
      client_secret: `${id}_secret_${randomBytes(12).toString('hex')}`,
      description: typeof params.description === 'string' ? params.description : null,
      metadata: typeof params.metadata === 'object' ? Object.fromEntries(Object.entries(params.metadata).filter((entry): entry is [string, string] => typeof entry[1] === 'string')) : {},
      automatic_payment_methods: typeof apm === 'object' ? { enabled: apm.enabled === 'true' } : null,
      last_payment_error: null,
      next_action: null,
      latest_charge: null,
      amount_received: 0,
      cancellation_reason: null,
      canceled_at: null,
      created: now(),
      livemode: false,
    };
    intents.set(id, created);
    return { status: 200, body: created };
  }

  function cancelIntent(id: string, params: FormParams): Answer {
    const found = intents.get(id);
    if (found === undefined) {
      return noSuchIntent(id);
    }
    // Stripe cancels these; processing only "in rare cases", which the stub leaves out.
    const cancelable = ['requires_payment_method', 'requires_capture', 'requires_confirmation', 'requires_action'];
    if (!cancelable.includes(found.status)) {
      return stripeError(400, {
        type: 'invalid_request_error',
        code: 'payment_intent_unexpected_state',
        message: `You cannot cancel this PaymentIntent because it has a status of ${found.status}. Only a PaymentIntent with one of the following statuses may be canceled: ${cancelable.join(', ')}.`,
        payment_intent: { ...found },
      });
    }
    Object.assign(found, {
      status: 'canceled',
      canceled_at: now(),
      cancellation_reason: typeof params.cancellation_reason === 'string' ? params.cancellation_reason : null,
      next_action: null,
    });
    return { status: 200, body: found };
  }

  function createRefund(params: FormParams): Answer {
    const id = typeof params.payment_intent === 'string' ? params.payment_intent : null;
    if (id === null) {
      return stripeError(400, { type: 'invalid_request_error', code: 'parameter_missing', message: 'One of the following params should be provided for this request: payment_intent or charge.' });
    }
    const found = intents.get(id);
    if (found === undefined) {
      return noSuchIntent(id);
    }
    if (found.status !== 'succeeded') {
      return stripeError(400, { type: 'invalid_request_error', message: `This PaymentIntent (${id}) does not have a successful charge to refund.` });
    }
    if (refunds.some((r) => r.payment_intent === id)) {
      return stripeError(400, { type: 'invalid_request_error', code: 'charge_already_refunded', message: `Charge ${found.latest_charge} has already been refunded.` });
    }
    const refund: StubRefund = { id: newId('re'), object: 'refund', amount: found.amount, currency: found.currency, payment_intent: id, charge: found.latest_charge, status: 'succeeded', created: now() };
    refunds.push(refund);
    return { status: 200, body: refund };
  }

  function listRefunds(params: FormParams): Answer {
    const id = typeof params.payment_intent === 'string' ? params.payment_intent : null;
    const limit = typeof params.limit === 'string' ? Number(params.limit) : 10;
    // Stripe lists newest first.
    const data = refunds.filter((r) => id === null || r.payment_intent === id).reverse().slice(0, limit);
    return { status: 200, body: { object: 'list', url: '/v1/refunds', has_more: false, data } };
  }

  function route(method: string, path: string): { endpoint: StubEndpoint; run: (params: FormParams) => Answer } {
    if (method === 'POST' && path === '/v1/payment_intents') {
      return { endpoint: 'createIntent', run: createIntent };
    }
    const retrieve = method === 'GET' ? /^\/v1\/payment_intents\/([^/]+)$/.exec(path) : null;
    if (retrieve !== null) {
      const id = decodeURIComponent(retrieve[1]!);
      return { endpoint: 'retrieveIntent', run: () => (intents.has(id) ? { status: 200, body: intent(id) } : noSuchIntent(id)) };
    }
    const cancel = method === 'POST' ? /^\/v1\/payment_intents\/([^/]+)\/cancel$/.exec(path) : null;
    if (cancel !== null) {
      const id = decodeURIComponent(cancel[1]!);
      return { endpoint: 'cancelIntent', run: (params) => cancelIntent(id, params) };
    }
    if (method === 'POST' && path === '/v1/refunds') {
      return { endpoint: 'createRefund', run: createRefund };
    }
    if (method === 'GET' && path === '/v1/refunds') {
      return { endpoint: 'listRefunds', run: listRefunds };
    }
    return {
      endpoint: 'unknown',
      run: () => stripeError(404, { type: 'invalid_request_error', message: `Unrecognized request URL (${method}: ${path}). The Stripe stub speaks only the endpoints the provider uses.` }),
    };
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://stub');
    const method = request.method ?? 'GET';
    const raw = await readBody(request);
    const params = parseForm(method === 'GET' ? url.search.slice(1) : raw);
    const header = request.headers['idempotency-key'];
    const idempotencyKey = typeof header === 'string' ? header : null;
    const { endpoint, run } = route(method, url.pathname);
    calls[endpoint] += 1;
    requests.push({ endpoint, method, path: url.pathname, params, idempotencyKey });

    const failure = failures.shift();
    if (failure === 'network') {
      request.socket.destroy();
      return;
    }
    if (failure !== undefined) {
      send(response, stripeError(failure, { type: 'api_error', message: `Simulated outage: the Stripe stub answered ${failure}.` }));
      return;
    }
    if (request.headers.authorization !== `Bearer ${secretKey}`) {
      send(response, stripeError(401, { type: 'invalid_request_error', message: 'Invalid API Key provided.' }));
      return;
    }
    // Stripe keeps a POST's answer under its key (per account) and replays it;
    // a GET needs no key. The fingerprint is the endpoint and the parameters.
    if (method === 'POST' && idempotencyKey !== null) {
      const fingerprint = `${method} ${url.pathname} ${raw}`;
      const kept = idempotent.get(idempotencyKey);
      if (kept !== undefined) {
        if (kept.fingerprint !== fingerprint) {
          send(response, stripeError(400, {
            type: 'idempotency_error',
            message: `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${idempotencyKey}' if you meant to execute a different request.`,
          }));
          return;
        }
        send(response, { ...kept.answer, headers: { ...kept.answer.headers, 'Idempotent-Replayed': 'true' } });
        return;
      }
      const answer = run(params);
      idempotent.set(idempotencyKey, { fingerprint, answer: { ...answer, body: structuredClone(answer.body) } });
      send(response, answer);
      return;
    }
    send(response, run(params));
  }

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      send(response, stripeError(500, { type: 'api_error', message: `Stripe stub failure: ${String(error)}` }));
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;

  const move = (id: string, change: Partial<StubIntent>) => Object.assign(intent(id), change);
  const webhook: StripeStub['webhook'] = (type, intentId, options = {}) => {
    const pi = intent(intentId);
    const charge = pi.latest_charge ?? newId('ch');
    const object: Record<string, unknown> = type.startsWith('payment_intent.')
      ? { ...pi }
      : type.startsWith('refund.') || type.startsWith('charge.refund.')
        ? { ...(refunds.find((r) => r.payment_intent === intentId) ?? { id: newId('re'), object: 'refund', amount: pi.amount, currency: pi.currency, status: 'succeeded' }), payment_intent: intentId }
        : { id: charge, object: 'charge', amount: pi.amount, currency: pi.currency, payment_intent: intentId, status: pi.status === 'succeeded' ? 'succeeded' : 'pending' };
    const event = { id: newId('evt'), object: 'event', api_version: '2026-11-18.endive', created: now(), livemode: false, type, data: { object } };
    const body = JSON.stringify(event);
    const signature = Stripe.webhooks.generateTestHeaderString({ payload: body, secret: options.secret ?? webhookSecret, ...(options.timestamp === undefined ? {} : { timestamp: options.timestamp }) });
    return { event, body, headers: { 'content-type': 'application/json', 'stripe-signature': signature } };
  };

  return {
    url,
    secretKey,
    publishableKey,
    webhookSecret,
    providerOptions: { secretKey, publishableKey, webhookSecret, apiBase: url },
    intent,
    intents: () => [...intents.values()],
    refunds: () => [...refunds],
    calls,
    requests,
    succeed: (id) => move(id, { status: 'succeeded', last_payment_error: null, next_action: null, latest_charge: newId('ch'), amount_received: intent(id).amount }),
    decline: (id, message = 'Your card was declined.') =>
      move(id, { status: 'requires_payment_method', next_action: null, last_payment_error: { type: 'card_error', code: 'card_declined', decline_code: 'generic_decline', message } }),
    requireAction: (id) => move(id, { status: 'requires_action', next_action: { type: 'use_stripe_sdk' } }),
    setProcessing: (id) => move(id, { status: 'processing', next_action: null }),
    failNext: (failure, times = 1) => {
      for (let i = 0; i < times; i += 1) {
        failures.push(failure);
      }
    },
    clearFailures: () => {
      failures.length = 0;
    },
    webhook,
    sendWebhook: (appBaseUrl, type, intentId, options) => {
      const { body, headers } = webhook(type, intentId, options);
      return fetch(`${appBaseUrl}${webhookPath}`, { method: 'POST', headers, body });
    },
    close: async () => {
      for (const socket of sockets) {
        socket.destroy();
      }
      await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    },
  };
}

function send(response: ServerResponse, answer: Answer): void {
  const body = JSON.stringify(answer.body);
  response.writeHead(answer.status, { 'content-type': 'application/json', 'request-id': newId('req'), ...answer.headers });
  response.end(body);
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) {
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Stripe's form encoding: `metadata[order_id]=7&automatic_payment_methods[enabled]=true` → nested objects (list indexes stay keys). */
function parseForm(encoded: string): FormParams {
  const result: FormParams = {};
  for (const [key, value] of new URLSearchParams(encoded)) {
    const path = key.split(/[[\]]+/).filter((part) => part !== '');
    let node = result;
    path.forEach((part, index) => {
      if (index === path.length - 1) {
        node[part] = value;
        return;
      }
      const next = node[part];
      node = typeof next === 'object' ? next : (node[part] = {});
    });
  }
  return result;
}
