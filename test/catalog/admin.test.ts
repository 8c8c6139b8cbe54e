import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { catalogErrors } from '../../src/catalog/catalog.errors.ts';
import { startTestApp, type TestApp } from '../setup/app.ts';
import { createShow, createUser, type TestUser } from '../setup/factories.ts';

let app: TestApp;
let staff: TestUser;
let customer: TestUser;

beforeAll(async () => {
  app = await startTestApp();
  staff = await createUser(app.db, { staff: true });
  customer = await createUser(app.db);
});
afterAll(() => app.close());

const unique = (prefix: string) => `${prefix} ${randomBytes(4).toString('hex')}`;
const asStaff = (path: string, body: unknown) => app.http.post(path, body, { token: staff.token });
const minutes = (n: number) => n * 60_000;
/** A fixed future evening, so tests compute exact overlaps without racing the clock. */
const EVENING = Date.UTC(2031, 5, 1, 18, 0);
const at = (offsetMinutes: number) => new Date(EVENING + minutes(offsetMinutes)).toISOString();

async function newVenue(): Promise<number> {
  const reply = await asStaff('/api/admin/venues', { name: unique('Venue'), city: 'Springfield' });
  expect(reply.status).toBe(201);
  return reply.body.id;
}
async function newHall(venueId?: number, rows = [{ row: 'A', seats: 3 }, { row: 'B', seats: 4 }]): Promise<number> {
  const reply = await asStaff('/api/admin/halls', { venue_id: venueId ?? (await newVenue()), name: unique('Hall'), rows });
  expect(reply.status).toBe(201);
  return reply.body.id;
}
async function newMovie(durationMinutes = 90): Promise<number> {
  const reply = await asStaff('/api/admin/movies', { title: unique('Movie'), duration_minutes: durationMinutes });
  expect(reply.status).toBe(201);
  return reply.body.id;
}
const schedule = (hallId: number, movieId: number, startsAt: string) =>
  asStaff('/api/admin/showtimes', { hall_id: hallId, movie_id: movieId, starts_at: startsAt });

const countRows = async (table: 'venues' | 'halls' | 'seats' | 'movies' | 'showtimes' | 'show_seats') =>
  Number((await sql<{ n: number }>`SELECT count(*)::int AS n FROM ${sql.table(table)}`.execute(app.db)).rows[0]!.n);
const hallShowtimes = (hallId: number) =>
  app.db.selectFrom('showtimes').select(['id', 'starts_at', 'ends_at']).where('hall_id', '=', hallId).orderBy('starts_at').execute();

describe('staff-only access to POST /api/admin/*', () => {
  // Valid bodies, so the only reason to refuse is who is asking.
  const validBodies = async (): Promise<[string, 'venues' | 'halls' | 'movies' | 'showtimes', unknown][]> => {
    const venueId = await newVenue();
    const hallId = await newHall(venueId);
    const movieId = await newMovie();
    return [
      ['/api/admin/venues', 'venues', { name: unique('Venue'), city: 'Springfield' }],
      ['/api/admin/halls', 'halls', { venue_id: venueId, name: unique('Hall'), rows: [{ row: 'A', seats: 2 }] }],
      ['/api/admin/movies', 'movies', { title: unique('Movie'), duration_minutes: 100 }],
      ['/api/admin/showtimes', 'showtimes', { hall_id: hallId, movie_id: movieId, starts_at: at(0) }],
    ];
  };

  it('when anonymous, then every endpoint answers 401 and writes nothing', async () => {
    for (const [path, table, body] of await validBodies()) {
      const before = await countRows(table);
      const reply = await app.http.post(path, body);
      expect(reply.status, path).toBe(401);
      expect(reply.body.detail, path).toMatch(/^Authentication required/);
      expect(await countRows(table), path).toBe(before);
    }
  });

  it('when a non-staff user, then every endpoint answers 403 and writes nothing', async () => {
    for (const [path, table, body] of await validBodies()) {
      const before = await countRows(table);
      const reply = await app.http.post(path, body, { token: customer.token });
      expect(reply.status, path).toBe(403);
      expect(reply.body, path).toEqual({ detail: 'Only staff members may do this.' });
      expect(await countRows(table), path).toBe(before);
    }
  });

  it('when a token is bogus, then 401', async () => {
    const reply = await app.http.post('/api/admin/movies', { title: 'X', duration_minutes: 90 }, { token: 'not-a-real-token' });
    expect(reply.status).toBe(401);
  });
});

