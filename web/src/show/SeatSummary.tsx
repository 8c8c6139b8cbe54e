import type { ReactNode } from 'react';
import type { Money, User } from '../api/types.ts';
import { formatMoney, kindLabel, seatLabel } from '../format.ts';
import { Link } from '../router.tsx';
import type { MapSeat } from '../seatmap/SeatMap.tsx';
import { HoldCountdown } from './HoldCountdown.tsx';

type Props = {
  showId: number;
  user: User | null | undefined;
  seats: readonly MapSeat[];
  /** When the first hold runs out (ms). */
  earliest: number | undefined;
  /** Seats with a hold or release under way (their Release is disabled). */
  busy: ReadonlySet<number>;
  onRelease: (seat: MapSeat) => void;
  total: Money;
  /** The button that goes on with these seats, and whatever follows it. */
  children: ReactNode;
};

/** The seats I hold, each with its price and a Release button, the countdown and the total. */
export function SeatSummary({ showId, user, seats, earliest, busy, onRelease, total, children }: Props) {
  return (
    <aside className="card summary-card" aria-labelledby="summary-heading">
      <h2 id="summary-heading">Your seats</h2>
      {user === null ? (
        <p className="summary-empty">
          <Link to={`/login?next=${encodeURIComponent(`/shows/${showId}`)}`}>Log in</Link> to hold seats. You can also pick a seat first;
          we bring you back here after logging in.
        </p>
      ) : seats.length === 0 ? (
        <p className="summary-empty">No seats yet. Pick seats on the map: each is held for you for a few minutes while you book.</p>
      ) : (
        <>
          {earliest !== undefined && <HoldCountdown until={earliest} />}
          <ul className="summary-seats">
            {seats.map((seat) => (
              <li key={seat.id}>
                <span className="summary-seat-name">
                  {seatLabel(seat)}
                  {seat.kind !== 'standard' && <span className={`tag tag--${seat.kind}`}>{kindLabel[seat.kind]}</span>}
                </span>
                <span className="summary-seat-price">{seat.price === undefined ? '' : formatMoney(seat.price)}</span>
                <button
                  type="button"
                  className="link-button"
                  onClick={() => onRelease(seat)}
                  disabled={busy.has(seat.id)}
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
      {children}
    </aside>
  );
}
