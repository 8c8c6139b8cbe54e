import { sql, type Kysely } from 'kysely';

/**
 * Issue 12, pricing: vouchers and promo codes (src/pricing/README.md). A
 * percentage or a fixed amount, per ticket or per order, redeemable between
 * two instants, optionally only for one venue, some showtimes, some movies,
 * some ticket types or some seat kinds, at most `max_uses` times. `uses` is
 * counted by the checkout in the transaction that starts an order, with a
 * conditional update (`uses < max_uses`), so it never passes the limit, and
 * given back when the order ends unpaid (src/orders/README.md).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE vouchers (
      id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      code text NOT NULL CONSTRAINT vouchers_code_format CHECK (code ~ '^[A-Z0-9][A-Z0-9_-]{2,31}$'),
      description text NOT NULL DEFAULT '' CONSTRAINT vouchers_description_length CHECK (char_length(description) <= 200),
      per text NOT NULL CONSTRAINT vouchers_per_known CHECK (per IN ('ticket', 'order')),
      kind text NOT NULL CONSTRAINT vouchers_kind_known CHECK (kind IN ('fixed', 'percent')),
      value integer NOT NULL CONSTRAINT vouchers_value_range CHECK (value BETWEEN 0 AND 100000000 AND (kind = 'fixed' OR value <= 10000)),
      currency char(3) CONSTRAINT vouchers_currency_iso CHECK (currency ~ '^[A-Z]{3}$'),
      venue_id integer REFERENCES venues (id) ON DELETE CASCADE,
      valid_from timestamptz,
      valid_until timestamptz,
      showtime_ids integer[],
      movie_ids integer[],
      ticket_types text[],
      seat_kinds text[],
      max_uses integer CONSTRAINT vouchers_max_uses_positive CHECK (max_uses >= 1),
      uses integer NOT NULL DEFAULT 0 CONSTRAINT vouchers_uses_within_max CHECK (uses >= 0 AND (max_uses IS NULL OR uses <= max_uses)),
      active boolean NOT NULL DEFAULT true,
      created_at timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT vouchers_code_key UNIQUE (code),
      CONSTRAINT vouchers_fixed_has_currency CHECK ((kind = 'fixed') = (currency IS NOT NULL)),
      CONSTRAINT vouchers_valid_range CHECK (valid_from IS NULL OR valid_until IS NULL OR valid_from < valid_until)
    )`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE vouchers`.execute(db);
}
