import type { Logger } from 'pino';
import type { Database } from '../db/database.ts';
import { runPeriodically } from '../shared/periodic.ts';
import { sweepExpiredHolds } from './booking.service.ts';

/**
 * Releases expired holds every `intervalSeconds` (0 turns it off). Reads never
 * depend on it (they treat an expired hold as available); it keeps the table
 * tidy and the seat counts cheap. Several processes may run it at once.
 */
export function startSweeper(db: Database, intervalSeconds: number, log: Logger): { stop(): Promise<void> } {
  return runPeriodically(
    intervalSeconds,
    async () => {
      const released = await sweepExpiredHolds(db);
      if (released > 0) {
        log.info({ released }, 'released expired holds');
      }
    },
    (error) => log.warn({ err: error }, 'sweeping expired holds failed; will retry'),
  );
}
