import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../setup/app.ts';
import { bookingRows, createShow, createUser, startShowNow, type TestShow, type TestUser } from '../setup/factories.ts';

/**
 * A booking that went through answers a retry with itself (200, same ids),
 * whatever happened to the show since (booking_book_seats, migration 0003):
 * a retry after a lost answer never looks like a lost seat. And a refusal
 * writes nothing at all.
 */
let app: TestApp;
let alice: TestUser;
let bob: TestUser;
let staff: TestUser;

beforeAll(async () => {
  app = await startTestApp({ maxSeatsPerUser: 6, holdTtlSeconds: 300 });
  alice = await createUser(app.db);
  bob = await createUser(app.db);
  staff = await createUser(app.db, { staff: true });
});
afterAll(() => app.close());

const bookOne = (user: TestUser, show: TestShow, seatId: number) =>
  app.http.post('/api/book-seat/', { show_id: show.showId, seat_id: seatId }, { token: user.token });
const bookMany = (user: TestUser, show: TestShow, seatIds: number[]) =>
  app.http.post('/api/book-seats/', { show_id: show.showId, seat_ids: seatIds }, { token: user.token });
const holdOne = (user: TestUser, show: TestShow, seatId: number) =>
  app.http.post('/api/hold-seat/', { show_id: show.showId, seat_id: seatId }, { token: user.token });
const holdMany = (user: TestUser, show: TestShow, seatIds: number[]) =>
  app.http.post('/api/hold-seats/', { show_id: show.showId, seat_ids: seatIds }, { token: user.token });

/**
 * Every ShowSeat row of the show as stored, with its version (bumped by a
 * trigger on every UPDATE) and xmin (the transaction that last wrote it).
 */
async function storedSeats(show: TestShow) {
  const { rows } = await sql<{ seat_id: number; status: string; locked_by_id: number | null; locked_until: Date | null; version: number; xmin: string }>`
    SELECT seat_id, status, locked_by_id, locked_until, version, xmin::text AS xmin
      FROM show_seats WHERE showtime_id = ${show.showId} ORDER BY seat_id`.execute(app.db);
  return rows;
}

describe('a retried booking', () => {
  it('when a booked seat is retried after the show started, then 200 with the same booking_id (single and group)', async () => {
    const show = await createShow(app.db, { rows: 1, seatsPerRow: 5 });
    const [single, groupA, groupB] = show.seatIds as [number, number, number];
    const one = await bookOne(alice, show, single);
    expect(one.status).toBe(201);
    const group = await bookMany(alice, show, [groupA, groupB]);
    expect(group.status).toBe(201);
    const seatsBefore = await storedSeats(show);
    const bookingsBefore = await bookingRows(app.db, show.showId);

    await startShowNow(app.db, show.showId);
    // Sales are closed for anything new ...
    const fresh = await bookOne(alice, show, show.seatIds[3]!);
    expect(fresh.status).toBe(409);
    expect(fresh.body.detail).toBe('Sales for this show have closed.');

    // ... but a retry answers with what was booked.
    const retryOne = await bookOne(alice, show, single);
    expect(retryOne.status).toBe(200);
    expect(retryOne.body).toEqual(one.body);
    const retryGroup = await bookMany(alice, show, [groupB, groupA]);
    expect(retryGroup.status).toBe(200);
    expect(retryGroup.body).toEqual(group.body);

    expect(await bookingRows(app.db, show.showId)).toEqual(bookingsBefore);
    expect(bookingsBefore.map((b) => b.id).sort()).toEqual([one.body.booking_id, ...group.body.bookings.map((b: any) => b.booking_id)].sort());
    expect(await storedSeats(show)).toEqual(seatsBefore);
  });

  it('when retried after staff cancelled the show, then 200 with the same booking_id; a new seat is 409 Show has been cancelled.', async () => {
    const show = await createShow(app.db, { rows: 1, seatsPerRow: 5 });
    const [single, groupA, groupB, fresh] = show.seatIds as [number, number, number, number];
    const one = await bookOne(alice, show, single);
    const group = await bookMany(alice, show, [groupA, groupB]);
    expect([one.status, group.status]).toEqual([201, 201]);

    const cancelled = await app.http.post(`/api/admin/showtimes/${show.showId}/cancel`, undefined, { token: staff.token });
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.refunds.map((r: any) => r.booking_id).sort()).toEqual([one.body.booking_id, ...group.body.bookings.map((b: any) => b.booking_id)].sort());
    const seatsBefore = await storedSeats(show);
    const bookingsBefore = await bookingRows(app.db, show.showId);

    const retryOne = await bookOne(alice, show, single);
    expect(retryOne.status).toBe(200);
    expect(retryOne.body).toEqual(one.body);
    const retryGroup = await bookMany(alice, show, [groupA, groupB]);
    expect(retryGroup.status).toBe(200);
    expect(retryGroup.body).toEqual(group.body);

    const newSeat = await bookOne(alice, show, fresh);
    expect(newSeat.status).toBe(409);
    expect(newSeat.body.detail).toBe('Show has been cancelled.');
    // A retry that adds a new seat to the old ones is new business too.
    const mixed = await bookMany(alice, show, [single, fresh]);
    expect(mixed.status).toBe(409);
    expect(mixed.body.detail).toBe('Show has been cancelled.');

    expect(await bookingRows(app.db, show.showId)).toEqual(bookingsBefore);
    expect(await storedSeats(show)).toEqual(seatsBefore);
    expect(seatsBefore.find((s) => s.seat_id === fresh)).toMatchObject({ status: 'available', locked_by_id: null });
  });
});

