import { recordAudit, type Actor } from '../catalog/index.ts';
import type { Database } from '../db/database.ts';
import { isUniqueViolation } from '../db/pg-errors.ts';
import { badRequest, conflict, notFound } from '../shared/errors.ts';
import { money } from '../shared/money.ts';
import type { Voucher as PricedVoucher } from './price-order.ts';
import { pricingErrors } from './pricing.errors.ts';
import * as queries from './pricing.queries.ts';
import type { SeatKind, Voucher, VoucherBody, VoucherPatch } from './pricing.schemas.ts';

const iso = (value: Date | null) => (value === null ? null : value.toISOString());

function toView(row: queries.VoucherRow): Voucher {
  return {
    id: row.id,
    code: row.code,
    description: row.description,
    per: row.per,
    amount: row.kind === 'percent' ? { percent_basis_points: row.value } : { fixed: money(row.value, (row.currency ?? '').trim()) },
    venue_id: row.venue_id,
    showtime_ids: row.showtime_ids,
    movie_ids: row.movie_ids,
    ticket_types: row.ticket_types,
    seat_kinds: row.seat_kinds as SeatKind[] | null,
    valid_from: iso(row.valid_from),
    valid_until: iso(row.valid_until),
    max_uses: row.max_uses,
    uses: row.uses,
    active: row.active,
  };
}

function parseInstant(value: string | null | undefined, field: string): Date | null | undefined {
  if (value === undefined || value === null) {
    return value;
  }
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) {
    throw badRequest(pricingErrors.badInstant(field));
  }
  return date;
}

function assertWindow(from: Date | null | undefined, until: Date | null | undefined): void {
  if (from !== null && from !== undefined && until !== null && until !== undefined && from.getTime() >= until.getTime()) {
    throw badRequest(pricingErrors.voucherWindow);
  }
}

export async function listVouchers(db: Database): Promise<{ items: Voucher[] }> {
  return { items: (await queries.listVouchers(db)).map(toView) };
}

export async function createVoucher(db: Database, body: VoucherBody, actor: Actor): Promise<Voucher> {
  const validFrom = parseInstant(body.valid_from, 'valid_from');
  const validUntil = parseInstant(body.valid_until, 'valid_until');
  assertWindow(validFrom, validUntil);
  try {
    return await db.transaction().execute(async (trx) => {
      const venueId = body.venue_id ?? null;
      if (venueId !== null) {
        const venue = await queries.lockVenue(trx, venueId);
        if (venue === undefined) {
          throw notFound(pricingErrors.venueNotFound);
        }
        if ('fixed' in body.amount && body.amount.fixed.currency !== venue.currency) {
          throw badRequest(pricingErrors.voucherCurrency(venue.currency));
        }
      }
      const codes = body.ticket_types ?? [];
      const known = new Set((await queries.ticketTypesByCode(trx, codes)).map((t) => t.code));
      const unknown = codes.find((code) => !known.has(code));
      if (unknown !== undefined) {
        throw badRequest(pricingErrors.unknownTicketType(unknown));
      }
      const row = await queries.insertVoucher(trx, {
        code: body.code,
        description: body.description ?? '',
        per: body.per,
        kind: 'fixed' in body.amount ? 'fixed' : 'percent',
        value: 'fixed' in body.amount ? body.amount.fixed.amount : body.amount.percent_basis_points,
        currency: 'fixed' in body.amount ? body.amount.fixed.currency : null,
        venue_id: venueId,
        valid_from: validFrom ?? null,
        valid_until: validUntil ?? null,
        showtime_ids: body.showtime_ids ?? null,
        movie_ids: body.movie_ids ?? null,
        ticket_types: body.ticket_types ?? null,
        seat_kinds: body.seat_kinds ?? null,
        max_uses: body.max_uses ?? null,
      });
      await recordAudit(trx, { userId: actor.userId, action: 'create', entity: 'voucher', entityId: row.id, details: body });
      return toView(row);
    });
  } catch (error) {
    if (isUniqueViolation(error, 'vouchers_code_key')) {
      throw conflict(pricingErrors.voucherCodeTaken(body.code));
    }
    throw error;
  }
}

