import { useEffect, useRef, useState } from 'react';
import { errorMessage } from '../api/client.ts';
import { cancelOrder, type Order } from '../checkout/ordersApi.ts';
import { PriceSummary } from '../checkout/PriceSummary.tsx';
import { useOrder } from '../checkout/useOrder.ts';
import { formatLocalDateTime, formatLongDateTime, formatMoney, seatLabel } from '../format.ts';
import { Link } from '../router.tsx';
import { useSession } from '../session.tsx';
import { ErrorNotice, PageHeading, Spinner, usePageTitle } from '../ui.tsx';
import { keepKeyAfter, markPaid, methodLabel, settlesAtTill } from './orderDesk.ts';
import { StatusTag } from './OrdersDesk.tsx';

/** One order at the desk (staff read any order): its tickets, totals and payment; a box-office sale is settled here. */
export default function StaffOrderPage({ orderId }: { orderId: number }) {
  const { user } = useSession();
  if (user === undefined) {
    return <Spinner label="Loading…" />;
  }
  if (user === null || !user.is_staff) {
    return <StaffOnly orderId={orderId} loggedIn={user !== null} />;
  }
  return <OrderDetail orderId={orderId} />;
}

function StaffOnly({ orderId, loggedIn }: { orderId: number; loggedIn: boolean }) {
  usePageTitle('Staff only');
  return (
    <div className="page">
      <div className="card empty-state">
        <PageHeading>Staff only</PageHeading>
        <p>{loggedIn ? 'This area is for staff accounts.' : 'Log in with a staff account to see orders.'}</p>
        {!loggedIn && (
          <Link to={`/login?next=${encodeURIComponent(`/staff/orders/${orderId}`)}`} className="button button--primary">
            Log in
          </Link>
        )}
      </div>
    </div>
  );
}

type Outcome = { tone: 'success' | 'error'; text: string } | null;

