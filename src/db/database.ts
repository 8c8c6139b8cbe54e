import { Kysely, PostgresDialect } from 'kysely';
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
 * One pool per process. The timeouts bound how long a request can wait for a
 * database that is gone (SPEC §8: every request answered within 5 s).
 */
export function createPool(connectionString: string, options: PoolOptions = {}): pg.Pool {
  const pool = new pg.Pool({
    connectionString,
    max: options.max ?? 20,
    connectionTimeoutMillis: 2_000,
    idleTimeoutMillis: 30_000,
    // Server-side bound on any one statement, and a client-side one for a server that stopped answering.
    statement_timeout: 4_000,
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
 * Settings for a connection of its own to the database behind `db`, for
 * LISTEN (a listening connection cannot go back to a pool).
 */
export function listenerConfig(db: Database): pg.ClientConfig | undefined {
  const pool = pools.get(db);
  if (pool === undefined) {
    return undefined;
  }
  const { connectionString, application_name: name } = pool.options as pg.PoolConfig;
  return { connectionString, application_name: `${name ?? 'boxoffice'}-listener`, connectionTimeoutMillis: 2_000, keepAlive: true };
}

/**
 * A one-connection Database to the same server as `db`, without the request
 * timeouts: for migrations and the seed, whose waits and work are no request.
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
  return createDatabase(single);
}

/** Connections of the pool behind `db` right now (undefined for a Database not made by createDatabase). */
export function poolStats(db: Database): PoolStats | undefined {
  const pool = pools.get(db);
  return pool === undefined ? undefined : { total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount };
}
