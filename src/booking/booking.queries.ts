import { sql, type Transaction } from 'kysely';
import type { SeatChangeTuple } from './seat-events.ts';
import type { Database } from '../db/database.ts';
import type { DB, SeatKind, SeatStatus, ShowtimeStatus } from '../db/schema.ts';

/**
 * All SQL of the booking domain. Time comes from the database's clock
 * (`now()`), never the application's, so every server process agrees on
 * whether a hold has expired. One function per statement; the snapshot test
 * compiles these very functions against a driver that never connects.
 */

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
  return trx
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
    .forUpdate('ss')
    .execute();
}

/**
 * Bounds how long we wait for a row lock, and serialises one user's seat
 * writes on one showtime, so the per-user seat limit holds even when a user
 * fires many requests at once (without it, each would count the others'
 * seats as not yet taken). Taken first, before any row lock: one per transaction.
 */
export async function beginSeatWrite(trx: Transaction<DB>, showId: number, userId: number): Promise<void> {
  await sql`SELECT set_config('lock_timeout', '3s', true), pg_advisory_xact_lock(${showId}::int, ${userId}::int)`.execute(trx);
}

/**
 * The showtime's state and prices, read in a statement of its own *after* the
 * seat rows are locked. A locking statement that had to wait sees the other
 * tables as they were when it started, so a cancel or a price change that
 * committed during the wait would be missed; a new statement sees it.
 */
export function findShowState(trx: Transaction<DB>, showId: number) {
  return trx
    .selectFrom('showtimes')
    .select(['status', sql<boolean>`(starts_at <= now())`.as('started')])
    .where('id', '=', showId)
    .executeTakeFirst();
}

export type ReleasedSeat = { showtime_id: number; seat_id: number; version: number };

export function markAvailable(trx: Transaction<DB>, showSeatIds: readonly number[]): Promise<ReleasedSeat[]> {
  return trx
    .updateTable('show_seats')
    .set({ status: 'available', locked_by_id: null, locked_until: null })
    .where('id', 'in', showSeatIds)
    .returning(['showtime_id', 'seat_id', 'version'])
    .execute();
}

/**
 * Every live hold of a user, released, on any show. Locks with SKIP LOCKED: a
 * row another transaction is deciding about right now is left to it (its
 * hold, if it becomes one, expires on its own).
 */
export async function releaseHoldsOf(trx: Transaction<DB>, userId: number) {
  const { rows } = await sql<ReleasedSeat>`
    UPDATE show_seats
       SET status = 'available', locked_by_id = NULL, locked_until = NULL
     WHERE id IN (SELECT id FROM show_seats WHERE locked_by_id = ${userId} AND status = 'held' ORDER BY id FOR UPDATE SKIP LOCKED)
    RETURNING showtime_id, seat_id, version`.execute(trx);
  return rows;
}

export type BookedSeat = { id: number; seat_id: number; price_amount: number; currency: string; reference: string };

/** [booking id, seat_id, price_amount, currency, reference] */
export type BookingTuple = [number, number, number, string, string];

/** What the one-round-trip seat functions refuse with (migration 0003 documents them). */
export type SeatWriteRefusal =
  | { error: 'show_not_found' | 'seat_not_found' | 'cancelled' | 'sales_closed' | 'seat_limit' | 'payment_required' }
  | { conflicts: [number, 'held' | 'booked'][] };

export type SeatWrite = { showId: number; userId: number; seatIds: readonly number[] };
export type HoldAnswer = SeatWriteRefusal | { mine: [number, string][]; events: SeatChangeTuple[] };
export type BookAnswer = SeatWriteRefusal | { created: BookingTuple[]; mine: BookingTuple[]; events: SeatChangeTuple[] };
/** What one call of a batch function committed: an answer per request, and expired holds it released by show. */
export type BatchOutcome<A> = { answers: A[]; released: [number, SeatChangeTuple[]][] };

/** The requests of a batch as the functions take them: parallel arrays, the seats of all requests in one. */
function batchArrays(writes: readonly SeatWrite[]) {
  return {
    showIds: writes.map((w) => w.showId),
    userIds: writes.map((w) => w.userId),
    seatCounts: writes.map((w) => w.seatIds.length),
    seatIds: writes.flatMap((w) => w.seatIds),
  };
}

