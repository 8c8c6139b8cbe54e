import { randomInt } from 'node:crypto';
import { sql } from 'kysely';
import { expect } from 'vitest';
import type { Database } from '../../src/db/database.ts';
import { countBy, releaseTogether } from './barrier.ts';
import { createShow, createUsers, type TestUser } from './factories.ts';
import type { HttpClient } from './http.ts';

/** The races every topology must pass: one process, several, several behind PgBouncer. */

type Body = { seat_id: number; show_id: number };

/** Every user sends the same request at the same moment, each through the client assigned to them. */
export async function race(clients: readonly HttpClient[], path: string, users: readonly TestUser[], body: (user: TestUser, i: number) => Body) {
  await Promise.all(clients.map((client) => client.warm(Math.ceil(users.length / clients.length))));
  return releaseTogether(users.map((user, i) => () => clients[i % clients.length]!.post(path, body(user, i), { token: user.token })));
}

/**
 * Every user of `crowd` asks for the same seat of a new show at once (through
 * `clients` in turn): exactly one wins with `winStatus`, every other gets the
 * same 409.
 */
export async function expectOneWinner(db: Database, crowd: readonly TestUser[], clients: readonly HttpClient[], winStatus: 200 | 201, path: string) {
  const show = await createShow(db, { rows: 1, seatsPerRow: 4 });
  const seatId = show.seatIds[0]!;
  const replies = await race(clients, path, crowd, () => ({ seat_id: seatId, show_id: show.showId }));
  expect(countBy(replies, (r) => r.status)).toEqual({ [winStatus]: 1, 409: crowd.length - 1 });
  const winner = crowd[replies.findIndex((r) => r.status === winStatus)]!;
  const losers = replies.filter((r) => r.status === 409).map((r) => r.body.detail as string);
  expect(new Set(losers).size).toBe(1);
  return { show, seatId, winner, loserDetail: losers[0] };
}

// Every writer locks its rows in ascending seat id, so overlapping groups
// wait for each other instead of deadlocking; a deadlock would surface as a
// 5xx (PostgreSQL aborts one transaction), a double booking in the SQL below.
export async function overlappingGroups(db: Database, clients: readonly HttpClient[], rounds: number): Promise<void> {
  const users = await createUsers(db, 30);
  await Promise.all(clients.map((client) => client.warm(30)));
  const statuses: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const show = await createShow(db, { rows: 2, seatsPerRow: 10 });
    const groups = users.map(() => {
      const picked = new Set<number>();
      while (picked.size < 4) {
        picked.add(show.seatIds[randomInt(show.seatIds.length)]!);
      }
      return [...picked];
    });
    const path = round % 2 === 0 ? '/api/book-seats/' : '/api/hold-seats/';
    const replies = await releaseTogether(
      users.map((user, i) => () => clients[i % clients.length]!.post(path, { show_id: show.showId, seat_ids: groups[i] }, { token: user.token })),
    );
    statuses.push(...replies.map((r) => r.status));
    const winners = users.filter((_, i) => replies[i]!.status < 300);
    // Whatever won, won whole: each winner has exactly its 4 seats, nobody else has any.
    const taken = await sql<{ seat_id: number; owner: number }>`
      SELECT ss.seat_id, coalesce(b.user_id, ss.locked_by_id) AS owner
        FROM show_seats ss LEFT JOIN bookings b ON b.showtime_id = ss.showtime_id AND b.seat_id = ss.seat_id
       WHERE ss.showtime_id = ${show.showId} AND ss.status <> 'available'`.execute(db);
    const expected = winners.flatMap((user) => groups[users.indexOf(user)]!.map((seat_id) => ({ seat_id, owner: user.id })));
    expect(new Set(taken.rows.map((r) => `${r.seat_id}:${r.owner}`))).toEqual(new Set(expected.map((r) => `${r.seat_id}:${r.owner}`)));
    expect(taken.rows).toHaveLength(expected.length); // no seat twice
    if (round % 2 === 0) {
      const perReference = await sql<{ n: number }>`SELECT count(*)::int AS n FROM bookings WHERE showtime_id = ${show.showId} GROUP BY reference`.execute(db);
      expect(perReference.rows.every((r) => r.n === 4)).toBe(true);
      expect(perReference.rows).toHaveLength(winners.length);
    }
  }
  const counts = countBy(statuses, (s) => s);
  expect(Object.keys(counts).sort()).toEqual(expect.arrayContaining(['409']));
  expect(Object.keys(counts).filter((s) => !['200', '201', '409'].includes(s))).toEqual([]);
}
