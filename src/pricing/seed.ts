import { sql } from 'kysely';
import type { Database } from '../db/database.ts';

/** The demo cinema's ticket types besides Adult (which every database has): what a cinema typically sells. */
const demoTypes = [
  { code: 'CHILD', name: 'Child (under 12)', max_film_min_age: 12 },
  { code: 'SENIOR', name: 'Senior (65 and over)' },
  { code: 'STUDENT', name: 'Student' },
  { code: 'COMP', name: 'Complimentary', staff_only: true, sold_online: false },
];

/** The demo venue's default card, in minor units: [standard and wheelchair, premium]. Adult is the showtime's own price. */
const demoCard: Record<string, [number, number]> = { CHILD: [850, 1150], SENIOR: [950, 1250], STUDENT: [1000, 1300], COMP: [0, 0] };

/** The demo's promo code: 10 % off an order, what a newcomer types at checkout. */
export const DEMO_VOUCHER = { code: 'WELCOME10', description: 'Welcome: 10 % off your order', per: 'order', kind: 'percent', value: 1000 } as const;

/**
 * Adds the demo ticket types that are missing (a type staff already have, by
 * code, is left as it is), a default price card "Standard" to every venue
 * that has no card yet, in the venue's currency, with a booking fee of 0.75
 * per ticket and 7 % tax included in the prices (on the fee too), and the
 * demo voucher WELCOME10.
 */
export async function seedDemoPricing(db: Database): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await trx.insertInto('ticket_types').values(demoTypes).onConflict((oc) => oc.column('code').doNothing()).execute();
    const venues = await trx
      .selectFrom('venues')
      .select(['id', sql<string>`trim(currency)`.as('currency')])
      .where((eb) => eb.not(eb.exists(eb.selectFrom('price_cards').select('id').whereRef('price_cards.venue_id', '=', 'venues.id'))))
      .execute();
    const types = await trx.selectFrom('ticket_types').select(['id', 'code']).where('code', 'in', Object.keys(demoCard)).execute();
    for (const venue of venues) {
      const card = await trx
        .insertInto('price_cards')
        .values({ venue_id: venue.id, name: 'Standard', currency: venue.currency, is_default: true })
        .returning('id')
        .executeTakeFirstOrThrow();
      await trx
        .insertInto('price_card_prices')
        .values(
          types.flatMap((type) => {
            const [standard, premium] = demoCard[type.code]!;
            return (['standard', 'wheelchair', 'premium'] as const).map((kind) => ({
              price_card_id: card.id,
              ticket_type_id: type.id,
              seat_kind: kind,
              amount: kind === 'premium' ? premium : standard,
            }));
          }),
        )
        .execute();
      await trx
        .insertInto('venue_pricing')
        .values({ venue_id: venue.id, fee_per: 'ticket', fee_kind: 'fixed', fee_value: 75, tax_basis_points: 700, tax_mode: 'inclusive', tax_on_fee: true })
        .onConflict((oc) => oc.column('venue_id').doNothing())
        .execute();
    }
    await trx.insertInto('vouchers').values(DEMO_VOUCHER).onConflict((oc) => oc.column('code').doNothing()).execute();
  });
}
