import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { createSession, registerUser } from '../../src/accounts/index.ts';
import { hashPassword } from '../../src/accounts/passwords.ts';
import { showtimeSeats } from '../../src/booking/index.ts';
import { createHall, createMovie, createShowtime, createVenue } from '../../src/catalog/index.ts';
import type { Database } from '../../src/db/database.ts';

export type TestUser = { id: number; username: string; password: string; token: string };

const unique = (prefix: string) => `${prefix}${randomBytes(4).toString('hex')}`;

/** A user made by the real registration code, logged in. */
export async function createUser(db: Database, options: { staff?: boolean } = {}): Promise<TestUser> {
  const password = 'correct horse battery';
  const user = await registerUser(db, unique('user'), password);
  if (options.staff === true) {
    await db.updateTable('users').set({ is_staff: true }).where('id', '=', user.id).execute();
  }
  return { id: user.id, username: user.username, password, token: await createSession(db, user.id) };
}

/** Many logged-in users at once; they share one password hash to keep setup fast. */
export async function createUsers(db: Database, count: number): Promise<TestUser[]> {
  const password = 'correct horse battery';
  const passwordHash = await hashPassword(password);
  const rows = await db
    .insertInto('users')
    .values(Array.from({ length: count }, () => ({ username: unique('crowd'), password_hash: passwordHash })))
    .returning(['id', 'username'])
    .execute();
  return Promise.all(rows.map(async (row) => ({ ...row, password, token: await createSession(db, row.id) })));
}

export type TestShow = { showId: number; hallId: number; seatIds: number[] };

/**
 * A showtime in its own venue and hall (so shows never overlap), with seats
 * `rows × seatsPerRow`, starting an hour from now unless told otherwise.
 */
export async function createShow(
  db: Database,
  options: { rows?: number; seatsPerRow?: number; startsInMinutes?: number } = {},
): Promise<TestShow> {
  const venue = await createVenue(db, { name: unique('Venue '), city: 'Testville' });
  const rows = Array.from({ length: options.rows ?? 2 }, (_, i) => ({ row: String.fromCharCode(65 + i), seats: options.seatsPerRow ?? 5 }));
  const hall = await createHall(db, { venue_id: venue.id, name: 'Hall 1', rows });
  const movie = await createMovie(db, { title: 'Test Movie', duration_minutes: 90 });
  const startsAt = new Date(Date.now() + (options.startsInMinutes ?? 60) * 60_000);
  const show = await createShowtime(db, showtimeSeats, { hall_id: hall.id, movie_id: movie.id, starts_at: startsAt.toISOString() });
  const seats = await db.selectFrom('seats').select('id').where('hall_id', '=', hall.id).orderBy('id').execute();
  return { showId: show.id, hallId: hall.id, seatIds: seats.map((s) => s.id) };
}

/** Moves a show's start into the past, as if it had begun: sales are then closed. */
export async function startShowNow(db: Database, showId: number): Promise<void> {
  await sql`UPDATE showtimes SET starts_at = now() - interval '1 minute', ends_at = now() + interval '89 minutes' WHERE id = ${showId}`.execute(db);
}

/** Makes every hold on a show expire now, without waiting for the TTL. */
export async function expireHolds(db: Database, showId: number): Promise<void> {
  await sql`UPDATE show_seats SET locked_until = now() - interval '1 second' WHERE showtime_id = ${showId} AND status = 'held'`.execute(db);
}

export function showSeatRows(db: Database, showId: number) {
  return db
    .selectFrom('show_seats')
    .select(['seat_id', 'status', 'locked_by_id', 'locked_until', 'booked_at'])
    .where('showtime_id', '=', showId)
    .orderBy('seat_id')
    .execute();
}

export function bookingRows(db: Database, showId: number) {
  return db.selectFrom('bookings').select(['id', 'seat_id', 'user_id']).where('showtime_id', '=', showId).orderBy('seat_id').execute();
}
