import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../setup/app.ts';
import { bookingRows, createShow, createUser, expireHolds, showSeatRows, startShowNow, type TestShow, type TestUser } from '../setup/factories.ts';

let app: TestApp;
let alice: TestUser;
let bob: TestUser;
let show: TestShow;

beforeAll(async () => {
  app = await startTestApp({ maxSeatsPerUser: 3, holdTtlSeconds: 300 });
  alice = await createUser(app.db);
  bob = await createUser(app.db);
});
afterAll(() => app.close());
beforeEach(async () => {
  show = await createShow(app.db, { rows: 2, seatsPerRow: 5 });
});

const seat = (i: number) => show.seatIds[i]!;
const hold = (user: TestUser, seatId: number, extra: Record<string, unknown> = {}) =>
  app.http.post('/api/hold-seat/', { seat_id: seatId, show_id: show.showId, ...extra }, { token: user.token });
const book = (user: TestUser, seatId: number, extra: Record<string, unknown> = {}) =>
  app.http.post('/api/book-seat/', { seat_id: seatId, show_id: show.showId, ...extra }, { token: user.token });
const rowOf = async (seatId: number) => (await showSeatRows(app.db, show.showId)).find((r) => r.seat_id === seatId)!;
/**
 * Expires the show's holds in SQL, as an operator would, and waits until this
 * process has heard it (its layout cache answers known conflicts without a
 * round trip, and learns of an operator's write by NOTIFY, milliseconds later).
 */
async function expireHoldsHeard(): Promise<void> {
  await expireHolds(app.db, show.showId);
  await expect
    .poll(async () => ((await app.http.get(`/api/hall-layout/${show.showId}/`)).body.seats as { status: string }[]).some((s) => s.status === 'held'))
    .toBe(false);
}

