import type { FastifyRequest } from 'fastify';
import { Type, type TSchema } from 'typebox';

/** The body of every error: one sentence (SPEC §3). */
export const ErrorReply = Type.Object({ detail: Type.String() }, { $id: 'ErrorReply', description: 'One sentence a person can act on.' });

/** Response schemas for the listed error statuses, for a route's `schema.response`. */
export function errorReplies(...statuses: number[]): Record<number, TSchema> {
  return Object.fromEntries(statuses.map((status) => [status, ErrorReply]));
}

/** Database row ids: positive int4, so a huge number is a 400, not an overflow in SQL. */
export const Id = (description?: string) =>
  Type.Integer({ minimum: 1, maximum: 2_147_483_647, ...(description === undefined ? {} : { description }) });

/** `schema`, or null. */
export const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) => Type.Union([schema, Type.Null()]);

/** The params of a route `/…/:id`. */
export const IdParams = Type.Object({ id: Id() });

type RateKey = 'ip' | 'user';

/**
 * Route config for @fastify/rate-limit (ignored when RATE_LIMITS=off, since
 * the plugin is then not registered). Per-user limits key on the authenticated
 * user, falling back to the address for anonymous callers.
 */
export function rateLimitPerMinute(max: number, key: RateKey) {
  return {
    rateLimit: {
      max,
      timeWindow: 60_000,
      keyGenerator: (request: FastifyRequest) =>
        key === 'user' && request.user !== null ? `user:${request.user.id}` : `ip:${request.ip}`,
    },
  };
}