describe('POST /api/admin/venues', () => {
  it('when staff sends name and city, then 201 with the id and time_zone defaulting to UTC, stored as such', async () => {
    const name = unique('Odeon');
    const reply = await asStaff('/api/admin/venues', { name, city: 'Leeds' });
    expect(reply.status).toBe(201);
    expect(reply.body).toEqual({ id: expect.any(Number), name, city: 'Leeds', time_zone: 'UTC', default_price: { amount: 1000, currency: 'EUR' }, payment_required: false });
    const row = await app.db.selectFrom('venues').selectAll().where('id', '=', reply.body.id).executeTakeFirst();
    expect(row).toEqual({ id: reply.body.id, name, city: 'Leeds', time_zone: 'UTC', currency: 'EUR', default_price_amount: 1000, payment_required: false });
  });

  it('when a known IANA time_zone is given, then it is kept', async () => {
    const reply = await asStaff('/api/admin/venues', { name: unique('Kino'), city: 'Berlin', time_zone: 'Europe/Berlin' });
    expect(reply.status).toBe(201);
    expect(reply.body.time_zone).toBe('Europe/Berlin');
    const row = await app.db.selectFrom('venues').select('time_zone').where('id', '=', reply.body.id).executeTakeFirstOrThrow();
    expect(row.time_zone).toBe('Europe/Berlin');
  });

  it('when the time_zone is unknown, then 400 naming the zone and nothing is written', async () => {
    const before = await countRows('venues');
    const reply = await asStaff('/api/admin/venues', { name: unique('Nowhere'), city: 'Atlantis', time_zone: 'Mars/Olympus_Mons' });
    expect(reply.status).toBe(400);
    expect(reply.body).toEqual({ detail: catalogErrors.unknownTimeZone('Mars/Olympus_Mons') });
    expect(reply.body.detail).toContain('Mars/Olympus_Mons');
    expect(await countRows('venues')).toBe(before);
  });

  it('when a required field is missing, then 400 naming it', async () => {
    const reply = await asStaff('/api/admin/venues', { name: unique('No city') });
    expect(reply.status).toBe(400);
    expect(reply.body.detail).toContain('city');
  });
});

