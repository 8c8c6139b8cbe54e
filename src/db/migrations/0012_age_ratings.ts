import { sql, type Kysely } from 'kysely';

/**
 * Issue 12, pricing: age ratings. A movie may carry its rating as the
 * operator's country labels it ("PG", "12A", "15", "FSK 16") and the minimum
 * age it stands for, both or neither. A ticket type may be refused for films
 * whose minimum age is above a limit (Child: not above 12): price tables,
 * ranges and quotes leave it out for those films (src/pricing/README.md).
 * A movie without a rating restricts no ticket type.
 *
 * 0012, not 0011: 0011 is the orders migration, built in parallel.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE movies
      ADD COLUMN rating_label text
        CONSTRAINT movies_rating_label_format CHECK (rating_label ~ '^[A-Za-z0-9]([A-Za-z0-9 +./-]{0,14}[A-Za-z0-9+])?$'),
      ADD COLUMN rating_min_age integer
        CONSTRAINT movies_rating_min_age_range CHECK (rating_min_age BETWEEN 0 AND 21),
      ADD CONSTRAINT movies_rating_complete CHECK ((rating_label IS NULL) = (rating_min_age IS NULL))`.execute(db);
  await sql`
    ALTER TABLE ticket_types
      ADD COLUMN max_film_min_age integer
        CONSTRAINT ticket_types_max_film_min_age_range CHECK (max_film_min_age BETWEEN 0 AND 21)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE ticket_types DROP COLUMN max_film_min_age`.execute(db);
  await sql`ALTER TABLE movies DROP CONSTRAINT movies_rating_complete, DROP COLUMN rating_min_age, DROP COLUMN rating_label`.execute(db);
}
