import { sql, type Kysely } from 'kysely';

/**
 * Issue 4: prices, seat kinds and grid positions, cleaning time between
 * showtimes, cancellation, booking references and the staff audit log.
 * Every new column has a default, so existing rows and API clients keep working.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE venues
      ADD COLUMN currency char(3) NOT NULL DEFAULT 'EUR' CONSTRAINT venues_currency_iso CHECK (currency ~ '^[A-Z]{3}$'),
      ADD COLUMN default_price_amount integer NOT NULL DEFAULT 1000 CONSTRAINT venues_default_price_nonnegative CHECK (default_price_amount >= 0)
  `.execute(db);

  await sql`
    ALTER TABLE halls
      ADD COLUMN default_price_amount integer CONSTRAINT halls_default_price_nonnegative CHECK (default_price_amount >= 0),
      ADD COLUMN cleaning_minutes integer NOT NULL DEFAULT 0 CONSTRAINT halls_cleaning_minutes_range CHECK (cleaning_minutes BETWEEN 0 AND 240)
  `.execute(db);

  // Grid position (x = column, y = line from the screen) lets a UI draw aisles; kind sets the price.
  await sql`
    ALTER TABLE seats
      ADD COLUMN kind text NOT NULL DEFAULT 'standard' CONSTRAINT seats_kind_known CHECK (kind IN ('standard', 'premium', 'wheelchair')),
      ADD COLUMN x integer,
      ADD COLUMN y integer
  `.execute(db);
  await sql`
    UPDATE seats SET x = number - 1, y = line.y
      FROM (SELECT hall_id, "row", (dense_rank() OVER (PARTITION BY hall_id ORDER BY "row") - 1)::int AS y
              FROM (SELECT DISTINCT hall_id, "row" FROM seats) AS r) AS line
     WHERE line.hall_id = seats.hall_id AND line."row" = seats."row"
  `.execute(db);
  await sql`
    ALTER TABLE seats
      ALTER COLUMN x SET NOT NULL, ALTER COLUMN y SET NOT NULL,
      ADD CONSTRAINT seats_grid_nonnegative CHECK (x >= 0 AND y >= 0),
      ADD CONSTRAINT seats_hall_grid_key UNIQUE (hall_id, y, x)
  `.execute(db);

  await sql`
    ALTER TABLE showtimes
      ADD COLUMN status text NOT NULL DEFAULT 'scheduled' CONSTRAINT showtimes_status_known CHECK (status IN ('scheduled', 'cancelled')),
      ADD COLUMN currency char(3) NOT NULL DEFAULT 'EUR' CONSTRAINT showtimes_currency_iso CHECK (currency ~ '^[A-Z]{3}$'),
      ADD COLUMN price_amount integer NOT NULL DEFAULT 1000 CONSTRAINT showtimes_price_nonnegative CHECK (price_amount >= 0),
      ADD COLUMN premium_price_amount integer NOT NULL DEFAULT 1000 CONSTRAINT showtimes_premium_price_nonnegative CHECK (premium_price_amount >= 0),
      ADD COLUMN blocked_until timestamptz,
      ADD COLUMN created_at timestamptz NOT NULL DEFAULT now()
  `.execute(db);
  await sql`UPDATE showtimes SET blocked_until = ends_at`.execute(db);
  // The hall is busy from the start until the end plus its cleaning time; a
  // cancelled showtime frees the hall.
  await sql`
    ALTER TABLE showtimes
      ALTER COLUMN blocked_until SET NOT NULL,
      ADD CONSTRAINT showtimes_blocked_after_end CHECK (blocked_until >= ends_at),
      DROP CONSTRAINT showtimes_no_overlap,
      ADD CONSTRAINT showtimes_no_overlap EXCLUDE USING gist (
        hall_id WITH =,
        tstzrange(starts_at, blocked_until) WITH &&
      ) WHERE (status = 'scheduled')
  `.execute(db);
  await sql`CREATE INDEX showtimes_starts_at_id_idx ON showtimes (starts_at, id) WHERE status = 'scheduled'`.execute(db);
  await sql`CREATE INDEX showtimes_movie_id_idx ON showtimes (movie_id)`.execute(db);

  // Seat counts per showtime read this index alone (locked_until decides whether a hold is live).
  await sql`DROP INDEX show_seats_showtime_id_status_idx`.execute(db);
  await sql`CREATE INDEX show_seats_showtime_id_status_idx ON show_seats (showtime_id, status) INCLUDE (locked_until)`.execute(db);

  // The price paid is recorded at booking time; a later price change never touches it.
  await sql`
    ALTER TABLE bookings
      ADD COLUMN price_amount integer NOT NULL DEFAULT 0 CONSTRAINT bookings_price_nonnegative CHECK (price_amount >= 0),
      ADD COLUMN currency char(3) NOT NULL DEFAULT 'EUR',
      ADD COLUMN reference text
  `.execute(db);
  await sql`UPDATE bookings SET reference = upper(substr(md5(random()::text || id::text), 1, 10))`.execute(db);
  await sql`ALTER TABLE bookings ALTER COLUMN reference SET NOT NULL`.execute(db);
  await sql`CREATE INDEX bookings_reference_idx ON bookings (reference)`.execute(db);
  await sql`CREATE INDEX bookings_user_id_created_at_idx ON bookings (user_id, created_at DESC, id DESC)`.execute(db);
  await sql`DROP INDEX bookings_user_id_idx`.execute(db);

  await sql`
    CREATE TABLE audit_log (
      id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      user_id integer REFERENCES users (id),
      action text NOT NULL,
      entity text NOT NULL,
      entity_id integer,
      details jsonb NOT NULL DEFAULT '{}'::jsonb,
      created_at timestamptz NOT NULL DEFAULT now()
    )`.execute(db);
  await sql`CREATE INDEX audit_log_entity_idx ON audit_log (entity, entity_id, created_at)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE audit_log`.execute(db);
  await sql`CREATE INDEX bookings_user_id_idx ON bookings (user_id)`.execute(db);
  await sql`DROP INDEX bookings_user_id_created_at_idx`.execute(db);
  await sql`DROP INDEX bookings_reference_idx`.execute(db);
  await sql`ALTER TABLE bookings DROP COLUMN reference, DROP COLUMN currency, DROP COLUMN price_amount`.execute(db);
  await sql`DROP INDEX show_seats_showtime_id_status_idx`.execute(db);
  await sql`CREATE INDEX show_seats_showtime_id_status_idx ON show_seats (showtime_id, status)`.execute(db);
  await sql`DROP INDEX showtimes_movie_id_idx`.execute(db);
  await sql`DROP INDEX showtimes_starts_at_id_idx`.execute(db);
  await sql`
    ALTER TABLE showtimes
      DROP CONSTRAINT showtimes_no_overlap,
      ADD CONSTRAINT showtimes_no_overlap EXCLUDE USING gist (hall_id WITH =, tstzrange(starts_at, ends_at) WITH &&),
      DROP COLUMN created_at, DROP COLUMN blocked_until, DROP COLUMN premium_price_amount,
      DROP COLUMN price_amount, DROP COLUMN currency, DROP COLUMN status
  `.execute(db);
  await sql`ALTER TABLE seats DROP COLUMN y, DROP COLUMN x, DROP COLUMN kind`.execute(db);
  await sql`ALTER TABLE halls DROP COLUMN cleaning_minutes, DROP COLUMN default_price_amount`.execute(db);
  await sql`ALTER TABLE venues DROP COLUMN default_price_amount, DROP COLUMN currency`.execute(db);
}
