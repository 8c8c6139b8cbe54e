import { sql, type Kysely } from 'kysely';

/**
 * Issue 12, pricing: a venue's booking fee and tax (src/pricing/README.md).
 * No row: no fee and no tax, as before. Amounts in minor units of the venue's
 * currency; percentages and the tax rate in basis points (1,900 = 19 %).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE venue_pricing (
      venue_id integer PRIMARY KEY REFERENCES venues (id) ON DELETE CASCADE,
      fee_per text CONSTRAINT venue_pricing_fee_per_known CHECK (fee_per IN ('ticket', 'order')),
      fee_kind text CONSTRAINT venue_pricing_fee_kind_known CHECK (fee_kind IN ('fixed', 'percent')),
      fee_value integer CONSTRAINT venue_pricing_fee_value_range CHECK (fee_value BETWEEN 0 AND 100000000),
      tax_basis_points integer NOT NULL DEFAULT 0 CONSTRAINT venue_pricing_tax_range CHECK (tax_basis_points BETWEEN 0 AND 10000),
      tax_mode text NOT NULL DEFAULT 'inclusive' CONSTRAINT venue_pricing_tax_mode_known CHECK (tax_mode IN ('inclusive', 'exclusive')),
      tax_on_fee boolean NOT NULL DEFAULT true,
      CONSTRAINT venue_pricing_fee_whole CHECK ((fee_per IS NULL) = (fee_kind IS NULL) AND (fee_kind IS NULL) = (fee_value IS NULL)),
      CONSTRAINT venue_pricing_fee_percent_range CHECK (fee_kind IS DISTINCT FROM 'percent' OR fee_value <= 10000)
    )`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE venue_pricing`.execute(db);
}
