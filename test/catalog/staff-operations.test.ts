import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { catalogErrors } from '../../src/catalog/catalog.errors.ts';
import { startTestApp, type TestApp } from '../setup/app.ts';
import { releaseTogether } from '../setup/barrier.ts';
import { createUser, createUsers, expireHolds, startShowNow, type TestUser } from '../setup/factories.ts';

/**
 * SPEC §6 staff changes through HTTP: PATCH, DELETE, cancel and the report,
 * each checked in its reply and in the rows it leaves behind (audit included).
 */

let app: TestApp;
let staff: TestUser;
let customer: TestUser;
let alice: TestUser;
let bob: TestUser;

beforeAll(async () => {
  app = await startTestApp();
  staff = await createUser(app.db, { staff: true });
  customer = await createUser(app.db);
  [alice, bob] = (await createUsers(app.db, 2)) as [TestUser, TestUser];
});
afterAll(() => app.close());

const unique = (prefix: string) => `${prefix} ${randomBytes(4).toString('hex')}`;
const minutes = (n: number) => n * 60_000;
/** A fixed future evening, so tests compute exact times and overlaps without racing the clock. */
const EVENING = Date.UTC(2031, 5, 1, 18, 0);
const at = (offsetMinutes: number) => new Date(EVENING + minutes(offsetMinutes)).toISOString();

const asStaff = (method: string, path: string, body?: unknown) => app.http.send(method, path, body, { token: staff.token });
async function created(path: string, body: unknown): Promise<any> {
  const reply = await asStaff('POST', path, body);
  expect(reply.status, JSON.stringify(reply.body)).toBe(201);
  return reply.body;
}
const newVenue = (extra: Record<string, unknown> = {}) => created('/api/admin/venues', { name: unique('Venue'), city: 'Springfield', ...extra });
const newHall = async (rows: unknown[] = [{ row: 'A', seats: 3 }], extra: Record<string, unknown> = {}, venueId?: number) =>
  created('/api/admin/halls', { venue_id: venueId ?? (await newVenue()).id, name: unique('Hall'), rows, ...extra });
const newMovie = (duration = 90) => created('/api/admin/movies', { title: unique('Movie'), duration_minutes: duration });
const schedule = (hallId: number, movieId: number, startsAt: string, extra: Record<string, unknown> = {}) =>
  created('/api/admin/showtimes', { hall_id: hallId, movie_id: movieId, starts_at: startsAt, ...extra });

/** A venue, a hall (rows × seats) and a 90-minute show at EVENING + offset. */
async function newShow(options: { rows?: unknown[]; offset?: number; hallExtra?: Record<string, unknown> } = {}) {
  const hall = await newHall(options.rows ?? [{ row: 'A', seats: 4 }], options.hallExtra ?? {});
  const movie = await newMovie(90);
  const show = await schedule(hall.id, movie.id, at(options.offset ?? 0));
  return { hall, movie, show, seatIds: await seatIdsOf(hall.id) };
}

async function seatIdsOf(hallId: number): Promise<number[]> {
  return (await app.db.selectFrom('seats').select('id').where('hall_id', '=', hallId).orderBy('id').execute()).map((s) => s.id);
}
const hold = (user: TestUser, showId: number, seatId: number) => app.http.post('/api/hold-seat/', { show_id: showId, seat_id: seatId }, { token: user.token });
const book = (user: TestUser, showId: number, seatId: number) => app.http.post('/api/book-seat/', { show_id: showId, seat_id: seatId }, { token: user.token });
async function booked(user: TestUser, showId: number, seatId: number): Promise<any> {
  const reply = await book(user, showId, seatId);
  expect(reply.status, JSON.stringify(reply.body)).toBe(201);
  return reply.body;
}

const showtimeRow = (id: number) => app.db.selectFrom('showtimes').selectAll().where('id', '=', id).executeTakeFirst();
const showSeats = (showId: number) =>
  app.db.selectFrom('show_seats').select(['id', 'seat_id', 'status', 'locked_by_id']).where('showtime_id', '=', showId).orderBy('seat_id').execute();
const auditRows = (entity: string, entityId: number) =>
  app.db.selectFrom('audit_log').select(['user_id', 'action', 'entity', 'entity_id', 'details']).where('entity', '=', entity).where('entity_id', '=', entityId).orderBy('id').execute();
const auditCount = async () => Number((await sql<{ n: number }>`SELECT count(*)::int AS n FROM audit_log`.execute(app.db)).rows[0]!.n);
const exists = async (table: 'venues' | 'halls' | 'movies' | 'showtimes', id: number) =>
  (await app.db.selectFrom(table).select('id').where('id', '=', id).executeTakeFirst()) !== undefined;

/** The audit row of the last staff write to this entity must be the one given. */
async function expectAudit(entity: string, entityId: number, action: string, details: unknown = expect.anything()) {
  const rows = await auditRows(entity, entityId);
  expect(rows.at(-1)).toEqual({ user_id: staff.id, action, entity, entity_id: entityId, details });
}

describe('staff only: every new route', () => {
  // Valid requests, so the only reason to refuse is who is asking.
  async function routes(): Promise<[string, string, unknown, () => Promise<boolean>][]> {
    const { hall, movie, show } = await newShow({ offset: 10_000 });
    const venueId = hall.venue_id as number;
    const unchanged = async () =>
      (await exists('venues', venueId)) &&
      (await exists('halls', hall.id)) &&
      (await exists('movies', movie.id)) &&
      (await showtimeRow(show.id))?.status === 'scheduled' &&
      (await showtimeRow(show.id))?.price_amount === 1000;
    return [
      ['PATCH', `/api/admin/venues/${venueId}`, { name: 'Renamed' }, unchanged],
      ['PATCH', `/api/admin/halls/${hall.id}`, { name: 'Renamed' }, unchanged],
      ['PATCH', `/api/admin/movies/${movie.id}`, { title: 'Renamed' }, unchanged],
      ['PATCH', `/api/admin/showtimes/${show.id}`, { price: { amount: 1, currency: 'EUR' } }, unchanged],
      ['DELETE', `/api/admin/showtimes/${show.id}`, undefined, unchanged],
      ['DELETE', `/api/admin/movies/${movie.id}`, undefined, unchanged],
      ['DELETE', `/api/admin/halls/${hall.id}`, undefined, unchanged],
      ['DELETE', `/api/admin/venues/${venueId}`, undefined, unchanged],
      ['POST', `/api/admin/showtimes/${show.id}/cancel`, undefined, unchanged],
      ['GET', `/api/admin/showtimes/${show.id}/report`, undefined, async () => true],
    ];
  }

  it('when anonymous, then 401 everywhere, nothing changes and nothing is audited', async () => {
    const audits = await auditCount();
    for (const [method, path, body, unchanged] of await routes()) {
      const reply = await app.http.send(method, path, body);
      expect(reply.status, `${method} ${path}`).toBe(401);
      expect(reply.body.detail, path).toMatch(/^Authentication required/);
      expect(await unchanged(), `${method} ${path}`).toBe(true);
    }
    expect(await auditCount()).toBe(audits + 4); // the four creates of routes() only
  });

  it('when a customer, then 403 everywhere, nothing changes and nothing is audited', async () => {
    const audits = await auditCount();
    for (const [method, path, body, unchanged] of await routes()) {
      const reply = await app.http.send(method, path, body, { token: customer.token });
      expect(reply.status, `${method} ${path}`).toBe(403);
      expect(reply.body, path).toEqual({ detail: 'Only staff members may do this.' });
      expect(await unchanged(), `${method} ${path}`).toBe(true);
    }
    expect(await auditCount()).toBe(audits + 4);
  });
});

