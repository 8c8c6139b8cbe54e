CREATE OR REPLACE FUNCTION public.booking_release_expired(p_showtime_id integer, p_limit integer)
 RETURNS jsonb
 LANGUAGE plpgsql
 SET plan_cache_mode TO 'force_generic_plan'
AS $function$
    DECLARE
      v_released jsonb;
    BEGIN
      -- Most calls find nothing: look before writing (a statement that updates no row still fires triggers).
      IF NOT EXISTS (SELECT FROM show_seats WHERE showtime_id = p_showtime_id AND status = 'held' AND locked_until <= now()) THEN
        RETURN '[]'::jsonb;
      END IF;
      WITH released AS (
        UPDATE show_seats
           SET status = 'available', locked_by_id = NULL, locked_until = NULL, version = version + 1
         WHERE id IN (SELECT id FROM show_seats
                       WHERE showtime_id = p_showtime_id AND status = 'held' AND locked_until <= now()
                       LIMIT p_limit
                       FOR UPDATE SKIP LOCKED)
        RETURNING seat_id, version)
      SELECT coalesce(jsonb_agg(jsonb_build_array(seat_id, 'available', NULL, version, NULL) ORDER BY seat_id), '[]'::jsonb)
        INTO v_released FROM released;
      RETURN v_released;
    END $function$
