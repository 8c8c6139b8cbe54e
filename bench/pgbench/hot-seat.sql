-- Everybody on one seat at a time, through Boxoffice's own hold (hold.sql):
-- each client's n-th transaction asks for seat index n, as its own user, so
-- every seat gets one request from each client and one wins. Clients stay
-- together by themselves: the one that wins a seat is slowed by its commit
-- while the others, answered "held" from a snapshot, move on.
\set i mod(:n, :capacity)
\set n :n + 1
\set show :first_show + :i / :seats_per_show
\set seat :first_seat + mod(:i, :seats_per_show)
\set user :first_user + mod(:client_id, :users)
\set one 1
SELECT booking_hold_batch(ARRAY[:show]::int[], ARRAY[:user]::int[], ARRAY[:one]::int[], ARRAY[:seat]::int[], :ttl::int, :max_seats::int) AS r;
