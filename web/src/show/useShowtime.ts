import { useCallback, useEffect, useState } from 'react';
import { api, call, errorMessage } from '../api/client.ts';
import type { Showtime } from '../api/types.ts';

/** The showtime (movie, hall, venue, prices, status), read once and again on `reload()`. */
export function useShowtime(showId: number) {
  const [showtime, setShowtime] = useState<Showtime | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let cancelled = false;
    call(api.GET('/api/showtimes/{id}', { params: { path: { id: showId } } })).then(
      (show) => !cancelled && setShowtime(show),
      (e: unknown) => !cancelled && setError(errorMessage(e)),
    );
    return () => {
      cancelled = true;
    };
  }, [showId]);

  const reload = useCallback(() => {
    call(api.GET('/api/showtimes/{id}', { params: { path: { id: showId } } })).then(setShowtime, () => undefined);
  }, [showId]);

  /** What the live stream already told (before the new read arrives). */
  const setStatus = useCallback((status: Showtime['status']) => {
    setShowtime((current) => (current === null ? current : { ...current, status }));
  }, []);

  return { showtime, error, reload, setStatus };
}
