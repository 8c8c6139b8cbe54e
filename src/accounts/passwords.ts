import { hash, verify } from '@node-rs/argon2';
import pLimit from 'p-limit';
import { RetryLaterError } from '../shared/errors.ts';
import { accountErrors } from './accounts.errors.ts';

// argon2id with the library's defaults (19 MiB, t=2, p=1: OWASP's recommended minimum).
export function hashPassword(password: string): Promise<string> {
  return hash(password);
}

export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  try {
    return await verify(passwordHash, password);
  } catch {
    return false; // a malformed stored hash is a failed login, not a crash
  }
}

/** Verified against when the username does not exist, so both failures take the same time. */
export const dummyPasswordHash = await hashPassword('not-a-real-password');

export type PasswordHasher = {
  hash(password: string): Promise<string>;
  verify(passwordHash: string, password: string): Promise<boolean>;
};

/** For the CLI, startup and tests: no bound (nobody storms them). */
export const unboundedHasher: PasswordHasher = { hash: hashPassword, verify: verifyPassword };

/** Seconds a caller refused by the hashing bound is asked to wait: a queue's worth of hashes takes well under that. */
const HASHING_RETRY_AFTER_SECONDS = 3;

/**
 * Password hashing for requests: at most `concurrency` argon2 computations at
 * once in this process (each takes ~19 MiB and tens of milliseconds of a
 * core), at most `queue` more waiting, and beyond that a 503 at once. A
 * login or registration storm then costs bookings at most `concurrency`
 * cores and a bounded wait, instead of every core and an unbounded queue.
 */
export function createPasswordHasher({ concurrency, queue }: { concurrency: number; queue: number }): PasswordHasher {
  const limit = pLimit(concurrency);
  const admit = <T>(work: () => Promise<T>): Promise<T> => {
    if (limit.activeCount + limit.pendingCount >= concurrency + queue) {
      return Promise.reject(new RetryLaterError(503, accountErrors.tooManySignIns, HASHING_RETRY_AFTER_SECONDS));
    }
    return limit(work);
  };
  return {
    hash: (password) => admit(() => hashPassword(password)),
    verify: (passwordHash, password) => admit(() => verifyPassword(passwordHash, password)),
  };
}
