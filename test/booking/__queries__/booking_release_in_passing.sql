CREATE OR REPLACE FUNCTION public.booking_release_in_passing(p_showtime_ids integer[])
 RETURNS jsonb
 LANGUAGE plpgsql
 SET plan_cache_mode TO 'force_generic_plan'
AS $function$
    DECLARE
      v_show_id integer;
      v_events jsonb;
      v_released jsonb := '[]'::jsonb;
    BEGIN
      -- Expired holds of the shows written to, released in passing: [[showtime_id, events], …].
      FOR v_show_id IN SELECT DISTINCT s FROM unnest(p_showtime_ids) AS s ORDER BY 1 LOOP
        v_events := booking_release_expired(v_show_id, 100);
        IF jsonb_array_length(v_events) > 0 THEN
          v_released := v_released || jsonb_build_array(jsonb_build_array(v_show_id, v_events));
        END IF;
      END LOOP;
      RETURN v_released;
    END $function$
