import { formatCountdown } from '../format.ts';
import { useCountdown } from './useCountdown.ts';

/** The countdown turns into a warning this long before a hold ends. */
export const WARN_MS = 60_000;

/** Time left on the earliest of my holds (or on the order that keeps them); a warning in the last minute. */
export function HoldCountdown({ until, action = 'book' }: { until: number; action?: 'book' | 'pay' }) {
  const left = useCountdown(until);
  const warning = left <= WARN_MS;
  return (
    <div className={`countdown${warning ? ' countdown--warning' : ''}`}>
      <p>
        {warning ? `Less than a minute left: ${action} now or your seats are released.` : 'Your seats are held for'}{' '}
        <strong role="timer" aria-label={`Time left: ${formatCountdown(left)}`}>
          {formatCountdown(left)}
        </strong>
      </p>
      {/* Said once when the last minute starts, not every second. */}
      <p className="visually-hidden" aria-live="assertive">
        {warning ? `Less than a minute left to ${action === 'book' ? 'book' : 'pay for'} your seats.` : ''}
      </p>
    </div>
  );
}
