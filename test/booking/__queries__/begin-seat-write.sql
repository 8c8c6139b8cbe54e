SELECT set_config('lock_timeout', '3s', true), pg_advisory_xact_lock($1::int, $2::int)
-- parameters: [7,42]
