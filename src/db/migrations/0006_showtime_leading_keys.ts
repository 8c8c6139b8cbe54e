import { sql, type Kysely } from 'kysely';

/**
 * Issue 11, a schema ready to shard by showtime (docs/scale-out.md): every
 * table a seat transaction writes (show_seats, bookings) has keys that lead
 * with showtime_id, so that Citus can distribute both by showtime, colocated,
 * with each seat transaction on one shard. Their unique constraints already
 * did (`(showtime_id, seat_id)`, the design's); the primary keys become
 * `(showtime_id, id)`. `id` stays an identity column, unique by its sequence,
 * and show_seats keeps an index on it alone for the seat functions, which
 * update the rows they locked by id.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`CREATE INDEX show_seats_id_idx ON show_seats (id)`.execute(db);
  await sql`ALTER TABLE show_seats DROP CONSTRAINT show_seats_pkey, ADD CONSTRAINT show_seats_pkey PRIMARY KEY (showtime_id, id)`.execute(db);
  await sql`ALTER TABLE bookings DROP CONSTRAINT bookings_pkey, ADD CONSTRAINT bookings_pkey PRIMARY KEY (showtime_id, id)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE bookings DROP CONSTRAINT bookings_pkey, ADD CONSTRAINT bookings_pkey PRIMARY KEY (id)`.execute(db);
  await sql`ALTER TABLE show_seats DROP CONSTRAINT show_seats_pkey, ADD CONSTRAINT show_seats_pkey PRIMARY KEY (id)`.execute(db);
  await sql`DROP INDEX show_seats_id_idx`.execute(db);
}
