import { sql, type Kysely, type Transaction } from 'kysely';
import type { Insertable, Selectable, Updateable } from 'kysely';
import type { DB, VenuePricingTable, VouchersTable } from '../db/schema.ts';
import type { SeatKind, TicketType, TicketTypeBody, TicketTypePatch } from './pricing.schemas.ts';

type Db = Kysely<DB> | Transaction<DB>;

const columns = ['id', 'code', 'name', 'sold_online', 'sold_at_box_office', 'min_per_order', 'max_per_order', 'staff_only', 'active', 'max_film_min_age'] as const;

export function listTicketTypes(db: Db, only: { sellableOnline: boolean }): Promise<TicketType[]> {
  let query = db.selectFrom('ticket_types').select(columns).orderBy('id');
  if (only.sellableOnline) {
    query = query.where('active', '=', true).where('sold_online', '=', true).where('staff_only', '=', false);
  }
  return query.execute();
}

/** The row, locked for a change in this transaction. */
export function lockTicketType(trx: Transaction<DB>, id: number): Promise<TicketType | undefined> {
  return trx.selectFrom('ticket_types').select(columns).where('id', '=', id).forUpdate().executeTakeFirst();
}

export function insertTicketType(db: Db, body: TicketTypeBody): Promise<TicketType> {
  return db.insertInto('ticket_types').values(body).returning(columns).executeTakeFirstOrThrow();
}

export function updateTicketType(trx: Transaction<DB>, id: number, patch: TicketTypePatch): Promise<TicketType> {
  return trx.updateTable('ticket_types').set(patch).where('id', '=', id).returning(columns).executeTakeFirstOrThrow();
}

// ── price cards ─────────────────────────────────────────────────────────────

export type CardRow = { id: number; venue_id: number; hall_id: number | null; name: string; currency: string; is_default: boolean };
export type CardPriceRow = { price_card_id: number; ticket_type: string; ticket_type_name: string; seat_kind: SeatKind; amount: number };

const cardColumns = ['id', 'venue_id', 'hall_id', 'name', sql<string>`trim(currency)`.as('currency'), 'is_default'] as const;

/** The venue, locked: one card write per venue at a time (one default each), and no venue deleted under it. */
export function lockVenue(trx: Transaction<DB>, id: number): Promise<{ id: number; currency: string } | undefined> {
  return trx.selectFrom('venues').select(['id', sql<string>`trim(currency)`.as('currency')]).where('id', '=', id).forNoKeyUpdate().executeTakeFirst();
}

export function lockHall(trx: Transaction<DB>, id: number): Promise<{ id: number; venue_id: number } | undefined> {
  return trx.selectFrom('halls').select(['id', 'venue_id']).where('id', '=', id).forShare().executeTakeFirst();
}

export function lockCard(trx: Transaction<DB>, id: number): Promise<CardRow | undefined> {
  return trx.selectFrom('price_cards').select(cardColumns).where('id', '=', id).forUpdate().executeTakeFirst();
}

export function ticketTypesByCode(db: Db, codes: readonly string[]): Promise<{ id: number; code: string }[]> {
  return codes.length === 0 ? Promise.resolve([]) : db.selectFrom('ticket_types').select(['id', 'code']).where('code', 'in', codes).execute();
}

export function insertCard(trx: Transaction<DB>, card: Omit<CardRow, 'id'>): Promise<CardRow> {
  return trx.insertInto('price_cards').values(card).returning(cardColumns).executeTakeFirstOrThrow();
}

export function updateCard(trx: Transaction<DB>, id: number, change: { name?: string; is_default?: boolean }): Promise<CardRow> {
  return trx.updateTable('price_cards').set(change).where('id', '=', id).returning(cardColumns).executeTakeFirstOrThrow();
}

/** The venue's (or the hall's) default card stops being the default. */
export async function clearDefault(trx: Transaction<DB>, venueId: number, hallId: number | null): Promise<void> {
  await trx
    .updateTable('price_cards')
    .set({ is_default: false })
    .where('venue_id', '=', venueId)
    .where((eb) => (hallId === null ? eb('hall_id', 'is', null) : eb('hall_id', '=', hallId)))
    .where('is_default', '=', true)
    .execute();
}

