import type { FastifyReply, FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import type { Database } from '../db/database.ts';
import { AppError } from '../shared/errors.ts';
import { accountErrors } from './accounts.errors.ts';
import { findUserByToken, type AuthUser } from './accounts.service.ts';
import type { SessionCache } from './session-cache.ts';

export const SESSION_COOKIE = 'boxoffice_session';
export const SECURE_SESSION_COOKIE = `__Host-${SESSION_COOKIE}`;

/**
 * The session cookie's name for this request: `__Host-…` over HTTPS (the
 * browser then insists on Secure, Path=/ and no Domain), the plain name over
 * HTTP (where a browser refuses a `__Host-` cookie). Reading takes only the
 * one in use, so over HTTPS a cookie planted without the prefix (from a
 * sibling subdomain or plain HTTP) is never accepted. Behind a proxy the
 * protocol is the forwarded one (TRUST_PROXY).
 */
export function sessionCookieName(request: FastifyRequest): string {
  return request.protocol === 'https' ? SECURE_SESSION_COOKIE : SESSION_COOKIE;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The authenticated user, or null for an anonymous request. */
    user: AuthUser | null;
    /** The raw session token, when one was presented and is valid. */
    sessionToken: string | null;
  }
}

function presentedToken(request: FastifyRequest): { token: string; viaCookie: boolean } | undefined {
  const header = request.headers.authorization;
  if (header !== undefined) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    return match?.[1] === undefined ? undefined : { token: match[1], viaCookie: false };
  }
  const cookie = request.cookies[sessionCookieName(request)];
  return cookie === undefined || cookie === '' ? undefined : { token: cookie, viaCookie: true };
}

const safeMethods = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * A cookie rides along on requests other sites trigger, so a cookie-authenticated
 * write must come from our own origin (SameSite=Strict is the first line, this
 * the second). Bearer tokens are never sent by a browser on its own.
 */
function isSameOrigin(request: FastifyRequest): boolean {
  const origin = request.headers.origin;
  if (origin !== undefined) {
    try {
      // request.host is the Host header, or behind a trusted proxy (TRUST_PROXY) the X-Forwarded-Host:
      // the public address the browser used. Only the host is compared, as before the proxy support.
      return new URL(origin).host === request.host;
    } catch {
      return false;
    }
  }
  return request.headers['sec-fetch-site'] === 'same-origin';
}

/** Resolves the caller on every request; anonymous is allowed here, routes decide. */
export function authenticate(db: Database, sessions: SessionCache): onRequestAsyncHookHandler {
  return async (request: FastifyRequest) => {
    request.user = null;
    request.sessionToken = null;
    const presented = presentedToken(request);
    if (presented === undefined || presented.token.length > 200) {
      return;
    }
    const user = await findUserByToken(db, sessions, presented.token);
    if (user === undefined) {
      return;
    }
    if (presented.viaCookie && !safeMethods.has(request.method) && !isSameOrigin(request)) {
      throw new AppError(403, accountErrors.crossSite);
    }
    request.user = user;
    request.sessionToken = presented.token;
  };
}

/** Route-level onRequest guards: a caller without access is refused before the body is even read. */
export const requireUser: onRequestAsyncHookHandler = async (request: FastifyRequest, _reply: FastifyReply) => {
  if (request.user === null) {
    throw new AppError(401, accountErrors.notAuthenticated);
  }
};

export const requireStaff: onRequestAsyncHookHandler = async (request: FastifyRequest, _reply: FastifyReply) => {
  if (request.user === null) {
    throw new AppError(401, accountErrors.notAuthenticated);
  }
  if (!request.user.is_staff) {
    throw new AppError(403, accountErrors.notStaff);
  }
};

/** The authenticated user of a route guarded by requireUser/requireStaff. */
export function currentUser(request: FastifyRequest): AuthUser {
  if (request.user === null) {
    throw new AppError(401, accountErrors.notAuthenticated);
  }
  return request.user;
}
