import type { Logger } from 'pino';
import type { Database } from '../db/database.ts';
import { sweepExpiredHolds } from './booking.service.ts';

/**
 * Releases expired holds every `intervalSeconds` (0 turns it off). Reads never
 * depend on it (they treat an expired hold as available); it keeps the table
 * tidy and the seat counts cheap. Several processes may run it at once.
 */
export function startSweeper(db: Database, intervalSeconds: number, log: Logger): { stop(): Promise<void> } {
  if (intervalSeconds <= 0) {
    return { stop: () => Promise.resolve() };
  }
  let running: Promise<void> | undefined;
  const timer = setInterval(() => {
    if (running !== undefined) {
      return; // the previous pass is still going
    }
    running = sweepExpiredHolds(db)
      .then((released) => {
        if (released > 0) {
          log.info({ released }, 'released expired holds');
        }
      })
      .catch((error: unknown) => log.warn({ err: error }, 'sweeping expired holds failed; will retry'))
      .finally(() => {
        running = undefined;
      });
  }, intervalSeconds * 1000);
  timer.unref();
  return {
    stop: async () => {
      clearInterval(timer);
      await running;
    },
  };
}
