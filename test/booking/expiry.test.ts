import pino from 'pino';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSweeper, sweepExpiredHolds } from '../../src/booking/index.ts';
import { startTestApp, type TestApp } from '../setup/app.ts';
import { createShow, createUser, showSeatRows, type TestShow, type TestUser } from '../setup/factories.ts';

const TTL_SECONDS = 1;
const pastTtl = () => new Promise((resolve) => setTimeout(resolve, TTL_SECONDS * 1000 + 300));

let app: TestApp;
let alice: TestUser;
let bob: TestUser;

beforeAll(async () => {
  app = await startTestApp({ holdTtlSeconds: TTL_SECONDS });
  alice = await createUser(app.db);
  bob = await createUser(app.db);
});
afterAll(() => app.close());

const hold = (user: TestUser, show: TestShow, i: number) =>
  app.http.post('/api/hold-seat/', { seat_id: show.seatIds[i], show_id: show.showId }, { token: user.token });
const statusOf = async (show: TestShow, i: number) => (await showSeatRows(app.db, show.showId)).find((r) => r.seat_id === show.seatIds[i])!;

describe(`holds expire after HOLD_TTL_SECONDS=${TTL_SECONDS}`, () => {
  it('when a hold expires, then the layout shows the seat available and releases the row', async () => {
    const show = await createShow(app.db);
    expect((await hold(alice, show, 0)).status).toBe(200);
    await pastTtl();
    expect((await statusOf(show, 0)).status).toBe('held'); // nothing has touched it yet
    const layout = await app.http.get(`/api/hall-layout/${show.showId}/`, { token: alice.token });
    expect(layout.body.seats[0]).toMatchObject({ status: 'available', locked_by: null, locked_until: null });
    expect(await statusOf(show, 0)).toMatchObject({ status: 'available', locked_by_id: null, locked_until: null });
  });

  it('when a hold expires, then another user can hold it, and other expired holds of the show are released in passing', async () => {
    const show = await createShow(app.db);
    await hold(alice, show, 0);
    await hold(alice, show, 1);
    await pastTtl();
    expect((await hold(bob, show, 0)).status).toBe(200);
    expect(await statusOf(show, 0)).toMatchObject({ status: 'held', locked_by_id: bob.id });
    expect(await statusOf(show, 1)).toMatchObject({ status: 'available', locked_by_id: null });
  });

  it('when a hold expires, then another user can book it', async () => {
    const show = await createShow(app.db);
    await hold(alice, show, 0);
    await pastTtl();
    const reply = await app.http.post('/api/book-seat/', { seat_id: show.seatIds[0], show_id: show.showId }, { token: bob.token });
    expect(reply.status).toBe(201);
    expect((await statusOf(show, 0)).status).toBe('booked');
  });

  it('when only the sweeper runs, then expired holds are released and live ones kept', async () => {
    const show = await createShow(app.db);
    await hold(alice, show, 0);
    await hold(bob, show, 1);
    await pastTtl();
    await hold(bob, show, 2); // still live when the sweeper runs
    const sweeper = startSweeper(app.db, 1, pino({ level: 'silent' }));
    try {
      await expect.poll(async () => (await statusOf(show, 0)).status, { timeout: 5_000, interval: 100 }).toBe('available');
      expect((await statusOf(show, 1)).status).toBe('available');
      expect(await statusOf(show, 2)).toMatchObject({ status: 'held', locked_by_id: bob.id });
    } finally {
      await sweeper.stop();
    }
  });

  it('when four sweepers run at once over 300 expired holds, then each hold is released exactly once', async () => {
    // A database of its own: no hold from another test may expire in the middle of the count.
    const own = await startTestApp();
    try {
      const show = await createShow(own.db, { rows: 15, seatsPerRow: 20 });
      const user = await createUser(own.db);
      await sql`UPDATE show_seats SET status = 'held', locked_by_id = ${user.id}, locked_until = now() - interval '1 second'
                WHERE showtime_id = ${show.showId}`.execute(own.db);
      const released = await Promise.all(Array.from({ length: 4 }, () => sweepExpiredHolds(own.db, 50)));
      expect(released.reduce((a, b) => a + b, 0)).toBe(300);
      expect((await showSeatRows(own.db, show.showId)).every((r) => r.status === 'available')).toBe(true);
    } finally {
      await own.close();
    }
  });
});
