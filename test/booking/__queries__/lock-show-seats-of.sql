select "id" from "show_seats" where "showtime_id" in ($1, $2) order by "showtime_id", "seat_id" for update
-- parameters: [7,9]
