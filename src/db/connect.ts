import { sql } from 'kysely';
import type { Logger } from 'pino';
import { createDatabase, createPool, maintenanceDatabase, type Database } from './database.ts';
import { startEmbeddedPostgres, type EmbeddedPostgres } from './embedded.ts';
import { migrateToLatest } from './migrate.ts';
import { isDatabaseUnavailable } from './pg-errors.ts';

export type Connection = {
  db: Database;
  /** The connection string in use (the embedded server's, when we started it), for worker processes. */
  url: string;
  /** True when we started the embedded server (and so may seed it). */
  embedded: boolean;
  /** Destroys the pool, then stops the embedded server if we started one. */
  close(): Promise<void>;
};

export class StartupError extends Error {}

const RETRY_FOR_MS = 30_000;

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** A database that is down at startup is retried for up to 30 s, one log line per attempt (SPEC §1). */
async function waitForDatabase(db: Database, log: Logger): Promise<void> {
  const deadline = Date.now() + RETRY_FOR_MS;
  for (let attempt = 1; ; attempt++) {
    try {
      await sql`SELECT 1`.execute(db);
      return;
    } catch (error) {
      if (!isDatabaseUnavailable(error)) {
        throw new StartupError(`Cannot use the database: ${describe(error)}.`);
      }
      if (Date.now() >= deadline) {
        throw new StartupError(`The database did not answer for ${RETRY_FOR_MS / 1000} s (${describe(error)}); check DATABASE_URL and that PostgreSQL is running.`);
      }
      log.warn({ attempt, err: describe(error) }, 'database not reachable yet; retrying in 1 s');
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
  }
}

/** DATABASE_URL, or the embedded server under dataDir; waits for it and migrates it. */
export async function connectDatabase(
  options: { databaseUrl: string | undefined; dataDir: string; dataDirIsDefault?: boolean; poolSize?: number },
  log: Logger,
): Promise<Connection> {
  let embedded: EmbeddedPostgres | undefined;
  let url = options.databaseUrl;
  if (url === undefined) {
    embedded = await startEmbeddedPostgres(options.dataDir, log, {
      relocateIfUnreachable: options.dataDirIsDefault === true,
      restartIfItExits: true,
    });
    url = embedded.url;
  }
  const pool = createPool(url, options.poolSize === undefined ? {} : { max: options.poolSize });
  const db = createDatabase(pool);
  let closed: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closed ??= (async () => {
      await db.destroy().catch((error: unknown) => log.warn({ err: error }, 'closing the pool failed'));
      await embedded?.stop();
    })();
    return closed;
  };
  try {
    // Through a connection of its own: the pool's first connections come after
    // the migration, with the statement timeout it sets as the role's default.
    const probe = maintenanceDatabase(db);
    await waitForDatabase(probe, log).finally(() => probe.destroy());
    const applied = await migrateToLatest(db);
    if (applied.length > 0) {
      log.info({ migrations: applied }, 'database migrated');
    }
  } catch (error) {
    await close();
    throw error;
  }
  return { db, url, embedded: embedded !== undefined, close };
}
