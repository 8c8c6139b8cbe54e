CREATE OR REPLACE FUNCTION public.booking_book_batch(p_showtime_ids integer[], p_user_ids integer[], p_seat_counts integer[], p_seat_ids integer[], p_references text[], p_max_seats integer)
 RETURNS json
 LANGUAGE plpgsql
 SET lock_timeout TO '3s'
 SET plan_cache_mode TO 'force_generic_plan'
AS $function$
    DECLARE
      v_answers json[] := array_fill(NULL::json, ARRAY[cardinality(p_showtime_ids)]);
      v_first integer[] := '{}';
      v_go integer[] := '{}';
      v_lock_shows integer[] := '{}';
      v_lock_seats integer[] := '{}';
      v_written_shows integer[] := '{}';
      v_next integer := 1;
      v_show_id integer;
      v_user_id integer;
      v_seats integer[];
      v_show record;
      v_state record;
      v_state_of integer;
      v_conflicts jsonb;
      v_mine jsonb;
      v_to_book integer[];
      v_adding integer;
      v_count integer;
      v_booked_by_others jsonb;
      v_created jsonb;
      v_events jsonb;
      i integer;
      r record;
    BEGIN
      FOR i IN 1 .. cardinality(p_showtime_ids) LOOP
        v_first := v_first || v_next;
        v_seats := p_seat_ids[v_next : v_next + p_seat_counts[i] - 1];
        v_next := v_next + p_seat_counts[i];
        -- A retry of a booking that went through answers with it, whatever happened to the show since.
        SELECT jsonb_agg(jsonb_build_array(id, seat_id, price_amount, trim(currency), reference) ORDER BY seat_id)
          INTO v_mine FROM bookings
         WHERE showtime_id = p_showtime_ids[i] AND seat_id = ANY (v_seats) AND user_id = p_user_ids[i];
        IF jsonb_array_length(v_mine) = cardinality(v_seats) THEN
          v_answers[i] := json_build_object('created', '[]'::jsonb, 'mine', v_mine, 'events', '[]'::jsonb);
          CONTINUE;
        END IF;
        -- Without a lock: the answers a snapshot can give for good.
        SELECT st.status, st.starts_at <= now() AS started, (SELECT v.payment_required FROM halls h JOIN venues v ON v.id = h.venue_id WHERE h.id = st.hall_id) AS payment_required, count(ss.id) AS found,
               jsonb_agg(jsonb_build_array(ss.seat_id, CASE WHEN ss.status = 'booked' THEN 'booked' ELSE 'held' END) ORDER BY ss.seat_id)
                 FILTER (WHERE (ss.status = 'booked' AND b.user_id <> p_user_ids[i])
                            OR (ss.status = 'held' AND ss.locked_until > now() AND ss.locked_by_id <> p_user_ids[i])) AS conflicts
          INTO v_show
          FROM showtimes st
          LEFT JOIN show_seats ss ON ss.showtime_id = st.id AND ss.seat_id = ANY (v_seats)
          LEFT JOIN bookings b ON b.showtime_id = ss.showtime_id AND b.seat_id = ss.seat_id
         WHERE st.id = p_showtime_ids[i]
         GROUP BY st.id;
        IF NOT FOUND THEN v_answers[i] := json_build_object('error', 'show_not_found'); CONTINUE; END IF;
        v_conflicts := v_show.conflicts;
        IF v_show.found < cardinality(v_seats) THEN v_answers[i] := json_build_object('error', 'seat_not_found'); CONTINUE; END IF;
        IF v_show.status = 'cancelled' THEN v_answers[i] := json_build_object('error', 'cancelled'); CONTINUE; END IF;
        IF v_show.started THEN v_answers[i] := json_build_object('error', 'sales_closed'); CONTINUE; END IF;
        IF v_show.payment_required THEN v_answers[i] := json_build_object('error', 'payment_required'); CONTINUE; END IF;
        IF v_conflicts IS NOT NULL THEN v_answers[i] := json_build_object('conflicts', v_conflicts); CONTINUE; END IF;
        v_go := v_go || i;
        v_lock_shows := v_lock_shows || array_fill(p_showtime_ids[i], ARRAY[cardinality(v_seats)]);
        v_lock_seats := v_lock_seats || v_seats;
      END LOOP;
      IF cardinality(v_go) = 0 THEN
        RETURN json_build_object('answers', v_answers, 'released', '[]'::jsonb);
      END IF;

      -- The design's locks for every request at once (booking_lock_requests).
      PERFORM booking_lock_requests(p_showtime_ids, p_user_ids, v_go, v_lock_shows, v_lock_seats);

      -- Each request in turn, as if alone: it sees what the requests before it wrote.
      FOREACH i IN ARRAY v_go LOOP
        v_show_id := p_showtime_ids[i];
        v_user_id := p_user_ids[i];
        v_seats := p_seat_ids[v_first[i] : v_first[i] + p_seat_counts[i] - 1];
        v_conflicts := NULL;
        v_to_book := '{}';
        v_adding := 0;
        v_count := 0;
        -- Locked above, so this new statement reads their latest committed state.
        FOR r IN
          SELECT ss.seat_id, ss.status, ss.locked_by_id, (ss.status = 'held' AND ss.locked_until > now()) AS live,
                 -- The caller's seats on this show now, for the seat limit (held live, or booked).
                 (SELECT count(*) FROM show_seats
                         WHERE showtime_id = v_show_id AND locked_by_id = v_user_id AND status = 'held' AND locked_until > now())
                   + (SELECT count(*) FROM bookings WHERE showtime_id = v_show_id AND user_id = v_user_id) AS user_seats
            FROM show_seats ss
           WHERE ss.showtime_id = v_show_id AND ss.seat_id = ANY (v_seats)
           ORDER BY ss.seat_id
        LOOP
          v_count := r.user_seats;
          IF r.status = 'booked' THEN
            -- Booked by someone else, or by the caller (answered with that booking below).
            CONTINUE;
          ELSIF r.live AND r.locked_by_id <> v_user_id THEN
            v_conflicts := coalesce(v_conflicts, '[]'::jsonb) || jsonb_build_array(jsonb_build_array(r.seat_id, 'held'));
          ELSE
            v_to_book := v_to_book || r.seat_id;
            -- A live hold of the caller's is already counted; an expired one or a free seat adds to the total.
            IF NOT r.live THEN v_adding := v_adding + 1; END IF;
          END IF;
        END LOOP;
        -- Read after every lock was granted: a cancel or a start committed while we waited for them; then the bookings now.
        IF v_state_of IS DISTINCT FROM v_show_id THEN
          SELECT st.status, st.starts_at <= now() AS started, trim(st.currency) AS currency, st.price_amount, st.premium_price_amount, (SELECT v.payment_required FROM halls h JOIN venues v ON v.id = h.venue_id WHERE h.id = st.hall_id) AS payment_required
            INTO v_state FROM showtimes st WHERE st.id = v_show_id;
          v_state_of := v_show_id;
        END IF;
        v_show := v_state;
        IF v_show IS NULL THEN v_answers[i] := json_build_object('error', 'show_not_found'); CONTINUE; END IF;
        IF v_show.status = 'cancelled' THEN v_answers[i] := json_build_object('error', 'cancelled'); CONTINUE; END IF;
        IF v_show.started THEN v_answers[i] := json_build_object('error', 'sales_closed'); CONTINUE; END IF;
        IF v_show.payment_required THEN v_answers[i] := json_build_object('error', 'payment_required'); CONTINUE; END IF;
        SELECT jsonb_agg(jsonb_build_array(b.seat_id, 'booked') ORDER BY b.seat_id) FILTER (WHERE b.user_id <> v_user_id),
               jsonb_agg(jsonb_build_array(b.id, b.seat_id, b.price_amount, trim(b.currency), b.reference) ORDER BY b.seat_id) FILTER (WHERE b.user_id = v_user_id)
          INTO v_booked_by_others, v_mine
          FROM bookings b WHERE b.showtime_id = v_show_id AND b.seat_id = ANY (v_seats);
        IF v_booked_by_others IS NOT NULL OR v_conflicts IS NOT NULL THEN
          v_answers[i] := json_build_object('conflicts', (
            SELECT jsonb_agg(c.value ORDER BY (c.value->>0)::integer)
              FROM jsonb_array_elements(coalesce(v_booked_by_others, '[]'::jsonb) || coalesce(v_conflicts, '[]'::jsonb)) AS c));
          CONTINUE;
        END IF;
        v_mine := coalesce(v_mine, '[]'::jsonb);
        IF cardinality(v_to_book) = 0 THEN
          v_answers[i] := json_build_object('created', '[]'::jsonb, 'mine', v_mine, 'events', '[]'::jsonb);
          CONTINUE;
        END IF;
        IF v_adding > 0 THEN
          IF v_count + v_adding > p_max_seats THEN v_answers[i] := json_build_object('error', 'seat_limit'); CONTINUE; END IF;
        END IF;

        -- The price is read under the row lock and written with the Booking: a later price change never alters it.
        WITH booking AS (
          INSERT INTO bookings (showtime_id, seat_id, user_id, price_amount, currency, reference)
          SELECT v_show_id, s.id, v_user_id,
                 CASE WHEN s.kind = 'premium' THEN v_show.premium_price_amount ELSE v_show.price_amount END,
                 v_show.currency, p_references[i]
            FROM seats s WHERE s.id = ANY (v_to_book)
          RETURNING id, seat_id, price_amount, trim(currency) AS currency, reference
        ), show_seat AS (
          UPDATE show_seats ss
             SET status = 'booked', locked_by_id = NULL, locked_until = NULL, booked_at = now(), version = ss.version + 1
            FROM booking
           WHERE ss.showtime_id = v_show_id AND ss.seat_id = booking.seat_id
          RETURNING ss.seat_id, ss.version
        )
        SELECT jsonb_agg(jsonb_build_array(booking.id, booking.seat_id, booking.price_amount, booking.currency, booking.reference) ORDER BY booking.seat_id),
               jsonb_agg(jsonb_build_array(booking.seat_id, 'booked', NULL, show_seat.version, NULL) ORDER BY booking.seat_id)
          INTO v_created, v_events
          FROM booking JOIN show_seat USING (seat_id);
        v_written_shows := v_written_shows || v_show_id;
        v_answers[i] := json_build_object('created', v_created, 'mine', v_mine, 'events', v_events);
      END LOOP;

      RETURN json_build_object('answers', v_answers, 'released', booking_release_in_passing(v_written_shows));
    END $function$
