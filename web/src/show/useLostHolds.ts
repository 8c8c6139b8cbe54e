import { useCallback, useEffect, useRef, type Dispatch } from 'react';
import type { MapSeat } from '../seatmap/SeatMap.tsx';
import type { ShowSeatsAction } from '../seatmap/showSeats.ts';
import { lostHoldsText } from './seats.ts';

/** Holds made together run out together, a few hundred ms apart: one sentence for all of them. */
const TOGETHER_MS = 5000;

/**
 * Seats that stop being mine without my asking (a hold ran out, or was
 * released elsewhere) are announced through `onLost`. Only confirmed holds
 * count: a refused optimistic hold is reported by its own error. A seat I
 * release or book is expected to go: `expect(ids)` before, `unexpect(ids)`
 * when that failed.
 */
export function useLostHolds(
  mySeats: readonly MapSeat[],
  pendingHold: ReadonlySet<number>,
  userId: number | null,
  dispatch: Dispatch<ShowSeatsAction>,
  onLost: (text: string) => void,
) {
  const expectedDrops = useRef(new Set<number>());
  const previousMine = useRef<readonly MapSeat[]>([]);
  const recentlyLost = useRef<{ seats: MapSeat[]; at: number }>({ seats: [], at: 0 });
  const onLostRef = useRef(onLost);
  useEffect(() => {
    onLostRef.current = onLost;
  }, [onLost]);

  useEffect(() => {
    const confirmed = mySeats.filter((seat) => !pendingHold.has(seat.id));
    const mine = new Set(mySeats.map((seat) => seat.id));
    const lostSeats = previousMine.current.filter((seat) => !mine.has(seat.id) && !expectedDrops.current.has(seat.id));
    previousMine.current = confirmed;
    for (const seat of mine) {
      expectedDrops.current.delete(seat);
    }
    if (lostSeats.length > 0 && userId !== null) {
      dispatch({ type: 'expired', seatIds: lostSeats.map((seat) => seat.id) });
      const now = Date.now();
      const seats = [...(now - recentlyLost.current.at < TOGETHER_MS ? recentlyLost.current.seats : []), ...lostSeats];
      recentlyLost.current = { seats, at: now };
      onLostRef.current(lostHoldsText(seats));
    }
  }, [mySeats, userId, pendingHold, dispatch]);

  const expect = useCallback((seatIds: readonly number[]) => {
    for (const id of seatIds) {
      expectedDrops.current.add(id);
    }
  }, []);
  const unexpect = useCallback((seatIds: readonly number[]) => {
    for (const id of seatIds) {
      expectedDrops.current.delete(id);
    }
  }, []);
  return { expect, unexpect };
}
