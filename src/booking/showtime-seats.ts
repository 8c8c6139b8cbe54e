import { sql, type Transaction } from 'kysely';
import type { DB } from '../db/schema.ts';

/**
 * The show_seats statements of staff changes to the catalog (creating,
 * re-seating, moving, cancelling and deleting showtimes). Booking owns every
 * lock and write of show_seats; the catalog never imports booking, it receives
 * these functions as its `ShowtimeSeats` (src/catalog/catalog.ports.ts), passed
 * in by app.ts, main.ts and cli.ts as `showtimeSeats` from this domain's index.ts.
 *
 * They run inside the catalog's staff transaction, in its lock order
 * (src/catalog/README.md, "Locking"): the staff advisory lock, the entity row,
 * the showtimes under it, then `lockShowSeatsOf` here, and only then, in a new
 * statement, the catalog's count of bookings.
 */

// Show events of staff changes go out through the same NOTIFY as every seat event.
export { announceShowStatus } from './seat-events.ts';

/**
 * Locks every show_seats row of the showtimes, in (showtime_id, seat_id) order.
 * A hold or booking locks its rows of one showtime in seat id order too, so
 * whichever transaction locks a contested seat first wins it, and the other
 * waits rather than deadlocking. Returns how many rows were locked.
 */
export async function lockShowSeatsOf(trx: Transaction<DB>, showtimeIds: readonly number[]): Promise<number> {
  if (showtimeIds.length === 0) {
    return 0;
  }
  const rows = await trx
    .selectFrom('show_seats')
    .select('id')
    .where('showtime_id', 'in', showtimeIds)
    .orderBy('showtime_id')
    .orderBy('seat_id')
    .forUpdate()
    .execute();
  return rows.length;
}

export async function deleteShowSeats(trx: Transaction<DB>, showtimeIds: readonly number[]): Promise<number> {
  if (showtimeIds.length === 0) {
    return 0;
  }
  const result = await trx.deleteFrom('show_seats').where('showtime_id', 'in', showtimeIds).executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** One available show_seats row per seat of each showtime's (current) hall, in one statement. */
export async function insertShowSeatsFor(trx: Transaction<DB>, showtimeIds: readonly number[]): Promise<void> {
  if (showtimeIds.length === 0) {
    return;
  }
  await sql`
    INSERT INTO show_seats (showtime_id, seat_id, status)
    SELECT st.id, s.id, 'available'
      FROM showtimes st JOIN seats s ON s.hall_id = st.hall_id
     WHERE st.id = ANY(${sql.val([...showtimeIds])}::int[])`.execute(trx);
}

/** Frees every held seat of the showtime; returns how many of those holds were still live. */
export async function releaseHoldsOf(trx: Transaction<DB>, showtimeId: number): Promise<number> {
  const { rows } = await sql<{ live: boolean }>`
    UPDATE show_seats ss
       SET status = 'available', locked_by_id = NULL, locked_until = NULL
      FROM (SELECT id, locked_until > now() AS live FROM show_seats WHERE showtime_id = ${showtimeId} AND status = 'held') AS held
     WHERE ss.id = held.id
    RETURNING held.live`.execute(trx);
  return rows.filter((row) => row.live).length;
}
