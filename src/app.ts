import sseModule, { type SSEPluginOptions } from '@fastify/sse';
import Fastify, { type FastifyInstance, type FastifyPluginAsync } from 'fastify';
import type { Logger } from 'pino';
import { accountRoutes, authenticate, createSessionCache, SESSIONS_REVOKED_CHANNEL } from './accounts/index.ts';
import { bookingRoutes, createLayoutCache, createSeatPublisher, notifySeatChanges, releaseAllHolds, SEAT_EVENTS_CHANNEL, seatEventRoutes, showtimeSeats, startSeatEventHub } from './booking/index.ts';
import { catalogAdminRoutes, catalogRoutes } from './catalog/index.ts';
import { priceRanges, pricingRoutes } from './pricing/index.ts';
import { createPaymentProvider, ordersRoutes, startOrdersSweeper, type OrdersContext } from './orders/index.ts';
import type { Config } from './config.ts';
import { listenerConfig, type Database } from './db/database.ts';
import { startListener } from './db/listener.ts';
import { startReadDatabase } from './db/replica.ts';
import { clientErrorHandler, errorHandler, expectationFailedHandler, frameworkErrorHandler, closeConnectionsWhileClosing, RequestLogController } from './http/error-handler.ts';
import { healthRoutes } from './http/health.ts';
import { registerMetrics } from './http/metrics.ts';
import { registerNotFound } from './http/not-found.ts';
import { registerOpenApi } from './http/openapi.ts';
import { BODY_LIMIT_BYTES, registerSecurity, requestId } from './http/security.ts';
import { validatorCompiler } from './http/validation.ts';
import { registerWeb } from './http/web.ts';
import { registerCompression } from './http/compression.ts';

// @fastify/sse is CommonJS: its module.exports is the fastify-plugin-wrapped plugin (decorating every
// route's reply), which an ES default import receives, but its types describe that as the namespace.
const sse = sseModule as unknown as FastifyPluginAsync<SSEPluginOptions>;

export type AppDeps = { config: Config; db: Database; logger: Logger };

/**
 * A slow client (headers or body one byte at a time) gets a 408 once its
 * request has taken REQUEST_TIMEOUT_SECONDS (headers: HEADERS_TIMEOUT_SECONDS)
 * to arrive. These bound receiving a request only: an event stream's request
 * is complete when its headers are, and its answer may last for hours.
 * Fastify copies requestTimeout onto Node's server after creating it; Node's
 * own options are given too, so headersTimeout never exceeds it. Node looks
 * for late requests every connectionsCheckingInterval (30 s by default, which
 * would let a 30 s timeout run to almost a minute): once a second instead.
 */
function serverTimeouts(config: Config) {
  const requestTimeout = config.requestTimeoutSeconds * 1000;
  const headersTimeout = config.headersTimeoutSeconds * 1000;
  const keepAliveTimeout = config.keepAliveTimeoutSeconds * 1000;
  return {
    requestTimeout,
    keepAliveTimeout,
    // A socket with no byte either way for this long is closed; event streams send a heartbeat every 15 s.
    connectionTimeout: Math.max(60_000, requestTimeout),
    http: { requestTimeout, headersTimeout, keepAliveTimeout, connectionsCheckingInterval: 1_000 },
  };
}