/**
 * Any number of hold transactions in one round trip and one commit
 * (booking_hold_batch, migration 0004): the per-(show, user) advisory locks,
 * then every ShowSeat row FOR UPDATE by show and ascending seat id, then each
 * request re-checked and written in turn, and expired holds released. Each
 * write's `seatIds` must be ascending and unique. Runs as its own transaction.
 */
export async function holdSeatsBatch(db: Database, writes: readonly SeatWrite[], settings: { ttlSeconds: number; maxSeats: number }) {
  const a = batchArrays(writes);
  const { rows } = await sql<{ r: BatchOutcome<HoldAnswer> }>`
    SELECT booking_hold_batch(${a.showIds}::int[], ${a.userIds}::int[], ${a.seatCounts}::int[], ${a.seatIds}::int[], ${settings.ttlSeconds}::int, ${settings.maxSeats}::int) AS r`.execute(db);
  return onlyRow(rows).r;
}

/** Any number of booking transactions in one round trip and one commit (booking_book_batch); like holdSeatsBatch. */
export async function bookSeatsBatch(db: Database, writes: readonly (SeatWrite & { reference: string })[], settings: { maxSeats: number }) {
  const a = batchArrays(writes);
  const { rows } = await sql<{ r: BatchOutcome<BookAnswer> }>`
    SELECT booking_book_batch(${a.showIds}::int[], ${a.userIds}::int[], ${a.seatCounts}::int[], ${a.seatIds}::int[], ${writes.map((w) => w.reference)}::text[], ${settings.maxSeats}::int) AS r`.execute(db);
  return onlyRow(rows).r;
}

function onlyRow<T>(rows: readonly T[]): T {
  const row = rows[0];
  if (row === undefined) {
    throw new Error('a seat function returned no row');
  }
  return row;
}

/**
 * Seats of an order still pending_payment: the sweeper leaves them to the
 * orders' sweep, which asks the payment provider first (src/orders/README.md).
 */
const spareCheckouts = sql`AND NOT EXISTS (
            SELECT FROM order_lines ol JOIN orders o ON o.id = ol.order_id
             WHERE ol.showtime_id = show_seats.showtime_id AND ol.seat_id = show_seats.seat_id AND o.status = 'pending_payment')`;

/**
 * Releases expired holds, skipping rows another transaction has locked (that
 * transaction is deciding about them anyway). Never waits on a lock, so it is
 * safe inside a seat transaction after its own locks, and safe to run from
 * several processes at once. Bounded per call; the sweeper loops.
 */
export async function releaseExpiredHolds(db: Database | Transaction<DB>, options: { showId?: number; limit: number; spareCheckouts?: boolean }) {
  const { rows } = await sql<ReleasedSeat>`
    UPDATE show_seats
       SET status = 'available', locked_by_id = NULL, locked_until = NULL
     WHERE id IN (
       SELECT id FROM show_seats
        WHERE status = 'held' AND locked_until <= now()
          ${options.showId === undefined ? sql`` : sql`AND showtime_id = ${options.showId}`}
          ${options.spareCheckouts === true ? spareCheckouts : sql``}
        LIMIT ${options.limit}
        FOR UPDATE SKIP LOCKED)
    RETURNING showtime_id, seat_id, version`.execute(db);
  return rows;
}

export function findShowHeader(db: Database, showId: number) {
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
      'st.status',
    ])
    .where('st.id', '=', showId)
    .executeTakeFirst();
}

/**
 * Every seat of a showtime with its stored state and version, in layout order.
 * The state is as stored: whether a hold is still live is decided when the
 * layout is read (layout-cache.ts), since a cached copy outlives this statement.
 */
export function selectLayoutSeats(db: Database, showId: number) {
  return db
    .selectFrom('show_seats as ss')
    .innerJoin('seats as s', 's.id', 'ss.seat_id')
    .select([
      's.id',
      's.row',
      's.number',
      'ss.status',
      'ss.locked_by_id',
      'ss.locked_until',
      'ss.version',
      sql<SeatKind>`s.kind`.as('kind'),
      's.x',
      's.y',
    ])
    .where('ss.showtime_id', '=', showId)
    .orderBy('s.row')
    .orderBy('s.number')
    .execute();
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
