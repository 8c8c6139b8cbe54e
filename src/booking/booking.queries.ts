import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from '../db/database.ts';
import type { DB, SeatStatus } from '../db/schema.ts';

/**
 * All SQL of the booking domain. Time comes from the database's clock
 * (`now()`), never the application's, so every server process agrees on
 * whether a hold has expired.
 */

/** A hold still in force at the moment of the statement. */
const holdIsLive = sql<boolean>`(ss.status = 'held' AND ss.locked_until > now())`;

export type LockedShowSeat = {
  id: number;
  seat_id: number;
  status: SeatStatus;
  locked_by_id: number | null;
  locked_until: Date | null;
  /** A hold whose locked_until has passed: it counts as available. */
  hold_expired: boolean;
  show_started: boolean;
};

/**
 * Locks the ShowSeat rows of the given seats `FOR UPDATE`, in ascending seat id
 * (every writer locks in this order, so two overlapping requests cannot
 * deadlock). Takes a Transaction: a row lock outside a transaction would be
 * released as soon as the statement ends.
 */
export function lockShowSeats(trx: Transaction<DB>, showId: number, seatIds: readonly number[]): Promise<LockedShowSeat[]> {
  return lockShowSeatsQuery(trx, showId, seatIds).execute();
}

/** The statement lockShowSeats runs; exported so a snapshot test pins its FOR UPDATE and ORDER BY. */
export function lockShowSeatsQuery(db: Kysely<DB>, showId: number, seatIds: readonly number[]) {
  return db
    .selectFrom('show_seats as ss')
    .innerJoin('showtimes as st', 'st.id', 'ss.showtime_id')
    .select([
      'ss.id',
      'ss.seat_id',
      'ss.status',
      'ss.locked_by_id',
      'ss.locked_until',
      sql<boolean>`(ss.status = 'held' AND ss.locked_until <= now())`.as('hold_expired'),
      sql<boolean>`(st.starts_at <= now())`.as('show_started'),
    ])
    .where('ss.showtime_id', '=', showId)
    .where('ss.seat_id', 'in', seatIds)
    .orderBy('ss.seat_id')
    .forUpdate('ss');
}

/**
 * Bounds how long we wait for a row lock, and serialises one user's seat
 * writes on one showtime, so the per-user seat limit holds even when a user
 * fires many requests at once (without it, each would count the others'
 * seats as not yet taken). Taken first, before any row lock: one per transaction.
 */
export async function beginSeatWrite(trx: Transaction<DB>, showId: number, userId: number): Promise<void> {
  await beginSeatWriteQuery(showId, userId).execute(trx);
}

export const beginSeatWriteQuery = (showId: number, userId: number) =>
  sql`SELECT set_config('lock_timeout', '3s', true), pg_advisory_xact_lock(${showId}::int, ${userId}::int)`;

export function findShowStarted(trx: Transaction<DB> | Database, showId: number) {
  return trx
    .selectFrom('showtimes')
    .select(sql<boolean>`starts_at <= now()`.as('started'))
    .where('id', '=', showId)
    .executeTakeFirst();
}

/** Seats this user holds (live holds only) or has booked for the showtime. */
export async function countUserSeats(trx: Transaction<DB>, showId: number, userId: number): Promise<number> {
  const { rows } = await sql<{ count: number }>`
    SELECT (SELECT count(*) FROM show_seats ss
             WHERE ss.showtime_id = ${showId} AND ss.locked_by_id = ${userId} AND ${holdIsLive})
         + (SELECT count(*) FROM bookings b WHERE b.showtime_id = ${showId} AND b.user_id = ${userId}) AS count`.execute(trx);
  return Number(rows[0]?.count ?? 0);
}

export function markHeld(trx: Transaction<DB>, showSeatIds: readonly number[], userId: number, ttlSeconds: number) {
  return trx
    .updateTable('show_seats')
    .set({
      status: 'held',
      locked_by_id: userId,
      locked_until: sql<Date>`now() + make_interval(secs => ${ttlSeconds})`,
      booked_at: null,
    })
    .where('id', 'in', showSeatIds)
    .returning(['seat_id', 'locked_until'])
    .execute();
}

