CREATE OR REPLACE FUNCTION public.booking_lock_requests(p_showtime_ids integer[], p_user_ids integer[], p_requests integer[], p_lock_shows integer[], p_lock_seats integer[])
 RETURNS void
 LANGUAGE plpgsql
 SET plan_cache_mode TO 'force_generic_plan'
AS $function$
    DECLARE
      r record;
    BEGIN
      -- The seat functions publish their own changes after commit (src/booking/README.md, "Seat events").
      PERFORM set_config('boxoffice.announce', 'off', true);
      -- The design's locks for the requests p_requests, each kind in one global order so that batches never
      -- deadlock: the per-(show, user) locks, then the ShowSeat rows FOR UPDATE by show and ascending seat id.
      FOR r IN SELECT DISTINCT p_showtime_ids[g] AS show_id, p_user_ids[g] AS user_id FROM unnest(p_requests) AS g ORDER BY 1, 2 LOOP
        PERFORM pg_advisory_xact_lock(r.show_id, r.user_id);
      END LOOP;
      PERFORM FROM show_seats ss
        JOIN unnest(p_lock_shows, p_lock_seats) AS w(showtime_id, seat_id) ON ss.showtime_id = w.showtime_id AND ss.seat_id = w.seat_id
       ORDER BY ss.showtime_id, ss.seat_id
         FOR UPDATE OF ss;
    END $function$
