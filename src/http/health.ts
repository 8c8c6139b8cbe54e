import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { Type } from 'typebox';
import type { Database } from '../db/database.ts';
import { httpErrors } from './error-handler.ts';
import { ErrorReply } from './route-helpers.ts';

const CHECK_TIMEOUT_MS = 2_000;

/** GET /healthz: 200 when the database answers within 2 s, else 503. */
export async function healthRoutes(app: FastifyInstance, { db }: { db: Database }): Promise<void> {
  app.get(
    '/healthz',
    {
      schema: {
        tags: ['operations'],
        summary: 'Liveness and database reachability',
        response: { 200: Type.Object({ status: Type.Literal('ok') }), 503: ErrorReply },
      },
    },
    async (_request, reply) => {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<false>((resolve) => {
        timer = setTimeout(() => resolve(false), CHECK_TIMEOUT_MS);
      });
      const check = sql`SELECT 1`.execute(db).then(
        () => true,
        () => false,
      );
      const healthy = await Promise.race([check, timeout]);
      clearTimeout(timer);
      if (healthy) {
        return { status: 'ok' as const };
      }
      // As every other 503 while the database is away (error-handler.ts).
      return reply.code(503).header('retry-after', '5').send({ detail: httpErrors.databaseUnavailable });
    },
  );
}
