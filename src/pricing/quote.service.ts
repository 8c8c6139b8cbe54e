import { recordAudit, type Actor } from '../catalog/index.ts';
import type { Database } from '../db/database.ts';
import { badRequest, conflict, notFound } from '../shared/errors.ts';
import { money } from '../shared/money.ts';
import { priceTable } from './price-cards.service.ts';
import { applicableVoucher } from './vouchers.service.ts';
import { priceOrder, type BookingFee, type Tax } from './price-order.ts';
import { pricingErrors } from './pricing.errors.ts';
import * as queries from './pricing.queries.ts';
import type { SalesChannel } from './pricing.queries.ts';
import type { Quote, QuoteBody, VenuePricing } from './pricing.schemas.ts';

const noTax: VenuePricing['tax'] = { rate_basis_points: 0, mode: 'inclusive', on_fee: true };

function toView(row: queries.VenuePricingRow | undefined, currency: string): VenuePricing {
  if (row === undefined) {
    return { booking_fee: null, tax: noTax };
  }
  const fee =
    row.fee_per === null || row.fee_value === null
      ? null
      : { per: row.fee_per, amount: row.fee_kind === 'percent' ? { percent_basis_points: row.fee_value } : { fixed: money(row.fee_value, currency) } };
  return { booking_fee: fee, tax: { rate_basis_points: row.tax_basis_points, mode: row.tax_mode, on_fee: row.tax_on_fee } };
}

/** The fee and tax as priceOrder takes them. */
function forPricing(view: VenuePricing): { fee?: BookingFee; tax?: Tax } {
  const fee = view.booking_fee;
  return {
    ...(fee === null
      ? {}
      : { fee: { per: fee.per, amount: 'fixed' in fee.amount ? { kind: 'fixed', minor: fee.amount.fixed.amount } : { kind: 'percent', basisPoints: fee.amount.percent_basis_points } } }),
    tax: { basisPoints: view.tax.rate_basis_points, mode: view.tax.mode, onFee: view.tax.on_fee },
  };
}

async function venueCurrency(db: Database, venueId: number): Promise<string> {
  const venue = await db.selectFrom('venues').select('currency').where('id', '=', venueId).executeTakeFirst();
  if (venue === undefined) {
    throw notFound(pricingErrors.venueNotFound);
  }
  return venue.currency.trim();
}

export async function getVenuePricing(db: Database, venueId: number): Promise<VenuePricing> {
  return toView(await queries.findVenuePricing(db, venueId), await venueCurrency(db, venueId));
}

export async function setVenuePricing(db: Database, venueId: number, body: VenuePricing, actor: Actor): Promise<VenuePricing> {
  return db.transaction().execute(async (trx) => {
    const venue = await queries.lockVenue(trx, venueId);
    if (venue === undefined) {
      throw notFound(pricingErrors.venueNotFound);
    }
    const fee = body.booking_fee;
    if (fee !== null && 'fixed' in fee.amount && fee.amount.fixed.currency !== venue.currency) {
      throw badRequest(pricingErrors.feeCurrency(venue.currency));
    }
    await queries.saveVenuePricing(trx, {
      venue_id: venueId,
      fee_per: fee?.per ?? null,
      fee_kind: fee === null ? null : 'fixed' in fee.amount ? 'fixed' : 'percent',
      fee_value: fee === null ? null : 'fixed' in fee.amount ? fee.amount.fixed.amount : fee.amount.percent_basis_points,
      tax_basis_points: body.tax.rate_basis_points,
      tax_mode: body.tax.mode,
      tax_on_fee: body.tax.on_fee,
    });
    await recordAudit(trx, { userId: actor.userId, action: 'update', entity: 'venue_pricing', entityId: venueId, details: body });
    return body;
  });
}

/**
 * What the tickets asked for would cost, line by line, with the venue's fee
 * and tax: the price card's prices and priceOrder's rules. Nothing is held or
 * written; the checkout computes its order the same way. At the box office
 * (`channel`), the types sold there count, staff-only ones included.
 */
