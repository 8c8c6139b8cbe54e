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
import { createGroupCommit, type GroupCommit } from './group-commit.ts';
import * as queries from './booking.queries.ts';
import type { LockedShowSeat } from './booking.queries.ts';
import { releasedEvent, seatEventOf, type SeatEvent } from './seat-events.ts';
import type { MyBookingsReply } from './booking.schemas.ts';
import type { Static } from 'typebox';

/** Told of seat changes this process just committed (its layout cache applies them before NOTIFY arrives). */
export type SeatChangeListener = (showId: number, events: readonly SeatEvent[]) => void;

export type BookingSettings = Pick<Config, 'holdTtlSeconds' | 'maxSeatsPerUser' | 'writeConcurrency'> & {
  /**
   * Told of what a hold or booking committed. It must publish them (a
   * SeatPublisher): the seat functions leave announcing to us (README.md,
   * "Seat events"), so other processes hear of them only this way.
   */
  onSeatChanges: SeatChangeListener;
  /**
   * Conflicts this process already knows of (its layout cache), answered
   * without a round trip: a seat held live by someone else, or booked (for a
   * hold). The state it reads may be a NOTIFY's latency old (milliseconds),
   * so a seat released that recently may still be refused; it never admits a
   * write, which the database always decides under the row lock.
   */
  knownConflicts?: (showId: number, userId: number, seatIds: readonly number[], write: 'hold' | 'book') => SeatConflict[] | undefined;
};

export type SeatRequest = { userId: number; showId: number; seatIds: readonly number[] };

export type ConflictReason = 'held' | 'booked';
export type SeatConflict = { seat_id: number; reason: ConflictReason };

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

export const holdIsLive = (seat: LockedShowSeat): boolean => seat.status === 'held' && !seat.hold_expired;

/**
 * Takes the locks of a release in the order the locking rules require
 * (README.md here): per-user lock, then the ShowSeat rows `FOR UPDATE` in
 * ascending seat id, then the show read after them; 404 for an unknown show or
 * seat. Hold and book do the same inside booking_hold_batch/booking_book_batch.
 */
