select "id" from "showtimes" where "hall_id" = $1 order by "id" for no key update
-- parameters: [7]
