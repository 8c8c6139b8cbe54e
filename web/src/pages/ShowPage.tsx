import { useCallback, useEffect, useMemo, useReducer, useRef, useState } from 'react';
import { api, ApiError, call, errorMessage, isMissingEndpoint } from '../api/client.ts';
import { saveConfirmation, type Confirmation } from '../confirmations.ts';
import { formatCountdown, formatLongDateTime, formatMoney, formatTime, kindLabel, seatLabel, sumMoney } from '../format.ts';
import { Link, navigate } from '../router.tsx';
import { SeatLegend, SeatMap, type MapSeat, type SeatView } from '../seatmap/SeatMap.tsx';
import { initialShowSeats, nextExpiry, showSeatsReducer, viewsOf } from '../seatmap/showSeats.ts';
import { rememberSeat, takeRememberedSeat, useSession } from '../session.tsx';
import type { Layout, Money, SeatEvent, Showtime, SnapshotEvent } from '../api/types.ts';
import { PageHeading, usePageTitle } from '../ui.tsx';

/** Without a live stream, the map is read again this often. */
const POLL_MS = 10_000;
/** The countdown turns into a warning this long before a hold ends. */
const WARN_MS = 60_000;

type Notice = { tone: 'error' | 'info'; text: string } | null;
type LiveMode = 'connecting' | 'live' | 'polling';

