import type { Database } from '../db/database.ts';
import { isExclusionViolation, isUniqueViolation } from '../db/pg-errors.ts';
import { badRequest, conflict, notFound } from '../shared/errors.ts';
import { catalogErrors } from './catalog.errors.ts';
import * as queries from './catalog.queries.ts';
import type { Hall, HallBody, Movie, MovieBody, Showtime, ShowtimeBody, Venue, VenueBody } from './catalog.schemas.ts';

export function isKnownTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

export async function createVenue(db: Database, body: VenueBody): Promise<Venue> {
  const timeZone = body.time_zone ?? 'UTC';
  if (!isKnownTimeZone(timeZone)) {
    throw badRequest(catalogErrors.unknownTimeZone(timeZone));
  }
  return queries.insertVenue(db, { name: body.name, city: body.city, time_zone: timeZone });
}

export async function createHall(db: Database, body: HallBody): Promise<Hall> {
  const seen = new Set<string>();
  for (const { row } of body.rows) {
    if (seen.has(row)) {
      throw badRequest(catalogErrors.duplicateRow(row));
    }
    seen.add(row);
  }
  if ((await queries.venueExists(db, body.venue_id)) === undefined) {
    throw notFound(catalogErrors.venueNotFound);
  }
  try {
    return await db.transaction().execute(async (trx) => {
      const hall = await queries.insertHall(trx, { venue_id: body.venue_id, name: body.name });
      const seatCount = await queries.insertSeats(trx, hall.id, body.rows);
      return { ...hall, seat_count: seatCount, rows: body.rows.map(({ row, seats }) => ({ row, seats })) };
    });
  } catch (error) {
    if (isUniqueViolation(error, 'halls_venue_id_name_key')) {
      throw conflict(catalogErrors.hallNameTaken);
    }
    throw error;
  }
}

export function createMovie(db: Database, body: MovieBody): Promise<Movie> {
  return queries.insertMovie(db, body);
}

export async function createShowtime(db: Database, body: ShowtimeBody): Promise<Showtime> {
  const startsAt = new Date(body.starts_at);
  // The date-time format admits what Date cannot represent (a leap second, 23:59:60).
  if (Number.isNaN(startsAt.getTime())) {
    throw badRequest(catalogErrors.invalidStartsAt);
  }
  if ((await queries.hallExists(db, body.hall_id)) === undefined) {
    throw notFound(catalogErrors.hallNotFound);
  }
  if ((await queries.findMovie(db, body.movie_id)) === undefined) {
    throw notFound(catalogErrors.movieNotFound);
  }
  try {
    const created = await queries.insertShowtimeWithSeats(db, { ...body, starts_at: startsAt });
    if (created === undefined) {
      throw notFound(catalogErrors.movieNotFound); // deleted between the check and the insert
    }
    return { ...created, starts_at: created.starts_at.toISOString(), ends_at: created.ends_at.toISOString() };
  } catch (error) {
    if (isExclusionViolation(error, 'showtimes_no_overlap')) {
      throw conflict(catalogErrors.hallBusy);
    }
    throw error;
  }
}
