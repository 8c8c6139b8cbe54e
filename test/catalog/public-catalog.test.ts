import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../setup/app.ts';
import { createUser, expireHolds, type TestUser } from '../setup/factories.ts';

let app: TestApp;
let staff: TestUser;
let alice: TestUser;

beforeAll(async () => {
  app = await startTestApp();
  staff = await createUser(app.db, { staff: true });
  alice = await createUser(app.db);
});
afterAll(() => app.close());

const unique = (prefix: string) => `${prefix} ${randomBytes(4).toString('hex')}`;
async function created(path: string, body: unknown): Promise<any> {
  const reply = await app.http.post(path, body, { token: staff.token });
  expect(reply.status, JSON.stringify(reply.body)).toBe(201);
  return reply.body;
}
const venue = (extra: Record<string, unknown> = {}) => created('/api/admin/venues', { name: unique('Venue'), city: 'Springfield', ...extra });
const hall = (venueId: number, rows: unknown[] = [{ row: 'A', seats: 4 }], extra: Record<string, unknown> = {}) =>
  created('/api/admin/halls', { venue_id: venueId, name: unique('Hall'), rows, ...extra });
const movie = (minutes = 90) => created('/api/admin/movies', { title: unique('Movie'), duration_minutes: minutes });
const showtime = (hallId: number, movieId: number, startsAt: string, extra: Record<string, unknown> = {}) =>
  created('/api/admin/showtimes', { hall_id: hallId, movie_id: movieId, starts_at: startsAt, ...extra });
const inHours = (hours: number) => new Date(Date.now() + hours * 3_600_000).toISOString();

/** Every page of a listing, following next_cursor. */
async function allPages(path: string, limit: number): Promise<{ pages: any[][]; items: any[] }> {
  const pages: any[][] = [];
  let cursor: string | null = null;
  do {
    const separator = path.includes('?') ? '&' : '?';
    const url: string = `${path}${separator}limit=${limit}${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`;
    const reply = await app.http.get(url);
    expect(reply.status, JSON.stringify(reply.body)).toBe(200);
    pages.push(reply.body.items);
    cursor = reply.body.next_cursor;
  } while (cursor !== null && pages.length < 50);
  return { pages, items: pages.flat() };
}

describe('GET /api/venues and /api/movies', () => {
  it('when paging with limit=1, then every venue comes once in id order and the last page has next_cursor null', async () => {
    const made = [await venue({ time_zone: 'Europe/Berlin' }), await venue()];
    const { items } = await allPages('/api/venues', 1);
    const ids = items.map((v) => v.id);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(new Set(ids).size).toBe(ids.length);
    expect(items).toContainEqual({ ...made[0], time_zone: 'Europe/Berlin' });
    expect(items[0]).toEqual({ id: expect.any(Number), name: expect.any(String), city: expect.any(String), time_zone: expect.any(String), default_price: { amount: expect.any(Number), currency: expect.any(String) }, payment_required: false });
  });

  it('when listing movies, then the same page shape', async () => {
    const made = await movie(123);
    const reply = await app.http.get('/api/movies?limit=100');
    expect(reply.status).toBe(200);
    expect(reply.body.items).toContainEqual({ id: made.id, title: made.title, duration_minutes: 123, rating: null });
    expect(reply.body).toHaveProperty('next_cursor');
  });

  it('when the cursor or limit is malformed, then 400 naming it', async () => {
    for (const query of ['cursor=nonsense', 'cursor=WzEsMiwzXQ', 'limit=0', 'limit=101', 'limit=abc']) {
      const reply = await app.http.get(`/api/venues?${query}`);
      expect(reply.status, query).toBe(400);
      expect(reply.body.detail).toMatch(query.startsWith('cursor') ? /cursor/ : /limit/);
    }
  });
});