describe('PATCH bodies', () => {
  it('when the body is empty, then 400 asking for a field', async () => {
    const movie = await newMovie();
    const reply = await asStaff('PATCH', `/api/admin/movies/${movie.id}`, {});
    expect(reply.status).toBe(400);
    expect(reply.body).toEqual({ detail: catalogErrors.emptyPatch });
  });

  it('when a field is unknown (a typo, or one that cannot change such as venue_id), then 400 naming it and nothing changes', async () => {
    const hall = await newHall();
    const typo = await asStaff('PATCH', `/api/admin/halls/${hall.id}`, { nmae: 'Oops' });
    expect(typo.status).toBe(400);
    expect(typo.body.detail).toContain('nmae');
    const venue = await asStaff('PATCH', `/api/admin/halls/${hall.id}`, { name: 'X', venue_id: hall.venue_id });
    expect(venue.status).toBe(400);
    expect(venue.body.detail).toContain('venue_id');
    expect((await app.db.selectFrom('halls').select('name').where('id', '=', hall.id).executeTakeFirstOrThrow()).name).toBe(hall.name);
  });

  it('when the id is unknown, then 404 with the sentence of each entity', async () => {
    const cases: [string, unknown, string][] = [
      ['venues', { name: 'X' }, catalogErrors.venueNotFound],
      ['halls', { name: 'X' }, catalogErrors.hallNotFound],
      ['movies', { title: 'X' }, catalogErrors.movieNotFound],
      ['showtimes', { price: { amount: 1, currency: 'EUR' } }, catalogErrors.showNotFound],
    ];
    for (const [entity, body, detail] of cases) {
      const reply = await asStaff('PATCH', `/api/admin/${entity}/999999`, body);
      expect(reply.status, entity).toBe(404);
      expect(reply.body).toEqual({ detail });
    }
  });
});

describe('PATCH /api/admin/venues/:id', () => {
  it('when name, city and time_zone change, then 200 with the venue, the row changed, and one audit row with the changes', async () => {
    const venue = await newVenue();
    const reply = await asStaff('PATCH', `/api/admin/venues/${venue.id}`, { name: 'The Roxy', city: 'Lisbon', time_zone: 'Europe/Lisbon' });
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({ ...venue, name: 'The Roxy', city: 'Lisbon', time_zone: 'Europe/Lisbon' });
    const row = await app.db.selectFrom('venues').select(['name', 'city', 'time_zone']).where('id', '=', venue.id).executeTakeFirstOrThrow();
    expect(row).toEqual({ name: 'The Roxy', city: 'Lisbon', time_zone: 'Europe/Lisbon' });
    await expectAudit('venue', venue.id, 'update', { changes: { name: 'The Roxy', city: 'Lisbon', time_zone: 'Europe/Lisbon' }, before: venue });
  });

  it('when the time_zone is unknown, then 400 naming it and nothing changes', async () => {
    const venue = await newVenue();
    const reply = await asStaff('PATCH', `/api/admin/venues/${venue.id}`, { time_zone: 'Mars/Olympus_Mons' });
    expect(reply.status).toBe(400);
    expect(reply.body).toEqual({ detail: catalogErrors.unknownTimeZone('Mars/Olympus_Mons') });
    expect((await app.db.selectFrom('venues').select('time_zone').where('id', '=', venue.id).executeTakeFirstOrThrow()).time_zone).toBe('UTC');
    expect(await auditRows('venue', venue.id)).toHaveLength(1); // its create only
  });

  it('when the default price changes, then showtimes already scheduled keep their price and new ones get the new default', async () => {
    const venue = await newVenue();
    const hall = await newHall([{ row: 'A', seats: 2 }], {}, venue.id);
    const movie = await newMovie();
    const before = await schedule(hall.id, movie.id, at(0));
    const reply = await asStaff('PATCH', `/api/admin/venues/${venue.id}`, { default_price: { amount: 1450, currency: 'EUR' } });
    expect(reply.status).toBe(200);
    expect(reply.body.default_price).toEqual({ amount: 1450, currency: 'EUR' });
    expect((await showtimeRow(before.id))?.price_amount).toBe(1000);
    const after = await schedule(hall.id, movie.id, at(600));
    expect(after.price).toEqual({ amount: 1450, currency: 'EUR' });
  });

  it('when the currency would change under halls that have their own default price, then 409 and nothing changes', async () => {
    const venue = await newVenue();
    await newHall([{ row: 'A', seats: 2 }], { default_price: { amount: 900, currency: 'EUR' } }, venue.id);
    const reply = await asStaff('PATCH', `/api/admin/venues/${venue.id}`, { default_price: { amount: 800, currency: 'GBP' } });
    expect(reply.status).toBe(409);
    expect(reply.body).toEqual({ detail: catalogErrors.venueCurrencyInUse('EUR') });
    const row = await app.db.selectFrom('venues').select(['currency', 'default_price_amount']).where('id', '=', venue.id).executeTakeFirstOrThrow();
    expect(row).toEqual({ currency: 'EUR', default_price_amount: 1000 });
  });
});