function OrderDetail({ orderId }: { orderId: number }) {
  const { order, error, timeZone, reload, setOrder } = useOrder(orderId, () => false);
  usePageTitle(order === null ? `Staff: order ${orderId}` : `Staff: order ${order.reference}`);

  if (order === null) {
    return (
      <div className="page">
        <BackLink />
        {error === null ? <Spinner label="Loading the order…" /> : <ErrorNotice>{error}</ErrorNotice>}
      </div>
    );
  }
  const show = order.show;
  return (
    <div className="page staff-order-page">
      <BackLink />
      <PageHeading>
        Order <span className="order-reference">{order.reference}</span> <StatusTag status={order.status} />
      </PageHeading>
      <p className="show-meta">
        {show.movie.title} · <time dateTime={show.starts_at}>{formatLongDateTime(show.starts_at, timeZone)}</time> · {show.hall.name} ·{' '}
        {show.venue.name}, {show.venue.city} · <Link to={`/staff/reports/${show.id}`}>showtime {show.id}</Link>
      </p>
      {error !== null && <ErrorNotice>{error}</ErrorNotice>}

      <TillActions order={order} onChange={setOrder} reload={reload} />

      <section className="card" aria-labelledby="lines-heading">
        <h2 id="lines-heading">Tickets</h2>
        <div className="table-wrap">
          <table className="data-table">
            <caption className="visually-hidden">Tickets of order {order.reference}</caption>
            <thead>
              <tr>
                <th scope="col">Seat</th>
                <th scope="col">Ticket type</th>
                <th scope="col" className="num">
                  Price
                </th>
                <th scope="col" className="num">
                  Discount
                </th>
                <th scope="col" className="num">
                  Fee
                </th>
                <th scope="col" className="num">
                  Tax
                </th>
                <th scope="col" className="num">
                  Total
                </th>
                <th scope="col">Booking</th>
              </tr>
            </thead>
            <tbody>
              {order.lines.map((line) => (
                <tr key={line.seat.id}>
                  <th scope="row">
                    {seatLabel(line.seat)}
                    {line.seat.kind !== 'standard' && <span className="tag">{line.seat.kind}</span>}
                  </th>
                  <td>{line.ticket_type.name}</td>
                  <td className="num">{formatMoney(line.price)}</td>
                  <td className="num">{line.discount.amount === 0 ? formatMoney(line.discount) : `−${formatMoney(line.discount)}`}</td>
                  <td className="num">{formatMoney(line.fee)}</td>
                  <td className="num">{formatMoney(line.tax)}</td>
                  <td className="num">{formatMoney(line.total)}</td>
                  <td>{line.booking_id === null ? <span className="hint">not booked</span> : `#${line.booking_id}`}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        <h3 className="order-totals-heading">Totals</h3>
        <PriceSummary totals={order} />
        {order.voucher !== null && (
          <p className="hint">
            Voucher <strong>{order.voucher.code}</strong>: {order.voucher.description}
          </p>
        )}
      </section>

      <section className="card" aria-labelledby="payment-heading">
        <h2 id="payment-heading">Payment</h2>
        <dl className="details-list">
          <div>
            <dt>Method</dt>
            <dd>{methodLabel[order.payment.method]}</dd>
          </div>
          <div>
            <dt>Provider</dt>
            <dd>{order.payment.provider === null ? 'None' : order.payment.provider === 'test' ? 'Test provider' : 'Stripe'}</dd>
          </div>
          <div>
            <dt>Payment status</dt>
            <dd>{order.payment.status ?? 'None'}</dd>
          </div>
          {order.payment.id !== null && (
            <div>
              <dt>Payment id</dt>
              <dd className="mono">{order.payment.id}</dd>
            </div>
          )}
          <div>
            <dt>Last error</dt>
            <dd>{order.payment.last_error ?? 'None'}</dd>
          </div>
          <div>
            <dt>Ordered</dt>
            <dd>
              <time dateTime={order.created_at}>{formatLocalDateTime(order.created_at)}</time>
            </dd>
          </div>
          <div>
            <dt>Paid</dt>
            <dd>{order.paid_at === null ? 'Not paid' : <time dateTime={order.paid_at}>{formatLocalDateTime(order.paid_at)}</time>}</dd>
          </div>
          {order.status === 'pending_payment' && (
            <div>
              <dt>Seats held until</dt>
              <dd>
                <time dateTime={order.expires_at}>{formatLocalDateTime(order.expires_at)}</time>
              </dd>
            </div>
          )}
        </dl>
      </section>
    </div>
  );
}

function BackLink() {
  return (
    <Link to="/staff/orders" className="back-link">
      ← All orders
    </Link>
  );
}

/**
 * "Mark paid" and "Cancel" for a box-office sale awaiting payment. A press of
 * Mark paid keeps its Idempotency-Key until the server has answered it, so
 * pressing again after a lost answer is the same request, never a second one.
 */
function TillActions({ order, onChange, reload }: { order: Order; onChange: (order: Order) => void; reload: () => void }) {
  const attempt = useRef<string | null>(null);
  const [busy, setBusy] = useState<'pay' | 'cancel' | null>(null);
  const [outcome, setOutcome] = useState<Outcome>(null);
  const notice = useRef<HTMLDivElement>(null);
  const open = settlesAtTill(order);

  // When the buttons go away (paid, cancelled), focus would fall to the page: put it on what happened.
  useEffect(() => {
    if (!open && outcome !== null) {
      notice.current?.focus();
    }
  }, [open, outcome]);

  if (!open && outcome === null) {
    return null;
  }

  const act = async (kind: 'pay' | 'cancel') => {
    if (busy !== null) {
      return;
    }
    setBusy(kind);
    setOutcome(null);
    try {
      if (kind === 'pay') {
        attempt.current ??= crypto.randomUUID();
        const paid = await markPaid(order.id, attempt.current);
        attempt.current = null;
        onChange(paid);
        setOutcome({ tone: 'success', text: `Marked paid: ${paid.lines.length} ${paid.lines.length === 1 ? 'seat is' : 'seats are'} booked.` });
      } else {
        const cancelled = await cancelOrder(order.id);
        onChange(cancelled);
        setOutcome({ tone: 'success', text: 'Order cancelled: its seats are free again.' });
      }
    } catch (error) {
      setOutcome({ tone: 'error', text: errorMessage(error) });
      if (!keepKeyAfter(error)) {
        // A refusal is the server's last word on this press, and usually means the order changed
        // meanwhile (expired, cancelled, paid elsewhere): show it as it is now; a next press is a new attempt.
        attempt.current = null;
        reload();
      }
      // Else the answer was lost: the buttons stay, and pressing again sends the same key, so it
      // replays what the server did (paid once), never a second sale.
    } finally {
      setBusy(null);
    }
  };

  return (
    <section className="card till-card" aria-labelledby="till-heading">
      <h2 id="till-heading">At the till</h2>
      {open && (
        <p>
          Take <strong>{formatMoney(order.total)}</strong>, then mark the order paid to book its seats; or cancel it to free them.
        </p>
      )}
      <div ref={notice} tabIndex={-1} className="till-outcome">
        <div role="status">{outcome?.tone === 'success' ? <p className="notice notice--success">{outcome.text}</p> : null}</div>
        <div role="alert">{outcome?.tone === 'error' ? <p className="notice notice--error">{outcome.text}</p> : null}</div>
      </div>
      {open && (
        <div className="form-actions">
          <button type="button" className="button button--primary" disabled={busy !== null} onClick={() => void act('pay')}>
            {busy === 'pay' ? 'Marking paid…' : 'Mark paid'}
          </button>
          <button type="button" className="button button--danger" disabled={busy !== null} onClick={() => void act('cancel')}>
            {busy === 'cancel' ? 'Cancelling…' : 'Cancel order'}
          </button>
        </div>
      )}
    </section>
  );
}