describe('POST /api/admin/halls', () => {
  it('when staff sends rows, then 201 and exactly those seats exist: each row numbered 1..n', async () => {
    const venueId = await newVenue();
    const name = unique('Hall');
    const rows = [
      { row: 'A', seats: 12 },
      { row: 'B', seats: 10 },
      { row: 'C', seats: 1 },
    ];
    const reply = await asStaff('/api/admin/halls', { venue_id: venueId, name, rows });
    expect(reply.status).toBe(201);
    expect(reply.body).toEqual({
      id: expect.any(Number),
      venue_id: venueId,
      name,
      seat_count: 23,
      rows: rows.map((r) => ({ ...r, kind: 'standard' })),
      default_price: null,
      cleaning_minutes: 0,
    });

    const hall = await app.db.selectFrom('halls').selectAll().where('id', '=', reply.body.id).executeTakeFirst();
    expect(hall).toEqual({ id: reply.body.id, venue_id: venueId, name, default_price_amount: null, cleaning_minutes: 0 });
    const perRow = await sql<{ row: string; count: number; numbers: number[] }>`
      SELECT "row", count(*)::int AS count, array_agg(number ORDER BY number) AS numbers
      FROM seats WHERE hall_id = ${reply.body.id} GROUP BY "row" ORDER BY "row"`.execute(app.db);
    expect(perRow.rows).toEqual(
      rows.map(({ row, seats }) => ({ row, count: seats, numbers: Array.from({ length: seats }, (_, i) => i + 1) })),
    );
  });

  it('when a row label appears twice, then 400 naming the row and no hall or seat is written', async () => {
    const venueId = await newVenue();
    const [halls, seats] = [await countRows('halls'), await countRows('seats')];
    const reply = await asStaff('/api/admin/halls', {
      venue_id: venueId,
      name: unique('Hall'),
      rows: [
        { row: 'A', seats: 5 },
        { row: 'B', seats: 5 },
        { row: 'A', seats: 7 },
      ],
    });
    expect(reply.status).toBe(400);
    expect(reply.body).toEqual({ detail: catalogErrors.duplicateRow('A') });
    expect([await countRows('halls'), await countRows('seats')]).toEqual([halls, seats]);
  });

  it('when the venue already has a hall with that name, then 409 and no second hall or its seats', async () => {
    const venueId = await newVenue();
    const first = await asStaff('/api/admin/halls', { venue_id: venueId, name: 'Screen 1', rows: [{ row: 'A', seats: 4 }] });
    expect(first.status).toBe(201);
    const seats = await countRows('seats');
    const again = await asStaff('/api/admin/halls', { venue_id: venueId, name: 'Screen 1', rows: [{ row: 'A', seats: 9 }] });
    expect(again.status).toBe(409);
    expect(again.body).toEqual({ detail: catalogErrors.hallNameTaken });
    expect(await app.db.selectFrom('halls').select('id').where('venue_id', '=', venueId).execute()).toEqual([{ id: first.body.id }]);
    expect(await countRows('seats')).toBe(seats);
  });

  it('when another venue has a hall with the same name, then 201', async () => {
    const one = await asStaff('/api/admin/halls', { venue_id: await newVenue(), name: 'Screen 1', rows: [{ row: 'A', seats: 1 }] });
    const two = await asStaff('/api/admin/halls', { venue_id: await newVenue(), name: 'Screen 1', rows: [{ row: 'A', seats: 1 }] });
    expect([one.status, two.status]).toEqual([201, 201]);
  });

  it('when the venue does not exist, then 404 Venue not found. and nothing is written', async () => {
    const halls = await countRows('halls');
    const reply = await asStaff('/api/admin/halls', { venue_id: 999_999, name: unique('Hall'), rows: [{ row: 'A', seats: 3 }] });
    expect(reply.status).toBe(404);
    expect(reply.body).toEqual({ detail: catalogErrors.venueNotFound });
    expect(await countRows('halls')).toBe(halls);
  });

  it('when rows are empty or a row has no seats, then 400 naming the field', async () => {
    const venueId = await newVenue();
    const empty = await asStaff('/api/admin/halls', { venue_id: venueId, name: unique('Hall'), rows: [] });
    expect(empty.status).toBe(400);
    expect(empty.body.detail).toContain('rows');
    const zero = await asStaff('/api/admin/halls', { venue_id: venueId, name: unique('Hall'), rows: [{ row: 'A', seats: 0 }] });
    expect(zero.status).toBe(400);
    expect(zero.body.detail).toContain('seats');
  });
});

describe('POST /api/admin/movies', () => {
  it('when the body carries a field that is not a column, then it is ignored (never a 500)', async () => {
    const reply = await asStaff('/api/admin/movies', { title: unique('Movie'), duration_minutes: 90, genre: 'Drama' });
    expect(reply.status).toBe(201);
    expect(reply.body).toEqual({ id: expect.any(Number), title: expect.any(String), duration_minutes: 90, rating: null });
  });

  it('when staff sends title and duration, then 201 with the id and the row stored', async () => {
    const title = unique('The Long Take');
    const reply = await asStaff('/api/admin/movies', { title, duration_minutes: 137 });
    expect(reply.status).toBe(201);
    expect(reply.body).toEqual({ id: expect.any(Number), title, duration_minutes: 137, rating: null });
    expect(await app.db.selectFrom('movies').selectAll().where('id', '=', reply.body.id).executeTakeFirst()).toEqual({
      id: reply.body.id,
      title,
      duration_minutes: 137,
      rating_label: null,
      rating_min_age: null,
    });
  });

  it('when the duration is not a positive integer, then 400 naming duration_minutes', async () => {
    for (const duration_minutes of [0, -5, 1.5, '90']) {
      const reply = await asStaff('/api/admin/movies', { title: unique('Bad'), duration_minutes });
      expect(reply.status, String(duration_minutes)).toBe(400);
      expect(reply.body.detail).toContain('duration_minutes');
    }
  });
});

