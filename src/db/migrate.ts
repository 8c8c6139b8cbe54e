import { sql, type Transaction } from 'kysely';
import { Migrator, type Migration, type MigrationProvider } from 'kysely/migration';
import { maintenanceDatabase, STATEMENT_TIMEOUT, type Database } from './database.ts';
import type { DB } from './schema.ts';
import * as bookingCore from './migrations/0001_booking_core.ts';
import * as catalogPricesOperations from './migrations/0002_catalog_prices_operations.ts';
import * as oneRoundTripSeatWrites from './migrations/0003_one_round_trip_seat_writes.ts';
import * as groupCommitSeatWrites from './migrations/0004_group_commit_seat_writes.ts';
import * as loginFailures from './migrations/0005_login_failures.ts';
import * as showtimeLeadingKeys from './migrations/0006_showtime_leading_keys.ts';
import * as ticketTypes from './migrations/0007_ticket_types.ts';
import * as priceCards from './migrations/0008_price_cards.ts';
import * as venuePricing from './migrations/0009_venue_pricing.ts';
import * as vouchers from './migrations/0010_vouchers.ts';
import * as orders from './migrations/0011_orders.ts';
import * as ageRatings from './migrations/0012_age_ratings.ts';

/** Every migration, in order. A static list keeps migrations working under any loader. */
const migrations: Record<string, Migration> = {
  '0001_booking_core': bookingCore,
  '0002_catalog_prices_operations': catalogPricesOperations,
  '0003_one_round_trip_seat_writes': oneRoundTripSeatWrites,
  '0004_group_commit_seat_writes': groupCommitSeatWrites,
  '0005_login_failures': loginFailures,
  '0006_showtime_leading_keys': showtimeLeadingKeys,
  '0007_ticket_types': ticketTypes,
  '0008_price_cards': priceCards,
  '0009_venue_pricing': venuePricing,
  '0010_vouchers': vouchers,
  '0011_orders': orders,
  '0012_age_ratings': ageRatings,
};

const provider: MigrationProvider = { getMigrations: () => Promise.resolve(migrations) };

/** Advisory lock keys: any constants unique to this app. */
export const lockKeys = { migrate: 727_001, seed: 727_002 } as const;

/**
 * Runs `fn` in one transaction on a connection of its own, holding a
 * transaction-scoped advisory lock, so one process does it at a time. Neither
 * the wait for the lock (another process migrating or seeding) nor the work
 * (an index on a big table) is a request: the transaction lifts the request
 * statement timeout for itself (`SET LOCAL`, before the lock is asked for).
 * Lock and setting end with the transaction, so this works through PgBouncer
 * in transaction pooling mode, which keeps a transaction on one server
 * connection and nothing beyond it.
 */
export async function withAdvisoryLock<T>(db: Database, key: number, fn: (trx: Transaction<DB>) => Promise<T>): Promise<T> {
  const maintenance = maintenanceDatabase(db);
  try {
    return await maintenance.transaction().execute(async (trx) => {
      await sql`SET LOCAL statement_timeout = 0`.execute(trx);
      await sql`SELECT pg_advisory_xact_lock(${key})`.execute(trx);
      return fn(trx);
    });
  } finally {
    if (maintenance !== db) {
      await maintenance.destroy();
    }
  }
}

/**
 * The request statement timeout, as the app role's default in this database:
 * every new session gets it, direct or through PgBouncer (which refuses it
 * as a startup parameter). A setting of this role in this database only.
 */
async function setStatementTimeout(trx: Transaction<DB>): Promise<void> {
  await sql`DO $$ BEGIN
    EXECUTE format('ALTER ROLE %I IN DATABASE %I SET statement_timeout = %L', current_user, current_database(), ${sql.lit(STATEMENT_TIMEOUT)});
  END $$`.execute(trx);
}

/**
 * Brings the schema up to date, in one transaction under our advisory lock
 * (SPEC §1: concurrent migrations are safe; two processes would otherwise
 * race on creating the migrator's bookkeeping tables), and sets the request
 * statement timeout.
 */
export async function migrateToLatest(db: Database): Promise<string[]> {
  return withAdvisoryLock(db, lockKeys.migrate, async (trx) => {
    const { error, results } = await new Migrator({ db: trx, provider }).migrateToLatest();
    if (error !== undefined) {
      throw error instanceof Error ? error : new Error('migration failed', { cause: error });
    }
    await setStatementTimeout(trx);
    return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
  });
}
