import { describe, expect, it } from 'vitest';
import { beginStaffWrite, lockShowtimesUnder } from '../../src/catalog/catalog.queries.ts';
import { renderStatement, statementOf } from '../setup/compiled-sql.ts';

// Compiles the real functions with a driver that never connects. The
// committed .sql files record how staff changes lock (catalog README): a
// change to the lock mode or order shows up as a diff in review, and fails
// here until accepted. The show_seats lock they take next is the booking
// domain's (test/booking/showtime-seats-queries.test.ts).

describe('the staff locking statements', () => {
  it('when a staff write begins, then it bounds lock waits and takes the one catalog advisory lock', async () => {
    const compiled = await statementOf((trx) => beginStaffWrite(trx));
    await expect(renderStatement(compiled)).toMatchFileSnapshot('./__queries__/begin-staff-write.sql');
  });

  it('when showtimes under a hall are locked, then FOR NO KEY UPDATE in ascending id (a booking’s foreign-key share lock must not conflict)', async () => {
    const compiled = await statementOf((trx) => lockShowtimesUnder(trx, { hallId: 7 }));
    expect(compiled.sql).toMatch(/order by "id" for no key update$/);
    await expect(renderStatement(compiled)).toMatchFileSnapshot('./__queries__/lock-showtimes-under.sql');
  });
});
