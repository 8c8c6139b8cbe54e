import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import cookie from '@fastify/cookie';
import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance } from 'fastify';
import type { RateLimits } from '../config.ts';
import { AppError } from '../shared/errors.ts';
import { httpErrors } from './error-handler.ts';

const saneRequestId = /^[A-Za-z0-9._:-]{1,128}$/;

/** Keeps a caller's x-request-id when it is sane, so one id follows a request across services. */
export function requestId(request: IncomingMessage): string {
  const incoming = request.headers['x-request-id'];
  return typeof incoming === 'string' && saneRequestId.test(incoming) ? incoming : randomUUID();
}

export const BODY_LIMIT_BYTES = 64 * 1024;

export async function registerSecurity(app: FastifyInstance, rateLimits: RateLimits): Promise<void> {
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  await app.register(helmet, {
    // The API serves JSON only; the docs UI and web app need their own inline assets.
    contentSecurityPolicy: false,
    crossOriginEmbedderPolicy: false,
  });
  await app.register(cookie);
  // A JSON API: a text/plain body (the one a cross-site form can send) is a 415, not a string to validate.
  app.removeContentTypeParser('text/plain');
  if (rateLimits.enabled) {
    await app.register(rateLimit, {
      global: false,
      // After authentication, so per-user limits can key on the user.
      hook: 'preHandler',
      errorResponseBuilder: (_request, context) =>
        new AppError(429, httpErrors.rateLimited(Math.max(1, Math.ceil(context.ttl / 1000)))),
    });
  }
}
