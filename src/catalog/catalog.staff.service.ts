import type { Transaction } from 'kysely';
import type { Database } from '../db/database.ts';
import { isExclusionViolation, isUniqueViolation } from '../db/pg-errors.ts';
import type { DB } from '../db/schema.ts';
import { badRequest, conflict, notFound } from '../shared/errors.ts';
import { money, type Money } from '../shared/money.ts';
import { catalogErrors } from './catalog.errors.ts';
import type { ShowtimeSeats } from './catalog.ports.ts';
import * as queries from './catalog.queries.ts';
import type {
  CancelReply,
  Hall,
  HallPatch,
  Movie,
  MoviePatch,
  Refund,
  Showtime,
  ShowtimePatch,
  ShowtimeReport,
  Venue,
  VenuePatch,
} from './catalog.schemas.ts';
import { getHall, getShowtime, inStaffTransaction, ratingColumns, toMovie, toVenue, venueTimeZoneProblem, type Actor } from './catalog.service.ts';
import { planSeats, type PlannedSeat } from './seat-map.ts';

/**
 * Staff changes to the catalog (SPEC §6): PATCH, DELETE, cancel, report.
 * Every write runs in `inStaffTransaction` and writes its audit row there.
 * The rules, and why the locks are taken as they are, are in README.md here.
 * show_seats are the booking domain's: every lock and write of them, and the
 * show events, go through `seats` (catalog.ports.ts), passed in from app.ts.
 */

function assertSomethingToChange(patch: object): void {
  if (Object.keys(patch).length === 0) {
    throw badRequest(catalogErrors.emptyPatch);
  }
}

/** Maps the constraint violations a staff write can run into to their sentences. */
async function translatingConflicts<T>(write: () => Promise<T>, overlap: string = catalogErrors.hallBusy): Promise<T> {
  try {
    return await write();
  } catch (error) {
    if (isExclusionViolation(error, 'showtimes_no_overlap')) {
      throw conflict(overlap);
    }
    if (isUniqueViolation(error, 'halls_venue_id_name_key')) {
      throw conflict(catalogErrors.hallNameTaken);
    }
    throw error;
  }
}

/**
 * Makes "is anything booked?" a question nobody can change the answer to
 * until we commit: every show_seats row of the showtimes is locked first (the
 * rows a hold or booking must lock), then bookings are counted in a new
 * statement, which sees every booking that committed before our locks.
 */
async function lockSeatsAndCountBookings(trx: Transaction<DB>, seats: ShowtimeSeats, showtimeIds: readonly number[]): Promise<number> {
  await seats.lockShowSeatsOf(trx, showtimeIds);
  return queries.countBookings(trx, showtimeIds);
}

/**
 * For deleting a venue, hall or movie: locks its showtimes and all their seats,
 * refuses (409) when any seat is booked, else deletes the showtimes with their
 * show_seats. Returns the ids of the deleted showtimes.
 */
async function deleteShowtimesUnder(
  trx: Transaction<DB>,
  seats: ShowtimeSeats,
  scope: queries.ShowtimeScope,
  entity: 'venue' | 'hall' | 'movie',
): Promise<number[]> {
  const showtimeIds = await queries.lockShowtimesUnder(trx, scope);
  if ((await lockSeatsAndCountBookings(trx, seats, showtimeIds)) > 0) {
    throw conflict(catalogErrors.deleteBooked(entity));
  }
  await seats.deleteShowSeats(trx, showtimeIds);
  await queries.deleteShowtimes(trx, showtimeIds);
  for (const showtimeId of showtimeIds) {
    await seats.announceShowStatus(trx, showtimeId, 'deleted'); // viewers and layout caches let go of it
  }
  return showtimeIds;
}

// ── venues ─────────────────────────────────────────────────────────────────

