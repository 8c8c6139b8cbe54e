import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../setup/app.ts';
import { bookingRows, createShow, createUser, showSeatRows, type TestShow, type TestUser } from '../setup/factories.ts';
import { overlappingGroups } from '../setup/races.ts';
import { startServerProcess, type ServerProcess } from '../setup/server-process.ts';

let app: TestApp;
let alice: TestUser;
let bob: TestUser;

beforeAll(async () => {
  app = await startTestApp({ maxSeatsPerUser: 6 });
  alice = await createUser(app.db);
  bob = await createUser(app.db);
});
afterAll(() => app.close());

const post = (path: string, body: unknown, user: TestUser) => app.http.post(path, body, { token: user.token });
const ids = (show: TestShow, ...indexes: number[]) => indexes.map((i) => show.seatIds[i]!);

describe('POST /api/hold-seats/ and /api/book-seats/: all or nothing', () => {
  it('when every seat is free, then all are held for the caller with one answer', async () => {
    const show = await createShow(app.db, { rows: 1, seatsPerRow: 5 });
    const reply = await post('/api/hold-seats/', { show_id: show.showId, seat_ids: ids(show, 2, 0, 1) }, alice);
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({
      detail: 'Seats held.',
      seats: ids(show, 0, 1, 2).map((seat_id) => ({ seat_id, locked_until: expect.any(String) })),
    });
    const held = (await showSeatRows(app.db, show.showId)).filter((r) => r.status === 'held');
    expect(held.map((r) => [r.seat_id, r.locked_by_id])).toEqual(ids(show, 0, 1, 2).map((id) => [id, alice.id]));
  });

  it('when one seat is held and another booked by others, then 409 names both with reasons, and nothing is held', async () => {
    const show = await createShow(app.db, { rows: 1, seatsPerRow: 5 });
    await post('/api/hold-seat/', { show_id: show.showId, seat_id: show.seatIds[1] }, bob);
    await post('/api/book-seat/', { show_id: show.showId, seat_id: show.seatIds[3] }, bob);
    const before = await showSeatRows(app.db, show.showId);
    for (const path of ['/api/hold-seats/', '/api/book-seats/']) {
      const reply = await post(path, { show_id: show.showId, seat_ids: ids(show, 0, 1, 2, 3) }, alice);
      expect(reply.status, path).toBe(409);
      expect(reply.body).toEqual({
        detail: expect.any(String),
        conflicts: [
          { seat_id: show.seatIds[1], reason: 'held' },
          { seat_id: show.seatIds[3], reason: 'booked' },
        ],
      });
      expect(await showSeatRows(app.db, show.showId), path).toEqual(before);
    }
    expect(await bookingRows(app.db, show.showId)).toHaveLength(1);
  });

  it('when a group is booked, then one reference covers one Booking row per seat, and a retry answers 200 with the same reference', async () => {
    const show = await createShow(app.db, { rows: 1, seatsPerRow: 5 });
    await post('/api/hold-seats/', { show_id: show.showId, seat_ids: ids(show, 0, 1) }, alice);
    const reply = await post('/api/book-seats/', { show_id: show.showId, seat_ids: ids(show, 0, 1, 2) }, alice);
    expect(reply.status).toBe(201);
    expect(reply.body).toEqual({
      detail: 'Booking confirmed.',
      reference: expect.stringMatching(/^[0-9A-HJKMNP-TV-Z]{8}$/),
      bookings: ids(show, 0, 1, 2).map((seat_id) => ({ booking_id: expect.any(Number), seat_id, price: { amount: 1000, currency: 'EUR' } })),
      total: { amount: 3000, currency: 'EUR' },
    });
    const rows = await app.db.selectFrom('bookings').select(['seat_id', 'reference', 'user_id']).where('showtime_id', '=', show.showId).orderBy('seat_id').execute();
    expect(rows).toEqual(ids(show, 0, 1, 2).map((seat_id) => ({ seat_id, reference: reply.body.reference, user_id: alice.id })));
    const retry = await post('/api/book-seats/', { show_id: show.showId, seat_ids: ids(show, 0, 1, 2) }, alice);
    expect(retry.status).toBe(200);
    expect(retry.body).toEqual(reply.body);
  });

  it('when seat ids repeat, are empty or exceed MAX_SEATS_PER_USER, then 400 naming seat_ids and nothing changes', async () => {
    const show = await createShow(app.db, { rows: 2, seatsPerRow: 5 });
    for (const seat_ids of [[show.seatIds[0], show.seatIds[0]], [], ids(show, 0, 1, 2, 3, 4, 5, 6)]) {
      const reply = await post('/api/hold-seats/', { show_id: show.showId, seat_ids }, alice);
      expect(reply.status).toBe(400);
      expect(reply.body.detail).toMatch(/^seat_ids /);
    }
    expect((await showSeatRows(app.db, show.showId)).every((r) => r.status === 'available')).toBe(true);
  });

  it('when a group would pass the seat limit, then 409 Seat limit reached. and nothing is held', async () => {
    const show = await createShow(app.db, { rows: 2, seatsPerRow: 5 });
    await post('/api/book-seats/', { show_id: show.showId, seat_ids: ids(show, 0, 1, 2) }, bob);
    const reply = await post('/api/hold-seats/', { show_id: show.showId, seat_ids: ids(show, 5, 6, 7, 8) }, bob);
    expect(reply).toMatchObject({ status: 409, body: { detail: 'Seat limit reached.' } });
    expect((await showSeatRows(app.db, show.showId)).filter((r) => r.status === 'held')).toHaveLength(0);
  });
});

