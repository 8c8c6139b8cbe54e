import { randomInt } from 'node:crypto';
import type { Transaction } from 'kysely';
import type { Config } from '../config.ts';
import type { Database } from '../db/database.ts';
import { isUniqueViolation } from '../db/pg-errors.ts';
import type { DB } from '../db/schema.ts';
import { decodeCursor, isTimeIdKey, toPage } from '../shared/cursor.ts';
import { conflict, forbidden, notFound, type AppError } from '../shared/errors.ts';
import { money, type Money } from '../shared/money.ts';
import { bookingErrors } from './booking.errors.ts';
import * as queries from './booking.queries.ts';
import { announceReleased, announceSeatChanges } from './seat-events.ts';
import type { LockedShowSeat } from './booking.queries.ts';
import type { LayoutReply, MyBookingsReply } from './booking.schemas.ts';
import type { Static } from 'typebox';

export type BookingSettings = Pick<Config, 'holdTtlSeconds' | 'maxSeatsPerUser'>;

export type SeatRequest = { userId: number; showId: number; seatIds: readonly number[] };

export type ConflictReason = 'held' | 'booked';
export type SeatConflict = { seat_id: number; reason: ConflictReason };

/** Expired holds released in passing by a seat transaction, per call; the sweeper does the rest. */
const RELEASE_IN_PASSING = 100;

/** `user_id` in a body is optional, but when given it must be the caller (SPEC §5). */
export function assertActingForSelf(authenticatedUserId: number, claimedUserId: number | undefined): void {
  if (claimedUserId !== undefined && claimedUserId !== authenticatedUserId) {
    throw forbidden(bookingErrors.actingForOther);
  }
}

function seatConflictError(conflicts: readonly SeatConflict[]): AppError {
  const reasons = new Set(conflicts.map((c) => c.reason));
  const detail =
    reasons.size > 1
      ? 'Some of these seats are already held or booked by someone else.'
      : reasons.has('booked')
        ? bookingErrors.seatBooked
        : bookingErrors.seatHeldByOther;
  return conflict(detail, { conflicts }, reasons.has('booked') ? 'booked' : 'held');
}

const holdIsLive = (seat: LockedShowSeat): boolean => seat.status === 'held' && !seat.hold_expired;

/**
 * The opening of every seat-changing transaction, in the order the locking
 * rules require (README.md here): per-user lock, then the ShowSeat rows
 * `FOR UPDATE` in ascending seat id, then the checks that need those locks.
 */
type ShowPrices = { currency: string; price_amount: number; premium_price_amount: number };

/** What a seat costs at a showtime: premium seats the premium price, every other kind the standard one. */
function seatPrice(kind: LockedShowSeat['kind'], show: ShowPrices): Money {
  return money(kind === 'premium' ? show.premium_price_amount : show.price_amount, show.currency);
}

type LockedSeats = { seats: LockedShowSeat[]; priceOf: (seat: LockedShowSeat) => { price_amount: number; currency: string } };

/** Takes the locks of a seat write and reads the show after them; 404 for an unknown show or seat. */
async function lockSeats(trx: Transaction<DB>, request: SeatRequest) {
  const seatIds = [...new Set(request.seatIds)].sort((a, b) => a - b);
  await queries.beginSeatWrite(trx, request.showId, request.userId);
  const seats = await queries.lockShowSeats(trx, request.showId, seatIds);
  const show = await queries.findShowState(trx, request.showId);
  if (show === undefined) {
    throw notFound(bookingErrors.showNotFound);
  }
  if (seats.length < seatIds.length) {
    throw notFound(bookingErrors.seatNotFound);
  }
  return { seats, show };
}