describe('POST /api/admin/showtimes', () => {
  it('when staff schedules a showtime, then 201, ends_at = starts_at + duration, and one available show_seat per hall seat', async () => {
    const hallId = await newHall(undefined, [
      { row: 'A', seats: 12 },
      { row: 'B', seats: 8 },
    ]);
    const movieId = await newMovie(128);
    const reply = await schedule(hallId, movieId, '2031-06-01T18:00:00+02:00');
    expect(reply.status).toBe(201);
    expect(reply.body).toMatchObject({
      id: expect.any(Number),
      status: 'scheduled',
      hall: { id: hallId },
      movie: { id: movieId, duration_minutes: 128 },
      starts_at: '2031-06-01T16:00:00.000Z',
      ends_at: '2031-06-01T18:08:00.000Z',
      seats: { available: 20, held: 0, booked: 0 },
    });

    const showtime = await app.db.selectFrom('showtimes').selectAll().where('id', '=', reply.body.id).executeTakeFirstOrThrow();
    expect(showtime.starts_at.toISOString()).toBe('2031-06-01T16:00:00.000Z');
    expect(showtime.ends_at.getTime() - showtime.starts_at.getTime()).toBe(minutes(128));

    const check = await sql<{ show_seats: number; hall_seats: number; matched: number; available: number; clean: number }>`
      SELECT (SELECT count(*) FROM show_seats WHERE showtime_id = ${reply.body.id})::int AS show_seats,
             (SELECT count(*) FROM seats WHERE hall_id = ${hallId})::int AS hall_seats,
             (SELECT count(*) FROM show_seats ss JOIN seats s ON s.id = ss.seat_id
               WHERE ss.showtime_id = ${reply.body.id} AND s.hall_id = ${hallId})::int AS matched,
             (SELECT count(*) FROM show_seats WHERE showtime_id = ${reply.body.id} AND status = 'available')::int AS available,
             (SELECT count(*) FROM show_seats WHERE showtime_id = ${reply.body.id}
               AND locked_by_id IS NULL AND locked_until IS NULL AND booked_at IS NULL)::int AS clean`.execute(app.db);
    expect(check.rows[0]).toEqual({ show_seats: 20, hall_seats: 20, matched: 20, available: 20, clean: 20 });
  });

  it('when the hall, or the movie, does not exist, then 404 with the catalog sentence and nothing is written', async () => {
    const hallId = await newHall();
    const movieId = await newMovie();
    const [showtimes, showSeats] = [await countRows('showtimes'), await countRows('show_seats')];
    const noHall = await schedule(999_999, movieId, at(0));
    expect(noHall.status).toBe(404);
    expect(noHall.body).toEqual({ detail: catalogErrors.hallNotFound });
    const noMovie = await schedule(hallId, 999_999, at(0));
    expect(noMovie.status).toBe(404);
    expect(noMovie.body).toEqual({ detail: catalogErrors.movieNotFound });
    expect([await countRows('showtimes'), await countRows('show_seats')]).toEqual([showtimes, showSeats]);
  });

  it('when starts_at is not an ISO date-time, then 400 naming starts_at', async () => {
    const reply = await schedule(await newHall(), await newMovie(), 'tomorrow evening');
    expect(reply.status).toBe(400);
    expect(reply.body.detail).toContain('starts_at');
  });

  describe('overlaps in one hall (a 90-minute show at 18:00–19:30)', () => {
    let hallId: number;
    let movieId: number;
    let firstId: number;

    beforeAll(async () => {
      hallId = await newHall();
      movieId = await newMovie(90);
      const first = await schedule(hallId, movieId, at(0));
      expect(first.status).toBe(201);
      firstId = first.body.id;
    });

    it.each([
      ['the same start', 0, 90],
      ['a start inside it (partial overlap at its end)', 30, 90],
      ['an earlier start ending inside it (partial overlap at its start)', -60, 90],
      ['a short show wholly inside it', 20, 30],
      ['a long show wholly around it', -30, 180],
      ['a start one minute before it ends', 89, 90],
    ])('when a new show has %s, then 409 Hall is busy at that time. and nothing is written', async (_label, offset, duration) => {
      const movie = duration === 90 ? movieId : await newMovie(duration);
      const [showtimes, showSeats] = [await countRows('showtimes'), await countRows('show_seats')];
      const reply = await schedule(hallId, movie, at(offset));
      expect(reply.status).toBe(409);
      expect(reply.body).toEqual({ detail: 'Hall is busy at that time.' });
      expect([await countRows('showtimes'), await countRows('show_seats')]).toEqual([showtimes, showSeats]);
      expect((await hallShowtimes(hallId)).map((s) => s.id)).toContain(firstId);
    });

    it('when shows touch back to back (one ends exactly when the next starts), then both are allowed', async () => {
      const after = await schedule(hallId, movieId, at(90));
      expect(after.status).toBe(201);
      expect(after.body.starts_at).toBe(at(90));
      const before = await schedule(hallId, movieId, at(-90));
      expect(before.status).toBe(201);
      expect(before.body.ends_at).toBe(at(0));
      const rows = await hallShowtimes(hallId);
      expect(rows.map((r) => [r.starts_at.toISOString(), r.ends_at.toISOString()])).toEqual([
        [at(-90), at(0)],
        [at(0), at(90)],
        [at(90), at(180)],
      ]);
    });

    it('when the same time is scheduled in a different hall, then 201', async () => {
      const otherHall = await newHall();
      const reply = await schedule(otherHall, movieId, at(0));
      expect(reply.status).toBe(201);
      expect(await hallShowtimes(otherHall)).toHaveLength(1);
    });
  });
});

