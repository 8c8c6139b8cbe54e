import { useEffect, useState, type FormEvent } from 'react';
import { errorMessage } from '../api/client.ts';
import { Link, navigate } from '../router.tsx';
import { useSession } from '../session.tsx';
import { ErrorNotice, PageHeading, usePageTitle } from '../ui.tsx';

/** Log in, or create an account (and log in); then back to where the visitor came from. */
export function LoginPage({ mode, next }: { mode: 'login' | 'register'; next: string }) {
  const { user, logIn, register } = useSession();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const registering = mode === 'register';
  usePageTitle(registering ? 'Create an account' : 'Log in');

  // Already logged in (say, after a reload): nothing to do here.
  useEffect(() => {
    if (user !== null && user !== undefined && !busy) {
      navigate(next, { replace: true });
    }
  }, [user, next, busy]);

  const onSubmit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    setError(null);
    setBusy(true);
    try {
      await (registering ? register(username.trim(), password) : logIn(username.trim(), password));
      navigate(next, { replace: true });
    } catch (e) {
      setError(errorMessage(e));
      setBusy(false);
    }
  };

  const otherMode = `/${registering ? 'login' : 'register'}?next=${encodeURIComponent(next)}`;
  const comingBackToShow = next.startsWith('/shows/');

  return (
    <div className="page auth-page">
      <div className="card auth-card">
        <PageHeading>{registering ? 'Create an account' : 'Log in'}</PageHeading>
        {comingBackToShow && (
          <p className="lead-small">
            {registering ? 'Create an account' : 'Log in'} to hold your seats; you go straight back to the seat map, with the seat you
            picked.
          </p>
        )}
        <form onSubmit={(event) => void onSubmit(event)} noValidate>
          <div className="field">
            <label htmlFor="username">Username</label>
            <input
              id="username"
              name="username"
              autoComplete="username"
              required
              minLength={registering ? 3 : 1}
              maxLength={150}
              pattern={registering ? '[A-Za-z0-9@.+_\\-]{3,150}' : undefined}
              aria-describedby={registering ? 'username-hint' : undefined}
              value={username}
              onChange={(e) => setUsername(e.target.value)}
            />
            {registering && (
              <p id="username-hint" className="hint">
                3 to 150 letters, digits and @ . + - _
              </p>
            )}
          </div>
          <div className="field">
            <label htmlFor="password">Password</label>
            <input
              id="password"
              name="password"
              type="password"
              autoComplete={registering ? 'new-password' : 'current-password'}
              required
              minLength={registering ? 8 : 1}
              aria-describedby={registering ? 'password-hint' : undefined}
              value={password}
              onChange={(e) => setPassword(e.target.value)}
            />
            {registering && (
              <p id="password-hint" className="hint">
                At least 8 characters.
              </p>
            )}
          </div>
          {error !== null && <ErrorNotice>{error}</ErrorNotice>}
          <button type="submit" className="button button--primary button--block" disabled={busy}>
            {busy ? (registering ? 'Creating your account…' : 'Logging in…') : registering ? 'Create account' : 'Log in'}
          </button>
        </form>
        <p className="auth-switch">
          {registering ? 'Already have an account?' : 'New to Boxoffice?'}{' '}
          <Link to={otherMode}>{registering ? 'Log in' : 'Create an account'}</Link>
        </p>
      </div>
    </div>
  );
}
