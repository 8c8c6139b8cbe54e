import { lazy, Suspense, useEffect, useRef, useState } from 'react';
import { errorMessage } from './api/client.ts';
import { CheckoutPage } from './checkout/CheckoutPage.tsx';
import { OrderPage } from './checkout/OrderPage.tsx';
import { PaymentPage } from './checkout/PaymentPage.tsx';
import { BookingsPage } from './pages/BookingsPage.tsx';
import { LoginPage } from './pages/LoginPage.tsx';
import { NotFoundPage } from './pages/NotFoundPage.tsx';
import { SchedulePage } from './pages/SchedulePage.tsx';
import { ShowPage } from './pages/ShowPage.tsx';
import { Link, navigate, parseRoute, useLocation, type Route } from './router.tsx';
import { useSession } from './session.tsx';
import { Spinner } from './ui.tsx';

// Staff pages are for few people: their code loads only when one is opened.
const StaffArea = lazy(() => import('./staff/StaffArea.tsx'));
const ReportPage = lazy(() => import('./staff/ReportPage.tsx'));
const StaffOrderPage = lazy(() => import('./staff/StaffOrderPage.tsx'));

function Page({ route }: { route: Route }) {
  switch (route.page) {
    case 'schedule':
      return <SchedulePage date={route.date} movieId={route.movieId} venueId={route.venueId} />;
    case 'show':
      return <ShowPage key={route.showId} showId={route.showId} />;
    case 'checkout':
      return <CheckoutPage key={route.showId} showId={route.showId} />;
    case 'pay':
      return <PaymentPage key={route.orderId} orderId={route.orderId} />;
    case 'order':
      return <OrderPage key={route.orderId} orderId={route.orderId} />;
    case 'confirmation':
      // The page of a direct booking, from before checkout: its bookings are listed under My bookings.
      return <Redirect to="/my-bookings" />;
    case 'login':
    case 'register':
      return <LoginPage key={route.page} mode={route.page} next={route.next} />;
    case 'bookings':
      return <BookingsPage />;
    case 'staff':
      return <StaffArea section={route.section} />;
    case 'report':
      return <ReportPage key={route.showId} showId={route.showId} />;
    case 'staffOrder':
      return <StaffOrderPage key={route.orderId} orderId={route.orderId} />;
    case 'notFound':
      return <NotFoundPage />;
  }
}

function Redirect({ to }: { to: string }) {
  useEffect(() => navigate(to, { replace: true }), [to]);
  return null;
}

export function App() {
  const location = useLocation();
  const url = new URL(location, window.location.origin);
  const route = parseRoute(url.pathname, url.search);

  // A new page: move focus to its heading (so screen readers announce it) and scroll to the top.
  // Only the path counts: changing a filter in the query keeps focus where it is.
  const firstRender = useRef(true);
  useEffect(() => {
    if (firstRender.current) {
      firstRender.current = false;
      return;
    }
    window.scrollTo(0, 0);
    // After the page has rendered its heading.
    requestAnimationFrame(() => document.querySelector<HTMLElement>('[data-page-heading]')?.focus());
  }, [url.pathname]);

  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <Header route={route} />
      <main id="main" tabIndex={-1}>
        <Suspense fallback={<Spinner label="Loading…" />}>
          <Page route={route} />
        </Suspense>
      </main>
      <footer className="site-footer">
        <p>
          Boxoffice · seats are held for a few minutes while you book · <a href="/docs">API</a>
        </p>
      </footer>
    </>
  );
}

function Header({ route }: { route: Route }) {
  const { user, logOut } = useSession();
  const [error, setError] = useState<string | null>(null);
  const current = (page: Route['page'] | Route['page'][]) =>
    (Array.isArray(page) ? page.includes(route.page) : route.page === page) ? ('page' as const) : undefined;

  const onLogOut = async () => {
    setError(null);
    try {
      await logOut();
      navigate('/');
    } catch (e) {
      setError(errorMessage(e));
    }
  };

  return (
    <header className="site-header">
      <div className="site-header-inner">
        <Link to="/" className="brand" aria-label="Boxoffice, what's on">
          <svg viewBox="0 0 32 32" width="28" height="28" aria-hidden="true" focusable="false">
            <rect width="32" height="32" rx="7" fill="#f59e0b" />
            <path d="M7 10h18v4a2 2 0 0 0 0 4v4H7v-4a2 2 0 0 0 0-4z" fill="#111827" />
            <path d="M13 11v10" stroke="#f59e0b" strokeWidth="1.5" strokeDasharray="2 1.5" />
          </svg>
          <span>Boxoffice</span>
        </Link>
        <nav aria-label="Main">
          <ul>
            <li>
              <Link to="/" aria-current={current(['schedule', 'show'])}>
                What’s on
              </Link>
            </li>
            {user !== null && user !== undefined && (
              <li>
                <Link to="/my-bookings" aria-current={current(['bookings', 'confirmation'])}>
                  My bookings
                </Link>
              </li>
            )}
            {user?.is_staff === true && (
              <li>
                <Link to="/staff" aria-current={current(['staff', 'report', 'staffOrder'])}>
                  Staff
                </Link>
              </li>
            )}
          </ul>
        </nav>
        <div className="account">
          {user === undefined ? null : user === null ? (
            <>
              <Link to={`/login?next=${encodeURIComponent(nextAfterLogin(route))}`} className="button button--small button--ghost">
                Log in
              </Link>
              <Link to={`/register?next=${encodeURIComponent(nextAfterLogin(route))}`} className="button button--small button--accent">
                Sign up
              </Link>
            </>
          ) : (
            <>
              <span className="account-name">
                <span className="visually-hidden">Logged in as </span>
                {user.username}
              </span>
              <button type="button" className="button button--small button--ghost" onClick={() => void onLogOut()}>
                Log out
              </button>
            </>
          )}
        </div>
      </div>
      {error !== null && (
        <p className="notice notice--error header-error" role="alert">
          {error}
        </p>
      )}
    </header>
  );
}

/** Logging in from the header comes back to the page one was on (not to the login page itself). */
function nextAfterLogin(route: Route): string {
  if (route.page === 'login' || route.page === 'register') {
    return route.next;
  }
  return window.location.pathname + window.location.search;
}
