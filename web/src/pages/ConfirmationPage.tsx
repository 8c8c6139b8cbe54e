import { useEffect, useState } from 'react';
import { api, call, errorMessage, type Page } from '../api/client.ts';
import { loadVenues } from '../catalog.ts';
import { loadConfirmation, type Confirmation } from '../confirmations.ts';
import { formatLongDateTime, formatMoney, kindLabel, seatLabel, sumMoney } from '../format.ts';
import { Link } from '../router.tsx';
import { useSession } from '../session.tsx';
import type { MyBooking } from '../api/types.ts';
import { ErrorNotice, PageHeading, Spinner, usePageTitle } from '../ui.tsx';

/** Rebuilds a confirmation from the server's list of my bookings (a new tab, or storage unavailable). */
async function fetchConfirmation(reference: string): Promise<Confirmation | undefined> {
  const found: MyBooking[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < 20; page++) {
    const reply: Page<MyBooking> = await call(api.GET('/api/my-bookings/', { params: { query: cursor === null ? { limit: 100 } : { limit: 100, cursor } } }));
    found.push(...reply.items.filter((item) => item.reference === reference));
    cursor = reply.next_cursor;
    // Newest first: once some are found and a page holds no more, the rest are older.
    if (cursor === null || (found.length > 0 && !reply.items.some((item) => item.reference === reference))) {
      break;
    }
  }
  const first = found[0];
  if (first === undefined) {
    return undefined;
  }
  const venues = await loadVenues().catch(() => []);
  return {
    reference,
    references: [reference],
    showId: first.show.id,
    movieTitle: first.show.movie.title,
    venue: `${first.show.venue.name}, ${first.show.venue.city}`,
    hallName: first.show.hall.name,
    startsAt: first.show.starts_at,
    timeZone: venues.find((v) => v.id === first.show.venue.id)?.time_zone ?? 'UTC',
    seats: found.map((item) => ({ row: item.seat.row, number: item.seat.number, kind: item.seat.kind, price: item.price })),
    total: sumMoney(found.map((item) => item.price)),
  };
}

export function ConfirmationPage({ reference }: { reference: string }) {
  usePageTitle('Booking confirmed');
  const { user } = useSession();
  const [confirmation, setConfirmation] = useState<Confirmation | null | undefined>(() => loadConfirmation(reference));
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    if (confirmation !== undefined || user === undefined || user === null) {
      return;
    }
    fetchConfirmation(reference).then(
      (found) => setConfirmation(found ?? null),
      (e: unknown) => setError(errorMessage(e)),
    );
  }, [confirmation, user, reference]);

  if (confirmation === undefined || confirmation === null) {
    return (
      <div className="page">
        <PageHeading>Booking {reference}</PageHeading>
        {user === null ? (
          <p>
            <Link to={`/login?next=${encodeURIComponent(`/confirmation/${reference}`)}`}>Log in</Link> to see this booking.
          </p>
        ) : error !== null ? (
          <ErrorNotice>{error}</ErrorNotice>
        ) : confirmation === null ? (
          <p>No booking with this reference was found in your account.</p>
        ) : (
          <Spinner label="Loading your booking…" />
        )}
      </div>
    );
  }

  const count = confirmation.seats.length;
  return (
    <div className="page confirmation-page">
      <div className="card confirmation-card">
        <div className="confirmation-check" aria-hidden="true">
          <svg viewBox="0 0 24 24" width="36" height="36">
            <path d="M6 12.5l4 4 8-9" fill="none" stroke="currentColor" strokeWidth="2.6" strokeLinecap="round" strokeLinejoin="round" />
          </svg>
        </div>
        <PageHeading>You’re booked!</PageHeading>
        <p className="lead-small">
          {count} {count === 1 ? 'seat' : 'seats'} for <strong>{confirmation.movieTitle}</strong>. Show the booking reference at the cinema.
        </p>
        {confirmation.warning !== undefined && <ErrorNotice>{confirmation.warning}</ErrorNotice>}

        <div className="ticket">
          <div className="ticket-reference">
            <p className="ticket-label">Booking reference</p>
            <p className="ticket-code">
              {confirmation.references.join(', ')}
            </p>
          </div>
          <dl className="ticket-details">
            <div>
              <dt>Movie</dt>
              <dd>{confirmation.movieTitle}</dd>
            </div>
            <div>
              <dt>When</dt>
              <dd>
                <time dateTime={confirmation.startsAt}>{formatLongDateTime(confirmation.startsAt, confirmation.timeZone)}</time>
              </dd>
            </div>
            <div>
              <dt>Where</dt>
              <dd>
                {confirmation.hallName} · {confirmation.venue}
              </dd>
            </div>
          </dl>
          <h2 className="ticket-seats-heading">Seats</h2>
          <ul className="ticket-seats">
            {confirmation.seats.map((seat) => (
              <li key={`${seat.row}-${seat.number}`}>
                <span>
                  {seatLabel(seat)}
                  {seat.kind !== 'standard' && <span className={`tag tag--${seat.kind}`}>{kindLabel[seat.kind]}</span>}
                </span>
                <span>{formatMoney(seat.price)}</span>
              </li>
            ))}
          </ul>
          <p className="ticket-total">
            <span>Total</span>
            <strong>{formatMoney(confirmation.total)}</strong>
          </p>
        </div>

        <div className="confirmation-actions">
          <Link to="/my-bookings" className="button button--primary">
            My bookings
          </Link>
          <Link to="/" className="button">
            Back to what’s on
          </Link>
        </div>
      </div>
    </div>
  );
}