/** lockSeats for a hold or a booking: the show must also still be on sale. */
async function lockRequestedSeats(trx: Transaction<DB>, request: SeatRequest): Promise<LockedSeats> {
  const { seats, show } = await lockSeats(trx, request);
  if (show.status === 'cancelled') {
    throw conflict(bookingErrors.showCancelled, undefined, 'cancelled');
  }
  if (show.started) {
    throw conflict(bookingErrors.salesClosed, undefined, 'sales_closed');
  }
  return {
    seats,
    // Premium seats cost the premium price; the price is the one in force now, under the lock.
    priceOf: (seat) => {
      const price = seatPrice(seat.kind, show);
      return { price_amount: price.amount, currency: price.currency };
    },
  };
}

async function assertWithinSeatLimit(trx: Transaction<DB>, request: SeatRequest, adding: number, settings: BookingSettings): Promise<void> {
  if (adding === 0) {
    return;
  }
  const current = await queries.countUserSeats(trx, request.showId, request.userId);
  if (current + adding > settings.maxSeatsPerUser) {
    throw conflict(bookingErrors.seatLimit, undefined, 'seat_limit');
  }
}

/**
 * Releases expired holds of one show (or all shows) in passing, and announces
 * them in the same transaction. SKIP LOCKED: never waits, so safe after our own locks.
 */
async function releaseExpired(trx: Transaction<DB>, options: { showId?: number; limit: number }): Promise<number> {
  const released = await queries.releaseExpiredHolds(trx, options);
  await announceReleased(trx, released);
  return released.length;
}

export type HoldResult = {
  seats: { seat_id: number; locked_until: Date }[];
  /** How many of them this request newly held (a re-hold of one's own seat adds none). */
  newlyHeld: number;
};

/**
 * Holds every requested seat for the caller, or none. Re-holding a seat the
 * caller already holds succeeds without extending it: otherwise anyone could
 * keep a seat off sale forever by re-holding it every few minutes.
 */
export async function holdSeats(db: Database, settings: BookingSettings, request: SeatRequest): Promise<HoldResult> {
  return db.transaction().execute(async (trx) => {
    const { seats } = await lockRequestedSeats(trx, request);
    const conflicts: SeatConflict[] = [];
    const alreadyMine: { seat_id: number; locked_until: Date }[] = [];
    const toHold: LockedShowSeat[] = [];
    for (const seat of seats) {
      if (seat.status === 'booked') {
        conflicts.push({ seat_id: seat.seat_id, reason: 'booked' });
      } else if (holdIsLive(seat) && seat.locked_by_id !== request.userId) {
        conflicts.push({ seat_id: seat.seat_id, reason: 'held' });
      } else if (holdIsLive(seat) && seat.locked_until !== null) {
        alreadyMine.push({ seat_id: seat.seat_id, locked_until: seat.locked_until });
      } else {
        toHold.push(seat);
      }
    }
    if (conflicts.length > 0) {
      throw seatConflictError(conflicts);
    }
    await assertWithinSeatLimit(trx, request, toHold.length, settings);
    const held = toHold.length === 0 ? [] : await queries.markHeld(trx, toHold.map((s) => s.id), request.userId, settings.holdTtlSeconds);
    const newlyHeld = held.map((h) => ({ seat_id: h.seat_id, locked_until: h.locked_until ?? new Date() }));
    await announceSeatChanges(
      trx,
      request.showId,
      newlyHeld.map((h) => ({ seat_id: h.seat_id, status: 'held', locked_until: h.locked_until.toISOString() })),
    );
    await releaseExpired(trx, { showId: request.showId, limit: RELEASE_IN_PASSING });
    return { seats: [...alreadyMine, ...newlyHeld].sort((a, b) => a.seat_id - b.seat_id), newlyHeld: newlyHeld.length };
  });
}

export type BookResult = {
  /** false when every seat was already booked by the caller: a retried request, answered 200. */
  created: boolean;
  /** Seats this request newly booked (the rest were the caller's already). */
  newlyBooked: number;
  /** The reference of this booking (of the earliest one, for a retry of earlier bookings). */
  reference: string;
  bookings: queries.BookedSeat[];
  /** What the seats of this answer cost together, as paid. */
  total: Money;
};