describe('PATCH /api/admin/halls/:id', () => {
  it('when name, default price and cleaning time change, then 200; scheduled showtimes keep their busy time and new ones get the new cleaning time', async () => {
    const { hall, movie, show } = await newShow();
    const reply = await asStaff('PATCH', `/api/admin/halls/${hall.id}`, {
      name: 'Screen Z',
      default_price: { amount: 1300, currency: 'EUR' },
      cleaning_minutes: 15,
    });
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({ ...hall, name: 'Screen Z', default_price: { amount: 1300, currency: 'EUR' }, cleaning_minutes: 15 });
    const old = await showtimeRow(show.id);
    expect([old?.blocked_until.toISOString(), old?.price_amount]).toEqual([at(90), 1000]);
    // The old show ends at 19:30, so a show at 19:30 fits; it now keeps the hall busy 15 minutes longer.
    const next = await schedule(hall.id, movie.id, at(90));
    expect(next.price).toEqual({ amount: 1300, currency: 'EUR' });
    expect((await showtimeRow(next.id))?.blocked_until.toISOString()).toBe(at(195));
    await expectAudit('hall', hall.id, 'update', expect.objectContaining({ changes: { name: 'Screen Z', default_price: { amount: 1300, currency: 'EUR' }, cleaning_minutes: 15 } }));
  });

  it('when the default price is null, then the hall falls back to the venue default', async () => {
    const hall = await newHall([{ row: 'A', seats: 1 }], { default_price: { amount: 700, currency: 'EUR' } });
    const reply = await asStaff('PATCH', `/api/admin/halls/${hall.id}`, { default_price: null });
    expect(reply.status).toBe(200);
    expect(reply.body.default_price).toBeNull();
    expect((await app.db.selectFrom('halls').select('default_price_amount').where('id', '=', hall.id).executeTakeFirstOrThrow()).default_price_amount).toBeNull();
  });

  it("when the default price is not in the venue's currency, then 400", async () => {
    const hall = await newHall();
    const reply = await asStaff('PATCH', `/api/admin/halls/${hall.id}`, { default_price: { amount: 700, currency: 'USD' } });
    expect(reply.status).toBe(400);
    expect(reply.body).toEqual({ detail: catalogErrors.hallPriceCurrency('EUR') });
  });

  it('when the name is taken in the venue, then 409 and nothing changes', async () => {
    const first = await newHall();
    const second = await newHall([{ row: 'A', seats: 1 }], {}, first.venue_id);
    const reply = await asStaff('PATCH', `/api/admin/halls/${second.id}`, { name: first.name });
    expect(reply.status).toBe(409);
    expect(reply.body).toEqual({ detail: catalogErrors.hallNameTaken });
    expect((await app.db.selectFrom('halls').select('name').where('id', '=', second.id).executeTakeFirstOrThrow()).name).toBe(second.name);
  });

  it('when the rows change and nothing is booked, then its seats and every showtime’s show_seats are replaced and holds are dropped', async () => {
    const { hall, movie, show, seatIds } = await newShow({ rows: [{ row: 'A', seats: 4 }] });
    const later = await schedule(hall.id, movie.id, at(600));
    expect((await hold(alice, show.id, seatIds[0]!)).status).toBe(200);

    const rows = [
      { row: 'A', seats: 2 },
      { row: 'B', seats: 3, kind: 'premium' },
    ];
    const reply = await asStaff('PATCH', `/api/admin/halls/${hall.id}`, { rows });
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({ id: hall.id, seat_count: 5, rows: [{ row: 'A', seats: 2, kind: 'standard' }, { row: 'B', seats: 3, kind: 'premium' }] });

    const newSeatIds = await seatIdsOf(hall.id);
    expect(newSeatIds).toHaveLength(5);
    expect(newSeatIds.some((id) => seatIds.includes(id))).toBe(false);
    for (const showId of [show.id, later.id]) {
      const seats = await showSeats(showId);
      expect(seats.map((s) => s.seat_id)).toEqual(newSeatIds);
      expect(seats.every((s) => s.status === 'available' && s.locked_by_id === null)).toBe(true);
    }
    const layout = await app.http.get(`/api/hall-layout/${show.id}/`);
    expect(layout.body.seats.map((s: any) => `${s.row}${s.number}`)).toEqual(['A1', 'A2', 'B1', 'B2', 'B3']);
    await expectAudit('hall', hall.id, 'update', expect.objectContaining({ seats_replaced: true, showtimes_reseated: 2 }));
  });

  it('when the rows change once a seat of any of its showtimes is booked, then 409 and seats and show_seats are untouched', async () => {
    const { hall, movie, seatIds } = await newShow();
    const other = await schedule(hall.id, movie.id, at(600));
    await booked(alice, other.id, seatIds[1]!);
    const before = await showSeats(other.id);
    const reply = await asStaff('PATCH', `/api/admin/halls/${hall.id}`, { rows: [{ row: 'A', seats: 9 }], name: 'Not applied' });
    expect(reply.status).toBe(409);
    expect(reply.body).toEqual({ detail: catalogErrors.hallHasBookings });
    expect(await seatIdsOf(hall.id)).toEqual(seatIds);
    expect(await showSeats(other.id)).toEqual(before);
    expect((await app.db.selectFrom('halls').select('name').where('id', '=', hall.id).executeTakeFirstOrThrow()).name).toBe(hall.name);
  });

  it('when the same rows are sent back with a new name while seats are booked, then 200: the seat map did not change', async () => {
    const { hall, show, seatIds } = await newShow();
    await booked(alice, show.id, seatIds[0]!);
    const reply = await asStaff('PATCH', `/api/admin/halls/${hall.id}`, { name: 'Renamed', rows: hall.rows });
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({ ...hall, name: 'Renamed' });
    expect(await seatIdsOf(hall.id)).toEqual(seatIds);
    await expectAudit('hall', hall.id, 'update', expect.objectContaining({ seats_replaced: false }));
  });
});

