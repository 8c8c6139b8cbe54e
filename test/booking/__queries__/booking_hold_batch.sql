CREATE OR REPLACE FUNCTION public.booking_hold_batch(p_showtime_ids integer[], p_user_ids integer[], p_seat_counts integer[], p_seat_ids integer[], p_ttl_seconds integer, p_max_seats integer)
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
      v_to_hold integer[];
      v_count integer;
      v_held jsonb;
      i integer;
      r record;
    BEGIN
      -- Without a lock: the answers a snapshot can give for good.
      FOR i IN 1 .. cardinality(p_showtime_ids) LOOP
        v_first := v_first || v_next;
        v_seats := p_seat_ids[v_next : v_next + p_seat_counts[i] - 1];
        v_next := v_next + p_seat_counts[i];
        SELECT st.status, st.starts_at <= now() AS started, count(ss.id) AS found,
               jsonb_agg(jsonb_build_array(ss.seat_id, CASE WHEN ss.status = 'booked' THEN 'booked' ELSE 'held' END) ORDER BY ss.seat_id)
                 FILTER (WHERE ss.status = 'booked' OR (ss.status = 'held' AND ss.locked_until > now() AND ss.locked_by_id <> p_user_ids[i])) AS conflicts
          INTO v_show
          FROM showtimes st
          LEFT JOIN show_seats ss ON ss.showtime_id = st.id AND ss.seat_id = ANY (v_seats)
         WHERE st.id = p_showtime_ids[i]
         GROUP BY st.id;
        IF NOT FOUND THEN v_answers[i] := json_build_object('error', 'show_not_found'); CONTINUE; END IF;
        v_conflicts := v_show.conflicts;
        IF v_show.found < cardinality(v_seats) THEN v_answers[i] := json_build_object('error', 'seat_not_found'); CONTINUE; END IF;
        IF v_show.status = 'cancelled' THEN v_answers[i] := json_build_object('error', 'cancelled'); CONTINUE; END IF;
        IF v_show.started THEN v_answers[i] := json_build_object('error', 'sales_closed'); CONTINUE; END IF;
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
        v_mine := '[]'::jsonb;
        v_to_hold := '{}';
        v_count := 0;
        -- Locked above, so this new statement reads their latest committed state.
        FOR r IN
          SELECT ss.id, ss.seat_id, ss.status, ss.locked_by_id, ss.locked_until,
                 (ss.status = 'held' AND ss.locked_until > now()) AS live,
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
            v_conflicts := coalesce(v_conflicts, '[]'::jsonb) || jsonb_build_array(jsonb_build_array(r.seat_id, 'booked'));
          ELSIF r.live AND r.locked_by_id <> v_user_id THEN
            v_conflicts := coalesce(v_conflicts, '[]'::jsonb) || jsonb_build_array(jsonb_build_array(r.seat_id, 'held'));
          ELSIF r.live THEN
            -- Re-holding one's own seat does not extend it: no keeping a seat off sale by re-holding.
            v_mine := v_mine || jsonb_build_array(jsonb_build_array(r.seat_id, to_char(r.locked_until AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')));
          ELSE
            v_to_hold := v_to_hold || r.id;
          END IF;
        END LOOP;
        -- Read after every lock was granted: sees a cancel or a start committed while we waited for them.
        IF v_state_of IS DISTINCT FROM v_show_id THEN
          SELECT status, starts_at <= now() AS started INTO v_state FROM showtimes WHERE id = v_show_id;
          v_state_of := v_show_id;
        END IF;
        v_show := v_state;
        IF v_show IS NULL THEN v_answers[i] := json_build_object('error', 'show_not_found'); CONTINUE; END IF;
        IF v_show.status = 'cancelled' THEN v_answers[i] := json_build_object('error', 'cancelled'); CONTINUE; END IF;
        IF v_show.started THEN v_answers[i] := json_build_object('error', 'sales_closed'); CONTINUE; END IF;
        IF v_conflicts IS NOT NULL THEN v_answers[i] := json_build_object('conflicts', v_conflicts); CONTINUE; END IF;

        v_held := NULL;
        IF cardinality(v_to_hold) > 0 THEN
          IF v_count + cardinality(v_to_hold) > p_max_seats THEN v_answers[i] := json_build_object('error', 'seat_limit'); CONTINUE; END IF;
          WITH held AS (
            UPDATE show_seats
               SET status = 'held', locked_by_id = v_user_id, booked_at = NULL, version = version + 1,
                   locked_until = date_trunc('milliseconds', now() + make_interval(secs => p_ttl_seconds))
             WHERE id = ANY (v_to_hold)
            RETURNING seat_id, locked_until, version)
          SELECT jsonb_agg(jsonb_build_array(seat_id, 'held', to_char(locked_until AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), version, v_user_id) ORDER BY seat_id)
            INTO v_held FROM held;
          v_written_shows := v_written_shows || v_show_id;
        END IF;
        v_answers[i] := json_build_object('mine', v_mine, 'events', coalesce(v_held, '[]'::jsonb));
      END LOOP;

      RETURN json_build_object('answers', v_answers, 'released', booking_release_in_passing(v_written_shows));
    END $function$
