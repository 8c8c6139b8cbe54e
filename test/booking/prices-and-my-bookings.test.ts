import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../setup/app.ts';
import { createUser, type TestUser } from '../setup/factories.ts';

let app: TestApp;
let staff: TestUser;
let alice: TestUser;
let bob: TestUser;

beforeAll(async () => {
  app = await startTestApp({ maxSeatsPerUser: 50 });
  staff = await createUser(app.db, { staff: true });
  alice = await createUser(app.db);
  bob = await createUser(app.db);
});
afterAll(() => app.close());

const unique = (prefix: string) => `${prefix} ${randomBytes(4).toString('hex')}`;
const asStaff = (path: string, body: unknown) => app.http.post(path, body, { token: staff.token });
async function created(path: string, body: unknown): Promise<any> {
  const reply = await asStaff(path, body);
  expect(reply.status, JSON.stringify(reply.body)).toBe(201);
  return reply.body;
}
const inHours = (hours: number) => new Date(Date.now() + hours * 3_600_000).toISOString();
const eur = (amount: number) => ({ amount, currency: 'EUR' });

/** A venue, a hall from `rows`, a 100-minute movie and one showtime; returns the showtime and its layout. */
async function showWith(rows: unknown[], options: { hall?: Record<string, unknown>; showtime?: Record<string, unknown> } = {}) {
  const venue = await created('/api/admin/venues', { name: unique('Venue'), city: 'Bath', default_price: eur(1200) });
  const hall = await created('/api/admin/halls', { venue_id: venue.id, name: unique('Hall'), rows, ...options.hall });
  const movie = await created('/api/admin/movies', { title: unique('Movie'), duration_minutes: 100 });
  const show = await created('/api/admin/showtimes', { hall_id: hall.id, movie_id: movie.id, starts_at: inHours(48), ...options.showtime });
  const layout = (await app.http.get(`/api/hall-layout/${show.id}/`)).body;
  return { venue, hall, movie, show, layout };
}

const book = (user: TestUser, showId: number, seatId: number) =>
  app.http.post('/api/book-seat/', { show_id: showId, seat_id: seatId }, { token: user.token });

describe('seat kinds, aisles and prices in the layout', () => {
  it('when a hall has kinds, aisles and wheelchair spaces, then the layout carries kind, price and grid position per seat', async () => {
    const { layout, hall } = await showWith(
      [
        { row: 'A', seats: 6, gaps_after: [2, 4], seat_kinds: { '1': 'wheelchair' } },
        { row: 'B', seats: 6, kind: 'premium', gaps_after: [2, 4] },
      ],
      { showtime: { price: eur(1250), premium_price: eur(1600) } },
    );
    const rowA = layout.seats.filter((s: any) => s.row === 'A');
    expect(rowA.map((s: any) => [s.number, s.x, s.y, s.kind, s.price.amount])).toEqual([
      [1, 0, 0, 'wheelchair', 1250],
      [2, 1, 0, 'standard', 1250],
      [3, 3, 0, 'standard', 1250], // an aisle after seat 2 leaves column 2 empty
      [4, 4, 0, 'standard', 1250],
      [5, 6, 0, 'standard', 1250],
      [6, 7, 0, 'standard', 1250],
    ]);
    const rowB = layout.seats.filter((s: any) => s.row === 'B');
    expect(new Set(rowB.map((s: any) => `${s.kind} ${s.price.amount} ${s.price.currency} y=${s.y}`))).toEqual(new Set(['premium 1600 EUR y=1']));
    // The hall answers its own rows back, as a seat map editor would read them.
    expect(hall.rows).toEqual([
      { row: 'A', seats: 6, kind: 'standard', gaps_after: [2, 4], seat_kinds: { '1': 'wheelchair' } },
      { row: 'B', seats: 6, kind: 'premium', gaps_after: [2, 4] },
    ]);
  });

  it("when a showtime has no price, then the hall's default applies, else the venue's; premium defaults to the price", async () => {
    const withHallPrice = await showWith([{ row: 'A', seats: 2 }], { hall: { default_price: eur(950) } });
    expect(withHallPrice.show.price).toEqual(eur(950));
    expect(withHallPrice.show.premium_price).toEqual(eur(950));
    const withVenuePrice = await showWith([{ row: 'A', seats: 2 }]);
    expect(withVenuePrice.show.price).toEqual(eur(1200));
  });

  it('when hall rows are inconsistent, then 400 with a sentence naming the row', async () => {
    const venue = await created('/api/admin/venues', { name: unique('Venue'), city: 'Bath' });
    for (const [rows, pattern] of [
      [[{ row: 'A', seats: 4, gaps_after: [4] }], /Row A .*gaps_after/],
      [[{ row: 'A', seats: 4, seat_kinds: { '9': 'premium' } }], /Row A .*seat 9/],
      [[{ row: 'A', seats: 4 }, { row: 'a', seats: 2 }], /Row a appears more than once/],
      [[{ row: 'A', seats: 4, kind: 'vip' }], /^rows\[0\].kind must be one of: standard, premium, wheelchair.$/],
    ] as const) {
      const reply = await asStaff('/api/admin/halls', { venue_id: venue.id, name: unique('Hall'), rows });
      expect(reply.status, JSON.stringify(rows)).toBe(400);
      expect(reply.body.detail).toMatch(pattern);
    }
  });

  it('when price and premium_price differ in currency, then 400; when starts_at is in the past, then 400', async () => {
    const { hall, movie } = await showWith([{ row: 'A', seats: 2 }]);
    const mismatch = await asStaff('/api/admin/showtimes', {
      hall_id: hall.id,
      movie_id: movie.id,
      starts_at: inHours(100),
      price: eur(1000),
      premium_price: { amount: 1500, currency: 'USD' },
    });
    expect(mismatch).toMatchObject({ status: 400, body: { detail: 'price and premium_price must be in the same currency.' } });
    const past = await asStaff('/api/admin/showtimes', { hall_id: hall.id, movie_id: movie.id, starts_at: inHours(-1) });
    expect(past).toMatchObject({ status: 400, body: { detail: 'starts_at must be in the future.' } });
  });
});

