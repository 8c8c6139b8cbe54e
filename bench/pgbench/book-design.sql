-- For reference: the design's booking as a multi-statement transaction, six
-- round trips (BEGIN; lock the ShowSeat row; read the showtime and its price;
-- insert the Booking; mark the seat booked; COMMIT). No per-user lock and no
-- seat limit, so it does less than the service's booking_book_seats. A fresh
-- seat as in hold.sql.
\set i mod(:client_id + :clients * :n, :capacity)
\set n :n + 1
\set show :first_show + :i / :seats_per_show
\set seat :first_seat + mod(:i, :seats_per_show)
\set user :first_user + mod(:client_id, :users)
\set reference random(0, 1099511627775)
BEGIN;
SELECT id, status, locked_by_id, locked_until FROM show_seats WHERE showtime_id = :show AND seat_id = :seat FOR UPDATE;
SELECT starts_at <= now() AS started, price_amount, trim(currency) AS currency FROM showtimes WHERE id = :show \gset
INSERT INTO bookings (showtime_id, seat_id, user_id, price_amount, currency, reference)
VALUES (:show, :seat, :user, :price_amount, :currency, :reference);
UPDATE show_seats SET status = 'booked', locked_by_id = NULL, locked_until = NULL, booked_at = now()
 WHERE showtime_id = :show AND seat_id = :seat;
COMMIT;
