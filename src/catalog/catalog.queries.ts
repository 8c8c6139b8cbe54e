import { sql, type Kysely, type RawBuilder, type Transaction } from 'kysely';
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
  m.id AS movie_id, m.title AS movie_title, m.duration_minutes, m.rating_label, m.rating_min_age,
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
  rating_label: string | null;
  rating_min_age: number | null;
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

const venueColumns = ['id', 'name', 'city', 'time_zone', 'currency', 'default_price_amount', 'payment_required'] as const;

/** Whether PostgreSQL's own time zone database has this exact name, as `AT TIME ZONE` will read it. */
export async function isTimeZoneInDatabase(db: Db, zone: string): Promise<boolean> {
  const { rows } = await sql`SELECT 1 FROM pg_timezone_names WHERE name = ${zone}`.execute(db);
  return rows.length > 0;
}

export function insertVenue(db: Db, venue: { name: string; city: string; time_zone: string; currency: string; default_price_amount: number; payment_required: boolean }) {
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

const movieColumns = ['id', 'title', 'duration_minutes', 'rating_label', 'rating_min_age'] as const;

export type MovieRow = { id: number; title: string; duration_minutes: number; rating_label: string | null; rating_min_age: number | null };
export type MovieValues = { title?: string; duration_minutes?: number; rating_label?: string | null; rating_min_age?: number | null };

/** Names the columns: a request body may carry fields that are not columns. */
export function insertMovie(db: Db, movie: { title: string; duration_minutes: number; rating_label: string | null; rating_min_age: number | null }): Promise<MovieRow> {
  return db
    .insertInto('movies')
    .values({ title: movie.title, duration_minutes: movie.duration_minutes, rating_label: movie.rating_label, rating_min_age: movie.rating_min_age })
    .returning(movieColumns)
    .executeTakeFirstOrThrow();
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
 * A showtime, ends_at from the movie's duration, and the hall busy until
 * ends_at plus its cleaning time. Returns the new id, or nothing when the
 * movie is gone. Its ShowSeats are the booking domain's to write: the caller
 * adds them with `ShowtimeSeats.insertShowSeatsFor` (one `INSERT … SELECT`).
 */
export async function insertShowtime(trx: Transaction<DB>, showtime: NewShowtime): Promise<number | undefined> {
  const result = await sql<{ id: number }>`
    INSERT INTO showtimes (hall_id, movie_id, starts_at, ends_at, blocked_until, currency, price_amount, premium_price_amount)
    SELECT ${showtime.hall_id}, ${showtime.movie_id}, ${showtime.starts_at}::timestamptz,
           ${showtime.starts_at}::timestamptz + make_interval(mins => m.duration_minutes),
           ${showtime.starts_at}::timestamptz + make_interval(mins => m.duration_minutes + ${showtime.cleaning_minutes}),
           ${showtime.currency}, ${showtime.price_amount}, ${showtime.premium_price_amount}
      FROM movies m
     WHERE m.id = ${showtime.movie_id}
    RETURNING id`.execute(trx);
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

// ── staff changes: locks ───────────────────────────────────────────────────
//
// The order every staff write takes its locks in (README.md here):
//   1. beginStaffWrite: lock_timeout, then the one catalog advisory lock;
//   2. the row being changed (venue, hall, movie or showtime) FOR NO KEY UPDATE;
//   3. the showtimes under it FOR NO KEY UPDATE, ascending id;
//   4. their show_seats FOR UPDATE, ascending (showtime_id, seat_id): the order
//      the booking domain locks one showtime's seats in (booking's
//      lockShowSeatsOf, which the catalog receives as ShowtimeSeats);
//   5. only then, in a new statement, the "is anything booked?" check.
// Parent rows are locked FOR NO KEY UPDATE, not FOR UPDATE: a booking, while
// holding its seat locks, inserts a Booking whose foreign keys take FOR KEY
// SHARE on its showtime and seat. FOR UPDATE conflicts with that, so a staff
// write waiting for that booking's seat would deadlock with it; NO KEY UPDATE
// does not (and ids never change). Deletes upgrade to FOR UPDATE only after
// step 4, when no booking of those showtimes can be half-way.

/**
 * Any number that is not a booking key: the booking domain's advisory locks use
 * the two-int4 form, a separate key space from this one-bigint form.
 */
const STAFF_WRITE_LOCK = 0x0b0c5_ca7;

/**
 * Serialises staff writes (creates, changes, deletes, cancels) with each other:
 * they are rare and short, and one lock means no two of them interleave on
 * the catalog's many tables or deadlock. Customers never take it. Bounded by
 * the same lock_timeout as seat writes, so a stuck lock becomes a 503.
 */
export async function beginStaffWrite(trx: Transaction<DB>): Promise<void> {
  await sql`SELECT set_config('lock_timeout', '3s', true), pg_advisory_xact_lock(${STAFF_WRITE_LOCK}::bigint)`.execute(trx);
}

export function lockVenue(trx: Transaction<DB>, id: number) {
  return trx.selectFrom('venues').select(venueColumns).where('id', '=', id).forNoKeyUpdate().executeTakeFirst();
}

/** A hall with its venue's currency, the hall row locked. */
export function lockHall(trx: Transaction<DB>, id: number) {
  return trx
    .selectFrom('halls as h')
    .innerJoin('venues as v', 'v.id', 'h.venue_id')
    .select(['h.id', 'h.venue_id', 'h.name', 'h.default_price_amount', 'h.cleaning_minutes', sql<string>`trim(v.currency)`.as('currency')])
    .where('h.id', '=', id)
    .forNoKeyUpdate('h')
    .executeTakeFirst();
}

export function lockMovie(trx: Transaction<DB>, id: number) {
  return trx.selectFrom('movies').select(movieColumns).where('id', '=', id).forNoKeyUpdate().executeTakeFirst();
}

export function lockShowtime(trx: Transaction<DB>, id: number) {
  return trx
    .selectFrom('showtimes')
    .select([
      'id',
      'hall_id',
      'movie_id',
      'starts_at',
      'ends_at',
      'blocked_until',
      'status',
      sql<string>`trim(currency)`.as('currency'),
      'price_amount',
      'premium_price_amount',
    ])
    .where('id', '=', id)
    .forNoKeyUpdate()
    .executeTakeFirst();
}

export type ShowtimeScope = { hallId: number } | { movieId: number } | { venueId: number };

/** Every showtime under a hall, movie or venue, whatever its status or time, locked in ascending id. */
export async function lockShowtimesUnder(trx: Transaction<DB>, scope: ShowtimeScope): Promise<number[]> {
  const query = trx.selectFrom('showtimes').select('id');
  const scoped =
    'hallId' in scope
      ? query.where('hall_id', '=', scope.hallId)
      : 'movieId' in scope
        ? query.where('movie_id', '=', scope.movieId)
        : query.where('hall_id', 'in', trx.selectFrom('halls').select('id').where('venue_id', '=', scope.venueId));
  const rows = await scoped.orderBy('id').forNoKeyUpdate().execute();
  return rows.map((row) => row.id);
}

/**
 * Bookings of the showtimes, cancelled ones included. Run after
 * lockShowSeatsOf, as its own statement: its snapshot is taken after those
 * locks were granted, so it sees every booking that committed before them.
 */
export async function countBookings(trx: Transaction<DB>, showtimeIds: readonly number[]): Promise<number> {
  if (showtimeIds.length === 0) {
    return 0;
  }
  const row = await trx
    .selectFrom('bookings')
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .where('showtime_id', 'in', showtimeIds)
    .executeTakeFirstOrThrow();
  return Number(row.count);
}

// ── staff changes: writes ──────────────────────────────────────────────────

export function updateVenue(
  trx: Transaction<DB>,
  id: number,
  values: { name?: string; city?: string; time_zone?: string; currency?: string; default_price_amount?: number; payment_required?: boolean },
) {
  return trx.updateTable('venues').set(values).where('id', '=', id).returning(venueColumns).executeTakeFirstOrThrow();
}

/** Halls of a venue that set their own default price (in the venue's currency). */
export async function countHallsWithOwnPrice(trx: Transaction<DB>, venueId: number): Promise<number> {
  const row = await trx
    .selectFrom('halls')
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .where('venue_id', '=', venueId)
    .where('default_price_amount', 'is not', null)
    .executeTakeFirstOrThrow();
  return Number(row.count);
}

export async function updateHall(
  trx: Transaction<DB>,
  id: number,
  values: { name?: string; default_price_amount?: number | null; cleaning_minutes?: number },
): Promise<void> {
  if (Object.keys(values).length > 0) {
    await trx.updateTable('halls').set(values).where('id', '=', id).execute();
  }
}

export async function deleteSeatsOfHall(trx: Transaction<DB>, hallId: number): Promise<number> {
  const result = await trx.deleteFrom('seats').where('hall_id', '=', hallId).executeTakeFirst();
  return Number(result.numDeletedRows);
}

export function updateMovie(trx: Transaction<DB>, id: number, values: MovieValues): Promise<MovieRow> {
  return trx.updateTable('movies').set(values).where('id', '=', id).returning(movieColumns).executeTakeFirstOrThrow();
}

/**
 * Moves the end (and the hall's busy time) of a movie's showtimes that have
 * not started to its new duration; each keeps the cleaning time it was
 * scheduled with. The overlap constraint checks every moved row.
 */
export async function stretchUpcomingShowtimes(trx: Transaction<DB>, movieId: number, durationMinutes: number): Promise<number[]> {
  const { rows } = await sql<{ id: number }>`
    UPDATE showtimes
       SET ends_at = starts_at + make_interval(mins => ${durationMinutes}),
           blocked_until = starts_at + make_interval(mins => ${durationMinutes}) + (blocked_until - ends_at)
     WHERE movie_id = ${movieId} AND starts_at > now()
    RETURNING id`.execute(trx);
  return rows.map((row) => row.id).sort((a, b) => a - b);
}

/**
 * Sets a showtime's start, hall and movie, recomputing its end from the
 * movie's duration. Its cleaning time is the new hall's when the hall
 * changes, else the one it was scheduled with.
 */
export async function rescheduleShowtime(
  trx: Transaction<DB>,
  id: number,
  to: { startsAt: Date; hallId: number; movieId: number; hallChanged: boolean },
): Promise<void> {
  const cleaning = to.hallChanged ? sql`make_interval(mins => h.cleaning_minutes)` : sql`(st.blocked_until - st.ends_at)`;
  await sql`
    UPDATE showtimes st
       SET starts_at = ${to.startsAt}::timestamptz,
           hall_id = h.id,
           movie_id = m.id,
           ends_at = ${to.startsAt}::timestamptz + make_interval(mins => m.duration_minutes),
           blocked_until = ${to.startsAt}::timestamptz + make_interval(mins => m.duration_minutes) + ${cleaning}
      FROM halls h, movies m
     WHERE st.id = ${id} AND h.id = ${to.hallId} AND m.id = ${to.movieId}`.execute(trx);
}

export async function updateShowtimePrices(
  trx: Transaction<DB>,
  id: number,
  prices: { currency: string; price_amount: number; premium_price_amount: number },
): Promise<void> {
  await trx.updateTable('showtimes').set(prices).where('id', '=', id).execute();
}

export async function deleteShowtimes(trx: Transaction<DB>, ids: readonly number[]): Promise<number> {
  if (ids.length === 0) {
    return 0;
  }
  const result = await trx.deleteFrom('showtimes').where('id', 'in', ids).executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** Deletes halls; their seats go with them (seats.hall_id is ON DELETE CASCADE). */
export async function deleteHalls(trx: Transaction<DB>, scope: { hallId: number } | { venueId: number }): Promise<number> {
  const query = trx.deleteFrom('halls');
  const result = await ('hallId' in scope ? query.where('id', '=', scope.hallId) : query.where('venue_id', '=', scope.venueId)).executeTakeFirst();
  return Number(result.numDeletedRows);
}

export async function countSeatsUnder(trx: Transaction<DB>, scope: { hallId: number } | { venueId: number }): Promise<number> {
  const query = trx.selectFrom('seats').select((eb) => eb.fn.countAll<number>().as('count'));
  const row = await ('hallId' in scope
    ? query.where('hall_id', '=', scope.hallId)
    : query.where('hall_id', 'in', trx.selectFrom('halls').select('id').where('venue_id', '=', scope.venueId))
  ).executeTakeFirstOrThrow();
  return Number(row.count);
}

export async function deleteMovie(trx: Transaction<DB>, id: number): Promise<void> {
  await trx.deleteFrom('movies').where('id', '=', id).execute();
}

export async function deleteVenue(trx: Transaction<DB>, id: number): Promise<void> {
  await trx.deleteFrom('venues').where('id', '=', id).execute();
}

// ── cancellation ───────────────────────────────────────────────────────────

export async function markCancelled(trx: Transaction<DB>, id: number): Promise<void> {
  await trx.updateTable('showtimes').set({ status: 'cancelled' }).where('id', '=', id).execute();
}

export type RefundRow = {
  booking_id: number;
  reference: string;
  user_id: number;
  username: string;
  seat_id: number;
  row: string;
  number: number;
  price_amount: number;
  currency: string;
};

/** Every booking of the showtime, with the price as paid, in booking order. */
export async function selectRefunds(trx: Transaction<DB>, showtimeId: number): Promise<RefundRow[]> {
  const { rows } = await sql<RefundRow>`
    SELECT b.id AS booking_id, b.reference, u.id AS user_id, u.username,
           s.id AS seat_id, s."row", s.number, b.price_amount, trim(b.currency) AS currency
      FROM bookings b
      JOIN users u ON u.id = b.user_id
      JOIN seats s ON s.id = b.seat_id
     WHERE b.showtime_id = ${showtimeId}
     ORDER BY b.id`.execute(trx);
  return rows;
}

// ── report ─────────────────────────────────────────────────────────────────

export type HourRow = { hour: Date; bookings: number; revenue: number };

/**
 * Bookings of one showtime per UTC hour, read through the
 * Booking(showtime_id, created_at) index. Hours are truncated in UTC, not the
 * session's time zone, so a zone with a half-hour offset cannot shift them.
 */
export async function selectBookingsPerHour(db: Db, showtimeId: number): Promise<HourRow[]> {
  const { rows } = await sql<HourRow>`
    SELECT date_trunc('hour', created_at, 'UTC') AS hour, count(*)::int AS bookings, sum(price_amount) AS revenue
      FROM bookings
     WHERE showtime_id = ${showtimeId}
     GROUP BY 1
     ORDER BY 1`.execute(db);
  return rows;
}

/** Seats sold and revenue (as paid) per ticket type; a direct booking (SPEC §5) is an Adult ticket. */
export async function selectRevenueByTicketType(db: Db, showtimeId: number) {
  const { rows } = await sql<{ code: string; name: string; seats: number; revenue: string }>`
    SELECT coalesce(tt.code, 'ADULT') AS code, coalesce(tt.name, adult.name, 'Adult') AS name, count(*)::int AS seats, sum(b.price_amount) AS revenue
      FROM bookings b
      LEFT JOIN ticket_types tt ON tt.id = b.ticket_type_id
      LEFT JOIN ticket_types adult ON b.ticket_type_id IS NULL AND adult.code = 'ADULT'
     WHERE b.showtime_id = ${showtimeId}
     GROUP BY 1, 2
     ORDER BY 1`.execute(db);
  return rows;
}

/** What the paid orders of a showtime add up to, and what was refunded. */
export async function selectOrderTotals(db: Db, showtimeId: number) {
  const { rows } = await sql<{ paid: number; discount: string; fee: string; tax: string; refunded: number; refunded_amount: string }>`
    SELECT count(*) FILTER (WHERE status = 'paid')::int AS paid,
           coalesce(sum(discount_amount) FILTER (WHERE status = 'paid'), 0) AS discount,
           coalesce(sum(fee_amount) FILTER (WHERE status = 'paid'), 0) AS fee,
           coalesce(sum(tax_amount) FILTER (WHERE status = 'paid'), 0) AS tax,
           count(*) FILTER (WHERE status = 'refunded')::int AS refunded,
           coalesce(sum(total_amount) FILTER (WHERE status = 'refunded'), 0) AS refunded_amount
      FROM orders WHERE showtime_id = ${showtimeId}`.execute(db);
  return rows[0]!;
}