export async function quote(db: Database, body: QuoteBody, channel: SalesChannel = 'online'): Promise<Quote> {
  const seatIds = body.tickets.map((t) => t.seat_id);
  const repeated = seatIds.find((id, i) => seatIds.indexOf(id) !== i);
  if (repeated !== undefined) {
    throw badRequest(pricingErrors.seatTwice(repeated));
  }
  const show = await queries.showtimePricing(db, body.show_id);
  if (show === undefined) {
    throw notFound(pricingErrors.showNotFound);
  }
  if (show.status === 'cancelled') {
    throw conflict(pricingErrors.showCancelled, undefined, 'cancelled');
  }
  if (show.started) {
    throw conflict(pricingErrors.salesClosed, undefined, 'sales_closed');
  }
  const kinds = new Map((await queries.seatsOfHall(db, show.hall_id, seatIds)).map((seat) => [seat.id, seat.kind]));
  const missing = seatIds.find((id) => !kinds.has(id));
  if (missing !== undefined) {
    throw notFound(pricingErrors.seatNotFound);
  }
  const [{ rows }, types] = await Promise.all([priceTable(db, show, channel), queries.listTicketTypes(db, { sellableOnline: false })]);
  const price = new Map(rows.map((row) => [`${row.code}:${row.kind}`, row.amount]));
  const lines = body.tickets.map(({ seat_id, ticket_type }) => {
    const type = types.find((t) => t.code === ticket_type);
    if (type === undefined) {
      throw badRequest(pricingErrors.unknownTicketType(ticket_type));
    }
    // Said before the price is looked up: the price table leaves such a type out, and its sentence would blame the seat.
    if (type.max_film_min_age !== null && show.rating_min_age !== null && show.rating_label !== null && show.rating_min_age > type.max_film_min_age) {
      throw badRequest(pricingErrors.notForFilmRating(type.name, show.rating_label));
    }
    const kind = kinds.get(seat_id)!;
    const amount = price.get(`${ticket_type}:${kind}`);
    if (amount === undefined) {
      const sold = channel === 'online' ? type.active && type.sold_online && !type.staff_only : type.active && type.sold_at_box_office;
      throw badRequest(sold ? pricingErrors.notForSeatKind(type.name, kind) : channel === 'online' ? pricingErrors.notSoldOnline(type.name) : pricingErrors.notSoldAtBoxOffice(type.name));
    }
    return { seat_id, ticket_type, kind, amount };
  });
  for (const type of types) {
    const count = lines.filter((line) => line.ticket_type === type.code).length;
    if (count > 0 && type.min_per_order !== null && count < type.min_per_order) {
      throw badRequest(pricingErrors.belowMinPerOrder(type.name, type.min_per_order));
    }
    if (type.max_per_order !== null && count > type.max_per_order) {
      throw badRequest(pricingErrors.aboveMaxPerOrder(type.name, type.max_per_order));
    }
  }
  const voucher =
    body.voucher === undefined
      ? undefined
      : await applicableVoucher(
          db,
          body.voucher,
          { venueId: show.venue_id, showtimeId: show.id, movieId: show.movie_id, currency: show.currency, now: new Date() },
          lines.map((line) => ({ ticketType: line.ticket_type, kind: line.kind })),
        );
  const settings = toView(await queries.findVenuePricing(db, show.venue_id), show.currency);
  const priced = priceOrder({
    lines: lines.map((line, i) => ({ key: line.seat_id, unitPrice: line.amount, voucherApplies: voucher?.applies[i] === true })),
    ...(voucher === undefined ? {} : { voucher: voucher.voucher }),
    ...forPricing(settings),
  });
  const m = (amount: number) => money(amount, show.currency);
  return {
    show_id: show.id,
    currency: show.currency,
    lines: priced.lines.map((line, i) => ({
      seat_id: lines[i]!.seat_id,
      ticket_type: lines[i]!.ticket_type,
      seat_kind: lines[i]!.kind,
      price: m(line.price),
      discount: m(line.discount),
      fee: m(line.fee),
      tax: m(line.tax),
      total: m(line.total),
    })),
    subtotal: m(priced.subtotal),
    discount: m(priced.discount),
    fee: m(priced.fee),
    tax: m(priced.tax),
    total: m(priced.total),
    tax_mode: settings.tax.mode,
    tax_rate_basis_points: settings.tax.rate_basis_points,
    voucher: voucher?.view ?? null,
  };
}
