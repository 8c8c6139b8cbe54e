import { sql } from 'kysely';
import type { Database } from '../../src/db/database.ts';

/**
 * The PostgreSQL backends of the apps' notification listeners on this
 * database (src/db/listener.ts names its connection `<app>-listener`) that
 * have finished their LISTEN, i.e. hear every NOTIFY from now on.
 */
export async function listeningBackends(db: Database): Promise<number[]> {
  const { rows } = await sql<{ pid: number }>`
    SELECT pid FROM pg_stat_activity
     WHERE datname = current_database() AND application_name LIKE '%-listener'
       AND state = 'idle' AND (query LIKE 'LISTEN %' OR query LIKE 'SELECT pg_notify(%') -- after LISTEN, or after a flush()
     ORDER BY pid`.execute(db);
  return rows.map((row) => row.pid);
}

/**
 * Waits until `count` listeners are listening on this database: an app
 * starts its listener in the background, and until it listens, its caches
 * are bypassed (they could miss a change), so a test of the caches must
 * wait for it.
 */
export async function waitForListeners(db: Database, count: number, timeoutMs = 10_000): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const pids = await listeningBackends(db);
    if (pids.length >= count) {
      return pids;
    }
    if (Date.now() > deadline) {
      throw new Error(`${pids.length} of ${count} notification listeners are listening after ${timeoutMs} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
