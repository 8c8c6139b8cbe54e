import { useSyncExternalStore, type AnchorHTMLAttributes, type MouseEvent } from 'react';

/** The app's pages; the URL is the only place a page's identity lives, so reload and back/forward just work. */
export type Route =
  | { page: 'schedule'; date: string | null; movieId: number | null; venueId: number | null }
  | { page: 'show'; showId: number }
  | { page: 'checkout'; showId: number }
  | { page: 'pay'; orderId: number }
  | { page: 'order'; orderId: number }
  | { page: 'confirmation'; reference: string }
  | { page: 'login'; next: string }
  | { page: 'register'; next: string }
  | { page: 'bookings' }
  | { page: 'staff'; section: StaffSection }
  | { page: 'report'; showId: number }
  | { page: 'staffOrder'; orderId: number }
  | { page: 'notFound' };

export type StaffSection = 'venue' | 'hall' | 'movie' | 'showtime' | 'reports' | 'orders';
const staffSections: readonly StaffSection[] = ['venue', 'hall', 'movie', 'showtime', 'reports', 'orders'];

const positiveInt = (text: string | null | undefined): number | null => {
  if (text === null || text === undefined || !/^[1-9]\d{0,9}$/.test(text)) {
    return null;
  }
  return Number(text);
};

/** Only same-site paths may be a `next`, so a crafted link cannot send someone elsewhere after logging in. */
export const safeNext = (next: string | null): string => (next !== null && next.startsWith('/') && !next.startsWith('//') ? next : '/');

export function parseRoute(pathname: string, search: string): Route {
  const query = new URLSearchParams(search);
  const parts = pathname.split('/').filter((part) => part !== '');
  const [first, second, third] = parts;
  if (parts.length === 0) {
    const date = query.get('date');
    return {
      page: 'schedule',
      date: date !== null && /^\d{4}-\d{2}-\d{2}$/.test(date) ? date : null,
      movieId: positiveInt(query.get('movie')),
      venueId: positiveInt(query.get('venue')),
    };
  }
  if (first === 'shows' && parts.length === 2) {
    const showId = positiveInt(second);
    return showId === null ? { page: 'notFound' } : { page: 'show', showId };
  }
  if (first === 'shows' && parts.length === 3 && third === 'checkout') {
    const showId = positiveInt(second);
    return showId === null ? { page: 'notFound' } : { page: 'checkout', showId };
  }
  if (first === 'orders' && (parts.length === 2 || (parts.length === 3 && third === 'pay'))) {
    const orderId = positiveInt(second);
    return orderId === null ? { page: 'notFound' } : { page: parts.length === 3 ? 'pay' : 'order', orderId };
  }
  if (first === 'confirmation' && parts.length === 2 && second !== undefined) {
    return { page: 'confirmation', reference: decodeURIComponent(second) };
  }
  if (first === 'login' && parts.length === 1) {
    return { page: 'login', next: safeNext(query.get('next')) };
  }
  if (first === 'register' && parts.length === 1) {
    return { page: 'register', next: safeNext(query.get('next')) };
  }
  if (first === 'my-bookings' && parts.length === 1) {
    return { page: 'bookings' };
  }
  if (first === 'staff') {
    if (parts.length === 1) {
      return { page: 'staff', section: 'venue' };
    }
    if (second === 'reports' && parts.length === 3) {
      const showId = positiveInt(third);
      return showId === null ? { page: 'notFound' } : { page: 'report', showId };
    }
    if (second === 'orders' && parts.length === 3) {
      const orderId = positiveInt(third);
      return orderId === null ? { page: 'notFound' } : { page: 'staffOrder', orderId };
    }
    const section = staffSections.find((name) => name === second);
    if (section !== undefined && parts.length === 2) {
      return { page: 'staff', section };
    }
  }
  return { page: 'notFound' };
}

const NAVIGATE_EVENT = 'boxoffice:navigate';

function subscribe(onChange: () => void): () => void {
  window.addEventListener('popstate', onChange);
  window.addEventListener(NAVIGATE_EVENT, onChange);
  return () => {
    window.removeEventListener('popstate', onChange);
    window.removeEventListener(NAVIGATE_EVENT, onChange);
  };
}

const currentLocation = () => window.location.pathname + window.location.search;

/** The current path and query; re-renders on navigation. */
export const useLocation = (): string => useSyncExternalStore(subscribe, currentLocation);

export function navigate(to: string, { replace = false }: { replace?: boolean } = {}): void {
  if (to === currentLocation()) {
    return;
  }
  if (replace) {
    window.history.replaceState(null, '', to);
  } else {
    window.history.pushState(null, '', to);
  }
  window.dispatchEvent(new Event(NAVIGATE_EVENT));
}

type LinkProps = AnchorHTMLAttributes<HTMLAnchorElement> & { to: string };

/** An ordinary link (middle-click, copy link and screen readers work) that navigates without a reload. */
export function Link({ to, onClick, ...props }: LinkProps) {
  const handleClick = (event: MouseEvent<HTMLAnchorElement>) => {
    onClick?.(event);
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) {
      return;
    }
    event.preventDefault();
    navigate(to);
  };
  return <a href={to} onClick={handleClick} {...props} />;
}
