import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from '../db/database.ts';
import type { DB, SeatKind, SeatStatus, ShowtimeStatus } from '../db/schema.ts';

/**
 * All SQL of the booking domain. Time comes from the database's clock
 * (`now()`), never the application's, so every server process agrees on
 * whether a hold has expired. Each statement is also exported as a builder
 * (`…Query`), so the snapshot test and the benchmark run exactly this SQL.
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
  kind: SeatKind;
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
    .innerJoin('seats as s', 's.id', 'ss.seat_id')
    .select([
      'ss.id',
      'ss.seat_id',
      'ss.status',
      'ss.locked_by_id',
      'ss.locked_until',
      sql<boolean>`(ss.status = 'held' AND ss.locked_until <= now())`.as('hold_expired'),
      's.kind',
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

/**
 * The showtime's state and prices, read in a statement of its own *after* the
 * seat rows are locked. A locking statement that had to wait sees the other
 * tables as they were when it started, so a cancel or a price change that
 * committed during the wait would be missed; a new statement sees it.
 */
export function findShowState(trx: Transaction<DB>, showId: number) {
  return findShowStateQuery(trx, showId).executeTakeFirst();
}

export function findShowStateQuery(db: Kysely<DB>, showId: number) {
  return db
    .selectFrom('showtimes')
    .select([
      'status',
      sql<boolean>`(starts_at <= now())`.as('started'),
      sql<string>`trim(currency)`.as('currency'),
      'price_amount',
      'premium_price_amount',
    ])
    .where('id', '=', showId);
}

/** Seats this user holds (live holds only) or has booked for the showtime. */
export async function countUserSeats(trx: Transaction<DB>, showId: number, userId: number): Promise<number> {
  const { rows } = await countUserSeatsQuery(showId, userId).execute(trx);
  return Number(rows[0]?.count ?? 0);
}

export const countUserSeatsQuery = (showId: number, userId: number) => sql<{ count: number }>`
    SELECT (SELECT count(*) FROM show_seats ss
             WHERE ss.showtime_id = ${showId} AND ss.locked_by_id = ${userId} AND ${holdIsLive})
         + (SELECT count(*) FROM bookings b WHERE b.showtime_id = ${showId} AND b.user_id = ${userId}) AS count`;

export function markHeld(trx: Transaction<DB>, showSeatIds: readonly number[], userId: number, ttlSeconds: number) {
  return markHeldQuery(trx, showSeatIds, userId, ttlSeconds).execute();
}

export function markHeldQuery(db: Kysely<DB>, showSeatIds: readonly number[], userId: number, ttlSeconds: number) {
  return db
    .updateTable('show_seats')
    .set({
      status: 'held',
      locked_by_id: userId,
      locked_until: sql<Date>`now() + make_interval(secs => ${ttlSeconds})`,
      booked_at: null,
    })
    .where('id', 'in', showSeatIds)
    .returning(['seat_id', 'locked_until']);
}

export async function markAvailable(trx: Transaction<DB>, showSeatIds: readonly number[]): Promise<void> {
  await trx
    .updateTable('show_seats')
    .set({ status: 'available', locked_by_id: null, locked_until: null })
    .where('id', 'in', showSeatIds)
    .execute();
}

/**
 * Every live hold of a user, released, on any show. Locks with SKIP LOCKED: a
 * row another transaction is deciding about right now is left to it (its
 * hold, if it becomes one, expires on its own).
 */
export async function releaseHoldsOf(trx: Transaction<DB>, userId: number) {
  const { rows } = await sql<{ showtime_id: number; seat_id: number }>`
    UPDATE show_seats
       SET status = 'available', locked_by_id = NULL, locked_until = NULL
     WHERE id IN (SELECT id FROM show_seats WHERE locked_by_id = ${userId} AND status = 'held' ORDER BY id FOR UPDATE SKIP LOCKED)
    RETURNING showtime_id, seat_id`.execute(trx);
  return rows;
}

export type BookedSeat = { id: number; seat_id: number; price_amount: number; currency: string; reference: string };

/**
 * The Booking rows, with the price paid and the request's reference, and the
 * ShowSeats' `booked` state, written in one statement.
 */
export async function insertBookings(
  trx: Transaction<DB>,
  showId: number,
  userId: number,
  reference: string,
  seats: readonly { seat_id: number; price_amount: number; currency: string }[],
): Promise<BookedSeat[]> {
  const { rows } = await insertBookingsQuery(showId, userId, reference, seats).execute(trx);
  return rows;
}

