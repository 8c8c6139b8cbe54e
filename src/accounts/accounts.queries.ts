import { sql } from 'kysely';
import type { Database } from '../db/database.ts';
import { revokedUserPayload, SESSIONS_REVOKED_CHANNEL } from './session-cache.ts';

export type AuthUser = { id: number; username: string; is_staff: boolean };

const userColumns = ['users.id', 'users.username', 'users.is_staff'] as const;

export function insertUser(db: Database, user: { username: string; passwordHash: string; isStaff?: boolean }): Promise<AuthUser> {
  return db
    .insertInto('users')
    .values({ username: user.username, password_hash: user.passwordHash, is_staff: user.isStaff ?? false })
    .returning(['id', 'username', 'is_staff'])
    .executeTakeFirstOrThrow();
}

/** Creates the staff user, or makes the existing one staff with the new password. */
export function upsertStaffUser(db: Database, username: string, passwordHash: string): Promise<AuthUser> {
  return db
    .insertInto('users')
    .values({ username, password_hash: passwordHash, is_staff: true })
    .onConflict((oc) =>
      oc.expression(sql`lower(username)`).doUpdateSet({ password_hash: passwordHash, is_staff: true }),
    )
    .returning(['id', 'username', 'is_staff'])
    .executeTakeFirstOrThrow();
}

export function findUserForLogin(db: Database, username: string) {
  return db
    .selectFrom('users')
    .select([...userColumns, 'users.password_hash'])
    .where(sql<string>`lower(username)`, '=', username.toLowerCase())
    .executeTakeFirst();
}

export async function insertSession(db: Database, userId: number, tokenHash: string, expiresAt: Date): Promise<void> {
  await db.insertInto('sessions').values({ user_id: userId, token_hash: tokenHash, expires_at: expiresAt }).execute();
}

export function findUserBySessionHash(db: Database, tokenHash: string) {
  return db
    .selectFrom('sessions')
    .innerJoin('users', 'users.id', 'sessions.user_id')
    .select([...userColumns, 'sessions.expires_at'])
    .where('sessions.token_hash', '=', tokenHash)
    .where('sessions.expires_at', '>', sql<Date>`now()`)
    .executeTakeFirst();
}

// Deleting sessions tells every process in the same statement, so each evicts its cached copy
// (session-cache.ts); the NOTIFY is delivered on commit, never for a rollback.

export async function deleteSession(db: Database, tokenHash: string): Promise<void> {
  await sql`
    WITH deleted AS (DELETE FROM sessions WHERE token_hash = ${tokenHash} RETURNING token_hash)
    SELECT pg_notify(${SESSIONS_REVOKED_CHANNEL}, token_hash) FROM deleted`.execute(db);
}

export async function deleteSessionsOfUser(db: Database, userId: number): Promise<void> {
  await sql`
    WITH deleted AS (DELETE FROM sessions WHERE user_id = ${userId} RETURNING 1)
    SELECT pg_notify(${SESSIONS_REVOKED_CHANNEL}, ${revokedUserPayload(userId)}) WHERE EXISTS (SELECT FROM deleted)`.execute(db);
}

// Login failures (login-limits.ts). Every statement touches the address row before the username row
// ('address' < 'username'), so two logins that share a row never lock in opposite orders.

export type LoginSubjects = { address: string; username: string };
export type LoginCount = { scope: 'address' | 'username'; failures: number; retry_after_seconds: number };

/** Counts one attempt against both subjects (a window that has ended starts again) and returns the new counts. */
export async function countLoginAttempt(db: Database, subjects: LoginSubjects, windowSeconds: number): Promise<LoginCount[]> {
  const windowEnds = sql`now() + make_interval(secs => ${windowSeconds})`;
  const { rows } = await sql<LoginCount>`
    INSERT INTO login_failures AS f (scope, subject, failures, window_ends_at)
    VALUES ('address', ${subjects.address}, 1, ${windowEnds}), ('username', ${subjects.username}, 1, ${windowEnds})
    ON CONFLICT (scope, subject) DO UPDATE SET
      failures = CASE WHEN f.window_ends_at <= now() THEN 1 ELSE f.failures + 1 END,
      window_ends_at = CASE WHEN f.window_ends_at <= now() THEN EXCLUDED.window_ends_at ELSE f.window_ends_at END
    RETURNING scope, failures, ceil(extract(epoch FROM window_ends_at - now()))::int AS retry_after_seconds`.execute(db);
  return rows;
}

/**
 * Takes back an attempt counted by countLoginAttempt that was not a failure:
 * refused before the password was checked, or a success (which also forgets
 * the username's failures: `resetUsername`).
 */
export async function uncountLoginAttempt(db: Database, subjects: LoginSubjects, resetUsername: boolean): Promise<void> {
  await sql`
    WITH locked AS (
      SELECT scope, subject FROM login_failures
       WHERE (scope = 'address' AND subject = ${subjects.address}) OR (scope = 'username' AND subject = ${subjects.username})
       ORDER BY scope
         FOR UPDATE)
    UPDATE login_failures f
       SET failures = CASE WHEN f.scope = 'username' AND ${resetUsername} THEN 0 ELSE greatest(f.failures - 1, 0) END
      FROM locked
     WHERE f.scope = locked.scope AND f.subject = locked.subject`.execute(db);
}

export async function deleteEndedLoginWindows(db: Database): Promise<void> {
  await db.deleteFrom('login_failures').where('window_ends_at', '<=', sql<Date>`now()`).execute();
}