export async function lockSeats(trx: Transaction<DB>, request: SeatRequest) {
  const seatIds = ascendingUnique(request.seatIds);
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

export type HoldResult = {
  seats: { seat_id: number; locked_until: Date }[];
  /** How many of them this request newly held (a re-hold of one's own seat adds none). */
  newlyHeld: number;
};

/** What booking_hold_batch / booking_book_batch refused, as the error the caller gets (sentences of SPEC §5). */
function refusal(outcome: queries.SeatWriteRefusal): AppError {
  if ('conflicts' in outcome) {
    return seatConflictError(outcome.conflicts.map(([seat_id, reason]) => ({ seat_id, reason })));
  }
  switch (outcome.error) {
    case 'show_not_found':
      return notFound(bookingErrors.showNotFound);
    case 'seat_not_found':
      return notFound(bookingErrors.seatNotFound);
    case 'cancelled':
      return conflict(bookingErrors.showCancelled, undefined, 'cancelled');
    case 'sales_closed':
      return conflict(bookingErrors.salesClosed, undefined, 'sales_closed');
    case 'seat_limit':
      return conflict(bookingErrors.seatLimit, undefined, 'seat_limit');
    case 'payment_required':
      return conflict(bookingErrors.paymentRequired, undefined, 'payment_required');
  }
}

export const ascendingUnique = (seatIds: readonly number[]): number[] => [...new Set(seatIds)].sort((a, b) => a - b);

/** The seat writes of one process: holds and bookings, each grouped into as few transactions as the load allows. */
export type SeatWriter = {
  settings: BookingSettings;
  holds: GroupCommit<queries.SeatWrite, queries.HoldAnswer>;
  bookings: GroupCommit<queries.SeatWrite & { reference: string }, queries.BookAnswer>;
};

/** At most this many requests in one call: a bound on one transaction's locks and answer. */
const MAX_BATCH = 64;

/**
 * Publishes what a call committed, after the commit: each request's changes,
 * and the expired holds it released in passing.
 */
function publishCommitted(settings: BookingSettings, writes: readonly queries.SeatWrite[], outcome: queries.BatchOutcome<queries.HoldAnswer | queries.BookAnswer>): void {
  outcome.answers.forEach((answer, i) => {
    const write = writes[i];
    if (write !== undefined && 'events' in answer && answer.events.length > 0) {
      settings.onSeatChanges(write.showId, answer.events.map(seatEventOf));
    }
  });
  for (const [showId, events] of outcome.released) {
    settings.onSeatChanges(showId, events.map(seatEventOf));
  }
}

export function createSeatWriter(db: Database, settings: BookingSettings, onBatch?: (kind: 'hold' | 'book', size: number) => void): SeatWriter {
  const options = (kind: 'hold' | 'book') => ({ maxInFlight: settings.writeConcurrency, maxBatch: MAX_BATCH, onBatch: (size: number) => onBatch?.(kind, size) });
  const limits = { ttlSeconds: settings.holdTtlSeconds, maxSeats: settings.maxSeatsPerUser };
  return {
    settings,
    holds: createGroupCommit(async (writes) => {
      const outcome = await queries.holdSeatsBatch(db, writes, limits);
      publishCommitted(settings, writes, outcome);
      return outcome.answers;
    }, options('hold')),
    bookings: createGroupCommit(async (writes) => {
      const outcome = await queries.bookSeatsBatch(db, writes, limits);
      publishCommitted(settings, writes, outcome);
      return outcome.answers;
    }, options('book')),
  };
}

/**
 * Holds every requested seat for the caller, or none: the locking rules of
 * README.md, in SQL (booking_hold_batch), in one transaction with whatever
 * other seat writes arrived meanwhile. Re-holding a seat the caller already
 * holds succeeds without extending it: otherwise anyone could keep a seat off
 * sale forever by re-holding it every few minutes.
 */
export async function holdSeats(writer: SeatWriter, request: SeatRequest): Promise<HoldResult> {
  const seatIds = ascendingUnique(request.seatIds);
  const known = writer.settings.knownConflicts?.(request.showId, request.userId, seatIds, 'hold');
  if (known !== undefined) {
    throw seatConflictError(known);
  }
  const outcome = await writer.holds.submit({ showId: request.showId, userId: request.userId, seatIds });
  if (!('events' in outcome)) {
    throw refusal(outcome);
  }
  // The events are the rows this request wrote: its new holds.
  const newlyHeld = outcome.events.filter(([, status, , , holder]) => status === 'held' && holder === request.userId);
  const seats = [
    ...outcome.mine.map(([seat_id, lockedUntil]) => ({ seat_id, locked_until: new Date(lockedUntil) })),
    ...newlyHeld.map(([seat_id, , lockedUntil]) => ({ seat_id, locked_until: new Date(lockedUntil ?? 0) })),
  ].sort((a, b) => a.seat_id - b.seat_id);
  return { seats, newlyHeld: newlyHeld.length };
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
 * Books every requested seat for the caller, or none, in one transaction
 * (booking_book_batch) with whatever other bookings arrived meanwhile: each
 * must be available (an expired hold counts) or held by the caller. A seat the
 * caller already booked answers with the existing booking, whatever happened
 * to the show since, so a retry after a lost answer never looks like a lost
 * seat.
 */
export async function bookSeats(writer: SeatWriter, request: SeatRequest): Promise<BookResult> {
  const seatIds = ascendingUnique(request.seatIds);
  const known = writer.settings.knownConflicts?.(request.showId, request.userId, seatIds, 'book');
  if (known !== undefined) {
    throw seatConflictError(known);
  }
  let outcome: queries.BookAnswer;
  try {
    outcome = await writer.bookings.submit({ showId: request.showId, userId: request.userId, seatIds, reference: newBookingReference() });
  } catch (error) {
    // The last line of defence (the design's unique constraint): a second booking of a seat is a 409, never a 500.
    if (isUniqueViolation(error, 'bookings_showtime_seat_key')) {
      throw seatConflictError(request.seatIds.map((seat_id) => ({ seat_id, reason: 'booked' })));
    }
    throw error;
  }
  if (!('events' in outcome)) {
    throw refusal(outcome);
  }
  const asBooked = ([id, seat_id, price_amount, currency, reference]: queries.BookingTuple): queries.BookedSeat => ({ id, seat_id, price_amount, currency, reference });
  return bookResult(outcome.created.map(asBooked), outcome.mine.map(asBooked));
}

/**
 * One pass of releasing every expired hold, in batches; safe to run from many
 * processes at once. Seats of an order still awaiting payment are left to the
 * orders' sweep, which asks the payment provider before releasing them.
 */
export async function sweepExpiredHolds(db: Database, batchSize = 1000): Promise<number> {
  let released = 0;
  for (;;) {
    const batch = await queries.releaseExpiredHolds(db, { limit: batchSize, spareCheckouts: true });
    released += batch.length;
    if (batch.length < batchSize) {
      return released;
    }
  }
}

/**
 * Gives back seats the caller holds, all or none: a seat the caller does not
 * hold (free, booked, someone else's, or an own hold already expired) is a 409
 * naming it, and nothing is released.
 */
export async function releaseSeats(db: Database, request: SeatRequest, onSeatChanges?: SeatChangeListener): Promise<{ released: number }> {
  const released = await db.transaction().execute(async (trx) => {
    // A hold may be given back even after the show started or was cancelled: no on-sale check.
    const { seats } = await lockSeats(trx, request);
    const notMine = seats.filter((s) => !holdIsLive(s) || s.locked_by_id !== request.userId);
    if (notMine.length > 0) {
      throw conflict(bookingErrors.notYourHold, { seat_ids: notMine.map((s) => s.seat_id) }, 'not_held');
    }
    return queries.markAvailable(trx, seats.map((s) => s.id));
  });
  tellReleased(released, onSeatChanges);
  return { released: released.length };
}

/** Changes this process committed go to its own layout cache at once (the trigger's NOTIFY tells the others). */
function tellReleased(released: readonly queries.ReleasedSeat[], onSeatChanges: SeatChangeListener | undefined): void {
  const byShow = Map.groupBy(released, (row) => row.showtime_id);
  for (const [showId, rows] of byShow) {
    onSeatChanges?.(showId, rows.map(releasedEvent));
  }
}

/** Logging out gives back every seat the user holds, on every show. */
export async function releaseAllHolds(db: Database, userId: number, onSeatChanges?: SeatChangeListener): Promise<number> {
  const released = await db.transaction().execute((trx) => queries.releaseHoldsOf(trx, userId));
  tellReleased(released, onSeatChanges);
  return released.length;
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
