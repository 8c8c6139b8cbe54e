import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bookSeatsBatch, holdSeatsBatch } from '../../src/booking/booking.queries.ts';
import { releaseTogether } from '../setup/barrier.ts';
import { createTestDatabase, type TestDatabase } from '../setup/database.ts';
import { bookingRows, createShow, createUsers, expireHolds, showSeatRows, type TestUser } from '../setup/factories.ts';

/**
 * booking_hold_batch / booking_book_batch (migration 0004) against
 * PostgreSQL: many requests in one transaction, each answered as if alone and
 * in order, and batches running together never deadlock (their locks are
 * taken in one global order) and never sell a seat twice.
 */
let database: TestDatabase;
let users: TestUser[];
const limits = { ttlSeconds: 300, maxSeats: 4 };

beforeAll(async () => {
  database = await createTestDatabase();
  users = await createUsers(database.db, 12);
});
afterAll(() => database.drop());

const user = (i: number) => users[i]!.id;

describe('one batch', () => {
  it('when requests of one batch want the same seat, then the first wins and the later one is told it is held', async () => {
    const show = await createShow(database.db);
    const [a, b] = show.seatIds as [number, number];
    const { answers } = await holdSeatsBatch(
      database.db,
      [
        { showId: show.showId, userId: user(0), seatIds: [a] },
        { showId: show.showId, userId: user(1), seatIds: [a, b] },
        { showId: show.showId, userId: user(1), seatIds: [b] },
      ],
      limits,
    );
    expect(answers[0]).toMatchObject({ mine: [], events: [[a, 'held', expect.any(String), 1, user(0)]] });
    expect(answers[1]).toEqual({ conflicts: [[a, 'held']] });
    expect(answers[2]).toMatchObject({ events: [[b, 'held', expect.any(String), 1, user(1)]] });
    const rows = await showSeatRows(database.db, show.showId);
    expect(rows.filter((r) => r.status === 'held').map((r) => [r.seat_id, r.locked_by_id])).toEqual([
      [a, user(0)],
      [b, user(1)],
    ]);
  });

  it('when one user asks for more than the seat limit across requests of one batch, then the limit holds exactly', async () => {
    const show = await createShow(database.db);
    const s = show.seatIds;
    const { answers } = await holdSeatsBatch(
      database.db,
      [
        { showId: show.showId, userId: user(2), seatIds: [s[0]!, s[1]!, s[2]!] },
        { showId: show.showId, userId: user(2), seatIds: [s[3]!, s[4]!] },
        { showId: show.showId, userId: user(2), seatIds: [s[5]!] },
      ],
      limits,
    );
    expect(answers.map((a) => ('error' in a ? a.error : 'events' in a ? a.events.length : 'conflicts'))).toEqual([3, 'seat_limit', 1]);
  });

  it('when one request of a batch is refused before any lock, then the others are still written', async () => {
    const show = await createShow(database.db);
    const [a, b] = show.seatIds as [number, number];
    const { answers } = await bookSeatsBatch(
      database.db,
      [
        { showId: show.showId, userId: user(3), seatIds: [a], reference: 'BATCH001' },
        { showId: 2_000_000_000, userId: user(3), seatIds: [a], reference: 'BATCH002' },
        { showId: show.showId, userId: user(4), seatIds: [999_999_999], reference: 'BATCH003' },
        { showId: show.showId, userId: user(4), seatIds: [b], reference: 'BATCH004' },
      ],
      limits,
    );
    expect(answers[1]).toEqual({ error: 'show_not_found' });
    expect(answers[2]).toEqual({ error: 'seat_not_found' });
    expect((await bookingRows(database.db, show.showId)).map((r) => [r.seat_id, r.user_id])).toEqual([
      [a, user(3)],
      [b, user(4)],
    ]);
  });

  it('when a batch writes to a show with expired holds, then it releases them and says so by show', async () => {
    const show = await createShow(database.db);
    const [a, b] = show.seatIds as [number, number];
    await holdSeatsBatch(database.db, [{ showId: show.showId, userId: user(5), seatIds: [a] }], limits);
    await expireHolds(database.db, show.showId);
    const { released } = await holdSeatsBatch(database.db, [{ showId: show.showId, userId: user(6), seatIds: [b] }], limits);
    expect(released).toEqual([[show.showId, [[a, 'available', null, expect.any(Number), null]]]]);
  });
});

describe('batches together', () => {
  const BATCHES = 8;
  const inOrder = <T>(items: readonly T[], k: number): T[] => (k % 2 === 0 ? [...items] : [...items].reverse());
  const bookedOnce = async (showId: number, seats: readonly number[]) => {
    const { rows } = await sql<{ seat_id: number; n: number }>`
      SELECT seat_id, count(*)::int AS n FROM bookings WHERE showtime_id = ${showId} GROUP BY seat_id ORDER BY seat_id`.execute(database.db);
    expect(rows).toEqual(seats.map((seat_id) => ({ seat_id, n: 1 })));
  };

  it('when batches of different users want the same seats in opposite orders at once, then none deadlocks and every seat is sold once', async () => {
    const crowd = await createUsers(database.db, BATCHES * 6);
    const show = await createShow(database.db, { rows: 1, seatsPerRow: 6 });
    // Batch k: its own 6 users, one seat each, the seats in ascending or descending order. Without one
    // row-lock order across the whole batch, two batches would each hold a seat the other waits for.
    const batch = (k: number) =>
      inOrder(show.seatIds, k).map((seat, i) => ({ showId: show.showId, userId: crowd[k * 6 + i]!.id, seatIds: [seat], reference: `R${k}S${i}` }));
    const outcomes = await releaseTogether(Array.from({ length: BATCHES }, (_, k) => () => bookSeatsBatch(database.db, batch(k), limits)));
    expect(outcomes.flatMap((o) => o.answers).filter((a) => 'created' in a && a.created.length > 0)).toHaveLength(show.seatIds.length);
    await bookedOnce(show.showId, show.seatIds);
  });

  it('when batches for the same users on different seats name them in opposite orders at once, then none deadlocks and all are written', async () => {
    const six = users.slice(6, 12);
    const show = await createShow(database.db, { rows: BATCHES, seatsPerRow: 6 });
    // Batch k: seats of its own row, for the same 6 users, ascending or descending: without one order
    // for the per-(show, user) locks, two batches would each hold a user's lock the other waits for.
    const batch = (k: number) =>
      inOrder(six, k).map((u, i) => ({ showId: show.showId, userId: u.id, seatIds: [show.seatIds[k * 6 + i]!], reference: `U${k}S${i}` }));
    const outcomes = await releaseTogether(Array.from({ length: BATCHES }, (_, k) => () => bookSeatsBatch(database.db, batch(k), { maxSeats: BATCHES })));
    expect(outcomes.flatMap((o) => o.answers).filter((a) => 'created' in a && a.created.length > 0)).toHaveLength(BATCHES * 6);
    await bookedOnce(show.showId, show.seatIds);
  });
});
