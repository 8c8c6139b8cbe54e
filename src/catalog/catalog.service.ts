import type { Kysely, Transaction } from 'kysely';
import { DEFAULT_MAX_SEATS_PER_HALL } from '../config.ts';
import type { Database } from '../db/database.ts';
import { isExclusionViolation, isUniqueViolation } from '../db/pg-errors.ts';
import type { DB } from '../db/schema.ts';
import { decodeCursor, isIdKey, isTimeIdKey, toPage } from '../shared/cursor.ts';
import { badRequest, conflict, notFound } from '../shared/errors.ts';
import { money, type Money } from '../shared/money.ts';
import { catalogErrors } from './catalog.errors.ts';
import * as queries from './catalog.queries.ts';
import type { ShowtimeRow } from './catalog.queries.ts';
import type { ShowtimePriceRanges, ShowtimeSeats } from './catalog.ports.ts';
import type {
  Hall,
  HallBody,
  ListedShowtime,
  ListQuery,
  Movie,
  MovieBody,
  Rating,
  Showtime,
  ShowtimeBody,
  ShowtimesQuery,
  Venue,
  VenueBody,
} from './catalog.schemas.ts';
import { describeRows, planSeats } from './seat-map.ts';

/** Who makes a staff change, for the audit log; null for the CLI and the demo seed. */
export type Actor = { userId: number | null };
const system: Actor = { userId: null };

const DEFAULT_PRICE: Money = { amount: 1000, currency: 'EUR' };

/** The zone's canonical name to Node's ICU (what the web app's Intl reads), or undefined when ICU does not know it. */
function icuTimeZone(zone: string): string | undefined {
  try {
    return new Intl.DateTimeFormat('en', { timeZone: zone }).resolvedOptions().timeZone;
  } catch {
    return undefined;
  }
}

/**
 * Why a venue time zone is refused, as far as Node alone can tell: ICU does
 * not know it, or it is a fixed offset such as "+05:00". PostgreSQL reads an
 * offset as a POSIX zone, where east of Greenwich is negative, the opposite of
 * ISO 8601 and of the browser's Intl: the server's `date` listing and the web
 * app would put the same show ten hours apart.
 */
export function timeZoneProblem(zone: string): string | undefined {
  const canonical = icuTimeZone(zone);
  if (canonical === undefined) {
    return catalogErrors.unknownTimeZone(zone);
  }
  return /^[+-]\d/.test(canonical) ? catalogErrors.fixedOffsetTimeZone(zone) : undefined;
}

/**
 * `timeZoneProblem`, and PostgreSQL must know the exact name too: ICU still
 * reads names the tz database dropped ("US/Pacific-New") and names in any
 * case, which `AT TIME ZONE` refuses, so one such venue made every public
 * date listing fail.
 */
export async function venueTimeZoneProblem(db: Kysely<DB>, zone: string): Promise<string | undefined> {
  const problem = timeZoneProblem(zone);
  if (problem !== undefined || (await queries.isTimeZoneInDatabase(db, zone))) {
    return problem;
  }
  const current = icuTimeZone(zone);
  const known = current !== undefined && current !== zone && (await queries.isTimeZoneInDatabase(db, current));
  return catalogErrors.timeZoneUnknownToDatabase(zone, known ? current : undefined);
}

// ── replies ────────────────────────────────────────────────────────────────

export function toVenue(row: { id: number; name: string; city: string; time_zone: string; currency: string; default_price_amount: number; payment_required: boolean }): Venue {
  return {
    id: row.id,
    name: row.name,
    city: row.city,
    time_zone: row.time_zone,
    default_price: money(row.default_price_amount, row.currency),
    payment_required: row.payment_required,
  };
}

/** A rating as the API shows it: null when the movie is not rated. */
export function toRating(row: { rating_label: string | null; rating_min_age: number | null }): Rating | null {
  return row.rating_label === null || row.rating_min_age === null ? null : { label: row.rating_label, min_age: row.rating_min_age };
}

