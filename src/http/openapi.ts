import { STATUS_CODES } from 'node:http';
import swagger, { type SwaggerTransform } from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import type { TSchema } from 'typebox';
import { ErrorReply } from './route-helpers.ts';

/**
 * Swagger UI's page loads only its own files from /docs/static and the
 * document from /docs/json; its logo is a data: image. The one hash is the
 * <style> element Swagger UI's React tree inserts while it renders
 * (@fastify/swagger-ui 6.1): a newer Swagger UI with another one makes the
 * browser test of /docs fail and print the new hash.
 */
const DOCS_CSP =
  "default-src 'self'; base-uri 'self'; connect-src 'self'; font-src 'self' data:; form-action 'self'; frame-ancestors 'self'; " +
  "img-src 'self' data:; object-src 'none'; script-src 'self'; script-src-attr 'none'; " +
  "style-src 'self' 'sha256-RL3ie0nH+Lzz2YNqQN83mnU0J1ot4QL7b99vMdIX99w='";

/** What each error status means anywhere in the API (SPEC §3); the body is always `{detail}`. */
const errorMeanings: Record<string, string> = {
  '400': 'Malformed input; `detail` names the field.',
  '401': 'Not authenticated: send `Authorization: Bearer <token>` or the session cookie.',
  '403': 'Not allowed.',
  '404': 'Unknown show, seat or resource.',
  '409': 'Conflict with the current state; `detail` says which.',
  '413': 'The request body is too large.',
  '415': 'The request body is not JSON.',
  '429': 'Rate limited; `detail` says when to try again.',
  '503': 'The database is unreachable (answered within 5 s, with `Retry-After`).',
};

/** A response's description in the document: the schema's own, else what its status means here. */
function described(status: string, reply: TSchema): TSchema {
  if (reply !== ErrorReply && (reply as { description?: string }).description !== undefined) {
    return reply;
  }
  return { ...reply, description: errorMeanings[status] ?? STATUS_CODES[Number(status)] ?? status };
}

/**
 * The route schemas say what is particular to a route; the answers the
 * transport gives any route are added here, for the document only (the
 * route's own schema, which Fastify compiled, is left alone): 503 when the
 * database is gone, 413/415 for a body, 429 where a rate limit applies.
 */
const documentTransportErrors: SwaggerTransform = ({ schema, url, route }) => {
  if (schema === undefined || (schema as { hide?: boolean }).hide === true) {
    return { schema, url };
  }
  const own = (schema.response ?? {}) as Record<string, TSchema>;
  const statuses = new Set(['503']);
  if (schema.body !== undefined) {
    statuses.add('400').add('413').add('415');
  }
  if ((route.config as { rateLimit?: unknown } | undefined)?.rateLimit !== undefined) {
    statuses.add('429');
  }
  const response: Record<string, TSchema> = {};
  for (const [status, reply] of Object.entries(own)) {
    response[status] = described(status, reply);
  }
  for (const status of statuses) {
    response[status] ??= described(status, ErrorReply);
  }
  return { schema: { ...schema, response }, url };
};

/** OpenAPI 3.1 generated from the route schemas: /openapi.json and an interactive UI at /docs. */
export async function registerOpenApi(app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Boxoffice API',
        version: '0.1.0',
        description:
          'Movie ticket booking that never sells a seat twice. Errors are `{"detail": "<one sentence>"}`. ' +
          'Every response carries `x-request-id`: send a sane one (letters, digits, `._:-`, up to 128) and it is kept, else one is made.',
      },
      components: {
        securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'The token from POST /api/auth/login' } },
      },
    },
    transform: documentTransportErrors,
  });
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: DOCS_CSP });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}