describe('PATCH /api/admin/movies/:id', () => {
  it('when the title changes after seats are booked, then 200 and showtimes show the new title', async () => {
    const { movie, show, seatIds } = await newShow();
    await booked(alice, show.id, seatIds[0]!);
    const reply = await asStaff('PATCH', `/api/admin/movies/${movie.id}`, { title: 'Director’s Cut' });
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({ id: movie.id, title: 'Director’s Cut', duration_minutes: 90, rating: null });
    expect((await app.http.get(`/api/showtimes/${show.id}`)).body.movie.title).toBe('Director’s Cut');
    await expectAudit('movie', movie.id, 'update', { changes: { title: 'Director’s Cut' }, before: movie, showtimes_rescheduled: [] });
  });

  it('when the duration changes, then showtimes that have not started (booked or not) get new ends, keeping their cleaning time; a started one keeps its end', async () => {
    const hall = await newHall([{ row: 'A', seats: 2 }], { cleaning_minutes: 10 });
    const movie = await newMovie(90);
    const upcoming = await schedule(hall.id, movie.id, at(0));
    const bookedShow = await schedule(hall.id, movie.id, at(600));
    // In a hall of its own: startShowNow moves its start to now, in front of the others.
    const running = await schedule((await newHall()).id, movie.id, at(1200));
    await booked(alice, bookedShow.id, (await seatIdsOf(hall.id))[0]!);
    await startShowNow(app.db, running.id);
    const runningBefore = await showtimeRow(running.id);

    const reply = await asStaff('PATCH', `/api/admin/movies/${movie.id}`, { duration_minutes: 120 });
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({ id: movie.id, title: movie.title, duration_minutes: 120, rating: null });
    for (const [show, start] of [
      [upcoming, 0],
      [bookedShow, 600],
    ] as const) {
      const row = await showtimeRow(show.id);
      expect([row?.starts_at.toISOString(), row?.ends_at.toISOString(), row?.blocked_until.toISOString()]).toEqual([at(start), at(start + 120), at(start + 130)]);
    }
    expect(await showtimeRow(running.id)).toEqual(runningBefore);
    await expectAudit('movie', movie.id, 'update', expect.objectContaining({ showtimes_rescheduled: [upcoming.id, bookedShow.id] }));
  });

  it('when a longer duration would run a showtime into the next one in its hall, then 409 and nothing changed', async () => {
    const hall = await newHall();
    const movie = await newMovie(90);
    const other = await newMovie(60);
    const first = await schedule(hall.id, movie.id, at(0));
    const unaffected = await schedule((await newHall()).id, movie.id, at(0));
    await schedule(hall.id, other.id, at(100));
    const reply = await asStaff('PATCH', `/api/admin/movies/${movie.id}`, { duration_minutes: 120, title: 'Not applied' });
    expect(reply.status).toBe(409);
    expect(reply.body).toEqual({ detail: catalogErrors.movieRunsIntoNextShow });
    expect(await app.db.selectFrom('movies').select(['id', 'title', 'duration_minutes']).where('id', '=', movie.id).executeTakeFirst()).toEqual({
      id: movie.id,
      title: movie.title,
      duration_minutes: movie.duration_minutes,
    });
    expect((await showtimeRow(first.id))?.ends_at.toISOString()).toBe(at(90));
    expect((await showtimeRow(unaffected.id))?.ends_at.toISOString()).toBe(at(90));
    expect(await auditRows('movie', movie.id)).toHaveLength(1);
  });
});