describe('refusals write nothing', () => {
  it('when hold or book is refused (seat booked or held by someone else), then show_seats and bookings are unchanged, row versions included', async () => {
    const show = await createShow(app.db, { rows: 1, seatsPerRow: 6 });
    const [booked, held, free, expired] = show.seatIds as [number, number, number, number];
    expect((await bookOne(bob, show, booked)).status).toBe(201);
    expect((await holdOne(bob, show, held)).status).toBe(200);
    // An expired hold in the same show: a refusal must not release it in passing either.
    const carol = await createUser(app.db);
    expect((await holdOne(carol, show, expired)).status).toBe(200);
    await sql`UPDATE show_seats SET locked_until = now() - interval '1 second' WHERE showtime_id = ${show.showId} AND seat_id = ${expired}`.execute(app.db);
    const seatsBefore = await storedSeats(show);
    const bookingsBefore = await bookingRows(app.db, show.showId);

    const refusals = [
      ['hold a booked seat', await holdOne(alice, show, booked), 'Seat already booked.'],
      ['book a booked seat', await bookOne(alice, show, booked), 'Seat already booked.'],
      ['hold a held seat', await holdOne(alice, show, held), 'Seat currently held by another user.'],
      ['book a held seat', await bookOne(alice, show, held), 'Seat currently held by another user.'],
      ['hold a free seat with a booked one', await holdMany(alice, show, [free, booked]), 'Seat already booked.'],
      ['hold a free seat with a held one', await holdMany(alice, show, [free, held]), 'Seat currently held by another user.'],
      ['book a free seat with a booked one', await bookMany(alice, show, [free, booked]), 'Seat already booked.'],
      ['book a free seat with a held one', await bookMany(alice, show, [free, held]), 'Seat currently held by another user.'],
    ] as const;
    for (const [label, reply, detail] of refusals) {
      expect([label, reply.status, reply.body.detail]).toEqual([label, 409, detail]);
    }

    expect(await storedSeats(show)).toEqual(seatsBefore);
    expect(await bookingRows(app.db, show.showId)).toEqual(bookingsBefore);
    expect(seatsBefore.find((s) => s.seat_id === free)).toMatchObject({ status: 'available', version: 0 });
    expect(seatsBefore.find((s) => s.seat_id === expired)).toMatchObject({ status: 'held', locked_by_id: carol.id });
  });
});
