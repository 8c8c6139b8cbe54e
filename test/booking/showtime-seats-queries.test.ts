import { describe, expect, it } from 'vitest';
import { deleteShowSeats, insertShowSeatsFor, lockShowSeatsOf } from '../../src/booking/showtime-seats.ts';
import { renderStatement, statementOf, statementsOf } from '../setup/compiled-sql.ts';

// Compiles the real functions with a driver that never connects. The
// committed .sql file records how a staff change locks a showtime's seats
// (src/catalog/README.md, "Locking"): a change to the lock mode or order shows
// up as a diff in review, and fails here until accepted.

describe('the show_seats statements of staff changes', () => {
  it('when their seats are locked, then FOR UPDATE in (showtime, seat) order, the order bookings lock one showtime’s seats in', async () => {
    const compiled = await statementOf((trx) => lockShowSeatsOf(trx, [7, 9]));
    expect(compiled.sql).toMatch(/order by "showtime_id", "seat_id" for update$/);
    await expect(renderStatement(compiled)).toMatchFileSnapshot('./__queries__/lock-show-seats-of.sql');
  });

  it('when no showtime is given, then nothing is sent', async () => {
    const sent = await statementsOf(async (trx) => {
      await lockShowSeatsOf(trx, []);
      await deleteShowSeats(trx, []);
      await insertShowSeatsFor(trx, []);
    });
    expect(sent).toEqual([]);
  });
});
