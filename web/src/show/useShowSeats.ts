import { useCallback, useEffect, useMemo, useReducer, useRef, useState } from 'react';
import { api, call, errorMessage } from '../api/client.ts';
import type { Layout } from '../api/types.ts';
import { initialShowSeats, nextExpiry, showSeatsReducer, viewsOf } from '../seatmap/showSeats.ts';
import { countViews, earliestHold } from './seats.ts';

export const readLayout = (showId: number) => call(api.GET('/api/hall-layout/{show_id}/', { params: { path: { show_id: showId } } }));

/**
 * A showtime's seats as this viewer sees them: the map read from the server
 * (again whenever who is looking changes: login shows my holds, logout
 * forgets them), the changes dispatched into it, and the clock that turns a
 * hold that ran out back into a free seat. `onFirstRead` gets each read made
 * for a new viewer (to hold the seat clicked before logging in).
 */
export function useShowSeats(showId: number, userId: number | null, onFirstRead: (layout: Layout) => void) {
  const [state, dispatch] = useReducer(showSeatsReducer, initialShowSeats);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [now, setNow] = useState(() => Date.now());

  const refresh = useCallback(async (): Promise<void> => {
    const requestedAt = Date.now();
    try {
      const layout = await readLayout(showId);
      dispatch({ type: 'layout', layout, userId, requestedAt });
      setLoadError(null);
    } catch (error) {
      setLoadError(errorMessage(error));
    }
  }, [showId, userId]);

  const onFirstReadRef = useRef(onFirstRead);
  useEffect(() => {
    onFirstReadRef.current = onFirstRead;
  }, [onFirstRead]);

  useEffect(() => {
    let cancelled = false;
    const requestedAt = Date.now();
    readLayout(showId).then(
      (layout) => {
        if (!cancelled) {
          dispatch({ type: 'layout', layout, userId, requestedAt });
          setLoadError(null);
          onFirstReadRef.current(layout);
        }
      },
      (error: unknown) => !cancelled && setLoadError(errorMessage(error)),
    );
    return () => {
      cancelled = true;
    };
  }, [userId, showId]);

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
  const counts = useMemo(() => countViews(views), [views]);
  const earliest = earliestHold(mySeats, state.granted);

  return { state, dispatch, loadError, refresh, now, views, seatById, mySeats, counts, earliest };
}
