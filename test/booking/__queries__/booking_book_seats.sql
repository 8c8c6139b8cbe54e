CREATE OR REPLACE FUNCTION public.booking_book_seats(p_showtime_id integer, p_user_id integer, p_seat_ids integer[], p_reference text, p_max_seats integer)
 RETURNS json
 LANGUAGE plpgsql
 SET lock_timeout TO '3s'
AS $function$
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
    END $function$
