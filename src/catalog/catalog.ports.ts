import type { Kysely, Transaction } from 'kysely';
import type { DB } from '../db/schema.ts';
import type { Money } from '../shared/money.ts';

/**
 * What the catalog needs from the booking domain, which owns every lock and
 * write of `show_seats` and the show events viewers hear. The catalog never
 * imports booking: app.ts, main.ts and cli.ts pass booking's `showtimeSeats`
 * in (to `catalogAdminRoutes`, `seedDemoCinema`, `importCinema`, and each
 * staff write below them). Every function runs inside the caller's staff
 * transaction, in the lock order of README.md here.
 */
export type ShowtimeSeats = {
  /** Every show_seats row of the showtimes `FOR UPDATE`, in (showtime_id, seat_id) order; returns how many. */
  readonly lockShowSeatsOf: (trx: Transaction<DB>, showtimeIds: readonly number[]) => Promise<number>;
  /** Deletes the showtimes' show_seats (holds included); returns how many. */
  readonly deleteShowSeats: (trx: Transaction<DB>, showtimeIds: readonly number[]) => Promise<number>;
  /** One available show_seats row per seat of each showtime's current hall. */
  readonly insertShowSeatsFor: (trx: Transaction<DB>, showtimeIds: readonly number[]) => Promise<void>;
  /** Frees every hold of the showtime; returns how many were still live. */
  readonly releaseHoldsOf: (trx: Transaction<DB>, showtimeId: number) => Promise<number>;
  /** Tells the show's viewers (on commit) that the showtime changed, so they read it and its seats again. */
  readonly announceShowStatus: (trx: Transaction<DB>, showtimeId: number, status: 'scheduled' | 'cancelled' | 'deleted') => Promise<void>;
};

/** The cheapest and dearest ticket on sale online for a showtime. */
export type PriceRange = { min: Money; max: Money };

/**
 * What the catalog needs from the pricing domain: the price range of each
 * showtime (null when nothing is on sale online), for a page of showtimes in
 * one query. Pricing owns how a showtime is priced (its price card, the
 * ticket types on sale for the film); the catalog cannot import it, since
 * pricing records its staff writes through the catalog's audit log, so
 * app.ts passes pricing's `priceRanges` in (to `catalogRoutes`).
 */
export type ShowtimePriceRanges = (db: Kysely<DB>, showtimeIds: readonly number[]) => Promise<ReadonlyMap<number, PriceRange | null>>;
