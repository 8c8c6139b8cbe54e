CREATE OR REPLACE FUNCTION public.booking_hold_seats(p_showtime_id integer, p_user_id integer, p_seat_ids integer[], p_ttl_seconds integer, p_max_seats integer)
 RETURNS json
 LANGUAGE plpgsql
 SET lock_timeout TO '3s'
AS $function$
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
    END $function$