export async function replacePrices(trx: Transaction<DB>, cardId: number, rows: readonly { ticket_type_id: number; seat_kind: SeatKind; amount: number }[]): Promise<void> {
  await trx.deleteFrom('price_card_prices').where('price_card_id', '=', cardId).execute();
  if (rows.length > 0) {
    await trx.insertInto('price_card_prices').values(rows.map((row) => ({ ...row, price_card_id: cardId }))).execute();
  }
}

export function deleteCard(trx: Transaction<DB>, id: number): Promise<unknown> {
  return trx.deleteFrom('price_cards').where('id', '=', id).execute();
}

export async function showtimesUsing(trx: Transaction<DB>, cardId: number): Promise<number> {
  const row = await trx.selectFrom('showtime_price_cards').select((eb) => eb.fn.countAll<number>().as('n')).where('price_card_id', '=', cardId).executeTakeFirstOrThrow();
  return Number(row.n);
}

export function listCards(db: Db, filter: { venueId: number } | { ids: readonly number[] }): Promise<CardRow[]> {
  const query = db.selectFrom('price_cards').select(cardColumns).orderBy('id');
  return ('venueId' in filter ? query.where('venue_id', '=', filter.venueId) : query.where('id', 'in', filter.ids.length === 0 ? [0] : filter.ids)).execute();
}

/** The prices of the cards, ticket types in id order (what staff see of a card; the public's prices are `onlinePrices`). */
export function pricesOf(db: Db, cardIds: readonly number[]): Promise<CardPriceRow[]> {
  return db
    .selectFrom('price_card_prices as p')
    .innerJoin('ticket_types as t', 't.id', 'p.ticket_type_id')
    .select(['p.price_card_id', 't.code as ticket_type', 't.name as ticket_type_name', 'p.seat_kind', 'p.amount'])
    .where('p.price_card_id', 'in', cardIds.length === 0 ? [0] : cardIds)
    .orderBy('t.id')
    .orderBy('p.seat_kind')
    .execute();
}

/**
 * Whether ticket type `t` may be sold online for showtime `show`: active, sold
 * online, not staff-only, and not limited to films below the showtime's
 * movie's minimum age (an unrated movie restricts no type).
 */
const onSaleOnlineFor = sql`
  t.active AND t.sold_online AND NOT t.staff_only
  AND (t.max_film_min_age IS NULL OR show.rating_min_age IS NULL OR show.rating_min_age <= t.max_film_min_age)`;

/** The same at the box office, where staff sell: types sold there, staff-only ones (complimentary) included. */
const onSaleAtBoxOfficeFor = sql`
  t.active AND t.sold_at_box_office
  AND (t.max_film_min_age IS NULL OR show.rating_min_age IS NULL OR show.rating_min_age <= t.max_film_min_age)`;

/** Where a ticket is sold: online (the web app, the public API) or at the box office (staff). */
export type SalesChannel = 'online' | 'box_office';

export type OnlinePriceRow = { showtime_id: number; currency: string; code: string; name: string; kind: SeatKind; amount: number };

/**
 * What the seats of each showtime cost online, by ticket type and seat kind
 * of its hall, in one statement for any number of showtimes (one price table,
 * one layout, a page of listings): Adult at the showtime's own price (premium
 * seats at its premium price), every other type at its card's price. The
 * card is the showtime's own, else its hall's default, else its venue's, and
 * applies only in the showtime's currency (a showtime priced apart). A type
 * the card does not price for a kind is not sold for it; a type not on sale
 * online for the film (`onSaleOnlineFor`) is left out. By showtime, Adult
 * first, then ticket type id, then seat kind.
 */