// Crockford's base32 without I, L, O, U: easy to read out at a box office, 40 random bits.
const REFERENCE_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
export function newBookingReference(): string {
  return Array.from({ length: 8 }, () => REFERENCE_ALPHABET[randomInt(REFERENCE_ALPHABET.length)]).join('');
}

function bookResult(created: queries.BookedSeat[], earlier: queries.BookedSeat[]): BookResult {
  const sorted = [...created, ...earlier].sort((a, b) => a.seat_id - b.seat_id);
  return {
    created: created.length > 0,
    newlyBooked: created.length,
    reference: (created[0] ?? earlier[0])?.reference ?? '',
    bookings: sorted,
    total: money(
      sorted.reduce((sum, b) => sum + b.price_amount, 0),
      sorted[0]?.currency ?? 'EUR',
    ),
  };
}

/**
 * Books every requested seat for the caller, or none: each must be available
 * (an expired hold counts) or held by the caller. A seat the caller already
 * booked answers with the existing booking, so a retry after a lost answer
 * never looks like a lost seat.
 */
export async function bookSeats(db: Database, settings: BookingSettings, request: SeatRequest): Promise<BookResult> {
  try {
    return await db.transaction().execute(async (trx) => {
      const { seats, priceOf } = await lockRequestedSeats(trx, request);
      const bookedSeatIds = seats.filter((s) => s.status === 'booked').map((s) => s.seat_id);
      const existing = bookedSeatIds.length === 0 ? [] : await queries.findBookings(trx, request.showId, bookedSeatIds);
      const conflicts: SeatConflict[] = [
        ...existing.filter((b) => b.user_id !== request.userId).map((b) => ({ seat_id: b.seat_id, reason: 'booked' as const })),
        ...seats
          .filter((s) => holdIsLive(s) && s.locked_by_id !== request.userId)
          .map((s) => ({ seat_id: s.seat_id, reason: 'held' as const })),
      ].sort((a, b) => a.seat_id - b.seat_id);
      if (conflicts.length > 0) {
        throw seatConflictError(conflicts);
      }
      const mine = existing.map(({ user_id: _user, ...booking }) => booking);
      const toBook = seats.filter((s) => s.status !== 'booked');
      if (toBook.length === 0) {
        return bookResult([], mine);
      }
      // A live hold of the caller's is already counted; an expired one or a free seat adds to the total.
      await assertWithinSeatLimit(trx, request, toBook.filter((s) => !holdIsLive(s)).length, settings);
      // The price is read under the row lock and written with the Booking: a later price change never alters it.
      const created = await queries.insertBookings(
        trx,
        request.showId,
        request.userId,
        newBookingReference(),
        toBook.map((seat) => ({ seat_id: seat.seat_id, ...priceOf(seat) })),
      );
      await announceSeatChanges(
        trx,
        request.showId,
        created.map((b) => ({ seat_id: b.seat_id, status: 'booked', locked_until: null })),
      );
      await releaseExpired(trx, { showId: request.showId, limit: RELEASE_IN_PASSING });
      return bookResult(created, mine);
    });
  } catch (error) {
    // The last line of defence (the design's unique constraint): a second booking of a seat is a 409, never a 500.
    if (isUniqueViolation(error, 'bookings_showtime_seat_key')) {
      throw seatConflictError(request.seatIds.map((seat_id) => ({ seat_id, reason: 'booked' })));
    }
    throw error;
  }
}

/** The layout reply as its route schema declares it. */
export type Layout = Static<typeof LayoutReply>;

/**
 * The design's hall layout. Expired holds are released first and, in any
 * case, read as available. `locked_by` is shown only to the holder.
 */