describe('PATCH /api/admin/showtimes/:id', () => {
  it('when the price changes after a booking, then 200 with the new price; the booking keeps what it paid and the next booking pays the new price', async () => {
    const { show, seatIds } = await newShow();
    const first = await booked(alice, show.id, seatIds[0]!);
    expect(first.price).toEqual({ amount: 1000, currency: 'EUR' });

    const reply = await asStaff('PATCH', `/api/admin/showtimes/${show.id}`, { price: { amount: 1500, currency: 'EUR' } });
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({ ...show, price: { amount: 1500, currency: 'EUR' }, seats: { available: 3, held: 0, booked: 1 } });

    const paid = await app.db.selectFrom('bookings').select(['price_amount', 'currency']).where('id', '=', first.booking_id).executeTakeFirstOrThrow();
    expect(paid).toEqual({ price_amount: 1000, currency: 'EUR' });
    const mine = await app.http.get('/api/my-bookings/', { token: alice.token });
    expect(mine.body.items.find((b: any) => b.booking_id === first.booking_id).price).toEqual({ amount: 1000, currency: 'EUR' });
    expect((await booked(bob, show.id, seatIds[1]!)).price).toEqual({ amount: 1500, currency: 'EUR' });
    await expectAudit('showtime', show.id, 'update', { changes: { price: { amount: 1500, currency: 'EUR' } }, before: expect.objectContaining({ price: { amount: 1000, currency: 'EUR' } }) });
  });

  it('when starts_at changes and nothing is booked, then ends_at and the busy time follow, and holds stay', async () => {
    const { show, seatIds } = await newShow({ hallExtra: { cleaning_minutes: 20 } });
    expect((await hold(alice, show.id, seatIds[0]!)).status).toBe(200);
    const reply = await asStaff('PATCH', `/api/admin/showtimes/${show.id}`, { starts_at: at(45) });
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({ id: show.id, starts_at: at(45), ends_at: at(135), status: 'scheduled', seats: { available: 3, held: 1, booked: 0 } });
    const row = await showtimeRow(show.id);
    expect([row?.starts_at.toISOString(), row?.ends_at.toISOString(), row?.blocked_until.toISOString()]).toEqual([at(45), at(135), at(155)]);
    expect((await showSeats(show.id)).find((s) => s.seat_id === seatIds[0])).toMatchObject({ status: 'held', locked_by_id: alice.id });
    await expectAudit('showtime', show.id, 'update', { changes: { starts_at: at(45) }, before: expect.objectContaining({ starts_at: at(0) }) });
  });

  it.each([
    ['starts_at', (_ids: { hall: number; movie: number }) => ({ starts_at: at(30) })],
    ['hall_id', (ids: { hall: number; movie: number }) => ({ hall_id: ids.hall })],
    ['movie_id', (ids: { hall: number; movie: number }) => ({ movie_id: ids.movie })],
  ])('when %s changes once a seat is booked, then 409 and the showtime and its seats are untouched', async (_field, body) => {
    const { show, seatIds } = await newShow();
    await booked(alice, show.id, seatIds[2]!);
    const change = { ...body({ hall: (await newHall()).id, movie: (await newMovie(100)).id }), price: { amount: 1, currency: 'EUR' } };
    const [rowBefore, seatsBefore, audits] = [await showtimeRow(show.id), await showSeats(show.id), await auditCount()];
    const reply = await asStaff('PATCH', `/api/admin/showtimes/${show.id}`, change);
    expect(reply.status).toBe(409);
    expect(reply.body).toEqual({ detail: catalogErrors.showHasBookings });
    expect(await showtimeRow(show.id)).toEqual(rowBefore);
    expect(await showSeats(show.id)).toEqual(seatsBefore);
    expect(await auditCount()).toBe(audits);
  });

  it('when the current start, hall and movie are sent back while booked, then 200: nothing moves', async () => {
    const { show, seatIds } = await newShow();
    await booked(alice, show.id, seatIds[0]!);
    const reply = await asStaff('PATCH', `/api/admin/showtimes/${show.id}`, {
      starts_at: '2031-06-01T20:00:00+02:00',
      hall_id: show.hall.id,
      movie_id: show.movie.id,
      premium_price: { amount: 2000, currency: 'EUR' },
    });
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({ starts_at: at(0), premium_price: { amount: 2000, currency: 'EUR' } });
  });

  it('when the hall changes and nothing is booked, then its show_seats become the new hall’s seats, holds are dropped and the new hall’s cleaning time applies', async () => {
    const { show, seatIds } = await newShow();
    expect((await hold(alice, show.id, seatIds[0]!)).status).toBe(200);
    const target = await newHall([{ row: 'K', seats: 6 }], { cleaning_minutes: 25 });
    const reply = await asStaff('PATCH', `/api/admin/showtimes/${show.id}`, { hall_id: target.id });
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({ hall: { id: target.id, name: target.name }, seats: { available: 6, held: 0, booked: 0 } });
    const seats = await showSeats(show.id);
    expect(seats.map((s) => s.seat_id)).toEqual(await seatIdsOf(target.id));
    expect(seats.every((s) => s.status === 'available')).toBe(true);
    const row = await showtimeRow(show.id);
    expect([row?.hall_id, row?.ends_at.toISOString(), row?.blocked_until.toISOString()]).toEqual([target.id, at(90), at(115)]);
    // A seat of the old hall is no longer part of this show.
    expect((await hold(alice, show.id, seatIds[1]!)).status).toBe(404);
  });

  it('when the movie changes and nothing is booked, then ends_at follows the new movie', async () => {
    const { show } = await newShow();
    const longer = await newMovie(150);
    const reply = await asStaff('PATCH', `/api/admin/showtimes/${show.id}`, { movie_id: longer.id });
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({ movie: { id: longer.id, duration_minutes: 150 }, starts_at: at(0), ends_at: at(150) });
  });

  it('when the new time overlaps another show in the hall, then 409 Hall is busy at that time. and nothing changes', async () => {
    const { hall, movie, show } = await newShow();
    const other = await schedule(hall.id, movie.id, at(300));
    const reply = await asStaff('PATCH', `/api/admin/showtimes/${show.id}`, { starts_at: at(250) });
    expect(reply.status).toBe(409);
    expect(reply.body).toEqual({ detail: 'Hall is busy at that time.' });
    expect((await showtimeRow(show.id))?.starts_at.toISOString()).toBe(at(0));
    expect((await showtimeRow(other.id))?.starts_at.toISOString()).toBe(at(300));
  });

  it('when starts_at is in the past, then 400 and nothing changes', async () => {
    const { show } = await newShow();
    const reply = await asStaff('PATCH', `/api/admin/showtimes/${show.id}`, { starts_at: '2020-01-01T18:00:00Z' });
    expect(reply.status).toBe(400);
    expect(reply.body).toEqual({ detail: catalogErrors.startsInPast });
    expect((await showtimeRow(show.id))?.starts_at.toISOString()).toBe(at(0));
  });

  it('when the hall or movie to move to does not exist, then 404', async () => {
    const { show } = await newShow();
    expect((await asStaff('PATCH', `/api/admin/showtimes/${show.id}`, { hall_id: 999_999 })).body).toEqual({ detail: catalogErrors.hallNotFound });
    expect((await asStaff('PATCH', `/api/admin/showtimes/${show.id}`, { movie_id: 999_999 })).body).toEqual({ detail: catalogErrors.movieNotFound });
  });

  it('when the currency changes, then it is allowed before any sale and 409 after one', async () => {
    const { show, seatIds } = await newShow();
    const gbp = { price: { amount: 900, currency: 'GBP' }, premium_price: { amount: 1200, currency: 'GBP' } };
    const before = await asStaff('PATCH', `/api/admin/showtimes/${show.id}`, gbp);
    expect(before.status).toBe(200);
    expect(before.body).toMatchObject(gbp);
    await booked(alice, show.id, seatIds[0]!);
    const after = await asStaff('PATCH', `/api/admin/showtimes/${show.id}`, { price: { amount: 1000, currency: 'EUR' }, premium_price: { amount: 1000, currency: 'EUR' } });
    expect(after.status).toBe(409);
    expect(after.body).toEqual({ detail: catalogErrors.showCurrencyLocked('GBP') });
    const mixed = await asStaff('PATCH', `/api/admin/showtimes/${show.id}`, { price: { amount: 1000, currency: 'EUR' } });
    expect(mixed.status).toBe(400);
    expect(mixed.body).toEqual({ detail: catalogErrors.currencyMismatch });
    expect(await showtimeRow(show.id)).toMatchObject({ currency: 'GBP', price_amount: 900, premium_price_amount: 1200 });
  });

  it('when the showtime is cancelled, then 409', async () => {
    const { show } = await newShow();
    expect((await asStaff('POST', `/api/admin/showtimes/${show.id}/cancel`)).status).toBe(200);
    const reply = await asStaff('PATCH', `/api/admin/showtimes/${show.id}`, { price: { amount: 1, currency: 'EUR' } });
    expect(reply.status).toBe(409);
    expect(reply.body).toEqual({ detail: catalogErrors.showCancelled });
  });
});

