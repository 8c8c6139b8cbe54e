import { useEffect, useRef, useState, type Dispatch } from 'react';
import type { SeatEvent, Showtime, SnapshotEvent } from '../api/types.ts';
import type { ShowSeatsAction } from '../seatmap/showSeats.ts';

/** Without a live stream, the map is read again this often. */
export const POLL_MS = 10_000;

export type LiveMode = 'connecting' | 'live' | 'polling';

type Handlers = {
  dispatch: Dispatch<ShowSeatsAction>;
  /** Reads the whole map again. */
  refresh: () => Promise<void>;
  /** The showtime itself changed (staff cancelled, moved, re-priced it or changed its seat map, or deleted it). */
  onShowChange: (status: Showtime['status'] | 'deleted') => void;
};

/**
 * Live seat changes: the showtime's event stream (a snapshot, then one event
 * per seat change), or, while it is away or missing, a read of the map every
 * 10 s. Answers which of the two is on.
 */
export function useSeatStream(showId: number, { dispatch, refresh, onShowChange }: Handlers): LiveMode {
  const [mode, setMode] = useState<LiveMode>('connecting');
  // The stream lives as long as the showtime is on screen; the handlers it calls may change meanwhile.
  const handlers = useRef({ refresh, onShowChange });
  useEffect(() => {
    handlers.current = { refresh, onShowChange };
  }, [refresh, onShowChange]);

  useEffect(() => {
    let poll: ReturnType<typeof setInterval> | undefined;
    const startPolling = () => {
      setMode('polling');
      poll ??= setInterval(() => void handlers.current.refresh(), POLL_MS);
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
      setMode('live');
    });
    stream.addEventListener('seat', (message: MessageEvent<string>) => {
      dispatch({ type: 'seat', event: JSON.parse(message.data) as SeatEvent });
    });
    // The showtime itself changed while we watch: read it and the whole map again.
    stream.addEventListener('show', (message: MessageEvent<string>) => {
      const { status } = JSON.parse(message.data) as { status: Showtime['status'] | 'deleted' };
      handlers.current.onShowChange(status);
      void handlers.current.refresh();
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
  }, [showId, dispatch]);

  return mode;
}