export async function onlinePrices(db: Db, showtimeIds: readonly number[], channel: SalesChannel = 'online'): Promise<OnlinePriceRow[]> {
  const onSale = channel === 'online' ? onSaleOnlineFor : onSaleAtBoxOfficeFor;
  if (showtimeIds.length === 0) {
    return [];
  }
  const { rows } = await sql<OnlinePriceRow>`
    WITH show AS (
      SELECT st.id, st.hall_id, trim(st.currency) AS currency, st.price_amount, st.premium_price_amount, m.rating_min_age,
             COALESCE(spc.price_card_id, (
               SELECT pc.id FROM price_cards pc
                WHERE pc.venue_id = h.venue_id AND pc.is_default AND (pc.hall_id = st.hall_id OR pc.hall_id IS NULL)
                ORDER BY pc.hall_id IS NULL
                LIMIT 1)) AS card_id
        FROM showtimes st
        JOIN halls h ON h.id = st.hall_id
        JOIN movies m ON m.id = st.movie_id
        LEFT JOIN showtime_price_cards spc ON spc.showtime_id = st.id
       WHERE st.id = ANY(${sql.val(showtimeIds)}::int[])
    ), hall_kinds AS (
      -- Once per hall, however many of its showtimes are on the page.
      SELECT s.hall_id, array_agg(DISTINCT s.kind) AS kinds
        FROM seats s
       WHERE s.hall_id IN (SELECT hall_id FROM show)
       GROUP BY s.hall_id
    )
    SELECT showtime_id, currency, code, name, kind, amount FROM (
      SELECT show.id AS showtime_id, show.currency, t.id AS type_id, t.code, t.name, k.kind,
             CASE WHEN k.kind = 'premium' THEN show.premium_price_amount ELSE show.price_amount END AS amount
        FROM show
        JOIN hall_kinds hk ON hk.hall_id = show.hall_id
       CROSS JOIN LATERAL unnest(hk.kinds) AS k(kind)
        JOIN ticket_types t ON t.code = 'ADULT'
       WHERE ${onSale}
      UNION ALL
      SELECT show.id, show.currency, t.id, t.code, t.name, p.seat_kind, p.amount
        FROM show
        JOIN hall_kinds hk ON hk.hall_id = show.hall_id
        JOIN price_cards pc ON pc.id = show.card_id AND trim(pc.currency) = show.currency
        JOIN price_card_prices p ON p.price_card_id = pc.id AND p.seat_kind = ANY(hk.kinds)
        JOIN ticket_types t ON t.id = p.ticket_type_id
       WHERE ${onSale}
    ) AS priced
    ORDER BY showtime_id, code <> 'ADULT', type_id, kind`.execute(db);
  return rows;
}

export type ShowtimePricing = {
  id: number;
  movie_id: number;
  /** The movie's age rating (both or neither): which ticket types limited by age may be sold. */
  rating_label: string | null;
  rating_min_age: number | null;
  status: string;
  started: boolean;
  hall_id: number;
  venue_id: number;
  currency: string;
  price_amount: number;
  premium_price_amount: number;
  own_card_id: number | null;
  kinds: SeatKind[];
};

/** A showtime with what decides its prices: its own card, and the seat kinds its hall has. */
export function showtimePricing(db: Db, showtimeId: number): Promise<ShowtimePricing | undefined> {
  return db
    .selectFrom('showtimes as st')
    .innerJoin('halls as h', 'h.id', 'st.hall_id')
    .innerJoin('movies as m', 'm.id', 'st.movie_id')
    .leftJoin('showtime_price_cards as spc', 'spc.showtime_id', 'st.id')
    .select([
      'st.id',
      'st.movie_id',
      'm.rating_label',
      'm.rating_min_age',
      'st.status',
      sql<boolean>`st.starts_at <= now()`.as('started'),
      'st.hall_id',
      'h.venue_id',
      sql<string>`trim(st.currency)`.as('currency'),
      'st.price_amount',
      'st.premium_price_amount',
      'spc.price_card_id as own_card_id',
      sql<SeatKind[]>`ARRAY(SELECT DISTINCT s.kind FROM seats s WHERE s.hall_id = st.hall_id ORDER BY 1)`.as('kinds'),
    ])
    .where('st.id', '=', showtimeId)
    .executeTakeFirst();
}

