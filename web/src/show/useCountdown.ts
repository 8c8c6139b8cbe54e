import { useEffect, useState } from 'react';

/** Milliseconds left until `until`, updated every second (negative once it has passed). */
export function useCountdown(until: number): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);
  return until - now;
}
