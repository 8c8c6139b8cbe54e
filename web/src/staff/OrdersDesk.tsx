import { useEffect, useId, useMemo, useRef, useState, type FormEvent } from 'react';
import { errorMessage } from '../api/client.ts';
import { loadVenues } from '../catalog.ts';
import type { Order, OrderStatus } from '../checkout/ordersApi.ts';
import { formatDay, formatMoney, formatTime } from '../format.ts';
import { Link, navigate, useLocation } from '../router.tsx';
import { ErrorNotice, Spinner } from '../ui.tsx';
import { findOrders, methodLabel, orderFilterPath, orderStatuses, parseOrderFilter, seatsSummary, statusLabel, type OrderFilter } from './orderDesk.ts';

/** Venue id → its IANA time zone, so a showtime's start reads on the venue's clocks (an order names its venue, not its zone). */
export function useVenueZones(): Map<number, string> {
  const [zones, setZones] = useState(new Map<number, string>());
  useEffect(() => {
    loadVenues().then((venues) => setZones(new Map(venues.map((v) => [v.id, v.time_zone]))), () => undefined);
  }, []);
  return zones;
}

export function StatusTag({ status }: { status: OrderStatus }) {
  return <span className={`tag tag--order-${status}`}>{statusLabel[status]}</span>;
}

type Listing = { filter: string; orders: Order[]; next: string | null };