describe('POST /api/release-seat/ and /api/release-seats/', () => {
  it('when the caller holds the seat, then 200 Seat released. and the seat is available', async () => {
    const show = await createShow(app.db, { rows: 1, seatsPerRow: 3 });
    await post('/api/hold-seat/', { show_id: show.showId, seat_id: show.seatIds[0] }, alice);
    const reply = await post('/api/release-seat/', { show_id: show.showId, seat_id: show.seatIds[0] }, alice);
    expect(reply).toMatchObject({ status: 200, body: { detail: 'Seat released.' } });
    expect((await showSeatRows(app.db, show.showId))[0]).toMatchObject({ status: 'available', locked_by_id: null, locked_until: null });
  });

  it("when the caller does not hold it (free, someone else's, booked), then 409 and nothing changes", async () => {
    const show = await createShow(app.db, { rows: 1, seatsPerRow: 3 });
    await post('/api/hold-seat/', { show_id: show.showId, seat_id: show.seatIds[1] }, bob);
    await post('/api/book-seat/', { show_id: show.showId, seat_id: show.seatIds[2] }, bob);
    const before = await showSeatRows(app.db, show.showId);
    for (const seatId of show.seatIds) {
      const reply = await post('/api/release-seat/', { show_id: show.showId, seat_id: seatId }, alice);
      expect(reply.status).toBe(409);
      expect(reply.body.detail).toBe('You do not hold this seat, so there is nothing to release.');
    }
    expect(await showSeatRows(app.db, show.showId)).toEqual(before);
  });

  it('when releasing a group that includes a seat the caller does not hold, then 409 naming it and none is released', async () => {
    const show = await createShow(app.db, { rows: 1, seatsPerRow: 3 });
    await post('/api/hold-seats/', { show_id: show.showId, seat_ids: ids(show, 0, 1) }, alice);
    const partial = await post('/api/release-seats/', { show_id: show.showId, seat_ids: ids(show, 0, 1, 2) }, alice);
    expect(partial).toMatchObject({ status: 409, body: { seat_ids: [show.seatIds[2]] } });
    expect((await showSeatRows(app.db, show.showId)).filter((r) => r.status === 'held')).toHaveLength(2);
    const whole = await post('/api/release-seats/', { show_id: show.showId, seat_ids: ids(show, 0, 1) }, alice);
    expect(whole).toMatchObject({ status: 200, body: { detail: 'Seats released.' } });
    expect((await showSeatRows(app.db, show.showId)).every((r) => r.status === 'available')).toBe(true);
  });
});

describe('overlapping groups from many users at once', () => {
  it('when 30 users each book 4 random seats of a 20-seat hall at once, 20 rounds, then no deadlock, no double booking, whole groups only', async () => {
    await overlappingGroups(app.db, [app.http], 20);
  });

  describe('on two server processes sharing the database', () => {
    let servers: ServerProcess[] = [];
    beforeAll(async () => {
      servers = await Promise.all([startServerProcess(app.databaseUrl, { MAX_SEATS_PER_USER: '6' }), startServerProcess(app.databaseUrl, { MAX_SEATS_PER_USER: '6' })]);
    });
    afterAll(async () => {
      await Promise.all(servers.map((server) => server.stop()));
    });

    it('when the same 30 users race on 20 seats through both processes, 10 rounds, then the same guarantees hold', async () => {
      await overlappingGroups(
        app.db,
        servers.map((server) => server.http),
        10,
      );
    });
  });
});
