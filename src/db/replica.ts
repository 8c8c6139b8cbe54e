import { sql } from 'kysely';
import type { Logger } from 'pino';
import { createDatabase, createPool, type Database } from './database.ts';

/**
 * Where reads that may be a little behind go: catalog listings and staff
 * reports, never anything that decides a seat (holds, bookings, releases and
 * the seat map read the primary). With `READ_DATABASE_URL` set, that is a
 * streaming replica while its lag is known and within `maxLagSeconds`;
 * otherwise (no replica, replica unreachable, too far behind) the primary.
 */
export type ReadDatabase = {
  /** The database for the next bounded-staleness read. */
  reads: () => Database;
  /** The replica's lag as last measured, in seconds; undefined without a replica or while it is unreachable. */
  lagSeconds(): number | undefined;
  /** True while reads go to the replica. */
  usingReplica(): boolean;
  readonly configured: boolean;
  close(): Promise<void>;
};

export type ReplicaOptions = { url: string | undefined; maxLagSeconds: number; probeIntervalMs?: number; poolSize?: number };

/**
 * The lag is measured against the primary, not from the replica's replay
 * clock alone (which stands still while the primary is idle): the primary's
 * current WAL position is read first; a replica that has replayed up to it
 * is 0 s behind; one that has not is behind by at least the time since the
 * last transaction it replayed, which is the figure used (an upper bound, so
 * the fallback errs towards the primary).
 */
export function startReadDatabase(primary: Database, options: ReplicaOptions, log: Logger): ReadDatabase {
  if (options.url === undefined) {
    return { reads: () => primary, lagSeconds: () => undefined, usingReplica: () => false, configured: false, close: async () => undefined };
  }
  const replica = createDatabase(createPool(options.url, { max: options.poolSize ?? 10, applicationName: 'boxoffice-reads' }));
  let lag: number | undefined;
  let wasUsing = false;
  const using = () => lag !== undefined && lag <= options.maxLagSeconds;

  const probe = async (): Promise<void> => {
    try {
      const { rows: primaryRows } = await sql<{ lsn: string }>`SELECT pg_current_wal_lsn()::text AS lsn`.execute(primary);
      const { rows } = await sql<{ standby: boolean; caught_up: boolean | null; behind: number | null }>`
        SELECT pg_is_in_recovery() AS standby,
               pg_last_wal_replay_lsn() >= ${primaryRows[0]!.lsn}::pg_lsn AS caught_up,
               extract(epoch FROM now() - pg_last_xact_replay_timestamp())::float8 AS behind`.execute(replica);
      const row = rows[0]!;
      if (!row.standby) {
        throw new Error('READ_DATABASE_URL is not a standby (pg_is_in_recovery() is false)');
      }
      lag = row.caught_up === true ? 0 : Math.max(0, row.behind ?? Number.POSITIVE_INFINITY);
    } catch (error) {
      lag = undefined;
      log.debug({ err: error }, 'read replica probe failed');
    }
    if (using() !== wasUsing) {
      wasUsing = using();
      if (wasUsing) {
        log.info({ lagSeconds: lag }, 'catalog reads go to the read replica');
      } else {
        log.warn({ lagSeconds: lag ?? null, maxLagSeconds: options.maxLagSeconds }, 'catalog reads go to the primary: the read replica is unreachable or too far behind');
      }
    }
  };

  let stopped = false;
  let running: Promise<void> = probe();
  const timer = setInterval(() => {
    running = running.then(() => (stopped ? undefined : probe()));
  }, options.probeIntervalMs ?? 1_000);
  timer.unref();

  return {
    reads: () => (using() ? replica : primary),
    lagSeconds: () => lag,
    usingReplica: using,
    configured: true,
    close: async () => {
      stopped = true;
      clearInterval(timer);
      await running;
      await replica.destroy();
    },
  };
}