/** The columns a rating in a body (absent: unchanged, null: not rated) is written to. */
export function ratingColumns(rating: Rating | null | undefined): { rating_label?: string | null; rating_min_age?: number | null } {
  return rating === undefined ? {} : { rating_label: rating?.label ?? null, rating_min_age: rating?.min_age ?? null };
}

export function toMovie(row: queries.MovieRow): Movie {
  return { id: row.id, title: row.title, duration_minutes: row.duration_minutes, rating: toRating(row) };
}

export function toShowtime(row: ShowtimeRow): Showtime {
  return {
    id: row.id,
    starts_at: row.starts_at.toISOString(),
    ends_at: row.ends_at.toISOString(),
    status: row.status,
    movie: { id: row.movie_id, title: row.movie_title, duration_minutes: row.duration_minutes, rating: toRating(row) },
    hall: { id: row.hall_id, name: row.hall_name },
    venue: { id: row.venue_id, name: row.venue_name, city: row.city, time_zone: row.time_zone },
    price: money(row.price_amount, row.currency),
    premium_price: money(row.premium_price_amount, row.currency),
    seats: { available: row.available, held: row.held, booked: row.booked },
  };
}

export async function getHall(db: Database | Transaction<DB>, id: number): Promise<Hall> {
  const hall = await queries.findHall(db, id);
  if (hall === undefined) {
    throw notFound(catalogErrors.hallNotFound);
  }
  const seats = await queries.selectHallSeats(db, id);
  return {
    id: hall.id,
    venue_id: hall.venue_id,
    name: hall.name,
    seat_count: seats.length,
    rows: describeRows(seats),
    default_price: hall.default_price_amount === null ? null : money(hall.default_price_amount, hall.currency),
    cleaning_minutes: hall.cleaning_minutes,
  };
}

export async function getShowtime(db: Database | Transaction<DB>, id: number): Promise<Showtime> {
  const row = await queries.selectShowtime(db, id);
  if (row === undefined) {
    throw notFound(catalogErrors.showNotFound);
  }
  return toShowtime(row);
}

// ── staff writes ───────────────────────────────────────────────────────────

/**
 * The transaction of every staff write (create, change, delete, cancel): it
 * first takes the catalog's staff lock (catalog.queries.ts, README.md here),
 * so staff writes run one at a time and each reads the catalog as the previous
 * one left it. Everything, the audit row included, commits or rolls back together.
 */
export function inStaffTransaction<T>(db: Database, work: (trx: Transaction<DB>) => Promise<T>): Promise<T> {
  return db.transaction().execute(async (trx) => {
    await queries.beginStaffWrite(trx);
    return work(trx);
  });
}

// ── staff creates ──────────────────────────────────────────────────────────
//
// Each create runs in a transaction of its own; its `…InTransaction` variant
// does the same work inside the caller's, so a whole cinema can be written
// all-or-nothing (`boxoffice import`). After one of those throws, the caller's
// transaction is unusable (PostgreSQL aborted it): let it roll back.

export async function createVenue(db: Database, body: VenueBody, actor: Actor = system): Promise<Venue> {
  return inStaffTransaction(db, (trx) => createVenueInTransaction(trx, body, actor));
}

export async function createVenueInTransaction(trx: Transaction<DB>, body: VenueBody, actor: Actor = system): Promise<Venue> {
  const timeZone = body.time_zone ?? 'UTC';
  const zoneProblem = await venueTimeZoneProblem(trx, timeZone);
  if (zoneProblem !== undefined) {
    throw badRequest(zoneProblem);
  }
  const price = body.default_price ?? DEFAULT_PRICE;
  const venue = await queries.insertVenue(trx, {
    name: body.name,
    city: body.city,
    time_zone: timeZone,
    currency: price.currency,
    default_price_amount: price.amount,
    payment_required: body.payment_required ?? false,
  });
  await queries.recordAudit(trx, { userId: actor.userId, action: 'create', entity: 'venue', entityId: venue.id, details: body });
  return toVenue(venue);
}

