import { createHash, randomBytes } from 'node:crypto';
import type { LoginLimits } from '../config.ts';
import type { Database } from '../db/database.ts';
import { isUniqueViolation } from '../db/pg-errors.ts';
import { AppError, conflict } from '../shared/errors.ts';
import { accountErrors } from './accounts.errors.ts';
import * as queries from './accounts.queries.ts';
import type { AuthUser } from './accounts.queries.ts';
import type { SessionCache } from './session-cache.ts';
import { endLoginAttempt, startLoginAttempt } from './login-limits.ts';
import { dummyPasswordHash, hashPassword, unboundedHasher, verifyPassword, type PasswordHasher } from './passwords.ts';

export type { AuthUser };

const SESSION_TTL_MS = 30 * 24 * 60 * 60 * 1000;

/** Tokens are random; only their SHA-256 is stored, so a database leak exposes no usable token. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export async function registerUser(db: Database, username: string, password: string, hasher: PasswordHasher = unboundedHasher): Promise<AuthUser> {
  const passwordHash = await hasher.hash(password);
  try {
    return await queries.insertUser(db, { username, passwordHash });
  } catch (error) {
    if (isUniqueViolation(error)) {
      throw conflict(accountErrors.usernameTaken);
    }
    throw error;
  }
}

/** Creates a session for an already verified user; returns the bearer token. */
export async function createSession(db: Database, userId: number): Promise<string> {
  const token = randomBytes(32).toString('base64url');
  await queries.insertSession(db, userId, hashToken(token), new Date(Date.now() + SESSION_TTL_MS));
  return token;
}

export type LogInOptions = {
  /** The request path's bounded hasher (passwords.ts); unbounded when omitted. */
  hasher?: PasswordHasher;
  /** Failed-login limits and the caller's address; no limits when omitted (RATE_LIMITS=off). */
  limits?: { config: LoginLimits; address: string };
};

export async function logIn(db: Database, username: string, password: string, options: LogInOptions = {}): Promise<{ token: string; user: AuthUser }> {
  const attempt = options.limits === undefined ? undefined : await startLoginAttempt(db, options.limits.config, options.limits.address, username);
  let session: { token: string; user: AuthUser } | undefined;
  try {
    const found = await queries.findUserForLogin(db, username);
    // Verify even for an unknown name, so timing does not reveal which usernames exist.
    const valid = await (options.hasher ?? unboundedHasher).verify(found?.password_hash ?? dummyPasswordHash, password);
    if (found !== undefined && valid) {
      const user = { id: found.id, username: found.username, is_staff: found.is_staff };
      session = { token: await createSession(db, user.id), user };
    }
  } catch (error) {
    // Not a wrong password (the hashing bound, the database): the attempt does not count.
    if (attempt !== undefined) {
      await endLoginAttempt(db, attempt, 'unchecked');
    }
    throw error;
  }
  if (attempt !== undefined) {
    await endLoginAttempt(db, attempt, session === undefined ? 'failed' : 'succeeded');
  }
  if (session === undefined) {
    throw new AppError(401, accountErrors.invalidCredentials);
  }
  return session;
}

export async function logOut(db: Database, sessions: SessionCache, token: string): Promise<void> {
  const tokenHash = hashToken(token);
  await queries.deleteSession(db, tokenHash);
  sessions.evict(tokenHash); // this process at once; the others on the NOTIFY
}

/** The session's user: from this process's cache, else from the database (and then cached). */
export async function findUserByToken(db: Database, sessions: SessionCache, token: string): Promise<AuthUser | undefined> {
  const tokenHash = hashToken(token);
  const cached = sessions.get(tokenHash);
  if (cached !== undefined) {
    return cached;
  }
  const revocationsBefore = sessions.revocations();
  const found = await queries.findUserBySessionHash(db, tokenHash);
  if (found === undefined) {
    return undefined;
  }
  const user = { id: found.id, username: found.username, is_staff: found.is_staff };
  sessions.set(tokenHash, user, found.expires_at, revocationsBefore);
  return user;
}

/**
 * `ADMIN_USERNAME`/`ADMIN_PASSWORD` and `boxoffice create-admin`: create or
 * reset a staff user. A changed password ends the user's sessions (a password
 * is usually reset because the old one leaked); the same password, as on every
 * restart with ADMIN_PASSWORD set, keeps them.
 */
export async function ensureStaffUser(db: Database, username: string, password: string): Promise<AuthUser> {
  return db.transaction().execute(async (trx) => {
    const existing = await queries.findUserForLogin(trx, username);
    const unchanged = existing !== undefined && (await verifyPassword(existing.password_hash, password));
    const passwordHash = unchanged ? existing.password_hash : await hashPassword(password);
    const user = await queries.upsertStaffUser(trx, username, passwordHash);
    if (existing !== undefined && !unchanged) {
      await queries.deleteSessionsOfUser(trx, user.id);
    }
    return user;
  });
}
