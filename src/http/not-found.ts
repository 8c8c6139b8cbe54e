import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { HTTPMethod } from 'find-my-way';
import FindMyWay from 'find-my-way';
import { httpErrors } from './error-handler.ts';

/**
 * Unknown routes answer 404 JSON; a known path with the wrong method answers
 * 405 with an Allow header. Fastify's router only says "no match", so the
 * routes are mirrored into a second router that we can ask per method.
 */
export function registerNotFound(app: FastifyInstance): void {
  // Same trailing-slash rule as the app's router, so GET /api/hold-seat is a 405 like GET /api/hold-seat/.
  const mirror = FindMyWay({ ignoreTrailingSlash: true });
  const methods = new Set<string>();
  app.addHook('onRoute', (route) => {
    const routeMethods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of routeMethods as HTTPMethod[]) {
      methods.add(method);
      if (!mirror.hasRoute(method, route.url)) {
        mirror.on(method, route.url, () => undefined);
      }
    }
  });

  app.setNotFoundHandler((request: FastifyRequest, reply: FastifyReply) => {
    const path = request.url.split('?')[0] ?? '/';
    const allowed = [...methods].filter((method) => mirror.find(method as HTTPMethod, path) !== null);
    if (allowed.length > 0) {
      return reply
        .code(405)
        .header('allow', allowed.join(', '))
        .send({ detail: `Method ${request.method} is not allowed here; use ${allowed.join(' or ')}.` });
    }
    return reply.code(404).send({ detail: httpErrors.notFound });
  });
}
