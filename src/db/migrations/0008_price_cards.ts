import { sql, type Kysely } from 'kysely';

/**
 * Issue 12, pricing: price cards (src/pricing/README.md). A card prices
 * ticket types by seat kind, in its venue's currency. It is the default of a
 * venue, or of one of its halls, or is attached to single showtimes (e.g.
 * "Matinee", "Tuesday"). The Adult prices stay the showtime's own price and
 * premium_price, so the design's direct booking keeps its price.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE price_cards (
      id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      venue_id integer NOT NULL REFERENCES venues (id) ON DELETE CASCADE,
      hall_id integer REFERENCES halls (id) ON DELETE CASCADE,
      name text NOT NULL CONSTRAINT price_cards_name_length CHECK (char_length(name) BETWEEN 1 AND 60),
      currency char(3) NOT NULL CONSTRAINT price_cards_currency_iso CHECK (currency ~ '^[A-Z]{3}$'),
      is_default boolean NOT NULL DEFAULT false,
      created_at timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT price_cards_venue_name_key UNIQUE (venue_id, name)
    )`.execute(db);
  // One default per venue (hall_id NULL) and one per hall.
  await sql`CREATE UNIQUE INDEX price_cards_one_default ON price_cards (venue_id, coalesce(hall_id, 0)) WHERE is_default`.execute(db);
  await sql`
    CREATE TABLE price_card_prices (
      price_card_id integer NOT NULL REFERENCES price_cards (id) ON DELETE CASCADE,
      ticket_type_id integer NOT NULL REFERENCES ticket_types (id),
      seat_kind text NOT NULL CONSTRAINT price_card_prices_kind_known CHECK (seat_kind IN ('standard', 'premium', 'wheelchair')),
      amount integer NOT NULL CONSTRAINT price_card_prices_amount_range CHECK (amount BETWEEN 0 AND 100000000),
      PRIMARY KEY (price_card_id, ticket_type_id, seat_kind)
    )`.execute(db);
  await sql`
    CREATE TABLE showtime_price_cards (
      showtime_id integer PRIMARY KEY REFERENCES showtimes (id) ON DELETE CASCADE,
      price_card_id integer NOT NULL REFERENCES price_cards (id)
    )`.execute(db);
  await sql`CREATE INDEX showtime_price_cards_card_idx ON showtime_price_cards (price_card_id)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE showtime_price_cards, price_card_prices, price_cards`.execute(db);
}