describe('database constraints (the real guarantee)', () => {
  // A show whose seat 0 has no show_seats row, so a row can be inserted for it in any state.
  async function freeSlot(): Promise<{ showId: number; seatId: number }> {
    const show = await createShow(app.db, { rows: 1, seatsPerRow: 2 });
    const seatId = show.seatIds[0]!;
    await sql`DELETE FROM show_seats WHERE showtime_id = ${show.showId} AND seat_id = ${seatId}`.execute(app.db);
    return { showId: show.showId, seatId };
  }
  const insertShowSeat = (
    slot: { showId: number; seatId: number },
    row: { status: string; locked_by_id?: number | null; locked_until?: string | null; booked_at?: string | null },
  ) =>
    sql`INSERT INTO show_seats (showtime_id, seat_id, status, locked_by_id, locked_until, booked_at)
        VALUES (${slot.showId}, ${slot.seatId}, ${row.status}, ${row.locked_by_id ?? null},
                ${row.locked_until ?? null}::timestamptz, ${row.booked_at ?? null}::timestamptz)`.execute(app.db);
  const soon = () => new Date(Date.now() + minutes(5)).toISOString();

  it('when show_seats rows are in legal states, then they insert (control for the checks below)', async () => {
    await insertShowSeat(await freeSlot(), { status: 'available' });
    await insertShowSeat(await freeSlot(), { status: 'held', locked_by_id: customer.id, locked_until: soon() });
    await insertShowSeat(await freeSlot(), { status: 'booked', booked_at: new Date().toISOString() });
  });

  type RowState = { status: string; lockedByUser?: true; locked_until?: string; booked_at?: string };
  const cases: [string, RowState, string][] = [
    ["'held' without locked_by_id", { status: 'held', locked_until: '2031-01-01T00:00:00Z' }, 'show_seats_held_iff_locked'],
    ["'held' without locked_until", { status: 'held', lockedByUser: true }, 'show_seats_held_iff_locked'],
    ["'booked' without booked_at", { status: 'booked' }, 'show_seats_booked_iff_booked_at'],
    ["'available' with locked_until set", { status: 'available', locked_until: '2031-01-01T00:00:00Z' }, 'show_seats_unlocked_unless_held'],
    ["'available' with booked_at set", { status: 'available', booked_at: '2031-01-01T00:00:00Z' }, 'show_seats_booked_iff_booked_at'],
    ["'booked' still locked by a user", { status: 'booked', booked_at: '2031-01-01T00:00:00Z', lockedByUser: true }, 'show_seats_unlocked_unless_held'],
    ['an unknown status', { status: 'reserved' }, 'show_seats_status_known'],
  ];
  it.each(cases)('when a show_seats row is %s, then a check constraint rejects it', async (_label, { lockedByUser, ...row }, constraint) => {
    const slot = await freeSlot();
    await expect(insertShowSeat(slot, { ...row, locked_by_id: lockedByUser === true ? customer.id : null })).rejects.toMatchObject({
      code: '23514',
      constraint,
    });
    const left = await app.db.selectFrom('show_seats').select('id').where('showtime_id', '=', slot.showId).where('seat_id', '=', slot.seatId).execute();
    expect(left).toEqual([]);
  });

  it('when an existing show_seats row is updated into an illegal state, then a check constraint rejects it', async () => {
    const show = await createShow(app.db, { rows: 1, seatsPerRow: 1 });
    await expect(
      sql`UPDATE show_seats SET status = 'held' WHERE showtime_id = ${show.showId}`.execute(app.db),
    ).rejects.toMatchObject({ code: '23514', constraint: 'show_seats_held_iff_locked' });
    const row = await app.db.selectFrom('show_seats').select('status').where('showtime_id', '=', show.showId).executeTakeFirstOrThrow();
    expect(row.status).toBe('available');
  });

  it('when a second booking for the same showtime and seat is inserted, then the unique constraint rejects it', async () => {
    const show = await createShow(app.db, { rows: 1, seatsPerRow: 2 });
    const other = await createUser(app.db);
    const seatId = show.seatIds[0]!;
    await sql`INSERT INTO bookings (showtime_id, seat_id, user_id, reference) VALUES (${show.showId}, ${seatId}, ${customer.id}, 'R1')`.execute(app.db);
    await expect(
      sql`INSERT INTO bookings (showtime_id, seat_id, user_id, reference) VALUES (${show.showId}, ${seatId}, ${other.id}, 'R2')`.execute(app.db),
    ).rejects.toMatchObject({ code: '23505', constraint: 'bookings_showtime_seat_key' });
    // The other seat of the same show is still bookable: the constraint is per (showtime, seat).
    await sql`INSERT INTO bookings (showtime_id, seat_id, user_id, reference) VALUES (${show.showId}, ${show.seatIds[1]!}, ${other.id}, 'R3')`.execute(app.db);
    const rows = await app.db.selectFrom('bookings').select(['seat_id', 'user_id']).where('showtime_id', '=', show.showId).orderBy('seat_id').execute();
    expect(rows).toEqual([
      { seat_id: seatId, user_id: customer.id },
      { seat_id: show.seatIds[1]!, user_id: other.id },
    ]);
  });

  it('when an overlapping showtime is inserted directly, then the exclusion constraint rejects it; touching ones are fine', async () => {
    const hallId = await newHall();
    const movieId = await newMovie(90);
    const insert = (from: number, to: number) =>
      sql`INSERT INTO showtimes (hall_id, movie_id, starts_at, ends_at, blocked_until)
          VALUES (${hallId}, ${movieId}, ${at(from)}::timestamptz, ${at(to)}::timestamptz, ${at(to)}::timestamptz)`.execute(app.db);
    await insert(0, 90);
    await expect(insert(45, 135)).rejects.toMatchObject({ code: '23P01', constraint: 'showtimes_no_overlap' });
    await expect(insert(-10, 1)).rejects.toMatchObject({ code: '23P01', constraint: 'showtimes_no_overlap' });
    await insert(90, 180);
    await insert(-90, 0);
    expect(await hallShowtimes(hallId)).toHaveLength(3);
  });
});
