import { sql, type Kysely } from 'kysely';
import { Migrator, type Migration, type MigrationProvider } from 'kysely/migration';
import { maintenanceDatabase, type Database } from './database.ts';
import type { DB } from './schema.ts';
import * as bookingCore from './migrations/0001_booking_core.ts';
import * as catalogPricesOperations from './migrations/0002_catalog_prices_operations.ts';
import * as oneRoundTripSeatWrites from './migrations/0003_one_round_trip_seat_writes.ts';
import * as groupCommitSeatWrites from './migrations/0004_group_commit_seat_writes.ts';
import * as loginFailures from './migrations/0005_login_failures.ts';

/** Every migration, in order. A static list keeps migrations working under any loader. */
const migrations: Record<string, Migration> = {
  '0001_booking_core': bookingCore,
  '0002_catalog_prices_operations': catalogPricesOperations,
  '0003_one_round_trip_seat_writes': oneRoundTripSeatWrites,
  '0004_group_commit_seat_writes': groupCommitSeatWrites,
  '0005_login_failures': loginFailures,
};

const provider: MigrationProvider = { getMigrations: () => Promise.resolve(migrations) };

/** Advisory lock keys: any constants unique to this app. */
export const lockKeys = { migrate: 727_001, seed: 727_002 } as const;

/**
 * Runs `fn` on one connection while holding a cluster-wide advisory lock, so
 * one process does it at a time. Neither the wait for the lock (another
 * process migrating or seeding) nor the work (an index on a big table) is a
 * request: it runs on a connection of its own without the pool's 4 s
 * statement and query timeouts.
 */
export async function withAdvisoryLock<T>(db: Database, key: number, fn: (conn: Kysely<DB>) => Promise<T>): Promise<T> {
  const maintenance = maintenanceDatabase(db);
  try {
    return await maintenance.connection().execute(async (conn) => {
      await sql`SELECT pg_advisory_lock(${key})`.execute(conn);
      try {
        return await fn(conn);
      } finally {
        await sql`SELECT pg_advisory_unlock(${key})`.execute(conn);
      }
    });
  } finally {
    if (maintenance !== db) {
      await maintenance.destroy();
    }
  }
}

/**
 * Brings the schema up to date. Kysely's migrator locks its own run, but two
 * processes can still race on creating its bookkeeping tables, so the whole
 * run happens under our own advisory lock (SPEC §1: concurrent migrations are safe).
 */
export async function migrateToLatest(db: Database): Promise<string[]> {
  return withAdvisoryLock(db, lockKeys.migrate, async (conn) => {
    const { error, results } = await new Migrator({ db: conn, provider }).migrateToLatest();
    if (error !== undefined) {
      throw error instanceof Error ? error : new Error('migration failed', { cause: error });
    }
    return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
  });
}