export function ShowPage({ showId }: { showId: number }) {
  const { user, lost } = useSession();
  const userId = user?.id ?? null;
  const [state, dispatch] = useReducer(showSeatsReducer, initialShowSeats);
  const [showtime, setShowtime] = useState<Showtime | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [notice, setNotice] = useState<Notice>(null);
  const [announcement, setAnnouncement] = useState('');
  const [liveMode, setLiveMode] = useState<LiveMode>('connecting');
  const [booking, setBooking] = useState(false);
  const [now, setNow] = useState(() => Date.now());

  usePageTitle(showtime === null ? 'Choose seats' : `${showtime.movie.title}: choose seats`);

  // ── reading the map ──
  const refresh = useCallback(async (): Promise<void> => {
    const requestedAt = Date.now();
    try {
      const layout = await call(api.GET('/api/hall-layout/{show_id}/', { params: { path: { show_id: showId } } }));
      dispatch({ type: 'layout', layout, userId, requestedAt });
      setLoadError(null);
    } catch (error) {
      setLoadError(errorMessage(error));
    }
  }, [showId, userId]);

  useEffect(() => {
    let cancelled = false;
    call(api.GET('/api/showtimes/{id}', { params: { path: { id: showId } } })).then(
      (show) => !cancelled && setShowtime(show),
      (error: unknown) => !cancelled && setLoadError(errorMessage(error)),
    );
    return () => {
      cancelled = true;
    };
  }, [showId]);

  // Read again whenever who is looking changes (login shows my holds; logout forgets them). Back
  // from logging in, hold the seat that was clicked before, if it is still free.
  const holdRef = useRef<(seat: MapSeat) => Promise<void>>(async () => undefined);
  useEffect(() => {
    let cancelled = false;
    const requestedAt = Date.now();
    const restore = (layout: Layout) => {
      const seatId = userId === null ? undefined : takeRememberedSeat(showId);
      const seat = layout.seats.find((s) => s.id === seatId);
      if (seat === undefined) {
        return;
      }
      const free = seat.status === 'available' || (seat.status === 'held' && seat.locked_until !== null && Date.parse(seat.locked_until) <= Date.now());
      if (free) {
        void holdRef.current(seat);
      } else if (!(seat.status === 'held' && seat.locked_by === userId)) {
        setNotice({ tone: 'error', text: `${seatLabel(seat)} was taken while you were logging in; please pick another seat.` });
      }
    };
    call(api.GET('/api/hall-layout/{show_id}/', { params: { path: { show_id: showId } } })).then(
      (layout) => {
        if (!cancelled) {
          dispatch({ type: 'layout', layout, userId, requestedAt });
          setLoadError(null);
          restore(layout);
        }
      },
      (error: unknown) => !cancelled && setLoadError(errorMessage(error)),
    );
    return () => {
      cancelled = true;
    };
  }, [userId, showId]);

  const refreshRef = useRef(refresh);
  useEffect(() => {
    refreshRef.current = refresh;
  }, [refresh]);

  // Live updates: the event stream, else a read every 10 s.
  useEffect(() => {
    let poll: ReturnType<typeof setInterval> | undefined;
    const startPolling = () => {
      setLiveMode('polling');
      poll ??= setInterval(() => void refreshRef.current(), POLL_MS);
    };
    const stopPolling = () => {
      clearInterval(poll);
      poll = undefined;
    };
    if (typeof EventSource === 'undefined') {
      startPolling();
      return stopPolling;
    }
    const stream = new EventSource(`/api/shows/${showId}/events`);
    stream.addEventListener('snapshot', (message: MessageEvent<string>) => {
      const data = JSON.parse(message.data) as SnapshotEvent;
      dispatch({ type: 'snapshot', seats: data.seats });
      stopPolling();
      setLiveMode('live');
    });
    stream.addEventListener('seat', (message: MessageEvent<string>) => {
      dispatch({ type: 'seat', event: JSON.parse(message.data) as SeatEvent });
    });
    // The showtime itself changed while we watch (staff cancelled it, moved it, re-priced it or
    // changed the seat map): read it and the whole map again.
    stream.addEventListener('show', (message: MessageEvent<string>) => {
      const { status } = JSON.parse(message.data) as { status: Showtime['status'] | 'deleted' };
      if (status !== 'deleted') {
        setShowtime((current) => (current === null ? current : { ...current, status }));
      }
      call(api.GET('/api/showtimes/{id}', { params: { path: { id: showId } } })).then(setShowtime, () => undefined);
      void refreshRef.current();
      if (status === 'cancelled') {
        setNotice({ tone: 'error', text: 'This showtime has been cancelled: seats can no longer be held or booked.' });
      }
      if (status === 'cancelled' || status === 'deleted') {
        // The server ends the stream after this last event: nothing will change any more, so do not reconnect or poll.
        stream.close();
      }
    });
    // Reconnecting (the browser retries) or gone for good (no such endpoint): read the map meanwhile.
    stream.onerror = () => startPolling();
    return () => {
      stream.close();
      stopPolling();
    };
  }, [showId]);

  // Holds run out on their own: move the clock to the next locked_until.
  useEffect(() => {
    const next = nextExpiry(state, now);
    if (next === undefined) {
      return;
    }
    const timer = setTimeout(() => setNow(Date.now()), Math.min(2 ** 31 - 1, Math.max(0, next - Date.now() + 25)));
    return () => clearTimeout(timer);
  }, [state, now]);

  const views = useMemo(() => viewsOf(state, now), [state, now]);
  const seatById = useMemo(() => new Map(state.seats.map((seat) => [seat.id, seat])), [state.seats]);
  const mySeats = useMemo(
    () =>
      state.seats
        .filter((seat) => views.get(seat.id) === 'mine')
        .sort((a, b) => a.y - b.y || a.x - b.x),
    [state.seats, views],
  );

  // Seats that stop being mine without my asking (a hold ran out, or was released elsewhere) are
  // announced. Only confirmed holds count: a refused optimistic hold is reported by its own error.
  const expectedDrops = useRef(new Set<number>());
  const previousMine = useRef<MapSeat[]>([]);
  // Holds made together run out together, a few hundred ms apart: one sentence for all of them.
  const recentlyLost = useRef<{ seats: MapSeat[]; at: number }>({ seats: [], at: 0 });
  useEffect(() => {
    const confirmed = mySeats.filter((seat) => !state.pendingHold.has(seat.id));
    const mine = new Set(mySeats.map((seat) => seat.id));
    const lostSeats = previousMine.current.filter((seat) => !mine.has(seat.id) && !expectedDrops.current.has(seat.id));
    previousMine.current = confirmed;
    for (const seat of mine) {
      expectedDrops.current.delete(seat);
    }
    if (lostSeats.length > 0 && userId !== null) {
      dispatch({ type: 'expired', seatIds: lostSeats.map((seat) => seat.id) });
      const now = Date.now();
      const seats = [...(now - recentlyLost.current.at < 5000 ? recentlyLost.current.seats : []), ...lostSeats];
      recentlyLost.current = { seats, at: now };
      setNotice({
        tone: 'info',
        text: `Your hold on ${seats.map(seatLabel).join('; ')} ended, so ${seats.length === 1 ? 'that seat was' : 'those seats were'} released.`,
      });
    }
  }, [mySeats, userId, state.pendingHold]);

  // ── actions ──
  const goToLogin = useCallback(
    (seatId?: number) => {
      if (seatId !== undefined) {
        rememberSeat(showId, seatId);
      }
      navigate(`/login?next=${encodeURIComponent(`/shows/${showId}`)}`);
    },
    [showId],
  );

  const hold = useCallback(
    async (seat: MapSeat) => {
      dispatch({ type: 'holdStarted', seatId: seat.id });
      setNotice(null);
      try {
        const reply = await call(api.POST('/api/hold-seat/', { body: { show_id: showId, seat_id: seat.id } }));
        const until = Date.parse(reply.locked_until);
        dispatch({ type: 'holdGranted', seatId: seat.id, until });
        setAnnouncement(`${seatLabel(seat)} is held for you until ${formatTime(reply.locked_until, showtime?.venue.time_zone ?? 'UTC')}.`);
      } catch (error) {
        dispatch({ type: 'holdFailed', seatId: seat.id });
        if (error instanceof ApiError && error.status === 401) {
          lost();
          goToLogin(seat.id);
          return;
        }
        setNotice({ tone: 'error', text: `${seatLabel(seat)}: ${errorMessage(error)}` });
        if (error instanceof ApiError && (error.status === 409 || error.status === 404)) {
          void refresh();
        }
      }
    },
    [showId, showtime, lost, goToLogin, refresh],
  );

  const release = useCallback(
    async (seat: MapSeat) => {
      dispatch({ type: 'releaseStarted', seatId: seat.id });
      expectedDrops.current.add(seat.id);
      setNotice(null);
      try {
        await call(api.POST('/api/release-seat/', { body: { show_id: showId, seat_id: seat.id } }));
        dispatch({ type: 'released', seatIds: [seat.id] });
        setAnnouncement(`${seatLabel(seat)} released.`);
      } catch (error) {
        dispatch({ type: 'releaseFailed', seatId: seat.id });
        expectedDrops.current.delete(seat.id);
        if (error instanceof ApiError && error.status === 401) {
          lost();
          goToLogin();
          return;
        }
        const until = state.granted.get(seat.id);
        const text = isMissingEndpoint(error)
          ? `This server cannot release seats yet; your hold on ${seatLabel(seat)} ends by itself${
              until === undefined ? '' : ` at ${formatTime(new Date(until).toISOString(), showtime?.venue.time_zone ?? 'UTC')}`
            }.`
          : `${seatLabel(seat)}: ${errorMessage(error)}`;
        setNotice({ tone: 'error', text });
        if (error instanceof ApiError && error.status === 409) {
          void refresh();
        }
      }
    },
    [showId, showtime, state.granted, lost, goToLogin, refresh],
  );

  const activate = useCallback(
    (seat: MapSeat) => {
      if (state.pendingHold.has(seat.id) || state.pendingRelease.has(seat.id)) {
        return;
      }
      const view: SeatView = views.get(seat.id) ?? 'available';
      switch (view) {
        case 'available':
          if (user === undefined) {
            return; // still asking the server who we are
          }
          if (user === null) {
            goToLogin(seat.id);
            return;
          }
          void hold(seat);
          return;
        case 'mine':
          void release(seat);
          return;
        case 'held':
          setNotice({ tone: 'info', text: `${seatLabel(seat)} is held by someone else right now; it may free up in a few minutes.` });
          return;
        case 'booked':
          setNotice({ tone: 'info', text: `${seatLabel(seat)} is already booked.` });
          return;
      }
    },
    [state.pendingHold, state.pendingRelease, views, user, goToLogin, hold, release],
  );

  useEffect(() => {
    holdRef.current = hold;
  }, [hold]);

  const book = useCallback(async () => {
    if (mySeats.length === 0 || booking) {
      return;
    }
    setBooking(true);
    setNotice(null);
    const seatIds = mySeats.map((seat) => seat.id);
    for (const id of seatIds) {
      expectedDrops.current.add(id);
    }
    try {
      const result = await bookAll(showId, seatIds);
      dispatch({ type: 'booked', seatIds: result.bookedSeatIds });
      const confirmation: Confirmation = {
        reference: result.references[0] ?? '',
        references: result.references,
        showId,
        movieTitle: showtime?.movie.title ?? state.layout?.movie_title ?? '',
        venue: showtime === null ? (state.layout?.venue_name ?? '') : `${showtime.venue.name}, ${showtime.venue.city}`,
        hallName: showtime?.hall.name ?? state.layout?.hall_name ?? '',
        startsAt: showtime?.starts_at ?? state.layout?.starts_at ?? '',
        timeZone: showtime?.venue.time_zone ?? 'UTC',
        seats: result.bookings.map(({ seatId, price }) => {
          const seat = seatById.get(seatId);
          return { row: seat?.row ?? '?', number: seat?.number ?? 0, kind: seat?.kind ?? 'standard', price };
        }),
        total: result.total,
        warning: result.failure === undefined ? undefined : `Not everything was booked: ${errorMessage(result.failure)}`,
      };
      saveConfirmation(confirmation);
      navigate(`/confirmation/${encodeURIComponent(confirmation.reference)}`);
    } catch (error) {
      for (const id of seatIds) {
        expectedDrops.current.delete(id);
      }
      if (error instanceof ApiError && error.status === 401) {
        lost();
        goToLogin();
        return;
      }
      setNotice({ tone: 'error', text: `Booking failed: ${errorMessage(error)}` });
      void refresh();
    } finally {
      setBooking(false);
    }
  }, [mySeats, booking, showId, showtime, state.layout, seatById, lost, goToLogin, refresh]);

  // ── rendering ──
  const title = showtime?.movie.title ?? state.layout?.movie_title ?? (loadError === null ? 'Loading the seat map…' : 'Showtime unavailable');
  const timeZone = showtime?.venue.time_zone ?? 'UTC';
  const startsAt = showtime?.starts_at ?? state.layout?.starts_at;
  const salesClosed = startsAt !== undefined && Date.parse(startsAt) <= now;
  const cancelled = showtime?.status === 'cancelled';
  const counts = useMemo(() => {
    const tally = { available: 0, held: 0, booked: 0, mine: 0 };
    for (const view of views.values()) {
      tally[view] += 1;
    }
    return tally;
  }, [views]);
  const total = sumMoney(
    mySeats.map((seat) => seat.price ?? { amount: 0, currency: 'EUR' }),
    showtime?.price.currency,
  );
  const earliest = mySeats.reduce<number | undefined>((min, seat) => {
    const until = state.granted.get(seat.id);
    return until === undefined ? min : min === undefined ? until : Math.min(min, until);
  }, undefined);

  return (
    <div className="page show-page">
      <Link to="/" className="back-link">
        ← All showtimes
      </Link>
      <header className="show-header">
        <div>
          <PageHeading>{title}</PageHeading>
          {startsAt !== undefined && (
            <p className="show-meta">
              <time dateTime={startsAt}>{formatLongDateTime(startsAt, timeZone)}</time>
              <span aria-hidden="true"> · </span>
              {showtime?.hall.name ?? state.layout?.hall_name}
              <span aria-hidden="true"> · </span>
              {showtime === null ? state.layout?.venue_name : `${showtime.venue.name}, ${showtime.venue.city}`}
            </p>
          )}
        </div>
        <LiveBadge mode={liveMode} />
      </header>

      {cancelled && <p className="banner banner--error">This showtime has been cancelled; its seats cannot be booked.</p>}
      {!cancelled && salesClosed && <p className="banner banner--info">This showtime has started; sales have closed.</p>}
      <div className="notice-area">
        <div role="alert" className={notice?.tone === 'error' ? 'notice notice--error' : 'notice-empty'}>
          {notice?.tone === 'error' ? notice.text : null}
        </div>
        <div role="status" className={notice?.tone === 'info' ? 'notice notice--info' : 'notice-empty'}>
          {notice?.tone === 'info' ? notice.text : null}
        </div>
        <div className="visually-hidden" aria-live="polite">
          {announcement}
        </div>
      </div>

      {loadError !== null && state.layout === null ? (
        <div className="card empty-state">
          <p>{loadError}</p>
          <Link to="/" className="button">
            See all showtimes
          </Link>
        </div>
      ) : (
        <div className="show-layout">
          <section className="card map-card" aria-labelledby="map-heading">
            <div className="map-card-head">
              <h2 id="map-heading">Choose your seats</h2>
              <p className="map-counts">
                {state.layout === null ? 'Loading…' : `${counts.available} of ${state.seats.length} seats free`}
              </p>
            </div>
            <SeatLegend />
            <p id="map-help" className="hint">
              Click a seat to hold it for you, click it again to let it go. With a keyboard: Tab to the map, arrow keys to move,
              Enter or Space to hold or release.
            </p>
            {state.layout === null ? (
              <div className="map-loading" aria-busy="true">
                Loading the seat map…
              </div>
            ) : (
              <SeatMap
                seats={state.seats}
                states={views}
                pending={pendingOf(state.pendingHold, state.pendingRelease)}
                onActivate={activate}
                label={`Seat map of ${state.layout.hall_name}; the screen is at the top`}
                describedBy="map-help"
                zoomable
              />
            )}
          </section>

          <aside className="card summary-card" aria-labelledby="summary-heading">
            <h2 id="summary-heading">Your seats</h2>
            {user === null ? (
              <p className="summary-empty">
                <Link to={`/login?next=${encodeURIComponent(`/shows/${showId}`)}`}>Log in</Link> to hold seats. You can also pick a
                seat first; we bring you back here after logging in.
              </p>
            ) : mySeats.length === 0 ? (
              <p className="summary-empty">No seats yet. Pick seats on the map: each is held for you for a few minutes while you book.</p>
            ) : (
              <>
                {earliest !== undefined && <HoldCountdown until={earliest} />}
                <ul className="summary-seats">
                  {mySeats.map((seat) => (
                    <li key={seat.id}>
                      <span className="summary-seat-name">
                        {seatLabel(seat)}
                        {seat.kind !== 'standard' && <span className={`tag tag--${seat.kind}`}>{kindLabel[seat.kind]}</span>}
                      </span>
                      <span className="summary-seat-price">{seat.price === undefined ? '' : formatMoney(seat.price)}</span>
                      <button
                        type="button"
                        className="link-button"
                        onClick={() => void release(seat)}
                        disabled={state.pendingRelease.has(seat.id) || state.pendingHold.has(seat.id)}
                        aria-label={`Release ${seatLabel(seat)}`}
                      >
                        Release
                      </button>
                    </li>
                  ))}
                </ul>
                <p className="summary-total">
                  <span>Total</span>
                  <strong>{formatMoney(total)}</strong>
                </p>
              </>
            )}
            <button
              type="button"
              className="button button--primary button--block"
              onClick={() => void book()}
              disabled={mySeats.length === 0 || booking || state.pendingHold.size > 0}
              aria-busy={booking}
            >
              {booking ? 'Booking…' : mySeats.length === 0 ? 'Book' : `Book ${mySeats.length} ${mySeats.length === 1 ? 'seat' : 'seats'}`}
            </button>
            {showtime !== null && (
              <p className="summary-prices">
                Standard {formatMoney(showtime.price)}
                {showtime.premium_price.amount !== showtime.price.amount && <> · Premium {formatMoney(showtime.premium_price)}</>}
              </p>
            )}
          </aside>
        </div>
      )}
    </div>
  );
}