export async function updateVenue(db: Database, id: number, patch: VenuePatch, actor: Actor): Promise<Venue> {
  assertSomethingToChange(patch);
  const zoneProblem = patch.time_zone === undefined ? undefined : await venueTimeZoneProblem(db, patch.time_zone);
  if (zoneProblem !== undefined) {
    throw badRequest(zoneProblem);
  }
  return inStaffTransaction(db, async (trx) => {
    const venue = await queries.lockVenue(trx, id);
    if (venue === undefined) {
      throw notFound(catalogErrors.venueNotFound);
    }
    const currency = venue.currency.trim();
    // A hall's own default price is an amount in its venue's currency: switching
    // the currency under it would silently re-denominate it.
    if (patch.default_price !== undefined && patch.default_price.currency !== currency && (await queries.countHallsWithOwnPrice(trx, id)) > 0) {
      throw conflict(catalogErrors.venueCurrencyInUse(currency));
    }
    // Names and prices may change at any time: showtimes carry their own prices
    // and bookings the price paid, so neither moves with the venue's default.
    const updated = await queries.updateVenue(trx, id, {
      ...(patch.name === undefined ? {} : { name: patch.name }),
      ...(patch.city === undefined ? {} : { city: patch.city }),
      ...(patch.time_zone === undefined ? {} : { time_zone: patch.time_zone }),
      ...(patch.default_price === undefined ? {} : { currency: patch.default_price.currency, default_price_amount: patch.default_price.amount }),
      ...(patch.payment_required === undefined ? {} : { payment_required: patch.payment_required }),
    });
    await queries.recordAudit(trx, { userId: actor.userId, action: 'update', entity: 'venue', entityId: id, details: { changes: patch, before: toVenue(venue) } });
    return toVenue(updated);
  });
}

export async function deleteVenue(db: Database, seats: ShowtimeSeats, id: number, actor: Actor): Promise<void> {
  await inStaffTransaction(db, async (trx) => {
    if ((await queries.lockVenue(trx, id)) === undefined) {
      throw notFound(catalogErrors.venueNotFound);
    }
    const showtimeIds = await deleteShowtimesUnder(trx, seats, { venueId: id }, 'venue');
    const seatCount = await queries.countSeatsUnder(trx, { venueId: id });
    const halls = await queries.deleteHalls(trx, { venueId: id });
    await queries.deleteVenue(trx, id);
    await queries.recordAudit(trx, {
      userId: actor.userId,
      action: 'delete',
      entity: 'venue',
      entityId: id,
      details: { deleted: { halls, seats: seatCount, showtimes: showtimeIds.length } },
    });
  });
}

// ── halls ──────────────────────────────────────────────────────────────────

const sameSeats = (a: readonly PlannedSeat[], b: readonly PlannedSeat[]): boolean => {
  const key = (s: PlannedSeat) => `${s.row}\u0000${s.number}\u0000${s.kind}\u0000${s.x}\u0000${s.y}`;
  const keys = new Set(a.map(key));
  return a.length === b.length && b.every((seat) => keys.has(key(seat)));
};

/** `maxSeats` is MAX_SEATS_PER_HALL: new rows may describe at most that many seats. */
export async function updateHall(
  db: Database,
  seats: ShowtimeSeats,
  id: number,
  patch: HallPatch,
  actor: Actor,
  maxSeats: number,
): Promise<Hall> {
  assertSomethingToChange(patch);
  const planned = patch.rows === undefined ? undefined : planSeats(patch.rows, maxSeats);
  return translatingConflicts(() =>
    inStaffTransaction(db, async (trx) => {
      const hall = await queries.lockHall(trx, id);
      if (hall === undefined) {
        throw notFound(catalogErrors.hallNotFound);
      }
      if (patch.default_price !== undefined && patch.default_price !== null && patch.default_price.currency !== hall.currency) {
        throw badRequest(catalogErrors.hallPriceCurrency(hall.currency));
      }
      const before = await getHall(trx, id);
      // The same seat map sent back (say, with a new name) is no change, so it is no conflict either.
      const newSeats = planned !== undefined && !sameSeats(planned, await queries.selectHallSeats(trx, id)) ? planned : undefined;
      let showtimesReseated = 0;
      if (newSeats !== undefined) {
        const showtimeIds = await queries.lockShowtimesUnder(trx, { hallId: id });
        if ((await lockSeatsAndCountBookings(trx, seats, showtimeIds)) > 0) {
          throw conflict(catalogErrors.hallHasBookings);
        }
        // Nothing is booked: every showtime of the hall gets the new seats, all
        // available. Holds on the old seats go with them.
        await seats.deleteShowSeats(trx, showtimeIds);
        await queries.deleteSeatsOfHall(trx, id);
        await queries.insertSeats(trx, id, newSeats);
        await seats.insertShowSeatsFor(trx, showtimeIds);
        showtimesReseated = showtimeIds.length;
        for (const showtimeId of showtimeIds) {
          await seats.announceShowStatus(trx, showtimeId, 'scheduled'); // viewers read the new seat map
        }
      }
      // cleaning_minutes applies to showtimes scheduled from now on: the ones
      // already scheduled keep the hall busy for as long as they were planned
      // to, so a change here can never make two of them overlap.
      await queries.updateHall(trx, id, {
        ...(patch.name === undefined ? {} : { name: patch.name }),
        ...(patch.default_price === undefined ? {} : { default_price_amount: patch.default_price?.amount ?? null }),
        ...(patch.cleaning_minutes === undefined ? {} : { cleaning_minutes: patch.cleaning_minutes }),
      });
      await queries.recordAudit(trx, {
        userId: actor.userId,
        action: 'update',
        entity: 'hall',
        entityId: id,
        details: { changes: patch, before, seats_replaced: newSeats !== undefined, showtimes_reseated: showtimesReseated },
      });
      return getHall(trx, id);
    }),
  );
}