/** The HTTP application: transport plugins first, then each domain's routes. No listening, no database lifecycle. */
export async function buildApp({ config, db, logger }: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: logger,
    genReqId: requestId,
    logController: new RequestLogController({ requestIdLogLabel: 'request_id' }),
    bodyLimit: BODY_LIMIT_BYTES,
    // TRUST_PROXY: request.ip/protocol/host from X-Forwarded-* (login limits, the Secure cookie, the CSRF origin check).
    trustProxy: config.trustProxy,
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 200 },
    // A request already received while closing gets its real answer, never a 503 (closeConnectionsWhileClosing).
    return503OnClosing: false,
    forceCloseConnections: 'idle',
    ajv: { customOptions: { coerceTypes: false } },
    frameworkErrors: frameworkErrorHandler,
    clientErrorHandler,
    ...serverTimeouts(config),
  }) as unknown as FastifyInstance;
  // Node closes a connection over the cap as soon as it is accepted.
  app.server.maxConnections = config.maxConnections;
  app.server.on('checkExpectation', expectationFailedHandler);

  app.setValidatorCompiler(validatorCompiler);
  app.setErrorHandler(errorHandler);
  registerNotFound(app);
  // Before every route it should compress (hooks apply to routes registered after them).
  await registerCompression(app);
  await registerOpenApi(app);
  await registerSecurity(app, config.rateLimits);
  // Catalog listings and staff reports may read a replica (READ_DATABASE_URL); seat decisions never do.
  const readDb = startReadDatabase(db, { url: config.readDatabaseUrl, maxLagSeconds: config.replicaMaxLagSeconds }, logger);
  app.addHook('onClose', () => readDb.close());
  const metrics = await registerMetrics(app, { db, readDb, token: config.metricsToken });
  app.decorateRequest('user', null);
  app.decorateRequest('sessionToken', null);
  closeConnectionsWhileClosing(app);
  await registerWeb(app); // before authentication: the web app's files need no session lookup
  // One LISTEN connection per process, for seat events and session revocations.
  const listenerSettings = listenerConfig(db, config.listenDatabaseUrl);
  if (listenerSettings === undefined) {
    throw new Error('buildApp needs a Database made by createDatabase, to open its notification listener.');
  }
  const listener = startListener(listenerSettings, [SEAT_EVENTS_CHANNEL, SESSIONS_REVOKED_CHANNEL], logger, { pingIntervalMs: config.listenerPingSeconds * 1_000 });
  const sessions = createSessionCache(listener);
  const hub = startSeatEventHub(listener);
  const cache = createLayoutCache(db, hub, logger);
  const publisher = createSeatPublisher((payloads) => notifySeatChanges(db, payloads), logger);
  app.addHook('onClose', async () => {
    await publisher.flush();
    cache.close();
    hub.close();
    await listener.close();
  });
  app.addHook('onRequest', authenticate(db, sessions));

  await app.register(healthRoutes, { db });
  // Logging out gives back the user's held seats (SPEC §6); accounts does not know about seats.
  await app.register(accountRoutes, { db, config, sessions, onLogout: (userId: number) => releaseAllHolds(db, userId, cache.apply) });
  await app.register(catalogRoutes, { reads: readDb.reads, priceRanges });
  await app.register(catalogAdminRoutes, { db, reads: readDb.reads, showtimeSeats, maxSeatsPerHall: config.maxSeatsPerHall });
  await app.register(pricingRoutes, { db });
  await app.register(bookingRoutes, { db, config, metrics, cache, publisher });
  // Checkout: orders own held seats while the payment runs (src/orders/README.md).
  const { provider, testProvider } = await createPaymentProvider(config.payments, db, logger);
  const orders: OrdersContext = {
    db,
    provider,
    paymentWindowSeconds: config.payments.windowSeconds,
    log: logger,
    onSeatChanges: (showId, events) => cache.apply(showId, events),
    onOutcome: (outcome) => metrics.orderOutcome(outcome),
  };
  // The test provider sends its webhooks through this server's own HTTP stack, signature check included.
  testProvider?.setDelivery(async (body, headers) => (await app.inject({ method: 'POST', url: '/api/payments/webhooks/test', payload: body, headers })).statusCode);
  await app.register(ordersRoutes, { ctx: orders, testProvider, writesPerMinute: config.rateLimits.seatWritesPerMinute });
  const ordersSweeper = startOrdersSweeper(orders, config.sweepIntervalSeconds);
  app.addHook('onClose', async () => {
    await ordersSweeper.stop();
    await testProvider?.idle();
  });
  // Event data is JSON text built once for every viewer; anything else is serialized here.
  await app.register(sse, { heartbeatInterval: 15_000, serializer: (data: unknown) => (typeof data === 'string' ? data : JSON.stringify(data)) });
  await app.register(seatEventRoutes, { hub, cache, config });
  return app;
}