/** The order desk: search by order or booking reference, filter by status or showtime; newest first, a page at a time. */
export function OrdersDesk() {
  const location = useLocation();
  const search = location.includes('?') ? location.slice(location.indexOf('?')) : '';
  const filter = useMemo(() => parseOrderFilter(search), [search]);
  const filterKey = orderFilterPath(filter);
  const [listing, setListing] = useState<Listing | null>(null);
  // Both are kept with the search they answer, so a new search never shows the last one's rows or error.
  const [failure, setFailure] = useState<{ filter: string; text: string } | null>(null);
  const [loadingMore, setLoadingMore] = useState(false);
  // The first order of a page just shown: focused once its row is in the document (after React committed it).
  const focusOrder = useRef<number | null>(null);
  const zones = useVenueZones();

  useEffect(() => {
    if (focusOrder.current !== null) {
      document.querySelector<HTMLElement>(`a[data-order-id="${focusOrder.current}"]`)?.focus();
      focusOrder.current = null;
    }
  }, [listing]);

  useEffect(() => {
    let cancelled = false;
    findOrders(filter, null).then(
      (page) => !cancelled && setListing({ filter: filterKey, orders: page.items, next: page.next_cursor }),
      (e: unknown) => !cancelled && setFailure({ filter: filterKey, text: errorMessage(e) }),
    );
    return () => {
      cancelled = true;
    };
  }, [filter, filterKey]);

  const current = listing?.filter === filterKey ? listing : null;
  const error = failure?.filter === filterKey ? failure.text : null;
  const more = async () => {
    if (current === null || current.next === null || loadingMore) {
      return;
    }
    setLoadingMore(true);
    try {
      const page = await findOrders(filter, current.next);
      // The button may be gone with the last page: keyboard users go on from the first new row, not from the top.
      focusOrder.current = page.items[0]?.id ?? null;
      setListing({ filter: filterKey, orders: [...current.orders, ...page.items], next: page.next_cursor });
    } catch (e) {
      setFailure({ filter: filterKey, text: errorMessage(e) });
    } finally {
      setLoadingMore(false);
    }
  };

  const filtered = filter.reference !== '' || filter.status !== null || filter.showId !== null;
  return (
    <section className="card staff-card" aria-labelledby="orders-heading">
      <h2 id="orders-heading">Orders</h2>
      {/* Keyed by the URL's search, so Back and Forward put the fields back to what was searched. */}
      <SearchForm key={filterKey} filter={filter} />
      {current === null ? (
        error === null ? (
          <Spinner label="Loading orders…" />
        ) : (
          <ErrorNotice>{error}</ErrorNotice>
        )
      ) : (
        <>
          <p role="status" className="hint">
            {current.orders.length === 0
              ? filtered
                ? 'No order matches this search.'
                : 'No orders yet.'
              : `${current.orders.length} ${current.orders.length === 1 ? 'order' : 'orders'} shown${current.next === null ? '' : '; more below'}.`}
            {filtered && (
              <>
                {' '}
                <Link to="/staff/orders">Show all orders</Link>
              </>
            )}
          </p>
          {current.orders.length > 0 && (
            <div className="table-wrap">
              <table className="data-table orders-table">
                <caption>{filtered ? 'Matching orders, newest first' : 'Orders, newest first'}</caption>
                <thead>
                  <tr>
                    <th scope="col">Reference</th>
                    <th scope="col">Status</th>
                    <th scope="col">Movie</th>
                    <th scope="col">Starts</th>
                    <th scope="col">Seats</th>
                    <th scope="col" className="num">
                      Total
                    </th>
                    <th scope="col">Payment</th>
                  </tr>
                </thead>
                <tbody>
                  {current.orders.map((order) => {
                    const zone = zones.get(order.show.venue.id) ?? 'UTC';
                    return (
                      <tr key={order.id}>
                        <th scope="row">
                          <Link to={`/staff/orders/${order.id}`} className="order-reference" data-order-id={order.id}>
                            {order.reference}
                          </Link>
                        </th>
                        <td>
                          <StatusTag status={order.status} />
                        </td>
                        <td>{order.show.movie.title}</td>
                        <td>
                          <time dateTime={order.show.starts_at}>
                            {formatDay(order.show.starts_at, zone)} {formatTime(order.show.starts_at, zone)}
                          </time>
                        </td>
                        <td>{seatsSummary(order.lines)}</td>
                        <td className="num">{formatMoney(order.total)}</td>
                        <td>{methodLabel[order.payment.method]}</td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            </div>
          )}
          {error !== null && <ErrorNotice>{error}</ErrorNotice>}
          {current.next !== null && (
            <div className="form-actions">
              <button type="button" className="button" onClick={() => void more()} disabled={loadingMore}>
                {loadingMore ? 'Loading…' : 'Show more orders'}
              </button>
            </div>
          )}
        </>
      )}
    </section>
  );
}

function SearchForm({ filter }: { filter: OrderFilter }) {
  const [reference, setReference] = useState(filter.reference);
  const [status, setStatus] = useState<OrderStatus | ''>(filter.status ?? '');
  const [show, setShow] = useState(filter.showId === null ? '' : String(filter.showId));
  const [problem, setProblem] = useState<string | null>(null);
  const ids = { reference: useId(), status: useId(), show: useId(), hint: useId(), problem: useId() };

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const showText = show.trim();
    if (showText !== '' && !/^[1-9]\d{0,9}$/.test(showText)) {
      setProblem('The showtime id is a whole number, such as 12.');
      return;
    }
    setProblem(null);
    navigate(orderFilterPath({ reference, status: status === '' ? null : status, showId: showText === '' ? null : Number(showText) }));
  };

  return (
    <form className="inline-form orders-search" role="search" aria-label="Search orders" onSubmit={submit}>
      <div className="field">
        <label htmlFor={ids.reference}>Order or booking reference</label>
        <input
          id={ids.reference}
          className="input-medium"
          autoComplete="off"
          spellCheck={false}
          maxLength={20}
          aria-describedby={ids.hint}
          value={reference}
          onChange={(e) => setReference(e.target.value)}
        />
        <p id={ids.hint} className="hint">
          Case and spaces do not matter.
        </p>
      </div>
      <div className="field">
        <label htmlFor={ids.status}>Status</label>
        <select id={ids.status} value={status} onChange={(e) => setStatus(orderStatuses.find((s) => s === e.target.value) ?? '')}>
          <option value="">Any status</option>
          {orderStatuses.map((s) => (
            <option key={s} value={s}>
              {statusLabel[s]}
            </option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor={ids.show}>Showtime id</label>
        <input
          id={ids.show}
          className="input-short"
          inputMode="numeric"
          value={show}
          aria-invalid={problem === null ? undefined : true}
          {...(problem === null ? {} : { 'aria-errormessage': ids.problem })}
          onChange={(e) => setShow(e.target.value)}
        />
      </div>
      <button type="submit" className="button button--primary">
        Search
      </button>
      <div role="alert" className="orders-search-problem">
        {problem !== null && (
          <p id={ids.problem} className="notice notice--error">
            {problem}
          </p>
        )}
      </div>
    </form>
  );
}