export const insertBookingsQuery = (
  showId: number,
  userId: number,
  reference: string,
  seats: readonly { seat_id: number; price_amount: number; currency: string }[],
) => sql<BookedSeat>`
    WITH booking AS (
      INSERT INTO bookings (showtime_id, seat_id, user_id, price_amount, currency, reference)
      SELECT ${showId}, seat.id, ${userId}, seat.price_amount, seat.currency, ${reference}
        FROM unnest(${sql.val(seats.map((s) => s.seat_id))}::int[], ${sql.val(seats.map((s) => s.price_amount))}::int[],
                    ${sql.val(seats.map((s) => s.currency))}::text[]) AS seat(id, price_amount, currency)
      RETURNING id, seat_id, price_amount, trim(currency) AS currency, reference
    ), show_seat AS (
      UPDATE show_seats ss
         SET status = 'booked', locked_by_id = NULL, locked_until = NULL, booked_at = now()
        FROM booking
       WHERE ss.showtime_id = ${showId} AND ss.seat_id = booking.seat_id
      RETURNING ss.seat_id
    )
    SELECT booking.* FROM booking JOIN show_seat USING (seat_id) ORDER BY booking.seat_id`;

export function findBookings(trx: Transaction<DB>, showId: number, seatIds: readonly number[]) {
  return findBookingsQuery(trx, showId, seatIds).execute();
}

export function findBookingsQuery(db: Kysely<DB>, showId: number, seatIds: readonly number[]) {
  return db
    .selectFrom('bookings')
    .select(['id', 'seat_id', 'user_id', 'price_amount', sql<string>`trim(currency)`.as('currency'), 'reference'])
    .where('showtime_id', '=', showId)
    .where('seat_id', 'in', seatIds)
    .orderBy('seat_id');
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
  return findShowHeaderQuery(db, showId).executeTakeFirst();
}

export function findShowHeaderQuery(db: Kysely<DB>, showId: number) {
  return db
    .selectFrom('showtimes as st')
    .innerJoin('halls as h', 'h.id', 'st.hall_id')
    .innerJoin('venues as v', 'v.id', 'h.venue_id')
    .innerJoin('movies as m', 'm.id', 'st.movie_id')
    .select([
      'st.id as show_id',
      'h.name as hall_name',
      'v.name as venue_name',
      'm.title as movie_title',
      'st.starts_at',
      sql<string>`trim(st.currency)`.as('currency'),
      'st.price_amount',
      'st.premium_price_amount',
    ])
    .where('st.id', '=', showId);
}

/** Seat states as of now: a hold past locked_until reads as available, whether or not it was released yet. */
export function selectLayoutSeats(db: Database, showId: number) {
  return selectLayoutSeatsQuery(db, showId).execute();
}

export function selectLayoutSeatsQuery(db: Kysely<DB>, showId: number) {
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
      sql<SeatKind>`s.kind`.as('kind'),
      's.x',
      's.y',
    ])
    .where('ss.showtime_id', '=', showId)
    .orderBy('s.row')
    .orderBy('s.number');
}

export type MyBookingRow = {
  id: number;
  reference: string;
  created_at: Date;
  /** created_at to the microsecond, for the page cursor (a JS Date keeps milliseconds only). */
  created_at_exact: string;
  price_amount: number;
  currency: string;
  seat_id: number;
  row: string;
  number: number;
  kind: SeatKind;
  show_id: number;
  starts_at: Date;
  show_status: ShowtimeStatus;
  movie_id: number;
  movie_title: string;
  hall_id: number;
  hall_name: string;
  venue_id: number;
  venue_name: string;
  city: string;
};

/** A user's bookings, newest first, continuing after (created_at, id) when given. */
export async function selectUserBookings(db: Database, userId: number, after: readonly [string, number] | undefined, limit: number) {
  const { rows } = await sql<MyBookingRow>`
    SELECT b.id, b.reference, b.created_at,
           to_char(b.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS created_at_exact, b.price_amount, trim(b.currency) AS currency,
           s.id AS seat_id, s."row", s.number, s.kind,
           st.id AS show_id, st.starts_at, st.status AS show_status,
           m.id AS movie_id, m.title AS movie_title, h.id AS hall_id, h.name AS hall_name,
           v.id AS venue_id, v.name AS venue_name, v.city
      FROM bookings b
      JOIN seats s ON s.id = b.seat_id
      JOIN showtimes st ON st.id = b.showtime_id
      JOIN movies m ON m.id = st.movie_id
      JOIN halls h ON h.id = st.hall_id
      JOIN venues v ON v.id = h.venue_id
     WHERE b.user_id = ${userId}
       ${after === undefined ? sql`` : sql`AND (b.created_at, b.id) < (${after[0]}::timestamptz, ${after[1]})`}
     ORDER BY b.created_at DESC, b.id DESC
     LIMIT ${limit}`.execute(db);
  return rows;
}
