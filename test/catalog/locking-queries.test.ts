import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { beginStaffWriteQuery, lockShowSeatsOfQuery, lockShowtimesUnderQuery } from '../../src/catalog/catalog.queries.ts';
import type { DB } from '../../src/db/schema.ts';

// Compiles only; never connects. The committed .sql files record how staff
// changes lock (catalog README): a change to the lock mode or order shows up
// as a diff in review, and fails here until accepted.
const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool: new pg.Pool() }) });

const render = (compiled: { sql: string; parameters: readonly unknown[] }) =>
  `${compiled.sql.replace(/\s+/g, ' ').trim()}\n-- parameters: ${JSON.stringify(compiled.parameters)}\n`;

describe('the staff locking statements', () => {
  it('when a staff write begins, then it bounds lock waits and takes the one catalog advisory lock', async () => {
    await expect(render(beginStaffWriteQuery().compile(db))).toMatchFileSnapshot('./__queries__/begin-staff-write.sql');
  });

  it('when showtimes under a hall are locked, then FOR NO KEY UPDATE in ascending id (a booking’s foreign-key share lock must not conflict)', async () => {
    const compiled = lockShowtimesUnderQuery(db, { hallId: 7 }).compile();
    expect(compiled.sql).toMatch(/order by "id" for no key update$/);
    await expect(render(compiled)).toMatchFileSnapshot('./__queries__/lock-showtimes-under.sql');
  });

  it('when their seats are locked, then FOR UPDATE in (showtime, seat) order, the order bookings lock one showtime’s seats in', async () => {
    const compiled = lockShowSeatsOfQuery(db, [7, 9]).compile();
    expect(compiled.sql).toMatch(/order by "showtime_id", "seat_id" for update$/);
    await expect(render(compiled)).toMatchFileSnapshot('./__queries__/lock-show-seats-of.sql');
  });
});