describe('DELETE /api/admin/{venues|halls|movies|showtimes}/:id', () => {
  const count = async (table: 'halls' | 'seats' | 'showtimes' | 'show_seats', column: string, ids: number[]) =>
    Number((await sql<{ n: number }>`SELECT count(*)::int AS n FROM ${sql.table(table)} WHERE ${sql.ref(column)} = ANY(${ids}::int[])`.execute(app.db)).rows[0]!.n);

  it('when a showtime with a hold but no booking is deleted, then 204 and it and its show_seats are gone, audited', async () => {
    const { show, seatIds } = await newShow();
    expect((await hold(alice, show.id, seatIds[0]!)).status).toBe(200);
    const reply = await asStaff('DELETE', `/api/admin/showtimes/${show.id}`);
    expect(reply.status).toBe(204);
    expect(reply.text).toBe('');
    expect(await exists('showtimes', show.id)).toBe(false);
    expect(await count('show_seats', 'showtime_id', [show.id])).toBe(0);
    await expectAudit('showtime', show.id, 'delete', expect.objectContaining({ deleted: { show_seats: 4 } }));
    expect((await app.http.get(`/api/showtimes/${show.id}`)).status).toBe(404);
  });

  it('when a hall is deleted, then 204 and its seats, showtimes and show_seats are gone', async () => {
    const { hall, movie, show } = await newShow();
    const later = await schedule(hall.id, movie.id, at(600));
    const reply = await asStaff('DELETE', `/api/admin/halls/${hall.id}`);
    expect(reply.status).toBe(204);
    expect(await exists('halls', hall.id)).toBe(false);
    expect(await count('seats', 'hall_id', [hall.id])).toBe(0);
    expect(await count('showtimes', 'hall_id', [hall.id])).toBe(0);
    expect(await count('show_seats', 'showtime_id', [show.id, later.id])).toBe(0);
    expect(await exists('movies', movie.id)).toBe(true);
    await expectAudit('hall', hall.id, 'delete', { deleted: { seats: 4, showtimes: 2 } });
  });

  it('when a movie is deleted, then 204 and its showtimes in every hall are gone, the halls stay', async () => {
    const { hall, movie, show } = await newShow();
    const elsewhere = await schedule((await newHall()).id, movie.id, at(0));
    const reply = await asStaff('DELETE', `/api/admin/movies/${movie.id}`);
    expect(reply.status).toBe(204);
    expect(await exists('movies', movie.id)).toBe(false);
    expect(await count('showtimes', 'id', [show.id, elsewhere.id])).toBe(0);
    expect(await count('show_seats', 'showtime_id', [show.id, elsewhere.id])).toBe(0);
    expect(await exists('halls', hall.id)).toBe(true);
    await expectAudit('movie', movie.id, 'delete', { deleted: { showtimes: 2 } });
  });

  it('when a venue is deleted, then 204 and its halls, seats, showtimes and show_seats are gone', async () => {
    const venue = await newVenue();
    const one = await newHall([{ row: 'A', seats: 2 }], {}, venue.id);
    const two = await newHall([{ row: 'A', seats: 3 }], {}, venue.id);
    const movie = await newMovie();
    const shows = [await schedule(one.id, movie.id, at(0)), await schedule(two.id, movie.id, at(0))];
    const reply = await asStaff('DELETE', `/api/admin/venues/${venue.id}`);
    expect(reply.status).toBe(204);
    expect(await exists('venues', venue.id)).toBe(false);
    expect(await count('halls', 'id', [one.id, two.id])).toBe(0);
    expect(await count('seats', 'hall_id', [one.id, two.id])).toBe(0);
    expect(await count('showtimes', 'id', shows.map((s) => s.id))).toBe(0);
    expect(await count('show_seats', 'showtime_id', shows.map((s) => s.id))).toBe(0);
    expect(await exists('movies', movie.id)).toBe(true);
    await expectAudit('venue', venue.id, 'delete', { deleted: { halls: 2, seats: 5, showtimes: 2 } });
  });

  it('when anything under it is booked, then 409 for the showtime, its hall, its movie and its venue, and nothing is deleted', async () => {
    const { hall, movie, show, seatIds } = await newShow();
    const free = await schedule(hall.id, movie.id, at(600));
    await booked(alice, show.id, seatIds[0]!);
    const audits = await auditCount();
    const cases: [string, string][] = [
      [`/api/admin/showtimes/${show.id}`, catalogErrors.deleteBookedShow],
      [`/api/admin/halls/${hall.id}`, catalogErrors.deleteBooked('hall')],
      [`/api/admin/movies/${movie.id}`, catalogErrors.deleteBooked('movie')],
      [`/api/admin/venues/${hall.venue_id}`, catalogErrors.deleteBooked('venue')],
    ];
    for (const [path, detail] of cases) {
      const reply = await asStaff('DELETE', path);
      expect(reply.status, path).toBe(409);
      expect(reply.body).toEqual({ detail });
    }
    expect(await exists('venues', hall.venue_id)).toBe(true);
    expect(await exists('halls', hall.id)).toBe(true);
    expect(await exists('movies', movie.id)).toBe(true);
    expect(await count('showtimes', 'id', [show.id, free.id])).toBe(2);
    expect(await count('show_seats', 'showtime_id', [show.id, free.id])).toBe(8);
    expect(await auditCount()).toBe(audits);
  });

  it('when the only bookings belong to a cancelled showtime, then deleting it, or its hall, is still 409 (they are the record of refunds)', async () => {
    const { hall, show, seatIds } = await newShow();
    await booked(alice, show.id, seatIds[0]!);
    expect((await asStaff('POST', `/api/admin/showtimes/${show.id}/cancel`)).status).toBe(200);
    const reply = await asStaff('DELETE', `/api/admin/showtimes/${show.id}`);
    expect(reply.status).toBe(409);
    expect(reply.body).toEqual({ detail: catalogErrors.deleteCancelledBookedShow });
    expect((await asStaff('DELETE', `/api/admin/halls/${hall.id}`)).status).toBe(409);
    expect(await exists('showtimes', show.id)).toBe(true);
  });

  it('when the id is unknown, then 404 with the sentence of each entity', async () => {
    for (const [entity, detail] of [
      ['venues', catalogErrors.venueNotFound],
      ['halls', catalogErrors.hallNotFound],
      ['movies', catalogErrors.movieNotFound],
      ['showtimes', catalogErrors.showNotFound],
    ]) {
      const reply = await asStaff('DELETE', `/api/admin/${entity}/999999`);
      expect(reply.status, entity).toBe(404);
      expect(reply.body).toEqual({ detail });
    }
  });
});

