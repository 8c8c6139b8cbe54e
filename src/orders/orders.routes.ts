import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { currentUser, requireStaff, requireUser } from '../accounts/index.ts';
import { errorReplies, IdParams, rateLimitPerMinute } from '../http/route-helpers.ts';
import { AppError } from '../shared/errors.ts';
import { fingerprintOf, idempotencyKeyOf, idempotent, type Answer } from './idempotency.ts';
import { ordersErrors } from './orders.errors.ts';
import {
  CheckoutConfig,
  CreateOrderBody,
  ListQuery,
  Order,
  OrderList,
  PaymentParams,
  ProviderParams,
  StaffOrderQuery,
  TestAuthenticateBody,
  TestConfirmBody,
  TestPaymentReply,
} from './orders.schemas.ts';
import * as orders from './orders.service.ts';
import type { OrdersContext } from './orders.service.ts';
import { TEST_CARDS, type TestProvider } from './payments/test-provider.ts';

const IdempotencyHeaders = {
  type: 'object',
  properties: { 'idempotency-key': { type: 'string', description: 'A new random UUID per attempt; the same key replays the first answer' } },
} as const;

/** Checkout (docs/checkout.md): orders, their payment, the provider's webhooks, and the staff's order desk. */
export async function ordersRoutes(
  app: FastifyInstance,
  { ctx, testProvider, writesPerMinute }: { ctx: OrdersContext; testProvider: TestProvider | undefined; writesPerMinute: number },
): Promise<void> {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();

  /** Runs a money-moving request once per Idempotency-Key (idempotency.ts). */
  const once = async (request: FastifyRequest, reply: FastifyReply, status: number, run: () => Promise<unknown>) => {
    const user = currentUser(request);
    const key = idempotencyKeyOf(request.headers['idempotency-key']);
    const answer = await idempotent(ctx.db, { userId: user.id, key, fingerprint: fingerprintOf(request.method, request.url, request.body) }, async (): Promise<Answer> => ({ status, body: await run() }));
    if (answer.replayed) {
      reply.header('idempotent-replayed', 'true');
    }
    return reply.code(answer.status).send(answer.body);
  };

  api.get(
    '/api/checkout/config',
    { schema: { tags: ['orders'], summary: 'Which payment provider this server uses, and what the payment form needs; public', response: { 200: CheckoutConfig } } },
    async () => ({
      provider: ctx.provider.name,
      publishable_key: ctx.provider.publishableKey,
      payment_window_seconds: ctx.paymentWindowSeconds,
      test_cards: ctx.provider.name === 'test' ? [...TEST_CARDS] : [],
    }),
  );

  api.post(
    '/api/orders',
    {
      onRequest: requireUser,
      config: rateLimitPerMinute(writesPerMinute, 'user'),
      schema: {
        tags: ['orders'],
        summary: 'Start a checkout for seats you hold: an order awaiting payment',
        security: [{ bearer: [] }],
        headers: IdempotencyHeaders,
        body: CreateOrderBody,
        response: { 201: Order, ...errorReplies(400, 401, 403, 404, 409, 422, 429) },
      },
    },
    (request, reply) => once(request, reply, 201, () => orders.createOrder(ctx, currentUser(request), request.body)),
  );

  api.get(
    '/api/orders/:id',
    {
      onRequest: requireUser,
      schema: { tags: ['orders'], summary: 'One order (its owner or staff)', security: [{ bearer: [] }], params: IdParams, response: { 200: Order, ...errorReplies(400, 401, 404) } },
    },
    (request) => orders.getOrder(ctx, request.params.id, currentUser(request)),
  );

  api.get(
    '/api/my-orders/',
    {
      onRequest: requireUser,
      schema: { tags: ['orders'], summary: 'Your orders, newest first', security: [{ bearer: [] }], querystring: ListQuery, response: { 200: OrderList, ...errorReplies(400, 401) } },
    },
    (request) => orders.listOrders(ctx, currentUser(request), { userId: currentUser(request).id, limit: request.query.limit, cursor: request.query.cursor }),
  );

  api.post(
    '/api/orders/:id/cancel',
    {
      onRequest: requireUser,
      schema: {
        tags: ['orders'],
        summary: 'Cancel an order awaiting payment: its seats are released and its payment cancelled',
        security: [{ bearer: [] }],
        params: IdParams,
        response: { 200: Order, ...errorReplies(400, 401, 404, 409, 503) },
      },
    },
    (request) => orders.cancelOrder(ctx, request.params.id, currentUser(request)),
  );

  api.post(
    '/api/orders/:id/check-payment',
    {
      onRequest: requireUser,
      schema: {
        tags: ['orders'],
        summary: 'Ask the payment provider about this order now (the browser calls it when the payment form reports success)',
        security: [{ bearer: [] }],
        params: IdParams,
        response: { 200: Order, ...errorReplies(400, 401, 404, 503) },
      },
    },
    (request) => orders.checkPayment(ctx, request.params.id, currentUser(request)),
  );

  api.get(
    '/api/admin/orders',
    {
      onRequest: requireStaff,
      schema: {
        tags: ['orders'],
        summary: 'Staff: orders, newest first, by order or booking reference, showtime or status',
        security: [{ bearer: [] }],
        querystring: StaffOrderQuery,
        response: { 200: OrderList, ...errorReplies(400, 401, 403) },
      },
    },
    (request) => {
      const { limit, cursor, reference, show_id, status } = request.query;
      return orders.listOrders(ctx, currentUser(request), {
        limit,
        cursor,
        ...(reference === undefined ? {} : { reference }),
        ...(show_id === undefined ? {} : { showId: show_id }),
        ...(status === undefined ? {} : { status }),
      });
    },
  );

  api.post(
    '/api/admin/orders/:id/mark-paid',
    {
      onRequest: requireStaff,
      schema: {
        tags: ['orders'],
        summary: 'Staff: a box-office order was paid at the till; its seats are booked',
        security: [{ bearer: [] }],
        headers: IdempotencyHeaders,
        params: IdParams,
        response: { 200: Order, ...errorReplies(400, 401, 403, 404, 409, 422) },
      },
    },
    (request, reply) => once(request, reply, 200, () => orders.markPaidAtBoxOffice(ctx, request.params.id, currentUser(request))),
  );

  // Webhooks: the signature is over the exact bytes sent, so this route reads its body raw.
  await app.register(async (hooks) => {
    hooks.removeAllContentTypeParsers();
    hooks.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: 256 * 1024 }, (_request, body, done) => done(null, body));
    hooks.withTypeProvider<TypeBoxTypeProvider>().post(
      '/api/payments/webhooks/:provider',
      {
        schema: {
          tags: ['orders'],
          summary: "The payment provider's webhook (signed)",
          params: ProviderParams,
          response: { 200: { type: 'object', properties: { received: { type: 'boolean' } } }, ...errorReplies(400, 404, 503) },
        },
      },
      async (request) => {
        if (!Buffer.isBuffer(request.body)) {
          throw new AppError(400, ordersErrors.badSignature);
        }
        await orders.receiveWebhook(ctx, request.params.provider, request.body, request.headers);
        return { received: true };
      },
    );
  });

  if (testProvider === undefined) {
    return;
  }
  // The test provider's own API, as the browser calls a provider's: the client secret authorises.
  const answer = (reply: FastifyReply, result: Awaited<ReturnType<TestProvider['confirm']>>) => {
    if (!result.ok) {
      throw new AppError(result.status, result.message);
    }
    return reply.send({ status: result.status, message: result.message });
  };
  api.post(
    '/api/test-provider/payments/:payment_id/confirm',
    {
      // Card numbers are tried one request each: bounded like every other write.
      config: rateLimitPerMinute(writesPerMinute, 'ip'),
      schema: {
        tags: ['test provider'],
        summary: 'Test provider: pay with a test card (the card number chooses the outcome)',
        params: PaymentParams,
        body: TestConfirmBody,
        response: { 200: TestPaymentReply, ...errorReplies(400, 404, 409) },
      },
    },
    async (request, reply) => answer(reply, await testProvider.confirm(request.params.payment_id, request.body.client_secret, request.body.card_number)),
  );
  api.post(
    '/api/test-provider/payments/:payment_id/authenticate',
    {
      schema: {
        tags: ['test provider'],
        summary: 'Test provider: approve or reject the 3-D Secure step',
        params: PaymentParams,
        body: TestAuthenticateBody,
        response: { 200: TestPaymentReply, ...errorReplies(400, 404, 409) },
      },
    },
    async (request, reply) => answer(reply, await testProvider.authenticate(request.params.payment_id, request.body.client_secret, request.body.approve)),
  );
}