const emptySet: ReadonlySet<number> = new Set();
function pendingOf(a: ReadonlySet<number>, b: ReadonlySet<number>): ReadonlySet<number> {
  if (a.size === 0 && b.size === 0) {
    return emptySet;
  }
  return new Set([...a, ...b]);
}

function LiveBadge({ mode }: { mode: LiveMode }) {
  const text = mode === 'live' ? 'Live' : mode === 'polling' ? 'Updating every 10 s' : 'Connecting…';
  return (
    <p className={`live-badge live-badge--${mode}`} title={mode === 'live' ? 'Other people’s seat changes appear as they happen' : undefined}>
      <span className="live-dot" aria-hidden="true" />
      {text}
    </p>
  );
}

/** Time left on the earliest of my holds; a warning in the last minute. */
function HoldCountdown({ until }: { until: number }) {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);
  const left = until - now;
  const warning = left <= WARN_MS;
  return (
    <div className={`countdown${warning ? ' countdown--warning' : ''}`}>
      <p>
        {warning ? 'Less than a minute left: book now or your seats are released.' : 'Your seats are held for'}{' '}
        <strong role="timer" aria-label={`Time left: ${formatCountdown(left)}`}>
          {formatCountdown(left)}
        </strong>
      </p>
      {/* Said once when the last minute starts, not every second. */}
      <p className="visually-hidden" aria-live="assertive">
        {warning ? 'Less than a minute left to book your seats.' : ''}
      </p>
    </div>
  );
}

