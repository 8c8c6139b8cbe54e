-- Boxoffice's own booking transaction, one round trip: the statement of
-- bookSeatsBatch (src/booking/booking.queries.ts) with the parameters
-- the service sends for one request alone; the reference is 40 random bits, as the service's
-- newBookingReference, written as a number. A fresh seat as in hold.sql.
\set i mod(:client_id + :clients * :n, :capacity)
\set n :n + 1
\set show :first_show + :i / :seats_per_show
\set seat :first_seat + mod(:i, :seats_per_show)
\set user :first_user + mod(:client_id, :users)
\set reference random(0, 1099511627775)
\set one 1
SELECT booking_book_batch(ARRAY[:show]::int[], ARRAY[:user]::int[], ARRAY[:one]::int[], ARRAY[:seat]::int[], ARRAY[:reference]::text[], :max_seats::int) AS r;
