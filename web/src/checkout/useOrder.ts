import { useCallback, useEffect, useRef, useState } from 'react';
import { errorMessage } from '../api/client.ts';
import { loadVenues } from '../catalog.ts';
import { loadOrder, type Order } from './ordersApi.ts';

/** How often a payment under way is asked after. */
export const POLL_MS = 1_000;

/**
 * An order as the server has it, and the time zone of its venue. While
 * `pollWhile(order)` says so, it is read again every second; `onRead` hears
 * every read.
 */
export function useOrder(orderId: number, pollWhile: (order: Order | null) => boolean, onRead?: (order: Order) => void) {
  const [order, setOrder] = useState<Order | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [timeZone, setTimeZone] = useState('UTC');

  const onReadRef = useRef(onRead);
  useEffect(() => {
    onReadRef.current = onRead;
  }, [onRead]);

  const reload = useCallback(() => {
    loadOrder(orderId).then(
      (fresh) => {
        setOrder(fresh);
        setError(null);
        onReadRef.current?.(fresh);
      },
      (e: unknown) => setError(errorMessage(e)),
    );
  }, [orderId]);

  useEffect(() => {
    let cancelled = false;
    loadOrder(orderId).then(
      (fresh) => {
        if (!cancelled) {
          setOrder(fresh);
          onReadRef.current?.(fresh);
        }
      },
      (e: unknown) => !cancelled && setError(errorMessage(e)),
    );
    return () => {
      cancelled = true;
    };
  }, [orderId]);

  const polling = pollWhile(order);
  const venueId = order?.show.venue.id;
  useEffect(() => {
    if (venueId === undefined) {
      return;
    }
    loadVenues().then((venues) => setTimeZone(venues.find((v) => v.id === venueId)?.time_zone ?? 'UTC'), () => undefined);
  }, [venueId]);

  useEffect(() => {
    if (!polling) {
      return;
    }
    const timer = setInterval(reload, POLL_MS);
    return () => clearInterval(timer);
  }, [polling, reload]);

  return { order, error, timeZone, reload, setOrder };
}