export async function deleteHall(db: Database, seats: ShowtimeSeats, id: number, actor: Actor): Promise<void> {
  await inStaffTransaction(db, async (trx) => {
    if ((await queries.lockHall(trx, id)) === undefined) {
      throw notFound(catalogErrors.hallNotFound);
    }
    const showtimeIds = await deleteShowtimesUnder(trx, seats, { hallId: id }, 'hall');
    const seatCount = await queries.countSeatsUnder(trx, { hallId: id });
    await queries.deleteHalls(trx, { hallId: id });
    await queries.recordAudit(trx, {
      userId: actor.userId,
      action: 'delete',
      entity: 'hall',
      entityId: id,
      details: { deleted: { seats: seatCount, showtimes: showtimeIds.length } },
    });
  });
}

// ── movies ─────────────────────────────────────────────────────────────────

export async function updateMovie(db: Database, id: number, patch: MoviePatch, actor: Actor): Promise<Movie> {
  assertSomethingToChange(patch);
  return translatingConflicts(
    () =>
      inStaffTransaction(db, async (trx) => {
        const movie = await queries.lockMovie(trx, id);
        if (movie === undefined) {
          throw notFound(catalogErrors.movieNotFound);
        }
        // A new duration moves the end of every showtime that has not started,
        // booked or not: no seat moves and the start stays, so nothing a customer
        // bought changes. Shows running or over keep the end they had. If one
        // would then run into the next show in its hall, the constraint refuses
        // the statement and the whole change rolls back.
        const rescheduled =
          patch.duration_minutes === undefined || patch.duration_minutes === movie.duration_minutes
            ? []
            : await queries.stretchUpcomingShowtimes(trx, id, patch.duration_minutes);
        // A new rating applies to what is sold from now on (price tables, quotes): a ticket sold stays sold.
        const updated = await queries.updateMovie(trx, id, {
          ...(patch.title === undefined ? {} : { title: patch.title }),
          ...(patch.duration_minutes === undefined ? {} : { duration_minutes: patch.duration_minutes }),
          ...ratingColumns(patch.rating),
        });
        await queries.recordAudit(trx, {
          userId: actor.userId,
          action: 'update',
          entity: 'movie',
          entityId: id,
          details: { changes: patch, before: toMovie(movie), showtimes_rescheduled: rescheduled },
        });
        return toMovie(updated);
      }),
    catalogErrors.movieRunsIntoNextShow,
  );
}

export async function deleteMovie(db: Database, seats: ShowtimeSeats, id: number, actor: Actor): Promise<void> {
  await inStaffTransaction(db, async (trx) => {
    if ((await queries.lockMovie(trx, id)) === undefined) {
      throw notFound(catalogErrors.movieNotFound);
    }
    const showtimeIds = await deleteShowtimesUnder(trx, seats, { movieId: id }, 'movie');
    await queries.deleteMovie(trx, id);
    await queries.recordAudit(trx, {
      userId: actor.userId,
      action: 'delete',
      entity: 'movie',
      entityId: id,
      details: { deleted: { showtimes: showtimeIds.length } },
    });
  });
}

// ── showtimes ──────────────────────────────────────────────────────────────

