import type { LoginLimits } from '../config.ts';
import type { Database } from '../db/database.ts';
import { RetryLaterError } from '../shared/errors.ts';
import { accountErrors } from './accounts.errors.ts';
import * as queries from './accounts.queries.ts';
import type { LoginSubjects } from './accounts.queries.ts';

/**
 * Failed logins are limited per username (across every address: guessing one
 * account's password from a thousand addresses gets no more tries) and, with
 * a higher limit, per client address (so one cashier's typos do not lock out
 * the rest of a box office behind the same address, while one address
 * guessing many accounts is still stopped). Counts live in PostgreSQL, shared
 * by every server process.
 *
 * An attempt is counted before its password is checked and taken back
 * unless it failed: so concurrent guesses can never outrun the limit (each
 * is counted before any is verified), and successes never count. A success
 * also forgets its username's failures.
 */
export type LoginAttempt = { subjects: LoginSubjects };

/** Ended windows are deleted after every this many failures in a process. */
const CLEANUP_EVERY = 100;
let failuresSinceCleanup = 0;

function inWords(seconds: number): string {
  return seconds < 120 ? `${seconds} seconds` : `${Math.ceil(seconds / 60)} minutes`;
}

/** Counts an attempt, or refuses it with 429 (and counts nothing) when the username or the address is over its limit. */
export async function startLoginAttempt(db: Database, limits: LoginLimits, address: string, username: string): Promise<LoginAttempt> {
  // Usernames are unique regardless of letter case, and so are their counts.
  // (The address is missing only when the client has already gone.)
  const subjects = { address: address || 'unknown', username: username.toLowerCase() };
  const counts = await queries.countLoginAttempt(db, subjects, limits.windowSeconds);
  const overUsername = counts.find((c) => c.scope === 'username' && c.failures > limits.failuresPerUsername);
  const overAddress = counts.find((c) => c.scope === 'address' && c.failures > limits.failuresPerAddress);
  if (overUsername === undefined && overAddress === undefined) {
    return { subjects };
  }
  await queries.uncountLoginAttempt(db, subjects, false);
  // Both over: the later window decides when a retry can succeed.
  const wait = Math.max(1, overUsername?.retry_after_seconds ?? 0, overAddress?.retry_after_seconds ?? 0);
  const detail =
    overUsername !== undefined ? accountErrors.tooManyFailuresForUsername(inWords(wait)) : accountErrors.tooManyFailuresFromAddress(inWords(wait));
  throw new RetryLaterError(429, detail, wait);
}

/** `failed` keeps the count; `succeeded` takes it back and resets the username; `unchecked` (an error before the verdict) takes it back. */
export async function endLoginAttempt(db: Database, attempt: LoginAttempt, outcome: 'failed' | 'succeeded' | 'unchecked'): Promise<void> {
  if (outcome === 'failed') {
    failuresSinceCleanup++;
    if (failuresSinceCleanup >= CLEANUP_EVERY) {
      failuresSinceCleanup = 0;
      await queries.deleteEndedLoginWindows(db);
    }
    return;
  }
  await queries.uncountLoginAttempt(db, attempt.subjects, outcome === 'succeeded');
}