type BookingResult = {
  references: string[];
  bookings: { seatId: number; price: { amount: number; currency: string } }[];
  bookedSeatIds: number[];
  total: { amount: number; currency: string };
  failure?: unknown;
};

/**
 * Books all seats in one request (POST /api/book-seats/, all or nothing). A
 * server without that endpoint gets one POST /api/book-seat/ per seat: then
 * a seat lost half-way leaves the earlier ones booked, and the confirmation
 * says so.
 */
async function bookAll(showId: number, seatIds: number[]): Promise<BookingResult> {
  try {
    const reply = await call(api.POST('/api/book-seats/', { body: { show_id: showId, seat_ids: seatIds } }));
    return {
      references: [reply.reference],
      bookings: reply.bookings.map((b) => ({ seatId: b.seat_id, price: b.price })),
      bookedSeatIds: reply.bookings.map((b) => b.seat_id),
      total: reply.total,
    };
  } catch (error) {
    if (!isMissingEndpoint(error)) {
      throw error;
    }
  }
  const booked: { seatId: number; reply: { reference: string; price: Money } }[] = [];
  let failure: unknown;
  for (const seatId of seatIds) {
    try {
      booked.push({ seatId, reply: await call(api.POST('/api/book-seat/', { body: { show_id: showId, seat_id: seatId } })) });
    } catch (error) {
      failure = error;
      break;
    }
  }
  if (booked.length === 0) {
    throw failure;
  }
  return {
    references: [...new Set(booked.map((b) => b.reply.reference))],
    bookings: booked.map((b) => ({ seatId: b.seatId, price: b.reply.price })),
    bookedSeatIds: booked.map((b) => b.seatId),
    total: sumMoney(booked.map((b) => b.reply.price)),
    failure,
  };
}
