import { Kysely, PostgresAdapter, PostgresDialect, type DialectAdapter } from 'kysely';
import pg from 'pg';
import type { DB } from './schema.ts';

export type Database = Kysely<DB>;

// int8 (count(*), sums) as JS numbers: our counts stay far below 2^53.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));

export type PoolOptions = {
  max?: number;
  /** Name shown in pg_stat_activity. */
  applicationName?: string;
};

/**
 * The server-side bound on any one statement of a request. It is the app
 * role's default in its database (set by migrateToLatest), not a startup
 * parameter: PgBouncer refuses unknown startup parameters, and a `SET` on a
 * pooled connection would leak to whichever client gets it next.
 */
export const STATEMENT_TIMEOUT = '4s';

/**
 * One pool per process. The timeouts bound how long a request can wait for a
 * database that is gone (SPEC §8: every request answered within 5 s). Nothing
 * here is session state, so the pool works through PgBouncer in transaction
 * pooling mode.
 */
export function createPool(connectionString: string, options: PoolOptions = {}): pg.Pool {
  const pool = new pg.Pool({
    connectionString,
    max: options.max ?? 20,
    connectionTimeoutMillis: 2_000,
    idleTimeoutMillis: 30_000,
    // The client-side bound, for a server that stopped answering (the server-side one is STATEMENT_TIMEOUT).
    query_timeout: 4_500,
    application_name: options.applicationName ?? 'boxoffice',
    keepAlive: true,
  });
  // An idle client losing its connection (database restart) must not crash the process;
  // the pool drops that client and the next query opens a new one.
  pool.on('error', () => undefined);
  // A checked-out client whose connection is terminated between two queries (a transaction's, or a
  // database restart) emits 'error' with no query to reject: without a listener that ends the process.
  // Its next query fails instead (a 503), and the pool drops it when it is released.
  pool.on('connect', (client) => {
    client.on('error', () => undefined);
  });
  return pool;
}

// Kysely keeps its pool private; the pool gauges of /metrics read it through this map.
const pools = new WeakMap<Database, pg.Pool>();

export function createDatabase(pool: pg.Pool): Database {
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
  pools.set(db, pool);
  return db;
}

export type PoolStats = { total: number; idle: number; waiting: number };

/**
 * Settings for a connection of its own for LISTEN: a listening connection
 * cannot go back to a pool, and PgBouncer in transaction pooling cannot carry
 * one. `listenUrl` (LISTEN_DATABASE_URL: straight to PostgreSQL) when given,
 * else the database behind `db`.
 */
export function listenerConfig(db: Database, listenUrl?: string): pg.ClientConfig | undefined {
  const pool = pools.get(db);
  if (pool === undefined) {
    return undefined;
  }
  const { connectionString, application_name: name } = pool.options as pg.PoolConfig;
  return { connectionString: listenUrl ?? connectionString, application_name: `${name ?? 'boxoffice'}-listener`, connectionTimeoutMillis: 2_000, keepAlive: true };
}

/**
 * Kysely's migrator takes a session-level advisory lock of its own, which
 * PgBouncer's transaction pooling would leave on whichever server connection
 * ran it. A maintenance Database instead runs the migrator inside the
 * transaction that holds withAdvisoryLock's transaction-scoped lock, so the
 * migrator's lock is not needed.
 */
class TransactionLockedAdapter extends PostgresAdapter {
  override async acquireMigrationLock(): Promise<void> {}
  override async releaseMigrationLock(): Promise<void> {}
}

class MaintenanceDialect extends PostgresDialect {
  override createAdapter(): DialectAdapter {
    return new TransactionLockedAdapter();
  }
}

/**
 * A one-connection Database to the same server as `db`, without the client's
 * query timeout: for migrations and the seed, whose waits and work are no
 * request (withAdvisoryLock lifts the statement timeout for its transaction).
 * (A Database not made by createDatabase is returned as it is.)
 */
export function maintenanceDatabase(db: Database): Database {
  const pool = pools.get(db);
  if (pool === undefined) {
    return db;
  }
  const { connectionString, application_name: name } = pool.options as pg.PoolConfig;
  const single = new pg.Pool({ connectionString, max: 1, application_name: `${name ?? 'boxoffice'}-maintenance`, connectionTimeoutMillis: 5_000 });
  single.on('error', () => undefined);
  single.on('connect', (client) => {
    client.on('error', () => undefined);
  });
  const maintenance = new Kysely<DB>({ dialect: new MaintenanceDialect({ pool: single }) });
  pools.set(maintenance, single);
  return maintenance;
}

/** Connections of the pool behind `db` right now (undefined for a Database not made by createDatabase). */
export function poolStats(db: Database): PoolStats | undefined {
  const pool = pools.get(db);
  return pool === undefined ? undefined : { total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount };
}
