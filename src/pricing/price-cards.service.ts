import type { Transaction } from 'kysely';
import { recordAudit, type Actor } from '../catalog/index.ts';
import type { Database } from '../db/database.ts';
import { isUniqueViolation } from '../db/pg-errors.ts';
import type { DB } from '../db/schema.ts';
import { badRequest, conflict, notFound } from '../shared/errors.ts';
import { money, type Money } from '../shared/money.ts';
import { pricingErrors } from './pricing.errors.ts';
import * as queries from './pricing.queries.ts';
import type { PriceCard, PriceCardBody, PriceCardPatch, SeatKind, ShowtimePrices } from './pricing.schemas.ts';

/** The code of the ticket type whose prices are the showtime's own price and premium_price. */
export const ADULT = 'ADULT';

type CardPrices = PriceCardBody['prices'];

/** The card's prices as rows: every code known and not Adult, each (type, kind) once, all in the venue's currency. */
async function priceRows(trx: Transaction<DB>, prices: CardPrices, currency: string) {
  const seen = new Set<string>();
  for (const { ticket_type: code, seat_kind: kind, price } of prices) {
    if (code === ADULT) {
      throw badRequest(pricingErrors.adultOnCard);
    }
    if (seen.has(`${code}:${kind}`)) {
      throw badRequest(pricingErrors.duplicatePrice(code, kind));
    }
    seen.add(`${code}:${kind}`);
    if (price.currency !== currency) {
      throw badRequest(pricingErrors.cardCurrency(currency));
    }
  }
  const types = new Map((await queries.ticketTypesByCode(trx, [...new Set(prices.map((p) => p.ticket_type))])).map((t) => [t.code, t.id]));
  return prices.map(({ ticket_type: code, seat_kind, price }) => {
    const id = types.get(code);
    if (id === undefined) {
      throw badRequest(pricingErrors.unknownTicketType(code));
    }
    return { ticket_type_id: id, seat_kind, amount: price.amount };
  });
}

async function cardViews(db: Database | Transaction<DB>, cards: readonly queries.CardRow[]): Promise<PriceCard[]> {
  const prices = await queries.pricesOf(
    db,
    cards.map((c) => c.id),
  );
  return cards.map((card) => ({
    id: card.id,
    venue_id: card.venue_id,
    hall_id: card.hall_id,
    name: card.name,
    default: card.is_default,
    prices: prices.filter((p) => p.price_card_id === card.id).map((p) => ({ ticket_type: p.ticket_type, seat_kind: p.seat_kind, price: money(p.amount, card.currency) })),
  }));
}

/** A card write, with the venue locked (one card write per venue at a time); a name taken in the venue is a 409. */
async function inCardWrite<T>(db: Database, name: string | undefined, work: (trx: Transaction<DB>) => Promise<T>): Promise<T> {
  try {
    return await db.transaction().execute(work);
  } catch (error) {
    if (name !== undefined && isUniqueViolation(error, 'price_cards_venue_name_key')) {
      throw conflict(pricingErrors.cardNameTaken(name));
    }
    throw error;
  }
}

export async function createPriceCard(db: Database, body: PriceCardBody, actor: Actor): Promise<PriceCard> {
  return inCardWrite(db, body.name, async (trx) => {
    const venue = await queries.lockVenue(trx, body.venue_id);
    if (venue === undefined) {
      throw notFound(pricingErrors.venueNotFound);
    }
    const hallId = body.hall_id ?? null;
    if (hallId !== null) {
      const hall = await queries.lockHall(trx, hallId);
      if (hall === undefined) {
        throw notFound(pricingErrors.hallNotFound);
      }
      if (hall.venue_id !== venue.id) {
        throw badRequest(pricingErrors.hallOfAnotherVenue);
      }
    }
    const rows = await priceRows(trx, body.prices, venue.currency);
    if (body.default === true) {
      await queries.clearDefault(trx, venue.id, hallId);
    }
    const card = await queries.insertCard(trx, { venue_id: venue.id, hall_id: hallId, name: body.name, currency: venue.currency, is_default: body.default === true });
    await queries.replacePrices(trx, card.id, rows);
    await recordAudit(trx, { userId: actor.userId, action: 'create', entity: 'price_card', entityId: card.id, details: body });
    const [view] = await cardViews(trx, [card]);
    return view!;
  });
}

export async function updatePriceCard(db: Database, id: number, patch: PriceCardPatch, actor: Actor): Promise<PriceCard> {
  if (Object.keys(patch).length === 0) {
    throw badRequest(pricingErrors.emptyPatch);
  }
  return inCardWrite(db, patch.name, async (trx) => {
    const found = await trx.selectFrom('price_cards').select('venue_id').where('id', '=', id).executeTakeFirst();
    const venue = found === undefined ? undefined : await queries.lockVenue(trx, found.venue_id);
    const card = venue === undefined ? undefined : await queries.lockCard(trx, id);
    if (venue === undefined || card === undefined) {
      throw notFound(pricingErrors.priceCardNotFound);
    }
    if (patch.prices !== undefined) {
      await queries.replacePrices(trx, id, await priceRows(trx, patch.prices, card.currency));
    }
    if (patch.default === true && !card.is_default) {
      await queries.clearDefault(trx, card.venue_id, card.hall_id);
    }
    const change = { ...(patch.name === undefined ? {} : { name: patch.name }), ...(patch.default === undefined ? {} : { is_default: patch.default }) };
    const updated = Object.keys(change).length === 0 ? card : await queries.updateCard(trx, id, change);
    await recordAudit(trx, { userId: actor.userId, action: 'update', entity: 'price_card', entityId: id, details: patch });
    const [view] = await cardViews(trx, [updated]);
    return view!;
  });
}

