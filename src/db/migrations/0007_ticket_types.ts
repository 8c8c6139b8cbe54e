import { sql, type Kysely } from 'kysely';

/**
 * Issue 12, pricing: ticket types, managed by staff (src/pricing/README.md).
 * Who a ticket is for (Adult, Child, Senior, Student, Member, Complimentary)
 * and where and how it may be sold. Adult exists from the start: today's
 * showtime prices are the Adult prices.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE ticket_types (
      id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      code text NOT NULL CONSTRAINT ticket_types_code_format CHECK (code ~ '^[A-Z][A-Z0-9_]{1,19}$'),
      name text NOT NULL CONSTRAINT ticket_types_name_length CHECK (char_length(name) BETWEEN 1 AND 60),
      sold_online boolean NOT NULL DEFAULT true,
      sold_at_box_office boolean NOT NULL DEFAULT true,
      min_per_order integer CONSTRAINT ticket_types_min_positive CHECK (min_per_order >= 1),
      max_per_order integer CONSTRAINT ticket_types_max_positive CHECK (max_per_order >= 1),
      staff_only boolean NOT NULL DEFAULT false,
      active boolean NOT NULL DEFAULT true,
      created_at timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT ticket_types_code_key UNIQUE (code),
      CONSTRAINT ticket_types_min_not_above_max CHECK (min_per_order <= max_per_order),
      CONSTRAINT ticket_types_sold_somewhere CHECK (sold_online OR sold_at_box_office)
    )`.execute(db);
  await sql`INSERT INTO ticket_types (code, name) VALUES ('ADULT', 'Adult')`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE ticket_types`.execute(db);
}
