import { randomBytes } from 'node:crypto';
import { expect } from 'vitest';
import { showtimeSeats } from '../../src/booking/index.ts';
import { createHall, createMovie, createShowtime, createVenue } from '../../src/catalog/index.ts';
import type { TestApp } from './app.ts';
import type { TestUser } from './factories.ts';

export const eur = (amount: number) => ({ amount, currency: 'EUR' });
export const tag = () => randomBytes(3).toString('hex').toUpperCase();

/** Ticket types made by staff through the API, each with a unique code: the keys, upper-cased, plus a suffix. */
export async function createTicketTypes<K extends string>(app: TestApp, staff: TestUser, bodies: Record<K, Record<string, unknown>>): Promise<Record<K, string>> {
  const codes = {} as Record<K, string>;
  for (const [key, body] of Object.entries(bodies) as [K, Record<string, unknown>][]) {
    const code = `${key.toUpperCase()}_${tag()}`;
    const reply = await app.http.post('/api/admin/ticket-types', { code, ...body }, { token: staff.token });
    expect(reply.status, JSON.stringify(reply.body)).toBe(201);
    codes[key] = code;
  }
  return codes;
}

/** A venue with two halls (the first with a premium back row of 4) and a showtime in each, Adult at 12.50 / 16.50 (10.00 in hall 2). */
export async function pricedCinema(app: TestApp) {
  const venue = await createVenue(app.db, { name: `Venue ${tag()}`, city: 'Springfield' });
  const hall = await createHall(app.db, { venue_id: venue.id, name: 'Hall 1', rows: [{ row: 'A', seats: 4 }, { row: 'B', seats: 4, kind: 'premium' }] });
  const other = await createHall(app.db, { venue_id: venue.id, name: 'Hall 2', rows: [{ row: 'A', seats: 4 }] });
  const movie = await createMovie(app.db, { title: 'Priced', duration_minutes: 90 });
  const startsAt = new Date(Date.now() + 3_600_000).toISOString();
  const show = await createShowtime(app.db, showtimeSeats, { hall_id: hall.id, movie_id: movie.id, starts_at: startsAt, price: eur(1250), premium_price: eur(1650) });
  const showInOther = await createShowtime(app.db, showtimeSeats, { hall_id: other.id, movie_id: movie.id, starts_at: startsAt, price: eur(1000) });
  const seats = await app.db.selectFrom('seats').select(['id', 'kind']).where('hall_id', '=', hall.id).orderBy('id').execute();
  return { venue, hall, other, show, showInOther, standardSeats: seats.filter((s) => s.kind === 'standard').map((s) => s.id), premiumSeats: seats.filter((s) => s.kind === 'premium').map((s) => s.id) };
}

/** A price card made by staff through the API (201 asserted). */
export async function createPriceCard(app: TestApp, staff: TestUser, body: Record<string, unknown>): Promise<{ id: number; default: boolean }> {
  const reply = await app.http.post('/api/admin/price-cards', body, { token: staff.token });
  expect(reply.status, JSON.stringify(reply.body)).toBe(201);
  return reply.body as { id: number; default: boolean };
}

/** pricedCinema with a default venue card "Standard" pricing each [ticket type, seat kind, amount]. */
export async function pricedCinemaWithCard(app: TestApp, staff: TestUser, prices: readonly [string, 'standard' | 'premium' | 'wheelchair', number][]) {
  const cinema = await pricedCinema(app);
  await createPriceCard(app, staff, {
    venue_id: cinema.venue.id,
    name: 'Standard',
    default: true,
    prices: prices.map(([ticket_type, seat_kind, amount]) => ({ ticket_type, seat_kind, price: eur(amount) })),
  });
  return cinema;
}
