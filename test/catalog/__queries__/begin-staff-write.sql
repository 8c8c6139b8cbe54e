SELECT set_config('lock_timeout', '3s', true), pg_advisory_xact_lock($1::bigint)
-- parameters: [185359527]