export async function deletePriceCard(db: Database, id: number, actor: Actor): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const card = await queries.lockCard(trx, id);
    if (card === undefined) {
      throw notFound(pricingErrors.priceCardNotFound);
    }
    const using = await queries.showtimesUsing(trx, id);
    if (using > 0) {
      throw conflict(pricingErrors.cardInUse(using));
    }
    await queries.deleteCard(trx, id);
    await recordAudit(trx, { userId: actor.userId, action: 'delete', entity: 'price_card', entityId: id, details: { name: card.name } });
  });
}

export async function listPriceCards(db: Database, venueId: number): Promise<{ items: PriceCard[] }> {
  return { items: await cardViews(db, await queries.listCards(db, { venueId })) };
}

/** Gives a showtime a card of its own, or (null) takes it away so the hall's or venue's default applies. */
export async function setShowtimePriceCard(db: Database, showtimeId: number, cardId: number | null, actor: Actor): Promise<ShowtimePrices> {
  await db.transaction().execute(async (trx) => {
    const show = await queries.lockShowtime(trx, showtimeId);
    if (show === undefined) {
      throw notFound(pricingErrors.showNotFound);
    }
    if (cardId !== null) {
      const card = await queries.lockCard(trx, cardId);
      if (card === undefined) {
        throw notFound(pricingErrors.priceCardNotFound);
      }
      if (card.venue_id !== show.venue_id) {
        throw badRequest(pricingErrors.cardOfAnotherVenue);
      }
      if (card.hall_id !== null && card.hall_id !== show.hall_id) {
        throw badRequest(pricingErrors.cardOfAnotherHall);
      }
      if (card.currency !== show.currency) {
        throw badRequest(pricingErrors.cardCurrencyDiffers(card.currency, show.currency));
      }
    }
    await queries.setShowtimeCard(trx, showtimeId, cardId);
    await recordAudit(trx, { userId: actor.userId, action: 'update', entity: 'showtime_price_card', entityId: showtimeId, details: { price_card_id: cardId } });
  });
  return showtimePrices(db, showtimeId);
}

export type PriceRow = { code: string; name: string; kind: SeatKind; amount: number };
export type PriceRange = { min: Money; max: Money };

function rangeOf(amounts: readonly number[], currency: string): PriceRange | null {
  return amounts.length === 0 ? null : { min: money(Math.min(...amounts), currency), max: money(Math.max(...amounts), currency) };
}

/**
 * What a showtime's seats cost online, by ticket type and seat kind of its
 * hall (`queries.onlinePrices`: Adult at the showtime's own price, every
 * other type on sale online for the film at its card's price), and the card
 * they come from. The card is found here by the same rule as in that query,
 * for its name.
 */
export async function priceTable(
  db: Database,
  show: queries.ShowtimePricing,
  channel: queries.SalesChannel = 'online',
): Promise<{ card: queries.CardRow | undefined; rows: PriceRow[] }> {
  const cardId = show.own_card_id ?? (await queries.defaultCardFor(db, show.venue_id, show.hall_id));
  // A default card in another currency than the showtime's prices (a showtime priced apart) does not apply to it.
  const card = cardId === undefined ? undefined : (await queries.listCards(db, { ids: [cardId] })).find((c) => c.currency === show.currency);
  const rows = await queries.onlinePrices(db, [show.id], channel);
  return { card, rows: rows.map((row) => ({ code: row.code, name: row.name, kind: row.kind, amount: row.amount })) };
}

/**
 * The cheapest and dearest ticket on sale online for each showtime (null
 * when nothing is), over the same prices as its price table, in one query
 * for all of them: for the catalog's listings (a page at a time) and the
 * hall layout (once per show it loads).
 */
export async function priceRanges(db: Database, showtimeIds: readonly number[]): Promise<Map<number, PriceRange | null>> {
  const byShowtime = new Map<number, { currency: string; amounts: number[] }>();
  for (const row of await queries.onlinePrices(db, showtimeIds)) {
    const entry = byShowtime.get(row.showtime_id) ?? { currency: row.currency, amounts: [] };
    entry.amounts.push(row.amount);
    byShowtime.set(row.showtime_id, entry);
  }
  return new Map(
    showtimeIds.map((id) => {
      const entry = byShowtime.get(id);
      return [id, entry === undefined ? null : rangeOf(entry.amounts, entry.currency)];
    }),
  );
}

/** A showtime's price table, for the public (GET /api/showtimes/{id}/prices). */
export async function showtimePrices(db: Database, showtimeId: number): Promise<ShowtimePrices> {
  const show = await queries.showtimePricing(db, showtimeId);
  if (show === undefined) {
    throw notFound(pricingErrors.showNotFound);
  }
  const { card, rows } = await priceTable(db, show);
  const prices = rows.map((row) => ({ ticket_type: { code: row.code, name: row.name }, seat_kind: row.kind, price: money(row.amount, show.currency) }));
  return {
    showtime_id: show.id,
    price_card: card === undefined ? null : { id: card.id, name: card.name },
    prices,
    range: rangeOf(
      rows.map((row) => row.amount),
      show.currency,
    ),
  };
}
