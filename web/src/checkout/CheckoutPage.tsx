import { useEffect, useMemo, useRef, useState, type FormEvent } from 'react';
import { ApiError, errorMessage } from '../api/client.ts';
import type { LayoutSeat } from '../api/types.ts';
import { formatMoney, kindLabel, seatLabel } from '../format.ts';
import { Link, navigate } from '../router.tsx';
import { useSession } from '../session.tsx';
import { HoldCountdown } from '../show/HoldCountdown.tsx';
import { NoticeArea, type Notice } from '../show/NoticeArea.tsx';
import { ShowHeader } from '../show/ShowHeader.tsx';
import { readLayout } from '../show/useShowSeats.ts';
import { useShowtime } from '../show/useShowtime.ts';
import { Spinner, usePageTitle } from '../ui.tsx';
import { createOrder, loadPrices, quote, type OrderBody, type PriceTable, type Quote } from './ordersApi.ts';
import { PriceSummary } from './PriceSummary.tsx';
import { attemptKey, defaultTicketType, ticketOptions } from './tickets.ts';

/**
 * Step two of booking: a ticket type for each seat I hold (prices from the
 * showtime's price table, the order priced by POST /api/quote as the choice
 * changes), an optional voucher, the summary with fee and tax, then "Pay",
 * which starts the order and goes on to the payment form.
 */