/** The default card for a showtime without its own: its hall's, else its venue's. */
export async function defaultCardFor(db: Db, venueId: number, hallId: number): Promise<number | undefined> {
  const row = await db
    .selectFrom('price_cards')
    .select('id')
    .where('venue_id', '=', venueId)
    .where('is_default', '=', true)
    .where((eb) => eb.or([eb('hall_id', '=', hallId), eb('hall_id', 'is', null)]))
    .orderBy(sql`hall_id IS NULL`)
    .limit(1)
    .executeTakeFirst();
  return row?.id;
}

export async function lockShowtime(trx: Transaction<DB>, id: number): Promise<{ id: number; hall_id: number; venue_id: number; currency: string } | undefined> {
  return trx
    .selectFrom('showtimes as st')
    .innerJoin('halls as h', 'h.id', 'st.hall_id')
    .select(['st.id', 'st.hall_id', 'h.venue_id', sql<string>`trim(st.currency)`.as('currency')])
    .where('st.id', '=', id)
    .forShare('st')
    .executeTakeFirst();
}

export async function setShowtimeCard(trx: Transaction<DB>, showtimeId: number, cardId: number | null): Promise<void> {
  if (cardId === null) {
    await trx.deleteFrom('showtime_price_cards').where('showtime_id', '=', showtimeId).execute();
    return;
  }
  await trx
    .insertInto('showtime_price_cards')
    .values({ showtime_id: showtimeId, price_card_id: cardId })
    .onConflict((oc) => oc.column('showtime_id').doUpdateSet({ price_card_id: cardId }))
    .execute();
}

// ── a venue's fee and tax; quotes ─────────────────────────────────────────────

export type VenuePricingRow = Selectable<VenuePricingTable>;

export function findVenuePricing(db: Db, venueId: number): Promise<VenuePricingRow | undefined> {
  return db.selectFrom('venue_pricing').selectAll().where('venue_id', '=', venueId).executeTakeFirst();
}

export async function saveVenuePricing(trx: Transaction<DB>, row: VenuePricingRow): Promise<void> {
  const change = { fee_per: row.fee_per, fee_kind: row.fee_kind, fee_value: row.fee_value, tax_basis_points: row.tax_basis_points, tax_mode: row.tax_mode, tax_on_fee: row.tax_on_fee };
  await trx.insertInto('venue_pricing').values(row).onConflict((oc) => oc.column('venue_id').doUpdateSet(change)).execute();
}

/** The seats of the hall among `seatIds`, with their kinds. */
export function seatsOfHall(db: Db, hallId: number, seatIds: readonly number[]): Promise<{ id: number; kind: SeatKind }[]> {
  return db.selectFrom('seats').select(['id', 'kind']).where('hall_id', '=', hallId).where('id', 'in', seatIds).execute();
}

// ── vouchers ───────────────────────────────────────────────────────────────

export type VoucherRow = Selectable<VouchersTable>;

export function findVoucher(db: Db, by: { code: string } | { id: number }): Promise<VoucherRow | undefined> {
  const query = db.selectFrom('vouchers').selectAll();
  return ('code' in by ? query.where('code', '=', by.code) : query.where('id', '=', by.id)).executeTakeFirst();
}

export function lockVoucher(trx: Transaction<DB>, id: number): Promise<VoucherRow | undefined> {
  return trx.selectFrom('vouchers').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
}

export function listVouchers(db: Db): Promise<VoucherRow[]> {
  return db.selectFrom('vouchers').selectAll().orderBy('id').execute();
}

export function insertVoucher(trx: Transaction<DB>, row: Insertable<VouchersTable>): Promise<VoucherRow> {
  return trx.insertInto('vouchers').values(row).returningAll().executeTakeFirstOrThrow();
}

export function updateVoucher(trx: Transaction<DB>, id: number, change: Updateable<VouchersTable>): Promise<VoucherRow> {
  return trx.updateTable('vouchers').set(change).where('id', '=', id).returningAll().executeTakeFirstOrThrow();
}
