import { formatLongDateTime, formatMoney, kindLabel, seatLabel } from '../format.ts';
import type { SeatKind } from '../api/types.ts';
import { Link } from '../router.tsx';
import { useSession } from '../session.tsx';
import { ErrorNotice, PageHeading, Spinner, usePageTitle } from '../ui.tsx';
import { PriceSummary } from './PriceSummary.tsx';
import { useOrder } from './useOrder.ts';

// The order's seat kind is a plain string in the document; only the known kinds get a tag.
const isSeatKind = (kind: string): kind is SeatKind => Object.hasOwn(kindLabel, kind);

/** The confirmation of a paid order: reference, seats with their ticket types, fee, tax and total. */
export function OrderPage({ orderId }: { orderId: number }) {
  usePageTitle('Booking confirmed');
  const { user } = useSession();
  const { order, error, timeZone } = useOrder(orderId, () => false);

  if (user === null) {
    return (
      <div className="page">
        <PageHeading>Your order</PageHeading>
        <p>
          <Link to={`/login?next=${encodeURIComponent(`/orders/${orderId}`)}`}>Log in</Link> to see this order.
        </p>
      </div>
    );
  }
  if (order === null) {
    return <div className="page">{error === null ? <Spinner label="Loading your order…" /> : <ErrorNotice>{error}</ErrorNotice>}</div>;
  }
  if (order.status !== 'paid') {
    return (
      <div className="page">
        <PageHeading>Order {order.reference}</PageHeading>
        {order.status === 'pending_payment' ? (
          <p>
            This order is not paid yet. <Link to={`/orders/${order.id}/pay`}>Go to the payment</Link>.
          </p>
        ) : (
          <p>
            This order is {order.status === 'refunded' ? 'refunded' : order.status}; its seats were released.{' '}
            <Link to={`/shows/${order.show.id}`}>Choose seats again</Link>.
          </p>
        )}
      </div>
    );
  }

  const count = order.lines.length;
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
          {count} {count === 1 ? 'seat' : 'seats'} for <strong>{order.show.movie.title}</strong>, paid. Show the booking reference at the
          cinema.
        </p>
        <div className="ticket">
          <div className="ticket-reference">
            <p className="ticket-label">Booking reference</p>
            <p className="ticket-code">{order.reference}</p>
          </div>
          <dl className="ticket-details">
            <div>
              <dt>Movie</dt>
              <dd>{order.show.movie.title}</dd>
            </div>
            <div>
              <dt>When</dt>
              <dd>
                <time dateTime={order.show.starts_at}>{formatLongDateTime(order.show.starts_at, timeZone)}</time>
              </dd>
            </div>
            <div>
              <dt>Where</dt>
              <dd>
                {order.show.hall.name} · {order.show.venue.name}, {order.show.venue.city}
              </dd>
            </div>
          </dl>
          <h2 className="ticket-seats-heading">Seats</h2>
          <ul className="ticket-seats">
            {order.lines.map((line) => (
              <li key={line.seat.id}>
                <span>
                  {seatLabel(line.seat)} · {line.ticket_type.name}
                  {isSeatKind(line.seat.kind) && line.seat.kind !== 'standard' && (
                    <span className={`tag tag--${line.seat.kind}`}>{kindLabel[line.seat.kind]}</span>
                  )}
                </span>
                <span>{formatMoney(line.price)}</span>
              </li>
            ))}
          </ul>
          <PriceSummary totals={order} />
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
