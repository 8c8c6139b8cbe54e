import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import cookie from '@fastify/cookie';
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance } from 'fastify';
import helmet, { type HelmetOptions } from 'helmet';
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

/**
 * The web app is Vite's build: its own scripts, styles and modules, JSON
 * from /api and event streams from the same origin. Nothing inline (React's
 * `style` props go through the CSSOM, which style-src does not govern), no
 * eval, no other origin, no framing. No upgrade-insecure-requests: the
 * server speaks plain HTTP, and a visitor on http://192.168.x.x:3000 would
 * get every asset upgraded to an https that is not there.
 */
export const WEB_APP_CSP = {
  defaultSrc: ["'self'"],
  baseUri: ["'self'"],
  connectSrc: ["'self'"],
  fontSrc: ["'self'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
  imgSrc: ["'self'", 'data:'],
  manifestSrc: ["'self'"],
  objectSrc: ["'none'"],
  scriptSrc: ["'self'"],
  scriptSrcAttr: ["'none'"],
  styleSrc: ["'self'"],
} as const;

/**
 * With Stripe as the payment provider, the checkout page loads Stripe.js and
 * its Payment Element, which frames Stripe's pages and talks to Stripe's API:
 * the origins Stripe documents for a Content-Security-Policy, and no other.
 */
export const STRIPE_CSP = {
  scriptSrc: ['https://js.stripe.com'],
  frameSrc: ['https://js.stripe.com', 'https://hooks.stripe.com'],
  connectSrc: ['https://api.stripe.com'],
  imgSrc: ['https://*.stripe.com'],
} as const;

/** The web app's policy, with the payment provider's origins when it needs any. */
export function webAppCsp(paymentProvider: 'test' | 'stripe'): Record<string, readonly string[]> {
  if (paymentProvider !== 'stripe') {
    return WEB_APP_CSP;
  }
  const directives: Record<string, readonly string[]> = { ...WEB_APP_CSP };
  for (const [name, origins] of Object.entries(STRIPE_CSP)) {
    directives[name] = [...(directives[name] ?? ["'self'"]), ...origins];
  }
  return directives;
}

/**
 * Helmet's headers, computed once. Helmet's middleware only sets headers
 * that depend on its options, never on the request; @fastify/helmet builds
 * that middleware anew for every request (parsing every CSP directive
 * again), which was ~5% of the server's CPU on a hot-seat run. So helmet
 * runs once here against a recorder, and each answer gets the recorded set.
 */
export function securityHeaders(options: Readonly<HelmetOptions>): Record<string, string> {
  const headers: Record<string, string> = {};
  const recorder = {
    setHeader(name: string, value: string) {
      headers[name.toLowerCase()] = value;
    },
    removeHeader() {},
  };
  // Helmet throws on options it refuses, and calls next() with nothing once its headers are set.
  let finished = false;
  helmet(options)({} as IncomingMessage, recorder as unknown as ServerResponse, () => {
    finished = true;
  });
  if (!finished) {
    throw new Error('helmet did not finish synchronously; its headers can no longer be computed once.');
  }
  return headers;
}

export async function registerSecurity(app: FastifyInstance, rateLimits: RateLimits, paymentProvider: 'test' | 'stripe' = 'test'): Promise<void> {
  // For every answer; /docs replaces the CSP with its own in its onSend (registerOpenApi).
  const headers = securityHeaders({
    contentSecurityPolicy: { useDefaults: false, directives: webAppCsp(paymentProvider) },
    crossOriginEmbedderPolicy: false,
  });
  app.addHook('onRequest', (request, reply, done) => {
    reply.headers(headers);
    reply.header('x-request-id', request.id);
    done();
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
