select "ss"."id", "ss"."seat_id", "ss"."status", "ss"."locked_by_id", "ss"."locked_until", (ss.status = 'held' AND ss.locked_until <= now()) as "hold_expired", "s"."kind" from "show_seats" as "ss" inner join "seats" as "s" on "s"."id" = "ss"."seat_id" where "ss"."showtime_id" = $1 and "ss"."seat_id" in ($2, $3) order by "ss"."seat_id" for update of "ss"
-- parameters: [7,3,5]
