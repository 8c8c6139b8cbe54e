-- Boxoffice's own hold transaction, one round trip: the statement of
-- holdSeatsAtomically (src/booking/booking.queries.ts) with the parameters
-- the service sends (bench/sql-drift.ts checks the text is the same; only the
-- seat list is ARRAY[:seat], since a pgbench variable is a number).
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
SELECT booking_hold_seats(:show::int, :user::int, ARRAY[:seat]::int[], :ttl::int, :max_seats::int) AS r;
