import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { showtimeSeats } from '../../src/booking/index.ts';
import { createShowtime } from '../../src/catalog/index.ts';
import { startTestApp, type TestApp } from '../setup/app.ts';
import { createUser, type TestUser } from '../setup/factories.ts';
import { createPriceCard, createTicketTypes, eur, pricedCinema, tag } from '../setup/pricing.ts';

let app: TestApp;
let staff: TestUser;
let types: Record<'child' | 'teen' | 'senior', string>;

beforeAll(async () => {
  app = await startTestApp();
  staff = await createUser(app.db, { staff: true });
  types = await createTicketTypes(app, staff, {
    child: { name: 'Child', max_film_min_age: 12 },
    teen: { name: 'Teen', max_film_min_age: 16 },
    senior: { name: 'Senior' },
  });
});
afterAll(() => app.close());

const asStaff = (method: string, path: string, body?: unknown) => app.http.send(method, path, body, { token: staff.token });
const typeRows = async () => (await sql<{ n: number }>`SELECT count(*)::int AS n FROM ticket_types`.execute(app.db)).rows[0]!.n;

/**
 * A cinema whose venue card prices Child at 6.00, Teen at 7.00 and Senior at
 * 9.00 (standard seats; premium 2.00 more), and one showtime in hall 1 of a
 * movie with the given rating (Adult 12.50 / 16.50).
 */
async function cinemaFor(rating: { label: string; min_age: number } | null) {
  const cinema = await pricedCinema(app);
  await createPriceCard(app, staff, {
    venue_id: cinema.venue.id,
    name: 'Standard',
    default: true,
    prices: [
      { ticket_type: types.child, seat_kind: 'standard', price: eur(600) },
      { ticket_type: types.child, seat_kind: 'premium', price: eur(800) },
      { ticket_type: types.teen, seat_kind: 'standard', price: eur(700) },
      { ticket_type: types.teen, seat_kind: 'premium', price: eur(900) },
      { ticket_type: types.senior, seat_kind: 'standard', price: eur(900) },
      { ticket_type: types.senior, seat_kind: 'premium', price: eur(1100) },
    ],
  });
  const movie = await asStaff('POST', '/api/admin/movies', { title: `Rated ${tag()}`, duration_minutes: 90, rating });
  expect(movie.status, JSON.stringify(movie.body)).toBe(201);
  const show = await createShowtime(app.db, showtimeSeats, {
    hall_id: cinema.hall.id,
    movie_id: movie.body.id,
    starts_at: new Date(Date.now() + 6 * 3_600_000).toISOString(),
    price: eur(1250),
    premium_price: eur(1650),
  });
  return { ...cinema, movie: movie.body, show };
}

const prices = async (showId: number) => {
  const reply = await app.http.get(`/api/showtimes/${showId}/prices`);
  expect(reply.status, JSON.stringify(reply.body)).toBe(200);
  return reply.body;
};
const codes = (body: any) => [...new Set(body.prices.map((p: any) => p.ticket_type.code))];
const quote = (showId: number, tickets: [number, string][]) =>
  app.http.post('/api/quote', { show_id: showId, tickets: tickets.map(([seat_id, ticket_type]) => ({ seat_id, ticket_type })) });

