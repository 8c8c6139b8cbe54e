import { sql, type Kysely } from 'kysely';

/**
 * Issue 10, login limits (src/accounts/README.md): failed logins counted per
 * username and per client address, in a window that starts at the first
 * failure. In the database rather than in each process's memory, so that
 * several server processes (WEB_CONCURRENCY, or several hosts) share one
 * count: an attacker spreading guesses over processes gets no more tries.
 *
 * UNLOGGED: a failed login costs no WAL flush, and a count lost in a crash of
 * PostgreSQL only gives back a few guesses; the rows are short-lived anyway.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE UNLOGGED TABLE login_failures (
      scope text NOT NULL CONSTRAINT login_failures_scope_known CHECK (scope IN ('address', 'username')),
      subject text NOT NULL,
      failures integer NOT NULL CONSTRAINT login_failures_nonnegative CHECK (failures >= 0),
      window_ends_at timestamptz NOT NULL,
      PRIMARY KEY (scope, subject)
    )`.execute(db);
  // Ended windows are deleted now and then (accounts/login-limits.ts).
  await sql`CREATE INDEX login_failures_window_ends_at ON login_failures (window_ends_at)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE login_failures`.execute(db);
}
