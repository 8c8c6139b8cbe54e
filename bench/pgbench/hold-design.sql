-- For reference: the design's hold as a multi-statement transaction, five
-- round trips (BEGIN; lock the ShowSeat row; read the showtime; mark it held;
-- COMMIT). No per-user lock and no seat limit, so it does less than the
-- service's booking_hold_seats. A fresh seat as in hold.sql.
\set i mod(:client_id + :clients * :n, :capacity)
\set n :n + 1
\set show :first_show + :i / :seats_per_show
\set seat :first_seat + mod(:i, :seats_per_show)
\set user :first_user + mod(:client_id, :users)
BEGIN;
SELECT id, status, locked_by_id, locked_until FROM show_seats WHERE showtime_id = :show AND seat_id = :seat FOR UPDATE;
SELECT status, starts_at <= now() AS started FROM showtimes WHERE id = :show;
UPDATE show_seats SET status = 'held', locked_by_id = :user, locked_until = now() + make_interval(secs => :ttl)
 WHERE showtime_id = :show AND seat_id = :seat AND status = 'available';
COMMIT;