export function CheckoutPage({ showId }: { showId: number }) {
  const { user, lost } = useSession();
  const userId = user?.id ?? null;
  const { showtime } = useShowtime(showId);
  const [seats, setSeats] = useState<LayoutSeat[] | null>(null);
  const [prices, setPrices] = useState<PriceTable | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [choice, setChoice] = useState<Map<number, string>>(new Map());
  const [voucher, setVoucher] = useState<string | null>(null);
  const [voucherDraft, setVoucherDraft] = useState('');
  const [voucherError, setVoucherError] = useState<string | null>(null);
  const [priced, setPriced] = useState<{ key: string; quote: Quote } | null>(null);
  const [notice, setNotice] = useState<Notice>(null);
  const [paying, setPaying] = useState(false);
  const attempt = useRef<{ key: string; body: string } | null>(null);
  const timeZone = showtime?.venue.time_zone ?? 'UTC';
  usePageTitle(showtime === null ? 'Tickets' : `${showtime.movie.title}: tickets`);

  useEffect(() => {
    if (user === null) {
      navigate(`/login?next=${encodeURIComponent(`/shows/${showId}/checkout`)}`, { replace: true });
    }
  }, [user, showId]);

  // My held seats and the price table, read once.
  useEffect(() => {
    if (userId === null) {
      return;
    }
    let cancelled = false;
    Promise.all([readLayout(showId), loadPrices(showId)]).then(
      ([layout, table]) => {
        if (cancelled) {
          return;
        }
        const now = Date.now();
        const mine = layout.seats
          .filter((s) => s.status === 'held' && s.locked_by === userId && s.locked_until !== null && Date.parse(s.locked_until) > now)
          .sort((a, b) => a.y - b.y || a.x - b.x);
        setSeats(mine);
        setPrices(table);
        setChoice(new Map(mine.flatMap((s) => {
          const code = defaultTicketType(ticketOptions(table, s.kind));
          return code === undefined ? [] : [[s.id, code] as const];
        })));
      },
      (error: unknown) => !cancelled && setLoadError(errorMessage(error)),
    );
    return () => {
      cancelled = true;
    };
  }, [showId, userId]);

  const tickets = useMemo(
    () => (seats ?? []).flatMap((s) => {
      const code = choice.get(s.id);
      return code === undefined ? [] : [{ seat_id: s.id, ticket_type: code }];
    }),
    [seats, choice],
  );
  const body: OrderBody = useMemo(() => ({ show_id: showId, tickets, ...(voucher === null ? {} : { voucher }) }), [showId, tickets, voucher]);
  const bodyKey = JSON.stringify(body);

  // The price of what is chosen, from the server; an answer to an older choice is dropped.
  useEffect(() => {
    if (tickets.length === 0) {
      return;
    }
    let cancelled = false;
    quote(body).then(
      (q) => {
        if (!cancelled) {
          setPriced({ key: bodyKey, quote: q });
          setNotice(null);
        }
      },
      (error: unknown) => {
        if (cancelled) {
          return;
        }
        if (error instanceof ApiError && error.status === 401) {
          lost();
          return;
        }
        setNotice({ tone: 'error', text: errorMessage(error) });
      },
    );
    return () => {
      cancelled = true;
    };
  }, [body, bodyKey, tickets.length, lost]);

  const applyVoucher = async (event: FormEvent) => {
    event.preventDefault();
    const code = voucherDraft.trim();
    setVoucherError(null);
    if (code === '') {
      setVoucher(null);
      return;
    }
    try {
      // Tried first on its own, so a refused code says why beside the field and leaves the prices as they were.
      await quote({ show_id: showId, tickets, voucher: code });
      setVoucher(code);
    } catch (error) {
      setVoucherError(errorMessage(error));
    }
  };

  const pay = async () => {
    if (paying || tickets.length === 0) {
      return;
    }
    setPaying(true);
    setNotice(null);
    attempt.current = attemptKey(attempt.current, bodyKey, () => crypto.randomUUID());
    try {
      const order = await createOrder(body, attempt.current.key);
      navigate(`/orders/${order.id}/pay`);
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) {
        lost();
        return;
      }
      setNotice({ tone: 'error', text: errorMessage(error) });
    } finally {
      setPaying(false);
    }
  };

  const current = priced?.key === bodyKey ? priced.quote : null;
  const pricing = current === null && tickets.length > 0;
  const lineOf = (seatId: number) => current?.lines.find((l) => l.seat_id === seatId);
  const earliest = (seats ?? []).reduce<number | undefined>((min, s) => {
    const until = s.locked_until === null ? undefined : Date.parse(s.locked_until);
    return until === undefined ? min : min === undefined ? until : Math.min(min, until);
  }, undefined);

  return (
    <div className="page checkout-page">
      <Link to={`/shows/${showId}`} className="back-link">
        ← Back to the seat map
      </Link>
      <ShowHeader
        title={showtime?.movie.title ?? 'Tickets'}
        startsAt={showtime?.starts_at}
        timeZone={timeZone}
        hall={showtime?.hall.name}
        venue={showtime === null ? undefined : `${showtime.venue.name}, ${showtime.venue.city}`}
      />
      <NoticeArea notice={notice} />
      {loadError !== null ? (
        <div className="card empty-state">
          <p>{loadError}</p>
          <Link to={`/shows/${showId}`} className="button">
            Back to the seat map
          </Link>
        </div>
      ) : seats === null || prices === null ? (
        <Spinner label="Loading your seats…" />
      ) : seats.length === 0 ? (
        <div className="card empty-state">
          <p>You hold no seats for this showtime any more; pick seats on the seat map first.</p>
          <Link to={`/shows/${showId}`} className="button">
            Choose seats
          </Link>
        </div>
      ) : (
        <div className="checkout-layout">
          <section className="card" aria-labelledby="tickets-heading">
            <h2 id="tickets-heading">Choose a ticket for each seat</h2>
            {earliest !== undefined && <HoldCountdown until={earliest} />}
            <ul className="ticket-lines">
              {seats.map((seat) => {
                const options = ticketOptions(prices, seat.kind);
                const line = lineOf(seat.id);
                const id = `ticket-${seat.id}`;
                return (
                  <li key={seat.id} className="ticket-line">
                    <span className="ticket-line-seat">
                      {seatLabel(seat)}
                      {seat.kind !== 'standard' && <span className={`tag tag--${seat.kind}`}>{kindLabel[seat.kind]}</span>}
                    </span>
                    <select
                      id={id}
                      aria-label={`Ticket type for ${seatLabel(seat)}`}
                      value={choice.get(seat.id) ?? ''}
                      onChange={(event) => setChoice((previous) => new Map(previous).set(seat.id, event.target.value))}
                    >
                      {options.map((option) => (
                        <option key={option.code} value={option.code}>
                          {option.name} · {formatMoney(option.price)}
                        </option>
                      ))}
                    </select>
                    <span className="ticket-line-price">{line === undefined ? '' : formatMoney(line.price)}</span>
                  </li>
                );
              })}
            </ul>
            <form className="voucher-form" onSubmit={(event) => void applyVoucher(event)}>
              <label htmlFor="voucher">Voucher code (optional)</label>
              <div className="voucher-row">
                <input
                  id="voucher"
                  value={voucherDraft}
                  onChange={(event) => setVoucherDraft(event.target.value)}
                  autoComplete="off"
                  aria-describedby={voucherError === null ? undefined : 'voucher-error'}
                  aria-invalid={voucherError !== null}
                />
                <button type="submit" className="button">
                  Apply
                </button>
              </div>
              {voucherError !== null && (
                <p id="voucher-error" className="field-error" role="alert">
                  {voucherError}
                </p>
              )}
              {voucher !== null && current !== null && current.voucher !== null && (
                <p className="voucher-applied" role="status">
                  Voucher {current.voucher.code} applied: {current.voucher.description}
                </p>
              )}
            </form>
          </section>

          <aside className="card summary-card" aria-labelledby="order-summary-heading" aria-busy={pricing}>
            <h2 id="order-summary-heading">Summary</h2>
            {current === null ? <Spinner label="Working out the price…" /> : <PriceSummary totals={current} />}
            <button
              type="button"
              className="button button--primary button--block"
              onClick={() => void pay()}
              disabled={current === null || paying}
              aria-busy={paying}
            >
              {paying ? 'Starting payment…' : current === null ? 'Pay' : `Pay ${formatMoney(current.total)}`}
            </button>
          </aside>
        </div>
      )}
    </div>
  );
}
