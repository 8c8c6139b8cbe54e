-- Boxoffice's own hold transaction, one round trip: the statement of
-- holdSeatsBatch (src/booking/booking.queries.ts) with the parameters the
-- service sends for one request alone (bench/sql-drift.ts checks the text is
-- the same; only each array is ARRAY[:x], since a pgbench variable is a
-- number). Under load the service puts several requests in one call (group
-- commit); pgbench's clients each send their own.
--
-- A seat nobody has touched: client c's n-th transaction takes seat index
-- c + clients × n of the run's showtimes (so clients never collide), as the
-- client's own bench user. Every script of this folder that writes fresh
-- seats starts with these lines.
\set i mod(:client_id + :clients * :n, :capacity)
\set n :n + 1
\set show :first_show + :i / :seats_per_show
\set seat :first_seat + mod(:i, :seats_per_show)
\set user :first_user + mod(:client_id, :users)
\set one 1
SELECT booking_hold_batch(ARRAY[:show]::int[], ARRAY[:user]::int[], ARRAY[:one]::int[], ARRAY[:seat]::int[], :ttl::int, :max_seats::int) AS r;