describe('GET /api/showtimes', () => {
  it('when listing, then each item is the SPEC showtime object and only scheduled, not-started showtimes appear, soonest first', async () => {
    const v = await venue({ default_price: { amount: 1100, currency: 'EUR' } });
    const h = await hall(v.id);
    const m = await movie(100);
    const later = await showtime(h.id, m.id, inHours(30));
    const sooner = await showtime(h.id, m.id, inHours(26), { price: { amount: 900, currency: 'EUR' } });
    const cancelled = await showtime(h.id, m.id, inHours(34));
    const started = await showtime(h.id, m.id, inHours(22));
    await sql`UPDATE showtimes SET status = 'cancelled' WHERE id = ${cancelled.id}`.execute(app.db);
    await sql`UPDATE showtimes SET starts_at = now() - interval '1 minute', ends_at = now() + interval '99 minutes', blocked_until = now() + interval '99 minutes' WHERE id = ${started.id}`.execute(app.db);

    const reply = await app.http.get(`/api/showtimes?venue_id=${v.id}`);
    expect(reply.status).toBe(200);
    expect(reply.body.items.map((s: any) => s.id)).toEqual([sooner.id, later.id]);
    expect(reply.body.next_cursor).toBeNull();
    expect(reply.body.items[0]).toEqual({
      id: sooner.id,
      starts_at: sooner.starts_at,
      ends_at: new Date(Date.parse(sooner.starts_at) + 100 * 60_000).toISOString(),
      status: 'scheduled',
      movie: { id: m.id, title: m.title, duration_minutes: 100, rating: null },
      hall: { id: h.id, name: h.name },
      venue: { id: v.id, name: v.name, city: 'Springfield', time_zone: 'UTC' },
      price: { amount: 900, currency: 'EUR' },
      premium_price: { amount: 900, currency: 'EUR' },
      seats: { available: 4, held: 0, booked: 0 },
      price_range: { min: { amount: 900, currency: 'EUR' }, max: { amount: 900, currency: 'EUR' } },
    });
    expect(reply.body.items[1].price).toEqual({ amount: 1100, currency: 'EUR' }); // the venue's default
  });

  it('when filtering by movie, venue and city (any case), then only matching showtimes', async () => {
    const here = await venue({ city: 'Lisbon' });
    const there = await venue({ city: 'Porto' });
    const [h1, h2] = [await hall(here.id), await hall(there.id)];
    const [m1, m2] = [await movie(), await movie()];
    const a = await showtime(h1.id, m1.id, inHours(40));
    const b = await showtime(h1.id, m2.id, inHours(44));
    const c = await showtime(h2.id, m1.id, inHours(40));
    const ids = async (query: string) => (await app.http.get(`/api/showtimes?limit=100&${query}`)).body.items.map((s: any) => s.id);
    expect(await ids(`movie_id=${m1.id}`)).toEqual([a.id, c.id].sort((x, y) => x - y));
    expect(await ids(`venue_id=${here.id}`)).toEqual([a.id, b.id]);
    expect(await ids('city=lisbon')).toEqual([a.id, b.id]);
    expect(await ids(`city=PORTO&movie_id=${m2.id}`)).toEqual([]);
  });

  it("when filtering by date, then the day is the venue's own calendar day, on both sides of UTC midnight", async () => {
    const auckland = await venue({ time_zone: 'Pacific/Auckland' }); // UTC+13 in January
    const losAngeles = await venue({ time_zone: 'America/Los_Angeles' }); // UTC-8 in January
    const m = await movie(60);
    const nz = await showtime((await hall(auckland.id)).id, m.id, '2031-01-15T11:30:00Z'); // 16 Jan 00:30 in Auckland
    const la = await showtime((await hall(losAngeles.id)).id, m.id, '2031-01-16T07:30:00Z'); // 15 Jan 23:30 in Los Angeles
    const on = async (date: string) =>
      (await app.http.get(`/api/showtimes?date=${date}&movie_id=${m.id}`)).body.items.map((s: any) => s.id);
    expect(await on('2031-01-15')).toEqual([la.id]);
    expect(await on('2031-01-16')).toEqual([nz.id]);
    expect(await on('2031-01-17')).toEqual([]);
  });

  it('when paging through showtimes with equal start times, then every one comes exactly once in (starts_at, id) order', async () => {
    const v = await venue();
    const m = await movie(60);
    const halls = [await hall(v.id), await hall(v.id)];
    const made: any[] = [];
    for (const hours of [50, 52, 54]) {
      for (const h of halls) {
        made.push(await showtime(h.id, m.id, new Date(Date.UTC(2031, 2, 1, hours - 48)).toISOString())); // two per start time
      }
    }
    const { pages, items } = await allPages(`/api/showtimes?venue_id=${v.id}`, 4);
    expect(pages.map((p) => p.length)).toEqual([4, 2]);
    const expected = [...made].sort((x, y) => x.starts_at.localeCompare(y.starts_at) || x.id - y.id).map((s) => s.id);
    expect(items.map((s) => s.id)).toEqual(expected);
  });

  it('when seats are held, booked and a hold expires, then the counts follow at once (no sweeper)', async () => {
    const v = await venue();
    const h = await hall(v.id, [{ row: 'A', seats: 5 }]);
    const show = await showtime(h.id, (await movie()).id, inHours(60));
    const seatIds = (await app.http.get(`/api/hall-layout/${show.id}/`)).body.seats.map((s: any) => s.id);
    const counts = async () => (await app.http.get(`/api/showtimes/${show.id}`)).body.seats;
    await app.http.post('/api/hold-seat/', { show_id: show.id, seat_id: seatIds[0] }, { token: alice.token });
    await app.http.post('/api/hold-seat/', { show_id: show.id, seat_id: seatIds[1] }, { token: alice.token });
    await app.http.post('/api/book-seat/', { show_id: show.id, seat_id: seatIds[2] }, { token: alice.token });
    expect(await counts()).toEqual({ available: 2, held: 2, booked: 1 });
    await expireHolds(app.db, show.id);
    expect(await counts()).toEqual({ available: 4, held: 0, booked: 1 });
    const listed = (await app.http.get(`/api/showtimes?venue_id=${v.id}`)).body.items[0];
    expect(listed.seats).toEqual({ available: 4, held: 0, booked: 1 });
    expect(await sql`SELECT 1 FROM show_seats WHERE showtime_id = ${show.id} AND status = 'held'`.execute(app.db)).toMatchObject({
      rows: [{}, {}], // still held in the table: the counts did not wait for anyone to release them
    });
  });

  it('when a filter is malformed, then 400 naming it', async () => {
    for (const [query, field] of [
      ['date=2031-02-30', 'date'],
      ['date=tomorrow', 'date'],
      ['movie_id=abc', 'movie_id'],
      ['venue_id=-1', 'venue_id'],
      ['cursor=%7B%7D', 'cursor'],
    ] as const) {
      const reply = await app.http.get(`/api/showtimes?${query}`);
      expect(reply.status, query).toBe(400);
      expect(reply.body.detail).toContain(field);
    }
  });
});

describe('GET /api/showtimes/{id}', () => {
  it('when the showtime exists (even cancelled), then 200 with its status; when not, 404 Show not found.', async () => {
    const v = await venue();
    const show = await showtime((await hall(v.id)).id, (await movie()).id, inHours(70));
    await sql`UPDATE showtimes SET status = 'cancelled' WHERE id = ${show.id}`.execute(app.db);
    const reply = await app.http.get(`/api/showtimes/${show.id}`);
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({ id: show.id, status: 'cancelled' });
    expect(await app.http.get('/api/showtimes/999999')).toMatchObject({ status: 404, body: { detail: 'Show not found.' } });
    expect((await app.http.get('/api/showtimes/abc')).status).toBe(400);
  });
});
