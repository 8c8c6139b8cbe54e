import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { DB, SeatKind, ShowtimeStatus } from '../db/schema.ts';
import type { PlannedSeat } from './seat-map.ts';

/** Any handle that runs queries: the pool or an open transaction. */
type Db = Kysely<DB>;

// ── reusable expressions ───────────────────────────────────────────────────

/**
 * Seat counts of showtime `st` as of now, read from the ShowSeat(showtime_id,
 * status) index (it INCLUDEs locked_until): a hold past locked_until counts as
 * available at once, whether or not anything has released it yet.
 */
const seatCounts = sql`
  LEFT JOIN LATERAL (
    SELECT count(*) FILTER (WHERE ss.status = 'booked')::int AS booked,
           count(*) FILTER (WHERE ss.status = 'held' AND ss.locked_until > now())::int AS held,
           count(*) FILTER (WHERE ss.status = 'available' OR (ss.status = 'held' AND ss.locked_until <= now()))::int AS available
      FROM show_seats ss
     WHERE ss.showtime_id = st.id
  ) AS counts ON true`;

/** The columns of SPEC §6's showtime object, flat; `toShowtime` nests them. */
const showtimeColumns = sql`
  st.id, st.starts_at, st.ends_at, st.status, st.currency, st.price_amount, st.premium_price_amount,
  m.id AS movie_id, m.title AS movie_title, m.duration_minutes,
  h.id AS hall_id, h.name AS hall_name,
  v.id AS venue_id, v.name AS venue_name, v.city, v.time_zone,
  counts.available, counts.held, counts.booked`;

const showtimeJoins = sql`
  FROM showtimes st
  JOIN movies m ON m.id = st.movie_id
  JOIN halls h ON h.id = st.hall_id
  JOIN venues v ON v.id = h.venue_id
  ${seatCounts}`;

export type ShowtimeRow = {
  id: number;
  starts_at: Date;
  ends_at: Date;
  status: ShowtimeStatus;
  currency: string;
  price_amount: number;
  premium_price_amount: number;
  movie_id: number;
  movie_title: string;
  duration_minutes: number;
  hall_id: number;
  hall_name: string;
  venue_id: number;
  venue_name: string;
  city: string;
  time_zone: string;
  available: number;
  held: number;
  booked: number;
};

// ── audit ──────────────────────────────────────────────────────────────────

export type AuditEntry = { userId: number | null; action: string; entity: string; entityId: number | null; details?: unknown };

/** One row per staff write, in the same transaction as the write itself. */
export async function recordAudit(db: Db, entry: AuditEntry): Promise<void> {
  await db
    .insertInto('audit_log')
    .values({
      user_id: entry.userId,
      action: entry.action,
      entity: entry.entity,
      entity_id: entry.entityId,
      details: JSON.stringify(entry.details ?? {}),
    })
    .execute();
}

// ── venues ─────────────────────────────────────────────────────────────────

const venueColumns = ['id', 'name', 'city', 'time_zone', 'currency', 'default_price_amount'] as const;

export function insertVenue(db: Db, venue: { name: string; city: string; time_zone: string; currency: string; default_price_amount: number }) {
  return db.insertInto('venues').values(venue).returning(venueColumns).executeTakeFirstOrThrow();
}

export function findVenue(db: Db, id: number) {
  return db.selectFrom('venues').select(venueColumns).where('id', '=', id).executeTakeFirst();
}

export function listVenues(db: Db, afterId: number, limit: number) {
  return db.selectFrom('venues').select(venueColumns).where('id', '>', afterId).orderBy('id').limit(limit).execute();
}

export function countVenues(db: Db) {
  return db.selectFrom('venues').select((eb) => eb.fn.countAll<number>().as('count')).executeTakeFirstOrThrow();
}

// ── halls and seats ────────────────────────────────────────────────────────

export function insertHall(db: Db, hall: { venue_id: number; name: string; default_price_amount: number | null; cleaning_minutes: number }) {
  return db
    .insertInto('halls')
    .values(hall)
    .returning(['id', 'venue_id', 'name', 'default_price_amount', 'cleaning_minutes'])
    .executeTakeFirstOrThrow();
}

/** All seats of a hall in one statement. */
export async function insertSeats(db: Db, hallId: number, seats: readonly PlannedSeat[]): Promise<number> {
  const result = await sql`
    INSERT INTO seats (hall_id, "row", number, kind, x, y)
    SELECT ${hallId}, s."row", s.number, s.kind, s.x, s.y
      FROM unnest(${sql.val(seats.map((s) => s.row))}::text[], ${sql.val(seats.map((s) => s.number))}::int[],
                  ${sql.val(seats.map((s) => s.kind))}::text[], ${sql.val(seats.map((s) => s.x))}::int[],
                  ${sql.val(seats.map((s) => s.y))}::int[]) AS s("row", number, kind, x, y)`.execute(db);
  return Number(result.numAffectedRows ?? 0);
}

/** A hall with the venue facts a showtime's defaults come from. */
export function findHall(db: Db, id: number) {
  return db
    .selectFrom('halls as h')
    .innerJoin('venues as v', 'v.id', 'h.venue_id')
    .select(['h.id', 'h.venue_id', 'h.name', 'h.default_price_amount', 'h.cleaning_minutes', 'v.currency', 'v.default_price_amount as venue_price_amount'])
    .where('h.id', '=', id)
    .executeTakeFirst();
}