/** `maxSeats` is MAX_SEATS_PER_HALL: the routes pass the configured one; seed, tests and bench make small halls. */
export async function createHall(db: Database, body: HallBody, actor: Actor = system, maxSeats = DEFAULT_MAX_SEATS_PER_HALL): Promise<Hall> {
  return inStaffTransaction(db, (trx) => createHallInTransaction(trx, body, actor, maxSeats));
}

export async function createHallInTransaction(
  trx: Transaction<DB>,
  body: HallBody,
  actor: Actor = system,
  maxSeats = DEFAULT_MAX_SEATS_PER_HALL,
): Promise<Hall> {
  const seats = planSeats(body.rows, maxSeats);
  const venue = await queries.findVenue(trx, body.venue_id);
  if (venue === undefined) {
    throw notFound(catalogErrors.venueNotFound);
  }
  if (body.default_price !== undefined && body.default_price.currency !== venue.currency.trim()) {
    throw badRequest(catalogErrors.hallPriceCurrency(venue.currency.trim()));
  }
  try {
    const hall = await queries.insertHall(trx, {
      venue_id: body.venue_id,
      name: body.name,
      default_price_amount: body.default_price?.amount ?? null,
      cleaning_minutes: body.cleaning_minutes ?? 0,
    });
    await queries.insertSeats(trx, hall.id, seats);
    await queries.recordAudit(trx, { userId: actor.userId, action: 'create', entity: 'hall', entityId: hall.id, details: body });
    return await getHall(trx, hall.id);
  } catch (error) {
    if (isUniqueViolation(error, 'halls_venue_id_name_key')) {
      throw conflict(catalogErrors.hallNameTaken);
    }
    throw error;
  }
}

export async function createMovie(db: Database, body: MovieBody, actor: Actor = system): Promise<Movie> {
  return inStaffTransaction(db, (trx) => createMovieInTransaction(trx, body, actor));
}

export async function createMovieInTransaction(trx: Transaction<DB>, body: MovieBody, actor: Actor = system): Promise<Movie> {
  const movie = await queries.insertMovie(trx, { title: body.title, duration_minutes: body.duration_minutes, rating_label: null, rating_min_age: null, ...ratingColumns(body.rating) });
  await queries.recordAudit(trx, { userId: actor.userId, action: 'create', entity: 'movie', entityId: movie.id, details: body });
  return toMovie(movie);
}

/** A start time a client sent: a real instant, in the future. */
export function parseStartsAt(value: string): Date {
  const startsAt = new Date(value);
  if (Number.isNaN(startsAt.getTime())) {
    throw badRequest(catalogErrors.invalidStartsAt);
  }
  if (startsAt.getTime() <= Date.now()) {
    throw badRequest(catalogErrors.startsInPast);
  }
  return startsAt;
}

/**
 * Prices of a showtime: given, else the hall's default, else the venue's; the
 * premium price defaults to the standard one. Both share one currency.
 */
export function resolvePrices(
  hall: { default_price_amount: number | null; venue_price_amount: number; currency: string },
  body: { price?: Money | undefined; premium_price?: Money | undefined },
): { currency: string; price_amount: number; premium_price_amount: number } {
  const price = body.price ?? money(hall.default_price_amount ?? hall.venue_price_amount, hall.currency);
  const premium = body.premium_price ?? price;
  if (premium.currency !== price.currency) {
    throw badRequest(catalogErrors.currencyMismatch);
  }
  return { currency: price.currency, price_amount: price.amount, premium_price_amount: premium.amount };
}

/** The showtime and its ShowSeats (written by the booking domain's `seats.insertShowSeatsFor`) in one transaction. */
export async function createShowtime(db: Database, seats: ShowtimeSeats, body: ShowtimeBody, actor: Actor = system): Promise<Showtime> {
  return inStaffTransaction(db, (trx) => createShowtimeInTransaction(trx, seats, body, actor));
}