/** The Booking rows and the ShowSeats' `booked` state, written in one statement. */
export async function insertBookings(trx: Transaction<DB>, showId: number, seatIds: readonly number[], userId: number) {
  const { rows } = await sql<{ id: number; seat_id: number }>`
    WITH booking AS (
      INSERT INTO bookings (showtime_id, seat_id, user_id)
      SELECT ${showId}, seat_id, ${userId} FROM unnest(${sql.val(seatIds)}::int[]) AS seat_id
      RETURNING id, seat_id
    ), show_seat AS (
      UPDATE show_seats ss
         SET status = 'booked', locked_by_id = NULL, locked_until = NULL, booked_at = now()
        FROM booking
       WHERE ss.showtime_id = ${showId} AND ss.seat_id = booking.seat_id
      RETURNING ss.seat_id
    )
    SELECT booking.id, booking.seat_id FROM booking JOIN show_seat USING (seat_id) ORDER BY booking.seat_id`.execute(trx);
  return rows;
}

export function findBookings(trx: Transaction<DB>, showId: number, seatIds: readonly number[]) {
  return trx
    .selectFrom('bookings')
    .select(['id', 'seat_id', 'user_id'])
    .where('showtime_id', '=', showId)
    .where('seat_id', 'in', seatIds)
    .orderBy('seat_id')
    .execute();
}

/**
 * Releases expired holds, skipping rows another transaction has locked (that
 * transaction is deciding about them anyway). Never waits on a lock, so it is
 * safe inside a seat transaction after its own locks, and safe to run from
 * several processes at once. Bounded per call; the sweeper loops.
 */
export async function releaseExpiredHolds(db: Database | Transaction<DB>, options: { showId?: number; limit: number }) {
  const { rows } = await releaseExpiredHoldsQuery(options).execute(db);
  return rows;
}

export const releaseExpiredHoldsQuery = (options: { showId?: number; limit: number }) => sql<{ showtime_id: number; seat_id: number }>`
    UPDATE show_seats
       SET status = 'available', locked_by_id = NULL, locked_until = NULL
     WHERE id IN (
       SELECT id FROM show_seats
        WHERE status = 'held' AND locked_until <= now()
          ${options.showId === undefined ? sql`` : sql`AND showtime_id = ${options.showId}`}
        LIMIT ${options.limit}
        FOR UPDATE SKIP LOCKED)
    RETURNING showtime_id, seat_id`;

export function findShowHeader(db: Database, showId: number) {
  return db
    .selectFrom('showtimes as st')
    .innerJoin('halls as h', 'h.id', 'st.hall_id')
    .innerJoin('venues as v', 'v.id', 'h.venue_id')
    .innerJoin('movies as m', 'm.id', 'st.movie_id')
    .select(['st.id as show_id', 'h.name as hall_name', 'v.name as venue_name', 'm.title as movie_title', 'st.starts_at'])
    .where('st.id', '=', showId)
    .executeTakeFirst();
}

/** Seat states as of now: a hold past locked_until reads as available, whether or not it was released yet. */
export function selectLayoutSeats(db: Database, showId: number) {
  return db
    .selectFrom('show_seats as ss')
    .innerJoin('seats as s', 's.id', 'ss.seat_id')
    .select([
      's.id',
      's.row',
      's.number',
      sql<SeatStatus>`CASE WHEN ss.status = 'held' AND NOT ${holdIsLive} THEN 'available' ELSE ss.status END`.as('status'),
      sql<number | null>`CASE WHEN ${holdIsLive} THEN ss.locked_by_id END`.as('locked_by_id'),
      sql<Date | null>`CASE WHEN ${holdIsLive} THEN ss.locked_until END`.as('locked_until'),
    ])
    .where('ss.showtime_id', '=', showId)
    .orderBy('s.row')
    .orderBy('s.number')
    .execute();
}
