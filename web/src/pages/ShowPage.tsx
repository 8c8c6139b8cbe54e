import { useCallback, useEffect, useRef, useState } from 'react';
import type { Layout, Showtime } from '../api/types.ts';
import { formatMoney, seatLabel, sumMoney } from '../format.ts';
import { Link, navigate } from '../router.tsx';
import { SeatLegend, SeatMap } from '../seatmap/SeatMap.tsx';
import { rememberSeat, takeRememberedSeat, useSession } from '../session.tsx';
import { NoticeArea, type Notice } from '../show/NoticeArea.tsx';
import { SeatSummary } from '../show/SeatSummary.tsx';
import { ShowHeader } from '../show/ShowHeader.tsx';
import { useLostHolds } from '../show/useLostHolds.ts';
import { useSeatActions } from '../show/useSeatActions.ts';
import { useSeatStream } from '../show/useSeatStream.ts';
import { isFree } from '../show/seats.ts';
import { useShowSeats } from '../show/useShowSeats.ts';
import { useShowtime } from '../show/useShowtime.ts';
import { usePageTitle } from '../ui.tsx';

/** A showtime's live seat map: hold and release seats, then continue to the checkout with them. */
export function ShowPage({ showId }: { showId: number }) {
  const { user, lost } = useSession();
  const userId = user?.id ?? null;
  const { showtime, error: showtimeError, reload: reloadShowtime, setStatus } = useShowtime(showId);
  const [notice, setNotice] = useState<Notice>(null);
  const [announcement, setAnnouncement] = useState('');
  const timeZone = showtime?.venue.time_zone ?? 'UTC';

  usePageTitle(showtime === null ? 'Choose seats' : `${showtime.movie.title}: choose seats`);

  const goToLogin = useCallback(
    (seatId?: number) => {
      if (seatId !== undefined) {
        rememberSeat(showId, seatId);
      }
      navigate(`/login?next=${encodeURIComponent(`/shows/${showId}`)}`);
    },
    [showId],
  );
  const sessionLost = useCallback(
    (seatId?: number) => {
      lost();
      goToLogin(seatId);
    },
    [lost, goToLogin],
  );

  // Back from logging in, hold the seat that was clicked before, if it is still free.
  const holdRef = useRef<(seat: Layout['seats'][number]) => Promise<void>>(async () => undefined);
  const onFirstRead = useCallback(
    (layout: Layout) => {
      const seatId = userId === null ? undefined : takeRememberedSeat(showId);
      const seat = layout.seats.find((s) => s.id === seatId);
      if (seat === undefined) {
        return;
      }
      if (isFree(seat)) {
        void holdRef.current(seat);
      } else if (!(seat.status === 'held' && seat.locked_by === userId)) {
        setNotice({ tone: 'error', text: `${seatLabel(seat)} was taken while you were logging in; please pick another seat.` });
      }
    },
    [showId, userId],
  );
  const seats = useShowSeats(showId, userId, onFirstRead);
  const { state, dispatch, refresh, views, mySeats, counts, earliest, now } = seats;
  const loadError = seats.loadError ?? showtimeError;

  const onShowChange = useCallback(
    (status: Showtime['status'] | 'deleted') => {
      if (status !== 'deleted') {
        setStatus(status);
      }
      reloadShowtime();
      if (status === 'cancelled') {
        setNotice({ tone: 'error', text: 'This showtime has been cancelled: seats can no longer be held or booked.' });
      }
    },
    [setStatus, reloadShowtime],
  );
  const liveMode = useSeatStream(showId, { dispatch, refresh, onShowChange });

  const onLost = useCallback((text: string) => setNotice({ tone: 'info', text }), []);
  const drops = useLostHolds(mySeats, state.pendingHold, userId, dispatch, onLost);

  const { hold, release, activate } = useSeatActions({
    showId,
    user,
    timeZone,
    state,
    views,
    dispatch,
    refresh,
    toLogin: goToLogin,
    sessionLost,
    setNotice,
    announce: setAnnouncement,
    drops,
  });
  useEffect(() => {
    holdRef.current = hold;
  }, [hold]);

  const title = showtime?.movie.title ?? state.layout?.movie_title ?? (loadError === null ? 'Loading the seat map…' : 'Showtime unavailable');
  const startsAt = showtime?.starts_at ?? state.layout?.starts_at;
  const salesClosed = startsAt !== undefined && Date.parse(startsAt) <= now;
  const cancelled = showtime?.status === 'cancelled';
  const total = sumMoney(
    mySeats.map((seat) => seat.price ?? { amount: 0, currency: 'EUR' }),
    showtime?.price.currency,
  );

  return (
    <div className="page show-page">
      <Link to="/" className="back-link">
        ← All showtimes
      </Link>
      <ShowHeader
        title={title}
        startsAt={startsAt}
        timeZone={timeZone}
        hall={showtime?.hall.name ?? state.layout?.hall_name}
        venue={showtime === null ? state.layout?.venue_name : `${showtime.venue.name}, ${showtime.venue.city}`}
        liveMode={liveMode}
      />

      {cancelled && <p className="banner banner--error">This showtime has been cancelled; its seats cannot be booked.</p>}
      {!cancelled && salesClosed && <p className="banner banner--info">This showtime has started; sales have closed.</p>}
      <NoticeArea notice={notice} announcement={announcement} />

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
              <p className="map-counts">{state.layout === null ? 'Loading…' : `${counts.available} of ${state.seats.length} seats free`}</p>
            </div>
            <SeatLegend />
            <p id="map-help" className="hint">
              Click a seat to hold it for you, click it again to let it go. With a keyboard: Tab to the map, arrow keys to move, Enter or
              Space to hold or release.
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

          <SeatSummary
            showId={showId}
            user={user}
            seats={mySeats}
            earliest={earliest}
            busy={pendingOf(state.pendingHold, state.pendingRelease)}
            onRelease={(seat) => void release(seat)}
            total={total}
          >
            {/* On to the tickets and payment: the seats stay held meanwhile (the checkout reads them from the server). */}
            <button
              type="button"
              className="button button--primary button--block"
              onClick={() => navigate(`/shows/${showId}/checkout`)}
              disabled={mySeats.length === 0 || state.pendingHold.size > 0}
            >
              {mySeats.length === 0 ? 'Continue' : `Continue with ${mySeats.length} ${mySeats.length === 1 ? 'seat' : 'seats'}`}
            </button>
            {showtime !== null && (
              <p className="summary-prices">
                Standard {formatMoney(showtime.price)}
                {showtime.premium_price.amount !== showtime.price.amount && <> · Premium {formatMoney(showtime.premium_price)}</>}
              </p>
            )}
          </SeatSummary>
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
