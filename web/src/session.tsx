import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { api, ApiError, call } from './api/client.ts';
import type { User } from './api/types.ts';

type Session = {
  /** undefined while the first GET /api/auth/me is under way; null when logged out. */
  user: User | null | undefined;
  logIn: (username: string, password: string) => Promise<User>;
  register: (username: string, password: string) => Promise<User>;
  logOut: () => Promise<void>;
  /** The server said 401: the session is gone (expired, or revoked elsewhere). */
  lost: () => void;
};

const SessionContext = createContext<Session | null>(null);

export function SessionProvider({ children }: { children: ReactNode }) {
  const [user, setUser] = useState<User | null | undefined>(undefined);

  // The session is an HttpOnly cookie the page cannot read: ask the server who we are.
  useEffect(() => {
    let cancelled = false;
    call(api.GET('/api/auth/me')).then(
      (me) => !cancelled && setUser(me),
      () => !cancelled && setUser(null),
    );
    return () => {
      cancelled = true;
    };
  }, []);

  const logIn = useCallback(async (username: string, password: string) => {
    const reply = await call(api.POST('/api/auth/login', { body: { username, password } }));
    setUser(reply.user);
    return reply.user;
  }, []);

  const register = useCallback(
    async (username: string, password: string) => {
      await call(api.POST('/api/auth/register', { body: { username, password } }));
      return logIn(username, password);
    },
    [logIn],
  );

  const logOut = useCallback(async () => {
    try {
      await call(api.POST('/api/auth/logout'));
    } catch (error) {
      // Already logged out on the server: the outcome the user wanted.
      if (!(error instanceof ApiError && error.status === 401)) {
        throw error;
      }
    }
    setUser(null);
  }, []);

  const lost = useCallback(() => setUser(null), []);

  const value = useMemo(() => ({ user, logIn, register, logOut, lost }), [user, logIn, register, logOut, lost]);
  return <SessionContext value={value}>{children}</SessionContext>;
}

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (session === null) {
    throw new Error('useSession outside SessionProvider');
  }
  return session;
}

/** A seat a logged-out visitor clicked: held for them right after they log in, on the same show. */
const PENDING_SEAT_KEY = 'boxoffice.pendingSeat';

export function rememberSeat(showId: number, seatId: number): void {
  sessionStorage.setItem(PENDING_SEAT_KEY, JSON.stringify({ showId, seatId }));
}

export function takeRememberedSeat(showId: number): number | undefined {
  const raw = sessionStorage.getItem(PENDING_SEAT_KEY);
  if (raw === null) {
    return undefined;
  }
  try {
    const saved = JSON.parse(raw) as { showId?: unknown; seatId?: unknown };
    if (saved.showId === showId && typeof saved.seatId === 'number') {
      sessionStorage.removeItem(PENDING_SEAT_KEY);
      return saved.seatId;
    }
  } catch {
    sessionStorage.removeItem(PENDING_SEAT_KEY);
  }
  return undefined;
}
