import type { Listener } from '../db/listener.ts';
import type { AuthUser } from './accounts.queries.ts';

/**
 * Sessions already looked up, by token hash, so that a request does not cost
 * a round trip to find its user. Revocation stays exact: every statement
 * that deletes sessions notifies SESSIONS_REVOKED_CHANNEL in its own
 * transaction (accounts.queries.ts), and every process evicts on hearing it;
 * the process that logs out evicts at once. While the listener is down nothing
 * is cached (we could miss a revocation), and after it reconnects everything
 * is dropped. An entry also ends with its session and after ENTRY_TTL_MS.
 */
export const SESSIONS_REVOKED_CHANNEL = 'boxoffice_sessions_revoked';

const ENTRY_TTL_MS = 60_000;
const MAX_ENTRIES = 100_000;

type Entry = { user: AuthUser; expiresAtMs: number };

export type SessionCache = {
  get(tokenHash: string): AuthUser | undefined;
  /** Call before reading a session from the database; pass the result to set(). */
  revocations(): number;
  /** Caches what was read, unless a revocation arrived since `revocationsBefore` (it might have been this one). */
  set(tokenHash: string, user: AuthUser, sessionExpiresAt: Date, revocationsBefore: number): void;
  evict(tokenHash: string): void;
};

/**
 * A revocation payload is a token hash (one session ended) or "user:<id>"
 * (every session of that user ended, e.g. a password reset).
 */
export const revokedUserPayload = (userId: number): string => `user:${userId}`;

export function createSessionCache(listener: Listener): SessionCache {
  const entries = new Map<string, Entry>();
  // Counts revocations heard (and reconnects): a read that overlapped one is not cached.
  let revocations = 0;
  const evictUser = (userId: number): void => {
    for (const [hash, entry] of entries) {
      if (entry.user.id === userId) {
        entries.delete(hash);
      }
    }
  };
  listener.on(SESSIONS_REVOKED_CHANNEL, (payload) => {
    revocations++;
    if (payload.startsWith('user:')) {
      evictUser(Number(payload.slice('user:'.length)));
    } else {
      entries.delete(payload);
    }
  });
  listener.onReconnect(() => {
    revocations++;
    entries.clear();
  });

  return {
    get(tokenHash) {
      if (!listener.isListening()) {
        entries.clear();
        return undefined;
      }
      const entry = entries.get(tokenHash);
      if (entry !== undefined && entry.expiresAtMs <= Date.now()) {
        entries.delete(tokenHash);
        return undefined;
      }
      return entry?.user;
    },
    revocations: () => revocations,
    set(tokenHash, user, sessionExpiresAt, revocationsBefore) {
      if (!listener.isListening() || revocationsBefore !== revocations) {
        return;
      }
      if (entries.size >= MAX_ENTRIES) {
        // The oldest entry goes (Map order is insertion order).
        const oldest = entries.keys().next().value;
        if (oldest !== undefined) {
          entries.delete(oldest);
        }
      }
      entries.set(tokenHash, { user, expiresAtMs: Math.min(sessionExpiresAt.getTime(), Date.now() + ENTRY_TTL_MS) });
    },
    evict(tokenHash) {
      revocations++;
      entries.delete(tokenHash);
    },
  };
}
