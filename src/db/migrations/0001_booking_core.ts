import { sql, type Kysely } from 'kysely';

/**
 * The design's schema (seed/000_*.txt): its entities, unique constraints and
 * four indexes, plus SPEC §2's check constraints and the overlap exclusion.
 * Written in SQL because constraints are the point of this migration.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`CREATE EXTENSION IF NOT EXISTS btree_gist`.execute(db);

  await sql`
    CREATE TABLE users (
      id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      username text NOT NULL CHECK (length(username) BETWEEN 3 AND 150),
      password_hash text NOT NULL,
      is_staff boolean NOT NULL DEFAULT false,
      created_at timestamptz NOT NULL DEFAULT now()
    )`.execute(db);
  // Usernames are unique regardless of case: "Alice" and "alice" are one person.
  await sql`CREATE UNIQUE INDEX users_username_lower_key ON users (lower(username))`.execute(db);

  await sql`
    CREATE TABLE sessions (
      id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      user_id integer NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      token_hash text NOT NULL UNIQUE,
      created_at timestamptz NOT NULL DEFAULT now(),
      expires_at timestamptz NOT NULL
    )`.execute(db);
  await sql`CREATE INDEX sessions_user_id_idx ON sessions (user_id)`.execute(db);

  await sql`
    CREATE TABLE venues (
      id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
      city text NOT NULL CHECK (length(city) BETWEEN 1 AND 200),
      time_zone text NOT NULL DEFAULT 'UTC'
    )`.execute(db);

  await sql`
    CREATE TABLE halls (
      id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      venue_id integer NOT NULL REFERENCES venues (id) ON DELETE RESTRICT,
      name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
      UNIQUE (venue_id, name)
    )`.execute(db);

  // Rows sort bytewise (COLLATE "C") so the layout order never depends on the server's locale.
  await sql`
    CREATE TABLE seats (
      id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      hall_id integer NOT NULL REFERENCES halls (id) ON DELETE CASCADE,
      "row" text COLLATE "C" NOT NULL CHECK (length("row") BETWEEN 1 AND 8),
      number integer NOT NULL CHECK (number > 0),
      CONSTRAINT seats_hall_row_number_key UNIQUE (hall_id, "row", number)
    )`.execute(db);
  // The design's Seat(hall_id, row, number) index is the unique constraint's index above.

  await sql`
    CREATE TABLE movies (
      id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      title text NOT NULL CHECK (length(title) BETWEEN 1 AND 300),
      duration_minutes integer NOT NULL CHECK (duration_minutes BETWEEN 1 AND 1440)
    )`.execute(db);

  await sql`
    CREATE TABLE showtimes (
      id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      hall_id integer NOT NULL REFERENCES halls (id) ON DELETE RESTRICT,
      movie_id integer NOT NULL REFERENCES movies (id) ON DELETE RESTRICT,
      starts_at timestamptz NOT NULL,
      ends_at timestamptz NOT NULL,
      CONSTRAINT showtimes_ends_after_start CHECK (ends_at > starts_at),
      CONSTRAINT showtimes_no_overlap EXCLUDE USING gist (
        hall_id WITH =,
        tstzrange(starts_at, ends_at) WITH &&
      )
    )`.execute(db);
  await sql`CREATE INDEX showtimes_hall_id_starts_at_idx ON showtimes (hall_id, starts_at)`.execute(db);

  await sql`
    CREATE TABLE show_seats (
      id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      showtime_id integer NOT NULL REFERENCES showtimes (id) ON DELETE CASCADE,
      seat_id integer NOT NULL REFERENCES seats (id) ON DELETE RESTRICT,
      status text NOT NULL DEFAULT 'available',
      locked_by_id integer REFERENCES users (id),
      locked_until timestamptz,
      booked_at timestamptz,
      CONSTRAINT show_seats_showtime_seat_key UNIQUE (showtime_id, seat_id),
      CONSTRAINT show_seats_status_known CHECK (status IN ('available', 'held', 'booked')),
      CONSTRAINT show_seats_held_iff_locked CHECK (
        (status = 'held') = (locked_by_id IS NOT NULL AND locked_until IS NOT NULL)
      ),
      CONSTRAINT show_seats_unlocked_unless_held CHECK (
        status = 'held' OR (locked_by_id IS NULL AND locked_until IS NULL)
      ),
      CONSTRAINT show_seats_booked_iff_booked_at CHECK ((status = 'booked') = (booked_at IS NOT NULL))
    )`.execute(db);
  await sql`CREATE INDEX show_seats_showtime_id_status_idx ON show_seats (showtime_id, status)`.execute(db);
  // The sweeper's index: only held rows, ordered by expiry, across every show.
  await sql`CREATE INDEX show_seats_held_locked_until_idx ON show_seats (locked_until) WHERE status = 'held'`.execute(
    db,
  );

  await sql`
    CREATE TABLE bookings (
      id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      showtime_id integer NOT NULL REFERENCES showtimes (id) ON DELETE RESTRICT,
      seat_id integer NOT NULL REFERENCES seats (id) ON DELETE RESTRICT,
      user_id integer NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
      created_at timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT bookings_showtime_seat_key UNIQUE (showtime_id, seat_id)
    )`.execute(db);
  await sql`CREATE INDEX bookings_showtime_id_created_at_idx ON bookings (showtime_id, created_at)`.execute(db);
  await sql`CREATE INDEX bookings_user_id_idx ON bookings (user_id)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['bookings', 'show_seats', 'showtimes', 'movies', 'seats', 'halls', 'venues', 'sessions', 'users']) {
    await sql`DROP TABLE IF EXISTS ${sql.table(table)}`.execute(db);
  }
}