describe('GET /api/hall-layout/{show_id}/', () => {
  it('when the show exists, then it answers the design shape with seats ordered by row then number', async () => {
    const reply = await app.http.get(`/api/hall-layout/${show.showId}/`);
    expect(reply.status).toBe(200);
    expect(Object.keys(reply.body).sort()).toEqual(['hall_name', 'movie_title', 'price_range', 'seats', 'show_id', 'starts_at', 'venue_name']);
    expect(reply.body.show_id).toBe(show.showId);
    expect(reply.body.starts_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    expect(reply.body.seats).toHaveLength(10);
    expect(reply.body.seats[0]).toEqual({
      id: seat(0),
      row: 'A',
      number: 1,
      status: 'available',
      locked_by: null,
      locked_until: null,
      kind: 'standard',
      price: { amount: 1000, currency: 'EUR' },
      x: 0,
      y: 0,
    });
    const order = reply.body.seats.map((s: any) => `${s.row}${String(s.number).padStart(2, '0')}`);
    expect(order).toEqual([...order].sort());
  });

  it('when the show does not exist, then 404 Show not found.', async () => {
    const reply = await app.http.get('/api/hall-layout/999999/');
    expect(reply.status).toBe(404);
    expect(reply.body).toEqual({ detail: 'Show not found.' });
  });

  it('when a seat is held, then only the holder sees locked_by; everyone sees it held', async () => {
    await hold(alice, seat(0));
    const asAlice = await app.http.get(`/api/hall-layout/${show.showId}/`, { token: alice.token });
    const asBob = await app.http.get(`/api/hall-layout/${show.showId}/`, { token: bob.token });
    const anonymous = await app.http.get(`/api/hall-layout/${show.showId}/`);
    expect(asAlice.body.seats[0]).toMatchObject({ status: 'held', locked_by: alice.id });
    expect(asAlice.body.seats[0].locked_until).not.toBeNull();
    expect(asBob.body.seats[0]).toMatchObject({ status: 'held', locked_by: null });
    expect(anonymous.body.seats[0]).toMatchObject({ status: 'held', locked_by: null });
  });
});

describe('POST /api/hold-seat/', () => {
  it('when anonymous, then 401 and nothing changes', async () => {
    const reply = await app.http.post('/api/hold-seat/', { seat_id: seat(0), show_id: show.showId });
    expect(reply.status).toBe(401);
    expect(typeof reply.body.detail).toBe('string');
    expect((await rowOf(seat(0))).status).toBe('available');
  });

  it('when the seat is available, then 200 Seat held. and the row is held by the caller for the TTL', async () => {
    const reply = await hold(alice, seat(0));
    expect(reply.status).toBe(200);
    expect(reply.body.detail).toBe('Seat held.');
    const row = await rowOf(seat(0));
    expect(row).toMatchObject({ status: 'held', locked_by_id: alice.id, booked_at: null });
    expect(new Date(reply.body.locked_until).getTime()).toBe(row.locked_until!.getTime());
    const ttl = row.locked_until!.getTime() - Date.now();
    expect(ttl).toBeGreaterThan(290_000);
    expect(ttl).toBeLessThanOrEqual(300_000);
  });

  it('when the caller re-holds their seat, then 200 and the hold is not extended', async () => {
    const first = await hold(alice, seat(0));
    await new Promise((resolve) => setTimeout(resolve, 20));
    const again = await hold(alice, seat(0));
    expect(again.status).toBe(200);
    expect(again.body).toEqual({ detail: 'Seat held.', locked_until: first.body.locked_until });
    expect((await rowOf(seat(0))).locked_until!.toISOString()).toBe(first.body.locked_until);
  });

  it('when another user holds the seat, then 409 Seat currently held by another user.', async () => {
    await hold(alice, seat(0));
    const reply = await hold(bob, seat(0));
    expect(reply.status).toBe(409);
    expect(reply.body.detail).toBe('Seat currently held by another user.');
    expect((await rowOf(seat(0))).locked_by_id).toBe(alice.id);
  });

  it('when the seat is booked, then 409 Seat already booked.', async () => {
    await book(alice, seat(0));
    const reply = await hold(bob, seat(0));
    expect(reply.status).toBe(409);
    expect(reply.body.detail).toBe('Seat already booked.');
  });

  it('when the show has started, then 409 Sales for this show have closed.', async () => {
    await startShowNow(app.db, show.showId);
    const reply = await hold(alice, seat(0));
    expect(reply.status).toBe(409);
    expect(reply.body.detail).toBe('Sales for this show have closed.');
    expect((await rowOf(seat(0))).status).toBe('available');
  });

  it('when the user already has MAX_SEATS_PER_USER seats held or booked, then 409 Seat limit reached.', async () => {
    expect((await hold(alice, seat(0))).status).toBe(200);
    expect((await book(alice, seat(1))).status).toBe(201);
    expect((await hold(alice, seat(2))).status).toBe(200);
    const reply = await hold(alice, seat(3));
    expect(reply.status).toBe(409);
    expect(reply.body.detail).toBe('Seat limit reached.');
    expect((await rowOf(seat(3))).status).toBe('available');
    // Re-holding a seat you already hold is not a new seat.
    expect((await hold(alice, seat(0))).status).toBe(200);
  });

  it('when the show or the seat does not exist, then 404 with the right sentence', async () => {
    const other = await createShow(app.db);
    const noShow = await app.http.post('/api/hold-seat/', { seat_id: seat(0), show_id: 999999 }, { token: alice.token });
    expect(noShow.status).toBe(404);
    expect(noShow.body.detail).toBe('Show not found.');
    const foreignSeat = await hold(alice, other.seatIds[0]!);
    expect(foreignSeat.status).toBe(404);
    expect(foreignSeat.body.detail).toBe('Seat not found.');
  });

  it('when user_id is someone else, then 403; when it is the caller, then 200', async () => {
    const mismatch = await hold(alice, seat(0), { user_id: bob.id });
    expect(mismatch.status).toBe(403);
    expect(typeof mismatch.body.detail).toBe('string');
    expect((await rowOf(seat(0))).status).toBe('available');
    expect((await hold(alice, seat(0), { user_id: alice.id })).status).toBe(200);
  });

  it("when another user's hold has expired, then the seat can be held (released lazily)", async () => {
    await hold(alice, seat(0));
    await expireHoldsHeard();
    const reply = await hold(bob, seat(0));
    expect(reply.status).toBe(200);
    expect((await rowOf(seat(0))).locked_by_id).toBe(bob.id);
  });
});

describe('POST /api/book-seat/', () => {
  it('when the seat is available, then 201 with a booking id, one Booking row and the seat booked', async () => {
    const reply = await book(alice, seat(0));
    expect(reply.status).toBe(201);
    expect(reply.body).toEqual({
      detail: 'Booking confirmed.',
      booking_id: expect.any(Number),
      reference: expect.stringMatching(/^[0-9A-HJKMNP-TV-Z]{8}$/),
      price: { amount: 1000, currency: 'EUR' },
    });
    expect(await bookingRows(app.db, show.showId)).toEqual([{ id: reply.body.booking_id, seat_id: seat(0), user_id: alice.id }]);
    expect(await rowOf(seat(0))).toMatchObject({ status: 'booked', locked_by_id: null, locked_until: null });
    expect((await rowOf(seat(0))).booked_at).not.toBeNull();
  });

  it('when the caller holds the seat, then 201', async () => {
    await hold(alice, seat(0));
    expect((await book(alice, seat(0))).status).toBe(201);
  });

  it('when the caller booked it already, then 200 with the same booking id and no new row', async () => {
    const first = await book(alice, seat(0));
    const retry = await book(alice, seat(0));
    expect(retry.status).toBe(200);
    expect(retry.body).toEqual(first.body);
    expect(await bookingRows(app.db, show.showId)).toHaveLength(1);
  });

  it('when another user holds the seat, then 409 Seat currently held by another user.', async () => {
    await hold(bob, seat(0));
    const reply = await book(alice, seat(0));
    expect(reply.status).toBe(409);
    expect(reply.body.detail).toBe('Seat currently held by another user.');
    expect(await bookingRows(app.db, show.showId)).toHaveLength(0);
  });

  it('when another user booked the seat, then 409 Seat already booked.', async () => {
    await book(bob, seat(0));
    const reply = await book(alice, seat(0));
    expect(reply.status).toBe(409);
    expect(reply.body.detail).toBe('Seat already booked.');
  });

  it("when the caller's own hold has expired, then it counts as available: 201", async () => {
    await hold(alice, seat(0));
    await expireHoldsHeard();
    expect((await book(alice, seat(0))).status).toBe(201);
  });

  it("when another user's hold has expired, then the seat can be booked", async () => {
    await hold(bob, seat(0));
    await expireHoldsHeard();
    expect((await book(alice, seat(0))).status).toBe(201);
  });

  it('when the show has started, then 409 Sales for this show have closed.', async () => {
    await hold(alice, seat(0));
    await startShowNow(app.db, show.showId);
    const reply = await book(alice, seat(0));
    expect(reply.status).toBe(409);
    expect(reply.body.detail).toBe('Sales for this show have closed.');
    expect(await bookingRows(app.db, show.showId)).toHaveLength(0);
  });

  it('when the seat limit is reached, then 409 Seat limit reached.', async () => {
    for (const i of [0, 1, 2]) {
      expect((await book(alice, seat(i))).status).toBe(201);
    }
    const reply = await book(alice, seat(3));
    expect(reply.status).toBe(409);
    expect(reply.body.detail).toBe('Seat limit reached.');
  });

  it('when show or seat are unknown, or user_id is not the caller, then 404/404/403', async () => {
    const other = await createShow(app.db);
    expect((await app.http.post('/api/book-seat/', { seat_id: seat(0), show_id: 999999 }, { token: alice.token })).body.detail).toBe(
      'Show not found.',
    );
    const foreign = await book(alice, other.seatIds[0]!);
    expect(foreign.status).toBe(404);
    expect(foreign.body.detail).toBe('Seat not found.');
    expect((await book(alice, seat(0), { user_id: bob.id })).status).toBe(403);
    expect(await bookingRows(app.db, show.showId)).toHaveLength(0);
  });
});
