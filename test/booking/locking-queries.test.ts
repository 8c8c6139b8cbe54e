import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { beginSeatWriteQuery, lockShowSeatsQuery, releaseExpiredHoldsQuery } from '../../src/booking/booking.queries.ts';
import type { DB } from '../../src/db/schema.ts';

// Compiles only; never connects. The committed .sql files are the reviewable
// record of how seats are locked: a change to FOR UPDATE, the lock order or
// SKIP LOCKED shows up as a diff in review, and fails here until accepted.
const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool: new pg.Pool() }) });

const render = (compiled: { sql: string; parameters: readonly unknown[] }) =>
  `${compiled.sql.replace(/\s+/g, ' ').trim()}\n-- parameters: ${JSON.stringify(compiled.parameters)}\n`;

describe('the locking statements', () => {
  it('when seats are locked, then FOR UPDATE OF show_seats in ascending seat id', async () => {
    const compiled = lockShowSeatsQuery(db, 7, [3, 5]).compile();
    expect(compiled.sql).toMatch(/order by "ss"\."seat_id" for update of "ss"$/);
    await expect(render(compiled)).toMatchFileSnapshot('./__queries__/lock-show-seats.sql');
  });

  it('when a seat write begins, then it bounds lock waits and takes the per-user advisory lock', async () => {
    await expect(render(beginSeatWriteQuery(7, 42).compile(db))).toMatchFileSnapshot('./__queries__/begin-seat-write.sql');
  });

  it('when expired holds are released, then rows locked by others are skipped, never waited on', async () => {
    const compiled = releaseExpiredHoldsQuery({ showId: 7, limit: 100 }).compile(db);
    expect(compiled.sql).toContain('FOR UPDATE SKIP LOCKED');
    await expect(render(compiled)).toMatchFileSnapshot('./__queries__/release-expired-holds.sql');
  });
});
