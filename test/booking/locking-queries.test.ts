import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { beginSeatWrite, lockShowSeats, releaseExpiredHolds } from '../../src/booking/booking.queries.ts';
import { renderStatement, statementOf, statementsOf } from '../setup/compiled-sql.ts';
import { createTestDatabase, type TestDatabase } from '../setup/database.ts';

// The committed .sql files are the reviewable record of how seats are locked:
// a change to FOR UPDATE, the lock order or SKIP LOCKED shows up as a diff in
// review, and fails here until accepted. The statements of the release path
// are compiled from the real functions by a Kysely that never connects; hold
// and book run in SQL functions (migration 0004), recorded as PostgreSQL
// itself prints them.

describe('the locking statements', () => {
  it('when seats are locked, then FOR UPDATE OF show_seats in ascending seat id', async () => {
    const compiled = await statementOf((trx) => lockShowSeats(trx, 7, [3, 5]));
    expect(compiled.sql).toMatch(/order by "ss"\."seat_id" for update of "ss"$/);
    await expect(renderStatement(compiled)).toMatchFileSnapshot('./__queries__/lock-show-seats.sql');
  });

  it('when a seat write begins, then it bounds lock waits and takes the per-user advisory lock', async () => {
    await expect(renderStatement(await statementOf((trx) => beginSeatWrite(trx, 7, 42)))).toMatchFileSnapshot('./__queries__/begin-seat-write.sql');
  });

  it('when expired holds are released, then rows locked by others are skipped, never waited on', async () => {
    const [compiled] = await statementsOf((trx) => releaseExpiredHolds(trx, { showId: 7, limit: 100 }));
    expect(compiled?.sql).toContain('FOR UPDATE SKIP LOCKED');
    await expect(renderStatement(compiled!)).toMatchFileSnapshot('./__queries__/release-expired-holds.sql');
  });
});

describe('the group-commit seat functions', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(() => database.drop());

  const definitionOf = async (name: string): Promise<string> => {
    const { rows } = await sql<{ def: string }>`SELECT pg_get_functiondef(${name}::regproc) AS def`.execute(database.db);
    return rows[0]!.def;
  };

  it('when a batch locks, then the advisory locks by (show, user) first, then FOR UPDATE by show and ascending seat id', async () => {
    const definition = await definitionOf('booking_lock_requests');
    const advisoryOrder = definition.search(/AS user_id FROM unnest\(p_requests\) AS g ORDER BY 1, 2 LOOP\s+PERFORM pg_advisory_xact_lock\(r\.show_id, r\.user_id\)/);
    const locking = definition.search(/ORDER BY ss\.showtime_id, ss\.seat_id\s+FOR UPDATE OF ss;/);
    expect(advisoryOrder).toBeGreaterThan(0);
    expect(locking).toBeGreaterThan(advisoryOrder);
    await expect(definition).toMatchFileSnapshot('./__queries__/booking_lock_requests.sql');
  });

  for (const name of ['booking_hold_batch', 'booking_book_batch']) {
    it(`when ${name} writes, then it takes every request's locks (booking_lock_requests) before it reads the show again and decides`, async () => {
      const definition = await definitionOf(name);
      const locking = definition.indexOf('PERFORM booking_lock_requests(p_showtime_ids, p_user_ids, v_go, v_lock_shows, v_lock_seats)');
      const reread = Math.max(definition.indexOf('FROM showtimes WHERE id = v_show_id', locking), definition.indexOf('FROM showtimes st WHERE st.id = v_show_id', locking));
      expect(locking).toBeGreaterThan(0);
      expect(reread).toBeGreaterThan(locking);
      expect(definition).toContain("SET lock_timeout TO '3s'");
      await expect(definition).toMatchFileSnapshot(`./__queries__/${name}.sql`);
    });
  }

  it('when a batch has written, then expired holds of its shows are released (booking_release_in_passing)', async () => {
    await expect(await definitionOf('booking_release_in_passing')).toMatchFileSnapshot('./__queries__/booking_release_in_passing.sql');
  });

  it('when expired holds are released in passing, then with SKIP LOCKED', async () => {
    const definition = await definitionOf('booking_release_expired');
    expect(definition).toContain('FOR UPDATE SKIP LOCKED');
    await expect(definition).toMatchFileSnapshot('./__queries__/booking_release_expired.sql');
  });
});