export async function createShowtimeInTransaction(trx: Transaction<DB>, seats: ShowtimeSeats, body: ShowtimeBody, actor: Actor = system): Promise<Showtime> {
  const startsAt = parseStartsAt(body.starts_at);
  const hall = await queries.findHall(trx, body.hall_id);
  if (hall === undefined) {
    throw notFound(catalogErrors.hallNotFound);
  }
  if ((await queries.findMovie(trx, body.movie_id)) === undefined) {
    throw notFound(catalogErrors.movieNotFound);
  }
  const prices = resolvePrices(hall, body);
  try {
    const created = await queries.insertShowtime(trx, {
      hall_id: body.hall_id,
      movie_id: body.movie_id,
      starts_at: startsAt,
      cleaning_minutes: hall.cleaning_minutes,
      ...prices,
    });
    if (created === undefined) {
      throw notFound(catalogErrors.movieNotFound); // deleted between the check and the insert
    }
    await seats.insertShowSeatsFor(trx, [created]);
    await queries.recordAudit(trx, { userId: actor.userId, action: 'create', entity: 'showtime', entityId: created, details: body });
    return await getShowtime(trx, created);
  } catch (error) {
    if (isExclusionViolation(error, 'showtimes_no_overlap')) {
      throw conflict(catalogErrors.hallBusy);
    }
    throw error;
  }
}

// ── public reads ───────────────────────────────────────────────────────────

export async function listVenues(db: Database, query: ListQuery) {
  const limit = query.limit ?? 20;
  const [afterId] = query.cursor === undefined ? [0] : decodeCursor(query.cursor, isIdKey);
  const rows = await queries.listVenues(db, afterId, limit + 1);
  const page = toPage(rows, limit, (last) => [last.id]);
  return { items: page.items.map(toVenue), next_cursor: page.next_cursor };
}

export async function listMovies(db: Database, query: ListQuery) {
  const limit = query.limit ?? 20;
  const [afterId] = query.cursor === undefined ? [0] : decodeCursor(query.cursor, isIdKey);
  const page = toPage(await queries.listMovies(db, afterId, limit + 1), limit, (last) => [last.id]);
  return { items: page.items.map(toMovie), next_cursor: page.next_cursor };
}

/** The showtimes as the public catalog shows them: with their price ranges, one pricing query for all of them. */
async function withPriceRanges(db: Database, priceRanges: ShowtimePriceRanges, showtimes: readonly Showtime[]): Promise<ListedShowtime[]> {
  const ranges = await priceRanges(
    db,
    showtimes.map((showtime) => showtime.id),
  );
  return showtimes.map((showtime) => ({ ...showtime, price_range: ranges.get(showtime.id) ?? null }));
}

/** GET /api/showtimes/{id}: the showtime and its price range. */
export async function getListedShowtime(db: Database, priceRanges: ShowtimePriceRanges, id: number): Promise<ListedShowtime> {
  const [listed] = await withPriceRanges(db, priceRanges, [await getShowtime(db, id)]);
  return listed!;
}

export async function listShowtimes(db: Database, priceRanges: ShowtimePriceRanges, query: ShowtimesQuery) {
  const limit = query.limit ?? 20;
  const rows = await queries.selectUpcomingShowtimes(db, {
    date: query.date,
    city: query.city,
    movieId: query.movie_id,
    venueId: query.venue_id,
    after: query.cursor === undefined ? undefined : decodeCursor(query.cursor, isTimeIdKey),
    limit: limit + 1,
  });
  const page = toPage(rows, limit, (last) => [last.starts_at.toISOString(), last.id]);
  return { items: await withPriceRanges(db, priceRanges, page.items.map(toShowtime)), next_cursor: page.next_cursor };
}
