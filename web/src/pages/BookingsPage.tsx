import { useCallback, useEffect, useMemo, useState } from 'react';
import { api, call, errorMessage } from '../api/client.ts';
import { loadVenues } from '../catalog.ts';
import { formatLocalDateTime, formatLongDateTime, formatMoney, kindLabel, seatLabel, sumMoney } from '../format.ts';
import { Link } from '../router.tsx';
import { useSession } from '../session.tsx';
import type { MyBooking } from '../api/types.ts';
import { ErrorNotice, PageHeading, Spinner, usePageTitle } from '../ui.tsx';

type Group = { reference: string; show: MyBooking['show']; bookedAt: string; seats: MyBooking[] };

/** Bookings made together share a reference: one card per reference. */
function groupByReference(items: MyBooking[]): Group[] {
  const groups = new Map<string, Group>();
  for (const item of items) {
    const key = `${item.reference}|${item.show.id}`;
    const group = groups.get(key);
    if (group === undefined) {
      groups.set(key, { reference: item.reference, show: item.show, bookedAt: item.booked_at, seats: [item] });
    } else {
      group.seats.push(item);
    }
  }
  const bySeat = (a: MyBooking, b: MyBooking) =>
    a.seat.row.localeCompare(b.seat.row, undefined, { numeric: true }) || a.seat.number - b.seat.number;
  return [...groups.values()].map((group) => ({ ...group, seats: group.seats.sort(bySeat) }));
}

export function BookingsPage() {
  usePageTitle('My bookings');
  const { user } = useSession();
  const [items, setItems] = useState<MyBooking[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loadingMore, setLoadingMore] = useState(false);
  const [zones, setZones] = useState<Map<number, string>>(new Map());

  const load = useCallback(async (after: string | null) => {
    const page = await call(api.GET('/api/my-bookings/', { params: { query: after === null ? { limit: 50 } : { limit: 50, cursor: after } } }));
    setItems((previous) => (after === null ? page.items : [...(previous ?? []), ...page.items]));
    setCursor(page.next_cursor);
  }, []);

  useEffect(() => {
    if (user === null || user === undefined) {
      return;
    }
    call(api.GET('/api/my-bookings/', { params: { query: { limit: 50 } } })).then(
      (page) => {
        setItems(page.items);
        setCursor(page.next_cursor);
      },
      (e: unknown) => setError(errorMessage(e)),
    );
    // Bookings carry the venue, not its time zone: times are shown on the venue's clocks.
    loadVenues().then((venues) => setZones(new Map(venues.map((v) => [v.id, v.time_zone]))), () => undefined);
  }, [user]);

  const groups = useMemo(() => groupByReference(items ?? []), [items]);

  const loadMore = async () => {
    setLoadingMore(true);
    try {
      await load(cursor);
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setLoadingMore(false);
    }
  };

  return (
    <div className="page bookings-page">
      <PageHeading>My bookings</PageHeading>
      {user === null ? (
        <div className="card empty-state">
          <p>Log in to see your bookings.</p>
          <Link to={`/login?next=${encodeURIComponent('/my-bookings')}`} className="button button--primary">
            Log in
          </Link>
        </div>
      ) : error !== null ? (
        <ErrorNotice>{error}</ErrorNotice>
      ) : items === null ? (
        <Spinner label="Loading your bookings…" />
      ) : groups.length === 0 ? (
        <div className="card empty-state">
          <h2>No bookings yet</h2>
          <p>When you book seats, they appear here with their booking reference.</p>
          <Link to="/" className="button button--primary">
            See what’s on
          </Link>
        </div>
      ) : (
        <>
          <ul className="booking-list">
            {groups.map((group) => {
              const zone = zones.get(group.show.venue.id) ?? 'UTC';
              const cancelled = group.show.status === 'cancelled';
              return (
                <li key={`${group.reference}-${group.show.id}`} className={`card booking-card${cancelled ? ' booking-card--cancelled' : ''}`}>
                  <div className="booking-card-head">
                    <h2>{group.show.movie.title}</h2>
                    {cancelled && <span className="tag tag--cancelled">Cancelled: refund due</span>}
                  </div>
                  <p className="booking-when">
                    <time dateTime={group.show.starts_at}>{formatLongDateTime(group.show.starts_at, zone)}</time>
                  </p>
                  <p className="booking-where">
                    {group.show.hall.name} · {group.show.venue.name}, {group.show.venue.city}
                  </p>
                  <ul className="booking-seats">
                    {group.seats.map((item) => (
                      <li key={item.booking_id}>
                        <span>
                          {seatLabel(item.seat)}
                          {item.seat.kind !== 'standard' && <span className={`tag tag--${item.seat.kind}`}>{kindLabel[item.seat.kind]}</span>}
                        </span>
                        <span>{formatMoney(item.price)}</span>
                      </li>
                    ))}
                  </ul>
                  <div className="booking-foot">
                    <p className="reference">
                      Booking reference <strong>{group.reference}</strong>
                    </p>
                    <p className="booking-total">
                      Total <strong>{formatMoney(sumMoney(group.seats.map((s) => s.price)))}</strong>
                    </p>
                  </div>
                  <p className="booking-made">Booked {formatLocalDateTime(group.bookedAt)}</p>
                </li>
              );
            })}
          </ul>
          {cursor !== null && (
            <button type="button" className="button" onClick={() => void loadMore()} disabled={loadingMore}>
              {loadingMore ? 'Loading…' : 'Show older bookings'}
            </button>
          )}
        </>
      )}
    </div>
  );
}
