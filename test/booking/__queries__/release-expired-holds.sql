UPDATE show_seats SET status = 'available', locked_by_id = NULL, locked_until = NULL WHERE id IN ( SELECT id FROM show_seats WHERE status = 'held' AND locked_until <= now() AND showtime_id = $1 LIMIT $2 FOR UPDATE SKIP LOCKED) RETURNING showtime_id, seat_id, version
-- parameters: [7,100]