export function selectHallSeats(db: Db, hallId: number): Promise<{ row: string; number: number; kind: SeatKind; x: number; y: number }[]> {
  return db.selectFrom('seats').select(['row', 'number', 'kind', 'x', 'y']).where('hall_id', '=', hallId).orderBy('y').orderBy('x').execute();
}

// ── movies ─────────────────────────────────────────────────────────────────

const movieColumns = ['id', 'title', 'duration_minutes'] as const;

export function insertMovie(db: Db, movie: { title: string; duration_minutes: number }) {
  return db.insertInto('movies').values(movie).returning(movieColumns).executeTakeFirstOrThrow();
}

export function findMovie(db: Db, id: number) {
  return db.selectFrom('movies').select(movieColumns).where('id', '=', id).executeTakeFirst();
}

export function listMovies(db: Db, afterId: number, limit: number) {
  return db.selectFrom('movies').select(movieColumns).where('id', '>', afterId).orderBy('id').limit(limit).execute();
}

// ── showtimes ──────────────────────────────────────────────────────────────

export type NewShowtime = {
  hall_id: number;
  movie_id: number;
  starts_at: Date;
  currency: string;
  price_amount: number;
  premium_price_amount: number;
  cleaning_minutes: number;
};

/**
 * A showtime and all its ShowSeats in one statement (SPEC §2: one
 * `INSERT … SELECT`), ends_at from the movie's duration, and the hall busy
 * until ends_at plus its cleaning time. Returns the new id, or nothing when
 * the movie is gone.
 */
export async function insertShowtimeWithSeats(db: Db, showtime: NewShowtime): Promise<number | undefined> {
  const result = await sql<{ id: number }>`
    WITH movie AS (
      SELECT duration_minutes FROM movies WHERE id = ${showtime.movie_id}
    ), showtime AS (
      INSERT INTO showtimes (hall_id, movie_id, starts_at, ends_at, blocked_until, currency, price_amount, premium_price_amount)
      SELECT ${showtime.hall_id}, ${showtime.movie_id}, ${showtime.starts_at}::timestamptz,
             ${showtime.starts_at}::timestamptz + make_interval(mins => movie.duration_minutes),
             ${showtime.starts_at}::timestamptz + make_interval(mins => movie.duration_minutes + ${showtime.cleaning_minutes}),
             ${showtime.currency}, ${showtime.price_amount}, ${showtime.premium_price_amount}
      FROM movie
      RETURNING id, hall_id
    ), show_seat AS (
      INSERT INTO show_seats (showtime_id, seat_id, status)
      SELECT showtime.id, seats.id, 'available' FROM showtime JOIN seats ON seats.hall_id = showtime.hall_id
    )
    SELECT id FROM showtime`.execute(db);
  return result.rows[0]?.id;
}

export async function selectShowtime(db: Db, id: number): Promise<ShowtimeRow | undefined> {
  const { rows } = await sql<ShowtimeRow>`SELECT ${showtimeColumns} ${showtimeJoins} WHERE st.id = ${id}`.execute(db);
  return rows[0];
}

export type ShowtimeFilters = {
  /** YYYY-MM-DD in each venue's own time zone. */
  date?: string | undefined;
  city?: string | undefined;
  movieId?: number | undefined;
  venueId?: number | undefined;
  after?: readonly [string, number] | undefined;
  limit: number;
};

/**
 * Scheduled showtimes that have not started, soonest first, in the stable
 * order (starts_at, id) that cursors continue from. A `date` is a calendar
 * day of the venue's city, so its bounds are computed per venue.
 */
export async function selectUpcomingShowtimes(db: Db, filters: ShowtimeFilters): Promise<ShowtimeRow[]> {
  const conditions: RawBuilder<unknown>[] = [sql`st.status = 'scheduled'`, sql`st.starts_at > now()`];
  if (filters.date !== undefined) {
    conditions.push(sql`st.starts_at >= (${filters.date}::date)::timestamp AT TIME ZONE v.time_zone`);
    conditions.push(sql`st.starts_at < (${filters.date}::date + 1)::timestamp AT TIME ZONE v.time_zone`);
  }
  if (filters.city !== undefined) {
    conditions.push(sql`lower(v.city) = lower(${filters.city})`);
  }
  if (filters.movieId !== undefined) {
    conditions.push(sql`st.movie_id = ${filters.movieId}`);
  }
  if (filters.venueId !== undefined) {
    conditions.push(sql`v.id = ${filters.venueId}`);
  }
  if (filters.after !== undefined) {
    conditions.push(sql`(st.starts_at, st.id) > (${filters.after[0]}::timestamptz, ${filters.after[1]})`);
  }
  // The page is chosen first, so seats are counted for its rows only.
  const { rows } = await sql<ShowtimeRow>`
    SELECT ${showtimeColumns} ${showtimeJoins}
     WHERE st.id IN (
       SELECT st.id FROM showtimes st JOIN halls h ON h.id = st.hall_id JOIN venues v ON v.id = h.venue_id
        WHERE ${sql.join(conditions, sql` AND `)}
        ORDER BY st.starts_at, st.id
        LIMIT ${filters.limit})
     ORDER BY st.starts_at, st.id`.execute(db);
  return rows;
}