describe('POST /api/admin/showtimes/:id/cancel', () => {
  it('when cancelled, then 200 with status cancelled and exactly the bookings to refund, at the price paid; live holds are released', async () => {
    const { show, seatIds } = await newShow({ rows: [{ row: 'A', seats: 4 }, { row: 'P', seats: 2, kind: 'premium' }] });
    await asStaff('PATCH', `/api/admin/showtimes/${show.id}`, { premium_price: { amount: 1800, currency: 'EUR' } });
    const a1 = await booked(alice, show.id, seatIds[0]!);
    const p1 = await booked(alice, show.id, seatIds[4]!);
    await asStaff('PATCH', `/api/admin/showtimes/${show.id}`, { price: { amount: 1200, currency: 'EUR' } });
    const a2 = await booked(bob, show.id, seatIds[1]!);
    expect((await hold(bob, show.id, seatIds[2]!)).status).toBe(200);

    const reply = await asStaff('POST', `/api/admin/showtimes/${show.id}/cancel`);
    expect(reply.status).toBe(200);
    expect(reply.body.showtime).toEqual({ ...show, status: 'cancelled', price: { amount: 1200, currency: 'EUR' }, premium_price: { amount: 1800, currency: 'EUR' }, seats: { available: 3, held: 0, booked: 3 } });
    const refund = (b: any, user: TestUser, seat: { id: number; row: string; number: number }, amount: number) => ({
      booking_id: b.booking_id,
      reference: b.reference,
      user_id: user.id,
      username: user.username,
      seat,
      price: { amount, currency: 'EUR' },
    });
    expect(reply.body.refunds).toEqual([
      refund(a1, alice, { id: seatIds[0]!, row: 'A', number: 1 }, 1000),
      refund(p1, alice, { id: seatIds[4]!, row: 'P', number: 1 }, 1800),
      refund(a2, bob, { id: seatIds[1]!, row: 'A', number: 2 }, 1200),
    ]);

    expect((await showtimeRow(show.id))?.status).toBe('cancelled');
    expect((await showSeats(show.id)).map((s) => s.status)).toEqual(['booked', 'booked', 'available', 'available', 'booked', 'available']);
    await expectAudit('showtime', show.id, 'cancel', { refunds: 3, refund_total: { amount: 4000, currency: 'EUR' }, holds_released: 1 });
  });

  it('when cancelled, then hold and book answer 409 Show has been cancelled. and nothing is written', async () => {
    const { show, seatIds } = await newShow();
    expect((await asStaff('POST', `/api/admin/showtimes/${show.id}/cancel`)).status).toBe(200);
    for (const attempt of [hold, book]) {
      const reply = await attempt(alice, show.id, seatIds[0]!);
      expect(reply.status).toBe(409);
      expect(reply.body.detail).toBe('Show has been cancelled.');
    }
    expect((await showSeats(show.id)).every((s) => s.status === 'available')).toBe(true);
    expect(await app.db.selectFrom('bookings').select('id').where('showtime_id', '=', show.id).execute()).toEqual([]);
  });

  it('when cancelled, then listings leave it out but GET /api/showtimes/:id still answers with status cancelled', async () => {
    const { hall, movie, show } = await newShow();
    const kept = await schedule(hall.id, movie.id, at(600));
    await asStaff('POST', `/api/admin/showtimes/${show.id}/cancel`);
    const listing = await app.http.get(`/api/showtimes?venue_id=${hall.venue_id}&limit=100`);
    expect(listing.status).toBe(200);
    expect(listing.body.items.map((s: any) => s.id)).toEqual([kept.id]);
    const one = await app.http.get(`/api/showtimes/${show.id}`);
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({ id: show.id, status: 'cancelled' });
  });

  it('when cancelled, then its hall time is free for a new showtime', async () => {
    const { hall, movie, show } = await newShow();
    const blocked = await asStaff('POST', '/api/admin/showtimes', { hall_id: hall.id, movie_id: movie.id, starts_at: at(30) });
    expect(blocked.status).toBe(409);
    await asStaff('POST', `/api/admin/showtimes/${show.id}/cancel`);
    const replacement = await schedule(hall.id, movie.id, at(30));
    expect(replacement.status).toBe('scheduled');
    const rows = await app.db.selectFrom('showtimes').select(['id', 'status']).where('hall_id', '=', hall.id).orderBy('id').execute();
    expect(rows).toEqual([
      { id: show.id, status: 'cancelled' },
      { id: replacement.id, status: 'scheduled' },
    ]);
  });

  it('when cancelled twice, then the second is 409 and writes no second audit row', async () => {
    const { show } = await newShow();
    expect((await asStaff('POST', `/api/admin/showtimes/${show.id}/cancel`)).status).toBe(200);
    const again = await asStaff('POST', `/api/admin/showtimes/${show.id}/cancel`);
    expect(again.status).toBe(409);
    expect(again.body).toEqual({ detail: catalogErrors.alreadyCancelled });
    expect((await auditRows('showtime', show.id)).map((r) => r.action)).toEqual(['create', 'cancel']);
  });

  it('when the showtime is unknown, then 404', async () => {
    const reply = await asStaff('POST', '/api/admin/showtimes/999999/cancel');
    expect(reply.status).toBe(404);
    expect(reply.body).toEqual({ detail: catalogErrors.showNotFound });
  });
});

describe('GET /api/admin/showtimes/:id/report', () => {
  it('when seats are sold, held and on an expired hold, then the counts, revenue and per-hour buckets are exact', async () => {
    const { show, seatIds } = await newShow({ rows: [{ row: 'A', seats: 8 }] });
    const b1 = await booked(alice, show.id, seatIds[0]!);
    const b2 = await booked(bob, show.id, seatIds[1]!);
    await asStaff('PATCH', `/api/admin/showtimes/${show.id}`, { price: { amount: 1250, currency: 'EUR' } });
    const b3 = await booked(bob, show.id, seatIds[2]!);
    expect((await hold(alice, show.id, seatIds[3]!)).status).toBe(200);
    expect((await hold(bob, show.id, seatIds[4]!)).status).toBe(200);
    await sql`UPDATE show_seats SET locked_until = now() - interval '1 second' WHERE showtime_id = ${show.id} AND seat_id = ${seatIds[4]!}`.execute(app.db);
    // Bookings made across two hours (set directly: the report groups what is stored).
    const setBookedAt = (id: number, time: string) => sql`UPDATE bookings SET created_at = ${time}::timestamptz WHERE id = ${id}`.execute(app.db);
    await setBookedAt(b1.booking_id, '2031-05-20T09:59:59.999Z');
    await setBookedAt(b2.booking_id, '2031-05-20T10:00:00Z');
    await setBookedAt(b3.booking_id, '2031-05-20T10:59:00Z');

    const reply = await asStaff('GET', `/api/admin/showtimes/${show.id}/report`);
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({
      showtime: { ...show, price: { amount: 1250, currency: 'EUR' }, seats: { available: 4, held: 1, booked: 3 } },
      seats: { sold: 3, held: 1, available: 4 },
      revenue: { amount: 3250, currency: 'EUR' },
      bookings_per_hour: [
        { hour: '2031-05-20T09:00:00.000Z', bookings: 1, revenue: { amount: 1000, currency: 'EUR' } },
        { hour: '2031-05-20T10:00:00.000Z', bookings: 2, revenue: { amount: 2250, currency: 'EUR' } },
      ],
      // Direct bookings are Adult tickets; no checkout, so no orders.
      by_ticket_type: [{ ticket_type: { code: 'ADULT', name: 'Adult' }, seats: 3, revenue: { amount: 3250, currency: 'EUR' } }],
      orders: { paid: 0, discounts: eur0, fees: eur0, tax: eur0, refunded: 0, refunded_amount: eur0 },
    });
  });

  const eur0 = { amount: 0, currency: 'EUR' };

  it('when nothing is sold, then zero revenue in the showtime currency and no buckets', async () => {
    const { show } = await newShow();
    await expireHolds(app.db, show.id);
    const reply = await asStaff('GET', `/api/admin/showtimes/${show.id}/report`);
    expect(reply.body).toMatchObject({ seats: { sold: 0, held: 0, available: 4 }, revenue: { amount: 0, currency: 'EUR' }, bookings_per_hour: [] });
  });

  it('when the showtime is unknown, then 404', async () => {
    const reply = await asStaff('GET', '/api/admin/showtimes/999999/report');
    expect(reply.status).toBe(404);
    expect(reply.body).toEqual({ detail: catalogErrors.showNotFound });
  });
});

