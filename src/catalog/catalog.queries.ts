import { sql, type Transaction } from 'kysely';
import type { Database } from '../db/database.ts';
import type { DB } from '../db/schema.ts';

export function insertVenue(db: Database, venue: { name: string; city: string; time_zone: string }) {
  return db.insertInto('venues').values(venue).returning(['id', 'name', 'city', 'time_zone']).executeTakeFirstOrThrow();
}

export function insertHall(trx: Transaction<DB>, hall: { venue_id: number; name: string }) {
  return trx.insertInto('halls').values(hall).returning(['id', 'venue_id', 'name']).executeTakeFirstOrThrow();
}

/** All seats of a hall in one statement: each row label repeated for 1..seats. */
export async function insertSeats(trx: Transaction<DB>, hallId: number, rows: readonly { row: string; seats: number }[]): Promise<number> {
  const result = await sql`
    INSERT INTO seats (hall_id, "row", number)
    SELECT ${hallId}, r.label, n
    FROM unnest(${sql.val(rows.map((r) => r.row))}::text[], ${sql.val(rows.map((r) => r.seats))}::int[]) AS r(label, seats)
    CROSS JOIN LATERAL generate_series(1, r.seats) AS n`.execute(trx);
  return Number(result.numAffectedRows ?? 0);
}

export function insertMovie(db: Database, movie: { title: string; duration_minutes: number }) {
  return db.insertInto('movies').values(movie).returning(['id', 'title', 'duration_minutes']).executeTakeFirstOrThrow();
}

export function venueExists(db: Database, id: number) {
  return db.selectFrom('venues').select('id').where('id', '=', id).executeTakeFirst();
}

export function hallExists(db: Database, id: number) {
  return db.selectFrom('halls').select('id').where('id', '=', id).executeTakeFirst();
}

export function findMovie(db: Database, id: number) {
  return db.selectFrom('movies').select(['id', 'duration_minutes']).where('id', '=', id).executeTakeFirst();
}

export function countVenues(db: Database) {
  return db.selectFrom('venues').select((eb) => eb.fn.countAll<number>().as('count')).executeTakeFirstOrThrow();
}

/**
 * A showtime and all its ShowSeats in one statement (SPEC §2: same transaction,
 * one `INSERT … SELECT`), ends_at derived from the movie's duration.
 */
export async function insertShowtimeWithSeats(db: Database, showtime: { hall_id: number; movie_id: number; starts_at: Date }) {
  const result = await sql<{ id: number; hall_id: number; movie_id: number; starts_at: Date; ends_at: Date; seat_count: number }>`
    WITH movie AS (
      SELECT duration_minutes FROM movies WHERE id = ${showtime.movie_id}
    ), showtime AS (
      INSERT INTO showtimes (hall_id, movie_id, starts_at, ends_at)
      SELECT ${showtime.hall_id}, ${showtime.movie_id}, ${showtime.starts_at}::timestamptz,
             ${showtime.starts_at}::timestamptz + make_interval(mins => movie.duration_minutes)
      FROM movie
      RETURNING id, hall_id, movie_id, starts_at, ends_at
    ), show_seat AS (
      INSERT INTO show_seats (showtime_id, seat_id, status)
      SELECT showtime.id, seats.id, 'available' FROM showtime JOIN seats ON seats.hall_id = showtime.hall_id
      RETURNING 1
    )
    SELECT showtime.*, (SELECT count(*) FROM show_seat)::int AS seat_count FROM showtime`.execute(db);
  return result.rows[0];
}
