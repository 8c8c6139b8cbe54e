import { useCallback, type Dispatch } from 'react';
import { api, ApiError, call, errorMessage, isMissingEndpoint } from '../api/client.ts';
import { formatTime, seatLabel } from '../format.ts';
import type { MapSeat, SeatView } from '../seatmap/SeatMap.tsx';
import type { ShowSeatsAction, ShowSeatsState } from '../seatmap/showSeats.ts';
import type { User } from '../api/types.ts';
import type { Notice } from './NoticeArea.tsx';

type Deps = {
  showId: number;
  user: User | null | undefined;
  timeZone: string;
  state: ShowSeatsState;
  views: ReadonlyMap<number, SeatView>;
  dispatch: Dispatch<ShowSeatsAction>;
  refresh: () => Promise<void>;
  /** To the login page (and back here after it), remembering the seat when given. */
  toLogin: (seatId?: number) => void;
  /** The server said 401: the session is gone; to the login page, remembering the seat when given. */
  sessionLost: (seatId?: number) => void;
  setNotice: (notice: Notice) => void;
  announce: (text: string) => void;
  drops: { expect: (ids: readonly number[]) => void; unexpect: (ids: readonly number[]) => void };
};

/** Holding and releasing seats from the map: optimistic in the view, corrected by the server's answer. */
export function useSeatActions({ showId, user, timeZone, state, views, dispatch, refresh, toLogin, sessionLost, setNotice, announce, drops }: Deps) {
  const hold = useCallback(
    async (seat: MapSeat) => {
      dispatch({ type: 'holdStarted', seatId: seat.id });
      setNotice(null);
      try {
        const reply = await call(api.POST('/api/hold-seat/', { body: { show_id: showId, seat_id: seat.id } }));
        dispatch({ type: 'holdGranted', seatId: seat.id, until: Date.parse(reply.locked_until) });
        announce(`${seatLabel(seat)} is held for you until ${formatTime(reply.locked_until, timeZone)}.`);
      } catch (error) {
        dispatch({ type: 'holdFailed', seatId: seat.id });
        if (error instanceof ApiError && error.status === 401) {
          sessionLost(seat.id);
          return;
        }
        setNotice({ tone: 'error', text: `${seatLabel(seat)}: ${errorMessage(error)}` });
        if (error instanceof ApiError && (error.status === 409 || error.status === 404)) {
          void refresh();
        }
      }
    },
    [showId, timeZone, dispatch, refresh, sessionLost, setNotice, announce],
  );

  const release = useCallback(
    async (seat: MapSeat) => {
      dispatch({ type: 'releaseStarted', seatId: seat.id });
      drops.expect([seat.id]);
      setNotice(null);
      try {
        await call(api.POST('/api/release-seat/', { body: { show_id: showId, seat_id: seat.id } }));
        dispatch({ type: 'released', seatIds: [seat.id] });
        announce(`${seatLabel(seat)} released.`);
      } catch (error) {
        dispatch({ type: 'releaseFailed', seatId: seat.id });
        drops.unexpect([seat.id]);
        if (error instanceof ApiError && error.status === 401) {
          sessionLost();
          return;
        }
        const until = state.granted.get(seat.id);
        const text = isMissingEndpoint(error)
          ? `This server cannot release seats yet; your hold on ${seatLabel(seat)} ends by itself${
              until === undefined ? '' : ` at ${formatTime(new Date(until).toISOString(), timeZone)}`
            }.`
          : `${seatLabel(seat)}: ${errorMessage(error)}`;
        setNotice({ tone: 'error', text });
        if (error instanceof ApiError && error.status === 409) {
          void refresh();
        }
      }
    },
    [showId, timeZone, state.granted, dispatch, refresh, sessionLost, setNotice, announce, drops],
  );

  /** A click or Enter on a seat of the map. */
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
            toLogin(seat.id);
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
    [state.pendingHold, state.pendingRelease, views, user, toLogin, hold, release, setNotice],
  );

  return { hold, release, activate };
}
