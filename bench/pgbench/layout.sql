-- The hall layout as PostgreSQL alone would answer it: the two statements of
-- findShowHeader and selectLayoutSeats (src/booking/booking.queries.ts), as
-- Kysely compiles them (bench/sql-drift.ts checks the text is the same).
select "st"."id" as "show_id", "h"."name" as "hall_name", "v"."name" as "venue_name", "m"."title" as "movie_title", "st"."starts_at", trim(st.currency) as "currency", "st"."price_amount", "st"."premium_price_amount", "st"."status" from "showtimes" as "st" inner join "halls" as "h" on "h"."id" = "st"."hall_id" inner join "venues" as "v" on "v"."id" = "h"."venue_id" inner join "movies" as "m" on "m"."id" = "st"."movie_id" where "st"."id" = :show;
select "s"."id", "s"."row", "s"."number", "ss"."status", "ss"."locked_by_id", "ss"."locked_until", "ss"."version", s.kind as "kind", "s"."x", "s"."y" from "show_seats" as "ss" inner join "seats" as "s" on "s"."id" = "ss"."seat_id" where "ss"."showtime_id" = :show order by "s"."row", "s"."number";