export async function getHallLayout(db: Database, showId: number, viewerId: number | null): Promise<Layout> {
  const header = await queries.findShowHeader(db, showId);
  if (header === undefined) {
    throw notFound(bookingErrors.showNotFound);
  }
  await db.transaction().execute((trx) => releaseExpired(trx, { showId, limit: 1000 }));
  const seats = await queries.selectLayoutSeats(db, showId);
  return {
    show_id: header.show_id,
    hall_name: header.hall_name,
    venue_name: header.venue_name,
    movie_title: header.movie_title,
    starts_at: header.starts_at.toISOString(),
    seats: seats.map((seat) => {
      const mine = seat.locked_by_id !== null && seat.locked_by_id === viewerId;
      return {
        id: seat.id,
        row: seat.row,
        number: seat.number,
        status: seat.status,
        locked_by: mine ? seat.locked_by_id : null,
        locked_until: seat.locked_until === null ? null : seat.locked_until.toISOString(),
        kind: seat.kind,
        price: seatPrice(seat.kind, header),
        x: seat.x,
        y: seat.y,
      };
    }),
  };
}

/** One pass of releasing every expired hold, in batches; safe to run from many processes at once. */
export async function sweepExpiredHolds(db: Database, batchSize = 1000): Promise<number> {
  let released = 0;
  for (;;) {
    const batch = await db.transaction().execute((trx) => releaseExpired(trx, { limit: batchSize }));
    released += batch;
    if (batch < batchSize) {
      return released;
    }
  }
}

/**
 * Gives back seats the caller holds, all or none: a seat the caller does not
 * hold (free, booked, someone else's, or an own hold already expired) is a 409
 * naming it, and nothing is released.
 */
export async function releaseSeats(db: Database, request: SeatRequest): Promise<{ released: number }> {
  return db.transaction().execute(async (trx) => {
    // A hold may be given back even after the show started or was cancelled: no on-sale check.
    const { seats } = await lockSeats(trx, request);
    const notMine = seats.filter((s) => !holdIsLive(s) || s.locked_by_id !== request.userId);
    if (notMine.length > 0) {
      throw conflict(bookingErrors.notYourHold, { seat_ids: notMine.map((s) => s.seat_id) }, 'not_held');
    }
    await queries.markAvailable(trx, seats.map((s) => s.id));
    await announceSeatChanges(
      trx,
      request.showId,
      seats.map((s) => ({ seat_id: s.seat_id, status: 'available', locked_until: null })),
    );
    return { released: seats.length };
  });
}

/** Logging out gives back every seat the user holds, on every show. */
export async function releaseAllHolds(db: Database, userId: number): Promise<number> {
  return db.transaction().execute(async (trx) => {
    const released = await queries.releaseHoldsOf(trx, userId);
    await announceReleased(trx, released);
    return released.length;
  });
}

export type MyBooking = Static<typeof MyBookingsReply>['items'][number];

/** The caller's bookings, newest first, one item per seat, with the price as paid. */
export async function listMyBookings(db: Database, userId: number, query: { limit?: number | undefined; cursor?: string | undefined }) {
  const limit = query.limit ?? 20;
  const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor, isTimeIdKey);
  const rows = await queries.selectUserBookings(db, userId, after, limit + 1);
  const page = toPage(rows, limit, (last) => [last.created_at_exact, last.id]);
  return {
    items: page.items.map(
      (row): MyBooking => ({
        booking_id: row.id,
        reference: row.reference,
        booked_at: row.created_at.toISOString(),
        price: money(row.price_amount, row.currency),
        seat: { id: row.seat_id, row: row.row, number: row.number, kind: row.kind },
        show: {
          id: row.show_id,
          starts_at: row.starts_at.toISOString(),
          status: row.show_status,
          movie: { id: row.movie_id, title: row.movie_title },
          hall: { id: row.hall_id, name: row.hall_name },
          venue: { id: row.venue_id, name: row.venue_name, city: row.city },
        },
      }),
    ),
    next_cursor: page.next_cursor,
  };
}