describe('concurrency: staff changes against bookings in flight', () => {
  // An observer in test code: every Booking row records, from a fresh read
  // when it is written, the start and status its showtime had at that moment.
  // "Never a booked seat on a moved show" then becomes SQL: each booking saw
  // the start its showtime still has (it was made after the move, or the
  // move was refused), never a start that a staff change later moved away.
  beforeAll(async () => {
    await sql`CREATE TABLE test_booking_observations (booking_id int PRIMARY KEY, seen_starts_at timestamptz NOT NULL, seen_status text NOT NULL)`.execute(app.db);
    await sql`
      CREATE FUNCTION test_observe_booking() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO test_booking_observations SELECT NEW.id, starts_at, status FROM showtimes WHERE id = NEW.showtime_id;
        RETURN NULL;
      END $$`.execute(app.db);
    await sql`CREATE TRIGGER test_observe_booking AFTER INSERT ON bookings FOR EACH ROW EXECUTE FUNCTION test_observe_booking()`.execute(app.db);
  });
  afterAll(async () => {
    await sql`DROP TRIGGER test_observe_booking ON bookings`.execute(app.db);
    await sql`DROP FUNCTION test_observe_booking()`.execute(app.db);
    await sql`DROP TABLE test_booking_observations`.execute(app.db);
  });

  const ROUNDS = 40;
  const BOOKERS = 3;

  // Each round: three bookings of different seats and one PATCH of starts_at,
  // released together. Either a booking locks its seat first (the PATCH waits,
  // then sees it: 409) or the PATCH locks every seat first (the bookings wait,
  // then book the moved show). With the seat locks taken out of the staff
  // service, the PATCH's "anything booked?" check races the bookings and this
  // test fails in most rounds.
  it('when bookings and a change of starts_at are released together, then either the change is 409 or every booking lands on the moved show — never a booking the move missed', async () => {
    const users = await createUsers(app.db, BOOKERS);
    await app.http.warm(BOOKERS + 1);
    const outcomes: Record<string, number> = {};
    const shows: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const { show, seatIds } = await newShow({ offset: 2_000 + round * 600 });
      shows.push(show.id);
      const moveTo = at(2_000 + round * 600 + 200);
      const replies = await releaseTogether([
        () => asStaff('PATCH', `/api/admin/showtimes/${show.id}`, { starts_at: moveTo }),
        ...users.map((user, i) => () => book(user, show.id, seatIds[i]!)),
      ]);
      const [patch, ...bookings] = replies;
      expect(bookings.map((r) => r.status)).toEqual(users.map(() => 201));
      expect([200, 409]).toContain(patch!.status);
      const row = await showtimeRow(show.id);
      if (patch!.status === 200) {
        expect(row?.starts_at.toISOString()).toBe(moveTo);
      } else {
        expect(patch!.body).toEqual({ detail: catalogErrors.showHasBookings });
        expect(row?.starts_at.toISOString()).toBe(at(2_000 + round * 600));
      }
      outcomes[patch!.status] = (outcomes[patch!.status] ?? 0) + 1;
    }

    const violations = await sql<{ booking_id: number }>`
      SELECT b.id AS booking_id
        FROM bookings b
        JOIN showtimes st ON st.id = b.showtime_id
        JOIN seats s ON s.id = b.seat_id
        LEFT JOIN test_booking_observations o ON o.booking_id = b.id
        LEFT JOIN show_seats ss ON ss.showtime_id = b.showtime_id AND ss.seat_id = b.seat_id
       WHERE b.showtime_id = ANY(${shows}::int[])
         AND (o.seen_starts_at IS DISTINCT FROM st.starts_at OR s.hall_id <> st.hall_id OR ss.status IS DISTINCT FROM 'booked')`.execute(app.db);
    expect(violations.rows).toEqual([]);
    const total = await sql<{ n: number }>`SELECT count(*)::int AS n FROM bookings WHERE showtime_id = ANY(${shows}::int[])`.execute(app.db);
    expect(total.rows[0]!.n).toBe(ROUNDS * BOOKERS);
    expect((outcomes[200] ?? 0) + (outcomes[409] ?? 0)).toBe(ROUNDS);
  });

  // The booking domain reads the showtime's status in a new statement after
  // taking its seat locks (findShowState): a locking statement that waited for
  // the seats a cancel had locked would still see 'scheduled' from before the
  // wait and book a seat of the cancelled show, missing from the refunds.
  // With the status read inside the lock statement, this fails within a few rounds.
  it('when bookings and a cancel are released together, then every booking is in the refunds, made before the cancel', async () => {
    const users = await createUsers(app.db, BOOKERS);
    await app.http.warm(BOOKERS + 1);
    const outcomes: Record<string, number> = {};
    const shows: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const { show, seatIds } = await newShow({ offset: 40_000 + round * 600 });
      shows.push(show.id);
      const [cancel, ...bookings] = await releaseTogether([
        () => asStaff('POST', `/api/admin/showtimes/${show.id}/cancel`),
        ...users.map((user, i) => () => book(user, show.id, seatIds[i]!)),
      ]);
      expect(cancel!.status).toBe(200);
      for (const reply of bookings) {
        outcomes[reply.status] = (outcomes[reply.status] ?? 0) + 1;
        expect([201, 409]).toContain(reply.status);
      }
      const refunded = (cancel!.body.refunds as any[]).map((r) => r.booking_id).sort((a, b) => a - b);
      const rows = (await app.db.selectFrom('bookings').select('id').where('showtime_id', '=', show.id).orderBy('id').execute()).map((b) => b.id);
      expect(rows, `round ${round}`).toEqual(refunded);
    }
    const late = await sql<{ booking_id: number }>`
      SELECT o.booking_id FROM test_booking_observations o JOIN bookings b ON b.id = o.booking_id
       WHERE b.showtime_id = ANY(${shows}::int[]) AND o.seen_status <> 'scheduled'`.execute(app.db);
    expect(late.rows).toEqual([]);
    expect((outcomes[201] ?? 0) + (outcomes[409] ?? 0)).toBe(ROUNDS * BOOKERS);
  });
});