export async function updateVoucher(db: Database, id: number, patch: VoucherPatch, actor: Actor): Promise<Voucher> {
  if (Object.keys(patch).length === 0) {
    throw badRequest(pricingErrors.emptyPatch);
  }
  const validFrom = parseInstant(patch.valid_from, 'valid_from');
  const validUntil = parseInstant(patch.valid_until, 'valid_until');
  return db.transaction().execute(async (trx) => {
    const current = await queries.lockVoucher(trx, id);
    if (current === undefined) {
      throw notFound(pricingErrors.voucherNotFound);
    }
    assertWindow(validFrom === undefined ? current.valid_from : validFrom, validUntil === undefined ? current.valid_until : validUntil);
    if (patch.max_uses !== undefined && patch.max_uses !== null && patch.max_uses < current.uses) {
      throw badRequest(pricingErrors.maxBelowUses(current.uses));
    }
    const row = await queries.updateVoucher(trx, id, {
      ...(patch.description === undefined ? {} : { description: patch.description }),
      ...(patch.active === undefined ? {} : { active: patch.active }),
      ...(patch.max_uses === undefined ? {} : { max_uses: patch.max_uses }),
      ...(validFrom === undefined ? {} : { valid_from: validFrom }),
      ...(validUntil === undefined ? {} : { valid_until: validUntil }),
    });
    await recordAudit(trx, { userId: actor.userId, action: 'update', entity: 'voucher', entityId: id, details: patch });
    return toView(row);
  });
}

export type VoucherContext = { venueId: number; showtimeId: number; movieId: number; currency: string; now: Date };
export type VoucherTicket = { ticketType: string; kind: SeatKind };

/**
 * The voucher `code` names, checked for this showtime and these tickets: the
 * voucher for priceOrder, which tickets it applies to, and what to show.
 * Every refusal is a sentence saying why.
 */
export async function applicableVoucher(
  db: Database,
  code: string,
  context: VoucherContext,
  tickets: readonly VoucherTicket[],
): Promise<{ voucher: PricedVoucher; applies: boolean[]; view: { code: string; description: string } }> {
  const row = await queries.findVoucher(db, { code: code.toUpperCase() });
  if (row === undefined || !row.active) {
    throw badRequest(pricingErrors.voucherNotValid(code.toUpperCase()));
  }
  if (row.valid_from !== null && context.now < row.valid_from) {
    throw badRequest(pricingErrors.voucherNotYet(row.code, row.valid_from.toISOString()));
  }
  if (row.valid_until !== null && context.now >= row.valid_until) {
    throw badRequest(pricingErrors.voucherExpired(row.code, row.valid_until.toISOString()));
  }
  const forThisShow =
    (row.venue_id === null || row.venue_id === context.venueId) &&
    (row.showtime_ids === null || row.showtime_ids.includes(context.showtimeId)) &&
    (row.movie_ids === null || row.movie_ids.includes(context.movieId)) &&
    (row.kind === 'percent' || (row.currency ?? '').trim() === context.currency);
  if (!forThisShow) {
    throw badRequest(pricingErrors.voucherNotForShow(row.code));
  }
  if (row.max_uses !== null && row.uses >= row.max_uses) {
    throw conflict(pricingErrors.voucherUsedUp(row.code), undefined, 'voucher_used_up');
  }
  const applies = tickets.map(
    (ticket) => (row.ticket_types === null || row.ticket_types.includes(ticket.ticketType)) && (row.seat_kinds === null || row.seat_kinds.includes(ticket.kind)),
  );
  if (!applies.includes(true)) {
    throw badRequest(pricingErrors.voucherForNoTicket(row.code));
  }
  return {
    voucher: { per: row.per, amount: row.kind === 'percent' ? { kind: 'percent', basisPoints: row.value } : { kind: 'fixed', minor: row.value } },
    applies,
    view: { code: row.code, description: row.description },
  };
}
