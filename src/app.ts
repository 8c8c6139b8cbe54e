import Fastify, { LogController, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { accountRoutes, authenticate } from './accounts/index.ts';
import { bookingRoutes } from './booking/index.ts';
import { catalogAdminRoutes, catalogRoutes } from './catalog/index.ts';
import type { Config } from './config.ts';
import type { Database } from './db/database.ts';
import { clientErrorHandler, errorHandler, frameworkErrorHandler, refuseWhileClosing } from './http/error-handler.ts';
import { healthRoutes } from './http/health.ts';
import { registerMetrics } from './http/metrics.ts';
import { registerNotFound } from './http/not-found.ts';
import { registerOpenApi } from './http/openapi.ts';
import { BODY_LIMIT_BYTES, registerSecurity, requestId } from './http/security.ts';
import { validatorCompiler } from './http/validation.ts';

export type AppDeps = { config: Config; db: Database; logger: Logger };

/** The HTTP application: transport plugins first, then each domain's routes. No listening, no database lifecycle. */
export async function buildApp({ config, db, logger }: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: logger,
    genReqId: requestId,
    logController: new LogController({ requestIdLogLabel: 'request_id' }),
    bodyLimit: BODY_LIMIT_BYTES,
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 200 },
    // Fastify's own closing 503 has its own body shape; ours below answers {detail}.
    return503OnClosing: false,
    forceCloseConnections: 'idle',
    ajv: { customOptions: { coerceTypes: false } },
    frameworkErrors: frameworkErrorHandler,
    clientErrorHandler,
  }) as unknown as FastifyInstance;

  app.setValidatorCompiler(validatorCompiler);
  app.setErrorHandler(errorHandler);
  registerNotFound(app);
  await registerOpenApi(app);
  await registerSecurity(app, config.rateLimits);
  const metrics = await registerMetrics(app, { db });
  app.decorateRequest('user', null);
  app.decorateRequest('sessionToken', null);
  refuseWhileClosing(app);
  app.addHook('onRequest', authenticate(db));

  await app.register(healthRoutes, { db });
  await app.register(accountRoutes, { db, config });
  await app.register(catalogRoutes, { db });
  await app.register(catalogAdminRoutes, { db });
  await app.register(bookingRoutes, { db, config, metrics });
  return app;
}
