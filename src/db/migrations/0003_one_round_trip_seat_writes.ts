import { sql, type Kysely } from 'kysely';

/**
 * Release-night speed (src/booking/README.md, "The request path"):
 *
 * - `show_seats.version`, bumped by a trigger on every update, and a second
 *   trigger that announces every update (NOTIFY), whoever wrote the row: a
 *   cache fed by these events can tell a late or reordered event from a newer
 *   one, and no writer can forget to announce.
 * - Partial indexes for what every seat write asks: "my live holds on this
 *   show" and "expired holds of this show", instead of scanning all held rows;
 *   and bookings by (showtime, user) for the seat limit.
 * - `booking_hold_seats` / `booking_book_seats`: the whole hold or book
 *   transaction in one round trip. They keep the design's locking exactly:
 *   the per-(show, user) advisory lock, then the ShowSeat rows `FOR UPDATE` in
 *   ascending seat id, then the show's state read in a statement of its own,
 *   the checks, the write, and the release of expired holds with SKIP LOCKED. Before any lock, a plain read answers the hopeless cases
 *   (unknown show or seat, closed sales, a seat booked or held by someone
 *   else, a retried booking): such an answer takes no lock and no
 *   transaction id, so a refusal costs no disk flush.
 *
 * Each answers a JSON object the booking service maps to its statuses and
 * sentences: {"error": "show_not_found" | "seat_not_found" | "cancelled" |
 * "sales_closed" | "seat_limit"}, {"conflicts": [[seat_id, "held"|"booked"], …]},
 * or the result, with "events": the seat changes it made,
 * [[seat_id, status, locked_until, version, holder], …], which the caller
 * publishes after commit: these two switch the announcing trigger off for
 * their own transaction, since a NOTIFY inside would serialise their commits
 * (src/booking/README.md, "Seat events").
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE show_seats ADD COLUMN version bigint NOT NULL DEFAULT 0`.execute(db);
  await sql`
    CREATE FUNCTION show_seats_bump_version() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      NEW.version := OLD.version + 1;
      RETURN NEW;
    END $$`.execute(db);
  await sql`
    CREATE TRIGGER show_seats_bump_version BEFORE UPDATE ON show_seats
      FOR EACH ROW EXECUTE FUNCTION show_seats_bump_version()`.execute(db);

  await sql`CREATE INDEX show_seats_held_by_idx ON show_seats (showtime_id, locked_by_id) WHERE status = 'held'`.execute(db);
  await sql`CREATE INDEX show_seats_held_show_until_idx ON show_seats (showtime_id, locked_until) WHERE status = 'held'`.execute(db);
  await sql`CREATE INDEX bookings_showtime_id_user_id_idx ON bookings (showtime_id, user_id)`.execute(db);

  // Every update of show_seats announces itself, whoever made it (booking, the sweeper, staff, an operator's
  // SQL): one NOTIFY per show and 100 seats (the payload limit is 8000 bytes), delivered on commit, in
  // commit order, never for a rollback. [seat_id, status, locked_until, version, holder]: the holder is
  // for each process's layout cache (locked_by is shown to the holder only); event streams never pass it on.
  await sql`
    CREATE FUNCTION show_seats_announce() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      -- The seat functions publish their own changes after commit (see booking_hold_seats).
      IF current_setting('boxoffice.announce', true) = 'off' THEN
        RETURN NULL;
      END IF;
      PERFORM pg_notify('boxoffice_seat_events', json_build_object('s', showtime_id, 'c', json_agg(event ORDER BY seat_id))::text)
         FROM (SELECT showtime_id, seat_id,
                      json_build_array(seat_id, status, to_char(locked_until AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), version, locked_by_id) AS event,
                      (row_number() OVER (PARTITION BY showtime_id ORDER BY seat_id) - 1) / 100 AS chunk
                 FROM changed) AS c
        GROUP BY showtime_id, chunk;
      RETURN NULL;
    END $$`.execute(db);
  await sql`
    CREATE TRIGGER show_seats_announce AFTER UPDATE ON show_seats
      REFERENCING NEW TABLE AS changed
      FOR EACH STATEMENT EXECUTE FUNCTION show_seats_announce()`.execute(db);

  // Expired holds of one show, released in passing (SKIP LOCKED: never waits, so safe after our own locks).
  // PL/pgSQL, not SQL: a SQL function that is not inlined is planned again on every call.
  await sql`
    CREATE FUNCTION booking_release_expired(p_showtime_id integer, p_limit integer) RETURNS jsonb LANGUAGE plpgsql AS $$
    DECLARE
      v_released jsonb;
    BEGIN
      -- Most calls find nothing: look before writing (a statement that updates no row still fires triggers).
      IF NOT EXISTS (SELECT FROM show_seats WHERE showtime_id = p_showtime_id AND status = 'held' AND locked_until <= now()) THEN
        RETURN '[]'::jsonb;
      END IF;
      WITH released AS (
        UPDATE show_seats
           SET status = 'available', locked_by_id = NULL, locked_until = NULL
         WHERE id IN (SELECT id FROM show_seats
                       WHERE showtime_id = p_showtime_id AND status = 'held' AND locked_until <= now()
                       LIMIT p_limit
                       FOR UPDATE SKIP LOCKED)
        RETURNING seat_id, version)
      SELECT coalesce(jsonb_agg(jsonb_build_array(seat_id, 'available', NULL, version, NULL) ORDER BY seat_id), '[]'::jsonb)
        INTO v_released FROM released;
      RETURN v_released;
    END $$`.execute(db);

  await createSeatFunctions(db);
}

/** booking_hold_seats and booking_book_seats as this migration made them (migration 0004 restores them on the way down). */
export async function createSeatFunctions(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE FUNCTION booking_hold_seats(p_showtime_id integer, p_user_id integer, p_seat_ids integer[], p_ttl_seconds integer, p_max_seats integer)
    RETURNS json LANGUAGE plpgsql SET lock_timeout = '3s' AS $$
    DECLARE
      v_show record;
      v_found integer;
      v_conflicts jsonb;
      v_mine jsonb;
      v_adding integer := 0;
      v_to_hold integer[] := '{}';
      v_count integer;
      v_held jsonb;
      v_released jsonb;
      r record;
    BEGIN
      -- Without a lock: the answers a snapshot can give for good.
      SELECT status, starts_at <= now() AS started INTO v_show FROM showtimes WHERE id = p_showtime_id;
      IF NOT FOUND THEN RETURN json_build_object('error', 'show_not_found'); END IF;
      SELECT count(*),
             jsonb_agg(jsonb_build_array(seat_id, CASE WHEN status = 'booked' THEN 'booked' ELSE 'held' END) ORDER BY seat_id)
               FILTER (WHERE status = 'booked' OR (status = 'held' AND locked_until > now() AND locked_by_id <> p_user_id))
        INTO v_found, v_conflicts
        FROM show_seats WHERE showtime_id = p_showtime_id AND seat_id = ANY (p_seat_ids);
      IF v_found < cardinality(p_seat_ids) THEN RETURN json_build_object('error', 'seat_not_found'); END IF;
      IF v_show.status = 'cancelled' THEN RETURN json_build_object('error', 'cancelled'); END IF;
      IF v_show.started THEN RETURN json_build_object('error', 'sales_closed'); END IF;
      IF v_conflicts IS NOT NULL THEN RETURN json_build_object('conflicts', v_conflicts); END IF;

      -- The design's transaction: the per-(show, user) lock, then the rows FOR UPDATE in ascending seat id.
      -- Its changes are published by the caller after commit, not by the trigger (README: "Seat events").
      PERFORM set_config('boxoffice.announce', 'off', true), pg_advisory_xact_lock(p_showtime_id, p_user_id);
      v_conflicts := NULL;
      v_mine := '[]'::jsonb;
      FOR r IN
        SELECT ss.id, ss.seat_id, ss.status, ss.locked_by_id, ss.locked_until,
               (ss.status = 'held' AND ss.locked_until > now()) AS live
          FROM show_seats ss
         WHERE ss.showtime_id = p_showtime_id AND ss.seat_id = ANY (p_seat_ids)
         ORDER BY ss.seat_id
           FOR UPDATE
      LOOP
        IF r.status = 'booked' THEN
          v_conflicts := coalesce(v_conflicts, '[]'::jsonb) || jsonb_build_array(jsonb_build_array(r.seat_id, 'booked'));
        ELSIF r.live AND r.locked_by_id <> p_user_id THEN
          v_conflicts := coalesce(v_conflicts, '[]'::jsonb) || jsonb_build_array(jsonb_build_array(r.seat_id, 'held'));
        ELSIF r.live THEN
          -- Re-holding one's own seat does not extend it: no keeping a seat off sale by re-holding.
          v_mine := v_mine || jsonb_build_array(jsonb_build_array(r.seat_id, to_char(r.locked_until AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')));
        ELSE
          v_to_hold := v_to_hold || r.id;
        END IF;
      END LOOP;
      -- A new statement sees a cancel or a start committed while we waited for the locks.
      SELECT status, starts_at <= now() AS started INTO v_show FROM showtimes WHERE id = p_showtime_id;
      IF NOT FOUND THEN RETURN json_build_object('error', 'show_not_found'); END IF;
      IF v_show.status = 'cancelled' THEN RETURN json_build_object('error', 'cancelled'); END IF;
      IF v_show.started THEN RETURN json_build_object('error', 'sales_closed'); END IF;
      IF v_conflicts IS NOT NULL THEN RETURN json_build_object('conflicts', v_conflicts); END IF;

      v_adding := cardinality(v_to_hold);
      IF v_adding > 0 THEN
        SELECT (SELECT count(*) FROM show_seats
                 WHERE showtime_id = p_showtime_id AND locked_by_id = p_user_id AND status = 'held' AND locked_until > now())
             + (SELECT count(*) FROM bookings WHERE showtime_id = p_showtime_id AND user_id = p_user_id)
          INTO v_count;
        IF v_count + v_adding > p_max_seats THEN RETURN json_build_object('error', 'seat_limit'); END IF;
        WITH held AS (
          UPDATE show_seats
             SET status = 'held', locked_by_id = p_user_id, booked_at = NULL,
                 locked_until = date_trunc('milliseconds', now() + make_interval(secs => p_ttl_seconds))
           WHERE id = ANY (v_to_hold)
          RETURNING seat_id, locked_until, version)
        SELECT jsonb_agg(jsonb_build_array(seat_id, 'held', to_char(locked_until AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), version, p_user_id) ORDER BY seat_id) INTO v_held FROM held;
      END IF;
      v_released := booking_release_expired(p_showtime_id, 100);
      RETURN json_build_object('mine', v_mine, 'events', coalesce(v_held, '[]'::jsonb) || v_released);
    END $$`.execute(db);

  await sql`
    CREATE FUNCTION booking_book_seats(p_showtime_id integer, p_user_id integer, p_seat_ids integer[], p_reference text, p_max_seats integer)
    RETURNS json LANGUAGE plpgsql SET lock_timeout = '3s' AS $$
    DECLARE
      v_show record;
      v_found integer;
      v_conflicts jsonb;
      v_mine jsonb;
      v_to_book integer[] := '{}';
      v_adding integer := 0;
      v_count integer;
      v_booked_by_others jsonb;
      v_created jsonb;
      v_events jsonb;
      v_released jsonb;
      r record;
    BEGIN
      -- A retry of a booking that went through answers with it, whatever happened to the show since.
      SELECT jsonb_agg(jsonb_build_array(id, seat_id, price_amount, trim(currency), reference) ORDER BY seat_id)
        INTO v_mine FROM bookings
       WHERE showtime_id = p_showtime_id AND seat_id = ANY (p_seat_ids) AND user_id = p_user_id;
      IF jsonb_array_length(v_mine) = cardinality(p_seat_ids) THEN
        RETURN json_build_object('created', '[]'::jsonb, 'mine', v_mine, 'events', '[]'::jsonb);
      END IF;

      -- Without a lock: the answers a snapshot can give for good.
      SELECT status, starts_at <= now() AS started INTO v_show FROM showtimes WHERE id = p_showtime_id;
      IF NOT FOUND THEN RETURN json_build_object('error', 'show_not_found'); END IF;
      SELECT count(*),
             jsonb_agg(jsonb_build_array(ss.seat_id, CASE WHEN ss.status = 'booked' THEN 'booked' ELSE 'held' END) ORDER BY ss.seat_id)
               FILTER (WHERE (ss.status = 'booked' AND b.user_id <> p_user_id)
                          OR (ss.status = 'held' AND ss.locked_until > now() AND ss.locked_by_id <> p_user_id))
        INTO v_found, v_conflicts
        FROM show_seats ss
        LEFT JOIN bookings b ON b.showtime_id = ss.showtime_id AND b.seat_id = ss.seat_id
       WHERE ss.showtime_id = p_showtime_id AND ss.seat_id = ANY (p_seat_ids);
      IF v_found < cardinality(p_seat_ids) THEN RETURN json_build_object('error', 'seat_not_found'); END IF;
      IF v_show.status = 'cancelled' THEN RETURN json_build_object('error', 'cancelled'); END IF;
      IF v_show.started THEN RETURN json_build_object('error', 'sales_closed'); END IF;
      IF v_conflicts IS NOT NULL THEN RETURN json_build_object('conflicts', v_conflicts); END IF;

      -- The design's transaction: the per-(show, user) lock, then the rows FOR UPDATE in ascending seat id.
      -- Its changes are published by the caller after commit, not by the trigger (README: "Seat events").
      PERFORM set_config('boxoffice.announce', 'off', true), pg_advisory_xact_lock(p_showtime_id, p_user_id);
      v_conflicts := NULL;
      FOR r IN
        SELECT ss.id, ss.seat_id, ss.status, ss.locked_by_id,
               (ss.status = 'held' AND ss.locked_until > now()) AS live
          FROM show_seats ss
         WHERE ss.showtime_id = p_showtime_id AND ss.seat_id = ANY (p_seat_ids)
         ORDER BY ss.seat_id
           FOR UPDATE
      LOOP
        IF r.status = 'booked' THEN
          -- Booked by someone else, or by the caller (answered with that booking below).
          CONTINUE;
        ELSIF r.live AND r.locked_by_id <> p_user_id THEN
          v_conflicts := coalesce(v_conflicts, '[]'::jsonb) || jsonb_build_array(jsonb_build_array(r.seat_id, 'held'));
        ELSE
          v_to_book := v_to_book || r.seat_id;
          -- A live hold of the caller's is already counted; an expired one or a free seat adds to the total.
          IF NOT r.live THEN v_adding := v_adding + 1; END IF;
        END IF;
      END LOOP;
      -- New statements: a cancel or a start committed while we waited for the locks, and the bookings now.
      SELECT status, starts_at <= now() AS started, trim(currency) AS currency, price_amount, premium_price_amount
        INTO v_show FROM showtimes WHERE id = p_showtime_id;
      IF NOT FOUND THEN RETURN json_build_object('error', 'show_not_found'); END IF;
      IF v_show.status = 'cancelled' THEN RETURN json_build_object('error', 'cancelled'); END IF;
      IF v_show.started THEN RETURN json_build_object('error', 'sales_closed'); END IF;
      SELECT jsonb_agg(jsonb_build_array(b.seat_id, 'booked') ORDER BY b.seat_id) FILTER (WHERE b.user_id <> p_user_id),
             jsonb_agg(jsonb_build_array(b.id, b.seat_id, b.price_amount, trim(b.currency), b.reference) ORDER BY b.seat_id) FILTER (WHERE b.user_id = p_user_id)
        INTO v_booked_by_others, v_mine
        FROM bookings b WHERE b.showtime_id = p_showtime_id AND b.seat_id = ANY (p_seat_ids);
      IF v_booked_by_others IS NOT NULL OR v_conflicts IS NOT NULL THEN
        RETURN json_build_object('conflicts', (
          SELECT jsonb_agg(c.value ORDER BY (c.value->>0)::integer)
            FROM jsonb_array_elements(coalesce(v_booked_by_others, '[]'::jsonb) || coalesce(v_conflicts, '[]'::jsonb)) AS c));
      END IF;
      v_mine := coalesce(v_mine, '[]'::jsonb);
      IF cardinality(v_to_book) = 0 THEN
        RETURN json_build_object('created', '[]'::jsonb, 'mine', v_mine, 'events', '[]'::jsonb);
      END IF;

      IF v_adding > 0 THEN
        SELECT (SELECT count(*) FROM show_seats
                 WHERE showtime_id = p_showtime_id AND locked_by_id = p_user_id AND status = 'held' AND locked_until > now())
             + (SELECT count(*) FROM bookings WHERE showtime_id = p_showtime_id AND user_id = p_user_id)
          INTO v_count;
        IF v_count + v_adding > p_max_seats THEN RETURN json_build_object('error', 'seat_limit'); END IF;
      END IF;

      -- The price is read under the row lock and written with the Booking: a later price change never alters it.
      WITH booking AS (
        INSERT INTO bookings (showtime_id, seat_id, user_id, price_amount, currency, reference)
        SELECT p_showtime_id, s.id, p_user_id,
               CASE WHEN s.kind = 'premium' THEN v_show.premium_price_amount ELSE v_show.price_amount END,
               v_show.currency, p_reference
          FROM seats s WHERE s.id = ANY (v_to_book)
        RETURNING id, seat_id, price_amount, trim(currency) AS currency, reference
      ), show_seat AS (
        UPDATE show_seats ss
           SET status = 'booked', locked_by_id = NULL, locked_until = NULL, booked_at = now()
          FROM booking
         WHERE ss.showtime_id = p_showtime_id AND ss.seat_id = booking.seat_id
        RETURNING ss.seat_id, ss.version
      )
      SELECT jsonb_agg(jsonb_build_array(booking.id, booking.seat_id, booking.price_amount, booking.currency, booking.reference) ORDER BY booking.seat_id),
             jsonb_agg(jsonb_build_array(booking.seat_id, 'booked', NULL, show_seat.version, NULL) ORDER BY booking.seat_id)
        INTO v_created, v_events
        FROM booking JOIN show_seat USING (seat_id);
      v_released := booking_release_expired(p_showtime_id, 100);
      RETURN json_build_object('created', v_created, 'mine', v_mine, 'events', v_events || v_released);
    END $$`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP FUNCTION booking_book_seats(integer, integer, integer[], text, integer)`.execute(db);
  await sql`DROP FUNCTION booking_hold_seats(integer, integer, integer[], integer, integer)`.execute(db);
  await sql`DROP FUNCTION booking_release_expired(integer, integer)`.execute(db);
  await sql`DROP TRIGGER show_seats_announce ON show_seats`.execute(db);
  await sql`DROP FUNCTION show_seats_announce()`.execute(db);
  await sql`DROP INDEX bookings_showtime_id_user_id_idx`.execute(db);
  await sql`DROP INDEX show_seats_held_show_until_idx`.execute(db);
  await sql`DROP INDEX show_seats_held_by_idx`.execute(db);
  await sql`DROP TRIGGER show_seats_bump_version ON show_seats`.execute(db);
  await sql`DROP FUNCTION show_seats_bump_version()`.execute(db);
  await sql`ALTER TABLE show_seats DROP COLUMN version`.execute(db);
}