/** A date-time the schema accepted but that is no real instant (e.g. 31 February) is still a 400. */
function parseInstant(value: string): Date {
  const instant = new Date(value);
  if (Number.isNaN(instant.getTime())) {
    throw badRequest(catalogErrors.invalidStartsAt);
  }
  return instant;
}

/**
 * Changes a showtime. Prices may change at any time (a booking keeps the price
 * it paid); the start, hall and movie (what a customer bought) and the
 * currency (what the report adds up) only while no seat is booked.
 */
export async function updateShowtime(db: Database, seats: ShowtimeSeats, id: number, patch: ShowtimePatch, actor: Actor): Promise<Showtime> {
  assertSomethingToChange(patch);
  const requestedStart = patch.starts_at === undefined ? undefined : parseInstant(patch.starts_at);
  return translatingConflicts(() =>
    inStaffTransaction(db, async (trx) => {
      const current = await queries.lockShowtime(trx, id);
      if (current === undefined) {
        throw notFound(catalogErrors.showNotFound);
      }
      if (current.status === 'cancelled') {
        throw conflict(catalogErrors.showCancelled);
      }
      // A field sent back with its current value is no change (and no conflict).
      const startsAt = requestedStart !== undefined && requestedStart.getTime() !== current.starts_at.getTime() ? requestedStart : undefined;
      const hallId = patch.hall_id !== undefined && patch.hall_id !== current.hall_id ? patch.hall_id : undefined;
      const movieId = patch.movie_id !== undefined && patch.movie_id !== current.movie_id ? patch.movie_id : undefined;
      if (startsAt !== undefined && startsAt.getTime() <= Date.now()) {
        throw badRequest(catalogErrors.startsInPast);
      }
      if (hallId !== undefined && (await queries.findHall(trx, hallId)) === undefined) {
        throw notFound(catalogErrors.hallNotFound);
      }
      if (movieId !== undefined && (await queries.findMovie(trx, movieId)) === undefined) {
        throw notFound(catalogErrors.movieNotFound);
      }
      const price = patch.price ?? money(current.price_amount, current.currency);
      const premium = patch.premium_price ?? money(current.premium_price_amount, current.currency);
      if (price.currency !== premium.currency) {
        throw badRequest(catalogErrors.currencyMismatch);
      }
      const moves = startsAt !== undefined || hallId !== undefined || movieId !== undefined;
      const currencyChanges = price.currency !== current.currency;
      if ((moves || currencyChanges) && (await lockSeatsAndCountBookings(trx, seats, [id])) > 0) {
        throw conflict(moves ? catalogErrors.showHasBookings : catalogErrors.showCurrencyLocked(current.currency));
      }
      const before = await getShowtime(trx, id);
      if (moves) {
        // Recomputes ends_at and the hall's busy time; an overlap in the (new)
        // hall is refused by the exclusion constraint and becomes a 409.
        await queries.rescheduleShowtime(trx, id, {
          startsAt: startsAt ?? current.starts_at,
          hallId: hallId ?? current.hall_id,
          movieId: movieId ?? current.movie_id,
          hallChanged: hallId !== undefined,
        });
      }
      if (hallId !== undefined) {
        // Nothing is booked (checked above under the seat locks): the show gets
        // the new hall's seats, all available; holds on the old ones are dropped.
        await seats.deleteShowSeats(trx, [id]);
        await seats.insertShowSeatsFor(trx, [id]);
      }
      if (patch.price !== undefined || patch.premium_price !== undefined) {
        await queries.updateShowtimePrices(trx, id, { currency: price.currency, price_amount: price.amount, premium_price_amount: premium.amount });
      }
      if (moves || patch.price !== undefined || patch.premium_price !== undefined) {
        await seats.announceShowStatus(trx, id, 'scheduled'); // viewers read the show and its seats again
      }
      await queries.recordAudit(trx, { userId: actor.userId, action: 'update', entity: 'showtime', entityId: id, details: { changes: patch, before } });
      return getShowtime(trx, id);
    }),
  );
}

