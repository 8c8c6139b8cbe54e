import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Config } from '../config.ts';
import type { Database } from '../db/database.ts';
import { errorReplies, rateLimitPerMinute } from '../http/route-helpers.ts';
import { Credentials, LoginBody, LoginReply, RegisterReply, User } from './accounts.schemas.ts';
import * as accounts from './accounts.service.ts';
import { currentUser, requireUser, sessionCookieName } from './auth.ts';
import { createPasswordHasher } from './passwords.ts';

import type { SessionCache } from './session-cache.ts';

export type AccountRouteOptions = {
  db: Database;
  config: Config;
  sessions: SessionCache;
  /** Runs after a logout revoked the token (the app gives back the user's seat holds). */
  onLogout?: (userId: number) => Promise<unknown>;
};

export async function accountRoutes(app: FastifyInstance, { db, config, sessions, onLogout }: AccountRouteOptions): Promise<void> {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const hasher = createPasswordHasher(config.passwordHashing);
  const loginLimits = config.rateLimits.enabled ? config.loginLimits : undefined;

  api.post(
    '/api/auth/register',
    {
      schema: {
        tags: ['accounts'],
        summary: 'Create an account',
        body: Credentials,
        // 503: too many passwords being hashed at once (Retry-After).
        response: { 201: RegisterReply, ...errorReplies(400, 409, 429, 503) },
      },
      config: rateLimitPerMinute(config.rateLimits.registerPerMinute, 'ip'),
    },
    async (request, reply) => {
      const user = await accounts.registerUser(db, request.body.username, request.body.password, hasher);
      return reply.code(201).send({ id: user.id, username: user.username });
    },
  );

  api.post(
    '/api/auth/login',
    {
      schema: {
        tags: ['accounts'],
        summary: 'Log in: returns a bearer token and sets an HttpOnly session cookie',
        body: LoginBody,
        // 429: too many requests from the address, or failed logins for the username or address; 503: hashing busy.
        response: { 200: LoginReply, ...errorReplies(400, 401, 429, 503) },
      },
      config: rateLimitPerMinute(config.rateLimits.loginPerMinute, 'ip'),
    },
    async (request, reply) => {
      const session = await accounts.logIn(db, request.body.username, request.body.password, {
        hasher,
        ...(loginLimits === undefined ? {} : { limits: { config: loginLimits, address: request.ip } }),
      });
      // Over HTTPS `__Host-` (Secure, Path=/, no Domain: no subdomain or plain-HTTP page can set or shadow it).
      reply.setCookie(sessionCookieName(request), session.token, {
        httpOnly: true,
        sameSite: 'strict',
        secure: request.protocol === 'https',
        path: '/',
        maxAge: 30 * 24 * 60 * 60,
      });
      return session;
    },
  );

  api.post(
    '/api/auth/logout',
    {
      schema: {
        tags: ['accounts'],
        summary: 'Revoke the current token',
        security: [{ bearer: [] }],
        // 403: a session cookie sent from another site.
        response: { 204: Type.Null(), ...errorReplies(401, 403) },
      },
      onRequest: requireUser,
    },
    async (request, reply) => {
      await accounts.logOut(db, sessions, request.sessionToken ?? '');
      await onLogout?.(currentUser(request).id);
      reply.clearCookie(sessionCookieName(request), { path: '/', secure: request.protocol === 'https' });
      return reply.code(204).send(null);
    },
  );

  api.get(
    '/api/auth/me',
    {
      schema: { tags: ['accounts'], summary: 'The authenticated user', security: [{ bearer: [] }], response: { 200: User, ...errorReplies(401) } },
      onRequest: requireUser,
    },
    async (request) => currentUser(request),
  );
}
