/**
 * Every write the bench made, checked in SQL against the answers it got:
 * each 200 to a hold is a seat held by a bench user, each 201 to a booking a
 * Booking row and a booked seat, no seat is booked twice, nothing is lost.
 *
 * A load generator stops at its deadline with requests still in flight; the
 * server may commit those without anyone reading the answer. So a run's rows
 * must lie between its success answers and those plus its unanswered
 * requests.
 */
import { sql } from 'kysely';
import type { Database } from '../src/db/database.ts';

/** Showtimes a run wrote to: `shows` consecutive ids from `firstShow`. */
export type SeatRange = { firstShow: number; shows: number; firstSeat: number; seatsPerShow: number; capacity: number };

export type SeatRows = { held: number; bookedSeats: number; bookings: number; bookedTwice: number };

export async function countSeatRows(db: Database, range: SeatRange, userIds: readonly number[]): Promise<SeatRows> {
  const last = range.firstShow + range.shows - 1;
  const { rows } = await sql<{ held: number; booked_seats: number; bookings: number; booked_twice: number }>`
    SELECT count(*) FILTER (WHERE status = 'held' AND locked_by_id = ANY (${userIds}::int[])) AS held,
           count(*) FILTER (WHERE status = 'booked') AS booked_seats,
           (SELECT count(*) FROM bookings WHERE showtime_id BETWEEN ${range.firstShow} AND ${last}) AS bookings,
           (SELECT count(*) FROM (SELECT FROM bookings WHERE showtime_id BETWEEN ${range.firstShow} AND ${last}
                                   GROUP BY showtime_id, seat_id HAVING count(*) > 1) AS twice) AS booked_twice
      FROM show_seats
     WHERE showtime_id BETWEEN ${range.firstShow} AND ${last}`.execute(db);
  const row = rows[0];
  return {
    held: Number(row?.held ?? 0),
    bookedSeats: Number(row?.booked_seats ?? 0),
    bookings: Number(row?.bookings ?? 0),
    bookedTwice: Number(row?.booked_twice ?? 0),
  };
}

/**
 * What a run must have written: successes answered, and how many more may
 * have landed unanswered. `holds` is undefined when the generator cannot
 * tell a won seat from a lost one (pgbench on the hot seat): then the rows
 * are the wins.
 */
export type Expected = { holds: number | undefined; bookings: number; unanswered: number };

/** One run's verdict: the counts it adds to the "checked:" line, and its problems. */
export type RunCheck = { answered: { holds: number; bookings: number }; rows: { holds: number; bookings: number }; problems: string[] };

/** `highestIndex`: the highest fresh-seat index the run used; at `capacity` or above it wrapped around to seats already taken. */
export function checkRun(name: string, expected: Expected, rows: SeatRows, highestIndex: number | undefined, capacity: number): RunCheck {
  const problems: string[] = [];
  const within = (what: string, answered: number, found: number): void => {
    if (found < answered) {
      problems.push(`${name}: ${answered} ${what} answered as done, but only ${found} in the database (lost)`);
    } else if (found > answered + expected.unanswered) {
      problems.push(`${name}: ${found} ${what} in the database for ${answered} answered as done and ${expected.unanswered} unanswered`);
    }
  };
  const holds = expected.holds ?? rows.held;
  within('holds', holds, rows.held);
  within('bookings', expected.bookings, rows.bookings);
  if (rows.bookedSeats !== rows.bookings) {
    problems.push(`${name}: ${rows.bookedSeats} seats booked but ${rows.bookings} Booking rows`);
  }
  if (rows.bookedTwice > 0) {
    problems.push(`${name}: ${rows.bookedTwice} seats booked twice`);
  }
  if (highestIndex !== undefined && highestIndex >= capacity) {
    problems.push(`${name}: ran out of fresh seats (seat index ${highestIndex} of ${capacity}); the bench sized the run too small`);
  }
  return { answered: { holds, bookings: expected.bookings }, rows: { holds: rows.held, bookings: rows.bookings }, problems };
}

export type GlobalRows = { bookings: number; bookedSeats: number; bookedTwice: number; orphanBookings: number };

/** Over the whole database: every Booking row has its seat booked, and no seat has two. */
export async function countAllBookings(db: Database): Promise<GlobalRows> {
  const { rows } = await sql<{ bookings: number; booked_seats: number; booked_twice: number; orphans: number }>`
    SELECT (SELECT count(*) FROM bookings) AS bookings,
           (SELECT count(*) FROM show_seats WHERE status = 'booked') AS booked_seats,
           (SELECT count(*) FROM (SELECT FROM bookings GROUP BY showtime_id, seat_id HAVING count(*) > 1) AS twice) AS booked_twice,
           (SELECT count(*) FROM bookings b
              LEFT JOIN show_seats ss ON ss.showtime_id = b.showtime_id AND ss.seat_id = b.seat_id
             WHERE ss.status IS DISTINCT FROM 'booked') AS orphans`.execute(db);
  const row = rows[0];
  return {
    bookings: Number(row?.bookings ?? 0),
    bookedSeats: Number(row?.booked_seats ?? 0),
    bookedTwice: Number(row?.booked_twice ?? 0),
    orphanBookings: Number(row?.orphans ?? 0),
  };
}