export async function deleteShowtime(db: Database, seats: ShowtimeSeats, id: number, actor: Actor): Promise<void> {
  await inStaffTransaction(db, async (trx) => {
    const showtime = await queries.lockShowtime(trx, id);
    if (showtime === undefined) {
      throw notFound(catalogErrors.showNotFound);
    }
    // Bookings of a cancelled show count too: they are the record of what is owed back.
    if ((await lockSeatsAndCountBookings(trx, seats, [id])) > 0) {
      throw conflict(showtime.status === 'cancelled' ? catalogErrors.deleteCancelledBookedShow : catalogErrors.deleteBookedShow);
    }
    const showSeats = await seats.deleteShowSeats(trx, [id]);
    await queries.deleteShowtimes(trx, [id]);
    await seats.announceShowStatus(trx, id, 'deleted'); // viewers and layout caches let go of it
    await queries.recordAudit(trx, {
      userId: actor.userId,
      action: 'delete',
      entity: 'showtime',
      entityId: id,
      details: { deleted: { show_seats: showSeats }, was: { hall_id: showtime.hall_id, movie_id: showtime.movie_id, starts_at: showtime.starts_at } },
    });
  });
}

const toRefund = (row: queries.RefundRow): Refund => ({
  booking_id: row.booking_id,
  reference: row.reference,
  user_id: row.user_id,
  username: row.username,
  seat: { id: row.seat_id, row: row.row, number: row.number },
  price: money(row.price_amount, row.currency),
});

/**
 * Cancels a showtime: from the commit on, holds and bookings answer 409, the
 * hall is free for another show (the overlap constraint only counts scheduled
 * ones), listings leave it out, and every booking comes back as a refund to make.
 */
export async function cancelShowtime(db: Database, seats: ShowtimeSeats, id: number, actor: Actor): Promise<CancelReply> {
  return inStaffTransaction(db, async (trx) => {
    const showtime = await queries.lockShowtime(trx, id);
    if (showtime === undefined) {
      throw notFound(catalogErrors.showNotFound);
    }
    if (showtime.status === 'cancelled') {
      throw conflict(catalogErrors.alreadyCancelled);
    }
    // With every seat row locked, no hold or booking is half-way: each one
    // committed before (and is in the refunds) or waits for our commit.
    await seats.lockShowSeatsOf(trx, [id]);
    await queries.markCancelled(trx, id);
    const holdsReleased = await seats.releaseHoldsOf(trx, id);
    await seats.announceShowStatus(trx, id, 'cancelled'); // delivered on commit, like every seat event
    const refunds = (await queries.selectRefunds(trx, id)).map(toRefund);
    const total = refunds.reduce((sum, refund) => sum + refund.price.amount, 0);
    await queries.recordAudit(trx, {
      userId: actor.userId,
      action: 'cancel',
      entity: 'showtime',
      entityId: id,
      details: { refunds: refunds.length, refund_total: money(total, showtime.currency), holds_released: holdsReleased },
    });
    return { showtime: await getShowtime(trx, id), refunds };
  });
}

// ── report ─────────────────────────────────────────────────────────────────

/**
 * Sales of one showtime as of now. Seat counts read live holds only (a hold
 * past locked_until is available); revenue is what bookings paid, all in the
 * showtime's currency, which cannot change once a seat is sold.
 */
export async function getShowtimeReport(db: Database, id: number): Promise<ShowtimeReport> {
  const showtime = await getShowtime(db, id);
  const [hours, types, orders] = await Promise.all([queries.selectBookingsPerHour(db, id), queries.selectRevenueByTicketType(db, id), queries.selectOrderTotals(db, id)]);
  const currency = showtime.price.currency;
  const revenue = hours.reduce((sum, hour) => sum + Number(hour.revenue), 0);
  const m = (amount: string | number) => money(Number(amount), currency);
  return {
    showtime,
    seats: { sold: showtime.seats.booked, held: showtime.seats.held, available: showtime.seats.available },
    revenue: money(revenue, currency),
    bookings_per_hour: hours.map(
      (hour): { hour: string; bookings: number; revenue: Money } => ({
        hour: hour.hour.toISOString(),
        bookings: hour.bookings,
        revenue: money(Number(hour.revenue), currency),
      }),
    ),
    by_ticket_type: types.map((t) => ({ ticket_type: { code: t.code, name: t.name }, seats: t.seats, revenue: m(t.revenue) })),
    orders: {
      paid: orders.paid,
      discounts: m(orders.discount),
      fees: m(orders.fee),
      tax: m(orders.tax),
      refunded: orders.refunded,
      refunded_amount: m(orders.refunded_amount),
    },
  };
}