describe('cleaning time between showtimes', () => {
  it("when a hall needs 30 minutes of cleaning, then the next show may start 30 minutes after the previous one ends, not earlier", async () => {
    const { hall, movie, show } = await showWith([{ row: 'A', seats: 2 }], { hall: { cleaning_minutes: 30 } });
    const endsAt = Date.parse(show.ends_at);
    const at = (minutesAfterEnd: number) => new Date(endsAt + minutesAfterEnd * 60_000).toISOString();
    const tooSoon = await asStaff('/api/admin/showtimes', { hall_id: hall.id, movie_id: movie.id, starts_at: at(29) });
    expect(tooSoon).toMatchObject({ status: 409, body: { detail: 'Hall is busy at that time.' } });
    expect((await asStaff('/api/admin/showtimes', { hall_id: hall.id, movie_id: movie.id, starts_at: at(30) })).status).toBe(201);
  });
});

describe('the price paid is recorded at booking time', () => {
  it('when a premium seat is booked, then the answer and the Booking carry the premium price; a later price change does not touch it', async () => {
    const { show, layout } = await showWith([{ row: 'A', seats: 2 }, { row: 'B', seats: 2, kind: 'premium' }], {
      showtime: { price: eur(1000), premium_price: eur(1500) },
    });
    const premium = layout.seats.find((s: any) => s.kind === 'premium');
    const standard = layout.seats.find((s: any) => s.kind === 'standard');
    const first = await book(alice, show.id, premium.id);
    expect(first.status).toBe(201);
    expect(first.body.price).toEqual(eur(1500));

    await sql`UPDATE showtimes SET price_amount = 2000, premium_price_amount = 3000 WHERE id = ${show.id}`.execute(app.db);
    const second = await book(alice, show.id, standard.id);
    expect(second.body.price).toEqual(eur(2000));
    const retry = await book(alice, show.id, premium.id);
    expect(retry).toMatchObject({ status: 200, body: { booking_id: first.body.booking_id, price: eur(1500) } });

    const paid = await app.db.selectFrom('bookings').select(['seat_id', 'price_amount']).where('showtime_id', '=', show.id).orderBy('seat_id').execute();
    expect(paid).toEqual([
      { seat_id: standard.id, price_amount: 2000 },
      { seat_id: premium.id, price_amount: 1500 },
    ]);
  });
});

describe('GET /api/my-bookings/', () => {
  it('when anonymous, then 401', async () => {
    expect((await app.http.get('/api/my-bookings/')).status).toBe(401);
  });

  it("when a user has bookings, then they come newest first with show, venue, hall, seat, price and reference, and never another user's", async () => {
    const user = await createUser(app.db);
    const { show, layout, venue, hall, movie } = await showWith([{ row: 'C', seats: 3 }], { showtime: { price: eur(1100) } });
    const replies = [];
    for (const seat of layout.seats) {
      replies.push(await book(user, show.id, seat.id));
    }
    await book(bob, show.id, layout.seats[0].id); // 409: already booked; and bob's own list stays his
    const reply = await app.http.get('/api/my-bookings/', { token: user.token });
    expect(reply.status).toBe(200);
    expect(reply.body.next_cursor).toBeNull();
    expect(reply.body.items.map((b: any) => b.booking_id)).toEqual(replies.map((r) => r.body.booking_id).reverse());
    expect(reply.body.items[0]).toEqual({
      booking_id: replies[2]!.body.booking_id,
      reference: replies[2]!.body.reference,
      booked_at: expect.stringMatching(/Z$/),
      price: eur(1100),
      seat: { id: layout.seats[2].id, row: 'C', number: 3, kind: 'standard' },
      show: {
        id: show.id,
        starts_at: show.starts_at,
        status: 'scheduled',
        movie: { id: movie.id, title: movie.title },
        hall: { id: hall.id, name: hall.name },
        venue: { id: venue.id, name: venue.name, city: 'Bath' },
      },
    });
  });

  it('when paging with limit=2, then every booking comes exactly once, newest first', async () => {
    const user = await createUser(app.db);
    const { show, layout } = await showWith([{ row: 'A', seats: 5 }]);
    const ids: number[] = [];
    for (const seat of layout.seats) {
      ids.push((await book(user, show.id, seat.id)).body.booking_id);
    }
    const seen: number[] = [];
    let cursor: string | null = null;
    do {
      const page: any = await app.http.get(`/api/my-bookings/?limit=2${cursor === null ? '' : `&cursor=${cursor}`}`, { token: user.token });
      expect(page.status).toBe(200);
      seen.push(...page.body.items.map((b: any) => b.booking_id));
      cursor = page.body.next_cursor;
    } while (cursor !== null);
    expect(seen).toEqual(ids.reverse());
  });
});