describe('ticket types limited by the film’s age rating', () => {
  it('when staff create and change a type with max_film_min_age, then it is stored, listed, audited, and null lifts it', async () => {
    const created = await asStaff('POST', '/api/admin/ticket-types', { code: `KID_${tag()}`, name: 'Kid', max_film_min_age: 6 });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body.max_film_min_age).toBe(6);
    expect((await app.http.get('/api/ticket-types')).body.items).toContainEqual(created.body);
    const changed = await asStaff('PATCH', `/api/admin/ticket-types/${created.body.id}`, { max_film_min_age: 0 });
    expect(changed.body.max_film_min_age).toBe(0);
    const lifted = await asStaff('PATCH', `/api/admin/ticket-types/${created.body.id}`, { max_film_min_age: null });
    expect(lifted.status).toBe(200);
    expect(lifted.body.max_film_min_age).toBeNull();
    const audit = await sql<{ details: any }>`SELECT details FROM audit_log WHERE entity = 'ticket_type' AND entity_id = ${created.body.id} ORDER BY id`.execute(app.db);
    expect(audit.rows.map((r) => r.details.max_film_min_age)).toEqual([6, 0, null]);
  });

  it.each([
    ['above 21', 22, 'max_film_min_age must be <= 21.'],
    ['negative', -1, 'max_film_min_age must be >= 0.'],
    ['fractional', 11.5, 'max_film_min_age must be an integer.'],
    ['a string', '12', 'max_film_min_age must be an integer.'],
  ])('when max_film_min_age is %s, then 400 naming it, on create and on change, and nothing is written', async (_case, value, detail) => {
    const before = await typeRows();
    const created = await asStaff('POST', '/api/admin/ticket-types', { code: `BAD_${tag()}`, name: 'Bad', max_film_min_age: value });
    expect(created.status, JSON.stringify(created.body)).toBe(400);
    expect(created.body.detail).toBe(detail);
    expect(await typeRows()).toBe(before);
    const child = await app.db.selectFrom('ticket_types').select(['id', 'name', 'max_film_min_age']).where('code', '=', types.child).executeTakeFirstOrThrow();
    const changed = await asStaff('PATCH', `/api/admin/ticket-types/${child.id}`, { name: 'Changed', max_film_min_age: value });
    expect(changed.status).toBe(400);
    expect(changed.body.detail).toBe(detail);
    expect(await app.db.selectFrom('ticket_types').select(['id', 'name', 'max_film_min_age']).where('id', '=', child.id).executeTakeFirstOrThrow()).toEqual(child);
  });

  it('when a film is rated above a type’s limit, then its price table leaves that type out and its range starts above it', async () => {
    const { show } = await cinemaFor({ label: '15', min_age: 15 });
    const body = await prices(show.id);
    expect(codes(body)).toEqual(['ADULT', types.teen, types.senior]);
    expect(body.range).toEqual({ min: eur(700), max: eur(1650) });

    const adult = await cinemaFor({ label: '18', min_age: 18 });
    const only = await prices(adult.show.id);
    expect(codes(only)).toEqual(['ADULT', types.senior]);
    expect(only.range).toEqual({ min: eur(900), max: eur(1650) });
  });

  it('when a film is rated at the limit, below it, or not at all, then the type is sold', async () => {
    for (const rating of [{ label: '12A', min_age: 12 }, { label: 'U', min_age: 0 }, null]) {
      const { show } = await cinemaFor(rating);
      const body = await prices(show.id);
      expect(codes(body), JSON.stringify(rating)).toEqual(['ADULT', types.child, types.teen, types.senior]);
      expect(body.range).toEqual({ min: eur(600), max: eur(1650) });
    }
  });

  it('when a quote asks for a type the film’s rating rules out, then 400 with one sentence naming the type and the rating', async () => {
    const { show, standardSeats } = await cinemaFor({ label: '15', min_age: 15 });
    const refused = await quote(show.id, [
      [standardSeats[0]!, 'ADULT'],
      [standardSeats[1]!, types.child],
    ]);
    expect(refused.status, JSON.stringify(refused.body)).toBe(400);
    expect(refused.body).toEqual({ detail: 'Child tickets are not sold for films rated 15; choose another ticket type.' });

    const allowed = await quote(show.id, [
      [standardSeats[0]!, 'ADULT'],
      [standardSeats[1]!, types.teen],
    ]);
    expect(allowed.status, JSON.stringify(allowed.body)).toBe(200);
    expect(allowed.body.total).toEqual(eur(1950));
  });

  it('when the film is rated at the limit, then the quote sells the type at its card price', async () => {
    const { show, standardSeats, premiumSeats } = await cinemaFor({ label: '12A', min_age: 12 });
    const reply = await quote(show.id, [
      [standardSeats[0]!, types.child],
      [premiumSeats[0]!, types.child],
    ]);
    expect(reply.status, JSON.stringify(reply.body)).toBe(200);
    expect(reply.body.lines.map((l: any) => l.price)).toEqual([eur(600), eur(800)]);
  });

  it('when staff re-rate a film, then prices and quotes follow the new rating at once', async () => {
    const { show, movie, standardSeats } = await cinemaFor({ label: 'PG', min_age: 8 });
    expect(codes(await prices(show.id))).toContain(types.child);
    expect((await quote(show.id, [[standardSeats[0]!, types.child]])).status).toBe(200);

    expect((await asStaff('PATCH', `/api/admin/movies/${movie.id}`, { rating: { label: '15', min_age: 15 } })).status).toBe(200);
    expect(codes(await prices(show.id))).not.toContain(types.child);
    const refused = await quote(show.id, [[standardSeats[0]!, types.child]]);
    expect(refused.status).toBe(400);
    expect(refused.body.detail).toBe('Child tickets are not sold for films rated 15; choose another ticket type.');

    expect((await asStaff('PATCH', `/api/admin/movies/${movie.id}`, { rating: null })).status).toBe(200);
    expect(codes(await prices(show.id))).toContain(types.child);
  });
});
